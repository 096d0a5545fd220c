//! The canonical JSON and hash: what must not change them, what must, and a pinned value.

use super::{edit, ok, BASE};
use crate::HashMismatch;

/// BASE's canonical JSON, written out by hand from docs/manifest.md.
const BASE_CANONICAL: &str = concat!(
    r#"{"deployment":{"render":{"anywhere":{"count":1,"profile":"gpu-small"}}},"#,
    r#""profiles":{"compute":{"gpu-small":{"cpu_millis":2000,"gpu":{"models":[],"units":1},"#,
    r#""memory_mib":8192,"storage_mib":0}},"placement":{"anywhere":{"attributes":{},"#,
    r#""pricing":{"gpu-small":{"amount":"1000000","denom":"utsr","per":"hour"}},"#,
    r#""signed_by":{"all_of":[],"any_of":[]}}}},"#,
    r#""services":{"render":{"inputs":[],"kernel":"render-tiles","#,
    r#""params":{"frames":24,"scene":"cornell-box"},"work_units":24}},"version":"1.0"}"#,
);
/// sha256 of BASE_CANONICAL, computed outside this crate (`printf %s '…' | sha256sum`).
const BASE_HASH: &str = "430913c9bca534dfa87b57ff03c301d874c13379fcf2847b2e3ffc8a7897a781";

/// BASE said differently: other key order, flow style, comments, other units, defaults spelled
/// out, the amount as a string.
const BASE_REWRITTEN: &str = r#"
# The same manifest as BASE.
deployment:
  render: {anywhere: {count: 1, profile: gpu-small}}   # count 1 is the default anyway
profiles:
  placement:
    anywhere:
      signed_by: {any_of: [], all_of: []}
      pricing:
        gpu-small: {per: hour, amount: "1000000", denom: utsr}
      attributes: {}
  compute:
    gpu-small:
      gpu: {units: 1, models: []}
      memory: 8192Mi
      storage: 0
      cpu: 2000m
services:
  render:
    work_units: 24
    inputs: []
    params: {frames: 24, scene: 'cornell-box'}
    kernel: render-tiles
version: '1.0'
"#;

#[test]
fn the_canonical_form_of_a_small_manifest_is_pinned() {
    let manifest = ok(BASE);
    assert_eq!(manifest.canonical_json(), BASE_CANONICAL);
    assert_eq!(manifest.hash_hex(), BASE_HASH);
}

#[test]
fn layout_comments_key_order_units_and_defaults_do_not_change_the_hash() {
    assert_eq!(ok(BASE_REWRITTEN).hash_hex(), BASE_HASH);
    assert_eq!(
        ok(&edit("memory: 8Gi", "memory: 8589934592")).hash_hex(),
        BASE_HASH
    );
    assert_eq!(ok(&edit("cpu: 2", "cpu: 2.0")).hash_hex(), BASE_HASH);
    assert_eq!(ok(&edit("      count: 1\n", "")).hash_hex(), BASE_HASH);
}

#[test]
fn a_changed_param_changes_the_hash() {
    let changed = ok(&edit("frames: 24", "frames: 25"));
    assert_ne!(changed.hash_hex(), BASE_HASH);
    // A number and the same digits as a string are different params.
    let quoted = ok(&edit("frames: 24", "frames: \"24\""));
    assert_ne!(quoted.hash_hex(), BASE_HASH);
    assert_ne!(quoted.hash_hex(), changed.hash_hex());
}

#[test]
fn optional_fields_appear_as_null_and_lists_keep_their_order() {
    let src = edit(
        "        units: 1\n",
        "        units: 1\n        models:\n          - {vendor: nvidia, model: h100}\n          - {vendor: amd, model: mi300x, vram: 192Gi, interface: oam}\n",
    );
    let json = ok(&src).canonical_json();
    assert!(
        json.contains(concat!(
            r#""models":[{"interface":null,"model":"h100","vendor":"nvidia","vram_mib":null},"#,
            r#"{"interface":"oam","model":"mi300x","vendor":"amd","vram_mib":196608}]"#
        )),
        "{json}"
    );
}

#[test]
fn verify_hash_accepts_the_hash_and_names_both_on_mismatch() {
    let manifest = ok(BASE);
    assert_eq!(manifest.verify_hash(BASE_HASH), Ok(()));
    let wrong = "0".repeat(64);
    assert_eq!(
        manifest.verify_hash(&wrong),
        Err(HashMismatch {
            expected: wrong.clone(),
            actual: BASE_HASH.to_string(),
        })
    );
    assert_eq!(
        manifest.verify_hash(&wrong).unwrap_err().to_string(),
        format!("manifest hash mismatch: expected {wrong}, the manifest hashes to {BASE_HASH}")
    );
}

#[test]
fn the_reference_doc_shows_the_real_canonical_form_and_hash() {
    let doc_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/manifest.md");
    let doc = match std::fs::read_to_string(doc_path) {
        Ok(doc) => doc,
        Err(e) => panic!("cannot read {doc_path}: {e}"),
    };
    let example = doc
        .split("```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/manifest.md has a yaml example");
    assert_eq!(ok(example).hash_hex(), BASE_HASH);
    assert!(doc.contains(BASE_HASH));
    // The canonical JSON is shown wrapped at commas; unwrapped it is the real one.
    assert!(doc.replace(",\n\"", ",\"").contains(BASE_CANONICAL));
}
