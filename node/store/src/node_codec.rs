//! The byte layouts of JMT node keys and nodes on disk (store layout 2).
//!
//! The tree's hashes do not depend on these layouts, so they are free to be compact. jmt's
//! borsh form of an internal node repeats the hash of every child (16 × 32 bytes for a full
//! node), and most of the tree's writes are internal nodes: every block rewrites the path from
//! each changed leaf to the root, and the kept versions keep those copies. Here each node
//! stores its own hash instead, and a reader gets a child's hash from the child's record: a
//! node shrinks from about 800 bytes to under 100, for 16 small reads when it is loaded.
//!
//! - Node key: `version (8, BE) ++ nibble count (1) ++ nibbles packed two per byte`. The
//!   version comes first and big-endian, so a version's nodes are written next to each other
//!   at the end of the table and pruning removes them from its front.
//! - Null node: `0`.
//! - Leaf node: `1 ++ key hash (32) ++ value hash (32)` (its hash is one hash of these).
//! - Internal node: `2 ++ its hash (32) ++ children bitmap (2, BE) ++ leaf-children bitmap
//!   (2, BE)`, then for each child in nibble order `varint(node version - child version)`,
//!   and `++ varint(leaf count)` for a child that is an internal node. A child is never newer
//!   than its parent (jmt rewrites the parent whenever a child changes), so the distance is a
//!   small number for the children that change often.

use jmt::storage::{LeafNode, NibblePath, Node, NodeKey};
use jmt::{KeyHash, ValueHash, Version};
use sha2::Sha256;

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
    match (tag, node) {
        (borsh_layout::NULL, _) => Ok(vec![NULL]),
        (borsh_layout::LEAF, _) => {
            let mut out = Vec::with_capacity(1 + 2 * HASH_LEN);
            out.push(LEAF);
            out.extend_from_slice(&reader.array::<{ 2 * HASH_LEN }>()?);
            Ok(out)
        }
        (borsh_layout::INTERNAL, Node::Internal(internal)) => {
            let mut present = 0u16;
            let mut leaves = 0u16;
            let mut body = Vec::with_capacity(16 * 4);
            for nibble in 0..16 {
                let [slot] = reader.array()?;
                if slot == 0 {
                    continue;
                }
                let bit = 1u16 << nibble;
                present |= bit;
                // The child's hash is the child's own business: it is stored with the child.
                let _: [u8; HASH_LEN] = reader.array()?;
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
            let mut out = Vec::with_capacity(5 + HASH_LEN + body.len());
            out.push(INTERNAL);
            out.extend_from_slice(&internal.hash::<Sha256>());
            out.extend_from_slice(&present.to_be_bytes());
            out.extend_from_slice(&leaves.to_be_bytes());
            out.extend_from_slice(&body);
            Ok(out)
        }
        (other, _) => Err(bad(&format!("borsh tag {other}"))),
    }
}

/// The hash of the node stored as `bytes`, as its parent needs it: an internal node's is
/// stored with it, a leaf's is one hash of its two hashes.
pub(crate) fn stored_hash(bytes: &[u8]) -> Result<[u8; HASH_LEN], StoreError> {
    let corrupt = |why: &str| StoreError::Corrupt(format!("a jmt child node: {why}"));
    match bytes.split_first() {
        Some((&LEAF, rest)) if rest.len() == 2 * HASH_LEN => {
            let (key_hash, value_hash) = rest.split_at(HASH_LEN);
            let leaf = LeafNode::new(
                KeyHash(key_hash.try_into().expect("32 bytes")),
                ValueHash(value_hash.try_into().expect("32 bytes")),
            );
            Ok(leaf.hash::<Sha256>())
        }
        Some((&INTERNAL, rest)) if rest.len() > HASH_LEN => {
            Ok(rest[..HASH_LEN].try_into().expect("32 bytes"))
        }
        Some((tag, rest)) => Err(corrupt(&format!("tag {tag} with {} bytes", rest.len()))),
        None => Err(corrupt("no bytes")),
    }
}

/// Decodes the node stored under `key` as `bytes`; `child_hash` finds the hash of a child
/// (from the child's own record, see [`stored_hash`]). Malformed bytes are a corrupt store,
/// never a panic.
pub(crate) fn decode_node(
    key: &NodeKey,
    bytes: &[u8],
    mut child_hash: impl FnMut(&NodeKey) -> Result<[u8; HASH_LEN], StoreError>,
) -> Result<Node, StoreError> {
    let version = key.version();
    let corrupt = |why: &str| StoreError::Corrupt(format!("jmt node {key:?}: {why}"));
    let (&tag, rest) = bytes.split_first().ok_or_else(|| corrupt("no bytes"))?;
    let borsh = match tag {
        NULL if rest.is_empty() => vec![borsh_layout::NULL],
        LEAF if rest.len() == 2 * HASH_LEN => [&[borsh_layout::LEAF][..], rest].concat(),
        INTERNAL => {
            let mut reader = Reader { bytes: rest };
            let _own: [u8; HASH_LEN] = reader.array()?;
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
            if key.nibble_path().num_nibbles() >= MAX_NIBBLES {
                return Err(corrupt("an internal node at the deepest level"));
            }
            let mut out = Vec::with_capacity(1 + 16 * 50 + 16);
            out.push(borsh_layout::INTERNAL);
            let mut leaf_count = 0u64;
            for nibble in 0..16u8 {
                let bit = 1u16 << nibble;
                if present & bit == 0 {
                    out.push(0);
                    continue;
                }
                let distance = reader.varint()?;
                let child_version = version
                    .checked_sub(distance)
                    .ok_or_else(|| corrupt("a child older than version 0"))?;
                let child_path = NibblePath::from_iter(
                    key.nibble_path()
                        .nibbles()
                        .chain(std::iter::once(nibble.into())),
                );
                let hash = child_hash(&NodeKey::new(child_version, child_path))?;
                out.push(1);
                out.extend_from_slice(&hash);
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

    /// The child hashes `internal` gives its children: `[nibble; 32]`.
    fn test_child_hash(key: &NodeKey) -> Result<[u8; 32], StoreError> {
        let nibble = key.nibble_path().last().expect("a child has a nibble");
        Ok([u8::from(nibble); 32])
    }

    fn at(version: u64) -> NodeKey {
        NodeKey::new(version, NibblePath::from_iter([3u8.into(), 9u8.into()]))
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
            let mut asked = Vec::new();
            let decoded = decode_node(&at(1_015), &bytes, |child| {
                asked.push(child.clone());
                test_child_hash(child)
            })
            .unwrap();
            assert_eq!(decoded, node);
            // Children are looked up under their own versions and paths.
            for child in asked {
                let path: Vec<u8> = child.nibble_path().nibbles().map(u8::from).collect();
                assert_eq!(path[..2], [3, 9]);
                assert_eq!(path.len(), 3);
            }
        }
    }

    #[test]
    fn a_node_stores_the_hash_its_parent_needs() {
        let node = internal(&[(0, 3, None), (15, 9, Some(300))]);
        let Node::Internal(inner) = &node else {
            unreachable!()
        };
        let bytes = encode_node(10, &node).unwrap();
        assert_eq!(stored_hash(&bytes).unwrap(), inner.hash::<Sha256>());
        let leaf_node = LeafNode::new(KeyHash([1; 32]), ValueHash([2; 32]));
        let bytes = encode_node(10, &Node::Leaf(leaf_node.clone())).unwrap();
        assert_eq!(stored_hash(&bytes).unwrap(), leaf_node.hash::<Sha256>());
        assert!(stored_hash(&[NULL]).is_err());
        assert!(stored_hash(&[]).is_err());
    }

    #[test]
    fn a_full_internal_node_is_a_seventh_of_borsh() {
        let node = internal(&(0..16).map(|n| (n, 990, Some(50_000))).collect::<Vec<_>>());
        let ours = encode_node(1_000, &node).unwrap().len();
        let borsh = borsh::to_vec(&node).unwrap().len();
        assert_eq!(ours, 1 + 32 + 4 + 16 * (1 + 3));
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
            assert!(
                decode_node(&at(50), &good[..cut], test_child_hash).is_err(),
                "cut at {cut}"
            );
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(decode_node(&at(50), &longer, test_child_hash).is_err());
        // A missing child is an error, not a node with a made-up hash.
        let missing = |_: &NodeKey| Err(StoreError::Corrupt("missing".into()));
        assert!(decode_node(&at(50), &good, missing).is_err());
        let own = [0u8; 32].to_vec();
        // No children; a leaf flag on an absent child; a lone leaf child; unknown tag; Null
        // with a payload; a short leaf; a child older than version 0.
        for bad in [
            [vec![INTERNAL], own.clone(), vec![0, 0, 0, 0]].concat(),
            [vec![INTERNAL], own.clone(), vec![0, 1, 0, 2]].concat(),
            [vec![INTERNAL], own.clone(), vec![0, 1, 0, 1], vec![0]].concat(),
            vec![9],
            vec![NULL, 0],
            [vec![LEAF], vec![0; 63]].concat(),
            [
                vec![INTERNAL],
                own.clone(),
                vec![0, 3, 0, 3],
                vec![60],
                vec![0],
            ]
            .concat(),
        ] {
            assert!(
                decode_node(&at(50), &bad, test_child_hash).is_err(),
                "{bad:?}"
            );
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
            let _ = decode_node(&at(version), &bytes, test_child_hash);
            let _ = stored_hash(&bytes);
        }
    }
}
