//! Every `.cu` source compiles with NVRTC under the determinism options, for a recent and an old
//! architecture, and the PTX defines every kernel the runtime launches. Runs without a GPU.

mod common;

use tessera_runtime::nvrtc::{self, SOURCES};

#[test]
fn every_cuda_source_compiles_with_nvrtc() -> anyhow::Result<()> {
    if !common::load_nvrtc()? {
        return Ok(());
    }
    for source in SOURCES {
        for arch in ["compute_70", "compute_90"] {
            let ptx = nvrtc::compile(source, Some(arch))?.to_src();
            for kernel in source.kernels {
                assert!(
                    ptx.contains(&format!(".entry {kernel}(")),
                    "{} ({arch}) has no entry {kernel}",
                    source.file
                );
            }
            // No contraction: the float kernels must not use fused multiply-adds.
            assert!(
                !ptx.contains("fma.rn.f32"),
                "{} ({arch}) contains fma.rn.f32",
                source.file
            );
        }
    }
    Ok(())
}

#[test]
fn a_syntax_error_comes_back_as_an_error_with_the_log() -> anyhow::Result<()> {
    if !common::load_nvrtc()? {
        return Ok(());
    }
    let bad = nvrtc::Source {
        file: "bad.cu",
        text: "extern \"C\" __global__ void k() { int x = ; }",
        kernels: &["k"],
    };
    let err = nvrtc::compile(&bad, None)
        .expect_err("a syntax error compiled")
        .to_string();
    assert!(err.starts_with("NVRTC: bad.cu:"), "{err}");
    Ok(())
}
