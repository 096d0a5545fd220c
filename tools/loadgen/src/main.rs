//! `tessera-loadgen`: drives a Cosmos chain's CometBFT RPC with signed bank sends from many
//! senders and reports committed tx/s, commit latency and FinalizeBlock time per tx.
//!
//!   tessera-loadgen --comet-metrics 127.0.0.1:26660          # the dev chain (tesserad start --dev)
//!   tessera-loadgen --rpc http://127.0.0.1:26657 --chain-id wasm-bench --prefix wasm \
//!       --denom stake --gas-price 0.025 --funder-mnemonic "…"  # another chain

use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use clap::Parser;
use tessera_loadgen::signing::ChainParams;
use tessera_loadgen::LoadConfig;

#[derive(Parser, Debug)]
#[command(name = "tessera-loadgen", version, about)]
struct Args {
    /// CometBFT RPC of the node under load.
    #[arg(long, default_value = "http://127.0.0.1:26657")]
    rpc: String,
    #[arg(long, default_value = "tessera-dev-1")]
    chain_id: String,
    /// Bech32 prefix of account addresses.
    #[arg(long, default_value = "tessera")]
    prefix: String,
    #[arg(long, default_value = "utsr")]
    denom: String,
    /// Fee per unit of gas (at least the node's minimum gas price).
    #[arg(long, default_value_t = 0.025)]
    gas_price: f64,
    /// Gas limit of each send; by default one send is simulated and 30 % added.
    #[arg(long)]
    gas: Option<u64>,
    /// Mnemonic of a funded account (HD path m/44'/118'/0'/0/0); by default the dev chain's
    /// `alice` from chain-config/dev-accounts.json.
    #[arg(long, env = "LOADGEN_FUNDER_MNEMONIC", hide_env_values = true)]
    funder_mnemonic: Option<String>,
    #[arg(long, default_value_t = 32)]
    senders: usize,
    #[arg(long, default_value_t = 100)]
    txs_per_sender: u64,
    /// Txs each sender keeps accepted but uncommitted at most; senders × window must stay below
    /// the node's mempool size (CometBFT's default 5,000), which drops txs past it.
    #[arg(long, default_value_t = 100)]
    window: usize,
    /// Offer this many tx/s in all instead of as many as the node takes: commit latency at a
    /// given load.
    #[arg(long)]
    rate: Option<f64>,
    /// CometBFT's Prometheus endpoint (host:port) for FinalizeBlock time per tx; the dev chain's
    /// is 127.0.0.1:26660.
    #[arg(long)]
    comet_metrics: Option<String>,
    /// Seconds to wait after the last broadcast for every accepted tx to commit.
    #[arg(long, default_value_t = 120)]
    timeout_secs: u64,
    /// Also print the report as one line of JSON (last line of the output).
    #[arg(long)]
    json: bool,
}

/// The dev chain's `alice`, whose mnemonic the repository publishes for development.
fn dev_alice_mnemonic() -> Result<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../chain-config/dev-accounts.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{} (or pass --funder-mnemonic)", path.display()))?;
    let accounts: serde_json::Value = serde_json::from_str(&text)?;
    accounts["accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["name"] == "alice")
        .and_then(|a| a["mnemonic"].as_str())
        .map(str::to_string)
        .ok_or_else(|| anyhow!("{} has no alice", path.display()))
}

fn main() -> Result<()> {
    let args = Args::parse();
    let chain = ChainParams {
        chain_id: args
            .chain_id
            .parse()
            .map_err(|e| anyhow!("--chain-id {:?}: {e}", args.chain_id))?,
        prefix: args.prefix.clone(),
        denom: args
            .denom
            .parse()
            .map_err(|e| anyhow!("--denom {:?}: {e}", args.denom))?,
        gas_price: args.gas_price,
    };
    if !(args.gas_price.is_finite() && args.gas_price >= 0.0) {
        return Err(anyhow!("--gas-price must be a non-negative number"));
    }
    let funder_mnemonic = match args.funder_mnemonic {
        Some(m) => m,
        None => dev_alice_mnemonic()?,
    };
    let config = LoadConfig {
        rpc: args.rpc,
        chain,
        funder_mnemonic,
        senders: args.senders,
        txs_per_sender: args.txs_per_sender,
        gas: args.gas,
        comet_metrics: args.comet_metrics,
        timeout: Duration::from_secs(args.timeout_secs),
        window: args.window,
        rate: args.rate,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(tessera_loadgen::run(&config))?;
    print!("{}", report.render());
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    }
    Ok(())
}
