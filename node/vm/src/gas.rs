//! SDK gas accounting: the meter a call runs under, and a state view that charges the SDK's KV
//! costs to it.
//!
//! Gas flows as in wasmd: storage accesses and nested calls (queries, submessages) charge the
//! SDK meter directly; the VM is told about them as "externally used" CosmWasm gas so its own
//! limit shrinks; after each VM call only the gas the VM used internally is converted
//! (÷ multiplier) and charged.

use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tessera_store::{KvIter, StateRead, StateWrite, StoreError};

use crate::config::KvGasCosts;
use crate::error::WasmError;

/// An SDK gas meter. Cloning gives another handle to the same meter.
///
/// Like the SDK's `basicGasMeter`, consumption may pass the limit (the excess is what
/// `gas_used` reports); the call that passes it fails with [`WasmError::OutOfGas`].
#[derive(Clone, Debug)]
pub struct GasMeter(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    limit: u64,
    used: AtomicU64,
}

impl GasMeter {
    pub fn new(limit: u64) -> Self {
        GasMeter(Arc::new(Inner {
            limit,
            used: AtomicU64::new(0),
        }))
    }

    /// A meter that never runs out (genesis, tests).
    pub fn infinite() -> Self {
        Self::new(u64::MAX)
    }

    pub fn limit(&self) -> u64 {
        self.0.limit
    }

    pub fn used(&self) -> u64 {
        self.0.used.load(Ordering::Relaxed)
    }

    pub fn remaining(&self) -> u64 {
        self.limit().saturating_sub(self.used())
    }

    /// Adds `amount`; fails when the total passes the limit.
    pub fn consume(&self, amount: u64, location: &str) -> Result<(), WasmError> {
        let previous = self
            .0
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
                Some(u.saturating_add(amount))
            })
            .unwrap_or_else(|u| u);
        let used = previous.saturating_add(amount);
        if used > self.limit() {
            return Err(self.out_of_gas(location));
        }
        Ok(())
    }

    /// The SDK's `IsOutOfGas`: used ≥ limit. wasmd treats reaching the limit exactly after a
    /// contract call as running out.
    pub fn is_out_of_gas(&self) -> bool {
        self.used() >= self.limit()
    }

    pub fn is_past_limit(&self) -> bool {
        self.used() > self.limit()
    }

    pub fn out_of_gas(&self, location: &str) -> WasmError {
        WasmError::OutOfGas {
            location: location.to_string(),
            limit: self.limit(),
            used: self.used(),
        }
    }

    /// Fails if an earlier charge that could not report an error passed the limit.
    pub fn check(&self, location: &str) -> Result<(), WasmError> {
        if self.is_past_limit() {
            Err(self.out_of_gas(location))
        } else {
            Ok(())
        }
    }
}

/// A state view that charges every access to a meter (the SDK's `gaskv` store). Charges that
/// pass the limit are recorded; the caller checks the meter after the operation, since
/// `StateWrite::set` cannot fail.
pub struct Metered<'a> {
    inner: &'a mut dyn StateWrite,
    meter: &'a GasMeter,
    costs: KvGasCosts,
}

impl<'a> Metered<'a> {
    pub fn new(inner: &'a mut dyn StateWrite, meter: &'a GasMeter, costs: KvGasCosts) -> Self {
        Self {
            inner,
            meter,
            costs,
        }
    }

    fn charge(&self, amount: u64) {
        // The result is checked by the caller through `GasMeter::check`.
        let _ = self.meter.consume(amount, "KV access");
    }
}

impl StateRead for Metered<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let value = self.inner.get(key)?;
        self.charge(self.costs.read(key.len(), value.as_ref().map(Vec::len)));
        Ok(value)
    }

    fn range(
        &self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        descending: bool,
    ) -> Result<KvIter<'_>, StoreError> {
        let meter = self.meter;
        let costs = self.costs;
        let iter = self.inner.range(start, end, descending)?;
        Ok(Box::new(iter.inspect(move |item| {
            if let Ok((k, v)) = item {
                let _ = meter.consume(costs.iter_item(k.len(), v.len()), "KV iteration");
            }
        })))
    }
}

impl StateWrite for Metered<'_> {
    fn set(&mut self, key: &[u8], value: &[u8]) {
        self.charge(self.costs.write(key.len(), value.len()));
        self.inner.set(key, value);
    }

    fn delete(&mut self, key: &[u8]) {
        self.charge(self.costs.delete);
        self.inner.delete(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_store::state::MemState;

    #[test]
    fn consumption_past_the_limit_fails_and_is_recorded() {
        let m = GasMeter::new(100);
        m.consume(60, "a").unwrap();
        assert!(!m.is_out_of_gas());
        let err = m.consume(50, "b").unwrap_err();
        assert!(err.is_out_of_gas());
        assert_eq!(m.used(), 110);
        assert_eq!(m.remaining(), 0);
        assert!(err.to_string().contains("gasWanted: 100, gasUsed: 110"));
    }

    #[test]
    fn metered_state_charges_sdk_kv_costs() {
        let mut s = MemState::default();
        let m = GasMeter::new(1_000_000);
        let costs = KvGasCosts::default();
        {
            let mut v = Metered::new(&mut s, &m, costs);
            v.set(b"ab", b"xyz");
            assert_eq!(m.used(), 2000 + 30 * 5);
            v.get(b"ab").unwrap();
            assert_eq!(m.used(), 2150 + 1000 + 3 * 5);
            let n = v.prefix(b"a").unwrap().count();
            assert_eq!(n, 1);
            assert_eq!(m.used(), 3165 + 30 + 3 * 5);
        }
    }
}
