//! The redb tables of the store and the byte layouts of their keys and values.
//!
//! Every integer inside a key is big-endian so that redb's byte order is numeric order: a
//! reverse range over `key_hash ++ version` finds the newest value at or below a version, and a
//! forward range over `stale_since ++ …` finds everything prunable up to a version.
//!
//! | table              | key                                        | value                    |
//! |--------------------|--------------------------------------------|--------------------------|
//! | `meta`             | name (`"latest_version"`, …)               | bytes (see below)        |
//! | `roots`            | version (u64)                              | 32-byte JMT root         |
//! | `tree_nodes`       | node key (see `node_codec`)                | node (see `node_codec`)  |
//! | `jmt_values`       | key hash (32) ++ version (8, BE)           | 0 (deleted) / 1 ++ value |
//! | `preimages`        | key hash (32)                              | key                      |
//! | `state`            | key                                        | version (8, BE) ++ value |
//! | `stale_tree_nodes` | stale since (8, BE) ++ node key            | ()                       |
//! | `stale_values`     | stale since (8, BE) ++ key hash ++ version | ()                       |
//!
//! Every value is stored once: a key's latest value (and the version that wrote it) lives in
//! `state` only, where snapshots read it; `jmt_values` holds the values it superseded and the
//! markers of deletions, for as long as a kept version can read them. A read at a version
//! takes the latest value if it is no newer than that version, the newest older entry if not.

use std::fmt::Display;
use std::ops::Bound;

use jmt::storage::{HasPreimage, LeafNode, NibblePath, Node, NodeKey, TreeReader};

use crate::hash_cache::{LearnInto, NodeHashCache};
use crate::node_codec::{decode_node, encode_node_key, stored_hash};
use jmt::{KeyHash, OwnedValue, Version};
use redb::{ReadOnlyTable, ReadTransaction, ReadableTable, TableDefinition};

use crate::state::StoreError;

/// Small named values: the latest version, its root, the pruning floor, the layout version.
pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// The JMT root of every version still available.
pub(crate) const ROOTS: TableDefinition<u64, &[u8]> = TableDefinition::new("roots");
/// Named apart from layout 1's `jmt_nodes`, whose keys and nodes were borsh: the migration
/// reads one table while it writes the other.
pub(crate) const NODES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("tree_nodes");
pub(crate) const VALUES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jmt_values");
/// Key hash → key: ics23 proofs carry keys, the tree knows only their hashes.
pub(crate) const PREIMAGES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("preimages");
/// The latest state, ordered by key: what snapshots read and iterate.
pub(crate) const FLAT: TableDefinition<&[u8], &[u8]> = TableDefinition::new("state");
pub(crate) const STALE_NODES: TableDefinition<&[u8], ()> = TableDefinition::new("stale_tree_nodes");
pub(crate) const STALE_VALUES: TableDefinition<&[u8], ()> = TableDefinition::new("stale_values");

pub(crate) const META_LATEST_VERSION: &str = "latest_version";
pub(crate) const META_LATEST_ROOT: &str = "latest_root";
/// Versions below this were (or are being) pruned: reopening with a larger `keep_versions`
/// must not promise them again.
pub(crate) const META_PRUNED_BELOW: &str = "pruned_below";
pub(crate) const META_FORMAT: &str = "format";
/// Where the next repacking slice of the `state` table starts.
pub(crate) const META_REPACK_STATE: &str = "repack_state";
/// Bumped when the layout above changes incompatibly. Layout 1 (until 2026-12) kept every
/// latest value twice and jmt's borsh node forms.
pub(crate) const FORMAT: u8 = 2;

const HASH_LEN: usize = 32;
const VERSION_LEN: usize = 8;
/// `key_hash ++ version`.
const VALUE_KEY_LEN: usize = HASH_LEN + VERSION_LEN;

const DELETED: u8 = 0;
const PRESENT: u8 = 1;

/// Builds an error mapper that keeps the context of the failed operation.
pub(crate) fn backend<E: Display>(context: &'static str) -> impl FnOnce(E) -> StoreError {
    move |e| StoreError::Backend(format!("{context}: {e}"))
}

/// jmt reports through `anyhow`; a `StoreError` raised by our reader comes back unchanged.
pub(crate) fn from_jmt(context: &'static str, e: anyhow::Error) -> StoreError {
    match e.downcast_ref::<StoreError>() {
        Some(inner) => inner.clone(),
        None => StoreError::Backend(format!("{context}: {e:#}")),
    }
}

pub(crate) fn be_version(bytes: &[u8], what: &str) -> Result<u64, StoreError> {
    let arr: [u8; 8] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("{what}: {} bytes, want 8", bytes.len())))?;
    Ok(u64::from_be_bytes(arr))
}

pub(crate) fn hash32(bytes: &[u8], what: &str) -> Result<[u8; 32], StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("{what}: {} bytes, want 32", bytes.len())))
}

pub(crate) fn value_key(key_hash: &KeyHash, version: Version) -> [u8; VALUE_KEY_LEN] {
    let mut k = [0u8; VALUE_KEY_LEN];
    k[..HASH_LEN].copy_from_slice(&key_hash.0);
    k[HASH_LEN..].copy_from_slice(&version.to_be_bytes());
    k
}

pub(crate) fn encode_value(value: Option<&[u8]>) -> Vec<u8> {
    match value {
        None => vec![DELETED],
        Some(v) => {
            let mut out = Vec::with_capacity(1 + v.len());
            out.push(PRESENT);
            out.extend_from_slice(v);
            out
        }
    }
}

pub(crate) fn decode_value(bytes: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
    match bytes.split_first() {
        Some((&DELETED, [])) => Ok(None),
        Some((&PRESENT, rest)) => Ok(Some(rest.to_vec())),
        _ => Err(corrupt_value(bytes)),
    }
}

fn corrupt_value(bytes: &[u8]) -> StoreError {
    StoreError::Corrupt(format!(
        "jmt value entry with flag {:?} and {} bytes",
        bytes.first(),
        bytes.len()
    ))
}

/// `stale_since ++ key_hash ++ version`: the value entry `(key_hash, version)` is superseded
/// (or, for a deletion marker, no longer needed) by versions from `stale_since` on.
pub(crate) fn stale_value_key(
    stale_since: Version,
    key_hash: &KeyHash,
    version: Version,
) -> [u8; VERSION_LEN + VALUE_KEY_LEN] {
    let mut k = [0u8; VERSION_LEN + VALUE_KEY_LEN];
    k[..VERSION_LEN].copy_from_slice(&stale_since.to_be_bytes());
    k[VERSION_LEN..].copy_from_slice(&value_key(key_hash, version));
    k
}

pub(crate) fn stale_node_key(stale_since: Version, node_key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(VERSION_LEN + node_key.len());
    k.extend_from_slice(&stale_since.to_be_bytes());
    k.extend_from_slice(node_key);
    k
}

/// The first stale-index key past every entry stale since `version` or earlier.
pub(crate) fn stale_upper_bound(version: Version) -> [u8; VERSION_LEN] {
    version.saturating_add(1).to_be_bytes()
}

/// A parsed stale-value index key.
pub(crate) struct StaleValue<'a> {
    /// The value-table key it names: `key_hash ++ version`.
    pub target: &'a [u8],
    pub key_hash: KeyHash,
    /// Whether the entry is a deletion marker retired at its own version (rather than an
    /// entry superseded by a newer one).
    pub is_own_marker: bool,
}

pub(crate) fn parse_stale_value(index_key: &[u8]) -> Result<StaleValue<'_>, StoreError> {
    if index_key.len() != VERSION_LEN + VALUE_KEY_LEN {
        return Err(StoreError::Corrupt(format!(
            "stale value index key of {} bytes",
            index_key.len()
        )));
    }
    let (stale_since, target) = index_key.split_at(VERSION_LEN);
    let (key_hash, version) = target.split_at(HASH_LEN);
    Ok(StaleValue {
        target,
        key_hash: KeyHash(hash32(key_hash, "stale value key hash")?),
        is_own_marker: stale_since == version,
    })
}

pub(crate) fn stale_node_target(index_key: &[u8]) -> Result<&[u8], StoreError> {
    if index_key.len() <= VERSION_LEN {
        return Err(StoreError::Corrupt(format!(
            "stale node index key of {} bytes",
            index_key.len()
        )));
    }
    Ok(&index_key[VERSION_LEN..])
}

/// The key of the root node of `version` (the node at the empty nibble path).
pub(crate) fn root_node_key(version: Version) -> NodeKey {
    NodeKey::new(version, NibblePath::from_iter(std::iter::empty()))
}

/// A `state` entry: the version that wrote the key's latest value, and the value.
pub(crate) fn encode_latest(version: Version, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(VERSION_LEN + value.len());
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(value);
    out
}

pub(crate) fn decode_latest(bytes: &[u8]) -> Result<(Version, &[u8]), StoreError> {
    if bytes.len() <= VERSION_LEN {
        return Err(StoreError::Corrupt(format!(
            "state entry of {} bytes (a version and a non-empty value expected)",
            bytes.len()
        )));
    }
    let (version, value) = bytes.split_at(VERSION_LEN);
    Ok((be_version(version, "state entry version")?, value))
}

/// The latest value of `key` and the version that wrote it.
pub(crate) fn latest_entry<T>(
    flat: &T,
    key: &[u8],
) -> Result<Option<(Version, Vec<u8>)>, StoreError>
where
    T: ReadableTable<&'static [u8], &'static [u8]>,
{
    let Some(bytes) = flat.get(key).map_err(backend("reading state"))? else {
        return Ok(None);
    };
    let (version, value) = decode_latest(bytes.value())?;
    Ok(Some((version, value.to_vec())))
}

/// The value of `key` (whose hash is `key_hash`) at `version`: the latest value when it is no
/// newer, otherwise the newest superseded entry at or below `version`.
pub(crate) fn value_at<T>(
    flat: &T,
    values: &T,
    key: &[u8],
    key_hash: &KeyHash,
    version: Version,
) -> Result<Option<Vec<u8>>, StoreError>
where
    T: ReadableTable<&'static [u8], &'static [u8]>,
{
    if let Some((written, value)) = latest_entry(flat, key)? {
        if written <= version {
            return Ok(Some(value));
        }
    }
    Ok(newest_value_entry(values, key_hash, version)?.and_then(|(_, v)| v))
}

/// A versioned value entry: the version that wrote it and the value (`None` = deleted).
pub(crate) type ValueEntry = (Version, Option<Vec<u8>>);

/// The newest entry of `key_hash` at or below `max_version`.
pub(crate) fn newest_value_entry<T>(
    values: &T,
    key_hash: &KeyHash,
    max_version: Version,
) -> Result<Option<ValueEntry>, StoreError>
where
    T: ReadableTable<&'static [u8], &'static [u8]>,
{
    newest_entry_with(values, key_hash, max_version, decode_value)
}

/// Like [`newest_value_entry`], but says only whether the entry holds a value, without
/// copying it: what commits and pruning need.
pub(crate) fn newest_value_presence<T>(
    values: &T,
    key_hash: &KeyHash,
    max_version: Version,
) -> Result<Option<(Version, bool)>, StoreError>
where
    T: ReadableTable<&'static [u8], &'static [u8]>,
{
    newest_entry_with(values, key_hash, max_version, |bytes| match bytes {
        [PRESENT, ..] => Ok(true),
        [DELETED] => Ok(false),
        _ => Err(corrupt_value(bytes)),
    })
}

fn newest_entry_with<T, R>(
    values: &T,
    key_hash: &KeyHash,
    max_version: Version,
    decode: impl FnOnce(&[u8]) -> Result<R, StoreError>,
) -> Result<Option<(Version, R)>, StoreError>
where
    T: ReadableTable<&'static [u8], &'static [u8]>,
{
    let lo = value_key(key_hash, 0);
    let hi = value_key(key_hash, max_version);
    let mut range = values
        .range::<&[u8]>((Bound::Included(&lo[..]), Bound::Included(&hi[..])))
        .map_err(backend("reading jmt values"))?;
    match range.next_back() {
        None => Ok(None),
        Some(entry) => {
            let (k, v) = entry.map_err(backend("reading jmt values"))?;
            let version = be_version(&k.value()[HASH_LEN..], "jmt value key")?;
            Ok(Some((version, decode(v.value())?)))
        }
    }
}

/// The JMT's view of the store: over a read transaction's tables for queries and proofs, over
/// the write transaction's tables while a commit computes the new tree.
pub(crate) struct TreeView<'t, T> {
    pub nodes: &'t T,
    pub values: &'t T,
    pub preimages: &'t T,
    pub flat: &'t T,
    /// Child hashes known without reading the child's record.
    pub hashes: &'t NodeHashCache,
    /// Where the child hashes this view reads go (see [`LearnInto`]).
    pub learn: LearnInto<'t>,
}

/// The tables a [`TreeView`] reads, opened in one read transaction (committed data only, so
/// its view puts the hashes it learns straight into the cache).
pub(crate) struct ReadTables {
    nodes: ReadOnlyTable<&'static [u8], &'static [u8]>,
    values: ReadOnlyTable<&'static [u8], &'static [u8]>,
    preimages: ReadOnlyTable<&'static [u8], &'static [u8]>,
    flat: ReadOnlyTable<&'static [u8], &'static [u8]>,
}

impl ReadTables {
    pub(crate) fn open(txn: &ReadTransaction) -> Result<Self, StoreError> {
        Ok(Self {
            nodes: txn
                .open_table(NODES)
                .map_err(backend("opening jmt nodes"))?,
            values: txn
                .open_table(VALUES)
                .map_err(backend("opening jmt values"))?,
            preimages: txn
                .open_table(PREIMAGES)
                .map_err(backend("opening preimages"))?,
            flat: txn.open_table(FLAT).map_err(backend("opening state"))?,
        })
    }

    pub(crate) fn view<'t>(
        &'t self,
        hashes: &'t NodeHashCache,
    ) -> TreeView<'t, ReadOnlyTable<&'static [u8], &'static [u8]>> {
        TreeView {
            nodes: &self.nodes,
            values: &self.values,
            preimages: &self.preimages,
            flat: &self.flat,
            hashes,
            learn: LearnInto::Cache,
        }
    }
}

impl<T> TreeReader for TreeView<'_, T>
where
    T: ReadableTable<&'static [u8], &'static [u8]>,
{
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let key = encode_node_key(node_key)?;
        let Some(bytes) = self
            .nodes
            .get(key.as_slice())
            .map_err(backend("reading a jmt node"))?
        else {
            return Ok(None);
        };
        let child_hash = |child: &NodeKey| {
            let key = encode_node_key(child)?;
            if let Some(hash) = self.hashes.get(&key) {
                return Ok(hash);
            }
            let record = self
                .nodes
                .get(key.as_slice())
                .map_err(backend("reading a jmt node"))?
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "jmt node {child:?} (a child of {node_key:?}) is missing"
                    ))
                })?;
            let hash = stored_hash(record.value())?;
            let key = key.into_boxed_slice();
            match self.learn {
                LearnInto::Cache => self.hashes.extend([(key, hash)]),
                LearnInto::Pending(learned) => learned.push(key, hash),
            }
            Ok(hash)
        };
        Ok(Some(decode_node(node_key, bytes.value(), child_hash)?))
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        // A key without a preimage has no entries left in any kept version.
        let Some(key) = self.preimage(key_hash)? else {
            return Ok(None);
        };
        Ok(value_at(
            self.flat,
            self.values,
            &key,
            &key_hash,
            max_version,
        )?)
    }

    /// Only jmt's state-sync restore asks for this, and the store does not use restore.
    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        Err(StoreError::Backend("jmt restore (get_rightmost_leaf) is not supported".into()).into())
    }
}

impl<T> HasPreimage for TreeView<'_, T>
where
    T: ReadableTable<&'static [u8], &'static [u8]>,
{
    fn preimage(&self, key_hash: KeyHash) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self
            .preimages
            .get(&key_hash.0[..])
            .map_err(backend("reading a key preimage"))?
            .map(|g| g.value().to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_entries_round_trip_and_reject_garbage() {
        assert_eq!(decode_value(&encode_value(None)).unwrap(), None);
        assert_eq!(
            decode_value(&encode_value(Some(b"v"))).unwrap(),
            Some(b"v".to_vec())
        );
        assert_eq!(
            decode_value(&encode_value(Some(b""))).unwrap(),
            Some(vec![])
        );
        assert!(decode_value(&[]).is_err());
        assert!(decode_value(&[0, 1]).is_err());
        assert!(decode_value(&[7]).is_err());
    }

    #[test]
    fn the_root_node_key_has_the_version_and_an_empty_path() {
        let key = root_node_key(42);
        assert_eq!(key.version(), 42);
        assert_eq!(key.nibble_path().num_nibbles(), 0);
    }

    #[test]
    fn stale_keys_sort_by_the_version_they_became_stale() {
        let kh = KeyHash([0xff; 32]);
        let early = stale_value_key(3, &kh, 2);
        let late = stale_value_key(4, &KeyHash([0; 32]), 0);
        assert!(early < late);
        assert!(early[..] < stale_upper_bound(3)[..]);
        assert!(late[..] >= stale_upper_bound(3)[..]);
        let parsed = parse_stale_value(&early).unwrap();
        assert_eq!(parsed.target, &value_key(&kh, 2)[..]);
        assert_eq!(parsed.key_hash, kh);
        assert!(!parsed.is_own_marker);
        assert!(
            parse_stale_value(&stale_value_key(5, &kh, 5))
                .unwrap()
                .is_own_marker
        );
        assert!(parse_stale_value(&early[1..]).is_err());
    }
}
