//! Manifest-level tests: every rule with its message and line, hashing, group mapping, the
//! examples, and robustness against malformed input.

mod errors;
mod examples;
mod hashing;
mod planning;
mod robustness;

use crate::{Manifest, ManifestErrors};

/// A small valid manifest; tests edit it one rule at a time. Line numbers matter to the tests.
pub(crate) const BASE: &str = r#"version: "1.0"
services:
  render:
    kernel: render-tiles
    params:
      scene: cornell-box
      frames: 24
    work_units: 24
profiles:
  compute:
    gpu-small:
      cpu: 2
      memory: 8Gi
      gpu:
        units: 1
  placement:
    anywhere:
      pricing:
        gpu-small:
          denom: utsr
          amount: 1000000
          per: hour
deployment:
  render:
    anywhere:
      profile: gpu-small
      count: 1
"#;

/// `BASE` with one piece of text replaced (which must be there).
pub(crate) fn edit(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "BASE has no {from:?}");
    BASE.replacen(from, to, 1)
}

pub(crate) fn parse(src: &str) -> Result<Manifest, ManifestErrors> {
    Manifest::parse(src, "m.yaml")
}

pub(crate) fn ok(src: &str) -> Manifest {
    match parse(src) {
        Ok(manifest) => manifest,
        Err(errors) => panic!("expected a valid manifest, got:\n{errors}"),
    }
}

/// The errors as printed, one string per line.
pub(crate) fn errors(src: &str) -> Vec<String> {
    match parse(src) {
        Ok(_) => panic!("expected errors, the manifest parsed"),
        Err(errors) => errors.to_string().lines().map(String::from).collect(),
    }
}

#[test]
fn the_base_manifest_is_valid() {
    let manifest = ok(BASE);
    assert_eq!(manifest.version(), "1.0");
    assert_eq!(manifest.plan().groups.len(), 1);
}
