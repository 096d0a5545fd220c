//! Checking the work, not only the tree: the leaves the chain samples from an attestation
//! (`attestation_sample`, drawn from block hashes the provider could not know) are recomputed
//! here with the kernels' CPU reference and compared with what the provider committed and
//! served. A wrong leaf is disputed at once; the referee contract recomputes it on chain, and
//! proven fraud slashes the provider (docs/verification.md).

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use cosmwasm_std::Binary;
use serde::Serialize;
use tessera_api::market::{AttestationSampleResponse, QueryMsg};
use tessera_api::merkle::{self, Hash};
use tessera_api::referee;
use tessera_api::LeaseId;
use tessera_client::manifest::Manifest;
use tessera_client::outputs::Collector;
use tessera_client::tenant_secret;
use tessera_kernels::Spec;

use crate::cmd::deployment::reveal_secret;
use crate::context::{Context, Session};

/// How long to wait for the sample: it exists three blocks after the attestation.
const SAMPLE_WAIT: Duration = Duration::from_secs(60);

/// What the check found, in `job run`'s and `lease verify`'s reports.
#[derive(Debug, Serialize)]
pub struct SampleCheck {
    /// The attestation checked.
    pub seq: u64,
    /// The sampled leaves, all recomputed here.
    pub sampled: Vec<u64>,
    /// Those whose recomputation differs from what the provider committed.
    pub wrong: Vec<u64>,
    /// The dispute of the first wrong leaf, sent at once.
    pub dispute: Option<DisputeSent>,
    /// Why nothing was recomputed, when nothing could be.
    pub not_checked: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DisputeSent {
    pub leaf: u64,
    pub tx: String,
    /// The referee's verdict: `fraud` or `rejected`.
    pub verdict: String,
}

/// Recomputes the sample of attestation `seq` from `leaves` (all of the job's, each already
/// verified against the attested root) and disputes the first wrong one.
pub async fn check_sample(
    ctx: &Context,
    session: &Session,
    lease: &LeaseId,
    seq: u64,
    leaves: &Collector<'_>,
    manifest: &[u8],
) -> Result<SampleCheck> {
    let spec = leaves.job().spec();
    if let Spec::Mlp(_) = spec {
        // Said, not skipped silently: the weights are an input file this client never holds.
        let why =
            "the mlp-inference kernel reads its weights file, which this client does not hold";
        ctx.out
            .note(format!("lease {lease}: sample not recomputed: {why}"));
        return Ok(SampleCheck {
            seq,
            sampled: vec![],
            wrong: vec![],
            dispute: None,
            not_checked: Some(why.into()),
        });
    }
    let sample = wait_for_sample(ctx, session, lease, seq).await?;
    let hashes: Vec<Hash> = leaves
        .leaves()
        .iter()
        .map(|l| merkle::leaf_hash(l))
        .collect();
    if sample.leaf_count != hashes.len() as u64 {
        bail!(
            "attestation {seq} covers {} leaves, the provider served {}",
            sample.leaf_count,
            hashes.len()
        );
    }
    let mut wrong = Vec::new();
    for &leaf in &sample.leaves {
        let recomputed = spec
            .leaf(leaf, &[])
            .with_context(|| format!("recomputing leaf {leaf}"))?;
        if merkle::leaf_hash(&recomputed) != hashes[leaf as usize] {
            wrong.push(leaf);
        }
    }
    ctx.out.note(format!(
        "lease {lease}: {} sampled leaves of attestation {seq} recomputed, {} wrong",
        sample.leaves.len(),
        wrong.len()
    ));
    let dispute = match wrong.first() {
        None => None,
        Some(&leaf) => Some(dispute(ctx, session, lease, seq, leaf, &hashes, manifest).await?),
    };
    Ok(SampleCheck {
        seq,
        sampled: sample.leaves,
        wrong,
        dispute,
        not_checked: None,
    })
}

/// Which leaves of how many an attestation samples.
struct Sample {
    leaf_count: u64,
    leaves: Vec<u64>,
}

/// The sample, once the chain can draw it (three blocks after the attestation): the referee's
/// (it knows the tenant's secret), or without disputes the market's. A sample waiting for the
/// tenant's secret gets it revealed here when this key is the tenant's.
async fn wait_for_sample(
    ctx: &Context,
    session: &Session,
    lease: &LeaseId,
    seq: u64,
) -> Result<Sample> {
    let deadline = Instant::now() + SAMPLE_WAIT;
    let referee = session.chain.referee().await.ok();
    loop {
        let answer = match &referee {
            Some(referee) => {
                let query = referee::QueryMsg::Sample {
                    lease: lease.clone(),
                    seq,
                };
                session
                    .chain
                    .node
                    .smart_query::<_, referee::SampleResponse>(referee, &query)
                    .await
                    .map(|s| (s.awaiting_secret, s.leaf_count, s.leaves))
            }
            None => {
                let query = QueryMsg::AttestationSample {
                    lease: lease.clone(),
                    seq,
                };
                session
                    .chain
                    .query_market::<AttestationSampleResponse>(&query)
                    .await
                    .map(|s| (false, s.leaf_count, s.leaves))
            }
        };
        match answer {
            Ok((true, ..)) => reveal_own_secret(ctx, session, lease).await?,
            Ok((false, leaf_count, leaves)) => return Ok(Sample { leaf_count, leaves }),
            Err(e) if Instant::now() >= deadline => {
                return Err(e).with_context(|| {
                    format!(
                        "the sample of attestation {seq} was not drawn within {} s",
                        SAMPLE_WAIT.as_secs()
                    )
                })
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
}

/// Reveals the sampling secret of `lease`'s deployment, derived from this key as
/// `--commit-secret` committed it.
async fn reveal_own_secret(ctx: &Context, session: &Session, lease: &LeaseId) -> Result<()> {
    let id = lease.deployment();
    if session.signer.address() != id.owner {
        bail!(
            "the sample of lease {lease} waits for its tenant's secret; only the tenant ({}) can \
             reveal it",
            id.owner
        );
    }
    let secret = tenant_secret::of_signer(&session.signer, id.dseq)?;
    let deployment = session.chain.deployment(&id).await?;
    if deployment.secret_hash.as_deref() != Some(tenant_secret::commitment(&secret).as_str()) {
        bail!(
            "deployment {id} committed to a secret this key does not derive: reveal it with \
             `tessera deployment reveal-secret {} --secret HEX`",
            id.dseq
        );
    }
    reveal_secret(ctx, session, &id, hex::encode(secret))
        .await
        .with_context(|| format!("revealing the sampling secret of deployment {id}"))?;
    ctx.out
        .note(format!("deployment {id}: sampling secret revealed"));
    Ok(())
}

/// Sends the referee a dispute of `leaf`: its committed hash, its proof against the attested
/// root, and the manifest as the chain hashed it.
async fn dispute(
    ctx: &Context,
    session: &Session,
    lease: &LeaseId,
    seq: u64,
    leaf: u64,
    hashes: &[Hash],
    manifest: &[u8],
) -> Result<DisputeSent> {
    let text = std::str::from_utf8(manifest).context("the manifest is not UTF-8")?;
    let canonical = Manifest::parse(text, "manifest")?.canonical_json();
    let referee_addr = session.chain.referee().await?;
    let deposit = session.chain.market_params().await?.dispute.deposit;
    let msg = referee::ExecuteMsg::Dispute {
        lease: lease.clone(),
        seq,
        leaf,
        leaf_hash: merkle::to_hex(&hashes[leaf as usize]),
        proof: merkle::proof_hex(hashes, leaf as usize),
        manifest: Binary::from(canonical.into_bytes()),
        input: None,
    };
    ctx.out.note(format!(
        "lease {lease}: leaf {leaf} is wrong; disputing it with the referee ({deposit} deposit)"
    ));
    let outcome = session
        .contracts()
        .referee(
            &referee_addr,
            &msg,
            std::slice::from_ref(&deposit),
            &ctx.tx_options()?,
        )
        .await
        .context("sending the dispute")?;
    let verdict = outcome
        .wasm_attribute(&referee_addr, "verdict")
        .unwrap_or("unknown")
        .to_string();
    Ok(DisputeSent {
        leaf,
        tx: outcome.hash,
        verdict,
    })
}
