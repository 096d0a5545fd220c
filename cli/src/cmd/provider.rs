//! `tessera provider`: register with attributes, GPUs and a bond; update; bond and unbond;
//! show one provider, list many.

use anyhow::Result;
use clap::Subcommand;
use cosmwasm_std::Uint128;
use serde_json::json;
use tessera_api::registry::{self, ExecuteMsg, ProviderInfo, QueryMsg};
use tessera_client::coin::{display, parse_coin};

use crate::context::Context;
use crate::output::Output;
use crate::parse::{attribute, gpu, print_tx};

#[derive(Subcommand, Debug)]
pub enum ProviderCmd {
    /// Register the --from account as a provider; --bond is bonded at once
    #[command(
        after_help = "Example:\n  tessera provider register --host-uri https://gpu.example.org:8443 \\\n    --attribute region=eu-west --gpu nvidia:a100:40960:4 --bond 100tsr --from provider"
    )]
    Register {
        /// Where tenants reach the provider's gRPC API
        #[arg(long)]
        host_uri: String,
        /// key=value (repeatable)
        #[arg(long)]
        attribute: Vec<String>,
        /// vendor:model:vram_mib:count[:interface] (repeatable)
        #[arg(long)]
        gpu: Vec<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        website: Option<String>,
        /// Bond sent with the registration (e.g. 100tsr)
        #[arg(long)]
        bond: Option<String>,
    },
    /// Change the registration; what is not given keeps its value
    Update {
        #[arg(long)]
        host_uri: Option<String>,
        /// Replaces all attributes (repeatable)
        #[arg(long)]
        attribute: Vec<String>,
        /// Replaces all GPUs (repeatable)
        #[arg(long)]
        gpu: Vec<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        website: Option<String>,
    },
    /// Add to the bond
    Bond { amount: String },
    /// Start unbonding an amount (claimable after the unbonding period)
    Unbond {
        #[arg(value_parser = crate::parse::uint128)]
        amount: Uint128,
    },
    /// Pay out matured unbonding entries
    ClaimUnbonded,
    /// A provider (default: --from)
    Show { address: Option<String> },
    /// Registered providers
    List {
        /// Only those that may bid
        #[arg(long)]
        active: bool,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

pub async fn run(ctx: &Context, cmd: ProviderCmd) -> Result<()> {
    match cmd {
        ProviderCmd::Register {
            host_uri,
            attribute: attrs,
            gpu: gpus,
            email,
            website,
            bond,
        } => {
            let msg = ExecuteMsg::Register {
                host_uri,
                attributes: attrs.iter().map(|a| attribute(a)).collect::<Result<_>>()?,
                gpus: gpus.iter().map(|g| gpu(g)).collect::<Result<_>>()?,
                info: ProviderInfo {
                    email: email.unwrap_or_default(),
                    website: website.unwrap_or_default(),
                },
            };
            let funds = bond.as_deref().map(parse_coin).transpose()?;
            let session = ctx.session().await?;
            let outcome = session
                .contracts()
                .registry(&msg, funds.as_slice(), &ctx.tx_options()?)
                .await?;
            let me = session.signer.address();
            let provider = session.chain.provider(&me).await?;
            print_tx(
                &ctx.out,
                &outcome,
                json!({ "provider": me, "bond": provider.bond, "active": provider.active }),
                format!(
                    "registered {me} with a bond of {}{}",
                    display(&provider.bond),
                    if provider.active {
                        "; active"
                    } else {
                        "; not active until bonded"
                    }
                ),
            );
        }
        ProviderCmd::Update {
            host_uri,
            attribute: attrs,
            gpu: gpus,
            email,
            website,
        } => {
            let info = (email.is_some() || website.is_some()).then(|| ProviderInfo {
                email: email.unwrap_or_default(),
                website: website.unwrap_or_default(),
            });
            let msg = ExecuteMsg::Update {
                host_uri,
                attributes: (!attrs.is_empty())
                    .then(|| attrs.iter().map(|a| attribute(a)).collect::<Result<_>>())
                    .transpose()?,
                gpus: (!gpus.is_empty())
                    .then(|| gpus.iter().map(|g| gpu(g)).collect::<Result<_>>())
                    .transpose()?,
                info,
            };
            let session = ctx.session().await?;
            let outcome = session
                .contracts()
                .registry(&msg, &[], &ctx.tx_options()?)
                .await?;
            let me = session.signer.address();
            print_tx(
                &ctx.out,
                &outcome,
                json!({ "provider": me }),
                format!("updated {me}"),
            );
        }
        ProviderCmd::Bond { amount } => {
            let amount = parse_coin(&amount)?;
            let session = ctx.session().await?;
            let outcome = session
                .contracts()
                .registry(
                    &ExecuteMsg::Bond {},
                    std::slice::from_ref(&amount),
                    &ctx.tx_options()?,
                )
                .await?;
            let provider = session.chain.provider(&session.signer.address()).await?;
            print_tx(
                &ctx.out,
                &outcome,
                json!({ "bond": provider.bond, "active": provider.active }),
                format!(
                    "bonded {}; bond now {}",
                    display(&amount),
                    display(&provider.bond)
                ),
            );
        }
        ProviderCmd::Unbond { amount } => {
            let session = ctx.session().await?;
            let outcome = session
                .contracts()
                .registry(&ExecuteMsg::Unbond { amount }, &[], &ctx.tx_options()?)
                .await?;
            let provider = session.chain.provider(&session.signer.address()).await?;
            print_tx(
                &ctx.out,
                &outcome,
                json!({ "bond": provider.bond, "unbonding": provider.unbonding, "active": provider.active }),
                format!("unbonding {amount}; bond now {}", display(&provider.bond)),
            );
        }
        ProviderCmd::ClaimUnbonded => {
            let session = ctx.session().await?;
            let outcome = session
                .contracts()
                .registry(&ExecuteMsg::ClaimUnbonded {}, &[], &ctx.tx_options()?)
                .await?;
            print_tx(
                &ctx.out,
                &outcome,
                json!({}),
                "claimed matured unbonding entries".into(),
            );
        }
        ProviderCmd::Show { address } => {
            let address = match address {
                Some(a) => ctx.address_of(&a)?,
                None => ctx.signer_address()?,
            };
            let provider = ctx.chain().await?.provider(&address).await?;
            ctx.out.value(&provider);
        }
        ProviderCmd::List { active, limit } => {
            let chain = ctx.chain().await?;
            let page: registry::ProvidersResponse = chain
                .query_registry(&QueryMsg::Providers {
                    active: active.then_some(true),
                    attribute: None,
                    start_after: None,
                    limit: Some(limit),
                })
                .await?;
            ctx.out.either(&page, || {
                Output::lines(&page.providers, "no providers", |p| {
                    format!(
                        "{}  {}  bond {}  {}",
                        p.address,
                        if p.active { "active" } else { "inactive" },
                        display(&p.bond),
                        p.host_uri
                    )
                })
            });
        }
    }
    Ok(())
}
