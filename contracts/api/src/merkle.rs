//! The Merkle tree over a job's outputs, whose root providers attest on chain (`output_root`)
//! and tenants check every downloaded piece against.
//!
//! The leaves are a job's canonical output pieces in tree order, as `tessera-kernels` defines
//! them per kernel (at most 64 KiB each, recomputable one at a time); the files a person gets are
//! assembled from verified leaves, never hashed themselves. The tree is RFC 6962's (Certificate
//! Transparency): leaf hash `sha256(0x00 || data)`, node hash `sha256(0x01 || left || right)`,
//! split at the largest power of two below the size, so inclusion proofs are short and any
//! language's CT library can check them.

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Largest power of two strictly below `n` (n ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The root over leaf hashes; the empty tree's root is `sha256("")`.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The audit path of leaf `index`: sibling hashes from the leaf up.
pub fn proof(leaves: &[Hash], index: usize) -> Vec<Hash> {
    let mut path = Vec::new();
    let (mut lo, mut hi) = (0, leaves.len());
    // Walk down recording the sibling subtree at each split, then reverse (leaf first).
    while hi - lo > 1 {
        let k = split(hi - lo);
        if index < lo + k {
            path.push(root(&leaves[lo + k..hi]));
            hi = lo + k;
        } else {
            path.push(root(&leaves[lo..lo + k]));
            lo += k;
        }
    }
    path.reverse();
    path
}

/// [`proof`] as hex, the way messages carry it.
pub fn proof_hex(leaves: &[Hash], index: usize) -> Vec<String> {
    proof(leaves, index).iter().map(to_hex).collect()
}

/// Whether `leaf` is leaf `index` of a tree of `size` leaves with root `root` (RFC 9162
/// §2.1.3.2).
pub fn verify(root: &Hash, index: u64, size: u64, leaf: &Hash, proof: &[Hash]) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r == *root
}

/// A hash from 64 hex characters (either case); `None` for anything else.
pub fn from_hex(text: &str) -> Option<Hash> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut hash = [0u8; 32];
    for (out, pair) in hash.iter_mut().zip(bytes.chunks_exact(2)) {
        *out = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(hash)
}

/// Lowercase hex, as `output_root` is written on chain.
pub fn to_hex(hash: &Hash) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(format!("unit {i}").as_bytes()))
            .collect()
    }

    #[test]
    fn hashes_round_trip_through_hex_and_malformed_hex_is_refused() {
        let h = leaf_hash(b"x");
        assert_eq!(from_hex(&to_hex(&h)), Some(h));
        assert_eq!(from_hex(&to_hex(&h).to_uppercase()), Some(h));
        assert_eq!(from_hex(&to_hex(&h)[..62]), None);
        assert_eq!(from_hex(&format!("{}zz", &to_hex(&h)[..62])), None);
        assert_eq!(from_hex(&format!("{}é", &to_hex(&h)[..62])), None);
    }

    #[test]
    fn every_leaf_of_every_tree_size_proves_against_the_root() {
        for n in 1..=33 {
            let l = leaves(n);
            let r = root(&l);
            for i in 0..n {
                let p = proof(&l, i);
                assert!(verify(&r, i as u64, n as u64, &l[i], &p), "n={n} i={i}");
                // Another leaf, another index, another size or a changed path all fail.
                let other = leaf_hash(b"forged");
                assert!(!verify(&r, i as u64, n as u64, &other, &p));
                if n > 1 {
                    assert!(!verify(&r, ((i + 1) % n) as u64, n as u64, &l[i], &p));
                    let mut bent = p.clone();
                    bent[0][0] ^= 1;
                    assert!(!verify(&r, i as u64, n as u64, &l[i], &bent));
                }
            }
        }
    }

    #[test]
    fn the_tree_is_rfc_6962s() {
        // Three leaves: root = H(1 || H(1 || l0 || l1) || l2).
        let l = leaves(3);
        assert_eq!(root(&l), node_hash(&node_hash(&l[0], &l[1]), &l[2]));
        assert_eq!(
            to_hex(&root(&[])),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            to_hex(&leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }
}
