//! The wasm32 build of the reference (what a contract would run as the referee of a dispute)
//! gives the same leaf bytes as the native build, for every kernel, on ragged leaves, and refuses
//! a leaf out of range.

mod common;

use tessera_runtime::kernels::{matmul, mlp, render, rng, sha256_batch, Spec};

#[test]
fn the_wasm_reference_gives_the_native_leaf_bytes() -> anyhow::Result<()> {
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("wasm-reference");
    let Some(wasm) = common::wasm::build(&target)? else {
        return Ok(());
    };
    let mut referee = common::wasm::Referee::new(&std::fs::read(wasm)?)?;

    let mlp = mlp::Params {
        layers: vec![6, 20, 4],
        batch: 700,
        seed: 9,
    };
    let key = rng::stream_key(3, 77);
    let weights: Vec<u8> = (0..mlp.weights_len() / 4)
        .flat_map(|i| rng::signed_f32(rng::at(key, i)).to_le_bytes())
        .collect();
    let cases: Vec<(Spec, Vec<u8>, Vec<u64>)> = vec![
        (
            Spec::Matmul(matmul::Params { n: 130, seed: 4 }),
            vec![],
            vec![0, 4, 8],
        ),
        (
            Spec::Render(render::Params {
                width: 70,
                height: 33,
                frames: 2,
                samples: 2,
                seed: 5,
            }),
            vec![],
            vec![0, 3],
        ),
        (
            Spec::Sha256Batch(sha256_batch::Params {
                count: 1500,
                size: 100,
                seed: 2,
            }),
            vec![],
            vec![0, 1],
        ),
        (Spec::Mlp(mlp), weights, vec![0, 2]),
    ];
    for (spec, input, leaves) in &cases {
        for &leaf in leaves {
            let native = spec.leaf(leaf, input)?;
            let got = referee.leaf(spec, input, leaf)?;
            assert!(
                got.bytes == native,
                "{}: leaf {leaf} differs between wasm and native",
                spec.kernel()
            );
            assert!(got.fuel > 0);
        }
    }
    // Out of range: the module says no instead of trapping.
    let spec = &cases[0].0;
    assert!(referee.leaf(spec, &[], spec.leaf_count()).is_err());
    Ok(())
}
