//! `tessera tx bank send`, `tessera query bank balances|account|tx`, `tessera status`.

use std::time::Duration;

use anyhow::Result;
use clap::Subcommand;
use serde_json::json;
use tessera_client::coin::{display, parse_coins};
use tessera_client::tx::bank_send;

use crate::context::Context;
use crate::output::Output;
use crate::parse::print_tx;

#[derive(Subcommand, Debug)]
pub enum TxCmd {
    /// Bank module txs
    #[command(subcommand)]
    Bank(BankTx),
}

#[derive(Subcommand, Debug)]
pub enum BankTx {
    /// Send tokens from a key to an address
    #[command(
        after_help = "Example:\n  tessera tx bank send alice tessera1… 2.5tsr --keyring-backend test"
    )]
    Send {
        /// Key name or address of the sender (overrides --from)
        from: String,
        /// Recipient address, or the name of a key
        to: String,
        /// Amount, e.g. 1000000utsr, 1tsr or 1utsr,5foo
        amount: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum QueryCmd {
    /// Bank module queries
    #[command(subcommand)]
    Bank(BankQuery),
    /// An account's number and sequence
    Account { address: String },
    /// A committed tx by hash: height, gas, events
    Tx { hash: String },
}

#[derive(Subcommand, Debug)]
pub enum BankQuery {
    /// Balances of an address or key
    Balances {
        address: String,
        /// Only this denom
        #[arg(long)]
        denom: Option<String>,
    },
}

pub async fn run_tx(ctx: &Context, cmd: TxCmd) -> Result<()> {
    match cmd {
        TxCmd::Bank(BankTx::Send { from, to, amount }) => {
            let coins = parse_coins(&amount)?;
            let to = ctx.address_of(&to)?;
            let signer = ctx.signer_as(&from, ctx.node()?).await?;
            let msg = bank_send(&signer.address(), &to, &coins)?;
            let outcome = signer.send(vec![msg], &ctx.tx_options()?).await?;
            let shown: Vec<String> = coins.iter().map(display).collect();
            print_tx(
                &ctx.out,
                &outcome,
                json!({ "from": signer.address(), "to": to, "amount": coins }),
                format!("sent {} to {to}", shown.join(", ")),
            );
        }
    }
    Ok(())
}

pub async fn run_query(ctx: &Context, cmd: QueryCmd) -> Result<()> {
    let node = ctx.node()?;
    match cmd {
        QueryCmd::Bank(BankQuery::Balances { address, denom }) => {
            let address = ctx.address_of(&address)?;
            let balances = match denom {
                Some(denom) => {
                    let amount = node.balance(&address, &denom).await?;
                    vec![cosmwasm_std::Coin::new(amount, denom)]
                }
                None => node.balances(&address).await?,
            };
            ctx.out.either(&json!({ "balances": balances }), || {
                Output::lines(&balances, &format!("{address} has no tokens"), |c| {
                    format!("{}{}  ({})", c.amount, c.denom, display(c))
                })
            });
        }
        QueryCmd::Account { address } => {
            let address = ctx.address_of(&address)?;
            match node.account(&address).await? {
                Some(account) => ctx.out.value(&json!({
                    "address": account.address,
                    "account_number": account.account_number,
                    "sequence": account.sequence,
                })),
                None => anyhow::bail!("account {address} does not exist on chain yet"),
            }
        }
        QueryCmd::Tx { hash } => {
            // One look, no waiting: "not committed within 0 s" would read oddly here.
            match node
                .wait_for_tx(&hash.to_ascii_uppercase(), Duration::ZERO)
                .await
            {
                Ok(outcome) => ctx.out.value(&outcome),
                Err(tessera_client::Error::NotCommitted { .. }) => {
                    anyhow::bail!("no committed tx with hash {hash} on this node")
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}

pub async fn status(ctx: &Context) -> Result<()> {
    let status = ctx.node()?.status().await?;
    ctx.out.either(&status, || {
        format!(
            "chain {} at height {} (CometBFT {}){}",
            status.chain_id,
            status.height,
            status.version,
            if status.catching_up {
                ", catching up"
            } else {
                ""
            }
        )
    });
    Ok(())
}
