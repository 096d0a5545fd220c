//! A load generator for Cosmos chains behind CometBFT's RPC, written to compare `tesserad` with
//! other chains (wasmd) under the same load.
//!
//! - [`accounts`]: the funder (from a mnemonic) and the senders (HD children of the same mnemonic),
//!   funded in one tx, with their account numbers and sequences read from the chain.
//! - [`signing`]: bank sends signed in advance (SIGN_MODE_DIRECT) for any prefix, denom and chain.
//! - [`drive`]: one task per sender broadcasting its txs in sequence order (`broadcast_tx_sync`,
//!   each after the previous one passed CheckTx), all senders at once.
//! - [`blocks`]: follows the chain block by block and notes when each tx was seen committed.
//! - [`report`]: committed tx/s, commit latency percentiles, CometBFT's FinalizeBlock time per tx
//!   and the same machine's secp256k1 verify time.
//!
//! The load is closed-loop: every sender keeps one tx in flight to the mempool at a time and
//! the senders together keep the mempool full, so the node, not the generator, sets the rate.

pub mod accounts;
pub mod blocks;
pub mod drive;
pub mod report;
pub mod signing;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use cosmrs::rpc::client::CompatMode;
use cosmrs::rpc::{Client, HttpClient};

use accounts::{fund_senders, Funder};
use report::{CometMetrics, Report};
use signing::ChainParams;

/// What to run against which chain.
#[derive(Clone, Debug)]
pub struct LoadConfig {
    /// CometBFT RPC, e.g. `http://127.0.0.1:26657`.
    pub rpc: String,
    pub chain: ChainParams,
    /// BIP-39 mnemonic of a funded account (HD path m/44'/118'/0'/0/0); the senders are its
    /// children m/44'/118'/0'/0/1…N.
    pub funder_mnemonic: String,
    pub senders: usize,
    pub txs_per_sender: u64,
    /// Gas limit of each bank send; `None` simulates one and adds 30 %.
    pub gas: Option<u64>,
    /// CometBFT's Prometheus endpoint (`host:port`), for FinalizeBlock time per tx.
    pub comet_metrics: Option<String>,
    /// How long to wait for an accepted tx to commit.
    pub timeout: Duration,
    /// Txs each sender may have accepted and not yet committed ([`drive::Pacing::window`]).
    pub window: usize,
    /// Offer this many tx/s in all (spread evenly over the senders) instead of as many as the
    /// node accepts: latency at a given load rather than at saturation.
    pub rate: Option<f64>,
}

/// A client of CometBFT 0.38's RPC at `url`.
pub fn rpc_client(url: &str) -> Result<HttpClient> {
    let parsed = url
        .parse()
        .with_context(|| format!("RPC URL {url:?}: use e.g. http://127.0.0.1:26657"))?;
    HttpClient::builder(parsed)
        .compat_mode(CompatMode::V0_38)
        .build()
        .with_context(|| format!("RPC URL {url:?}"))
}

/// Funds the senders, signs every tx, drives the load and reports what committed.
pub async fn run(config: &LoadConfig) -> Result<Report> {
    if config.senders == 0 || config.txs_per_sender == 0 || config.window == 0 {
        bail!("--senders, --txs-per-sender and --window must be at least 1");
    }
    if config.rate.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
        bail!("--rate must be a positive number of tx/s");
    }
    let client = rpc_client(&config.rpc)?;
    let node = tessera_client::node::Node::connect(&config.rpc)?;
    let status = client.status().await.context("RPC status")?;
    if status.node_info.network.as_str() != config.chain.chain_id.as_str() {
        bail!(
            "the node at {} runs chain {:?}, not {:?}",
            config.rpc,
            status.node_info.network.as_str(),
            config.chain.chain_id.as_str()
        );
    }

    let funder = Funder::from_mnemonic(&config.funder_mnemonic, &config.chain.prefix)?;
    let senders = fund_senders(&node, &config.chain, &funder, config).await?;
    // Simulated after the funding tx, so that the funder's key is on its account as the
    // senders' will be after their first tx (setting it costs extra gas once).
    let gas = match config.gas {
        Some(gas) => gas,
        None => funder.simulated_send_gas(&node, &config.chain).await?,
    };
    eprintln!(
        "loadgen: {} senders × {} bank sends, gas limit {gas} each, {}",
        config.senders,
        config.txs_per_sender,
        match config.rate {
            Some(rate) => format!("offered at {rate} tx/s"),
            None => format!(
                "as fast as the node takes them ({} in flight per sender)",
                config.window
            ),
        }
    );

    // Everything is signed before the clock starts.
    let to = funder.address.clone();
    let batches = senders
        .iter()
        .map(|sender| {
            (0..config.txs_per_sender)
                .map(|i| sender.bank_send(&config.chain, sender.sequence + i, &to, gas))
                .collect::<Result<Vec<_>>>()
        })
        .collect::<Result<Vec<_>>>()?;
    let expected: u64 = batches.iter().map(|b| b.len() as u64).sum();

    let metrics_before = match &config.comet_metrics {
        Some(address) => Some(CometMetrics::scrape(address).await?),
        None => None,
    };
    let start_height = client
        .latest_block()
        .await
        .context("RPC block")?
        .block
        .header
        .height
        .value();
    let ledger = Arc::new(drive::Ledger::default());
    let follower = tokio::spawn(blocks::follow(
        client.clone(),
        start_height,
        ledger.clone(),
        config.timeout,
    ));
    let started = Instant::now();
    // Each sender's slots are `senders / rate` apart, the senders' staggered across one slot.
    let slot = config
        .rate
        .map(|rate| Duration::from_secs_f64(config.senders as f64 / rate));
    let drivers: Vec<_> = batches
        .into_iter()
        .enumerate()
        .map(|(i, txs)| {
            let pacing = drive::Pacing {
                window: config.window,
                stall_timeout: config.timeout,
                schedule: slot.map(|slot| drive::Schedule {
                    first: started + slot.mul_f64(i as f64 / config.senders as f64),
                    interval: slot,
                }),
            };
            tokio::spawn(drive::broadcast_in_order(
                client.clone(),
                txs,
                ledger.clone(),
                pacing,
            ))
        })
        .collect();
    let mut tallies = Vec::with_capacity(drivers.len());
    for driver in drivers {
        tallies.push(driver.await.context("a sender's task")?);
    }
    ledger.broadcasting_done();
    let broadcast_secs = started.elapsed().as_secs_f64();
    let chain_blocks = follower.await.context("the block follower")??;
    let metrics_after = match &config.comet_metrics {
        Some(address) => Some(CometMetrics::scrape(address).await?),
        None => None,
    };
    Ok(Report::new(
        config,
        gas,
        expected,
        &tallies,
        &ledger,
        &chain_blocks,
        broadcast_secs,
        metrics_before.zip(metrics_after),
    ))
}
