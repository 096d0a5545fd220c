//! The app's Prometheus metrics, served as text on `/metrics` next to CometBFT's own (which
//! cover consensus, mempool and p2p): block execution time, txs, gas, queries, VM cache.
//!
//! Counters are atomics updated by the ABCI connections; the exposition is rendered on each
//! scrape. A tiny HTTP/1.1 responder is enough for a scrape endpoint and keeps a web stack out
//! of the node.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Upper bounds (seconds) of the duration histograms' buckets.
const BUCKETS: [f64; 10] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

/// A Prometheus histogram of durations.
#[derive(Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} histogram\n"));
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            let n = bucket.load(Ordering::Relaxed);
            out.push_str(&format!("{name}_bucket{{le=\"{bound}\"}} {n}\n"));
        }
        let count = self.count.load(Ordering::Relaxed);
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        out.push_str(&format!(
            "{name}_bucket{{le=\"+Inf\"}} {count}\n{name}_sum {sum}\n{name}_count {count}\n"
        ));
    }
}

#[derive(Default)]
pub struct Metrics {
    pub block_execution: Histogram,
    pub query_duration: Histogram,
    blocks: AtomicU64,
    txs: AtomicU64,
    gas_used: AtomicU64,
    check_tx_accepted: AtomicU64,
    check_tx_rejected: AtomicU64,
    queries_failed: AtomicU64,
    height: AtomicU64,
}

/// Counters read at scrape time from elsewhere (the VM cache keeps its own).
pub struct Gauges {
    pub vm_cache_hits_pinned: u64,
    pub vm_cache_hits_memory: u64,
    pub vm_cache_hits_disk: u64,
    pub vm_cache_misses: u64,
}

impl Metrics {
    pub fn observe_block(&self, took: Duration, txs: usize, gas: u64) {
        self.block_execution.observe(took);
        self.blocks.fetch_add(1, Ordering::Relaxed);
        self.txs.fetch_add(txs as u64, Ordering::Relaxed);
        self.gas_used.fetch_add(gas, Ordering::Relaxed);
    }

    pub fn set_height(&self, height: u64) {
        self.height.store(height, Ordering::Relaxed);
    }

    pub fn observe_check_tx(&self, accepted: bool) {
        let counter = if accepted {
            &self.check_tx_accepted
        } else {
            &self.check_tx_rejected
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn observe_query(&self, took: Duration, ok: bool) {
        self.query_duration.observe(took);
        if !ok {
            self.queries_failed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::new();
        self.block_execution.render(
            &mut out,
            "tesserad_block_execution_seconds",
            "Time to execute a block (finalize_block: txs, end-block hooks, app hash).",
        );
        self.query_duration.render(
            &mut out,
            "tesserad_abci_query_seconds",
            "Time to answer an abci_query.",
        );
        let counters: [(&str, &str, u64); 10] = [
            (
                "tesserad_blocks_total",
                "Blocks finalized.",
                self.blocks.load(Ordering::Relaxed),
            ),
            (
                "tesserad_txs_total",
                "Transactions executed in blocks (any result).",
                self.txs.load(Ordering::Relaxed),
            ),
            (
                "tesserad_gas_used_total",
                "Gas used by the transactions of finalized blocks.",
                self.gas_used.load(Ordering::Relaxed),
            ),
            (
                "tesserad_check_tx_accepted_total",
                "Transactions admitted to the mempool by check_tx.",
                self.check_tx_accepted.load(Ordering::Relaxed),
            ),
            (
                "tesserad_check_tx_rejected_total",
                "Transactions refused by check_tx.",
                self.check_tx_rejected.load(Ordering::Relaxed),
            ),
            (
                "tesserad_abci_queries_failed_total",
                "abci_query answers with a non-zero code.",
                self.queries_failed.load(Ordering::Relaxed),
            ),
            (
                "tesserad_vm_cache_hits_pinned_total",
                "Contract instances from the pinned in-memory module cache.",
                gauges.vm_cache_hits_pinned,
            ),
            (
                "tesserad_vm_cache_hits_memory_total",
                "Contract instances from the in-memory module cache.",
                gauges.vm_cache_hits_memory,
            ),
            (
                "tesserad_vm_cache_hits_disk_total",
                "Contract instances loaded from compiled modules on disk.",
                gauges.vm_cache_hits_disk,
            ),
            (
                "tesserad_vm_cache_misses_total",
                "Contract instances that needed a compile.",
                gauges.vm_cache_misses,
            ),
        ];
        for (name, help, value) in counters {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n"
            ));
        }
        let height = self.height.load(Ordering::Relaxed);
        out.push_str(&format!(
            "# HELP tesserad_height Last committed height.\n# TYPE tesserad_height gauge\ntesserad_height {height}\n"
        ));
        out
    }
}

/// Serves `/metrics` on `addr` until the process ends; `gauges` is read on each scrape.
pub fn serve(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    gauges: impl Fn() -> Gauges + Send + 'static,
) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr)?;
    let bound = listener.local_addr()?;
    std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let body = metrics.render(&gauges());
                if let Err(err) = respond(stream, &body) {
                    tracing::debug!(%err, "metrics scrape");
                }
            }
        })?;
    Ok(bound)
}

fn respond(stream: TcpStream, body: &str) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Drain the headers; the body of a GET is empty.
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let mut stream = reader.into_inner();
    let path = request_line.split_whitespace().nth(1).unwrap_or("");
    let (status, content_type, body) = if path == "/metrics" || path.starts_with("/metrics?") {
        ("200 OK", "text/plain; version=0.0.4", body)
    } else {
        (
            "404 Not Found",
            "text/plain",
            "not found; metrics are at /metrics\n",
        )
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_count_each_observation_in_every_bucket_above_it() {
        let h = Histogram::default();
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_millis(300));
        let mut out = String::new();
        h.render(&mut out, "x", "help");
        assert!(out.contains("x_bucket{le=\"0.001\"} 0\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"0.005\"} 1\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"0.5\"} 2\n"), "{out}");
        assert!(
            out.contains("x_bucket{le=\"+Inf\"} 2\nx_sum 0.303\nx_count 2\n"),
            "{out}"
        );
    }
}
