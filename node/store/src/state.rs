//! Key-value access to state, shared by every module of the node.

use std::ops::Bound;

use thiserror::Error;

#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    #[error("storage backend: {0}")]
    Backend(String),
    #[error("version {version} is not available (oldest {oldest}, latest {latest})")]
    VersionUnavailable {
        version: u64,
        oldest: u64,
        latest: u64,
    },
    #[error("corrupt store: {0}")]
    Corrupt(String),
}

/// An iterator over `(key, value)` pairs in key order (ascending or descending).
pub type KvIter<'a> = Box<dyn Iterator<Item = Result<(Vec<u8>, Vec<u8>), StoreError>> + 'a>;

/// Reading state: point reads and ordered ranges.
pub trait StateRead {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Entries with keys in `(start, end)` bounds, ascending unless `descending`.
    fn range(
        &self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        descending: bool,
    ) -> Result<KvIter<'_>, StoreError>;

    /// Entries whose key starts with `prefix`, ascending.
    fn prefix(&self, prefix: &[u8]) -> Result<KvIter<'_>, StoreError> {
        let end = prefix_end(prefix);
        let upper = match &end {
            Some(end) => Bound::Excluded(end.as_slice()),
            None => Bound::Unbounded,
        };
        // The iterator borrows `end` only during creation: collect the bound into the range.
        let iter = self.range(Bound::Included(prefix), upper, false)?;
        Ok(iter)
    }
}

/// Writing state.
pub trait StateWrite: StateRead {
    fn set(&mut self, key: &[u8], value: &[u8]);
    fn delete(&mut self, key: &[u8]);
}

/// The first key after every key starting with `prefix`, or `None` when there is none
/// (the prefix is empty or all `0xff`).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// An in-memory state: a base for tests and for genesis before the first commit.
#[derive(Debug, Default, Clone)]
pub struct MemState(pub std::collections::BTreeMap<Vec<u8>, Vec<u8>>);

impl StateRead for MemState {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.0.get(key).cloned())
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
        let iter = self
            .0
            .range::<[u8], _>((start, end))
            .map(|(k, v)| Ok((k.clone(), v.clone())));
        Ok(if descending {
            Box::new(iter.rev())
        } else {
            Box::new(iter)
        })
    }
}

impl StateWrite for MemState {
    fn set(&mut self, key: &[u8], value: &[u8]) {
        self.0.insert(key.to_vec(), value.to_vec());
    }

    fn delete(&mut self, key: &[u8]) {
        self.0.remove(key);
    }
}

/// Whether `(start, end)` describes no keys; `BTreeMap::range` panics on inverted bounds, and
/// contracts may ask for them (CosmWasm defines such a range as empty).
pub fn bounds_empty(start: Bound<&[u8]>, end: Bound<&[u8]>) -> bool {
    match (start, end) {
        (Bound::Included(s), Bound::Included(e)) => s > e,
        (Bound::Included(s), Bound::Excluded(e))
        | (Bound::Excluded(s), Bound::Included(e))
        | (Bound::Excluded(s), Bound::Excluded(e)) => s >= e,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_is_the_next_key_after_the_prefix() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
        assert_eq!(prefix_end(b""), None);
    }

    #[test]
    fn inverted_or_empty_ranges_yield_nothing() {
        let mut s = MemState::default();
        s.set(b"a", b"1");
        s.set(b"b", b"2");
        let r: Vec<_> = s
            .range(Bound::Included(b"b"), Bound::Excluded(b"a"), false)
            .unwrap()
            .collect();
        assert!(r.is_empty());
        let p: Vec<_> = s.prefix(b"a").unwrap().map(|r| r.unwrap().0).collect();
        assert_eq!(p, vec![b"a".to_vec()]);
    }
}
