//! Prometheus metrics (text exposition on `/metrics`) and the JSON summary on `/status` that
//! `tessera-provider status` prints, served together on `metrics.listen` with axum.
//!
//! The metrics live in a `prometheus::Registry` of their own rather than the crate's global one,
//! so that tests running several daemons in one process keep them apart.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::{header, StatusCode};
use axum::routing::get;
use axum::Router;
use prometheus::core::Collector;
use prometheus::{Gauge, IntCounter, Opts, Registry, TextEncoder};
use tokio::net::TcpListener;

/// Every metric is named `tessera_provider_<name>`.
const NAMESPACE: &str = "tessera_provider";

pub struct ProviderMetrics {
    registry: Registry,
    pub orders_screened: IntCounter,
    pub bids_placed: IntCounter,
    pub bids_won: IntCounter,
    pub bids_lost: IntCounter,
    pub bids_withdrawn: IntCounter,
    pub bid_failures: IntCounter,
    /// Sum of the seconds capacity stayed reserved by bids that ended (won, lost, withdrawn).
    pub reservation_seconds: IntCounter,
    pub units_run: IntCounter,
    /// Metered seconds of work (GPU-seconds on a GPU, wall seconds on the CPU backend).
    pub work_seconds: Gauge,
    pub attestations: IntCounter,
    pub attestation_failures: IntCounter,
    /// Seconds between the end of the last attested period and the latest block, worst lease.
    pub attestation_lag_seconds: Gauge,
    pub withdrawals: IntCounter,
    pub txs_sent: IntCounter,
    pub txs_failed: IntCounter,
    pub last_height: Gauge,
    pub open_bids: Gauge,
    pub active_leases: Gauge,
    /// Milliseconds from seeing an order to having decided on it, the last one.
    pub last_decision_ms: Gauge,
}

pub type Metrics = Arc<ProviderMetrics>;

/// Registers `metric` with `registry`. Names and help texts are constants of this file, so a
/// failure (an invalid or duplicate name) is a bug here, caught by the tests.
fn registered<M: Collector + Clone + 'static>(registry: &Registry, metric: M) -> M {
    registry
        .register(Box::new(metric.clone()))
        .expect("metric names are valid and unique");
    metric
}

fn counter(registry: &Registry, name: &str, help: &str) -> IntCounter {
    let opts = Opts::new(name, help).namespace(NAMESPACE);
    registered(
        registry,
        IntCounter::with_opts(opts).expect("valid counter"),
    )
}

fn gauge(registry: &Registry, name: &str, help: &str) -> Gauge {
    let opts = Opts::new(name, help).namespace(NAMESPACE);
    registered(registry, Gauge::with_opts(opts).expect("valid gauge"))
}

impl Default for ProviderMetrics {
    fn default() -> Self {
        let r = Registry::new();
        Self {
            orders_screened: counter(&r, "orders_screened_total", "Orders screened"),
            bids_placed: counter(&r, "bids_placed_total", "Bids placed on chain"),
            bids_won: counter(&r, "bids_won_total", "Bids that became leases"),
            bids_lost: counter(&r, "bids_lost_total", "Bids that lost or closed"),
            bids_withdrawn: counter(
                &r,
                "bids_withdrawn_total",
                "Bids withdrawn after the bid timeout",
            ),
            bid_failures: counter(&r, "bid_failures_total", "Bid txs the chain refused"),
            reservation_seconds: counter(
                &r,
                "reservation_seconds_total",
                "Seconds capacity was held by bids that ended",
            ),
            units_run: counter(&r, "work_units_total", "Work units run"),
            work_seconds: gauge(
                &r,
                "work_seconds",
                "Metered seconds of work (GPU-seconds on a GPU)",
            ),
            attestations: counter(&r, "attestations_total", "Attestations posted"),
            attestation_failures: counter(
                &r,
                "attestation_failures_total",
                "Attestation txs that failed",
            ),
            attestation_lag_seconds: gauge(
                &r,
                "attestation_lag_seconds",
                "Worst lease: block time minus the end of its last attested period",
            ),
            withdrawals: counter(&r, "withdrawals_total", "Earnings withdrawals"),
            txs_sent: counter(&r, "txs_sent_total", "Txs committed"),
            txs_failed: counter(&r, "txs_failed_total", "Txs refused or failed"),
            last_height: gauge(&r, "last_height", "Last block processed"),
            open_bids: gauge(&r, "open_bids", "Bids holding capacity"),
            active_leases: gauge(&r, "active_leases", "Leases held"),
            last_decision_ms: gauge(
                &r,
                "last_decision_ms",
                "Milliseconds to screen and decide the last order",
            ),
            registry: r,
        }
    }
}

impl ProviderMetrics {
    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .unwrap_or_else(|err| format!("# encoding the metrics failed: {err}\n"))
    }
}

/// The routes of `metrics.listen`: `/metrics`, and `/status` (whatever `status` returns, as JSON).
fn router(metrics: Metrics, status: Arc<dyn Fn() -> serde_json::Value + Send + Sync>) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(move || async move {
                (
                    [(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)],
                    metrics.render(),
                )
            }),
        )
        .route(
            "/status",
            get(move || async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    status().to_string(),
                )
            }),
        )
        .fallback(|| async { (StatusCode::NOT_FOUND, "try /metrics or /status\n") })
}

/// Serves `/metrics` and `/status` (whatever `status` returns, as JSON) on `addr`.
pub async fn serve(
    addr: SocketAddr,
    metrics: Metrics,
    status: Arc<dyn Fn() -> serde_json::Value + Send + Sync>,
) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    tracing::info!(%addr, "metrics on /metrics, summary on /status");
    axum::serve(listener, router(metrics, status)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_names_each_metric_with_its_type() {
        let r = ProviderMetrics::default();
        r.bids_placed.inc_by(3);
        r.work_seconds.set(1.5);
        r.last_height.set(12.0);
        let text = r.render();
        assert!(text.contains("# HELP tessera_provider_bids_placed_total Bids placed on chain\n# TYPE tessera_provider_bids_placed_total counter\ntessera_provider_bids_placed_total 3\n"), "{text}");
        assert!(
            text.contains(
                "# TYPE tessera_provider_work_seconds gauge\ntessera_provider_work_seconds 1.5\n"
            ),
            "{text}"
        );
        assert!(text.contains("tessera_provider_last_height 12\n"), "{text}");
        assert!(
            text.contains("tessera_provider_work_units_total 0\n"),
            "{text}"
        );
        assert_eq!(text.matches("# TYPE ").count(), 19, "{text}");
    }

    #[test]
    fn two_daemons_in_one_process_keep_their_metrics_apart() {
        let (a, b) = (ProviderMetrics::default(), ProviderMetrics::default());
        a.txs_sent.inc();
        assert!(a.render().contains("tessera_provider_txs_sent_total 1\n"));
        assert!(b.render().contains("tessera_provider_txs_sent_total 0\n"));
    }

    #[tokio::test]
    async fn metrics_and_status_are_served_over_http() -> anyhow::Result<()> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let metrics: Metrics = Arc::new(ProviderMetrics::default());
        metrics.bids_won.inc();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = router(
            metrics,
            Arc::new(|| serde_json::json!({ "last_height": 9 })),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        let get = |path: &'static str| async move {
            let mut conn = tokio::net::TcpStream::connect(addr).await?;
            conn.write_all(format!("GET {path} HTTP/1.1\r\nconnection: close\r\n\r\n").as_bytes())
                .await?;
            let mut response = String::new();
            conn.read_to_string(&mut response).await?;
            anyhow::Ok(response)
        };
        let text = get("/metrics").await?;
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(
            text.contains("content-type: text/plain; version=0.0.4"),
            "{text}"
        );
        assert!(
            text.contains("\ntessera_provider_bids_won_total 1\n"),
            "{text}"
        );
        let status = get("/status").await?;
        assert!(
            status.contains("content-type: application/json"),
            "{status}"
        );
        let body = status.split_once("\r\n\r\n").map(|(_, b)| b);
        assert_eq!(body, Some(r#"{"last_height":9}"#), "{status}");
        let missing = get("/nothing").await?;
        assert!(
            missing.starts_with("HTTP/1.1 404 Not Found\r\n"),
            "{missing}"
        );
        Ok(())
    }
}
