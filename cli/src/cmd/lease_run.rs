//! One lease of `job run`: hand the manifest to the provider, follow the work with a progress
//! bar, wait for the provider's output root on chain, download every output leaf and keep it
//! only if it proves against that root.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tessera_api::market::{self, QueryMsg};
use tessera_api::merkle::Hash;
use tessera_api::LeaseId;
use tessera_client::provider_api::ProviderApi;
use tessera_proto::provider::v1::WorkState;

use crate::context::{Context, Session};

/// How long the provider has to post its final output root on chain once the work is done.
const ATTESTATION_WAIT: Duration = Duration::from_secs(60);

#[derive(Serialize)]
pub struct LeaseOutput {
    pub lease: LeaseId,
    pub provider_uri: String,
    pub work_units: u64,
    pub output_root: String,
    pub leaves: u64,
    pub bytes: u64,
    pub dir: PathBuf,
    pub files: Vec<OutputFile>,
}

#[derive(Serialize)]
pub struct OutputFile {
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

pub async fn run_lease(
    ctx: &Context,
    session: &Session,
    lease: &LeaseId,
    manifest: &[u8],
    dir: &Path,
) -> Result<LeaseOutput> {
    let key = session.signer.key();
    let (mut api, provider_uri, work_units) = send_manifest(ctx, session, lease, manifest)
        .await
        .context("step send manifest")?;
    let done = follow_work(ctx, &mut api, key, lease, work_units)
        .await
        .context("step work")?;
    let root = attested_root(session, lease, &done.output_root)
        .await
        .context("step attestation")?;
    let (files, bytes) = fetch_outputs(ctx, &mut api, key, lease, &root, done.leaf_count, dir)
        .await
        .context("step download")?;
    Ok(LeaseOutput {
        lease: lease.clone(),
        provider_uri,
        work_units: done.work_units_total,
        output_root: done.output_root,
        leaves: done.leaf_count,
        bytes,
        dir: dir.to_path_buf(),
        files,
    })
}

/// Connects to the lease's provider (its `host_uri` on chain) and hands it the manifest, which
/// it must hash to the deployment's on-chain hash. Returns the connection, the provider's URI
/// and the number of work units.
pub async fn send_manifest(
    ctx: &Context,
    session: &Session,
    lease: &LeaseId,
    manifest: &[u8],
) -> Result<(ProviderApi, String, u64)> {
    let mut api = connect(session, lease).await?;
    let provider_uri = api.uri().to_string();
    let accepted = api
        .send_manifest(session.signer.key(), lease, manifest.to_vec())
        .await?;
    let expected = session
        .chain
        .deployment(&lease.deployment())
        .await?
        .manifest_hash;
    if accepted.manifest_hash != expected {
        bail!(
            "the provider hashed the manifest to {}, the chain has {expected}",
            accepted.manifest_hash
        );
    }
    ctx.out.note(format!(
        "lease {lease}: manifest accepted by {provider_uri} ({} work units)",
        accepted.work_units
    ));
    Ok((api, provider_uri, accepted.work_units))
}

/// A connection to the lease's provider at its registered `host_uri`.
pub async fn connect(session: &Session, lease: &LeaseId) -> Result<ProviderApi> {
    let provider = session.chain.provider(&lease.provider).await?;
    Ok(ProviderApi::connect(&provider.host_uri).await?)
}

/// Watches the work to its end; a bar counts work units.
async fn follow_work(
    ctx: &Context,
    api: &mut ProviderApi,
    key: &tessera_client::keys::Key,
    lease: &LeaseId,
    total: u64,
) -> Result<tessera_proto::provider::v1::LeaseStatusResponse> {
    let bar = bar(
        ctx,
        total,
        "{bar:30} {pos}/{len} work units [{elapsed}] {msg}",
    );
    let mut stream = api.watch(key, lease).await?;
    while let Some(event) = stream
        .message()
        .await
        .context("the progress stream broke")?
    {
        bar.set_length(event.work_units_total.max(1));
        bar.set_position(event.work_units_done);
        match WorkState::try_from(event.state).unwrap_or(WorkState::Unspecified) {
            WorkState::Done => {
                bar.finish_with_message("done");
                return Ok(event);
            }
            WorkState::Failed => bail!("the provider reports the work failed: {}", event.message),
            WorkState::Closed => bail!("the provider closed the lease: {}", event.message),
            _ => {}
        }
    }
    bail!("the provider ended the progress stream before the work was done")
}

/// The output root the provider attested on chain: only that is trusted for verification.
pub async fn attested_root(session: &Session, lease: &LeaseId, reported: &str) -> Result<Hash> {
    let deadline = Instant::now() + ATTESTATION_WAIT;
    loop {
        let page: market::AttestationsResponse = session
            .chain
            .query_market(&QueryMsg::Attestations {
                lease: lease.clone(),
                start_after: None,
                limit: Some(100),
            })
            .await?;
        if let Some(last) = page.attestations.last() {
            if last.output_root == reported {
                let bytes = hex_to_hash(&last.output_root)?;
                return Ok(bytes);
            }
        }
        if Instant::now() >= deadline {
            bail!(
                "the provider reports output root {reported}, but has not attested it on chain \
                 within {} s (latest attested: {})",
                ATTESTATION_WAIT.as_secs(),
                page.attestations
                    .last()
                    .map(|a| a.output_root.as_str())
                    .unwrap_or("none")
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn hex_to_hash(text: &str) -> Result<Hash> {
    let bytes = hex::decode(text).with_context(|| format!("{text:?} is not hex"))?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("{text:?} is not a sha256 hash"))
}

/// Downloads and verifies every leaf against `root`; writes each unit's output under `dir`
/// (created if missing) as `NAME.part` until all its leaves are verified, then renamed; a
/// failed download removes its `.part` files.
pub async fn fetch_outputs(
    ctx: &Context,
    api: &mut ProviderApi,
    key: &tessera_client::keys::Key,
    lease: &LeaseId,
    root: &Hash,
    leaf_count: u64,
    dir: &Path,
) -> Result<(Vec<OutputFile>, u64)> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let bar = bar(
        ctx,
        leaf_count,
        "{bar:30} {pos}/{len} leaves verified [{elapsed}] {msg}",
    );
    struct Open {
        file: File,
        written: u64,
        size: u64,
        hasher: Sha256,
    }
    let mut open: BTreeMap<String, Open> = BTreeMap::new();
    let mut done: Vec<OutputFile> = Vec::new();
    let mut bytes = 0u64;
    let result = api
        .download(key, lease, root, leaf_count, 0, |chunk| {
            let name = safe_name(&chunk.name)
                .map_err(|e| tessera_client::Error::invalid("output name", e))?;
            let io = |e: std::io::Error| {
                tessera_client::Error::invalid("output file", format!("{name}: {e}"))
            };
            if chunk.chunk == 0 {
                let file = File::create(dir.join(format!("{name}.part"))).map_err(io)?;
                open.insert(
                    name.clone(),
                    Open {
                        file,
                        written: 0,
                        size: chunk.unit_size,
                        hasher: Sha256::new(),
                    },
                );
            }
            let entry = open.get_mut(&name).ok_or_else(|| {
                tessera_client::Error::invalid(
                    "output",
                    format!("{name}: a piece arrived before the file's first"),
                )
            })?;
            entry.file.write_all(&chunk.data).map_err(io)?;
            entry.hasher.update(&chunk.data);
            entry.written += chunk.data.len() as u64;
            bytes += chunk.data.len() as u64;
            if entry.written > entry.size {
                return Err(tessera_client::Error::invalid(
                    "output",
                    format!("{name} is longer than announced"),
                ));
            }
            if entry.written == entry.size {
                if let Some(finished) = open.remove(&name) {
                    finished.file.sync_all().map_err(io)?;
                    std::fs::rename(dir.join(format!("{name}.part")), dir.join(&name))
                        .map_err(io)?;
                    done.push(OutputFile {
                        name,
                        size: finished.size,
                        sha256: hex::encode(finished.hasher.finalize()),
                    });
                }
            }
            bar.inc(1);
            Ok(())
        })
        .await;
    if let Err(e) = result {
        for name in open.keys() {
            let _ = std::fs::remove_file(dir.join(format!("{name}.part")));
        }
        return Err(e.into());
    }
    if let Some(name) = open.keys().next() {
        bail!("{name} ended before its announced size");
    }
    bar.finish_with_message("verified");
    Ok((done, bytes))
}

/// An output name as a plain file name: nothing that climbs out of the output directory.
fn safe_name(name: &str) -> Result<String, String> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0']);
    if ok {
        Ok(name.to_string())
    } else {
        Err(format!("{name:?} is not a plain file name"))
    }
}

fn bar(ctx: &Context, len: u64, template: &str) -> ProgressBar {
    if ctx.out.is_json() || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_names_cannot_leave_the_output_directory() {
        assert!(safe_name("frame-0001.png").is_ok());
        for bad in ["", ".", "..", "../x", "a/b", "a\\b"] {
            assert!(safe_name(bad).is_err(), "{bad:?}");
        }
    }
}
