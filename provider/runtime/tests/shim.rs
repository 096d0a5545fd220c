//! The `.cu` kernels, run on the host through a C++ shim (tests/shim: one std::thread per CUDA
//! thread, a real barrier for `__syncthreads`, shared `__shared__` arrays), give exactly the
//! reference crate's leaves, on several sizes including ragged edges and runs of leaves that
//! start mid-job. The device output is cut into leaves by the same function the cuda backend
//! uses.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use tessera_runtime::kernels::{matmul, mlp, render, rng, sha256_batch, Spec};
use tessera_runtime::leaves_from_device;

/// Compiles tests/shim/driver.cpp with the machine's C++ compiler (`CXX`, else `c++`), once.
fn driver() -> &'static Path {
    static DRIVER: OnceLock<PathBuf> = OnceLock::new();
    DRIVER.get_or_init(|| {
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cuda-host-driver");
        let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".into());
        let status = Command::new(&cxx)
            .args([
                "-std=c++17",
                "-O2",
                "-ffp-contract=off",
                "-fno-fast-math",
                "-pthread",
            ])
            .arg("-I")
            .arg(crate_dir.join("kernels"))
            .arg("-I")
            .arg(crate_dir.join("tests/shim"))
            .arg(crate_dir.join("tests/shim/driver.cpp"))
            .arg("-o")
            .arg(&out)
            .status()
            .unwrap_or_else(|e| panic!("cannot run the C++ compiler {cxx:?}: {e}"));
        assert!(status.success(), "compiling the host shim failed");
        out
    })
}

fn run(args: &[String]) -> Vec<u8> {
    let out = Command::new(driver())
        .args(args)
        .output()
        .expect("the shim driver runs");
    assert!(
        out.status.success(),
        "driver {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn strings(v: &[u64]) -> Vec<String> {
    v.iter().map(u64::to_string).collect()
}

/// The shim's leaves `range` against the reference's.
fn check(spec: &Spec, input: &[u8], range: std::ops::Range<u64>, raw: &[u8]) {
    let got = leaves_from_device(spec, range.clone(), raw).expect("device output is long enough");
    assert_eq!(got.len() as u64, range.end - range.start);
    for (leaf, bytes) in range.zip(&got) {
        let want = spec.leaf(leaf, input).expect("reference leaf");
        assert!(
            bytes == &want,
            "{spec:?}: leaf {leaf} differs ({} vs {} bytes)",
            bytes.len(),
            want.len()
        );
    }
}

#[test]
fn matmul_cu_equals_the_reference_on_ragged_sizes() {
    for (n, seed) in [(1u64, 0u64), (4, 9), (17, 1), (64, 2), (100, 3), (130, 4)] {
        let p = matmul::Params { n, seed };
        let spec = Spec::Matmul(p);
        let leaves = p.leaf_count();
        check(
            &spec,
            &[],
            0..leaves,
            &run(&[vec!["matmul".into()], strings(&[n, seed, 0, leaves])].concat()),
        );
        if leaves > 2 {
            // A unit that starts mid-job.
            check(
                &spec,
                &[],
                2..leaves,
                &run(&[vec!["matmul".into()], strings(&[n, seed, 2, leaves - 2])].concat()),
            );
        }
    }
}

fn weights_file(p: &mlp::Params, dir: &Path) -> (PathBuf, Vec<u8>) {
    // Seeded weights in [-1, 1), scaled so that hidden units are sometimes negative (relu bites).
    let key = rng::stream_key(99, 7);
    let bytes: Vec<u8> = (0..p.weights_len() / 4)
        .flat_map(|i| (rng::signed_f32(rng::at(key, i)) * 0.5).to_le_bytes())
        .collect();
    let path = dir.join(format!("w-{}.bin", p.layers.len()));
    std::fs::write(&path, &bytes).expect("write weights");
    (path, bytes)
}

#[test]
fn mlp_cu_equals_the_reference_on_ragged_sizes() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (layers, batch) in [
        (vec![2u64, 2, 1], 3u64),
        (vec![5, 70, 3], 300),
        (vec![33, 17, 9, 130], 200),
    ] {
        let p = mlp::Params {
            layers: layers.clone(),
            batch,
            seed: 12,
        };
        let spec = Spec::Mlp(p.clone());
        let (path, bytes) = weights_file(&p, dir.path());
        let model = p.model(&bytes).expect("weights fit");
        let mut relu_bit = false;
        for first_leaf in [0, p.leaf_count() - 1] {
            let range = first_leaf..p.leaf_count();
            let first = p.leaf_samples(range.start).0;
            let args = [
                vec!["mlp".to_string(), path.display().to_string()],
                strings(&[batch, 12, first, batch - first]),
                strings(&layers),
            ]
            .concat();
            let raw = run(&args);
            check(&spec, &bytes, range, &raw);
            relu_bit |= p.leaf_values(&model, first_leaf).iter().any(|v| *v != 0.0);
        }
        assert!(relu_bit, "outputs are not all zero");
    }
}

#[test]
fn render_cu_equals_the_reference_on_ragged_tiles() {
    for (w, h, frames, samples) in [(64u64, 64u64, 1u64, 2u64), (70, 33, 2, 1), (130, 65, 1, 3)] {
        let p = render::Params {
            width: w,
            height: h,
            frames,
            samples,
            seed: 5,
        };
        let spec = Spec::Render(p);
        let leaves = p.leaf_count();
        check(
            &spec,
            &[],
            0..leaves,
            &run(&[
                vec!["render".into()],
                strings(&[w, h, frames, samples, 5, 0, leaves]),
            ]
            .concat()),
        );
        if leaves > 1 {
            check(
                &spec,
                &[],
                1..leaves,
                &run(&[
                    vec!["render".into()],
                    strings(&[w, h, frames, samples, 5, 1, leaves - 1]),
                ]
                .concat()),
            );
        }
    }
}

#[test]
fn sha256_cu_equals_the_reference_across_padding_boundaries() {
    // 55/56/64 bytes straddle the one- and two-block padding cases; 1500 messages make a full
    // and a partial leaf.
    for size in [0u64, 3, 8, 55, 56, 63, 64, 100, 1000] {
        let p = sha256_batch::Params {
            count: 1500,
            size,
            seed: 2,
        };
        let spec = Spec::Sha256Batch(p);
        check(
            &spec,
            &[],
            0..2,
            &run(&[vec!["sha256".into()], strings(&[size, 2, 0, 1500])].concat()),
        );
        check(
            &spec,
            &[],
            1..2,
            &run(&[vec!["sha256".into()], strings(&[size, 2, 1024, 476])].concat()),
        );
    }
}

#[test]
fn the_shim_sha256_digest_is_sha2s_digest_of_the_message() {
    // The shim generates the message itself; sha2 (checked against FIPS 180-4 in the reference
    // crate) hashes the reference's bytes of the same message.
    use sha2::Digest;
    let p = sha256_batch::Params {
        count: 1,
        size: 3,
        seed: 1,
    };
    let raw = run(&[vec!["sha256".to_string()], strings(&[3, 1, 0, 1])].concat());
    assert_eq!(raw, sha2::Sha256::digest(p.message(0)).to_vec());
}
