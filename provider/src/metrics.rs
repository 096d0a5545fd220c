//! Prometheus metrics (text exposition on `/metrics`) and the JSON summary on `/status` that
//! `tessera-provider status` prints. A few counters and gauges need no metrics framework: each is
//! an atomic, rendered by hand.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.add(1);
    }
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down; floats are stored as their bits.
#[derive(Debug, Default)]
pub struct Gauge(AtomicU64);

impl Gauge {
    pub fn set(&self, v: f64) {
        self.0.store(v.to_bits(), Ordering::Relaxed);
    }
    pub fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
}

#[derive(Debug, Default)]
pub struct Registry {
    pub orders_screened: Counter,
    pub bids_placed: Counter,
    pub bids_won: Counter,
    pub bids_lost: Counter,
    pub bids_withdrawn: Counter,
    pub bid_failures: Counter,
    /// Sum of the seconds capacity stayed reserved by bids that ended (won, lost, withdrawn).
    pub reservation_seconds: Counter,
    pub units_run: Counter,
    /// Metered seconds of work (GPU-seconds on a GPU, wall seconds on the CPU backend).
    pub work_seconds: Gauge,
    pub attestations: Counter,
    pub attestation_failures: Counter,
    /// Seconds between the end of the last attested period and the latest block, worst lease.
    pub attestation_lag_seconds: Gauge,
    pub withdrawals: Counter,
    pub txs_sent: Counter,
    pub txs_failed: Counter,
    pub last_height: Gauge,
    pub open_bids: Gauge,
    pub active_leases: Gauge,
    /// Milliseconds from seeing an order to having decided on it, the last one.
    pub last_decision_ms: Gauge,
}

pub type Metrics = Arc<Registry>;

impl Registry {
    pub fn render(&self) -> String {
        let counters: [(&str, &str, &Counter); 13] = [
            (
                "orders_screened_total",
                "Orders screened",
                &self.orders_screened,
            ),
            (
                "bids_placed_total",
                "Bids placed on chain",
                &self.bids_placed,
            ),
            ("bids_won_total", "Bids that became leases", &self.bids_won),
            (
                "bids_lost_total",
                "Bids that lost or closed",
                &self.bids_lost,
            ),
            (
                "bids_withdrawn_total",
                "Bids withdrawn after the bid timeout",
                &self.bids_withdrawn,
            ),
            (
                "bid_failures_total",
                "Bid txs the chain refused",
                &self.bid_failures,
            ),
            (
                "reservation_seconds_total",
                "Seconds capacity was held by bids that ended",
                &self.reservation_seconds,
            ),
            ("work_units_total", "Work units run", &self.units_run),
            (
                "attestations_total",
                "Attestations posted",
                &self.attestations,
            ),
            (
                "attestation_failures_total",
                "Attestation txs that failed",
                &self.attestation_failures,
            ),
            (
                "withdrawals_total",
                "Earnings withdrawals",
                &self.withdrawals,
            ),
            ("txs_sent_total", "Txs committed", &self.txs_sent),
            (
                "txs_failed_total",
                "Txs refused or failed",
                &self.txs_failed,
            ),
        ];
        let gauges: [(&str, &str, &Gauge); 6] = [
            (
                "work_seconds",
                "Metered seconds of work (GPU-seconds on a GPU)",
                &self.work_seconds,
            ),
            (
                "attestation_lag_seconds",
                "Worst lease: block time minus the end of its last attested period",
                &self.attestation_lag_seconds,
            ),
            ("last_height", "Last block processed", &self.last_height),
            ("open_bids", "Bids holding capacity", &self.open_bids),
            ("active_leases", "Leases held", &self.active_leases),
            (
                "last_decision_ms",
                "Milliseconds to screen and decide the last order",
                &self.last_decision_ms,
            ),
        ];
        let mut out = String::new();
        for (name, help, c) in counters {
            out.push_str(&format!(
                "# HELP tessera_provider_{name} {help}\n# TYPE tessera_provider_{name} counter\ntessera_provider_{name} {}\n",
                c.get()
            ));
        }
        for (name, help, g) in gauges {
            out.push_str(&format!(
                "# HELP tessera_provider_{name} {help}\n# TYPE tessera_provider_{name} gauge\ntessera_provider_{name} {}\n",
                g.get()
            ));
        }
        out
    }
}

/// Serves `/metrics` and `/status` (whatever `status` returns, as JSON) on `addr`.
pub async fn serve(
    addr: SocketAddr,
    metrics: Metrics,
    status: Arc<dyn Fn() -> serde_json::Value + Send + Sync>,
) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    tracing::info!(%addr, "metrics on /metrics, summary on /status");
    loop {
        let (mut conn, _) = listener.accept().await?;
        let metrics = metrics.clone();
        let status = status.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 1024];
            let n = match conn.read(&mut buf).await {
                Ok(n) => n,
                Err(_) => return,
            };
            let request = String::from_utf8_lossy(&buf[..n]);
            let path = request.split_whitespace().nth(1).unwrap_or("/");
            let (code, kind, body) = match path {
                "/metrics" => ("200 OK", "text/plain; version=0.0.4", metrics.render()),
                "/status" => ("200 OK", "application/json", status().to_string()),
                _ => (
                    "404 Not Found",
                    "text/plain",
                    "try /metrics or /status\n".into(),
                ),
            };
            let response = format!(
                "HTTP/1.1 {code}\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = conn.write_all(response.as_bytes()).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_names_each_metric_with_its_type() {
        let r = Registry::default();
        r.bids_placed.add(3);
        r.work_seconds.set(1.5);
        let text = r.render();
        assert!(text.contains("# TYPE tessera_provider_bids_placed_total counter\ntessera_provider_bids_placed_total 3\n"));
        assert!(text.contains("tessera_provider_work_seconds 1.5\n"));
    }
}
