//! `tessera deployment`: create from a manifest, reveal its sampling secret, update its manifest,
//! top up, close, list, show.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::Subcommand;
use cosmwasm_std::Coin;
use serde_json::json;
use tessera_api::market::{self, ExecuteMsg, QueryMsg};
use tessera_api::{referee, DeploymentId};
use tessera_client::coin::{display, parse_coin};
use tessera_client::contracts::Tessera;
use tessera_client::tenant_secret;
use tessera_manifest::Manifest;

use crate::context::Context;
use crate::output::Output;
use crate::parse::print_tx;

#[derive(Subcommand, Debug)]
pub enum DeploymentCmd {
    /// Create a deployment from a manifest, escrowing a deposit; one order per group opens
    #[command(
        after_help = "Example:\n  tessera deployment create examples/render.yaml --deposit 5tsr --from alice"
    )]
    Create {
        manifest: PathBuf,
        /// Escrow deposit (default: the market's minimum for the manifest's denom)
        #[arg(long)]
        deposit: Option<String>,
        /// Deployment sequence (default: the market picks the block height)
        #[arg(long)]
        dseq: Option<u64>,
        /// Auction window in seconds (default: the market's)
        #[arg(long)]
        bid_window: Option<u64>,
        /// Leaves to sample from each attestation, when you want more than the market's
        /// `dispute.sample_size` (at most 1,000)
        #[arg(long)]
        sample_size: Option<u64>,
        /// Commit to a sampling secret derived from your key: samples wait for it until you
        /// reveal it (`tessera deployment reveal-secret`), so no provider can know them when it
        /// attests, not even one producing blocks. `dseq` defaults to the chain's height
        #[arg(long)]
        commit_secret: bool,
    },
    /// Reveal the sampling secret a deployment committed to (derived from your key again, or
    /// given), so that its leases' samples can be drawn
    RevealSecret {
        dseq: u64,
        /// The secret, hex (default: derived from --from's key, as `create --commit-secret` did)
        #[arg(long)]
        secret: Option<String>,
    },
    /// Replace the deployment's manifest hash with that of a changed manifest
    Update { dseq: u64, manifest: PathBuf },
    /// Top up a deployment's escrow (anyone may pay)
    Deposit {
        dseq: u64,
        amount: String,
        /// Owner of the deployment (default: --from)
        #[arg(long)]
        owner: Option<String>,
    },
    /// Close a deployment: settles its leases and refunds what is left
    Close { dseq: u64 },
    /// Deployments of an owner
    List {
        /// Owner address or key (default: --from)
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        start_after: Option<u64>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// A deployment with its orders and escrow
    Show {
        dseq: u64,
        #[arg(long)]
        owner: Option<String>,
    },
}

pub async fn run(ctx: &Context, cmd: DeploymentCmd) -> Result<()> {
    match cmd {
        DeploymentCmd::Create {
            manifest,
            deposit,
            dseq,
            bid_window,
            sample_size,
            commit_secret,
        } => {
            let manifest = load_manifest(&manifest)?;
            let session = ctx.session().await?;
            let deposit = match deposit {
                Some(text) => parse_coin(&text)?,
                None => default_deposit(&session.chain, &manifest).await?,
            };
            let terms = Terms {
                dseq,
                bid_window_secs: bid_window,
                sample_size,
                secret_hash: None,
            };
            let terms = if commit_secret {
                terms.with_secret(&session).await?
            } else {
                terms
            };
            let (id, outcome) = create(ctx, &session, &manifest, &deposit, terms).await?;
            print_tx(
                &ctx.out,
                &outcome,
                json!({ "deployment": id, "manifest_hash": manifest.hash_hex(), "deposit": deposit }),
                format!(
                    "deployment {id} created with a deposit of {} (manifest {})",
                    display(&deposit),
                    manifest.hash_hex()
                ),
            );
        }
        DeploymentCmd::RevealSecret { dseq, secret } => {
            let session = ctx.session().await?;
            let id = DeploymentId::new(session.signer.address(), dseq);
            let secret = match secret {
                Some(hex) => hex,
                None => hex::encode(tenant_secret::of_signer(&session.signer, dseq)?),
            };
            let outcome = reveal_secret(ctx, &session, &id, secret).await?;
            print_tx(
                &ctx.out,
                &outcome,
                json!({ "deployment": id }),
                format!("the sampling secret of deployment {id} is revealed"),
            );
        }
        DeploymentCmd::Update { dseq, manifest } => {
            let manifest = load_manifest(&manifest)?;
            let session = ctx.session().await?;
            let id = DeploymentId::new(session.signer.address(), dseq);
            let current = session.chain.deployment(&id).await?;
            if current.groups != manifest.plan().groups {
                bail!(
                    "the manifest asks for other groups than deployment {id} has; only the \
                     manifest's hash can change: close the deployment and create a new one"
                );
            }
            let hash = manifest.hash_hex();
            let msg = ExecuteMsg::UpdateManifest {
                dseq,
                manifest_hash: hash.clone(),
            };
            let outcome = session
                .contracts()
                .market(&msg, &[], &ctx.tx_options()?)
                .await?;
            print_tx(
                &ctx.out,
                &outcome,
                json!({ "deployment": id, "manifest_hash": hash }),
                format!("deployment {id} now has manifest {hash}"),
            );
        }
        DeploymentCmd::Deposit {
            dseq,
            amount,
            owner,
        } => {
            let amount = parse_coin(&amount)?;
            let session = ctx.session().await?;
            let owner = match owner {
                Some(owner) => ctx.address_of(&owner)?,
                None => session.signer.address(),
            };
            let msg = ExecuteMsg::Deposit {
                owner: owner.clone(),
                dseq,
            };
            let outcome = session
                .contracts()
                .market(&msg, std::slice::from_ref(&amount), &ctx.tx_options()?)
                .await?;
            let id = DeploymentId::new(owner, dseq);
            print_tx(
                &ctx.out,
                &outcome,
                json!({ "deployment": id, "amount": amount }),
                format!("deposited {} into {id}", display(&amount)),
            );
        }
        DeploymentCmd::Close { dseq } => {
            let session = ctx.session().await?;
            let id = DeploymentId::new(session.signer.address(), dseq);
            let before = session.chain.escrow(&id).await?;
            let outcome = session
                .contracts()
                .market(
                    &ExecuteMsg::CloseDeployment { dseq },
                    &[],
                    &ctx.tx_options()?,
                )
                .await?;
            let after = session.chain.escrow(&id).await?;
            let refunded = before
                .balance
                .amount
                .checked_sub(after.balance.amount)
                .unwrap_or_default();
            let refund = Coin::new(refunded, before.balance.denom.clone());
            print_tx(
                &ctx.out,
                &outcome,
                json!({ "deployment": id, "escrow_released": refund }),
                format!("deployment {id} closed; {} left escrow", display(&refund)),
            );
        }
        DeploymentCmd::List {
            owner,
            start_after,
            limit,
        } => {
            let owner = match owner {
                Some(owner) => ctx.address_of(&owner)?,
                None => ctx.signer_address()?,
            };
            let chain = ctx.chain().await?;
            let page: market::DeploymentsResponse = chain
                .query_market(&QueryMsg::Deployments {
                    owner,
                    start_after,
                    limit: Some(limit),
                })
                .await?;
            ctx.out.either(&page, || {
                Output::lines(&page.deployments, "no deployments", |d| {
                    format!(
                        "{}  {:?}  {} group(s)  manifest {}",
                        d.id,
                        d.state,
                        d.groups.len(),
                        &d.manifest_hash[..12.min(d.manifest_hash.len())]
                    )
                })
            });
        }
        DeploymentCmd::Show { dseq, owner } => {
            let owner = match owner {
                Some(owner) => ctx.address_of(&owner)?,
                None => ctx.signer_address()?,
            };
            let chain = ctx.chain().await?;
            let id = DeploymentId::new(owner, dseq);
            let deployment = chain.deployment(&id).await?;
            let orders = chain.deployment_orders(&deployment).await?;
            let escrow = chain.escrow(&id).await?;
            ctx.out.value(&json!({
                "deployment": deployment,
                "orders": orders,
                "escrow": escrow,
            }));
        }
    }
    Ok(())
}

pub fn load_manifest(path: &Path) -> Result<Manifest> {
    Ok(Manifest::from_file(path)?)
}

/// The market's minimum deposit in the manifest's denom.
pub async fn default_deposit(chain: &Tessera, manifest: &Manifest) -> Result<Coin> {
    let denom = &manifest.plan().denom;
    let params = chain.market_params().await?;
    match params.min_deposit.iter().find(|c| &c.denom == denom) {
        Some(min) => Ok(min.clone()),
        None => bail!(
            "the market does not accept {denom} deployments (accepted: {})",
            params
                .min_deposit
                .iter()
                .map(|c| c.denom.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// What a new deployment asks of the market besides its manifest and deposit (each `None`:
/// the market's default).
#[derive(Debug, Default)]
pub struct Terms {
    pub dseq: Option<u64>,
    pub bid_window_secs: Option<u64>,
    pub sample_size: Option<u64>,
    /// sha256 of the tenant's sampling secret (hex), when it commits one.
    pub secret_hash: Option<String>,
}

impl Terms {
    /// Commits to the secret `tessera_client::tenant_secret` derives for this deployment from
    /// the signer's key. The secret needs the deployment's sequence, so one is picked here when
    /// none was given: the chain's height, as the market would.
    pub async fn with_secret(mut self, session: &crate::context::Session) -> Result<Self> {
        let dseq = match self.dseq {
            Some(dseq) => dseq,
            None => session.chain.node.status().await?.height,
        };
        let secret = tenant_secret::of_signer(&session.signer, dseq)?;
        self.dseq = Some(dseq);
        self.secret_hash = Some(tenant_secret::commitment(&secret));
        Ok(self)
    }
}

/// Reveals deployment `id`'s sampling secret (hex) to the referee.
pub async fn reveal_secret(
    ctx: &Context,
    session: &crate::context::Session,
    id: &DeploymentId,
    secret: String,
) -> Result<tessera_client::node::TxOutcome> {
    let referee = session.chain.referee().await?;
    let msg = referee::ExecuteMsg::RevealSecret {
        owner: id.owner.clone(),
        dseq: id.dseq,
        secret,
    };
    Ok(session
        .contracts()
        .referee(&referee, &msg, &[], &ctx.tx_options()?)
        .await?)
}

/// Creates the deployment a manifest describes.
pub async fn create(
    ctx: &Context,
    session: &crate::context::Session,
    manifest: &Manifest,
    deposit: &Coin,
    terms: Terms,
) -> Result<(DeploymentId, tessera_client::node::TxOutcome)> {
    let plan = manifest.plan();
    if deposit.denom != plan.denom {
        bail!(
            "the deposit is in {}, but the manifest prices in {}",
            deposit.denom,
            plan.denom
        );
    }
    let msg = ExecuteMsg::CreateDeployment {
        dseq: terms.dseq,
        groups: plan.groups.clone(),
        manifest_hash: manifest.hash_hex(),
        bid_window_secs: terms.bid_window_secs,
        sample_size: terms.sample_size,
        secret_hash: terms.secret_hash,
    };
    Ok(session
        .contracts()
        .create_deployment(&msg, deposit, &ctx.tx_options()?)
        .await?)
}
