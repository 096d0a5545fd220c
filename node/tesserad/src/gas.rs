//! Gas: a per-transaction meter and a state wrapper that charges it for every KV access.
//!
//! Costs are the SDK's `KVGasConfig` so that `--gas auto` estimates and fees look the way
//! Cosmos users expect.

use std::cell::RefCell;
use std::ops::Bound;

use tessera_store::{KvIter, StateRead, StateWrite, StoreError};

use crate::error::TxError;

/// Gas descriptors, the SDK's wording (they appear in out-of-gas logs).
pub mod desc {
    pub const READ_FLAT: &str = "ReadFlat";
    pub const READ_PER_BYTE: &str = "ReadPerByte";
    pub const WRITE_FLAT: &str = "WriteFlat";
    pub const WRITE_PER_BYTE: &str = "WritePerByte";
    pub const DELETE: &str = "Delete";
    pub const ITER_NEXT_FLAT: &str = "IterNextFlat";
    pub const VALUE_PER_BYTE: &str = "ValuePerByte";
    pub const TX_SIZE: &str = "txSize";
    pub const SIG_VERIFY_SECP256K1: &str = "ante verify: secp256k1";
}

/// The SDK's KV gas costs (`storetypes.KVGasConfig()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GasConfig {
    pub read_cost_flat: u64,
    pub read_cost_per_byte: u64,
    pub write_cost_flat: u64,
    pub write_cost_per_byte: u64,
    pub delete_cost: u64,
    pub iter_next_cost_flat: u64,
}

impl Default for GasConfig {
    fn default() -> Self {
        Self {
            read_cost_flat: 1000,
            read_cost_per_byte: 3,
            write_cost_flat: 2000,
            write_cost_per_byte: 30,
            delete_cost: 1000,
            iter_next_cost_flat: 30,
        }
    }
}

/// Gas accounting of one transaction.
///
/// Once a charge breaks the limit the meter is exhausted: it keeps the consumption that broke
/// it (so `gasUsed` may exceed `gasWanted`, as in the SDK) and refuses every later charge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GasMeter {
    limit: u64,
    consumed: u64,
    /// Where the limit was broken; `Some` makes the meter refuse further charges.
    exhausted_at: Option<String>,
}

impl GasMeter {
    pub fn new(limit: u64) -> Self {
        Self {
            limit,
            consumed: 0,
            exhausted_at: None,
        }
    }

    /// A meter without a limit: simulation (to measure what a tx needs), genesis, queries.
    pub fn infinite() -> Self {
        Self::new(u64::MAX)
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    pub fn remaining(&self) -> u64 {
        self.limit.saturating_sub(self.consumed)
    }

    pub fn is_exhausted(&self) -> bool {
        self.exhausted_at.is_some()
    }

    /// Charges `amount`; past the limit, records `descriptor` and fails with the SDK's
    /// out-of-gas error.
    pub fn consume(&mut self, amount: u64, descriptor: &str) -> Result<(), TxError> {
        if let Some(err) = self.out_of_gas_error() {
            return Err(err);
        }
        self.consumed = self.consumed.saturating_add(amount);
        if self.consumed > self.limit {
            self.exhausted_at = Some(descriptor.to_string());
            return Err(TxError::out_of_gas(descriptor, self.limit, self.consumed));
        }
        Ok(())
    }

    /// The out-of-gas error, once the meter is exhausted.
    pub fn out_of_gas_error(&self) -> Option<TxError> {
        self.exhausted_at
            .as_deref()
            .map(|at| TxError::out_of_gas(at, self.limit, self.consumed))
    }
}

/// What a read on an exhausted meter returns; [`GasMeteredState::finish`] turns it back into
/// the out-of-gas error (the state traits can only return `StoreError`).
const OUT_OF_GAS_STORE_ERROR: &str = "out of gas";

/// A state that charges a [`GasMeter`] for every access to the state beneath, with the SDK's
/// `gaskv` costs:
/// - get: `ReadFlat` + `ReadPerByte` × (key + value length);
/// - set: `WriteFlat` + `WritePerByte` × (key + value length);
/// - delete: `Delete`;
/// - iteration: `IterNextFlat` on creation, then `IterNextFlat` + `ValuePerByte` × (key +
///   value length) per entry.
///
/// The state traits cannot return a gas error, so: a read that breaks the limit returns a
/// `StoreError`, a write that breaks it is not applied, and later accesses fail or are dropped.
/// Always end with [`finish`](Self::finish), which reports the out-of-gas error whatever the
/// code in between made of it. The caller discards the transaction's layer on any error.
pub struct GasMeteredState<'a> {
    inner: &'a mut dyn StateWrite,
    meter: RefCell<&'a mut GasMeter>,
    config: GasConfig,
}

impl<'a> GasMeteredState<'a> {
    pub fn new(inner: &'a mut dyn StateWrite, meter: &'a mut GasMeter, config: GasConfig) -> Self {
        Self {
            inner,
            meter: RefCell::new(meter),
            config,
        }
    }

    /// Charges gas that is not a state access (tx size, signature checks, VM execution).
    pub fn consume(&self, amount: u64, descriptor: &str) -> Result<(), TxError> {
        self.meter.borrow_mut().consume(amount, descriptor)
    }

    pub fn consumed(&self) -> u64 {
        self.meter.borrow().consumed()
    }

    /// The outcome of work done through this state: the out-of-gas error if the meter broke
    /// its limit (even if the work swallowed it), else `result`.
    pub fn finish<T>(self, result: Result<T, TxError>) -> Result<T, TxError> {
        match self.meter.borrow().out_of_gas_error() {
            Some(err) => Err(err),
            None => result,
        }
    }

    fn charge(&self, amount: u64, descriptor: &str) -> Result<(), StoreError> {
        self.consume(amount, descriptor)
            .map_err(|_| StoreError::Backend(OUT_OF_GAS_STORE_ERROR.to_string()))
    }

    fn per_byte(cost: u64, len: usize) -> u64 {
        cost.saturating_mul(u64::try_from(len).unwrap_or(u64::MAX))
    }
}

impl StateRead for GasMeteredState<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let cfg = self.config;
        self.charge(cfg.read_cost_flat, desc::READ_FLAT)?;
        let value = self.inner.get(key)?;
        self.charge(
            Self::per_byte(cfg.read_cost_per_byte, key.len()),
            desc::READ_PER_BYTE,
        )?;
        let value_len = value.as_ref().map_or(0, Vec::len);
        self.charge(
            Self::per_byte(cfg.read_cost_per_byte, value_len),
            desc::READ_PER_BYTE,
        )?;
        Ok(value)
    }

    fn range(
        &self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        descending: bool,
    ) -> Result<KvIter<'_>, StoreError> {
        let cfg = self.config;
        self.charge(cfg.iter_next_cost_flat, desc::ITER_NEXT_FLAT)?;
        let inner = self.inner.range(start, end, descending)?;
        let mut failed = false;
        Ok(Box::new(inner.map_while(move |item| {
            if failed {
                return None;
            }
            let step = item.and_then(|(k, v)| {
                self.charge(cfg.iter_next_cost_flat, desc::ITER_NEXT_FLAT)?;
                self.charge(
                    Self::per_byte(cfg.read_cost_per_byte, k.len() + v.len()),
                    desc::VALUE_PER_BYTE,
                )?;
                Ok((k, v))
            });
            // One error ends the iteration: nothing after it was paid for.
            failed = step.is_err();
            Some(step)
        })))
    }
}

impl StateWrite for GasMeteredState<'_> {
    fn set(&mut self, key: &[u8], value: &[u8]) {
        let cfg = self.config;
        let paid = self.charge(cfg.write_cost_flat, desc::WRITE_FLAT).is_ok()
            && self
                .charge(
                    Self::per_byte(cfg.write_cost_per_byte, key.len()),
                    desc::WRITE_PER_BYTE,
                )
                .is_ok()
            && self
                .charge(
                    Self::per_byte(cfg.write_cost_per_byte, value.len()),
                    desc::WRITE_PER_BYTE,
                )
                .is_ok();
        if paid {
            self.inner.set(key, value);
        }
    }

    fn delete(&mut self, key: &[u8]) {
        if self.charge(self.config.delete_cost, desc::DELETE).is_ok() {
            self.inner.delete(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_store::state::MemState;

    #[test]
    fn reads_and_writes_cost_what_the_sdk_charges() {
        let mut state = MemState::default();
        let mut meter = GasMeter::new(1_000_000);
        let mut gs = GasMeteredState::new(&mut state, &mut meter, GasConfig::default());
        gs.set(b"key", b"value");
        assert_eq!(gs.consumed(), 2000 + 30 * 3 + 30 * 5);
        let before = gs.consumed();
        assert_eq!(gs.get(b"key").unwrap(), Some(b"value".to_vec()));
        assert_eq!(gs.consumed() - before, 1000 + 3 * 3 + 3 * 5);
        let before = gs.consumed();
        gs.delete(b"key");
        assert_eq!(gs.consumed() - before, 1000);
        assert!(gs.finish(Ok(())).is_ok());
    }

    #[test]
    fn a_write_that_breaks_the_limit_is_dropped_and_reported() {
        let mut state = MemState::default();
        let mut meter = GasMeter::new(2100);
        let mut gs = GasMeteredState::new(&mut state, &mut meter, GasConfig::default());
        gs.set(b"key", b"value");
        assert!(gs.get(b"key").is_err(), "an exhausted meter refuses reads");
        let err = gs.finish(Ok(())).unwrap_err();
        assert_eq!(
            err.log,
            "out of gas in location: WritePerByte; gasWanted: 2100, gasUsed: 2240: out of gas"
        );
        assert!(state.0.is_empty());
        assert_eq!(meter.consumed(), 2240);
    }

    #[test]
    fn iteration_charges_per_entry_and_stops_when_gas_runs_out() {
        let mut state = MemState::default();
        for i in 0..10u8 {
            state.set(&[i], &[i; 10]);
        }
        let mut meter = GasMeter::new(30 + 3 * (30 + 33));
        let gs = GasMeteredState::new(&mut state, &mut meter, GasConfig::default());
        let items: Vec<_> = gs.prefix(b"").unwrap().collect();
        assert_eq!(items.len(), 4, "three paid entries, then the error");
        assert!(items[3].is_err());
        assert!(gs.finish(Ok(())).unwrap_err().is_out_of_gas());
    }
}
