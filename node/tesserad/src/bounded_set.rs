//! A set of at most `capacity` items, shared by threads, that forgets the oldest item first:
//! what the node's memories of checks that passed (signatures, keys) keep.

use std::collections::{HashSet, VecDeque};
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};

pub(crate) struct BoundedSet<T> {
    capacity: usize,
    items: Mutex<Items<T>>,
}

struct Items<T> {
    known: HashSet<T>,
    /// Insertion order: the oldest item goes first when the set is full.
    order: VecDeque<T>,
}

impl<T: Copy + Eq + Hash> BoundedSet<T> {
    /// A set of at most `capacity` items (0: keeps nothing).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            items: Mutex::new(Items {
                known: HashSet::new(),
                order: VecDeque::new(),
            }),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    pub(crate) fn contains(&self, item: &T) -> bool {
        self.items().known.contains(item)
    }

    /// Adds `item`, forgetting the oldest one when the set is full.
    pub(crate) fn insert(&self, item: T) {
        if self.capacity == 0 {
            return;
        }
        let mut items = self.items();
        if !items.known.insert(item) {
            return;
        }
        items.order.push_back(item);
        if items.order.len() > self.capacity {
            if let Some(oldest) = items.order.pop_front() {
                items.known.remove(&oldest);
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.items().known.len()
    }

    fn items(&self) -> MutexGuard<'_, Items<T>> {
        // Both collections change together under the lock, and only ever hold items that
        // passed their check: a panic elsewhere cannot leave a wrong one in the set.
        self.items.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_item_goes_when_full_and_capacity_zero_keeps_none() {
        let set = BoundedSet::new(2);
        for i in 1..=3u8 {
            set.insert(i);
            set.insert(i);
        }
        assert_eq!(set.len(), 2);
        assert!(!set.contains(&1) && set.contains(&2) && set.contains(&3));
        let off = BoundedSet::new(0);
        off.insert(1u8);
        assert_eq!(off.len(), 0);
    }
}
