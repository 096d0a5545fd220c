//! `cargo bench -p tessera-runtime`: named figures for the runtime.
//!
//! - cpu backend throughput per kernel (units/s, leaves/s; GFLOP/s for matmul and mlp);
//! - Merkle hashing of outputs (RFC 6962 leaves of 16 and 64 KiB + root) vs plain sha256 of the
//!   same bytes, on one core;
//! - the cost of recomputing one leaf of each kernel in the wasm32 build (wasmi fuel ≈ executed
//!   instructions, and wall time), with the example manifests' params;
//! - on a machine with a GPU: cuda matmul GFLOP/s against the device's fp32 non-FMA peak.

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use serde_json::json;
use sha2::{Digest, Sha256};
use tessera_api::merkle;
use tessera_runtime::kernels::{matmul, mlp, render, rng, sha256_batch, Spec};
use tessera_runtime::{Backend, CpuBackend, CudaBackend, InputDecl, Job, JobSpec, Runtime};

fn weights(layers: &[u64]) -> Vec<u8> {
    let p = mlp::Params {
        layers: layers.to_vec(),
        batch: 1,
        seed: 0,
    };
    let key = rng::stream_key(1, 77);
    (0..p.weights_len() / 4)
        .flat_map(|i| (rng::signed_f32(rng::at(key, i)) * 0.1).to_le_bytes())
        .collect()
}

fn job(kernel: &str, params: serde_json::Value, units: u64, input: Option<&[u8]>) -> Job {
    let mut spec = JobSpec {
        kernel: kernel.into(),
        params,
        inputs: vec![],
        work_units: units,
    };
    let mut provided = BTreeMap::new();
    if let Some(bytes) = input {
        spec.inputs.push(InputDecl {
            name: "w.bin".into(),
            sha256: hex::encode(Sha256::digest(bytes)),
        });
        provided.insert("w.bin".to_string(), bytes.to_vec());
    }
    Job::new(&spec, &provided).expect("bench job is valid")
}

fn flops(spec: &Spec) -> Option<f64> {
    match spec {
        Spec::Matmul(p) => Some(2.0 * (p.n as f64).powi(3)),
        Spec::Mlp(p) => Some(
            2.0 * p.batch as f64
                * p.layers
                    .windows(2)
                    .map(|w| (w[0] * w[1]) as f64)
                    .sum::<f64>(),
        ),
        _ => None,
    }
}

fn cpu_throughput(runtime: &Runtime) {
    println!(
        "== cpu backend throughput ({} threads)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let layers = [784, 256, 128, 10];
    let w = weights(&layers);
    let jobs = [
        job("matmul", json!({"n": 1024, "seed": 42}), 4, None),
        job(
            "mlp-inference",
            json!({"layers": layers, "batch": 8192, "seed": 1234, "weights": "w.bin"}),
            8,
            Some(&w),
        ),
        job(
            "render-tiles",
            json!({"width": 640, "height": 360, "frames": 2, "samples": 16, "seed": 7}),
            2,
            None,
        ),
        job(
            "sha256-batch",
            json!({"count": 65536, "size": 256, "seed": 1}),
            8,
            None,
        ),
    ];
    let cpu = CpuBackend::new();
    for j in &jobs {
        let r = runtime
            .run_job(&cpu, j, &AtomicBool::new(false), &mut |_| {})
            .expect("bench job runs");
        let extra = match flops(j.spec()) {
            Some(f) => format!(", {:.2} GFLOP/s", f / r.seconds / 1e9),
            None => String::new(),
        };
        println!(
            "cpu {:<14} {:>3} units, {:>5} leaves in {:>6.3} s: {:>7.2} units/s, {:>8.1} leaves/s{extra}",
            j.spec().kernel(),
            j.work_units(),
            r.leaf_count,
            r.seconds,
            j.work_units() as f64 / r.seconds,
            r.leaf_count as f64 / r.seconds,
        );
    }
}

fn merkle_vs_sha256() {
    println!("== Merkle (RFC 6962) vs plain sha256, one core, 64 MiB");
    let data: Vec<u8> = (0..64u64 << 20)
        .map(|i| (rng::mix(i) >> 32) as u8)
        .collect();
    let best = |f: &dyn Fn() -> [u8; 32]| {
        (0..3)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed().as_secs_f64()
            })
            .fold(f64::MAX, f64::min)
    };
    let plain = best(&|| Sha256::digest(&data).into());
    for leaf in [16usize << 10, 64 << 10] {
        let tree = best(&|| {
            let hashes: Vec<_> = data.chunks(leaf).map(merkle::leaf_hash).collect();
            merkle::root(&hashes)
        });
        println!(
            "merkle leaves {:>2} KiB: {:.0} MB/s vs sha256 {:.0} MB/s = {:.1} % of plain sha256",
            leaf >> 10,
            data.len() as f64 / tree / 1e6,
            data.len() as f64 / plain / 1e6,
            100.0 * plain / tree
        );
    }
}

fn wasm_leaf_cost() {
    println!("== one leaf recomputed in the wasm32 build (wasmi interpreter) vs native");
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("wasm-reference");
    let wasm = match common::wasm::build(&target) {
        Ok(Some(w)) => w,
        Ok(None) => return,
        Err(e) => {
            println!("wasm build failed: {e}");
            return;
        }
    };
    let bytes = std::fs::read(wasm).expect("wasm file");
    let layers = vec![784, 256, 128, 10];
    let w = weights(&layers);
    // The example manifests' params (examples/*.yaml); sha256-batch has no example: 1 Mi
    // messages of 256 bytes.
    let cases = [
        (
            Spec::Matmul(matmul::Params { n: 4096, seed: 42 }),
            vec![],
            0,
            "n=4096, a 64x64 tile",
        ),
        (
            Spec::Mlp(mlp::Params {
                layers,
                batch: 65536,
                seed: 1234,
            }),
            w,
            0,
            "784-256-128-10, 256 samples",
        ),
        // Frame 12, tile row 8, column 15: the middle of the picture (edge tiles see little).
        (
            Spec::Render(render::Params {
                width: 1920,
                height: 1080,
                frames: 24,
                samples: 64,
                seed: 7,
            }),
            vec![],
            12 * 510 + 8 * 30 + 15,
            "1920x1080, 64 spp, a central 64x64 tile",
        ),
        (
            Spec::Sha256Batch(sha256_batch::Params {
                count: 1 << 20,
                size: 256,
                seed: 1,
            }),
            vec![],
            0,
            "1024 digests of 256 B",
        ),
    ];
    for (spec, input, leaf, what) in &cases {
        let mut referee = common::wasm::Referee::new(&bytes).expect("module instantiates");
        let t = Instant::now();
        let native = spec.leaf(*leaf, input).expect("native leaf");
        let native_s = t.elapsed().as_secs_f64();
        let got = referee.leaf(spec, input, *leaf).expect("wasm leaf");
        assert!(got.bytes == native, "wasm and native leaves differ");
        println!(
            "wasm leaf {:<14} ({what}): {:>6.2} G fuel, {:>7.3} s (native {:.3} s, {:.0}x)",
            spec.kernel(),
            got.fuel as f64 / 1e9,
            got.time.as_secs_f64(),
            native_s,
            got.time.as_secs_f64() / native_s
        );
    }
}

fn gpu_matmul() {
    println!("== cuda matmul");
    let gpus = match tessera_runtime::inventory::gpus() {
        Ok(g) if !g.is_empty() => g,
        Ok(_) => return println!("SKIP: no CUDA device found"),
        Err(e) => return println!("SKIP: no CUDA device found ({e})"),
    };
    if let Some(dir) = common::nvrtc_dir() {
        tessera_runtime::nvrtc::preload(&dir).expect("NVRTC loads");
    }
    let cuda = CudaBackend::new(0).expect("cuda backend");
    let g = &gpus[0];
    let j = job("matmul", json!({"n": 4096, "seed": 42}), 16, None);
    let mut prepared = cuda.prepare(&j).expect("prepare");
    let mut seconds = 0.0;
    for u in 0..j.work_units() {
        seconds += prepared
            .run(j.unit_leaves(u).expect("unit"))
            .expect("unit runs")
            .seconds;
    }
    let gflops = flops(j.spec()).unwrap_or(0.0) / seconds / 1e9;
    let peak = tessera_runtime::inventory::fp32_non_fma_peak_gflops(0).unwrap_or(f64::NAN);
    println!(
        "cuda matmul n=4096 on {} (cc {:?}): {:.3} GPU-s, {:.0} GFLOP/s = {:.1} % of the fp32 non-FMA peak {:.0} GFLOP/s",
        g.model,
        g.compute_capability,
        seconds,
        gflops,
        100.0 * gflops / peak,
        peak
    );
}

fn main() {
    // `cargo test --benches` runs this with --bench absent; keep that quick.
    if !std::env::args().any(|a| a == "--bench") {
        println!("run with `cargo bench -p tessera-runtime` for the figures");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let runtime = Runtime::new(dir.path()).expect("runtime");
    cpu_throughput(&runtime);
    merkle_vs_sha256();
    wasm_leaf_cost();
    gpu_matmul();
}
