//! Uncommitted writes over a read-only base.
//!
//! A block's transactions write into an `Overlay`; each transaction (and each CosmWasm
//! submessage) opens a layer with [`Overlay::begin`] and either folds it into the layer below
//! ([`Overlay::keep`]) or drops it ([`Overlay::discard`]), so a failure reverts exactly its own
//! writes. At commit the folded changes go to the versioned store in one atomic batch.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, Mutex, PoisonError};

use crate::state::{bounds_empty, KvIter, StateRead, StateWrite, StoreError};

/// A pending change: `Some(value)` to write, `None` to delete.
pub type Change = Option<Vec<u8>>;

/// One access to an overlay, as [`Overlay::log_accesses`] records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    Read(Vec<u8>),
    /// A range iterated, as the bounds asked for (an empty range is not recorded).
    Range(Bound<Vec<u8>>, Bound<Vec<u8>>),
    /// A set or a delete, whether its layer is kept or discarded later.
    Write(Vec<u8>),
}

pub struct Overlay {
    base: Arc<dyn StateRead + Send + Sync>,
    /// Bottom layer first; never empty.
    layers: Vec<BTreeMap<Vec<u8>, Change>>,
    /// Every access in order while logging (a parallel executor checks what a tx saw); a
    /// mutex because reads take `&self`.
    log: Option<Mutex<Vec<Access>>>,
}

impl Overlay {
    pub fn new(base: Arc<dyn StateRead + Send + Sync>) -> Self {
        Self {
            base,
            layers: vec![BTreeMap::new()],
            log: None,
        }
    }

    /// Starts recording every read, range and write, in order (see [`Access`]).
    pub fn log_accesses(&mut self) {
        self.log = Some(Mutex::default());
    }

    /// Stops recording and returns what was recorded (nothing when not logging).
    pub fn take_accesses(&mut self) -> Vec<Access> {
        self.log
            .take()
            .map(|log| log.into_inner().unwrap_or_else(PoisonError::into_inner))
            .unwrap_or_default()
    }

    fn note(&self, access: impl FnOnce() -> Access) {
        if let Some(log) = &self.log {
            log.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(access());
        }
    }

    /// Opens a layer; writes go to it until `keep` or `discard`.
    pub fn begin(&mut self) {
        self.layers.push(BTreeMap::new());
    }

    /// Folds the top layer into the one below. With only the bottom layer left, does nothing.
    pub fn keep(&mut self) {
        if self.layers.len() > 1 {
            let top = self.layers.pop().unwrap_or_default();
            if let Some(below) = self.layers.last_mut() {
                below.extend(top);
            }
        }
    }

    /// Drops the top layer's writes. With only the bottom layer left, does nothing.
    pub fn discard(&mut self) {
        if self.layers.len() > 1 {
            self.layers.pop();
        }
    }

    /// The keys the top layer sets or deletes.
    pub fn top_keys(&self) -> impl Iterator<Item = &Vec<u8>> {
        self.layers.last().into_iter().flat_map(BTreeMap::keys)
    }

    /// How many layers are open above the bottom one.
    pub fn depth(&self) -> usize {
        self.layers.len() - 1
    }

    /// All changes, folded, in key order: what a commit writes. Open layers are included.
    pub fn changes(&self) -> BTreeMap<Vec<u8>, Change> {
        let mut all = BTreeMap::new();
        for layer in &self.layers {
            all.extend(layer.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        all
    }

    /// The newest pending change of `key`, if any layer has one.
    fn pending(&self, key: &[u8]) -> Option<&Change> {
        self.layers.iter().rev().find_map(|layer| layer.get(key))
    }

    fn top(&mut self) -> &mut BTreeMap<Vec<u8>, Change> {
        if self.layers.is_empty() {
            self.layers.push(BTreeMap::new());
        }
        let last = self.layers.len() - 1;
        &mut self.layers[last]
    }
}

impl StateRead for Overlay {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.note(|| Access::Read(key.to_vec()));
        match self.pending(key) {
            Some(change) => Ok(change.clone()),
            None => self.base.get(key),
        }
    }

    fn range(
        &self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        descending: bool,
    ) -> Result<KvIter<'_>, StoreError> {
        if bounds_empty(start, end) {
            return Ok(Box::new(std::iter::empty()));
        }
        self.note(|| Access::Range(start.map(<[u8]>::to_vec), end.map(<[u8]>::to_vec)));
        // Each layer's pending changes in range, walked lazily and merged (newest layer
        // winning): a range costs what it yields, not a copy of every pending write in it, so
        // a contract cannot make the node copy a block's writes with every iterator it opens.
        let layers = self
            .layers
            .iter()
            .map(|layer| {
                let range = layer.range::<[u8], _>((start, end));
                let range: LayerRange<'_> = if descending {
                    Box::new(range.rev())
                } else {
                    Box::new(range)
                };
                range.peekable()
            })
            .collect();
        let pending = PendingMerge { layers, descending };
        let base = self.base.range(start, end, descending)?;
        Ok(Box::new(Merge::new(base, pending, descending)))
    }
}

/// One layer's pending changes within a range, in the range's order.
type LayerRange<'a> = Box<dyn Iterator<Item = (&'a Vec<u8>, &'a Change)> + 'a>;

/// The pending changes of all layers within a range, merged in key order: where several layers
/// change the same key, the newest (highest) layer's change is the one yielded.
struct PendingMerge<'a> {
    /// Bottom layer first, like `Overlay::layers`.
    layers: Vec<std::iter::Peekable<LayerRange<'a>>>,
    descending: bool,
}

impl<'a> Iterator for PendingMerge<'a> {
    type Item = (&'a Vec<u8>, &'a Change);

    fn next(&mut self) -> Option<Self::Item> {
        // The next key in order among the layers' heads.
        let mut next: Option<&'a Vec<u8>> = None;
        for layer in &mut self.layers {
            if let Some((key, _)) = layer.peek() {
                if next.is_none_or(|n| before(self.descending, key, n)) {
                    next = Some(*key);
                }
            }
        }
        let key = next?;
        // Advance every layer holding that key; the last (newest) one's change wins.
        let mut winner = None;
        for layer in &mut self.layers {
            if layer.peek().is_some_and(|(k, _)| *k == key) {
                winner = layer.next();
            }
        }
        winner
    }
}

impl StateWrite for Overlay {
    fn set(&mut self, key: &[u8], value: &[u8]) {
        self.note(|| Access::Write(key.to_vec()));
        self.top().insert(key.to_vec(), Some(value.to_vec()));
    }

    fn delete(&mut self, key: &[u8]) {
        self.note(|| Access::Write(key.to_vec()));
        self.top().insert(key.to_vec(), None);
    }
}

/// Merges the base iterator with pending changes (both in the same key order); a pending
/// change shadows the base entry of the same key, and deletions hide it.
struct Merge<'a> {
    base: std::iter::Peekable<KvIter<'a>>,
    pending: std::iter::Peekable<PendingMerge<'a>>,
    descending: bool,
}

impl<'a> Merge<'a> {
    fn new(base: KvIter<'a>, pending: PendingMerge<'a>, descending: bool) -> Self {
        Self {
            base: base.peekable(),
            pending: pending.peekable(),
            descending,
        }
    }
}

/// Whether key `a` comes before key `b` in an iteration of the given order.
fn before(descending: bool, a: &[u8], b: &[u8]) -> bool {
    if descending {
        a > b
    } else {
        a < b
    }
}

impl Iterator for Merge<'_> {
    type Item = Result<(Vec<u8>, Vec<u8>), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        let descending = self.descending;
        loop {
            let take_pending = match (self.base.peek(), self.pending.peek()) {
                (None, None) => return None,
                (Some(Err(_)), _) => return self.base.next(),
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (Some(Ok((bk, _))), Some((pk, _))) => {
                    if bk == *pk {
                        // The pending change wins; drop the base entry.
                        self.base.next();
                        true
                    } else {
                        before(descending, pk, bk)
                    }
                }
            };
            if take_pending {
                match self.pending.next() {
                    Some((k, Some(v))) => return Some(Ok((k.clone(), v.clone()))),
                    Some((_, None)) => continue,
                    None => return None,
                }
            }
            return self.base.next();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::MemState;
    use proptest::prelude::*;

    fn base(entries: &[(&[u8], &[u8])]) -> Arc<MemState> {
        let mut m = MemState::default();
        for (k, v) in entries {
            m.set(k, v);
        }
        Arc::new(m)
    }

    fn keys(iter: KvIter<'_>) -> Vec<Vec<u8>> {
        iter.map(|r| r.unwrap().0).collect()
    }

    #[test]
    fn a_discarded_layer_leaves_no_trace_and_a_kept_one_survives() {
        let mut o = Overlay::new(base(&[(b"a", b"1")]));
        o.begin();
        o.set(b"b", b"2");
        o.delete(b"a");
        assert_eq!(o.get(b"a").unwrap(), None);
        o.discard();
        assert_eq!(o.get(b"a").unwrap(), Some(b"1".to_vec()));
        assert_eq!(o.get(b"b").unwrap(), None);

        o.begin();
        o.set(b"c", b"3");
        o.begin();
        o.set(b"d", b"4");
        o.keep();
        o.keep();
        assert_eq!(o.depth(), 0);
        assert_eq!(
            o.changes().into_iter().collect::<Vec<_>>(),
            vec![
                (b"c".to_vec(), Some(b"3".to_vec())),
                (b"d".to_vec(), Some(b"4".to_vec()))
            ]
        );
    }

    #[test]
    fn the_access_log_holds_reads_ranges_and_writes_in_order_while_on() {
        let mut o = Overlay::new(base(&[(b"a", b"1")]));
        o.get(b"a").unwrap();
        o.log_accesses();
        o.get(b"a").unwrap();
        o.begin();
        o.set(b"b", b"2");
        o.delete(b"a");
        o.discard();
        drop(o.prefix(b"a").unwrap());
        // An empty range reads nothing.
        drop(
            o.range(Bound::Included(b"z"), Bound::Excluded(b"a"), false)
                .unwrap(),
        );
        assert_eq!(
            o.take_accesses(),
            vec![
                Access::Read(b"a".to_vec()),
                Access::Write(b"b".to_vec()),
                Access::Write(b"a".to_vec()),
                Access::Range(
                    Bound::Included(b"a".to_vec()),
                    Bound::Excluded(b"b".to_vec())
                ),
            ]
        );
        o.get(b"a").unwrap();
        assert_eq!(o.take_accesses(), vec![]);
        o.begin();
        o.set(b"t", b"1");
        o.delete(b"u");
        assert_eq!(o.top_keys().collect::<Vec<_>>(), vec![b"t", b"u"]);
    }

    #[test]
    fn ranges_merge_pending_writes_and_hide_deletes_both_ways() {
        let mut o = Overlay::new(base(&[(b"a", b"1"), (b"c", b"3"), (b"e", b"5")]));
        o.set(b"b", b"2");
        o.delete(b"c");
        o.set(b"e", b"55");
        let up = keys(o.range(Bound::Unbounded, Bound::Unbounded, false).unwrap());
        assert_eq!(up, vec![b"a".to_vec(), b"b".to_vec(), b"e".to_vec()]);
        let down = keys(
            o.range(Bound::Included(b"b"), Bound::Unbounded, true)
                .unwrap(),
        );
        assert_eq!(down, vec![b"e".to_vec(), b"b".to_vec()]);
        assert_eq!(o.get(b"e").unwrap(), Some(b"55".to_vec()));
    }

    proptest! {
        /// The overlay reads exactly like a map that received the same writes.
        #[test]
        fn the_overlay_reads_like_a_plain_map(
            base_entries in prop::collection::btree_map(prop::collection::vec(0u8..4, 1..3), prop::collection::vec(any::<u8>(), 0..2), 0..12),
            writes in prop::collection::vec((prop::collection::vec(0u8..4, 1..3), prop::option::of(prop::collection::vec(any::<u8>(), 0..2)), 0u8..3), 0..30),
            descending in any::<bool>(),
        ) {
            let mut model = base_entries.clone();
            let mut o = Overlay::new(Arc::new(MemState(base_entries)));
            for (key, value, op) in writes {
                match op {
                    0 => o.begin(),
                    1 if o.depth() > 0 => o.keep(),
                    _ => {}
                }
                match &value {
                    Some(v) => { o.set(&key, v); }
                    None => { o.delete(&key); }
                }
                // Layers that stay open still count: the model sees every write.
                match value {
                    Some(v) => { model.insert(key, v); }
                    None => { model.remove(&key); }
                }
            }
            let got: Vec<(Vec<u8>, Vec<u8>)> = o.range(Bound::Unbounded, Bound::Unbounded, descending).unwrap().map(|r| r.unwrap()).collect();
            let mut want: Vec<(Vec<u8>, Vec<u8>)> = model.into_iter().collect();
            if descending { want.reverse(); }
            prop_assert_eq!(got, want);
        }
    }
}
