//! One job of any kernel, its leaves and its files, and the reference's errors.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::{matmul, mlp, render, sha256_batch};

/// What went wrong; every variant names the field or leaf and the limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    OutOfRange {
        field: &'static str,
        min: u64,
        max: u64,
        got: u64,
    },
    LeafOutOfRange {
        leaf: u64,
        leaves: u64,
    },
    LeafCount {
        expected: u64,
        got: u64,
    },
    LeafSize {
        leaf: u64,
        expected: u64,
        got: u64,
    },
    WeightsSize {
        expected: u64,
        got: u64,
    },
    /// A `to_words` encoding that does not decode.
    Words(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::OutOfRange {
                field,
                min,
                max,
                got,
            } => {
                write!(f, "{field} must be within {min}..={max}, got {got}")
            }
            Error::LeafOutOfRange { leaf, leaves } => {
                write!(
                    f,
                    "leaf {leaf} is out of range: the job has {leaves} leaves"
                )
            }
            Error::LeafCount { expected, got } => {
                write!(f, "expected {expected} leaves, got {got}")
            }
            Error::LeafSize {
                leaf,
                expected,
                got,
            } => {
                write!(f, "leaf {leaf} should be {expected} bytes, got {got}")
            }
            Error::WeightsSize { expected, got } => write!(
                f,
                "the weights file should be {expected} bytes for these layers, got {got}"
            ),
            Error::Words(why) => write!(f, "bad encoded spec: {why}"),
        }
    }
}

impl core::error::Error for Error {}

/// A validated job of one kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spec {
    Matmul(matmul::Params),
    Mlp(mlp::Params),
    Render(render::Params),
    Sha256Batch(sha256_batch::Params),
}

impl Spec {
    /// The kernel's catalog name, as a manifest writes it.
    pub fn kernel(&self) -> &'static str {
        match self {
            Spec::Matmul(_) => "matmul",
            Spec::Mlp(_) => "mlp-inference",
            Spec::Render(_) => "render-tiles",
            Spec::Sha256Batch(_) => "sha256-batch",
        }
    }

    pub fn check(&self) -> Result<(), Error> {
        match self {
            Spec::Matmul(p) => p.check(),
            Spec::Mlp(p) => p.check(),
            Spec::Render(p) => p.check(),
            Spec::Sha256Batch(p) => p.check(),
        }
    }

    /// Leaves in the job's output tree. Call [`Spec::check`] first.
    pub fn leaf_count(&self) -> u64 {
        match self {
            Spec::Matmul(p) => p.leaf_count(),
            Spec::Mlp(p) => p.leaf_count(),
            Spec::Render(p) => p.leaf_count(),
            Spec::Sha256Batch(p) => p.leaf_count(),
        }
    }

    /// Bytes of all leaves together. Call [`Spec::check`] first.
    pub fn leaves_bytes(&self) -> u64 {
        match self {
            Spec::Matmul(p) => p.n * p.n * 4,
            Spec::Mlp(p) => p.batch * p.outputs() * 4,
            Spec::Render(p) => p.width * p.height * 4 * p.frames,
            Spec::Sha256Batch(p) => p.count * 32,
        }
    }

    /// Recomputes leaf `leaf` alone. `input` is the job's input file (the weights of
    /// `mlp-inference`), empty for the other kernels.
    pub fn leaf(&self, leaf: u64, input: &[u8]) -> Result<Vec<u8>, Error> {
        self.check()?;
        if leaf >= self.leaf_count() {
            return Err(Error::LeafOutOfRange {
                leaf,
                leaves: self.leaf_count(),
            });
        }
        match self {
            Spec::Matmul(p) => p.leaf(leaf),
            Spec::Mlp(p) => p.leaf(&p.model(input)?, leaf),
            Spec::Render(p) => p.leaf(leaf),
            Spec::Sha256Batch(p) => p.leaf(leaf),
        }
    }

    /// The files a person gets, named, from all leaves in order.
    pub fn assemble(&self, leaves: &[&[u8]]) -> Result<Vec<(String, Vec<u8>)>, Error> {
        self.check()?;
        match self {
            Spec::Matmul(p) => Ok(alloc::vec![(String::from("c.f32"), p.assemble(leaves)?)]),
            Spec::Mlp(p) => Ok(alloc::vec![(
                String::from("outputs.f32"),
                p.assemble(leaves)?
            )]),
            Spec::Render(p) => p.assemble(leaves),
            Spec::Sha256Batch(p) => Ok(alloc::vec![(
                String::from("digests.txt"),
                p.assemble(leaves)?
            )]),
        }
    }

    /// A flat encoding for callers without serde (a wasm module, a contract): the kernel's tag
    /// then its parameters.
    pub fn to_words(&self) -> Vec<u64> {
        match self {
            Spec::Matmul(p) => alloc::vec![1, p.n, p.seed],
            Spec::Mlp(p) => {
                let mut w = alloc::vec![2, p.batch, p.seed, p.layers.len() as u64];
                w.extend(p.layers.iter().copied());
                w
            }
            Spec::Render(p) => {
                alloc::vec![3, 0, p.width, p.height, p.frames, p.samples, p.seed]
            }
            Spec::Sha256Batch(p) => alloc::vec![4, p.count, p.size, p.seed],
        }
    }

    pub fn from_words(w: &[u64]) -> Result<Spec, Error> {
        let spec = match w {
            [1, n, seed] => Spec::Matmul(matmul::Params { n: *n, seed: *seed }),
            [2, batch, seed, count, layers @ ..] if *count == layers.len() as u64 => {
                Spec::Mlp(mlp::Params {
                    layers: layers.to_vec(),
                    batch: *batch,
                    seed: *seed,
                })
            }
            [3, 0, width, height, frames, samples, seed] => Spec::Render(render::Params {
                width: *width,
                height: *height,
                frames: *frames,
                samples: *samples,
                seed: *seed,
            }),
            [4, count, size, seed] => Spec::Sha256Batch(sha256_batch::Params {
                count: *count,
                size: *size,
                seed: *seed,
            }),
            _ => return Err(Error::Words("unknown tag or wrong length")),
        };
        spec.check()?;
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_round_trip_through_words() {
        let specs = [
            Spec::Matmul(matmul::Params { n: 10, seed: 1 }),
            Spec::Mlp(mlp::Params {
                layers: alloc::vec![3, 4, 2],
                batch: 5,
                seed: 2,
            }),
            Spec::Render(render::Params {
                width: 9,
                height: 7,
                frames: 2,
                samples: 1,
                seed: 3,
            }),
            Spec::Sha256Batch(sha256_batch::Params {
                count: 3,
                size: 10,
                seed: 4,
            }),
        ];
        for s in specs {
            assert_eq!(Spec::from_words(&s.to_words()), Ok(s.clone()));
        }
        assert!(Spec::from_words(&[2, 5, 2, 3, 3, 4]).is_err());
        assert!(Spec::from_words(&[9]).is_err());
        assert!(Spec::from_words(&[1, 0, 0]).is_err());
    }
}
