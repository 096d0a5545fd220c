//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod wasm;

use std::path::PathBuf;
use std::process::Command;

/// Whether missing tools are failures (CI) rather than skips (a developer's machine).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The directory holding libnvrtc.so.12: `TESSERA_NVRTC_DIR`, else the pip wheel's
/// `nvidia/cuda_nvrtc/lib` as the python3 on PATH sees it.
pub fn nvrtc_dir() -> Option<PathBuf> {
    if let Some(dir) =
        std::env::var_os(tessera_runtime::nvrtc::NVRTC_DIR_ENV).filter(|d| !d.is_empty())
    {
        return Some(PathBuf::from(dir));
    }
    let out = Command::new("python3")
        .args([
            "-c",
            "import nvidia.cuda_nvrtc as m; print(list(m.__path__)[0])",
        ])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let dir = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim()).join("lib");
    dir.join("libnvrtc.so.12").exists().then_some(dir)
}

/// Loads NVRTC for this test process. `Ok(false)` means "not installed, skip" (outside CI only).
pub fn load_nvrtc() -> anyhow::Result<bool> {
    match nvrtc_dir() {
        Some(dir) => {
            tessera_runtime::nvrtc::preload(&dir)?;
            tessera_runtime::nvrtc::available()?;
            Ok(true)
        }
        None if in_ci() => anyhow::bail!(
            "NVRTC not found under CI=true: run scripts/setup.sh (pip wheel nvidia-cuda-nvrtc-cu12) \
             or set TESSERA_NVRTC_DIR"
        ),
        None => {
            println!("SKIP: NVRTC not found (pip install nvidia-cuda-nvrtc-cu12, or set TESSERA_NVRTC_DIR)");
            Ok(false)
        }
    }
}
