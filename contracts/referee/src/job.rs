//! From a deployment's canonical manifest to the one job a lease runs, and from that job to the
//! hash of any one of its leaves: what the provider computed, recomputed by the same reference
//! code and the same params parser.
//!
//! The canonical manifest (docs/manifest.md) is `{"services": {name: {kernel, params, inputs,
//! ..}}, "deployment": {service: {placement: ..}}, ..}`; a lease's group is named
//! `service.placement`.

use serde_json::Value;
use sha2::{Digest, Sha256};
use tessera_api::merkle;
use tessera_kernels::params;
use tessera_kernels::Spec;

use crate::error::ContractError;

/// A lease's job: its checked spec and the input file it reads, if any, with the sha256 the
/// manifest declares for it.
#[derive(Debug)]
pub struct LeaseJob {
    pub spec: Spec,
    pub input: Option<DeclaredInput>,
}

#[derive(Debug)]
pub struct DeclaredInput {
    pub name: String,
    pub sha256: String,
}

/// Checks that `manifest` is the one the deployment committed to: its sha256 is
/// `manifest_hash`.
pub fn check_manifest(manifest: &[u8], manifest_hash: &str) -> Result<(), ContractError> {
    let got = sha256_hex(manifest);
    if !got.eq_ignore_ascii_case(manifest_hash) {
        return Err(ContractError::ManifestMismatch {
            expected: manifest_hash.to_string(),
            got,
        });
    }
    Ok(())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    merkle::to_hex(&Sha256::digest(bytes).into())
}

/// The job of `group` in a canonical manifest.
pub fn job_of(manifest: &[u8], group: &str) -> Result<LeaseJob, ContractError> {
    let doc: Value = serde_json::from_slice(manifest)
        .map_err(|e| ContractError::manifest(format!("not JSON: {e}")))?;
    let (service_name, placement) = group.split_once('.').ok_or_else(|| {
        ContractError::manifest(format!("group {group:?} is not named service.placement"))
    })?;
    let placed = doc
        .get("deployment")
        .and_then(|d| d.get(service_name))
        .and_then(|s| s.get(placement));
    if placed.is_none() {
        return Err(ContractError::manifest(format!(
            "no deployment of service {service_name:?} on placement {placement:?}"
        )));
    }
    let service = doc
        .get("services")
        .and_then(|s| s.get(service_name))
        .ok_or_else(|| ContractError::manifest(format!("no service {service_name:?}")))?;
    let kernel = service
        .get("kernel")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ContractError::manifest(format!("service {service_name:?} has no kernel"))
        })?;
    let params = service.get("params").unwrap_or(&Value::Null);
    let parsed = params::parse(kernel, params)
        .map_err(|e| ContractError::manifest(format!("service {service_name:?}: {e}")))?;
    let input = match parsed.input {
        None => None,
        Some(name) => Some(declared_input(service, &name)?),
    };
    Ok(LeaseJob {
        spec: parsed.spec,
        input,
    })
}

fn declared_input(service: &Value, name: &str) -> Result<DeclaredInput, ContractError> {
    let declared = service
        .get("inputs")
        .and_then(Value::as_array)
        .and_then(|inputs| {
            inputs
                .iter()
                .find(|i| i.get("name").and_then(Value::as_str) == Some(name))
        })
        .and_then(|i| i.get("sha256").and_then(Value::as_str))
        .ok_or_else(|| ContractError::Input {
            name: name.to_string(),
            reason: "the manifest does not declare it".into(),
        })?;
    Ok(DeclaredInput {
        name: name.to_string(),
        sha256: declared.to_string(),
    })
}

impl LeaseJob {
    /// The hash of leaf `leaf` in the job's output tree, recomputed. `input` must be the declared
    /// input file when the kernel reads one.
    pub fn leaf_hash(
        &self,
        leaf: u64,
        input: Option<&[u8]>,
    ) -> Result<merkle::Hash, ContractError> {
        let bytes: &[u8] = match (&self.input, input) {
            (None, _) => &[],
            (Some(declared), None) => {
                return Err(ContractError::Input {
                    name: declared.name.clone(),
                    reason: "the kernel reads it; attach it to the dispute, or stage it first \
                             (stage_input)"
                        .into(),
                })
            }
            (Some(declared), Some(bytes)) => {
                let got = sha256_hex(bytes);
                if !got.eq_ignore_ascii_case(&declared.sha256) {
                    return Err(ContractError::Input {
                        name: declared.name.clone(),
                        reason: format!(
                            "sha256 is {got}, the manifest declares {}",
                            declared.sha256
                        ),
                    });
                }
                bytes
            }
        };
        let leaf_bytes = self
            .spec
            .leaf(leaf, bytes)
            .map_err(|e| ContractError::Kernel {
                leaf,
                reason: e.to_string(),
            })?;
        Ok(merkle::leaf_hash(&leaf_bytes))
    }
}
