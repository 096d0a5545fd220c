//! The `cuda` backend: the `.cu` kernels compiled by NVRTC for one device and launched through
//! cudarc. PTX is compiled once per device (this backend is per device) and kept with its module.
//! GPU time is measured with CUDA events around each unit's kernels.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use cudarc::driver::sys::CUevent_flags;
use cudarc::driver::{
    CudaContext, CudaFunction, CudaModule, CudaSlice, CudaStream, LaunchConfig, PushKernelArg,
};
use tessera_kernels::rng::{
    stream_key, STREAM_MATMUL_A, STREAM_MATMUL_B, STREAM_MLP_BATCH, STREAM_RENDER, STREAM_SHA256,
};
use tessera_kernels::{matmul, mlp, render, Spec};

use super::{leaves_from_device, mlp_samples, sha_messages, Backend, Computed, Meter, Prepared};
use crate::error::{Result, RuntimeError};
use crate::job::Job;
use crate::nvrtc::{self, Source};

pub struct CudaBackend {
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    arch: &'static str,
    /// Compiled and loaded modules, by source file.
    modules: Mutex<HashMap<&'static str, Arc<CudaModule>>>,
}

impl CudaBackend {
    /// The backend of device `ordinal`. Fails (without panicking) when the driver library,
    /// NVRTC or the device is missing.
    pub fn new(ordinal: usize) -> Result<Self> {
        crate::inventory::driver_present()?;
        nvrtc::available()?;
        let ctx = CudaContext::new(ordinal)?;
        let (major, minor) = ctx.compute_capability()?;
        // NVRTC wants a 'static arch name; one short string per device and process.
        let arch: &'static str = Box::leak(format!("compute_{major}{minor}").into_boxed_str());
        let stream = ctx.default_stream();
        Ok(CudaBackend {
            ctx,
            stream,
            arch,
            modules: Mutex::new(HashMap::new()),
        })
    }

    fn function(&self, source: &Source, name: &str) -> Result<CudaFunction> {
        let module = {
            let mut modules = self
                .modules
                .lock()
                .map_err(|_| RuntimeError::Cuda("module cache poisoned".into()))?;
            match modules.get(source.file) {
                Some(m) => m.clone(),
                None => {
                    let ptx = nvrtc::compile(source, Some(self.arch))?;
                    let m = self.ctx.load_module(ptx)?;
                    modules.insert(source.file, m.clone());
                    m
                }
            }
        };
        Ok(module.load_function(name)?)
    }

    /// Fills `count` floats with the signed stream `key` from position `first`.
    fn fill(&self, f: &CudaFunction, key: u64, first: u64, count: u64) -> Result<CudaSlice<f32>> {
        let mut out = self.stream.alloc_zeros::<f32>(count as usize)?;
        let cfg = LaunchConfig {
            grid_dim: (count.div_ceil(256).min(65535) as u32, 1, 1),
            block_dim: (256, 1, 1),
            shared_mem_bytes: 0,
        };
        let mut b = self.stream.launch_builder(f);
        b.arg(&mut out).arg(&key).arg(&first).arg(&count);
        // SAFETY: tk_fill_signed(float*, u64, u64, u64) writes out[0..count), which `out` holds.
        unsafe { b.launch(cfg) }?;
        Ok(out)
    }
}

impl Backend for CudaBackend {
    fn name(&self) -> &'static str {
        "cuda"
    }

    fn meter(&self) -> Meter {
        Meter::GpuSeconds
    }

    fn prepare<'a>(&'a self, job: &'a Job) -> Result<Box<dyn Prepared + 'a>> {
        let state = match job.spec() {
            Spec::Matmul(p) => {
                let fill = self.function(&nvrtc::MATMUL, "tk_fill_signed")?;
                let nn = p.n * p.n;
                let a = self.fill(&fill, stream_key(p.seed, STREAM_MATMUL_A), 0, nn)?;
                let b = self.fill(&fill, stream_key(p.seed, STREAM_MATMUL_B), 0, nn)?;
                State::Matmul {
                    p: *p,
                    a,
                    b,
                    f: self.function(&nvrtc::MATMUL, "tk_matmul_tiles")?,
                }
            }
            Spec::Mlp(p) => {
                let model = p.model(job.input())?;
                let mut layers = Vec::with_capacity(model.layers.len());
                for l in &model.layers {
                    layers.push((
                        self.stream.clone_htod(&l.w)?,
                        self.stream.clone_htod(&l.b)?,
                        l.inputs as u32,
                        l.outputs as u32,
                    ));
                }
                State::Mlp {
                    p: p.clone(),
                    layers,
                    fill: self.function(&nvrtc::MLP, "tk_fill_signed")?,
                    f: self.function(&nvrtc::MLP, "tk_mlp_layer")?,
                }
            }
            Spec::Render(p) => State::Render {
                p: *p,
                f: self.function(&nvrtc::RENDER, "tk_render_tiles")?,
            },
            Spec::Sha256Batch(p) => State::Sha {
                p: *p,
                f: self.function(&nvrtc::SHA256, "tk_sha256_batch")?,
            },
        };
        self.stream.synchronize()?;
        Ok(Box::new(CudaJob {
            backend: self,
            job,
            state,
        }))
    }
}

enum State {
    Matmul {
        p: matmul::Params,
        a: CudaSlice<f32>,
        b: CudaSlice<f32>,
        f: CudaFunction,
    },
    Mlp {
        p: mlp::Params,
        layers: Vec<(CudaSlice<f32>, CudaSlice<f32>, u32, u32)>,
        fill: CudaFunction,
        f: CudaFunction,
    },
    Render {
        p: render::Params,
        f: CudaFunction,
    },
    Sha {
        p: tessera_kernels::sha256_batch::Params,
        f: CudaFunction,
    },
}

struct CudaJob<'a> {
    backend: &'a CudaBackend,
    job: &'a Job,
    state: State,
}

/// 16 × 16 threads: the block of every tiled kernel.
const TILE_BLOCK: (u32, u32, u32) = (16, 16, 1);

impl Prepared for CudaJob<'_> {
    fn run(&mut self, leaves: Range<u64>) -> Result<Computed> {
        let be = self.backend;
        let s = &be.stream;
        let n_leaves = leaves.end - leaves.start;
        let start = be.ctx.new_event(Some(CUevent_flags::CU_EVENT_DEFAULT))?;
        let end = be.ctx.new_event(Some(CUevent_flags::CU_EVENT_DEFAULT))?;
        start.record(s)?;
        let raw: Vec<u8> = match &self.state {
            State::Matmul { p, a, b, f } => {
                let mut out =
                    s.alloc_zeros::<f32>((n_leaves * matmul::TILE * matmul::TILE) as usize)?;
                let cfg = LaunchConfig {
                    grid_dim: (n_leaves as u32, 1, 1),
                    block_dim: TILE_BLOCK,
                    shared_mem_bytes: 0,
                };
                let n = p.n as u32;
                let mut l = s.launch_builder(f);
                l.arg(a).arg(b).arg(&mut out).arg(&n).arg(&leaves.start);
                // SAFETY: tk_matmul_tiles(const float*, const float*, float*, u32, u64): A and B are
                // n×n, out holds 4096 floats per block of the grid.
                unsafe { l.launch(cfg) }?;
                floats_to_bytes(&s.clone_dtoh(&out)?)
            }
            State::Mlp { p, layers, fill, f } => {
                let (first, count) = mlp_samples(p, &leaves);
                let mut x = be.fill(
                    fill,
                    stream_key(p.seed, STREAM_MLP_BATCH),
                    first * p.inputs(),
                    count * p.inputs(),
                )?;
                let last = layers.len() - 1;
                for (i, (w, bias, m, o)) in layers.iter().enumerate() {
                    let mut y = s.alloc_zeros::<f32>((count * *o as u64) as usize)?;
                    let cfg = LaunchConfig {
                        grid_dim: ((count as u32).div_ceil(64), o.div_ceil(64), 1),
                        block_dim: TILE_BLOCK,
                        shared_mem_bytes: 0,
                    };
                    let (c, relu) = (count as u32, u32::from(i != last));
                    let mut l = s.launch_builder(f);
                    l.arg(&x)
                        .arg(w)
                        .arg(bias)
                        .arg(&mut y)
                        .arg(&c)
                        .arg(m)
                        .arg(o)
                        .arg(&relu);
                    // SAFETY: tk_mlp_layer(const float* X, const float* W, const float* b, float* Y,
                    // u32 count, u32 m, u32 o, u32 relu): X is count×m, W o×m, b o, Y count×o.
                    unsafe { l.launch(cfg) }?;
                    x = y;
                }
                floats_to_bytes(&s.clone_dtoh(&x)?)
            }
            State::Render { p, f } => {
                let mut out =
                    s.alloc_zeros::<u8>((n_leaves * render::TILE * render::TILE * 4) as usize)?;
                let cfg = LaunchConfig {
                    grid_dim: (n_leaves as u32, 1, 1),
                    block_dim: TILE_BLOCK,
                    shared_mem_bytes: 0,
                };
                let (w, h, fr, sa) = (
                    p.width as u32,
                    p.height as u32,
                    p.frames as u32,
                    p.samples as u32,
                );
                let key = stream_key(p.seed, STREAM_RENDER);
                let mut l = s.launch_builder(f);
                l.arg(&mut out)
                    .arg(&w)
                    .arg(&h)
                    .arg(&fr)
                    .arg(&sa)
                    .arg(&key)
                    .arg(&leaves.start);
                // SAFETY: tk_render_tiles(unsigned char*, u32 ×4, u64, u64): out holds 16384 bytes
                // per block of the grid.
                unsafe { l.launch(cfg) }?;
                s.clone_dtoh(&out)?
            }
            State::Sha { p, f } => {
                let (first, count) = sha_messages(p, &leaves);
                let mut out = s.alloc_zeros::<u8>((count * 32) as usize)?;
                let cfg = LaunchConfig {
                    grid_dim: ((count as u32).div_ceil(128), 1, 1),
                    block_dim: (128, 1, 1),
                    shared_mem_bytes: 0,
                };
                let (key, c) = (stream_key(p.seed, STREAM_SHA256), count as u32);
                let mut l = s.launch_builder(f);
                l.arg(&mut out).arg(&key).arg(&p.size).arg(&first).arg(&c);
                // SAFETY: tk_sha256_batch(unsigned char*, u64, u64, u64, u32): out holds 32 bytes
                // per message, threads past `count` return at once.
                unsafe { l.launch(cfg) }?;
                s.clone_dtoh(&out)?
            }
        };
        end.record(s)?;
        end.synchronize()?;
        let seconds = f64::from(start.elapsed_ms(&end)?) / 1000.0;
        let leaves = leaves_from_device(self.job.spec(), leaves, &raw)?;
        Ok(Computed { leaves, seconds })
    }
}

fn floats_to_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}
