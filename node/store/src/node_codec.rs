//! The byte layouts of JMT node keys and nodes on disk (store layout 2).
//!
//! The tree's hashes do not depend on these layouts (jmt hashes children, not bytes), so they
//! are free to be compact; they are about a third smaller than jmt's borsh forms, which carry
//! a tag byte for every empty child slot, a fixed 8-byte version and leaf count per child and
//! a little-endian version in every key.
//!
//! - Node key: `version (8, BE) ++ nibble count (1) ++ nibbles packed two per byte`. The
//!   version comes first and big-endian, so a version's nodes are written next to each other
//!   at the end of the table and pruning removes them from its front: pages stay full.
//! - Null node: `0`.
//! - Leaf node: `1 ++ key hash (32) ++ value hash (32)`.
//! - Internal node: `2 ++ children bitmap (2, BE) ++ leaf-children bitmap (2, BE)`, then for
//!   each child in nibble order: `hash (32) ++ varint(node version - child version)`, and
//!   `++ varint(leaf count)` for a child that is an internal node. A child is never newer
//!   than its parent (jmt rewrites the parent whenever a child changes), so the distance is
//!   a small number for the children that change often.

use jmt::storage::{Node, NodeKey};
use jmt::Version;

use crate::state::StoreError;

const NULL: u8 = 0;
const LEAF: u8 = 1;
const INTERNAL: u8 = 2;
const HASH_LEN: usize = 32;
/// The deepest path a 32-byte key hash has, in nibbles.
const MAX_NIBBLES: usize = 64;

/// jmt keeps its internal-node types private; nodes cross its API only whole or as borsh, so
/// the codec translates between borsh's layout and ours. Borsh writes `Node` as its variant
/// index (these), an internal node as 16 `Option<Child>` slots (`0`, or `1 ++ hash ++ version
/// (u64 LE) ++ node type`: `0` leaf, `1 ++ leaf count (u64 LE)` internal), then the number of
/// children and the leaf count (u64 LE each); a leaf as its two hashes.
mod borsh_layout {
    pub const NULL: u8 = 0;
    pub const INTERNAL: u8 = 1;
    pub const LEAF: u8 = 2;
    pub const CHILD_LEAF: u8 = 0;
    pub const CHILD_INTERNAL: u8 = 1;
}

pub(crate) fn encode_node_key(key: &NodeKey) -> Result<Vec<u8>, StoreError> {
    let path = key.nibble_path();
    let count = path.num_nibbles();
    if count > MAX_NIBBLES {
        return Err(StoreError::Backend(format!(
            "a jmt node path of {count} nibbles (at most {MAX_NIBBLES})"
        )));
    }
    let mut out = Vec::with_capacity(9 + count.div_ceil(2));
    out.extend_from_slice(&key.version().to_be_bytes());
    out.push(count as u8);
    let mut pending: Option<u8> = None;
    for nibble in path.nibbles() {
        let nibble = u8::from(nibble);
        match pending.take() {
            None => pending = Some(nibble << 4),
            Some(high) => out.push(high | nibble),
        }
    }
    out.extend(pending);
    Ok(out)
}

/// Encodes `node`, stored under a key of `version` (the children's versions are kept as
/// distances from it).
pub(crate) fn encode_node(version: Version, node: &Node) -> Result<Vec<u8>, StoreError> {
    let borsh = borsh::to_vec(node)
        .map_err(|e| StoreError::Backend(format!("encoding a jmt node: {e}")))?;
    let bad =
        |why: &str| StoreError::Backend(format!("encoding a jmt node of version {version}: {why}"));
    let mut reader = Reader { bytes: &borsh };
    let [tag] = reader.array()?;
    match tag {
        borsh_layout::NULL => Ok(vec![NULL]),
        borsh_layout::LEAF => {
            let mut out = Vec::with_capacity(1 + 2 * HASH_LEN);
            out.push(LEAF);
            out.extend_from_slice(&reader.array::<{ 2 * HASH_LEN }>()?);
            Ok(out)
        }
        borsh_layout::INTERNAL => {
            let mut present = 0u16;
            let mut leaves = 0u16;
            let mut body = Vec::with_capacity(16 * (HASH_LEN + 4));
            for nibble in 0..16 {
                let [slot] = reader.array()?;
                if slot == 0 {
                    continue;
                }
                let bit = 1u16 << nibble;
                present |= bit;
                body.extend_from_slice(&reader.array::<HASH_LEN>()?);
                let child_version = u64::from_le_bytes(reader.array()?);
                let distance = version
                    .checked_sub(child_version)
                    .ok_or_else(|| bad(&format!("a child of version {child_version}")))?;
                put_varint(&mut body, distance);
                match reader.array()? {
                    [borsh_layout::CHILD_LEAF] => leaves |= bit,
                    [borsh_layout::CHILD_INTERNAL] => {
                        put_varint(&mut body, u64::from_le_bytes(reader.array()?))
                    }
                    [other] => return Err(bad(&format!("child type {other}"))),
                }
            }
            // The number of children and the leaf count follow from the children.
            let _: [u8; 16] = reader.array()?;
            let mut out = Vec::with_capacity(5 + body.len());
            out.push(INTERNAL);
            out.extend_from_slice(&present.to_be_bytes());
            out.extend_from_slice(&leaves.to_be_bytes());
            out.extend_from_slice(&body);
            Ok(out)
        }
        other => Err(bad(&format!("borsh tag {other}"))),
    }
}

/// Decodes a node stored under a key of `version`. Malformed bytes are a corrupt store, never
/// a panic.
pub(crate) fn decode_node(version: Version, bytes: &[u8]) -> Result<Node, StoreError> {
    let corrupt = |why: &str| StoreError::Corrupt(format!("jmt node of version {version}: {why}"));
    let (&tag, rest) = bytes.split_first().ok_or_else(|| corrupt("no bytes"))?;
    let borsh = match tag {
        NULL if rest.is_empty() => vec![borsh_layout::NULL],
        LEAF if rest.len() == 2 * HASH_LEN => [&[borsh_layout::LEAF][..], rest].concat(),
        INTERNAL => {
            let mut reader = Reader { bytes: rest };
            let present = u16::from_be_bytes(reader.array()?);
            let leaves = u16::from_be_bytes(reader.array()?);
            if present == 0 {
                return Err(corrupt("an internal node without children"));
            }
            if leaves & !present != 0 {
                return Err(corrupt("a leaf flag on an absent child"));
            }
            if present.count_ones() == 1 && leaves != 0 {
                return Err(corrupt("an internal node whose only child is a leaf"));
            }
            let mut out = Vec::with_capacity(1 + 16 * 50 + 16);
            out.push(borsh_layout::INTERNAL);
            let mut leaf_count = 0u64;
            for nibble in 0..16 {
                let bit = 1u16 << nibble;
                if present & bit == 0 {
                    out.push(0);
                    continue;
                }
                out.push(1);
                out.extend_from_slice(&reader.array::<HASH_LEN>()?);
                let distance = reader.varint()?;
                let child_version = version
                    .checked_sub(distance)
                    .ok_or_else(|| corrupt("a child older than version 0"))?;
                out.extend_from_slice(&child_version.to_le_bytes());
                if leaves & bit != 0 {
                    out.push(borsh_layout::CHILD_LEAF);
                    leaf_count += 1;
                } else {
                    let count = reader.varint()?;
                    out.push(borsh_layout::CHILD_INTERNAL);
                    out.extend_from_slice(&count.to_le_bytes());
                    leaf_count = leaf_count
                        .checked_add(count)
                        .ok_or_else(|| corrupt("a leaf count past u64"))?;
                }
            }
            if !reader.bytes.is_empty() {
                return Err(corrupt("bytes after the last child"));
            }
            out.extend_from_slice(&u64::from(present.count_ones()).to_le_bytes());
            out.extend_from_slice(&leaf_count.to_le_bytes());
            out
        }
        _ => return Err(corrupt(&format!("tag {tag} with {} bytes", rest.len()))),
    };
    borsh::from_slice(&borsh).map_err(|e| corrupt(&e.to_string()))
}

/// LEB128: 7 bits per byte, low bits first.
fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn array<const N: usize>(&mut self) -> Result<[u8; N], StoreError> {
        if self.bytes.len() < N {
            return Err(StoreError::Corrupt(format!(
                "jmt node ends {} bytes early",
                N - self.bytes.len()
            )));
        }
        let (head, rest) = self.bytes.split_at(N);
        self.bytes = rest;
        Ok(head.try_into().expect("split at N"))
    }

    fn varint(&mut self) -> Result<u64, StoreError> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let [byte] = self.array::<1>()?;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(StoreError::Corrupt(
                    "a varint past u64 in a jmt node".into(),
                ));
            }
            n |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(StoreError::Corrupt(
            "a varint past u64 in a jmt node".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jmt::storage::{LeafNode, NibblePath};
    use jmt::{KeyHash, ValueHash};
    use proptest::prelude::*;

    fn leaf(n: u8) -> Node {
        Node::Leaf(LeafNode::new(KeyHash([n; 32]), ValueHash([n ^ 0xff; 32])))
    }

    /// An internal node built the only way jmt lets outsiders build one: from its borsh form.
    /// Children are `(nibble, version, None)` for leaves, `Some(leaf count)` for subtrees.
    fn internal(children: &[(u8, u64, Option<u64>)]) -> Node {
        let mut slots: [Option<(u64, Option<u64>)>; 16] = [None; 16];
        for &(nibble, version, leaf_count) in children {
            slots[nibble as usize] = Some((version, leaf_count));
        }
        let mut b = vec![borsh_layout::INTERNAL];
        let mut total = 0;
        for (nibble, slot) in slots.iter().enumerate() {
            match slot {
                None => b.push(0),
                Some((version, leaf_count)) => {
                    b.push(1);
                    b.extend_from_slice(&[nibble as u8; 32]);
                    b.extend_from_slice(&version.to_le_bytes());
                    match leaf_count {
                        None => {
                            b.push(borsh_layout::CHILD_LEAF);
                            total += 1;
                        }
                        Some(n) => {
                            b.push(borsh_layout::CHILD_INTERNAL);
                            b.extend_from_slice(&n.to_le_bytes());
                            total += n;
                        }
                    }
                }
            }
        }
        b.extend_from_slice(&(children.len() as u64).to_le_bytes());
        b.extend_from_slice(&total.to_le_bytes());
        borsh::from_slice(&b).unwrap()
    }

    #[test]
    fn nodes_round_trip() {
        let full: Vec<_> = (0..16).map(|n| (n, 1_000 + n as u64, None)).collect();
        let nodes = [
            Node::Null,
            leaf(7),
            internal(&[(0, 3, None), (15, 9, Some(300))]),
            internal(&[(4, 0, Some(2))]),
            internal(&full),
        ];
        for node in nodes {
            let bytes = encode_node(1_015, &node).unwrap();
            assert_eq!(decode_node(1_015, &bytes).unwrap(), node);
        }
    }

    #[test]
    fn a_full_internal_node_is_much_smaller_than_borsh() {
        let node = internal(&(0..16).map(|n| (n, 990, Some(50_000))).collect::<Vec<_>>());
        let ours = encode_node(1_000, &node).unwrap().len();
        let borsh = borsh::to_vec(&node).unwrap().len();
        assert_eq!(ours, 5 + 16 * (32 + 1 + 3));
        assert_eq!(borsh, 1 + 16 * (1 + 32 + 8 + 1 + 8) + 16);
        assert_eq!(encode_node(1_000, &leaf(1)).unwrap().len(), 65);
    }

    #[test]
    fn a_child_newer_than_its_node_is_refused() {
        let node = internal(&[(1, 11, None), (2, 3, None)]);
        assert!(encode_node(10, &node).is_err());
    }

    #[test]
    fn malformed_nodes_are_corrupt_not_panics() {
        let good = encode_node(50, &internal(&[(0, 3, None), (15, 9, Some(300))])).unwrap();
        for cut in 0..good.len() {
            assert!(decode_node(50, &good[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(decode_node(50, &longer).is_err());
        // No children; a leaf flag on an absent child; a lone leaf child; unknown tag; Null
        // with a payload; a short leaf; a child older than version 0.
        for bad in [
            vec![INTERNAL, 0, 0, 0, 0],
            vec![INTERNAL, 0, 1, 0, 2],
            [vec![INTERNAL, 0, 1, 0, 1], vec![0; 32], vec![0]].concat(),
            vec![9],
            vec![NULL, 0],
            [vec![LEAF], vec![0; 63]].concat(),
            [
                vec![INTERNAL, 0, 3, 0, 3],
                vec![0; 32],
                vec![60],
                vec![0; 32],
                vec![0],
            ]
            .concat(),
        ] {
            assert!(decode_node(50, &bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn node_keys_sort_by_version_first() {
        let path = |nibbles: &[u8]| NibblePath::from_iter(nibbles.iter().map(|&n| n.into()));
        let a = encode_node_key(&NodeKey::new(255, path(&[0xf, 0xf, 0xf]))).unwrap();
        let b = encode_node_key(&NodeKey::new(256, path(&[]))).unwrap();
        assert!(a < b);
        assert_eq!(a, vec![0, 0, 0, 0, 0, 0, 0, 255, 3, 0xff, 0xf0]);
        // The nibble count tells `1` from `10`.
        assert_ne!(
            encode_node_key(&NodeKey::new(1, path(&[1]))).unwrap(),
            encode_node_key(&NodeKey::new(1, path(&[1, 0]))).unwrap()
        );
    }

    proptest! {
        #[test]
        fn varints_round_trip(n in any::<u64>()) {
            let mut out = Vec::new();
            put_varint(&mut out, n);
            let mut reader = Reader { bytes: &out };
            prop_assert_eq!(reader.varint().unwrap(), n);
            prop_assert!(reader.bytes.is_empty());
        }

        #[test]
        fn decoding_never_panics(version in any::<u64>(), bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode_node(version, &bytes);
        }
    }
}
