//! What `SendManifest` checks of a tenant's manifest before any work starts, apart from the
//! chain: the bytes are UTF-8, parse as a manifest, hash to the deployment's on-chain value,
//! name a service for the lease's group, and describe a job the runtime accepts. Pure, so that
//! the fuzzer runs exactly what the API runs on a stranger's bytes.

use tessera_manifest::{Manifest, Service};
use tessera_runtime::Job;

use crate::work;

/// A manifest accepted for one group of a deployment.
pub struct Accepted {
    /// The manifest's text, kept to restart the work after a crash.
    pub text: String,
    pub manifest: Manifest,
    pub service: Service,
    pub job: Job,
}

/// Why a manifest was refused; every variant is the tenant's error (`InvalidArgument`).
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("the manifest is not UTF-8")]
    NotUtf8,
    #[error("{0}")]
    Invalid(String),
}

/// Checks `bytes` against the deployment's `manifest_hash` and the group named `group_name`.
pub fn accept(bytes: Vec<u8>, manifest_hash: &str, group_name: &str) -> Result<Accepted, Refusal> {
    let text = String::from_utf8(bytes).map_err(|_| Refusal::NotUtf8)?;
    let manifest =
        Manifest::parse(&text, "manifest").map_err(|e| Refusal::Invalid(e.to_string()))?;
    manifest
        .verify_hash(manifest_hash)
        .map_err(|e| Refusal::Invalid(e.to_string()))?;
    let service =
        work::service_of(&manifest, group_name).map_err(|e| Refusal::Invalid(e.to_string()))?;
    let job = work::job_of(&service).map_err(|e| Refusal::Invalid(format!("{e:#}")))?;
    Ok(Accepted {
        text,
        manifest,
        service,
        job,
    })
}
