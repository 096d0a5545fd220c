//! The CUDA C sources and how NVRTC compiles them.
//!
//! Each `.cu` file is compiled with `kernels/common.cuh` in front of it, with the options that
//! keep float arithmetic IEEE-exact: `--fmad=false` (no contraction of `a*b + c` into an FMA),
//! `--ftz=false` (subnormals kept), `--prec-div=true`, `--prec-sqrt=true` (correctly rounded),
//! never `--use_fast_math`.
//!
//! NVRTC is loaded at run time by name (`libnvrtc.so.12`). It ships in the PyPI wheel
//! `nvidia-cuda-nvrtc-cu12`; [`preload`] loads it from a directory (`TESSERA_NVRTC_DIR`) so that
//! later loads by name find it without `LD_LIBRARY_PATH`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cudarc::nvrtc::{CompileOptions, Ptx};

use crate::error::{Result, RuntimeError};

/// Prepended to every source.
pub const COMMON: &str = include_str!("../kernels/common.cuh");

/// One `.cu` file and the kernels (`extern "C" __global__`) it defines.
#[derive(Debug, Clone, Copy)]
pub struct Source {
    pub file: &'static str,
    pub text: &'static str,
    pub kernels: &'static [&'static str],
}

pub const MATMUL: Source = Source {
    file: "matmul.cu",
    text: include_str!("../kernels/matmul.cu"),
    kernels: &["tk_fill_signed", "tk_matmul_tiles"],
};
pub const MLP: Source = Source {
    file: "mlp.cu",
    text: include_str!("../kernels/mlp.cu"),
    kernels: &["tk_fill_signed", "tk_mlp_layer"],
};
pub const RENDER: Source = Source {
    file: "render.cu",
    text: include_str!("../kernels/render.cu"),
    kernels: &["tk_render_tiles"],
};
pub const SHA256: Source = Source {
    file: "sha256.cu",
    text: include_str!("../kernels/sha256.cu"),
    kernels: &["tk_sha256_batch"],
};

pub const SOURCES: &[Source] = &[MATMUL, MLP, RENDER, SHA256];

/// The environment variable naming the directory that holds `libnvrtc.so.12`.
pub const NVRTC_DIR_ENV: &str = "TESSERA_NVRTC_DIR";

impl Source {
    /// The program NVRTC compiles: common.cuh, then the file (with a `#line` so that errors
    /// point into it).
    pub fn program(&self) -> String {
        format!("{COMMON}\n#line 1 \"{}\"\n{}", self.file, self.text)
    }
}

/// The determinism options, for `arch` (`compute_90`) or NVRTC's default.
pub fn options(arch: Option<&'static str>, name: &str) -> CompileOptions {
    CompileOptions {
        ftz: Some(false),
        prec_sqrt: Some(true),
        prec_div: Some(true),
        fmad: Some(false),
        use_fast_math: Some(false),
        arch,
        name: Some(name.to_string()),
        ..Default::default()
    }
}

/// Loads `libnvrtc.so.12` from `dir` into the process (global symbols), once.
pub fn preload(dir: &Path) -> Result<()> {
    let path = dir.join("libnvrtc.so.12");
    // SAFETY: loading NVRTC runs its initializers, which have no preconditions; the library stays
    // loaded for the life of the process (it is leaked on purpose: cudarc holds its symbols).
    let lib = unsafe {
        libloading::os::unix::Library::open(
            Some(&path),
            libloading::os::unix::RTLD_NOW | libloading::os::unix::RTLD_GLOBAL,
        )
    }
    .map_err(|e| RuntimeError::Nvrtc(format!("cannot load {}: {e}", path.display())))?;
    std::mem::forget(lib);
    Ok(())
}

/// Whether NVRTC can be used, after preloading it from `TESSERA_NVRTC_DIR` when that is set.
/// The answer is computed once per process.
pub fn available() -> Result<()> {
    static STATE: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    STATE
        .get_or_init(|| {
            if let Some(dir) = std::env::var_os(NVRTC_DIR_ENV).filter(|d| !d.is_empty()) {
                preload(&PathBuf::from(dir)).map_err(|e| e.to_string())?;
            }
            // SAFETY: only tries to dlopen the library by its usual names.
            if unsafe { cudarc::nvrtc::sys::is_culib_present() } {
                Ok(())
            } else {
                Err(format!(
                    "libnvrtc.so.12 not found: install the wheel nvidia-cuda-nvrtc-cu12 and set \
                     {NVRTC_DIR_ENV} (or LD_LIBRARY_PATH) to its nvidia/cuda_nvrtc/lib"
                ))
            }
        })
        .clone()
        .map_err(RuntimeError::Nvrtc)
}

/// Compiles one source to PTX.
pub fn compile(source: &Source, arch: Option<&'static str>) -> Result<Ptx> {
    available()?;
    cudarc::nvrtc::compile_ptx_with_opts(source.program(), options(arch, source.file))
        .map_err(|e| RuntimeError::Nvrtc(format!("{}: {e}", source.file)))
}
