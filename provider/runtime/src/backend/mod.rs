//! Where units run: the `cpu` backend (the reference crate on the host's cores) and the `cuda`
//! backend (the `.cu` kernels through cudarc). Both give the same leaf bytes for every unit.

use std::ops::Range;

use tessera_kernels::{f32_leaf_bytes, matmul, mlp, render, sha256_batch, Spec};

use crate::error::{Result, RuntimeError};
use crate::job::Job;

pub mod cpu;
pub mod cuda;

/// How a backend meters the work it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meter {
    /// GPU-seconds measured with CUDA events around the kernels.
    GpuSeconds,
    /// Wall-clock seconds of the host.
    WallSeconds,
}

impl Meter {
    pub fn as_str(self) -> &'static str {
        match self {
            Meter::GpuSeconds => "gpu-seconds",
            Meter::WallSeconds => "wall-seconds",
        }
    }
}

/// The leaves of a run of a unit, and what the run cost.
#[derive(Debug, Clone)]
pub struct Computed {
    pub leaves: Vec<Vec<u8>>,
    pub seconds: f64,
}

pub trait Backend: Send + Sync {
    /// `cpu` or `cuda`.
    fn name(&self) -> &'static str;
    fn meter(&self) -> Meter;
    /// Sets a job up (uploads, generated matrices, compiled kernels) for running its units.
    fn prepare<'a>(&'a self, job: &'a Job) -> Result<Box<dyn Prepared + 'a>>;
}

/// A job set up on a backend.
pub trait Prepared {
    /// Computes leaves `leaves` (within the job's leaf count).
    fn run(&mut self, leaves: Range<u64>) -> Result<Computed>;
}

/// Cuts a device output buffer into leaves. The kernels write `matmul` and `render-tiles` leaves
/// into fixed slots (one 64×64 tile each, the tile's own width), and `mlp-inference` and
/// `sha256-batch` outputs contiguously in leaf order; float leaves get their NaNs canonicalized.
pub fn leaves_from_device(spec: &Spec, leaves: Range<u64>, raw: &[u8]) -> Result<Vec<Vec<u8>>> {
    let short = |need: usize| {
        RuntimeError::Cuda(format!(
            "device output is {} bytes, expected at least {need}",
            raw.len()
        ))
    };
    let floats = |bytes: &[u8]| -> Vec<f32> {
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    };
    let mut out = Vec::with_capacity((leaves.end - leaves.start) as usize);
    let mut offset = 0usize;
    for (slot, leaf) in leaves.enumerate() {
        let (start, len, is_float) = match spec {
            Spec::Matmul(p) => {
                let t = p.tile(leaf);
                (
                    slot * (matmul::TILE * matmul::TILE * 4) as usize,
                    (t.rows * t.cols * 4) as usize,
                    true,
                )
            }
            Spec::Render(p) => {
                let t = p.tile(leaf);
                (
                    slot * (render::TILE * render::TILE * 4) as usize,
                    (t.width * t.height * 4) as usize,
                    false,
                )
            }
            Spec::Mlp(p) => {
                let len = (p.leaf_samples(leaf).1 * p.outputs() * 4) as usize;
                (offset, len, true)
            }
            Spec::Sha256Batch(p) => {
                let len = (p.leaf_messages(leaf).1 * 32) as usize;
                (offset, len, false)
            }
        };
        let bytes = raw
            .get(start..start + len)
            .ok_or_else(|| short(start + len))?;
        out.push(if is_float {
            f32_leaf_bytes(&floats(bytes))
        } else {
            bytes.to_vec()
        });
        offset = start + len;
    }
    Ok(out)
}

/// The first sample and sample count of a run of `mlp-inference` leaves.
pub(crate) fn mlp_samples(p: &mlp::Params, leaves: &Range<u64>) -> (u64, u64) {
    let first = p.leaf_samples(leaves.start).0;
    let (last_first, last_count) = p.leaf_samples(leaves.end - 1);
    (first, last_first + last_count - first)
}

/// The first message and message count of a run of `sha256-batch` leaves.
pub(crate) fn sha_messages(p: &sha256_batch::Params, leaves: &Range<u64>) -> (u64, u64) {
    let first = p.leaf_messages(leaves.start).0;
    let (last_first, last_count) = p.leaf_messages(leaves.end - 1);
    (first, last_first + last_count - first)
}
