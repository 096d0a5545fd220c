//! `tessera market`: orders open for bids, the bids on an order, accepting one; and for
//! providers, placing and withdrawing a bid by hand.

use anyhow::{Context as _, Result};
use clap::{Subcommand, ValueEnum};
use cosmwasm_std::Uint128;
use serde_json::json;
use tessera_api::market::{self, BidOffer, ExecuteMsg, OrderState, QueryMsg};
use tessera_api::{BidId, OrderId};
use tessera_client::coin::{display, parse_coin};

use crate::context::Context;
use crate::output::Output;
use crate::parse::{gpu, print_tx};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OrderStateArg {
    Open,
    Matched,
    Closed,
}

impl From<OrderStateArg> for OrderState {
    fn from(s: OrderStateArg) -> Self {
        match s {
            OrderStateArg::Open => OrderState::Open,
            OrderStateArg::Matched => OrderState::Matched,
            OrderStateArg::Closed => OrderState::Closed,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum MarketCmd {
    /// The market's parameters (fees, deposits, auction windows)
    Params,
    /// Orders in a state (open by default): what providers bid on
    Orders {
        #[arg(long, value_enum, default_value = "open")]
        state: OrderStateArg,
        /// Order id to continue after (owner/dseq/gseq/oseq)
        #[arg(long)]
        start_after: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Bids on an order (owner/dseq/gseq/oseq)
    Bids { order: String },
    /// Accept a bid (owner/dseq/gseq/oseq/provider) before the auction window ends
    #[command(
        after_help = "Example:\n  tessera market accept tessera1…/42/1/1/tessera1prov… --from alice"
    )]
    Accept { bid: String },
    /// Bid on an order as a provider: a price per hour for the whole group
    #[command(
        after_help = "Example:\n  tessera market bid tessera1…/42/1/1 --price 900000 --gpu nvidia:a100:40960:1 --from provider"
    )]
    Bid {
        order: String,
        /// Price per hour in the deployment's denom (base units, e.g. 900000)
        #[arg(long, value_parser = crate::parse::uint128)]
        price: Uint128,
        /// Bid deposit (default: the market's bid_min_deposit)
        #[arg(long)]
        deposit: Option<String>,
        /// GPUs offered: vendor:model:vram_mib:count[:interface] (repeatable)
        #[arg(long)]
        gpu: Vec<String>,
    },
    /// Withdraw your open bid on an order
    WithdrawBid { order: String },
}

pub async fn run(ctx: &Context, cmd: MarketCmd) -> Result<()> {
    match cmd {
        MarketCmd::Params => {
            let params = ctx.chain().await?.market_params().await?;
            ctx.out.value(&params);
        }
        MarketCmd::Orders {
            state,
            start_after,
            limit,
        } => {
            let start_after = start_after.map(|s| s.parse::<OrderId>()).transpose()?;
            let chain = ctx.chain().await?;
            let page: market::OrdersResponse = chain
                .query_market(&QueryMsg::Orders {
                    state: Some(state.into()),
                    start_after,
                    limit: Some(limit),
                })
                .await?;
            ctx.out.either(&page, || {
                Output::lines(&page.orders, "no orders", |o| {
                    format!(
                        "{}  {:?}  {} × {}  max {}{}/h  {} bid(s)",
                        o.id,
                        o.state,
                        o.spec.count,
                        o.spec.name,
                        o.spec.max_price,
                        o.denom,
                        o.open_bids
                    )
                })
            });
        }
        MarketCmd::Bids { order } => {
            let order: OrderId = order.parse()?;
            let chain = ctx.chain().await?;
            let bids = chain.bids(&order).await?;
            ctx.out.either(&json!({ "bids": bids }), || {
                Output::lines(&bids, &format!("no bids on {order}"), |b| {
                    format!(
                        "{}  {:?}  {}{}/h  reputation {}",
                        b.id.provider, b.state, b.price, b.deposit.denom, b.reputation_score
                    )
                })
            });
        }
        MarketCmd::Accept { bid } => {
            let bid: BidId = bid.parse()?;
            let session = ctx.session().await?;
            let outcome = session
                .contracts()
                .market(
                    &ExecuteMsg::AcceptBid { bid: bid.clone() },
                    &[],
                    &ctx.tx_options()?,
                )
                .await?;
            print_tx(
                &ctx.out,
                &outcome,
                json!({ "lease": bid }),
                format!("accepted; lease {bid} is active"),
            );
        }
        MarketCmd::Bid {
            order,
            price,
            deposit,
            gpu: gpus,
        } => {
            let order: OrderId = order.parse()?;
            let gpus = gpus.iter().map(|g| gpu(g)).collect::<Result<Vec<_>>>()?;
            let session = ctx.session().await?;
            let deposit = match deposit {
                Some(text) => parse_coin(&text)?,
                None => session.chain.market_params().await?.bid_min_deposit,
            };
            let offer = BidOffer {
                gpus,
                resource_prices: vec![],
            };
            offer.validate(price)?;
            let msg = ExecuteMsg::PlaceBid {
                order: order.clone(),
                price,
                offer,
            };
            let outcome = session
                .contracts()
                .market(&msg, std::slice::from_ref(&deposit), &ctx.tx_options()?)
                .await?;
            let bid = order.bid(session.signer.address());
            print_tx(
                &ctx.out,
                &outcome,
                json!({ "bid": bid, "price": price, "deposit": deposit }),
                format!(
                    "bid {bid} placed at {price}/h with a deposit of {}",
                    display(&deposit)
                ),
            );
        }
        MarketCmd::WithdrawBid { order } => {
            let order: OrderId = order.parse().context("order id")?;
            let session = ctx.session().await?;
            let outcome = session
                .contracts()
                .market(
                    &ExecuteMsg::WithdrawBid {
                        order: order.clone(),
                    },
                    &[],
                    &ctx.tx_options()?,
                )
                .await?;
            let bid = order.bid(session.signer.address());
            print_tx(
                &ctx.out,
                &outcome,
                json!({ "bid": bid }),
                format!("bid {bid} withdrawn"),
            );
        }
    }
    Ok(())
}
