//! Hashes of committed JMT nodes, kept in memory by node key.
//!
//! An internal node's record holds its own hash, not its children's (see `node_codec`), so
//! loading one reads up to 16 child records (and hashes each leaf child). The tree update of
//! every block and every proof load the same few thousand nodes near the root again and
//! again; this cache answers their children's hashes without those reads.
//!
//! Why a hash, once learned, stays right: a node key names one node for good. Versions only
//! grow, a version's nodes are written once, by that version's commit, and pruning only
//! removes them. The one exception is a write that never commits (a dropped stage, a working
//! hash preview, an aborted restore): the next attempt at that version may write other nodes
//! under the same keys. So a view over a write transaction collects what it learns in a
//! [`Learned`] list, which joins the cache only once that transaction has committed.

use std::collections::HashMap;
use std::sync::Mutex;

/// A node's hash, as its parent records it.
pub(crate) type NodeHash = [u8; 32];

/// Bounded: two generations of at most `capacity / 2` entries each. A lookup that hits the
/// old generation moves the entry to the young one; when the young one fills up it becomes the
/// old one and the old one is dropped. The hot nodes near the root stay, one-off reads age out,
/// and every operation is O(1) (no per-entry recency list).
pub(crate) struct NodeHashCache {
    half: usize,
    generations: Mutex<Generations>,
}

#[derive(Default)]
struct Generations {
    young: HashMap<Box<[u8]>, NodeHash>,
    old: HashMap<Box<[u8]>, NodeHash>,
}

impl NodeHashCache {
    /// A cache of at most `capacity` hashes; 0 turns it off.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            half: capacity / 2,
            generations: Mutex::new(Generations::default()),
        }
    }

    /// The hash of the committed node stored under the encoded `key`, if known.
    pub(crate) fn get(&self, key: &[u8]) -> Option<NodeHash> {
        if self.half == 0 {
            return None;
        }
        let mut g = self.lock();
        if let Some(hash) = g.young.get(key) {
            return Some(*hash);
        }
        let (key, hash) = g.old.remove_entry(key)?;
        self.insert_young(&mut g, key, hash);
        Some(hash)
    }

    /// Records hashes read from committed records, or written by a commit that succeeded.
    pub(crate) fn extend(&self, entries: impl IntoIterator<Item = (Box<[u8]>, NodeHash)>) {
        if self.half == 0 {
            return;
        }
        let mut g = self.lock();
        for (key, hash) in entries {
            self.insert_young(&mut g, key, hash);
        }
    }

    fn insert_young(&self, g: &mut Generations, key: Box<[u8]>, hash: NodeHash) {
        if g.young.len() >= self.half && !g.young.contains_key(&key) {
            g.old = std::mem::take(&mut g.young);
        }
        g.young.insert(key, hash);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Generations> {
        // Every update leaves the maps consistent; a panic elsewhere cannot half-apply one.
        self.generations.lock().unwrap_or_else(|p| p.into_inner())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        let g = self.lock();
        g.young.len() + g.old.len()
    }
}

/// Hashes a view over a write transaction learned: they join the cache only if that
/// transaction commits (see the module docs).
#[derive(Default)]
pub(crate) struct Learned(Mutex<Vec<(Box<[u8]>, NodeHash)>>);

impl Learned {
    pub(crate) fn push(&self, key: Box<[u8]>, hash: NodeHash) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((key, hash));
    }

    pub(crate) fn into_inner(self) -> Vec<(Box<[u8]>, NodeHash)> {
        self.0.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}

/// Where a view puts the hashes it reads from child records.
#[derive(Clone, Copy)]
pub(crate) enum LearnInto<'a> {
    /// Straight into the cache: the view reads committed data only (a read transaction).
    Cache,
    /// Into a list that waits for the view's write transaction to commit.
    Pending(&'a Learned),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u32) -> Box<[u8]> {
        n.to_be_bytes().to_vec().into_boxed_slice()
    }

    #[test]
    fn remembers_what_it_learned() {
        let cache = NodeHashCache::new(8);
        cache.extend([(key(1), [1; 32]), (key(2), [2; 32])]);
        assert_eq!(cache.get(&key(1)), Some([1; 32]));
        assert_eq!(cache.get(&key(2)), Some([2; 32]));
        assert_eq!(cache.get(&key(3)), None);
    }

    #[test]
    fn stays_within_its_capacity_and_keeps_what_is_used() {
        let cache = NodeHashCache::new(100);
        for n in 0..1_000u32 {
            cache.extend([(key(n), [n as u8; 32])]);
            // Key 0 is looked up all the time, like the root's children.
            assert_eq!(cache.get(&key(0)), Some([0; 32]), "after {n} inserts");
            assert!(
                cache.len() <= 100,
                "{} entries after {n} inserts",
                cache.len()
            );
        }
        assert_eq!(
            cache.get(&key(1)),
            None,
            "an entry never looked up again ages out"
        );
        assert_eq!(cache.get(&key(999)), Some([999u32 as u8; 32]));
    }

    #[test]
    fn capacity_zero_turns_it_off() {
        let cache = NodeHashCache::new(0);
        cache.extend([(key(1), [1; 32])]);
        assert_eq!(cache.get(&key(1)), None);
        assert_eq!(cache.len(), 0);
    }
}
