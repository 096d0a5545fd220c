//! What a run measured: committed tx/s, commit latency, CometBFT's FinalizeBlock time per tx,
//! and the same machine's secp256k1 verify time to scale it by.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use k256::ecdsa::signature::{Signer, Verifier};
use k256::ecdsa::{Signature, SigningKey, VerifyingKey};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::blocks::BlockInfo;
use crate::drive::{Ledger, SenderTally};
use crate::LoadConfig;

/// CometBFT's histogram of FinalizeBlock time, in milliseconds (CometBFT 0.38 observes
/// `(end - start) / 1e6` of nanoseconds).
const FINALIZE_METRIC: &str = "cometbft_state_block_processing_time";

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub chain_id: String,
    pub senders: usize,
    pub gas_limit: u64,
    /// The rate the load was offered at; `None` when the senders went as fast as the node took
    /// their txs.
    pub offered_tx_per_sec: Option<f64>,
    /// Txs signed for the run.
    pub signed: u64,
    /// Txs CheckTx accepted.
    pub accepted: u64,
    /// Accepted txs that committed with code 0.
    pub committed: u64,
    /// Accepted txs that committed with an error.
    pub failed_in_block: u64,
    /// Senders that stopped early, with why.
    pub stopped_senders: Vec<String>,
    pub retries: u64,
    /// Heights from the first to the last block holding the run's txs.
    pub blocks: u64,
    /// From the header time of the block before the first one with the run's txs to that of
    /// the last one.
    pub window_secs: f64,
    /// `committed / window_secs`.
    pub committed_tx_per_sec: f64,
    /// How long the senders took to broadcast everything (their offered rate's window).
    pub broadcast_secs: f64,
    /// From the start of a tx's broadcast to the follower seeing its block (polled every 20 ms).
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    pub latency_max_ms: f64,
    /// CometBFT's FinalizeBlock time over the run divided by the txs committed in it.
    pub finalize_us_per_tx: Option<f64>,
    /// One secp256k1 signature verification on this machine, measured after the run.
    pub secp256k1_verify_us: f64,
    /// `finalize_us_per_tx / secp256k1_verify_us`: holds across machines of different speed.
    pub finalize_per_verify: Option<f64>,
}

impl Report {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        config: &LoadConfig,
        gas_limit: u64,
        signed: u64,
        tallies: &[SenderTally],
        ledger: &Ledger,
        blocks: &[BlockInfo],
        broadcast_secs: f64,
        metrics: Option<(CometMetrics, CometMetrics)>,
    ) -> Self {
        let (committed, failed_in_block) = ledger.committed_counts();
        let window = ledger.committed_heights().and_then(|(first, last)| {
            let time = |h: u64| blocks.iter().find(|b| b.height == h).map(|b| b.time);
            let secs = time(last)?
                .duration_since(time(first - 1)?)
                .ok()?
                .as_secs_f64();
            Some((last - first + 1, secs))
        });
        let (block_count, window_secs) = window.unwrap_or((0, 0.0));
        let mut latencies = ledger.latencies();
        latencies.sort_unstable();
        let finalize_us_per_tx = metrics.and_then(|(before, after)| {
            let ms = after.finalize_ms_sum - before.finalize_ms_sum;
            (committed > 0).then(|| ms * 1_000.0 / committed as f64)
        });
        let verify_us = secp256k1_verify_us();
        Self {
            chain_id: config.chain.chain_id.to_string(),
            senders: config.senders,
            gas_limit,
            offered_tx_per_sec: config.rate,
            signed,
            accepted: ledger.accepted_count(),
            committed,
            failed_in_block,
            stopped_senders: tallies.iter().filter_map(|t| t.stopped.clone()).collect(),
            retries: tallies.iter().map(|t| t.retries).sum(),
            blocks: block_count,
            window_secs,
            committed_tx_per_sec: if window_secs > 0.0 {
                committed as f64 / window_secs
            } else {
                0.0
            },
            broadcast_secs,
            latency_p50_ms: percentile_ms(&latencies, 50.0),
            latency_p99_ms: percentile_ms(&latencies, 99.0),
            latency_max_ms: latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
            finalize_us_per_tx,
            secp256k1_verify_us: verify_us,
            finalize_per_verify: finalize_us_per_tx.map(|f| f / verify_us),
        }
    }

    /// The report for a reader, one figure per line.
    pub fn render(&self) -> String {
        let mut out = format!(
            "chain {}: {} senders, gas limit {}, {}\n\
             txs: {} signed, {} accepted by CheckTx, {} committed ok, {} failed in a block, {} retries\n\
             committed: {:.0} tx/s over {} blocks ({:.2} s of block time); broadcasting took {:.2} s\n\
             commit latency: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms\n",
            self.chain_id,
            self.senders,
            self.gas_limit,
            match self.offered_tx_per_sec {
                Some(rate) => format!("offered at {rate} tx/s"),
                None => "offered as fast as accepted".to_string(),
            },
            self.signed,
            self.accepted,
            self.committed,
            self.failed_in_block,
            self.retries,
            self.committed_tx_per_sec,
            self.blocks,
            self.window_secs,
            self.broadcast_secs,
            self.latency_p50_ms,
            self.latency_p99_ms,
            self.latency_max_ms,
        );
        match (self.finalize_us_per_tx, self.finalize_per_verify) {
            (Some(us), Some(ratio)) => out.push_str(&format!(
                "FinalizeBlock: {us:.1} µs per tx = {ratio:.2} × a secp256k1 verify ({:.1} µs)\n",
                self.secp256k1_verify_us
            )),
            _ => out.push_str(&format!(
                "FinalizeBlock: not measured (no --comet-metrics); secp256k1 verify {:.1} µs\n",
                self.secp256k1_verify_us
            )),
        }
        for stopped in &self.stopped_senders {
            out.push_str(&format!("a sender stopped: {stopped}\n"));
        }
        out
    }
}

fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1e3
}

/// Microseconds per secp256k1 verification of a 32-byte digest's signature (k256, the library
/// cosmrs and tesserad use), over enough rounds to take about 100 ms.
pub fn secp256k1_verify_us() -> f64 {
    let key = SigningKey::from_slice(&[7u8; 32]).expect("a valid scalar");
    let message = b"tessera loadgen calibration";
    let signature: Signature = key.sign(message);
    let verifying = VerifyingKey::from(&key);
    const ROUNDS: u32 = 2_000;
    let start = Instant::now();
    for _ in 0..ROUNDS {
        assert!(verifying.verify(message, &signature).is_ok());
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(ROUNDS)
}

/// The CometBFT Prometheus figures the report uses.
#[derive(Clone, Copy, Debug)]
pub struct CometMetrics {
    pub finalize_ms_sum: f64,
    pub finalize_count: f64,
}

impl CometMetrics {
    /// Reads `http://{address}/metrics`.
    pub async fn scrape(address: &str) -> Result<Self> {
        let text = http_get(address, "/metrics")
            .await
            .with_context(|| format!("CometBFT metrics at {address}"))?;
        let sum = metric_total(&text, &format!("{FINALIZE_METRIC}_sum"));
        let count = metric_total(&text, &format!("{FINALIZE_METRIC}_count"));
        match (sum, count) {
            (Some(finalize_ms_sum), Some(finalize_count)) => Ok(Self {
                finalize_ms_sum,
                finalize_count,
            }),
            _ => bail!("{address}/metrics has no {FINALIZE_METRIC} (is prometheus on in CometBFT's config?)"),
        }
    }
}

/// The sum of a metric's samples over all its label sets, if it has any.
fn metric_total(text: &str, name: &str) -> Option<f64> {
    let values: Vec<f64> = text
        .lines()
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse().ok())
        .collect();
    (!values.is_empty()).then(|| values.iter().sum())
}

/// A plain HTTP/1.0 GET on loopback: enough for a Prometheus endpoint.
async fn http_get(address: &str, path: &str) -> Result<String> {
    let mut stream = TcpStream::connect(address).await?;
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n").as_bytes())
        .await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .context("an HTTP answer without a header end")?;
    let status = head.lines().next().unwrap_or_default();
    if !status.contains(" 200") {
        bail!("GET {path}: {status}");
    }
    Ok(body.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_totals_add_label_sets_and_skip_longer_names() {
        let text = "# HELP x\n\
                    cometbft_state_block_processing_time_sum{chain_id=\"a\"} 1.5\n\
                    cometbft_state_block_processing_time_sum{chain_id=\"b\"} 2\n\
                    cometbft_state_block_processing_time_sum_other 100\n\
                    cometbft_state_block_processing_time_count 4\n";
        assert_eq!(
            metric_total(text, "cometbft_state_block_processing_time_sum"),
            Some(3.5)
        );
        assert_eq!(
            metric_total(text, "cometbft_state_block_processing_time_count"),
            Some(4.0)
        );
        assert_eq!(metric_total(text, "missing"), None);
    }

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let ms = |n| Duration::from_millis(n);
        let sorted: Vec<_> = (1..=100).map(ms).collect();
        assert_eq!(percentile_ms(&sorted, 50.0), 50.0);
        assert_eq!(percentile_ms(&sorted, 99.0), 99.0);
        assert_eq!(percentile_ms(&[ms(7)], 99.0), 7.0);
        assert_eq!(percentile_ms(&[], 50.0), 0.0);
    }
}
