//! The `cpu` backend: the reference crate, a unit's leaves spread over the host's cores.

use std::ops::Range;
use std::time::Instant;

use tessera_kernels::{f32_leaf_bytes, mlp, Spec};

use super::{Backend, Computed, Meter, Prepared};
use crate::error::Result;
use crate::job::Job;

pub struct CpuBackend {
    threads: usize,
}

impl CpuBackend {
    /// One worker per core the host offers.
    pub fn new() -> Self {
        Self::with_threads(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    pub fn with_threads(threads: usize) -> Self {
        CpuBackend {
            threads: threads.max(1),
        }
    }
}

impl Default for CpuBackend {
    fn default() -> Self {
        Self::new()
    }
}

/// What a job needs beyond its params: matmul's B (generated once, read by every tile) and the
/// network's weights.
enum Setup {
    None,
    MatmulB(Vec<f32>),
    Model(mlp::Model),
}

struct CpuJob<'a> {
    job: &'a Job,
    setup: Setup,
    threads: usize,
}

impl Backend for CpuBackend {
    fn name(&self) -> &'static str {
        "cpu"
    }

    fn meter(&self) -> Meter {
        Meter::WallSeconds
    }

    fn prepare<'a>(&'a self, job: &'a Job) -> Result<Box<dyn Prepared + 'a>> {
        let setup = match job.spec() {
            Spec::Matmul(p) => Setup::MatmulB(p.b_matrix()),
            Spec::Mlp(p) => Setup::Model(p.model(job.input())?),
            _ => Setup::None,
        };
        Ok(Box::new(CpuJob {
            job,
            setup,
            threads: self.threads,
        }))
    }
}

impl CpuJob<'_> {
    fn leaf(&self, leaf: u64) -> Result<Vec<u8>> {
        Ok(match (self.job.spec(), &self.setup) {
            (Spec::Matmul(p), Setup::MatmulB(b)) => f32_leaf_bytes(&p.leaf_with_b(leaf, b)),
            (Spec::Mlp(p), Setup::Model(m)) => p.leaf(m, leaf)?,
            (spec, _) => spec.leaf(leaf, self.job.input())?,
        })
    }
}

impl Prepared for CpuJob<'_> {
    fn run(&mut self, leaves: Range<u64>) -> Result<Computed> {
        let start = Instant::now();
        let n = leaves.end - leaves.start;
        let workers = (self.threads as u64).min(n).max(1);
        // Contiguous slices of the range per worker, joined in order.
        let this = &*self;
        let parts: Vec<Result<Vec<Vec<u8>>>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers)
                .map(|w| {
                    let lo = leaves.start + n * w / workers;
                    let hi = leaves.start + n * (w + 1) / workers;
                    s.spawn(move || (lo..hi).map(|l| this.leaf(l)).collect::<Result<Vec<_>>>())
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        let mut out = Vec::with_capacity(n as usize);
        for part in parts {
            out.extend(part?);
        }
        Ok(Computed {
            leaves: out,
            seconds: start.elapsed().as_secs_f64(),
        })
    }
}
