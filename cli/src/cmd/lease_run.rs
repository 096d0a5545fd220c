//! One lease of `job run`: hand the manifest to the provider, follow the work with a progress
//! bar, wait for the provider's output root on chain, download every output leaf, check each
//! against that root, recompute the leaves the chain samples and dispute a wrong one
//! (`sample_check`), then assemble the files from the verified leaves (tessera-kernels, the
//! provider's own assembly) and write them.

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
use tessera_client::manifest::Manifest;
use tessera_client::outputs::{Collector, OutputJob};
use tessera_client::provider_api::ProviderApi;
use tessera_proto::provider::v1::WorkState;

use crate::cmd::sample_check::{check_sample, SampleCheck};
use crate::context::{Context, Session};

/// How long the provider has to post its final output root on chain once the work is done.
const ATTESTATION_WAIT: Duration = Duration::from_secs(60);
/// Attestations per query page (the market's page cap).
const ATTESTATION_PAGE: u32 = tessera_api::pagination::MAX_LIMIT;

#[derive(Serialize)]
pub struct LeaseOutput {
    pub lease: LeaseId,
    pub provider_uri: String,
    pub work_units: u64,
    pub output_root: String,
    pub leaves: u64,
    /// Bytes of the verified leaves the files were assembled from.
    pub bytes: u64,
    /// The sampled leaves recomputed on this machine.
    pub check: SampleCheck,
    pub dir: PathBuf,
    pub files: Vec<OutputFile>,
}

#[derive(Debug, Serialize)]
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
    let job = output_job(session, lease, manifest)
        .await
        .context("step manifest")?;
    let (mut api, provider_uri, work_units) = send_manifest(ctx, session, lease, manifest)
        .await
        .context("step send manifest")?;
    let done = follow_work(ctx, &mut api, key, lease, work_units)
        .await
        .context("step work")?;
    let attested = attested_root(session, lease, &done.output_root)
        .await
        .context("step attestation")?;
    let leaves = download_leaves(
        ctx,
        &mut api,
        key,
        lease,
        &attested.root,
        &job,
        done.leaf_count,
    )
    .await
    .context("step download")?;
    let check = check_sample(ctx, session, lease, attested.seq, &leaves, manifest)
        .await
        .context("step check")?;
    if let Some(dispute) = &check.dispute {
        bail!(
            "step check: leaf {} of attestation {} is not what the {} kernel computes; disputed \
             in tx {} (verdict: {}): the provider is slashed and jailed and the lease closed; no \
             files were written",
            dispute.leaf,
            check.seq,
            job.spec().kernel(),
            dispute.tx,
            dispute.verdict
        );
    }
    let (files, bytes) = write_outputs(dir, &leaves).context("step write")?;
    Ok(LeaseOutput {
        lease: lease.clone(),
        provider_uri,
        work_units: done.work_units_total,
        output_root: done.output_root,
        leaves: done.leaf_count,
        bytes,
        check,
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

/// The job of the lease's group in `manifest`, which must be the manifest the deployment's
/// on-chain hash names: its kernel and params fix the leaves and how files are assembled.
pub async fn output_job(session: &Session, lease: &LeaseId, manifest: &[u8]) -> Result<OutputJob> {
    let text = std::str::from_utf8(manifest).context("the manifest is not UTF-8")?;
    let manifest = Manifest::parse(text, "manifest")?;
    let deployment = session.chain.deployment(&lease.deployment()).await?;
    manifest
        .verify_hash(&deployment.manifest_hash)
        .with_context(|| {
            format!(
                "this is not the manifest of deployment {}",
                lease.deployment()
            )
        })?;
    let group = usize::try_from(lease.gseq)
        .ok()
        .and_then(|g| g.checked_sub(1))
        .and_then(|g| deployment.groups.get(g))
        .with_context(|| {
            format!(
                "deployment {} has no group {}",
                lease.deployment(),
                lease.gseq
            )
        })?;
    let (_, service) = manifest
        .service_for_group(&group.name)
        .with_context(|| format!("the manifest has no service for group {}", group.name))?;
    Ok(OutputJob::of_service(service)?)
}

/// A connection to the lease's provider at its registered `host_uri`, accepting only the TLS
/// certificate its registration names (`tls_fingerprint`; plain http:// only on loopback).
pub async fn connect(session: &Session, lease: &LeaseId) -> Result<ProviderApi> {
    let provider = session.chain.provider(&lease.provider).await?;
    Ok(ProviderApi::connect(
        &provider.host_uri,
        provider.tls_fingerprint.as_deref(),
        session.signer.chain_id(),
        &lease.provider,
    )
    .await?)
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

/// An output root attested on chain, and the attestation that did.
pub struct Attested {
    pub root: Hash,
    pub seq: u64,
}

/// The output root the provider attested on chain: only that is trusted for verification.
pub async fn attested_root(session: &Session, lease: &LeaseId, reported: &str) -> Result<Attested> {
    let deadline = Instant::now() + ATTESTATION_WAIT;
    // Attestations are paged by sequence number: the newest is on the last page, and a lease
    // attested every few minutes for days has more than one page.
    let mut start_after = None;
    let mut latest: Option<(String, u64)> = None;
    loop {
        let page: market::AttestationsResponse = session
            .chain
            .query_market(&QueryMsg::Attestations {
                lease: lease.clone(),
                start_after,
                limit: Some(ATTESTATION_PAGE),
            })
            .await?;
        if let Some(last) = page.attestations.last() {
            start_after = Some(last.seq);
            latest = Some((last.output_root.clone(), last.seq));
            if page.attestations.len() == ATTESTATION_PAGE as usize {
                continue;
            }
        }
        if let Some((root, seq)) = latest.as_ref().filter(|(root, _)| root == reported) {
            return Ok(Attested {
                root: hex_to_hash(root)?,
                seq: *seq,
            });
        }
        if Instant::now() >= deadline {
            bail!(
                "the provider reports output root {reported}, but has not attested it on chain \
                 within {} s (latest attested: {})",
                ATTESTATION_WAIT.as_secs(),
                latest.as_ref().map_or("none", |(root, _)| root.as_str())
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

/// Downloads every leaf and verifies it against `root`, then assembles the job's files from
/// the verified leaves and writes them under `dir` ([`write_outputs`]). Returns the files and
/// the bytes of leaves downloaded.
#[allow(clippy::too_many_arguments)]
pub async fn fetch_outputs(
    ctx: &Context,
    api: &mut ProviderApi,
    key: &tessera_client::keys::Key,
    lease: &LeaseId,
    root: &Hash,
    job: &OutputJob,
    reported_leaf_count: u64,
    dir: &Path,
) -> Result<(Vec<OutputFile>, u64)> {
    let leaves = download_leaves(ctx, api, key, lease, root, job, reported_leaf_count).await?;
    write_outputs(dir, &leaves)
}

/// Downloads every leaf, each verified against `root` before it is kept.
pub async fn download_leaves<'a>(
    ctx: &Context,
    api: &mut ProviderApi,
    key: &tessera_client::keys::Key,
    lease: &LeaseId,
    root: &Hash,
    job: &'a OutputJob,
    reported_leaf_count: u64,
) -> Result<Collector<'a>> {
    job.check_leaf_count(reported_leaf_count)?;
    let bar = bar(
        ctx,
        job.leaf_count(),
        "{bar:30} {pos}/{len} leaves verified [{elapsed}] {msg}",
    );
    let mut leaves = job.collector();
    api.download(key, lease, root, job.leaf_count(), 0, |index, data| {
        leaves.push(index, data)?;
        bar.inc(1);
        Ok(())
    })
    .await?;
    bar.finish_with_message("verified");
    Ok(leaves)
}

/// Assembles the job's files from verified leaves and writes them under `dir` (created if
/// missing): each as `NAME.part`, renamed once all are written, so a file under its own name is
/// always complete and verified. A failure removes the `.part` files. Returns the files and the
/// bytes of the leaves.
pub fn write_outputs(dir: &Path, leaves: &Collector<'_>) -> Result<(Vec<OutputFile>, u64)> {
    let files = leaves.assemble()?;
    let written = write_files(dir, &files)?;
    Ok((written, leaves.bytes()))
}

/// Writes assembled files as `NAME.part`, then renames them all; on failure removes what it
/// wrote.
fn write_files(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<Vec<OutputFile>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut parts: Vec<PathBuf> = Vec::with_capacity(files.len());
    let result = (|| {
        let mut done = Vec::with_capacity(files.len());
        for (name, bytes) in files {
            let name = safe_name(name).map_err(|e| anyhow::anyhow!("output name: {e}"))?;
            let part = dir.join(format!("{name}.part"));
            parts.push(part.clone());
            let mut file =
                File::create(&part).with_context(|| format!("cannot create {}", part.display()))?;
            file.write_all(bytes)
                .and_then(|_| file.sync_all())
                .with_context(|| format!("cannot write {}", part.display()))?;
            done.push(OutputFile {
                name,
                size: bytes.len() as u64,
                sha256: hex::encode(Sha256::digest(bytes)),
            });
        }
        for file in &done {
            let part = dir.join(format!("{}.part", file.name));
            std::fs::rename(&part, dir.join(&file.name))
                .with_context(|| format!("cannot rename {}", part.display()))?;
        }
        anyhow::Ok(done)
    })();
    if result.is_err() {
        for part in &parts {
            let _ = std::fs::remove_file(part);
        }
    }
    result
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
    fn files_appear_under_their_names_only_when_all_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![
            ("frame-00000.png".to_string(), b"one".to_vec()),
            ("frame-00001.png".to_string(), b"two".to_vec()),
        ];
        let written = write_files(dir.path(), &files).unwrap();
        assert_eq!(written.len(), 2);
        assert_eq!(written[1].size, 3);
        assert_eq!(written[0].sha256, hex::encode(Sha256::digest(b"one")),);
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["frame-00000.png", "frame-00001.png"]);

        // A bad name after a good one: neither the good file nor its .part stays.
        let other = tempfile::tempdir().unwrap();
        let bad = vec![
            ("c.f32".to_string(), b"ok".to_vec()),
            ("../escape".to_string(), b"no".to_vec()),
        ];
        let err = write_files(other.path(), &bad).unwrap_err().to_string();
        assert!(
            err.contains("\"../escape\" is not a plain file name"),
            "{err}"
        );
        assert_eq!(std::fs::read_dir(other.path()).unwrap().count(), 0);
    }

    #[test]
    fn output_names_cannot_leave_the_output_directory() {
        assert!(safe_name("frame-0001.png").is_ok());
        for bad in ["", ".", "..", "../x", "a/b", "a\\b"] {
            assert!(safe_name(bad).is_err(), "{bad:?}");
        }
    }
}
