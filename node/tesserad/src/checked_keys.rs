//! secp256k1 keys this process has already found to be curve points.
//!
//! Checking a compressed key means decompressing it (a square root in the field), and a block
//! did that twice per tx: once for the key in the tx's signer info and once for the same key
//! stored on the account. That was about 6 % of a block's execution in the throughput bench.
//! Being a curve point is a property of the 33 bytes alone, so a key that passed once passes
//! again: remembering the ones that passed changes no result, only the time. Keys that fail are
//! not remembered and are checked in full every time.

use std::sync::LazyLock;

use crate::bounded_set::BoundedSet;

/// Keys kept: far more than the accounts active in a few minutes of blocks (33 bytes per key,
/// twice: about 4.5 MiB).
const CAPACITY: usize = 65_536;

type Key = [u8; 33];

/// The process's keys, shared by every caller of [`crate::crypto::PublicKey::from_compressed`].
pub(crate) static CHECKED_KEYS: LazyLock<CheckedKeys> =
    LazyLock::new(|| CheckedKeys::new(CAPACITY));

pub(crate) struct CheckedKeys {
    keys: BoundedSet<Key>,
}

impl CheckedKeys {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            keys: BoundedSet::new(capacity),
        }
    }

    /// Whether `key` is known to be a curve point; otherwise `check` decides, and a key it
    /// accepts is remembered.
    pub(crate) fn check_with<E>(
        &self,
        key: &Key,
        check: impl FnOnce(&Key) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.keys.contains(key) {
            return Ok(());
        }
        // Outside the lock: the check is the slow part, and two threads checking the same new
        // key at once both insert it, which the set absorbs.
        check(key)?;
        self.keys.insert(*key);
        Ok(())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.keys.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn key(i: u8) -> Key {
        let mut k = [i; 33];
        k[0] = 2;
        k
    }

    #[test]
    fn a_key_that_passed_is_not_checked_again_and_one_that_failed_is() {
        let cache = CheckedKeys::new(8);
        let calls = Cell::new(0);
        let pass = |_: &Key| -> Result<(), ()> {
            calls.set(calls.get() + 1);
            Ok(())
        };
        let fail = |_: &Key| -> Result<(), ()> {
            calls.set(calls.get() + 1);
            Err(())
        };
        assert_eq!(cache.check_with(&key(1), pass), Ok(()));
        assert_eq!(
            cache.check_with(&key(1), fail),
            Ok(()),
            "known: not checked"
        );
        assert_eq!(calls.get(), 1);
        assert_eq!(cache.check_with(&key(2), fail), Err(()));
        assert_eq!(
            cache.check_with(&key(2), fail),
            Err(()),
            "failures are not kept"
        );
        assert_eq!(calls.get(), 3);
    }

    #[test]
    fn the_oldest_key_goes_when_full_and_capacity_zero_keeps_none() {
        let cache = CheckedKeys::new(3);
        for i in 1..=4 {
            cache.check_with(&key(i), |_| Ok::<(), ()>(())).unwrap();
        }
        assert_eq!(cache.len(), 3);
        let recheck = |_: &Key| Err::<(), ()>(());
        assert_eq!(
            cache.check_with(&key(1), recheck),
            Err(()),
            "key 1 was dropped"
        );
        assert_eq!(cache.check_with(&key(4), recheck), Ok(()));

        let off = CheckedKeys::new(0);
        off.check_with(&key(1), |_| Ok::<(), ()>(())).unwrap();
        assert_eq!(off.len(), 0);
        assert_eq!(off.check_with(&key(1), recheck), Err(()));
    }
}
