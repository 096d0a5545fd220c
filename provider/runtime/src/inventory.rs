//! What compute this host has: GPUs through cudarc, and the CPU.

use cudarc::driver::CudaContext;

use crate::error::{Result, RuntimeError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuInfo {
    pub ordinal: usize,
    /// As the driver names it, e.g. `NVIDIA H100 80GB HBM3`.
    pub model: String,
    pub memory_bytes: u64,
    /// (major, minor).
    pub compute_capability: (i32, i32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inventory {
    pub gpus: Vec<GpuInfo>,
    /// Why there are no GPUs, when there are none.
    pub no_gpu_reason: Option<String>,
    pub cpu_threads: usize,
}

impl Inventory {
    /// Looks for GPUs. A host without one (no driver library, or no device) gets an empty list,
    /// the reason, and one log line saying that only the `cpu` backend is offered.
    pub fn detect() -> Inventory {
        let cpu_threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        match gpus() {
            Ok(gpus) if !gpus.is_empty() => {
                for g in &gpus {
                    tracing::info!(ordinal = g.ordinal, model = %g.model, memory_bytes = g.memory_bytes,
                        compute_capability = ?g.compute_capability, "GPU found");
                }
                Inventory {
                    gpus,
                    no_gpu_reason: None,
                    cpu_threads,
                }
            }
            Ok(_) => Self::without_gpu("the CUDA driver reports no device".into(), cpu_threads),
            Err(e) => Self::without_gpu(e.to_string(), cpu_threads),
        }
    }

    fn without_gpu(reason: String, cpu_threads: usize) -> Inventory {
        tracing::info!(%reason, cpu_threads, "no GPU on this host: offering the cpu backend only");
        Inventory {
            gpus: Vec::new(),
            no_gpu_reason: Some(reason),
            cpu_threads,
        }
    }

    /// Backend names this host can run: `cuda` when it has a GPU, and `cpu`.
    pub fn backends(&self) -> Vec<&'static str> {
        if self.gpus.is_empty() {
            vec!["cpu"]
        } else {
            vec!["cuda", "cpu"]
        }
    }
}

/// Errors (instead of cudarc's panic) when the CUDA driver library cannot be loaded.
pub fn driver_present() -> Result<()> {
    // SAFETY: only tries to dlopen libcuda by its usual names.
    if unsafe { cudarc::driver::sys::is_culib_present() } {
        Ok(())
    } else {
        Err(RuntimeError::NoCuda(
            "the CUDA driver library (libcuda.so) is not present".into(),
        ))
    }
}

/// Every device the driver reports.
pub fn gpus() -> Result<Vec<GpuInfo>> {
    driver_present()?;
    let count = CudaContext::device_count()?;
    let mut out = Vec::new();
    for ordinal in 0..count.max(0) as usize {
        let ctx = CudaContext::new(ordinal)?;
        out.push(GpuInfo {
            ordinal,
            model: ctx.name()?,
            memory_bytes: ctx.total_mem()? as u64,
            compute_capability: ctx.compute_capability()?,
        });
    }
    Ok(out)
}

/// The fp32 peak of device `ordinal` without FMA, in GFLOP/s: one add or multiply per FP32 lane
/// per clock. Lanes per SM by architecture (CUDA C Programming Guide, "Arithmetic
/// Instructions"): 64 on 6.0, 7.x and 8.0; 128 on 5.x, 6.1, 6.2, 8.6, 8.7, 8.9, 9.0 and later.
pub fn fp32_non_fma_peak_gflops(ordinal: usize) -> Result<f64> {
    use cudarc::driver::sys::CUdevice_attribute as A;
    driver_present()?;
    let ctx = CudaContext::new(ordinal)?;
    let sms = ctx.attribute(A::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)? as f64;
    let clock_khz = ctx.attribute(A::CU_DEVICE_ATTRIBUTE_CLOCK_RATE)? as f64;
    let lanes = match ctx.compute_capability()? {
        (6, 0) | (7, _) | (8, 0) => 64.0,
        _ => 128.0,
    };
    Ok(sms * lanes * clock_khz * 1e3 / 1e9)
}
