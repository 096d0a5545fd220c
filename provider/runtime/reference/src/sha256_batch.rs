//! `sha256-batch`: SHA-256 of `count` seeded messages of `size` bytes each.
//!
//! - Message `m`, byte `b`: byte `b mod 8` (little-endian) of
//!   `at(stream_key(seed, 5), m·⌈size/8⌉ + ⌊b/8⌋)`.
//! - Leaf `k` is the 32-byte digests of messages `k·1024 .. min((k+1)·1024, count)`, in order.
//! - The output file `digests.txt` has one lowercase hex digest per line, in message order.

use alloc::vec::Vec;

use sha2::{Digest, Sha256};

use crate::matmul::check_leaf_count;
use crate::rng::{at, stream_key, STREAM_SHA256};
use crate::Error;

pub const DIGESTS_PER_LEAF: u64 = 1024;
pub const MAX_COUNT: u64 = 1 << 26;
pub const MAX_SIZE: u64 = 1 << 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    pub count: u64,
    pub size: u64,
    pub seed: u64,
}

impl Params {
    pub fn check(&self) -> Result<(), Error> {
        if self.count == 0 || self.count > MAX_COUNT {
            return Err(Error::OutOfRange {
                field: "count",
                min: 1,
                max: MAX_COUNT,
                got: self.count,
            });
        }
        if self.size > MAX_SIZE {
            return Err(Error::OutOfRange {
                field: "size",
                min: 0,
                max: MAX_SIZE,
                got: self.size,
            });
        }
        Ok(())
    }

    pub fn leaf_count(&self) -> u64 {
        self.count.div_ceil(DIGESTS_PER_LEAF)
    }

    /// Messages `first..first + count` of leaf `leaf`.
    pub fn leaf_messages(&self, leaf: u64) -> (u64, u64) {
        let first = leaf * DIGESTS_PER_LEAF;
        (first, DIGESTS_PER_LEAF.min(self.count - first))
    }

    pub fn message(&self, m: u64) -> Vec<u8> {
        let key = stream_key(self.seed, STREAM_SHA256);
        let words = self.size.div_ceil(8);
        (0..self.size)
            .map(|b| (at(key, m * words + b / 8) >> (8 * (b % 8))) as u8)
            .collect()
    }

    pub fn leaf(&self, leaf: u64) -> Result<Vec<u8>, Error> {
        if leaf >= self.leaf_count() {
            return Err(Error::LeafOutOfRange {
                leaf,
                leaves: self.leaf_count(),
            });
        }
        let (first, n) = self.leaf_messages(leaf);
        let mut out = Vec::with_capacity(n as usize * 32);
        for m in first..first + n {
            out.extend_from_slice(&Sha256::digest(self.message(m)));
        }
        Ok(out)
    }

    pub fn assemble(&self, leaves: &[&[u8]]) -> Result<Vec<u8>, Error> {
        check_leaf_count(leaves.len() as u64, self.leaf_count())?;
        let mut out = Vec::with_capacity(self.count as usize * 65);
        for (i, leaf) in leaves.iter().enumerate() {
            let expected = self.leaf_messages(i as u64).1 * 32;
            if leaf.len() as u64 != expected {
                return Err(Error::LeafSize {
                    leaf: i as u64,
                    expected,
                    got: leaf.len() as u64,
                });
            }
            for digest in leaf.chunks_exact(32) {
                for b in digest {
                    out.push(HEX[(b >> 4) as usize]);
                    out.push(HEX[(b & 15) as usize]);
                }
                out.push(b'\n');
            }
        }
        Ok(out)
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc_is_the_fips_180_vector() {
        assert_eq!(
            Sha256::digest(b"abc")[..],
            [
                0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
                0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
                0xf2, 0x00, 0x15, 0xad
            ]
        );
    }

    #[test]
    fn messages_are_the_little_endian_bytes_of_the_stream() {
        let p = Params {
            count: 2,
            size: 11,
            seed: 8,
        };
        let key = stream_key(8, STREAM_SHA256);
        let m1 = p.message(1);
        // Message 1 starts at word 2 (two words per message).
        assert_eq!(m1[..8], at(key, 2).to_le_bytes());
        assert_eq!(m1[8..], at(key, 3).to_le_bytes()[..3]);
        let leaf = p.leaf(0).unwrap();
        assert_eq!(leaf[32..], Sha256::digest(&m1)[..]);
        let empty = Params {
            count: 1,
            size: 0,
            seed: 0,
        };
        // sha256("") = e3b0c442…
        assert_eq!(empty.leaf(0).unwrap()[..4], [0xe3, 0xb0, 0xc4, 0x42]);
    }

    #[test]
    fn leaves_hold_1024_digests_and_the_file_is_hex_lines() {
        let p = Params {
            count: 1025,
            size: 1,
            seed: 0,
        };
        assert_eq!(p.leaf_count(), 2);
        let leaves = [p.leaf(0).unwrap(), p.leaf(1).unwrap()];
        assert_eq!((leaves[0].len(), leaves[1].len()), (1024 * 32, 32));
        let text = p.assemble(&[&leaves[0], &leaves[1]]).unwrap();
        assert_eq!(text.len(), 1025 * 65);
        assert!(p.assemble(&[&leaves[0], &leaves[0]]).is_err());
    }
}
