//! `tessera job run`: a manifest to a finished deployment in one command, for people and CI.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use tessera_api::market::{DeploymentState, ExecuteMsg, OrderState};
use tessera_api::{DeploymentId, LeaseId};
use tessera_client::coin::parse_coin;
use tessera_client::outputs::OutputJob;

use crate::cmd::deployment::{create, default_deposit, load_manifest, Terms};
use crate::cmd::lease_run::{run_lease, LeaseOutput};
use crate::context::{Context, Session};

#[derive(Subcommand, Debug)]
pub enum JobCmd {
    /// Create the deployment, wait for the auction, hand the job to the winner, close
    #[command(
        after_help = "Example:\n  tessera job run examples/render.yaml --out out/ --from alice -o json\n\n\
        Exit status 0 means every step succeeded; otherwise the message says which step failed \
        and the deployment is closed so its deposit is refunded."
    )]
    Run {
        manifest: PathBuf,
        /// Directory for the outputs
        #[arg(long)]
        out: PathBuf,
        /// Escrow deposit (default: the market's minimum)
        #[arg(long)]
        deposit: Option<String>,
        /// Auction window in seconds (default: the market's)
        #[arg(long)]
        bid_window: Option<u64>,
        /// Leaves to sample (and check) from each attestation, when you want more than the
        /// market's `dispute.sample_size` (at most 1,000)
        #[arg(long)]
        sample_size: Option<u64>,
        /// Commit to a sampling secret derived from your key and reveal it only once the job is
        /// attested, before the check: no provider can know the sample when it attests
        #[arg(long)]
        commit_secret: bool,
        /// Seconds to wait for the auction to award every order
        #[arg(long, default_value_t = 180)]
        auction_timeout: u64,
        /// Leave the deployment open when the job ends
        #[arg(long)]
        keep: bool,
    },
}

/// What `job run` reports, as JSON with `-o json`.
#[derive(Serialize, Default)]
struct Summary {
    deployment: Option<DeploymentId>,
    manifest_hash: String,
    leases: Vec<LeaseId>,
    outputs: Vec<LeaseOutput>,
    /// The step that failed, if one did.
    failed_step: Option<String>,
    error: Option<String>,
    closed: bool,
    seconds: u64,
}

pub async fn run(ctx: &Context, cmd: JobCmd) -> Result<()> {
    let JobCmd::Run {
        manifest,
        out,
        deposit,
        bid_window,
        sample_size,
        commit_secret,
        auction_timeout,
        keep,
    } = cmd;
    let started = Instant::now();
    let mut summary = Summary::default();
    let manifest_path = manifest;
    let manifest = load_manifest(&manifest_path).context("step manifest")?;
    summary.manifest_hash = manifest.hash_hex();
    // Outputs are assembled from the job's params on this side too: a job this client cannot
    // read would be paid for and never verified, so it is refused before any deployment.
    for (name, service) in manifest.services() {
        OutputJob::of_service(service).with_context(|| format!("step manifest: service {name}"))?;
    }
    std::fs::create_dir_all(&out)
        .with_context(|| format!("step output: cannot create {}", out.display()))?;
    let session = ctx.session().await.context("step connect")?;
    let deposit = match deposit {
        Some(text) => parse_coin(&text)?,
        None => default_deposit(&session.chain, &manifest).await?,
    };
    let terms = Terms {
        dseq: None,
        bid_window_secs: bid_window,
        sample_size,
        secret_hash: None,
    };
    let terms = if commit_secret {
        terms
            .with_secret(&session)
            .await
            .context("step create deployment")?
    } else {
        terms
    };
    let (id, _) = create(ctx, &session, &manifest, &deposit, terms)
        .await
        .context("step create deployment")?;
    ctx.out.note(format!("deployment {id} created"));
    summary.deployment = Some(id.clone());

    let result = async {
        let leases = wait_for_auction(ctx, &session, &id, Duration::from_secs(auction_timeout))
            .await
            .context("step auction")?;
        summary.leases = leases.clone();
        let manifest_bytes = std::fs::read(&manifest_path)
            .with_context(|| format!("step manifest: reading {}", manifest_path.display()))?;
        let deployment = session
            .chain
            .deployment(&id)
            .await
            .context("step send manifest")?;
        for lease in &leases {
            let dir = if leases.len() == 1 {
                out.clone()
            } else {
                let group = &deployment.groups[(lease.gseq as usize).saturating_sub(1)];
                out.join(&group.name)
            };
            let result = run_lease(ctx, &session, lease, &manifest_bytes, &dir).await?;
            summary.outputs.push(result);
        }
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = &result {
        summary.failed_step = Some(step_of(e));
        summary.error = Some(format!("{e:#}"));
    }
    if !keep {
        // A lease closed by proven fraud may have closed the deployment (its refund included).
        let already = matches!(
            session.chain.deployment(&id).await,
            Ok(d) if d.state == DeploymentState::Closed
        );
        let close = if already {
            Ok(())
        } else {
            session
                .contracts()
                .market(
                    &ExecuteMsg::CloseDeployment { dseq: id.dseq },
                    &[],
                    &ctx.tx_options()?,
                )
                .await
                .map(drop)
        };
        match close {
            Ok(()) => summary.closed = true,
            Err(e) => ctx.out.note(format!("closing {id} failed: {e}")),
        }
    }
    summary.seconds = started.elapsed().as_secs();
    if ctx.out.is_json() {
        ctx.out.value(&summary);
    } else if result.is_ok() {
        for output in &summary.outputs {
            println!(
                "lease {}: {} work unit(s), {} file(s), {} bytes in {}, verified against output root {}",
                output.lease,
                output.work_units,
                output.files.len(),
                output.bytes,
                output.dir.display(),
                output.output_root
            );
        }
        println!(
            "deployment {}{} in {} s",
            id,
            if summary.closed {
                " closed"
            } else {
                " left open"
            },
            summary.seconds
        );
    }
    result
}

/// The step named by the outermost context ("step download: …" → "download").
fn step_of(e: &anyhow::Error) -> String {
    let text = e.to_string();
    let text = text.strip_prefix("step ").unwrap_or(&text);
    text.split(':').next().unwrap_or(text).trim().to_string()
}

/// Follows the orders until each is matched; a spinner shows the bids while the auction runs.
async fn wait_for_auction(
    ctx: &Context,
    session: &Session,
    id: &DeploymentId,
    timeout: Duration,
) -> Result<Vec<LeaseId>> {
    let chain = &session.chain;
    let deployment = chain.deployment(id).await?;
    let bar = if ctx.out.is_json() {
        ProgressBar::hidden()
    } else {
        ProgressBar::new_spinner()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} auction: {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let deadline = Instant::now() + timeout;
    loop {
        let orders = chain.deployment_orders(&deployment).await?;
        let mut bids = 0;
        for order in &orders {
            bids += order.open_bids;
        }
        if orders.iter().all(|o| o.state == OrderState::Matched) {
            let mut leases = Vec::new();
            for order in &orders {
                let won = chain
                    .bids(&order.id)
                    .await?
                    .into_iter()
                    .find(|b| b.state == tessera_api::market::BidState::Won)
                    .with_context(|| {
                        format!("order {} is matched but has no winning bid", order.id)
                    })?;
                leases.push(won.id);
            }
            bar.finish_with_message(format!("{} lease(s) won", leases.len()));
            return Ok(leases);
        }
        if let Some(closed) = orders.iter().find(|o| o.state == OrderState::Closed) {
            bail!("order {} closed without a lease", closed.id);
        }
        if Instant::now() >= deadline {
            bail!(
                "no lease within {} s ({bids} open bid(s)); is a provider bidding on orders like {}?",
                timeout.as_secs(),
                orders.first().map(|o| o.id.to_string()).unwrap_or_default()
            );
        }
        bar.set_message(format!("{} order(s), {bids} bid(s)", orders.len()));
        bar.tick();
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
