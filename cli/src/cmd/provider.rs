//! `tessera provider`: register with attributes, GPUs, a bond and the fingerprint of the TLS
//! certificate it serves; update; bond and unbond; show one provider, list many.

use std::path::Path;

use anyhow::{Context as _, Result};
use clap::Subcommand;
use cosmwasm_std::Uint128;
use serde_json::json;
use tessera_api::registry::{self, ExecuteMsg, ProviderInfo, QueryMsg};
use tessera_client::coin::{display, parse_coin};
use tessera_client::transport_identity::fingerprint_of_pem;

use crate::context::Context;
use crate::output::Output;
use crate::parse::{attribute, gpu, print_tx};

#[derive(Subcommand, Debug)]
pub enum ProviderCmd {
    /// Register the --from account as a provider; --bond is bonded at once
    #[command(
        after_help = "Example:\n  tessera provider register --host-uri https://gpu.example.org:8443 \\\n    --tls-cert PROVIDER_HOME/tls/cert.pem \\\n    --attribute region=eu-west --gpu nvidia:a100:40960:4 --bond 100tsr --from provider"
    )]
    Register {
        /// Where tenants reach the provider's gRPC API
        #[arg(long)]
        host_uri: String,
        /// The TLS certificate (PEM) served at --host-uri: its sha256 fingerprint is published,
        /// and clients accept only that certificate. Needed for https:// (clients refuse an
        /// https:// provider without one); plain http:// is for loopback only
        #[arg(long, value_name = "PATH")]
        tls_cert: Option<std::path::PathBuf>,
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
        /// Publish the fingerprint of this TLS certificate (PEM), e.g. after rotating it; the
        /// registered one is kept when left out
        #[arg(long, value_name = "PATH")]
        tls_cert: Option<std::path::PathBuf>,
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
            tls_cert,
            attribute: attrs,
            gpu: gpus,
            email,
            website,
            bond,
        } => {
            let tls_fingerprint = tls_cert.as_deref().map(cert_fingerprint).transpose()?;
            if host_uri.starts_with("https://") && tls_fingerprint.is_none() {
                ctx.out.note(
                    "note: no --tls-cert given: clients refuse an https:// provider without a \
                     registered certificate fingerprint until `tessera provider update --tls-cert` \
                     publishes one",
                );
            }
            let msg = ExecuteMsg::Register {
                host_uri,
                tls_fingerprint,
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
                json!({
                    "provider": me,
                    "bond": provider.bond,
                    "active": provider.active,
                    "tls_fingerprint": provider.tls_fingerprint,
                }),
                format!(
                    "registered {me} with a bond of {}{}{}",
                    display(&provider.bond),
                    if provider.active {
                        "; active"
                    } else {
                        "; not active until bonded"
                    },
                    fingerprint_note(provider.tls_fingerprint.as_deref()),
                ),
            );
        }
        ProviderCmd::Update {
            host_uri,
            tls_cert,
            attribute: attrs,
            gpu: gpus,
            email,
            website,
        } => {
            let info = (email.is_some() || website.is_some()).then(|| ProviderInfo {
                email: email.unwrap_or_default(),
                website: website.unwrap_or_default(),
            });
            let tls_fingerprint = tls_cert.as_deref().map(cert_fingerprint).transpose()?;
            let msg = ExecuteMsg::Update {
                host_uri,
                tls_fingerprint,
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
            let provider = session.chain.provider(&me).await?;
            print_tx(
                &ctx.out,
                &outcome,
                json!({
                    "provider": me,
                    "host_uri": provider.host_uri,
                    "tls_fingerprint": provider.tls_fingerprint,
                }),
                format!(
                    "updated {me}{}",
                    fingerprint_note(provider.tls_fingerprint.as_deref())
                ),
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
                        "{}  {}  bond {}  {}  tls {}",
                        p.address,
                        if p.active { "active" } else { "inactive" },
                        display(&p.bond),
                        p.host_uri,
                        p.tls_fingerprint.as_deref().unwrap_or("none")
                    )
                })
            });
        }
    }
    Ok(())
}

/// The fingerprint the registry stores for the PEM certificate at `path`.
fn cert_fingerprint(path: &Path) -> Result<String> {
    let pem = std::fs::read_to_string(path)
        .with_context(|| format!("reading the TLS certificate {}", path.display()))?;
    fingerprint_of_pem(&pem).with_context(|| format!("TLS certificate {}", path.display()))
}

fn fingerprint_note(fingerprint: Option<&str>) -> String {
    fingerprint
        .map(|f| format!("; TLS certificate fingerprint {f}"))
        .unwrap_or_default()
}
