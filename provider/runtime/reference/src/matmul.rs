//! `matmul`: C = A × B for n × n fp32 matrices whose elements are generated from a seed.
//!
//! - `A[i][k] = signed_f32(at(stream_key(seed, 1), i·n + k))`, `B` the same with stream 2.
//! - `C[i][j] = (((0 + A[i][0]·B[0][j]) + A[i][1]·B[1][j]) + …)`: k ascending, one rounding per
//!   product and per sum (no FMA).
//! - Leaf `r·t + c` (t = ⌈n / 64⌉) is the 64 × 64 tile of C at tile row r, column c (smaller at
//!   the right and bottom edges), row-major, f32 little-endian: at most 16 KiB.
//! - The output file `c.f32` is C, row-major f32 little-endian, no header.

use alloc::vec;
use alloc::vec::Vec;

use crate::rng::{at, signed_f32, stream_key, STREAM_MATMUL_A, STREAM_MATMUL_B};
use crate::{f32_leaf_bytes, Error};

/// Side of a leaf tile.
pub const TILE: u64 = 64;
/// Largest n accepted (C is then 1 GiB).
pub const MAX_N: u64 = 16384;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    pub n: u64,
    pub seed: u64,
}

/// The rectangle of C one leaf covers: rows `row..row + rows`, columns `col..col + cols`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileRect {
    pub row: u64,
    pub col: u64,
    pub rows: u64,
    pub cols: u64,
}

impl Params {
    pub fn check(&self) -> Result<(), Error> {
        if self.n == 0 || self.n > MAX_N {
            return Err(Error::OutOfRange {
                field: "n",
                min: 1,
                max: MAX_N,
                got: self.n,
            });
        }
        Ok(())
    }

    /// Tiles per side.
    pub fn tiles(&self) -> u64 {
        self.n.div_ceil(TILE)
    }

    pub fn leaf_count(&self) -> u64 {
        self.tiles() * self.tiles()
    }

    pub fn tile(&self, leaf: u64) -> TileRect {
        let t = self.tiles();
        let (row, col) = ((leaf / t) * TILE, (leaf % t) * TILE);
        TileRect {
            row,
            col,
            rows: TILE.min(self.n - row),
            cols: TILE.min(self.n - col),
        }
    }

    /// Elements `first..first + count` of A (row-major).
    pub fn a_elements(&self, first: u64, count: u64) -> Vec<f32> {
        gen(stream_key(self.seed, STREAM_MATMUL_A), first, count)
    }

    /// All of B (row-major).
    pub fn b_matrix(&self) -> Vec<f32> {
        gen(stream_key(self.seed, STREAM_MATMUL_B), 0, self.n * self.n)
    }

    /// The leaf's tile of C, with B given whole (the cpu backend generates it once per job).
    pub fn leaf_with_b(&self, leaf: u64, b: &[f32]) -> Vec<f32> {
        let r = self.tile(leaf);
        self.tile_from(r, b, self.n as usize, r.col as usize)
    }

    /// One leaf from the seed alone: what a referee recomputes.
    pub fn leaf(&self, leaf: u64) -> Result<Vec<u8>, Error> {
        self.check()?;
        if leaf >= self.leaf_count() {
            return Err(Error::LeafOutOfRange {
                leaf,
                leaves: self.leaf_count(),
            });
        }
        let r = self.tile(leaf);
        // Only the columns of B this tile reads, packed with stride `cols`.
        let key = stream_key(self.seed, STREAM_MATMUL_B);
        let mut b_cols = Vec::with_capacity((self.n * r.cols) as usize);
        for k in 0..self.n {
            b_cols.extend(gen(key, k * self.n + r.col, r.cols));
        }
        let c = self.tile_from(r, &b_cols, r.cols as usize, 0);
        Ok(f32_leaf_bytes(&c))
    }

    /// The tile `r` of C, reading B's column `j` of row `k` at `b[k·b_stride + b_col + j]`.
    fn tile_from(&self, r: TileRect, b: &[f32], b_stride: usize, b_col: usize) -> Vec<f32> {
        let n = self.n as usize;
        let a = self.a_elements(r.row * self.n, r.rows * self.n);
        let cols = r.cols as usize;
        let mut c = vec![0.0f32; (r.rows * r.cols) as usize];
        for (a_row, c_row) in a.chunks_exact(n).zip(c.chunks_exact_mut(cols)) {
            // k outermost, so every C element still sums its products in k order; the inner
            // loop is independent per j and vectorizes without reassociation.
            for (k, &a_ik) in a_row.iter().enumerate() {
                let b_row = &b[k * b_stride + b_col..k * b_stride + b_col + cols];
                for (acc, &b_kj) in c_row.iter_mut().zip(b_row) {
                    *acc += a_ik * b_kj;
                }
            }
        }
        c
    }

    /// `c.f32` from all leaves in order.
    pub fn assemble(&self, leaves: &[&[u8]]) -> Result<Vec<u8>, Error> {
        check_leaf_count(leaves.len() as u64, self.leaf_count())?;
        let n = self.n as usize;
        let mut out = vec![0u8; n * n * 4];
        for (i, leaf) in leaves.iter().enumerate() {
            let r = self.tile(i as u64);
            let row_bytes = r.cols as usize * 4;
            if leaf.len() != row_bytes * r.rows as usize {
                return Err(Error::LeafSize {
                    leaf: i as u64,
                    expected: (row_bytes * r.rows as usize) as u64,
                    got: leaf.len() as u64,
                });
            }
            for (y, src) in leaf.chunks_exact(row_bytes).enumerate() {
                let at = ((r.row as usize + y) * n + r.col as usize) * 4;
                out[at..at + row_bytes].copy_from_slice(src);
            }
        }
        Ok(out)
    }
}

pub(crate) fn check_leaf_count(got: u64, expected: u64) -> Result<(), Error> {
    if got != expected {
        return Err(Error::LeafCount { expected, got });
    }
    Ok(())
}

fn gen(key: u64, first: u64, count: u64) -> Vec<f32> {
    (first..first + count)
        .map(|i| signed_f32(at(key, i)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_4x4_product_matches_the_hand_computed_one() {
        let p = Params { n: 4, seed: 9 };
        let a = p.a_elements(0, 16);
        let b = p.b_matrix();
        // The generated elements are multiples of 2^-23 in [-1, 1).
        for v in a.iter().chain(&b) {
            assert!((-1.0..1.0).contains(v) && (v * 8_388_608.0).fract() == 0.0);
        }
        // By hand: C[i][j] summed in k order, in f64 (exact for these 24-bit products and 4
        // terms to within f32 rounding), then compared after rounding to f32.
        let c = p.leaf_with_b(0, &b);
        for i in 0..4 {
            for j in 0..4 {
                let mut acc = 0.0f32;
                for k in 0..4 {
                    acc += a[i * 4 + k] * b[k * 4 + j];
                }
                assert_eq!(c[i * 4 + j].to_bits(), acc.to_bits());
                let exact: f64 = (0..4)
                    .map(|k| a[i * 4 + k] as f64 * b[k * 4 + j] as f64)
                    .sum();
                assert!((c[i * 4 + j] as f64 - exact).abs() < 1e-6);
            }
        }
        // One exact check on chosen values: with integers the product is exact.
        let ints = [1.0f32, 2.0, 3.0, 4.0];
        let mut acc = 0.0f32;
        for (x, y) in ints.iter().zip(ints.iter().rev()) {
            acc += x * y;
        }
        assert_eq!(acc, 20.0);
        assert_eq!(p.leaf(0).unwrap(), f32_leaf_bytes(&c));
    }

    #[test]
    fn a_leaf_alone_equals_the_leaf_from_the_whole_b_on_ragged_edges() {
        let p = Params { n: 150, seed: 3 };
        assert_eq!(p.leaf_count(), 9);
        let b = p.b_matrix();
        for leaf in 0..p.leaf_count() {
            let want = f32_leaf_bytes(&p.leaf_with_b(leaf, &b));
            let r = p.tile(leaf);
            assert_eq!(want.len() as u64, r.rows * r.cols * 4);
            assert_eq!(p.leaf(leaf).unwrap(), want);
        }
        assert_eq!(
            p.tile(8),
            TileRect {
                row: 128,
                col: 128,
                rows: 22,
                cols: 22
            }
        );
    }

    #[test]
    fn assembly_puts_tiles_back_in_place() {
        let p = Params { n: 70, seed: 1 };
        let leaves: Vec<Vec<u8>> = (0..p.leaf_count()).map(|l| p.leaf(l).unwrap()).collect();
        let refs: Vec<&[u8]> = leaves.iter().map(|l| l.as_slice()).collect();
        let c = p.assemble(&refs).unwrap();
        let a = p.a_elements(69 * 70, 70);
        let b = p.b_matrix();
        let mut acc = 0.0f32;
        for k in 0..70 {
            acc += a[k] * b[k * 70 + 69];
        }
        assert_eq!(c[(69 * 70 + 69) * 4..][..4], acc.to_le_bytes());
        assert!(p.assemble(&refs[1..]).is_err());
    }

    #[test]
    fn bad_sizes_and_leaves_are_errors() {
        assert!(Params { n: 0, seed: 0 }.leaf(0).is_err());
        assert!(Params {
            n: MAX_N + 1,
            seed: 0
        }
        .check()
        .is_err());
        assert_eq!(
            Params { n: 64, seed: 0 }.leaf(1),
            Err(Error::LeafOutOfRange { leaf: 1, leaves: 1 })
        );
    }
}
