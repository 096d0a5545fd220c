//! Upgrades a state file of layout 1 to today's layout in place, inside one write transaction:
//! a crash or an error leaves the file as it was, and the next open starts over.
//!
//! Layout 1 kept every key's latest value twice (in `state` and in `jmt_values`) and stored
//! jmt's borsh node keys and nodes in `jmt_nodes` and `stale_nodes`. The upgrade re-encodes the
//! nodes into `tree_nodes` and `stale_tree_nodes`, moves each latest value's version into its
//! `state` entry and drops the copy in `jmt_values`. Roots, values and proofs stay the same.

use jmt::storage::{Node, NodeKey};
use jmt::KeyHash;
use redb::{ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction};
use sha2::Sha256;

use crate::node_codec::{encode_node, encode_node_key};
use crate::state::StoreError;
use crate::tables::{
    backend, encode_latest, newest_value_entry, stale_node_key, value_key, FLAT, NODES,
    STALE_NODES, VALUES,
};

const OLD_NODES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jmt_nodes");
const OLD_STALE_NODES: TableDefinition<&[u8], ()> = TableDefinition::new("stale_nodes");

/// `state` entries rewritten per batch: the table cannot be read and written at once.
const BATCH: usize = 10_000;

/// What the upgrade rewrote.
#[derive(Debug, Default)]
pub(crate) struct Upgraded {
    pub nodes: u64,
    pub latest_values: u64,
}

pub(crate) fn layout_1_to_2(txn: &WriteTransaction) -> Result<Upgraded, StoreError> {
    let mut done = Upgraded::default();
    {
        let old = txn
            .open_table(OLD_NODES)
            .map_err(backend("opening layout 1's nodes"))?;
        let mut new = txn
            .open_table(NODES)
            .map_err(backend("opening jmt nodes"))?;
        for entry in old.iter().map_err(backend("reading layout 1's nodes"))? {
            let (key, node) = entry.map_err(backend("reading layout 1's nodes"))?;
            let key: NodeKey = borsh::from_slice(key.value())
                .map_err(|e| StoreError::Corrupt(format!("a layout 1 node key: {e}")))?;
            let node: Node = borsh::from_slice(node.value())
                .map_err(|e| StoreError::Corrupt(format!("layout 1 node {key:?}: {e}")))?;
            new.insert(
                encode_node_key(&key)?.as_slice(),
                encode_node(key.version(), &node)?.as_slice(),
            )
            .map_err(backend("writing a jmt node"))?;
            done.nodes += 1;
        }

        let old = txn
            .open_table(OLD_STALE_NODES)
            .map_err(backend("opening layout 1's stale nodes"))?;
        let mut new = txn
            .open_table(STALE_NODES)
            .map_err(backend("opening stale nodes"))?;
        for entry in old
            .iter()
            .map_err(backend("reading layout 1's stale nodes"))?
        {
            let (index, _) = entry.map_err(backend("reading layout 1's stale nodes"))?;
            let index = index.value();
            let (since, key) = index.split_at_checked(8).ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "a layout 1 stale node index of {} bytes",
                    index.len()
                ))
            })?;
            let since = u64::from_be_bytes(since.try_into().expect("8 bytes"));
            let key: NodeKey = borsh::from_slice(key)
                .map_err(|e| StoreError::Corrupt(format!("a layout 1 stale node key: {e}")))?;
            new.insert(
                stale_node_key(since, &encode_node_key(&key)?).as_slice(),
                (),
            )
            .map_err(backend("indexing a stale node"))?;
        }
    }
    txn.delete_table(OLD_NODES)
        .map_err(backend("dropping layout 1's nodes"))?;
    txn.delete_table(OLD_STALE_NODES)
        .map_err(backend("dropping layout 1's stale nodes"))?;

    let mut flat = txn.open_table(FLAT).map_err(backend("opening state"))?;
    let mut values = txn
        .open_table(VALUES)
        .map_err(backend("opening jmt values"))?;
    let total = flat.len().map_err(backend("counting state"))?;
    let mut after: Option<Vec<u8>> = None;
    loop {
        let batch: Vec<(Vec<u8>, Vec<u8>)> = {
            let range = match &after {
                None => flat.range::<&[u8]>(..),
                Some(last) => flat.range::<&[u8]>((
                    std::ops::Bound::Excluded(last.as_slice()),
                    std::ops::Bound::Unbounded,
                )),
            }
            .map_err(backend("reading state"))?;
            range
                .take(BATCH)
                .map(|e| e.map(|(k, v)| (k.value().to_vec(), v.value().to_vec())))
                .collect::<Result<_, _>>()
                .map_err(backend("reading state"))?
        };
        let Some((last, _)) = batch.last() else { break };
        after = Some(last.clone());
        for (key, value) in batch {
            let key_hash = KeyHash::with::<Sha256>(&key);
            let version = match newest_value_entry(&values, &key_hash, u64::MAX)? {
                Some((version, Some(versioned))) if versioned == value => version,
                other => {
                    return Err(StoreError::Corrupt(format!(
                        "layout 1 state of key {key:02x?} has no matching versioned value \
                         (found {:?})",
                        other.map(|(v, value)| (v, value.is_some()))
                    )))
                }
            };
            values
                .remove(&value_key(&key_hash, version)[..])
                .map_err(backend("dropping a duplicate value"))?;
            flat.insert(key.as_slice(), encode_latest(version, &value).as_slice())
                .map_err(backend("writing state"))?;
            done.latest_values += 1;
        }
    }
    if done.latest_values != total {
        return Err(StoreError::Corrupt(format!(
            "layout 1 state has {total} entries, {} upgraded",
            done.latest_values
        )));
    }
    Ok(done)
}
