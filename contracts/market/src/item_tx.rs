//! One end-block item as a transaction of its own: its writes wait in a buffer over the
//! contract's storage and reach it only if the item succeeds, and every access is metered at
//! the Cosmos SDK's KV gas prices (the ones the node charges), so the hook knows what each
//! item cost and can stop before its gas runs out.
//!
//! Without this, one item that fails (an overflow, a corrupt record) reverts the whole hook,
//! and since the same entries are due again next block, the hook would fail forever.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::iter::Peekable;
use std::ops::Bound;

use cosmwasm_std::{Order, Record, Storage};

/// The Cosmos SDK's `KVGasConfig` (store/types/gas.go), which the node's wasm host charges for
/// every storage access of a contract.
mod kv_gas {
    pub const READ_FLAT: u64 = 1_000;
    pub const READ_PER_BYTE: u64 = 3;
    pub const WRITE_FLAT: u64 = 2_000;
    pub const WRITE_PER_BYTE: u64 = 30;
    pub const DELETE: u64 = 1_000;
    pub const ITER_NEXT_FLAT: u64 = 30;
}

/// Pending writes of one item: `Some(value)` sets, `None` deletes.
type Writes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// The pending writes within a range, in the range's order.
type PendingRange<'b> = Box<dyn Iterator<Item = (&'b Vec<u8>, &'b Option<Vec<u8>>)> + 'b>;

/// Storage for one item: reads see the base plus this item's own writes; writes are buffered.
pub struct ItemTx<'a> {
    base: &'a dyn Storage,
    writes: Writes,
    gas: Cell<u64>,
}

/// What a finished item leaves behind: its writes, to apply if it succeeded, and its cost.
pub struct ItemWrites {
    writes: Writes,
    pub gas: u64,
}

impl<'a> ItemTx<'a> {
    pub fn new(base: &'a dyn Storage) -> Self {
        Self {
            base,
            writes: Writes::new(),
            gas: Cell::new(0),
        }
    }

    fn charge(&self, gas: u64) {
        self.gas.set(self.gas.get().saturating_add(gas));
    }

    /// Ends the item, keeping its writes and what they and its reads cost.
    pub fn finish(self) -> ItemWrites {
        ItemWrites {
            gas: self.gas.get(),
            writes: self.writes,
        }
    }
}

impl ItemWrites {
    /// Writes the item's changes to `storage`.
    pub fn apply(self, storage: &mut dyn Storage) {
        for (key, value) in self.writes {
            match value {
                Some(value) => storage.set(&key, &value),
                None => storage.remove(&key),
            }
        }
    }
}

fn byte_cost(per_byte: u64, key: &[u8], value: &[u8]) -> u64 {
    per_byte.saturating_mul((key.len() + value.len()) as u64)
}

impl Storage for ItemTx<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let value = match self.writes.get(key) {
            Some(pending) => pending.clone(),
            None => self.base.get(key),
        };
        let value_bytes = value.as_deref().unwrap_or_default();
        self.charge(kv_gas::READ_FLAT + byte_cost(kv_gas::READ_PER_BYTE, key, value_bytes));
        value
    }

    fn range<'b>(
        &'b self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> Box<dyn Iterator<Item = Record> + 'b> {
        let bounds = (
            start.map_or(Bound::Unbounded, |s| Bound::Included(s.to_vec())),
            end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec())),
        );
        let pending = self.writes.range(bounds);
        let pending: PendingRange<'b> = match order {
            Order::Ascending => Box::new(pending),
            Order::Descending => Box::new(pending.rev()),
        };
        Box::new(Merged {
            base: self.base.range(start, end, order).peekable(),
            pending: pending.peekable(),
            order,
            gas: &self.gas,
        })
    }

    fn set(&mut self, key: &[u8], value: &[u8]) {
        self.charge(kv_gas::WRITE_FLAT + byte_cost(kv_gas::WRITE_PER_BYTE, key, value));
        self.writes.insert(key.to_vec(), Some(value.to_vec()));
    }

    fn remove(&mut self, key: &[u8]) {
        self.charge(kv_gas::DELETE);
        self.writes.insert(key.to_vec(), None);
    }
}

/// The base range and the pending writes in the same range, merged in key order; a pending
/// write shadows the base entry with its key, and a pending delete hides it.
struct Merged<'b, B: Iterator<Item = Record>> {
    base: Peekable<B>,
    pending: Peekable<PendingRange<'b>>,
    order: Order,
    gas: &'b Cell<u64>,
}

impl<B: Iterator<Item = Record>> Merged<'_, B> {
    fn next_unmetered(&mut self) -> Option<Record> {
        loop {
            let take_pending = match (self.base.peek(), self.pending.peek()) {
                (None, None) => return None,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some((base_key, _)), Some((pending_key, _))) => {
                    if base_key == *pending_key {
                        // Shadowed: the pending write decides.
                        self.base.next();
                        true
                    } else {
                        !before(self.order, base_key, pending_key)
                    }
                }
            };
            if !take_pending {
                return self.base.next();
            }
            let (key, value) = self.pending.next()?;
            if let Some(value) = value {
                return Some((key.clone(), value.clone()));
            }
        }
    }
}

/// Whether `a` comes before `b` in a range of this order.
fn before(order: Order, a: &[u8], b: &[u8]) -> bool {
    match order {
        Order::Ascending => a < b,
        Order::Descending => a > b,
    }
}

impl<B: Iterator<Item = Record>> Iterator for Merged<'_, B> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        let record = self.next_unmetered()?;
        let cost = kv_gas::ITER_NEXT_FLAT + byte_cost(kv_gas::READ_PER_BYTE, &record.0, &record.1);
        self.gas.set(self.gas.get().saturating_add(cost));
        Some(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;

    fn base() -> MockStorage {
        let mut s = MockStorage::new();
        for k in [b"a", b"c", b"e", b"g"] {
            s.set(k, b"base");
        }
        s
    }

    fn keys(it: impl Iterator<Item = Record>) -> Vec<(String, String)> {
        it.map(|(k, v)| (String::from_utf8(k).unwrap(), String::from_utf8(v).unwrap()))
            .collect()
    }

    #[test]
    fn reads_see_pending_writes_and_deletes_in_both_orders() {
        let base = base();
        let mut tx = ItemTx::new(&base);
        tx.set(b"b", b"new");
        tx.set(b"c", b"changed");
        tx.remove(b"e");
        tx.set(b"h", b"new");
        assert_eq!(tx.get(b"c").as_deref(), Some(&b"changed"[..]));
        assert_eq!(tx.get(b"e"), None);
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let all = pairs(&[
            ("a", "base"),
            ("b", "new"),
            ("c", "changed"),
            ("g", "base"),
            ("h", "new"),
        ]);
        assert_eq!(keys(tx.range(None, None, Order::Ascending)), all);
        let mut reversed = all.clone();
        reversed.reverse();
        assert_eq!(keys(tx.range(None, None, Order::Descending)), reversed);
        assert_eq!(
            keys(tx.range(Some(b"b"), Some(b"g"), Order::Ascending)),
            pairs(&[("b", "new"), ("c", "changed")])
        );
        assert_eq!(
            keys(tx.range(Some(b"b"), Some(b"g"), Order::Descending)),
            pairs(&[("c", "changed"), ("b", "new")])
        );
    }

    #[test]
    fn nothing_reaches_the_base_until_applied() {
        let mut base = base();
        let writes = {
            let mut tx = ItemTx::new(&base);
            tx.set(b"z", b"1");
            tx.remove(b"a");
            tx.finish()
        };
        assert_eq!(base.get(b"z"), None);
        assert!(base.get(b"a").is_some());
        writes.apply(&mut base);
        assert_eq!(base.get(b"z").as_deref(), Some(&b"1"[..]));
        assert_eq!(base.get(b"a"), None);
    }

    #[test]
    fn every_access_is_charged_at_sdk_kv_prices() {
        let base = base();
        let mut tx = ItemTx::new(&base);
        tx.get(b"a"); // 1000 + 3 × (1 + 4)
        tx.set(b"k", b"vv"); // 2000 + 30 × 3
        tx.remove(b"c"); // 1000
        assert_eq!(tx.range(None, None, Order::Ascending).count(), 4); // a, e, g (4 B), k (3 B)
        let iter = 3 * (30 + 3 * 5) + (30 + 3 * 3);
        assert_eq!(tx.finish().gas, 1015 + 2090 + 1000 + iter);
    }
}
