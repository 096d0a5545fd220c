//! A contract's storage as the VM sees it: the `wasm/c/<addr>/` slice of the block's overlay.
//!
//! Every access charges the SDK's KV gas to the call's meter and reports it to the VM as
//! externally used gas (× multiplier). Iterators do not hold the overlay's lock between `next`
//! calls (the VM may run other contracts in between, through queries): they remember the last key
//! returned and read ahead a small batch at a time from the overlay's ordered range.

use std::collections::VecDeque;
use std::ops::Bound;

use cosmwasm_std::{Order, Record};
use cosmwasm_vm::{BackendError, BackendResult, GasInfo, Storage};
use tessera_store::state::prefix_end;
use tessera_store::StateRead;
use tessera_store::StateWrite;

use crate::config::KvGasCosts;
use crate::gas::GasMeter;
use crate::types::{lock_state, SharedState};

/// Entries read ahead per refill of an iterator.
const ITER_BATCH: usize = 32;

pub struct ContractStorage {
    state: SharedState,
    /// `wasm/c/<addr>/`.
    prefix: Vec<u8>,
    gas: GasMeter,
    costs: KvGasCosts,
    multiplier: u64,
    iterators: Vec<RangeIter>,
}

struct RangeIter {
    /// Full keys: inclusive start, exclusive end.
    start: Vec<u8>,
    end: Vec<u8>,
    order: Order,
    /// Last full key handed out (or read ahead): the next batch starts after it.
    cursor: Option<Vec<u8>>,
    buffer: VecDeque<(Vec<u8>, Vec<u8>)>,
    exhausted: bool,
}

impl ContractStorage {
    pub fn new(
        state: SharedState,
        prefix: Vec<u8>,
        gas: GasMeter,
        costs: KvGasCosts,
        multiplier: u64,
    ) -> Self {
        Self {
            state,
            prefix,
            gas,
            costs,
            multiplier,
            iterators: Vec::new(),
        }
    }

    fn full_key(&self, key: &[u8]) -> Vec<u8> {
        [self.prefix.as_slice(), key].concat()
    }

    /// Charges `sdk_gas` to the meter; the VM learns it as externally used CosmWasm gas.
    fn charge(&self, sdk_gas: u64) -> (Result<(), BackendError>, GasInfo) {
        let info = GasInfo::with_externally_used(sdk_gas.saturating_mul(self.multiplier));
        match self.gas.consume(sdk_gas, "wasm storage") {
            Ok(()) => (Ok(()), info),
            Err(_) => (Err(BackendError::out_of_gas()), info),
        }
    }

    fn refill(&mut self, index: usize) -> Result<(), BackendError> {
        let state = self.state.clone();
        let Some(it) = self.iterators.get_mut(index) else {
            return Err(BackendError::iterator_does_not_exist(index as u32 + 1));
        };
        let overlay = lock_state(&state);
        let (lower, upper, descending) = match (it.order, &it.cursor) {
            (Order::Ascending, None) => (
                Bound::Included(it.start.as_slice()),
                Bound::Excluded(it.end.as_slice()),
                false,
            ),
            (Order::Ascending, Some(c)) => (
                Bound::Excluded(c.as_slice()),
                Bound::Excluded(it.end.as_slice()),
                false,
            ),
            (Order::Descending, None) => (
                Bound::Included(it.start.as_slice()),
                Bound::Excluded(it.end.as_slice()),
                true,
            ),
            (Order::Descending, Some(c)) => (
                Bound::Included(it.start.as_slice()),
                Bound::Excluded(c.as_slice()),
                true,
            ),
        };
        let range = overlay
            .range(lower, upper, descending)
            .map_err(|e| BackendError::unknown(e.to_string()))?;
        let mut read = 0;
        for entry in range.take(ITER_BATCH) {
            let (k, v) = entry.map_err(|e| BackendError::unknown(e.to_string()))?;
            it.cursor = Some(k.clone());
            it.buffer.push_back((k, v));
            read += 1;
        }
        if read < ITER_BATCH {
            it.exhausted = true;
        }
        Ok(())
    }
}

impl Storage for ContractStorage {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        let full = self.full_key(key);
        let value = match lock_state(&self.state).get(&full) {
            Ok(v) => v,
            Err(e) => return (Err(BackendError::unknown(e.to_string())), GasInfo::free()),
        };
        let (charged, gas) = self.charge(self.costs.read(full.len(), value.as_ref().map(Vec::len)));
        (charged.map(|()| value), gas)
    }

    fn scan(
        &mut self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> BackendResult<u32> {
        let start = self.full_key(start.unwrap_or_default());
        let end = match end {
            Some(e) => self.full_key(e),
            // The prefix ends in '/', so there is always a key after all of its keys.
            None => prefix_end(&self.prefix).unwrap_or_default(),
        };
        self.iterators.push(RangeIter {
            start,
            end,
            order,
            cursor: None,
            buffer: VecDeque::new(),
            exhausted: false,
        });
        let id = u32::try_from(self.iterators.len()).unwrap_or(u32::MAX);
        (Ok(id), GasInfo::free())
    }

    fn next(&mut self, iterator_id: u32) -> BackendResult<Option<Record>> {
        // Ids are 1-based positions in `iterators`.
        let index = (iterator_id as usize).wrapping_sub(1);
        let needs_refill = match self.iterators.get(index) {
            Some(it) => it.buffer.is_empty() && !it.exhausted,
            None => {
                return (
                    Err(BackendError::iterator_does_not_exist(iterator_id)),
                    GasInfo::free(),
                )
            }
        };
        if needs_refill {
            if let Err(e) = self.refill(index) {
                return (Err(e), GasInfo::free());
            }
        }
        let prefix_len = self.prefix.len();
        let item = self
            .iterators
            .get_mut(index)
            .and_then(|it| it.buffer.pop_front());
        match item {
            Some((k, v)) => {
                let (charged, gas) = self.charge(self.costs.iter_item(k.len(), v.len()));
                let key = k.get(prefix_len..).unwrap_or_default().to_vec();
                (charged.map(|()| Some((key, v))), gas)
            }
            None => {
                let (charged, gas) = self.charge(self.costs.iter_next_flat);
                (charged.map(|()| None), gas)
            }
        }
    }

    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        let full = self.full_key(key);
        let (charged, gas) = self.charge(self.costs.write(full.len(), value.len()));
        if charged.is_ok() {
            lock_state(&self.state).set(&full, value);
        }
        (charged, gas)
    }

    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        let full = self.full_key(key);
        let (charged, gas) = self.charge(self.costs.delete);
        if charged.is_ok() {
            lock_state(&self.state).delete(&full);
        }
        (charged, gas)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tessera_store::state::MemState;
    use tessera_store::Overlay;

    fn storage() -> (SharedState, ContractStorage) {
        let mut base = MemState::default();
        // A neighbour's key right after ours must never show up.
        base.set(b"wasm/c/A0", b"other");
        base.set(b"wasm/c/A/k1", b"base1");
        let state = Arc::new(Mutex::new(Overlay::new(Arc::new(base))));
        let s = ContractStorage::new(
            state.clone(),
            b"wasm/c/A/".to_vec(),
            GasMeter::new(10_000_000),
            KvGasCosts::default(),
            140_000,
        );
        (state, s)
    }

    fn collect(
        s: &mut ContractStorage,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> Vec<Vec<u8>> {
        let id = s.scan(start, end, order).0.unwrap();
        let mut keys = vec![];
        while let Some((k, _)) = s.next(id).0.unwrap() {
            keys.push(k);
        }
        keys
    }

    #[test]
    fn reads_writes_and_iterates_only_its_own_prefix() {
        let (state, mut s) = storage();
        for i in 0..70u8 {
            s.set(&[b'k', b'2', i], &[i]).0.unwrap();
        }
        s.remove(b"k1").0.unwrap();
        assert_eq!(s.get(b"k1").0.unwrap(), None);
        assert_eq!(
            lock_state(&state).get(b"wasm/c/A/k2\x05").unwrap(),
            Some(vec![5])
        );

        let up = collect(&mut s, None, None, Order::Ascending);
        assert_eq!(up.len(), 70);
        assert_eq!(up[0], vec![b'k', b'2', 0]);
        let down = collect(&mut s, Some(b"k2\x10"), Some(b"k2\x40"), Order::Descending);
        assert_eq!(down.len(), 0x30);
        assert_eq!(down[0], vec![b'k', b'2', 0x3f]);
        assert_eq!(down.last().unwrap(), &vec![b'k', b'2', 0x10]);
        assert!(collect(&mut s, Some(b"z"), Some(b"a"), Order::Ascending).is_empty());
    }

    #[test]
    fn accesses_report_sdk_gas_times_the_multiplier() {
        let (_, mut s) = storage();
        let (_, gas) = s.set(b"x", b"yy");
        // write: 2000 flat + 30 per byte of full key (10) and value (2)
        assert_eq!(gas.externally_used, (2000 + 30 * 12) * 140_000);
        let (_, gas) = s.get(b"x");
        assert_eq!(gas.externally_used, (1000 + 3 * 12) * 140_000);
        assert_eq!(s.gas.used(), 2360 + 1036);
    }

    #[test]
    fn running_out_of_gas_is_reported_to_the_vm() {
        let (state, _) = storage();
        let mut s = ContractStorage::new(
            state,
            b"wasm/c/A/".to_vec(),
            GasMeter::new(100),
            KvGasCosts::default(),
            140_000,
        );
        assert_eq!(s.set(b"x", b"y").0, Err(BackendError::out_of_gas()));
        assert_eq!(s.get(b"x").0.unwrap_err(), BackendError::out_of_gas());
    }
}
