//! The manifests under `examples/` parse, map to groups, and stay in sync with their comments.

use std::path::{Path, PathBuf};

use cosmwasm_std::Uint128;

use crate::Manifest;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

fn load(name: &str) -> Manifest {
    match Manifest::from_file(&example(name)) {
        Ok(manifest) => manifest,
        Err(errors) => panic!("{name} does not parse:\n{errors}"),
    }
}

#[test]
fn the_render_example_parses_and_maps_to_one_gpu_group() {
    let manifest = load("render.yaml");
    let plan = manifest.plan();
    assert_eq!(plan.denom, "utsr");
    assert_eq!(plan.groups.len(), 1);
    let group = &plan.groups[0];
    assert_eq!(group.name, "render.anywhere");
    assert_eq!(group.resources.gpu.units, 1);
    assert_eq!(group.resources.memory_mib, 8192);
    assert_eq!(plan.max_price_per_hour, Uint128::new(1_000_000));
    let service = manifest.service("render").expect("the render service");
    assert_eq!(service.kernel, "render-tiles");
    assert_eq!(service.params["seed"], 7);
    assert_eq!(manifest.total_work_units(), 24);
}

#[test]
fn the_matmul_example_parses_and_maps_to_one_datacenter_group() {
    let manifest = load("matmul.yaml");
    let plan = manifest.plan();
    assert_eq!(plan.groups.len(), 1);
    let group = &plan.groups[0];
    assert_eq!(group.name, "matmul.datacenter");
    assert_eq!(group.resources.gpu.models.len(), 2);
    assert_eq!(group.requirements.attributes[0].key, "tier");
    assert_eq!(plan.max_price_per_hour, Uint128::new(1_000_000));
    assert_eq!(
        manifest.service("matmul").expect("matmul").params["n"],
        4096
    );
}

#[test]
fn the_inference_example_parses_and_prices_two_instances() {
    let manifest = load("inference.yaml");
    let plan = manifest.plan();
    assert_eq!(plan.groups.len(), 1);
    let group = &plan.groups[0];
    assert_eq!(group.name, "infer.eu");
    assert_eq!(group.count, 2);
    assert_eq!(group.resources.cpu_millis, 1500);
    assert_eq!(group.max_price, Uint128::new(1_000_000));
    let service = manifest.service("infer").expect("the infer service");
    assert_eq!(service.inputs.len(), 1);
    assert_eq!(service.inputs[0].name, "mlp.bin");
    assert_eq!(service.kernel, "mlp-inference");
}

#[test]
fn every_example_hashes_stably_and_differently() {
    let hashes: Vec<String> = ["render.yaml", "matmul.yaml", "inference.yaml"]
        .iter()
        .map(|name| {
            let manifest = load(name);
            assert_eq!(manifest.hash_hex(), load(name).hash_hex());
            assert!(manifest.verify_hash(&manifest.hash_hex()).is_ok());
            manifest.hash_hex()
        })
        .collect();
    assert_ne!(hashes[0], hashes[1]);
    assert_ne!(hashes[1], hashes[2]);
}
