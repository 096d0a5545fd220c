//! `tessera lease`: list, show, status (lease, escrow and attestations), sample and demand
//! (verification), watch (follow the lease's events on chain until it closes), close, and
//! withdraw (provider payout).

use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};
use clap::Subcommand;
use serde_json::json;
use tessera_api::market::{self, close_reason, ExecuteMsg, LeaseFilter, LeaseState, QueryMsg};
use tessera_api::{referee, LeaseId};
use tessera_client::events::BlockFollower;
use tessera_client::node::wasm_events;

use crate::context::Context;
use crate::output::Output;
use crate::parse::print_tx;

#[derive(Subcommand, Debug)]
pub enum LeaseCmd {
    /// Leases of a tenant (default: --from), of a provider, or in a state
    List {
        #[arg(long, conflicts_with_all = ["provider", "state"])]
        tenant: Option<String>,
        #[arg(long, conflicts_with = "state")]
        provider: Option<String>,
        #[arg(long, value_parser = ["active", "insufficient_funds", "closed"])]
        state: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// One lease (owner/dseq/gseq/oseq/provider)
    Show { lease: String },
    /// A lease with its escrow and usage attestations, and (to its owner, with --from) the
    /// provider's view of the work
    Status { lease: String },
    /// The leaves usage attestation SEQ of the lease must reveal: drawn on chain from the hashes
    /// of the three blocks after it (see docs/verification.md)
    Sample { lease: String, seq: u64 },
    /// Fix the sample of usage attestation SEQ in the referee (anyone, from three blocks after
    /// it, while the chain keeps those blocks): its provider must then reveal it within the
    /// reveal window. A sample waiting for the tenant's secret keeps the block hashes instead
    Draw { lease: String, seq: u64 },
    /// Demand leaf LEAF of usage attestation SEQ (tenant): the provider must reveal its hash
    /// with a proof within the market's reveal window or be slashed (see docs/verification.md)
    Demand { lease: String, seq: u64, leaf: u64 },
    /// The lease's demanded leaves its provider has not revealed yet, with their deadlines
    Demands { lease: String },
    /// Hand the lease's provider the manifest (it must hash to the deployment's on chain)
    SendManifest { lease: String, manifest: PathBuf },
    /// Download the lease's output leaves, verify each against the output root the provider
    /// attested on chain, and assemble the files (PNG frames, c.f32, ...) into DIR
    Output {
        lease: String,
        /// The deployment's manifest (it must hash to the one on chain): its kernel and params
        /// say how the files are assembled from the leaves
        #[arg(long)]
        manifest: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Check the lease's work: download its output leaves, verify them against the latest
    /// output root attested on chain, recompute the leaves the chain sampled from that
    /// attestation with the CPU reference, and dispute a wrong one with the referee. Exits
    /// non-zero when a leaf is wrong (see docs/verification.md)
    Verify {
        lease: String,
        /// The deployment's manifest (it must hash to the one on chain)
        #[arg(long)]
        manifest: PathBuf,
    },
    /// Follow a lease's events on chain (bids, settlement, attestations) until it closes
    Watch {
        lease: String,
        /// Stop after this many blocks even if the lease is still open
        #[arg(long)]
        blocks: Option<u64>,
    },
    /// Close a lease (tenant or provider)
    Close {
        lease: String,
        /// Close reason code (default: tenant 1, provider 10000)
        #[arg(long)]
        reason: Option<u32>,
    },
    /// Settle a lease now and pay its provider
    Withdraw { lease: String },
}

pub async fn run(ctx: &Context, cmd: LeaseCmd) -> Result<()> {
    match cmd {
        LeaseCmd::List {
            tenant,
            provider,
            state,
            limit,
        } => {
            let filter = match (tenant, provider, state) {
                (_, Some(provider), _) => LeaseFilter::Provider(ctx.address_of(&provider)?),
                (_, _, Some(state)) => LeaseFilter::State(match state.as_str() {
                    "active" => LeaseState::Active,
                    "insufficient_funds" => LeaseState::InsufficientFunds,
                    _ => LeaseState::Closed,
                }),
                (Some(tenant), _, _) => LeaseFilter::Tenant(ctx.address_of(&tenant)?),
                (None, None, None) => LeaseFilter::Tenant(ctx.signer_address()?),
            };
            let chain = ctx.chain().await?;
            let page: market::LeasesResponse = chain
                .query_market(&QueryMsg::Leases {
                    filter,
                    start_after: None,
                    limit: Some(limit),
                })
                .await?;
            ctx.out.either(&page, || {
                Output::lines(&page.leases, "no leases", |l| {
                    format!(
                        "{}  {:?}  {}{}/h",
                        l.id, l.state, l.price.amount, l.price.denom
                    )
                })
            });
        }
        LeaseCmd::Show { lease } => {
            let id: LeaseId = lease.parse()?;
            let lease = ctx.chain().await?.lease(&id).await?;
            ctx.out.value(&lease);
        }
        LeaseCmd::Status { lease } => {
            let id: LeaseId = lease.parse()?;
            let chain = ctx.chain().await?;
            let lease = chain.lease(&id).await?;
            let escrow = chain.escrow(&id.deployment()).await?;
            let attestations: market::AttestationsResponse = chain
                .query_market(&QueryMsg::Attestations {
                    lease: id.clone(),
                    start_after: None,
                    limit: Some(100),
                })
                .await?;
            let work = match ctx.args.from.as_deref() {
                Some(_) => Some(provider_work(ctx, &id).await),
                None => None,
            };
            ctx.out.value(&json!({
                "lease": lease,
                "escrow": escrow,
                "attestations": attestations.attestations,
                "work": work,
            }));
        }
        LeaseCmd::Sample { lease, seq } => {
            let id: LeaseId = lease.parse()?;
            let chain = ctx.chain().await?;
            // The referee holds a drawn sample and what was revealed; without one (disputes
            // off) the market computes it.
            let sample: referee::SampleResponse = match chain.referee().await {
                Ok(referee) => {
                    chain
                        .node
                        .smart_query(&referee, &referee::QueryMsg::Sample { lease: id, seq })
                        .await?
                }
                Err(_) => {
                    let s: market::AttestationSampleResponse = chain
                        .query_market(&QueryMsg::AttestationSample { lease: id, seq })
                        .await?;
                    referee::SampleResponse {
                        lease: s.lease,
                        seq: s.seq,
                        leaf_count: s.leaf_count,
                        leaves: s.leaves,
                        seed: s.seed,
                        drawn_at: None,
                        reveal_deadline: None,
                        revealed: None,
                        awaiting_secret: s.secret_hash.is_some(),
                    }
                }
            };
            ctx.out.either(&sample, || {
                if sample.awaiting_secret {
                    return format!(
                        "attestation {seq} of {}: {} leaves, sample waits for the tenant's \
                         secret (tessera deployment reveal-secret)",
                        sample.lease, sample.leaf_count
                    );
                }
                let state = match (&sample.revealed, sample.reveal_deadline) {
                    (Some(_), _) => "revealed".to_string(),
                    (None, Some(deadline)) => format!("drawn, to be revealed by {deadline}"),
                    (None, None) => "not drawn yet".to_string(),
                };
                format!(
                    "attestation {seq} of {}: leaves {:?} of {} (seed {}); {state}",
                    sample.lease, sample.leaves, sample.leaf_count, sample.seed
                )
            });
        }
        LeaseCmd::Demand { lease, seq, leaf } => {
            let id: LeaseId = lease.parse()?;
            let demanded = referee::QueryMsg::Demand {
                lease: id.clone(),
                seq,
                leaf,
            };
            let msg = referee::ExecuteMsg::DemandLeaf {
                lease: id.clone(),
                seq,
                leaf,
            };
            let (outcome, demand): (_, referee::DemandResponse) =
                referee_tx(ctx, &msg, &demanded).await?;
            print_tx(
                &ctx.out,
                &outcome,
                json!({ "demand": demand }),
                format!(
                    "leaf {leaf} of attestation {seq} of {id} demanded; the provider must reveal \
                     it by {}",
                    demand.reveal_deadline
                ),
            );
        }
        LeaseCmd::Draw { lease, seq } => {
            let id: LeaseId = lease.parse()?;
            let query = referee::QueryMsg::Sample {
                lease: id.clone(),
                seq,
            };
            let msg = referee::ExecuteMsg::DrawSample {
                lease: id.clone(),
                seq,
            };
            let (outcome, sample): (_, referee::SampleResponse) =
                referee_tx(ctx, &msg, &query).await?;
            let text = match sample.reveal_deadline {
                Some(deadline) => format!(
                    "the sample of attestation {seq} of {id} is drawn ({} leaves); the provider \
                     must reveal it by {deadline}",
                    sample.leaves.len()
                ),
                None => format!(
                    "attestation {seq} of {id}: block hashes kept; the sample waits for the \
                     tenant's secret"
                ),
            };
            print_tx(&ctx.out, &outcome, json!({ "sample": sample }), text);
        }
        LeaseCmd::Demands { lease } => {
            let id: LeaseId = lease.parse()?;
            let chain = ctx.chain().await?;
            let referee_addr = chain.referee().await?;
            let open: referee::DemandsResponse = chain
                .node
                .smart_query(
                    &referee_addr,
                    &referee::QueryMsg::OpenDemands {
                        lease: id.clone(),
                        start_after: None,
                        limit: Some(100),
                    },
                )
                .await?;
            ctx.out.either(&open, || {
                Output::lines(
                    &open.demands,
                    &format!("lease {id}: no demanded leaf waits for its reveal"),
                    |d| {
                        format!(
                            "attestation {} leaf {}: to be revealed by {}",
                            d.seq, d.leaf, d.reveal_deadline
                        )
                    },
                )
            });
        }
        LeaseCmd::SendManifest { lease, manifest } => {
            let id: LeaseId = lease.parse()?;
            crate::cmd::deployment::load_manifest(&manifest)?;
            let bytes = std::fs::read(&manifest)
                .with_context(|| format!("reading {}", manifest.display()))?;
            let session = ctx.session().await?;
            let (_, uri, work_units) =
                crate::cmd::lease_run::send_manifest(ctx, &session, &id, &bytes).await?;
            ctx.out.either(
                &json!({ "lease": id, "provider_uri": uri, "work_units": work_units }),
                || format!("lease {id}: {uri} accepted the manifest ({work_units} work units)"),
            );
        }
        LeaseCmd::Verify { lease, manifest } => {
            let id: LeaseId = lease.parse()?;
            let manifest_bytes = std::fs::read(&manifest)
                .with_context(|| format!("reading {}", manifest.display()))?;
            verify(ctx, &id, &manifest_bytes).await?;
        }
        LeaseCmd::Output {
            lease,
            manifest,
            out,
        } => {
            let id: LeaseId = lease.parse()?;
            let manifest_bytes = std::fs::read(&manifest)
                .with_context(|| format!("reading {}", manifest.display()))?;
            let session = ctx.session().await?;
            let job = crate::cmd::lease_run::output_job(&session, &id, &manifest_bytes).await?;
            let key = session.signer.key();
            let mut api = crate::cmd::lease_run::connect(&session, &id).await?;
            let status = api.lease_status(key, &id).await?;
            if status.output_root.is_empty() {
                bail!(
                    "lease {id} has no outputs yet ({} of {} work units done)",
                    status.work_units_done,
                    status.work_units_total
                );
            }
            let root = crate::cmd::lease_run::attested_root(&session, &id, &status.output_root)
                .await?
                .root;
            let (files, bytes) = crate::cmd::lease_run::fetch_outputs(
                ctx,
                &mut api,
                key,
                &id,
                &root,
                &job,
                status.leaf_count,
                &out,
            )
            .await?;
            ctx.out.either(
                &json!({ "lease": id, "output_root": status.output_root, "bytes": bytes, "files": files }),
                || {
                    format!(
                        "{} file(s), {bytes} bytes in {}, verified against output root {}",
                        files.len(),
                        out.display(),
                        status.output_root
                    )
                },
            );
        }
        LeaseCmd::Watch { lease, blocks } => {
            let id: LeaseId = lease.parse()?;
            let chain = ctx.chain().await?;
            let mut lease = chain.lease(&id).await?;
            ctx.out.note(format!(
                "lease {id}: {:?}; following its events",
                lease.state
            ));
            let mut follower = BlockFollower::new(chain.node.clone(), None).await?;
            let started = follower.next_height();
            let wanted = id.to_string();
            while lease.state != LeaseState::Closed {
                if blocks.is_some_and(|n| follower.next_height() >= started + n) {
                    break;
                }
                let block = follower.next().await?;
                let mine = block.all().filter(|e| {
                    wasm_events(std::slice::from_ref(e), &chain.contracts.market)
                        .next()
                        .is_some()
                        && e.attributes.iter().any(|(_, v)| v == &wanted)
                });
                for event in mine {
                    let fields: serde_json::Map<String, serde_json::Value> = event
                        .attributes
                        .iter()
                        .filter(|(k, _)| k != "_contract_address")
                        .map(|(k, v)| (k.clone(), json!(v)))
                        .collect();
                    ctx.out
                        .either(&json!({ "height": block.height, "event": fields }), || {
                            let text: Vec<String> = event
                                .attributes
                                .iter()
                                .filter(|(k, _)| k != "_contract_address")
                                .map(|(k, v)| format!("{k}={v}"))
                                .collect();
                            format!("{:>8}  {}", block.height, text.join(" "))
                        });
                }
                lease = chain.lease(&id).await?;
            }
            ctx.out.note(format!("lease {id}: {:?}", lease.state));
        }
        LeaseCmd::Close { lease, reason } => {
            let id: LeaseId = lease.parse()?;
            let session = ctx.session().await?;
            let me = session.signer.address();
            let reason = match reason {
                Some(reason) => reason,
                None if me == id.owner => close_reason::TENANT_CLOSED,
                None if me == id.provider => close_reason::PROVIDER_CLOSED,
                None => bail!("{me} is neither the tenant nor the provider of lease {id}"),
            };
            let outcome = session
                .contracts()
                .market(
                    &ExecuteMsg::CloseLease {
                        lease: id.clone(),
                        reason,
                    },
                    &[],
                    &ctx.tx_options()?,
                )
                .await?;
            print_tx(
                &ctx.out,
                &outcome,
                json!({ "lease": id, "reason": reason }),
                format!("lease {id} closed (reason {reason})"),
            );
        }
        LeaseCmd::Withdraw { lease } => {
            let id: LeaseId = lease.parse()?;
            let session = ctx.session().await?;
            let outcome = session
                .contracts()
                .market(
                    &ExecuteMsg::WithdrawLease { lease: id.clone() },
                    &[],
                    &ctx.tx_options()?,
                )
                .await?;
            let paid = session.chain.lease(&id).await?.total_paid;
            print_tx(
                &ctx.out,
                &outcome,
                json!({ "lease": id, "total_paid": paid }),
                format!("lease {id} settled; paid so far {paid}"),
            );
        }
    }
    Ok(())
}

/// The provider's view of the work, or why it could not be had (never an error of the command:
/// the chain's view above stands on its own).
/// Sends the referee `msg` from --from, then reads back what it changed with `query`.
async fn referee_tx<R: serde::de::DeserializeOwned>(
    ctx: &Context,
    msg: &referee::ExecuteMsg,
    query: &referee::QueryMsg,
) -> Result<(tessera_client::node::TxOutcome, R)> {
    let session = ctx.session().await?;
    let referee = session.chain.referee().await?;
    let outcome = session
        .contracts()
        .referee(&referee, msg, &[], &ctx.tx_options()?)
        .await?;
    let answer = session.chain.node.smart_query(&referee, query).await?;
    Ok((outcome, answer))
}

async fn provider_work(ctx: &Context, id: &LeaseId) -> serde_json::Value {
    let result = async {
        let session = ctx.session().await?;
        let mut api = crate::cmd::lease_run::connect(&session, id).await?;
        let status = api.lease_status(session.signer.key(), id).await?;
        anyhow::Ok(json!({
            "state": tessera_proto::provider::v1::WorkState::try_from(status.state)
                .map(|s| s.as_str_name())
                .unwrap_or("WORK_STATE_UNSPECIFIED"),
            "work_units_done": status.work_units_done,
            "work_units_total": status.work_units_total,
            "output_root": status.output_root,
            "gpu_seconds": status.gpu_seconds,
            "message": status.message,
        }))
    }
    .await;
    result.unwrap_or_else(|e| json!({ "error": format!("{e:#}") }))
}

/// `lease verify`: the provider's leaves, checked against the chain's root and the sample.
async fn verify(ctx: &Context, id: &LeaseId, manifest: &[u8]) -> Result<()> {
    use crate::cmd::lease_run;
    let session = ctx.session().await?;
    let job = lease_run::output_job(&session, id, manifest).await?;
    let key = session.signer.key();
    let mut api = lease_run::connect(&session, id).await?;
    let status = api.lease_status(key, id).await?;
    if status.output_root.is_empty() {
        bail!(
            "lease {id} has no outputs yet ({} of {} work units done)",
            status.work_units_done,
            status.work_units_total
        );
    }
    let attested = lease_run::attested_root(&session, id, &status.output_root).await?;
    let leaves = lease_run::download_leaves(
        ctx,
        &mut api,
        key,
        id,
        &attested.root,
        &job,
        status.leaf_count,
    )
    .await?;
    let check =
        crate::cmd::sample_check::check_sample(ctx, &session, id, attested.seq, &leaves, manifest)
            .await?;
    ctx.out.either(&check, || match &check.not_checked {
        Some(why) => format!("attestation {}: not recomputed: {why}", check.seq),
        None => format!(
            "attestation {}: {} sampled leaves recomputed, {} wrong{}",
            check.seq,
            check.sampled.len(),
            check.wrong.len(),
            check.dispute.as_ref().map_or(String::new(), |d| format!(
                "; leaf {} disputed in tx {} (verdict: {})",
                d.leaf, d.tx, d.verdict
            ))
        ),
    });
    if !check.wrong.is_empty() {
        bail!(
            "lease {id}: {} of the sampled leaves are not what the kernel computes",
            check.wrong.len()
        );
    }
    Ok(())
}
