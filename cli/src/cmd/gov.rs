//! `tessera gov`: stake for voting power, propose, vote, tally, execute, list, show.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::{Subcommand, ValueEnum};
use cosmwasm_std::Uint128;
use serde_json::json;
use tessera_api::governance::{
    self, ExecuteMsg, ProposalAction, ProposalStatus, QueryMsg, VoteOption,
};
use tessera_api::market::MarketParamsUpdate;
use tessera_client::coin::{display, parse_coin};

use crate::context::Context;
use crate::output::Output;
use crate::parse::print_tx;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum VoteArg {
    Yes,
    No,
    Abstain,
    NoWithVeto,
}

impl From<VoteArg> for VoteOption {
    fn from(v: VoteArg) -> Self {
        match v {
            VoteArg::Yes => VoteOption::Yes,
            VoteArg::No => VoteOption::No,
            VoteArg::Abstain => VoteOption::Abstain,
            VoteArg::NoWithVeto => VoteOption::NoWithVeto,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum StatusArg {
    Open,
    Rejected,
    Vetoed,
    Executed,
    ExecutionFailed,
    Expired,
    Superseded,
}

impl From<StatusArg> for ProposalStatus {
    fn from(s: StatusArg) -> Self {
        match s {
            StatusArg::Open => ProposalStatus::Open,
            StatusArg::Rejected => ProposalStatus::Rejected,
            StatusArg::Vetoed => ProposalStatus::Vetoed,
            StatusArg::Executed => ProposalStatus::Executed,
            StatusArg::ExecutionFailed => ProposalStatus::ExecutionFailed,
            StatusArg::Expired => ProposalStatus::Expired,
            StatusArg::Superseded => ProposalStatus::Superseded,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum GovCmd {
    /// Stake tokens for voting power (counts from the next block)
    Stake { amount: String },
    /// Start unstaking (stops counting at once; claimable after the unstaking period)
    Unstake {
        #[arg(value_parser = crate::parse::uint128)]
        amount: Uint128,
    },
    /// Pay out matured unstaking entries
    Claim,
    /// Open a proposal with a deposit; no actions makes a text proposal
    #[command(after_help = "Examples:\n  \
        tessera gov propose --title \"Lower the take rate\" --description \"…\" --take-rate-bps 150 --from alice\n  \
        tessera gov propose --title \"…\" --description \"…\" --actions actions.json --from alice\n\n\
        actions.json holds a JSON list of actions, e.g.\n  \
        [{\"update_market_params\": {\"take_rate_bps\": 150}}, {\"set_auditors\": {\"auditors\": [\"tessera1…\"]}}]")]
    Propose {
        #[arg(long)]
        title: String,
        #[arg(long)]
        description: String,
        /// Change the market's take rate (basis points)
        #[arg(long)]
        take_rate_bps: Option<u16>,
        /// A JSON file with a list of actions
        #[arg(long)]
        actions: Option<PathBuf>,
        /// Deposit (default: the governance min_deposit)
        #[arg(long)]
        deposit: Option<String>,
    },
    /// Vote on an open proposal; a later vote replaces an earlier one
    Vote {
        proposal_id: u64,
        #[arg(value_enum)]
        option: VoteArg,
    },
    /// The tally of a proposal against its quorum and thresholds
    Tally { proposal_id: u64 },
    /// After the voting period: tally, settle the deposit and run a passed proposal's actions
    Execute { proposal_id: u64 },
    /// Proposals, optionally in one status
    List {
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// One proposal
    Show { proposal_id: u64 },
    /// Staked amount and voting power of an address (default: --from)
    Power { address: Option<String> },
}

pub async fn run(ctx: &Context, cmd: GovCmd) -> Result<()> {
    match cmd {
        GovCmd::Stake { amount } => {
            let amount = parse_coin(&amount)?;
            let session = ctx.session().await?;
            let outcome = session
                .contracts()
                .governance(
                    &ExecuteMsg::Stake {},
                    std::slice::from_ref(&amount),
                    &ctx.tx_options()?,
                )
                .await?;
            print_tx(
                &ctx.out,
                &outcome,
                json!({ "staked": amount }),
                format!("staked {}", display(&amount)),
            );
        }
        GovCmd::Unstake { amount } => {
            let session = ctx.session().await?;
            let outcome = session
                .contracts()
                .governance(&ExecuteMsg::Unstake { amount }, &[], &ctx.tx_options()?)
                .await?;
            print_tx(
                &ctx.out,
                &outcome,
                json!({ "unstaking": amount }),
                format!("unstaking {amount}"),
            );
        }
        GovCmd::Claim => {
            let session = ctx.session().await?;
            let outcome = session
                .contracts()
                .governance(&ExecuteMsg::Claim {}, &[], &ctx.tx_options()?)
                .await?;
            print_tx(
                &ctx.out,
                &outcome,
                json!({}),
                "claimed matured unstaking entries".into(),
            );
        }
        GovCmd::Propose {
            title,
            description,
            take_rate_bps,
            actions,
            deposit,
        } => {
            let mut list: Vec<ProposalAction> = match actions {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    serde_json::from_str(&text).with_context(|| {
                        format!("{}: not a JSON list of proposal actions", path.display())
                    })?
                }
                None => vec![],
            };
            if let Some(bps) = take_rate_bps {
                list.push(ProposalAction::UpdateMarketParams(MarketParamsUpdate {
                    take_rate_bps: Some(bps),
                    ..Default::default()
                }));
            }
            governance::validate_proposal_text(&title, &description, list.len())?;
            let session = ctx.session().await?;
            let deposit = match deposit {
                Some(text) => parse_coin(&text)?,
                None => {
                    let params: governance::GovernanceParams =
                        session.chain.query_governance(&QueryMsg::Params {}).await?;
                    cosmwasm_std::Coin::new(params.min_deposit, params.denom)
                }
            };
            let msg = ExecuteMsg::Propose {
                title,
                description,
                actions: list,
            };
            let outcome = session
                .contracts()
                .governance(&msg, std::slice::from_ref(&deposit), &ctx.tx_options()?)
                .await?;
            let id: u64 = outcome
                .wasm_attribute(&session.chain.contracts.governance, "proposal_id")
                .and_then(|v| v.parse().ok())
                .context("the propose tx emitted no proposal_id")?;
            let proposal = session.chain.proposal(id).await?;
            print_tx(
                &ctx.out,
                &outcome,
                json!({ "proposal_id": id, "voting_ends_at": proposal.voting_ends_at }),
                format!(
                    "proposal {id} open until block time {}",
                    proposal.voting_ends_at
                ),
            );
        }
        GovCmd::Vote {
            proposal_id,
            option,
        } => {
            let session = ctx.session().await?;
            let msg = ExecuteMsg::Vote {
                proposal_id,
                option: option.into(),
            };
            let outcome = session
                .contracts()
                .governance(&msg, &[], &ctx.tx_options()?)
                .await?;
            print_tx(
                &ctx.out,
                &outcome,
                json!({ "proposal_id": proposal_id, "option": VoteOption::from(option) }),
                format!("voted {option:?} on proposal {proposal_id}"),
            );
        }
        GovCmd::Tally { proposal_id } => {
            let chain = ctx.chain().await?;
            let proposal = chain.proposal(proposal_id).await?;
            let params: governance::GovernanceParams =
                chain.query_governance(&QueryMsg::Params {}).await?;
            let t = proposal.tally;
            ctx.out.either(
                &json!({
                    "proposal_id": proposal_id,
                    "status": proposal.status,
                    "tally": t,
                    "total_power": proposal.total_power,
                    "quorum": params.quorum,
                    "threshold": params.threshold,
                    "veto_threshold": params.veto_threshold,
                    "voting_ends_at": proposal.voting_ends_at,
                }),
                || {
                    format!(
                        "proposal {proposal_id} ({:?}): yes {} no {} abstain {} veto {} of {} total power\n\
                         quorum {} threshold {} veto {}; voting ends at block time {}",
                        proposal.status, t.yes, t.no, t.abstain, t.no_with_veto, proposal.total_power,
                        params.quorum, params.threshold, params.veto_threshold, proposal.voting_ends_at
                    )
                },
            );
        }
        GovCmd::Execute { proposal_id } => {
            let session = ctx.session().await?;
            let outcome = session
                .contracts()
                .governance(
                    &ExecuteMsg::Execute { proposal_id },
                    &[],
                    &ctx.tx_options()?,
                )
                .await?;
            let proposal = session.chain.proposal(proposal_id).await?;
            print_tx(
                &ctx.out,
                &outcome,
                json!({ "proposal_id": proposal_id, "status": proposal.status, "execution_error": proposal.execution_error }),
                format!("proposal {proposal_id}: {:?}", proposal.status),
            );
        }
        GovCmd::List { status, limit } => {
            let chain = ctx.chain().await?;
            let page: governance::ProposalsResponse = chain
                .query_governance(&QueryMsg::Proposals {
                    status: status.map(Into::into),
                    start_after: None,
                    limit: Some(limit),
                })
                .await?;
            ctx.out.either(&page, || {
                Output::lines(&page.proposals, "no proposals", |p| {
                    format!("{:>4}  {:?}  {}", p.id, p.status, p.title)
                })
            });
        }
        GovCmd::Show { proposal_id } => {
            let proposal = ctx.chain().await?.proposal(proposal_id).await?;
            ctx.out.value(&proposal);
        }
        GovCmd::Power { address } => {
            let address = match address {
                Some(a) => ctx.address_of(&a)?,
                None => ctx.signer_address()?,
            };
            let chain = ctx.chain().await?;
            let stake: governance::StakeResponse = chain
                .query_governance(&QueryMsg::Stake {
                    address: address.clone(),
                })
                .await?;
            let power: governance::VotingPowerResponse = chain
                .query_governance(&QueryMsg::VotingPower {
                    address,
                    height: None,
                })
                .await?;
            ctx.out
                .value(&json!({ "stake": stake, "voting_power": power }));
        }
    }
    Ok(())
}
