//! The app's Prometheus metrics, served as text on `/metrics` next to CometBFT's own (which
//! cover consensus, mempool and p2p): block execution time and its phases, commit time, txs,
//! gas, queries, VM cache, parallel delivery.
//!
//! The metrics live in a `prometheus::Registry` of their own rather than the crate's global one,
//! so that tests running several nodes in one process keep them apart. The ABCI connections
//! update them; the VM cache and the parallel delivery keep their own counters, read on each
//! scrape by a collector.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, StatusCode};
use axum::routing::get;
use axum::Router;
use prometheus::core::{Collector, Desc};
use prometheus::proto::{self, MetricFamily, MetricType};
use prometheus::{Histogram, HistogramOpts, IntCounter, IntGauge, Opts, Registry, TextEncoder};

use crate::app::BlockPhases;

/// Upper bounds (seconds) of the duration histograms' buckets.
const BUCKETS: [f64; 10] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

pub struct Metrics {
    registry: Registry,
    block_execution: Histogram,
    block_deliver: Histogram,
    block_end_block: Histogram,
    block_app_hash: Histogram,
    commit_duration: Histogram,
    query_duration: Histogram,
    blocks: IntCounter,
    txs: IntCounter,
    gas_used: IntCounter,
    check_tx_accepted: IntCounter,
    check_tx_rejected: IntCounter,
    queries_failed: IntCounter,
    height: IntGauge,
}

/// Counters read at scrape time from elsewhere (the VM cache and the parallel delivery keep
/// their own).
#[derive(Clone, Debug, Default)]
pub struct Gauges {
    pub vm_cache_hits_pinned: u64,
    pub vm_cache_hits_memory: u64,
    pub vm_cache_hits_disk: u64,
    pub vm_cache_misses: u64,
    pub parallel_applied: u64,
    pub parallel_credits_moved: u64,
    pub parallel_rerun: u64,
    pub parallel_in_order: u64,
}

/// Registers `metric` with `registry`. Names and help texts are constants of this file, so a
/// failure (an invalid or duplicate name) is a bug here, caught by the tests.
fn registered<M: Collector + Clone + 'static>(registry: &Registry, metric: M) -> M {
    registry
        .register(Box::new(metric.clone()))
        .expect("metric names are valid and unique");
    metric
}

fn counter(registry: &Registry, name: &str, help: &str) -> IntCounter {
    let counter = IntCounter::with_opts(Opts::new(name, help)).expect("valid counter");
    registered(registry, counter)
}

fn histogram(registry: &Registry, name: &str, help: &str) -> Histogram {
    let opts = HistogramOpts::new(name, help).buckets(BUCKETS.to_vec());
    registered(
        registry,
        Histogram::with_opts(opts).expect("valid histogram"),
    )
}

impl Default for Metrics {
    fn default() -> Self {
        let r = Registry::new();
        let height =
            IntGauge::new("tesserad_height", "Last committed height.").expect("valid gauge");
        Self {
            block_execution: histogram(
                &r,
                "tesserad_block_execution_seconds",
                "Time to execute a block (finalize_block: txs, end-block hooks, app hash).",
            ),
            block_deliver: histogram(
                &r,
                "tesserad_block_deliver_seconds",
                "Part of finalize_block running the block's txs.",
            ),
            block_end_block: histogram(
                &r,
                "tesserad_block_end_block_seconds",
                "Part of finalize_block running the end-block hooks.",
            ),
            block_app_hash: histogram(
                &r,
                "tesserad_block_app_hash_seconds",
                "Part of finalize_block computing the app hash (tree update, value writes).",
            ),
            commit_duration: histogram(
                &r,
                "tesserad_commit_seconds",
                "Time to commit a finalized block (the store's write made durable).",
            ),
            query_duration: histogram(
                &r,
                "tesserad_abci_query_seconds",
                "Time to answer an abci_query.",
            ),
            blocks: counter(&r, "tesserad_blocks_total", "Blocks finalized."),
            txs: counter(
                &r,
                "tesserad_txs_total",
                "Transactions executed in blocks (any result).",
            ),
            gas_used: counter(
                &r,
                "tesserad_gas_used_total",
                "Gas used by the transactions of finalized blocks.",
            ),
            check_tx_accepted: counter(
                &r,
                "tesserad_check_tx_accepted_total",
                "Transactions admitted to the mempool by check_tx.",
            ),
            check_tx_rejected: counter(
                &r,
                "tesserad_check_tx_rejected_total",
                "Transactions refused by check_tx.",
            ),
            queries_failed: counter(
                &r,
                "tesserad_abci_queries_failed_total",
                "abci_query answers with a non-zero code.",
            ),
            height: registered(&r, height),
            registry: r,
        }
    }
}

impl Metrics {
    pub fn observe_block(&self, took: Duration, txs: usize, gas: u64) {
        self.block_execution.observe(took.as_secs_f64());
        self.blocks.inc();
        self.txs.inc_by(txs as u64);
        self.gas_used.inc_by(gas);
    }

    pub fn observe_block_phases(&self, phases: &BlockPhases) {
        self.block_deliver.observe(phases.deliver.as_secs_f64());
        self.block_end_block.observe(phases.end_block.as_secs_f64());
        self.block_app_hash.observe(phases.app_hash.as_secs_f64());
    }

    pub fn observe_commit(&self, took: Duration) {
        self.commit_duration.observe(took.as_secs_f64());
    }

    pub fn set_height(&self, height: u64) {
        self.height.set(i64::try_from(height).unwrap_or(i64::MAX));
    }

    pub fn observe_check_tx(&self, accepted: bool) {
        let counter = if accepted {
            &self.check_tx_accepted
        } else {
            &self.check_tx_rejected
        };
        counter.inc();
    }

    pub fn observe_query(&self, took: Duration, ok: bool) {
        self.query_duration.observe(took.as_secs_f64());
        if !ok {
            self.queries_failed.inc();
        }
    }

    /// Adds the counters kept elsewhere, read from `read` on each scrape; once per `Metrics`.
    pub fn register_read_at_scrape(
        &self,
        read: impl Fn() -> Gauges + Send + Sync + 'static,
    ) -> prometheus::Result<()> {
        self.registry.register(Box::new(ReadAtScrape::new(read)))
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .unwrap_or_else(|err| format!("# encoding the metrics failed: {err}\n"))
    }
}

/// Counters kept elsewhere (the VM cache's, the parallel delivery's), exposed as Prometheus
/// counters without copying them.
struct ReadAtScrape<F> {
    read: F,
    descs: [Desc; 8],
}

const READ_AT_SCRAPE: [(&str, &str); 8] = [
    (
        "tesserad_vm_cache_hits_pinned_total",
        "Contract instances from the pinned in-memory module cache.",
    ),
    (
        "tesserad_vm_cache_hits_memory_total",
        "Contract instances from the in-memory module cache.",
    ),
    (
        "tesserad_vm_cache_hits_disk_total",
        "Contract instances loaded from compiled modules on disk.",
    ),
    (
        "tesserad_vm_cache_misses_total",
        "Contract instances that needed a compile.",
    ),
    (
        "tesserad_parallel_txs_applied_total",
        "Block txs applied as run ahead of order (they read nothing written before them).",
    ),
    (
        "tesserad_parallel_txs_credits_moved_total",
        "Block txs applied as run ahead of order, their balance credits moved onto the current balances.",
    ),
    (
        "tesserad_parallel_txs_rerun_total",
        "Block txs run again in order because they read what an earlier tx of the block wrote.",
    ),
    (
        "tesserad_parallel_txs_in_order_total",
        "Block txs run in order only: a signer of theirs signed an earlier tx of the block.",
    ),
];

impl<F: Fn() -> Gauges + Send + Sync> ReadAtScrape<F> {
    fn new(read: F) -> Self {
        let descs = READ_AT_SCRAPE.map(|(name, help)| {
            Desc::new(name.into(), help.into(), Vec::new(), Default::default())
                .expect("valid metric name")
        });
        Self { read, descs }
    }
}

impl<F: Fn() -> Gauges + Send + Sync> Collector for ReadAtScrape<F> {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let g = (self.read)();
        let values = [
            g.vm_cache_hits_pinned,
            g.vm_cache_hits_memory,
            g.vm_cache_hits_disk,
            g.vm_cache_misses,
            g.parallel_applied,
            g.parallel_credits_moved,
            g.parallel_rerun,
            g.parallel_in_order,
        ];
        self.descs
            .iter()
            .zip(values)
            .map(|(desc, value)| {
                let mut counter = proto::Counter::default();
                counter.set_value(value as f64);
                let mut metric = proto::Metric::default();
                metric.set_counter(counter);
                let mut family = MetricFamily::default();
                family.set_name(desc.fq_name.clone());
                family.set_help(desc.help.clone());
                family.set_field_type(MetricType::COUNTER);
                family.set_metric(vec![metric]);
                family
            })
            .collect()
    }
}

/// Serves `/metrics` on `addr` until the process ends; `gauges` is read on each scrape.
pub fn serve(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    gauges: impl Fn() -> Gauges + Send + Sync + 'static,
) -> std::io::Result<SocketAddr> {
    metrics
        .register_read_at_scrape(gauges)
        .map_err(std::io::Error::other)?;
    // Bound here so that a taken port is an error of `tesserad start`, not of a thread.
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let app = Router::new()
        .route(
            "/metrics",
            get(move || async move {
                (
                    [(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)],
                    metrics.render(),
                )
            }),
        )
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                "not found; metrics are at /metrics\n",
            )
        });
    std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            runtime.block_on(async move {
                let served = match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => axum::serve(listener, app).await,
                    Err(err) => Err(err),
                };
                if let Err(err) = served {
                    tracing::error!(%err, "metrics server stopped");
                }
            })
        })?;
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_count_each_observation_in_every_bucket_above_it() {
        let m = Metrics::default();
        m.observe_block(Duration::from_millis(3), 2, 100);
        m.observe_block(Duration::from_millis(300), 1, 50);
        let out = m.render();
        let x = "tesserad_block_execution_seconds";
        assert!(
            out.contains(&format!("{x}_bucket{{le=\"0.001\"}} 0\n")),
            "{out}"
        );
        assert!(
            out.contains(&format!("{x}_bucket{{le=\"0.005\"}} 1\n")),
            "{out}"
        );
        assert!(
            out.contains(&format!("{x}_bucket{{le=\"0.5\"}} 2\n")),
            "{out}"
        );
        assert!(
            out.contains(&format!("{x}_bucket{{le=\"1\"}} 2\n")),
            "{out}"
        );
        assert!(
            out.contains(&format!("{x}_bucket{{le=\"+Inf\"}} 2\n")),
            "{out}"
        );
        assert!(out.contains(&format!("{x}_sum 0.303")), "{out}");
        assert!(out.contains(&format!("{x}_count 2\n")), "{out}");
        assert!(out.contains("tesserad_txs_total 3\n"), "{out}");
        assert!(out.contains("tesserad_gas_used_total 150\n"), "{out}");
    }

    #[test]
    fn each_block_phase_and_the_commit_go_to_their_own_histogram() {
        let m = Metrics::default();
        m.observe_block_phases(&BlockPhases {
            deliver: Duration::from_millis(200),
            end_block: Duration::from_micros(300),
            app_hash: Duration::from_millis(30),
        });
        m.observe_commit(Duration::from_millis(20));
        let out = m.render();
        for (name, sum) in [
            ("tesserad_block_deliver_seconds", "0.2"),
            ("tesserad_block_end_block_seconds", "0.0003"),
            ("tesserad_block_app_hash_seconds", "0.03"),
            ("tesserad_commit_seconds", "0.02"),
        ] {
            assert!(
                out.contains(&format!("{name}_sum {sum}\n")),
                "{name}: {out}"
            );
            assert!(out.contains(&format!("{name}_count 1\n")), "{name}: {out}");
        }
    }

    #[test]
    fn the_exposition_names_every_metric_with_its_type_and_help() {
        let m = Metrics::default();
        m.set_height(7);
        m.register_read_at_scrape(|| Gauges {
            vm_cache_hits_pinned: 1,
            vm_cache_hits_memory: 2,
            vm_cache_hits_disk: 3,
            vm_cache_misses: 4,
            parallel_applied: 5,
            parallel_credits_moved: 6,
            parallel_rerun: 7,
            parallel_in_order: 8,
        })
        .expect("registered once");
        let out = m.render();
        for (name, kind) in [
            ("tesserad_block_execution_seconds", "histogram"),
            ("tesserad_block_deliver_seconds", "histogram"),
            ("tesserad_block_end_block_seconds", "histogram"),
            ("tesserad_block_app_hash_seconds", "histogram"),
            ("tesserad_commit_seconds", "histogram"),
            ("tesserad_abci_query_seconds", "histogram"),
            ("tesserad_blocks_total", "counter"),
            ("tesserad_txs_total", "counter"),
            ("tesserad_gas_used_total", "counter"),
            ("tesserad_check_tx_accepted_total", "counter"),
            ("tesserad_check_tx_rejected_total", "counter"),
            ("tesserad_abci_queries_failed_total", "counter"),
            ("tesserad_vm_cache_hits_pinned_total", "counter"),
            ("tesserad_vm_cache_hits_memory_total", "counter"),
            ("tesserad_vm_cache_hits_disk_total", "counter"),
            ("tesserad_vm_cache_misses_total", "counter"),
            ("tesserad_parallel_txs_applied_total", "counter"),
            ("tesserad_parallel_txs_credits_moved_total", "counter"),
            ("tesserad_parallel_txs_rerun_total", "counter"),
            ("tesserad_parallel_txs_in_order_total", "counter"),
            ("tesserad_height", "gauge"),
        ] {
            assert!(out.contains(&format!("# HELP {name} ")), "{name}: {out}");
            assert!(
                out.contains(&format!("# TYPE {name} {kind}\n")),
                "{name}: {out}"
            );
        }
        assert!(out.contains("tesserad_height 7\n"), "{out}");
        assert!(
            out.contains("tesserad_vm_cache_hits_disk_total 3\n"),
            "{out}"
        );
        assert!(out.contains("tesserad_vm_cache_misses_total 4\n"), "{out}");
        assert!(
            out.contains("tesserad_parallel_txs_rerun_total 7\n"),
            "{out}"
        );
    }

    #[test]
    fn two_nodes_in_one_process_keep_their_metrics_apart() {
        let (a, b) = (Metrics::default(), Metrics::default());
        a.observe_check_tx(true);
        assert!(a.render().contains("tesserad_check_tx_accepted_total 1\n"));
        assert!(b.render().contains("tesserad_check_tx_accepted_total 0\n"));
    }

    #[test]
    fn the_server_answers_metrics_and_refuses_other_paths() -> std::io::Result<()> {
        use std::io::{Read, Write};
        let metrics = Arc::new(Metrics::default());
        metrics.set_height(42);
        let bound = serve("127.0.0.1:0".parse().expect("address"), metrics, || {
            Gauges {
                vm_cache_misses: 5,
                ..Gauges::default()
            }
        })?;
        let get = |path: &str| -> std::io::Result<String> {
            let mut conn = std::net::TcpStream::connect(bound)?;
            write!(conn, "GET {path} HTTP/1.1\r\nconnection: close\r\n\r\n")?;
            let mut response = String::new();
            conn.read_to_string(&mut response)?;
            Ok(response)
        };
        let ok = get("/metrics")?;
        assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
        assert!(
            ok.contains("content-type: text/plain; version=0.0.4"),
            "{ok}"
        );
        assert!(ok.contains("\r\n\r\n# HELP "), "{ok}");
        assert!(ok.contains("tesserad_height 42\n"), "{ok}");
        assert!(ok.contains("tesserad_vm_cache_misses_total 5\n"), "{ok}");
        assert!(get("/metrics?x=1")?.starts_with("HTTP/1.1 200 OK\r\n"));
        let missing = get("/")?;
        assert!(
            missing.starts_with("HTTP/1.1 404 Not Found\r\n"),
            "{missing}"
        );
        assert!(missing.ends_with("metrics are at /metrics\n"), "{missing}");
        Ok(())
    }
}
