//! `mlp-inference`: a dense network with relu on the hidden layers, over a seeded batch.
//!
//! - Input sample `s` is `x[j] = signed_f32(at(stream_key(seed, 3), s·w0 + j))`, `j < w0`.
//! - Layer `l` (inputs `m`, outputs `o`): `y[q] = (Σ_{i ascending} W[q][i]·x[i]) + b[q]`, the sum
//!   starting from +0 with one rounding per product and per sum; hidden layers then apply
//!   `relu(y) = y > 0 ? y : +0` (a NaN becomes +0); the last layer is linear.
//! - The weights file holds, for each layer in order, `W` (o × m, row-major) then `b` (o), all
//!   f32 little-endian, nothing else.
//! - Leaf `k` is the outputs of samples `k·S .. min((k+1)·S, batch)`, sample-major, f32
//!   little-endian, with `S = max(1, min(256, 16384 / w_last))` so a leaf stays within 64 KiB.
//! - The output file `outputs.f32` is all outputs, sample-major.

use alloc::vec;
use alloc::vec::Vec;

use crate::matmul::check_leaf_count;
use crate::rng::{at, signed_f32, stream_key, STREAM_MLP_BATCH};
use crate::{f32_leaf_bytes, Error};

pub const MAX_LAYERS: u64 = 16;
pub const MAX_WIDTH: u64 = 8192;
pub const MAX_BATCH: u64 = 1 << 24;
pub const MAX_LEAF_SAMPLES: u64 = 256;
/// The largest weights file: what the referee contract can read (staged) and run a leaf with
/// inside the VM's 32 MiB per instance, for the widest input layer too. A network whose weights
/// a dispute could not check would leave the tenant no recourse.
pub const MAX_WEIGHTS_BYTES: u64 = 6 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// Layer widths, input first: `len − 1` dense layers.
    pub layers: Vec<u64>,
    pub batch: u64,
    pub seed: u64,
}

/// The weights, each layer's W stored transposed (`wt[i·o + q] = W[q][i]`) so that the inner
/// loop runs over outputs, contiguous and vectorizable, while each output still sums over `i` in
/// ascending order.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub layers: Vec<Layer>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    pub inputs: usize,
    pub outputs: usize,
    /// As in the file: `W[q][i]` at `q·inputs + i`.
    pub w: Vec<f32>,
    pub wt: Vec<f32>,
    pub b: Vec<f32>,
}

impl Params {
    pub fn check(&self) -> Result<(), Error> {
        let n = self.layers.len() as u64;
        if !(2..=MAX_LAYERS).contains(&n) {
            return Err(Error::OutOfRange {
                field: "layers (count)",
                min: 2,
                max: MAX_LAYERS,
                got: n,
            });
        }
        for &w in &self.layers {
            if w == 0 || w > MAX_WIDTH {
                return Err(Error::OutOfRange {
                    field: "layers",
                    min: 1,
                    max: MAX_WIDTH,
                    got: w,
                });
            }
        }
        if self.weights_len() > MAX_WEIGHTS_BYTES {
            return Err(Error::OutOfRange {
                field: "layers (bytes of weights)",
                min: 1,
                max: MAX_WEIGHTS_BYTES,
                got: self.weights_len(),
            });
        }
        if self.batch == 0 || self.batch > MAX_BATCH {
            return Err(Error::OutOfRange {
                field: "batch",
                min: 1,
                max: MAX_BATCH,
                got: self.batch,
            });
        }
        Ok(())
    }

    pub fn inputs(&self) -> u64 {
        self.layers[0]
    }

    pub fn outputs(&self) -> u64 {
        self.layers[self.layers.len() - 1]
    }

    pub fn samples_per_leaf(&self) -> u64 {
        (16384 / self.outputs()).clamp(1, MAX_LEAF_SAMPLES)
    }

    pub fn leaf_count(&self) -> u64 {
        self.batch.div_ceil(self.samples_per_leaf())
    }

    /// Samples `first..first + count` of leaf `leaf`.
    pub fn leaf_samples(&self, leaf: u64) -> (u64, u64) {
        let s = self.samples_per_leaf();
        let first = leaf * s;
        (first, s.min(self.batch - first))
    }

    /// Bytes the weights file must have.
    pub fn weights_len(&self) -> u64 {
        self.layers
            .windows(2)
            .map(|p| (p[0] * p[1] + p[1]) * 4)
            .sum()
    }

    pub fn model(&self, bytes: &[u8]) -> Result<Model, Error> {
        self.check()?;
        if bytes.len() as u64 != self.weights_len() {
            return Err(Error::WeightsSize {
                expected: self.weights_len(),
                got: bytes.len() as u64,
            });
        }
        let mut floats = bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        let mut layers = Vec::new();
        for p in self.layers.windows(2) {
            let (m, o) = (p[0] as usize, p[1] as usize);
            let w: Vec<f32> = floats.by_ref().take(m * o).collect();
            let b: Vec<f32> = floats.by_ref().take(o).collect();
            let mut wt = vec![0.0f32; m * o];
            for q in 0..o {
                for i in 0..m {
                    wt[i * o + q] = w[q * m + i];
                }
            }
            layers.push(Layer {
                inputs: m,
                outputs: o,
                w,
                wt,
                b,
            });
        }
        Ok(Model { layers })
    }

    /// Samples `first..first + count` of the batch, sample-major.
    pub fn batch_inputs(&self, first: u64, count: u64) -> Vec<f32> {
        let key = stream_key(self.seed, STREAM_MLP_BATCH);
        let w = self.inputs();
        (first * w..(first + count) * w)
            .map(|i| signed_f32(at(key, i)))
            .collect()
    }

    pub fn leaf_values(&self, model: &Model, leaf: u64) -> Vec<f32> {
        let (first, count) = self.leaf_samples(leaf);
        forward(model, self.batch_inputs(first, count), count as usize)
    }

    pub fn leaf(&self, model: &Model, leaf: u64) -> Result<Vec<u8>, Error> {
        if leaf >= self.leaf_count() {
            return Err(Error::LeafOutOfRange {
                leaf,
                leaves: self.leaf_count(),
            });
        }
        Ok(f32_leaf_bytes(&self.leaf_values(model, leaf)))
    }

    pub fn assemble(&self, leaves: &[&[u8]]) -> Result<Vec<u8>, Error> {
        check_leaf_count(leaves.len() as u64, self.leaf_count())?;
        let mut out = Vec::with_capacity((self.batch * self.outputs() * 4) as usize);
        for (i, leaf) in leaves.iter().enumerate() {
            let expected = self.leaf_samples(i as u64).1 * self.outputs() * 4;
            if leaf.len() as u64 != expected {
                return Err(Error::LeafSize {
                    leaf: i as u64,
                    expected,
                    got: leaf.len() as u64,
                });
            }
            out.extend_from_slice(leaf);
        }
        Ok(out)
    }
}

/// Runs `count` samples (sample-major in `x`) through the network.
pub fn forward(model: &Model, mut x: Vec<f32>, count: usize) -> Vec<f32> {
    let last = model.layers.len() - 1;
    for (l, layer) in model.layers.iter().enumerate() {
        let (m, o) = (layer.inputs, layer.outputs);
        let mut y = vec![0.0f32; count * o];
        for (xs, ys) in x.chunks_exact(m).zip(y.chunks_exact_mut(o)) {
            for (i, &xi) in xs.iter().enumerate() {
                for (acc, &w) in ys.iter_mut().zip(&layer.wt[i * o..(i + 1) * o]) {
                    *acc += w * xi;
                }
            }
            for (acc, &b) in ys.iter_mut().zip(&layer.b) {
                *acc += b;
                if l != last {
                    *acc = relu(*acc);
                }
            }
        }
        x = y;
    }
    x
}

/// `y > 0 ? y : +0`, exactly as the CUDA side writes it (NaN and −0 become +0).
pub fn relu(y: f32) -> f32 {
    if y > 0.0 {
        y
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weights(values: &[f32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn a_two_layer_network_matches_the_hand_computed_one() {
        // 2 → 2 → 1. Layer 1: W = [[1, -2], [0.5, 0.25]], b = [0.5, -1].
        // Layer 2: W = [[2, -1]], b = [0.125].
        let p = Params {
            layers: vec![2, 2, 1],
            batch: 1,
            seed: 5,
        };
        let file = weights(&[1.0, -2.0, 0.5, 0.25, 0.5, -1.0, 2.0, -1.0, 0.125]);
        let model = p.model(&file).unwrap();
        let x = vec![0.75f32, -0.5];
        // h0 = relu(0.75 + 1 + 0.5) = 2.25; h1 = relu(0.375 - 0.125 - 1) = relu(-0.75) = 0.
        // out = 2·2.25 − 1·0 + 0.125 = 4.625.
        assert_eq!(forward(&model, x, 1), vec![4.625]);
        // Two samples at once give each sample's own result.
        let two = forward(&model, vec![0.75, -0.5, 0.0, 0.0], 2);
        // Second sample: h = relu([0.5, -1]) = [0.5, 0]; out = 1 + 0.125.
        assert_eq!(two, vec![4.625, 1.125]);
        // The seeded batch: the leaf equals forward() of the generated inputs.
        let xs = p.batch_inputs(0, 1);
        assert_eq!(
            p.leaf(&model, 0).unwrap(),
            f32_leaf_bytes(&forward(&model, xs, 1))
        );
    }

    #[test]
    fn relu_sends_nan_and_negative_zero_to_positive_zero() {
        assert_eq!(relu(f32::NAN).to_bits(), 0);
        assert_eq!(relu(-0.0).to_bits(), 0);
        assert_eq!(relu(-3.0), 0.0);
        assert_eq!(relu(3.0), 3.0);
    }

    #[test]
    fn leaves_cover_the_batch_and_stay_within_64_kib() {
        let p = Params {
            layers: vec![4, 3, 100],
            batch: 1000,
            seed: 1,
        };
        assert_eq!(p.samples_per_leaf(), 163);
        assert_eq!(p.leaf_count(), 7);
        assert_eq!(p.leaf_samples(6), (978, 22));
        let wide = Params {
            layers: vec![4, 8192],
            batch: 3,
            seed: 1,
        };
        assert_eq!(wide.samples_per_leaf(), 2);
        let narrow = Params {
            layers: vec![4, 10],
            batch: 3,
            seed: 1,
        };
        assert_eq!(narrow.samples_per_leaf(), 256);
    }

    #[test]
    fn a_weights_file_of_the_wrong_size_is_refused() {
        let p = Params {
            layers: vec![2, 2, 1],
            batch: 1,
            seed: 5,
        };
        assert_eq!(p.weights_len(), 36);
        assert_eq!(
            p.model(&[0; 35]),
            Err(Error::WeightsSize {
                expected: 36,
                got: 35
            })
        );
    }
}
