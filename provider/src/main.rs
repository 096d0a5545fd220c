//! `tessera-provider`: the provider daemon. `init` writes a home (config with every default, a
//! self-signed TLS certificate), `run` runs the daemon, `status` prints a summary.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context as _, Result};
use clap::{Parser, Subcommand};
use tessera_proto::provider::v1::provider_server::ProviderServer;

use tessera_provider::config::{Config, CONFIG_FILE};
use tessera_provider::daemon::{self, Daemon};
use tessera_provider::{api, metrics, store, watcher};

#[derive(Parser, Debug)]
#[command(
    name = "tessera-provider",
    version,
    about = "Tessera's provider daemon: bids on orders, runs leases on GPUs (or the CPU), attests the work on chain"
)]
struct Cli {
    /// The provider's home: config.toml, tls/, data/
    #[arg(long, global = true, env = "TESSERA_PROVIDER_HOME", value_name = "DIR")]
    home: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Debug)]
struct InitArgs {
    /// CometBFT RPC of a node
    #[arg(long, default_value = "http://127.0.0.1:26657")]
    node: String,
    /// Key name in the `tessera` keyring
    #[arg(long, default_value = "provider")]
    key: String,
    /// Keyring backend: file or test (dev only)
    #[arg(long, default_value = "file")]
    keyring_backend: String,
    /// The keyring's home (default ~/.tessera)
    #[arg(long, default_value = "")]
    keyring_home: String,
    /// Where the provider API listens
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: String,
    /// Plain gRPC without TLS (loopback only, for local dev)
    #[arg(long)]
    insecure_loopback: bool,
    /// Where /metrics and /status listen ("" turns them off)
    #[arg(long, default_value = "127.0.0.1:9464")]
    metrics: String,
    /// Per-GPU price per hour (pricing.gpu)
    #[arg(long)]
    gpu_price: Option<u64>,
    /// Per-core price per hour (pricing.cpu_core)
    #[arg(long)]
    cpu_price: Option<u64>,
    /// Host names the certificate is for
    #[arg(long = "tls-host", default_values_t = ["localhost".to_string(), "127.0.0.1".to_string()])]
    tls_hosts: Vec<String>,
    /// Overwrite an existing config.toml
    #[arg(long)]
    force: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Writes config.toml with every default and a self-signed TLS certificate
    Init(Box<InitArgs>),
    /// Runs the daemon until SIGINT or SIGTERM
    Run,
    /// A summary of a running daemon (from its /status), or of its store when it is stopped
    Status {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
}

fn main() {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tessera_provider=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Err(e) = runtime.block_on(run_command(cli)) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn default_home() -> Result<PathBuf> {
    let home = std::env::var_os("HOME").context("HOME is not set; pass --home")?;
    Ok(PathBuf::from(home).join(".tessera-provider"))
}

async fn run_command(cli: Cli) -> Result<()> {
    let home = match cli.home {
        Some(h) => h,
        None => default_home()?,
    };
    match cli.command {
        Command::Init(args) => {
            let InitArgs {
                node,
                key,
                keyring_backend,
                keyring_home,
                listen,
                insecure_loopback,
                metrics,
                gpu_price,
                cpu_price,
                tls_hosts,
                force,
            } = *args;
            let mut config = Config::default();
            config.chain.rpc = node;
            config.key.name = key;
            config.key.keyring_backend = keyring_backend;
            config.key.keyring_home = keyring_home;
            config.api.listen = listen;
            config.api.tls = !insecure_loopback;
            config.metrics.listen = metrics;
            if let Some(p) = gpu_price {
                config.pricing.gpu = p;
            }
            if let Some(p) = cpu_price {
                config.pricing.cpu_core = p;
            }
            init(&home, &config, &tls_hosts, force)
        }
        Command::Run => run(&home).await,
        Command::Status { json } => status(&home, json).await,
    }
}

fn init(home: &Path, config: &Config, tls_hosts: &[String], force: bool) -> Result<()> {
    config.validate()?;
    let path = home.join(CONFIG_FILE);
    if path.exists() && !force {
        bail!("{} exists (pass --force to overwrite)", path.display());
    }
    std::fs::create_dir_all(home).with_context(|| format!("creating {}", home.display()))?;
    let text = format!(
        "# tessera-provider configuration; every field and its default: docs/provider-guide.md\n\n{}",
        toml::to_string_pretty(config)?
    );
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    println!("wrote {}", path.display());
    if config.api.tls {
        let cert = Config::resolve(home, &config.api.cert);
        let key = Config::resolve(home, &config.api.key);
        if !cert.exists() || force {
            let (cert_pem, key_pem) = tessera_client::transport_identity::self_signed(tls_hosts)?;
            if let Some(dir) = cert.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&cert, &cert_pem)?;
            write_private(&key, key_pem.as_bytes())?;
        }
        let fingerprint = tessera_client::transport_identity::fingerprint_of_pem(
            &std::fs::read_to_string(&cert)?,
        )?;
        println!("TLS certificate {} (sha256 {fingerprint})", cert.display());
        println!(
            "publish it with: tessera provider register --host-uri https://HOST:PORT --tls-cert {} …",
            cert.display()
        );
    }
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(bytes)?;
    Ok(())
}

async fn run(home: &Path) -> Result<()> {
    let config = Config::load(home)?;
    let listen = config.api_listen()?;
    let daemon = Daemon::start(home, config).await?;

    if !daemon.config.metrics.listen.is_empty() {
        let addr = daemon.config.metrics.listen.parse()?;
        let summary_of = daemon.clone();
        let summary: Arc<dyn Fn() -> serde_json::Value + Send + Sync> =
            Arc::new(move || summary(&summary_of));
        let metrics = daemon.metrics.clone();
        tokio::spawn(async move {
            if let Err(e) = metrics::serve(addr, metrics, summary).await {
                tracing::error!(error = %e, "metrics server stopped");
            }
        });
    }
    let watcher = tokio::spawn(watcher::run(daemon.clone()));

    let mut server = tonic::transport::Server::builder();
    if daemon.config.api.tls {
        let cert = std::fs::read_to_string(Config::resolve(home, &daemon.config.api.cert))
            .context("reading api.cert")?;
        let key = std::fs::read_to_string(Config::resolve(home, &daemon.config.api.key))
            .context("reading api.key")?;
        server = server
            .tls_config(tessera_client::transport_identity::server_tls_config(
                &cert, &key,
            )?)
            .context("api TLS")?;
    }
    tracing::info!(%listen, tls = daemon.config.api.tls, "provider API listening");
    let shutdown = async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        tracing::info!("stopping");
    };
    let serve = server
        .add_service(ProviderServer::new(api::Api(daemon.clone())))
        .serve_with_shutdown(listen, shutdown);
    tokio::select! {
        served = serve => served.with_context(|| format!("serving the API on {listen}"))?,
        watched = watcher => {
            watched.context("the watcher panicked")?.context("the watcher stopped")?;
        }
    }
    Ok(())
}

/// What `/status` serves and `tessera-provider status` prints.
fn summary(daemon: &daemon::Daemon) -> serde_json::Value {
    let leases = daemon.store.leases().unwrap_or_default();
    let bids = daemon.store.bids().unwrap_or_default();
    serde_json::json!({
        "address": daemon.address,
        "chain_id": daemon.chain_id,
        "backend": daemon.backend.name(),
        "last_height": daemon.store.last_height().ok().flatten(),
        "bids": bids.iter().map(|b| serde_json::json!({
            "order": b.order.to_string(), "price": b.price.to_string(), "phase": b.phase,
        })).collect::<Vec<_>>(),
        "leases": leases.iter().map(|l| serde_json::json!({
            "lease": l.id.to_string(), "phase": l.phase, "closed": l.closed,
            "units_done": l.units_done(), "units_total": l.units_total, "message": l.message,
        })).collect::<Vec<_>>(),
        "metrics": {
            "bids_placed": daemon.metrics.bids_placed.get(),
            "bids_won": daemon.metrics.bids_won.get(),
            "bids_lost": daemon.metrics.bids_lost.get(),
            "units_run": daemon.metrics.units_run.get(),
            "attestations": daemon.metrics.attestations.get(),
            "attestation_lag_seconds": daemon.metrics.attestation_lag_seconds.get(),
        },
    })
}

async fn status(home: &Path, json: bool) -> Result<()> {
    let config = Config::load(home)?;
    let value = match fetch_status(&config.metrics.listen).await {
        Ok(v) => v,
        Err(running_err) => {
            // Not running (or no metrics listener): the store tells what it last knew.
            let store = store::Store::open(&home.join("data/state.redb")).with_context(|| {
                format!("the daemon's /status is unreachable ({running_err}) and its store is busy")
            })?;
            serde_json::json!({
                "running": false,
                "last_height": store.last_height()?,
                "bids": store.bids()?.iter().map(|b| serde_json::json!({
                    "order": b.order.to_string(), "price": b.price.to_string(), "phase": b.phase,
                })).collect::<Vec<_>>(),
                "leases": store.leases()?.iter().map(|l| serde_json::json!({
                    "lease": l.id.to_string(), "phase": l.phase, "closed": l.closed,
                    "units_done": l.units_done(), "units_total": l.units_total, "message": l.message,
                })).collect::<Vec<_>>(),
            })
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    print_summary(&value);
    Ok(())
}

async fn fetch_status(listen: &str) -> Result<serde_json::Value> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    if listen.is_empty() {
        bail!("metrics.listen is off");
    }
    let mut conn = tokio::net::TcpStream::connect(listen).await?;
    conn.write_all(b"GET /status HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .await?;
    let mut response = String::new();
    conn.read_to_string(&mut response).await?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .context("malformed /status response")?;
    let mut value: serde_json::Value = serde_json::from_str(body)?;
    value["running"] = true.into();
    Ok(value)
}

fn print_summary(v: &serde_json::Value) {
    let running = v["running"].as_bool().unwrap_or(false);
    println!(
        "provider {}  {}",
        v["address"].as_str().unwrap_or("(stopped)"),
        if running { "running" } else { "not running" }
    );
    if let Some(chain) = v["chain_id"].as_str() {
        println!(
            "chain {chain}, backend {}",
            v["backend"].as_str().unwrap_or("?")
        );
    }
    println!("last block processed: {}", v["last_height"]);
    let bids = v["bids"].as_array().cloned().unwrap_or_default();
    println!("bids holding capacity: {}", bids.len());
    for b in &bids {
        println!(
            "  {}  price {}  {}",
            b["order"].as_str().unwrap_or(""),
            b["price"].as_str().unwrap_or(""),
            b["phase"].as_str().unwrap_or("")
        );
    }
    let leases = v["leases"].as_array().cloned().unwrap_or_default();
    println!("leases: {}", leases.len());
    for l in &leases {
        println!(
            "  {}  {}{}  {}/{} units  {}",
            l["lease"].as_str().unwrap_or(""),
            l["phase"].as_str().unwrap_or(""),
            if l["closed"].as_bool().unwrap_or(false) {
                " (closed)"
            } else {
                ""
            },
            l["units_done"],
            l["units_total"],
            l["message"].as_str().unwrap_or("")
        );
    }
    if let Some(m) = v.get("metrics").filter(|m| m.is_object()) {
        println!(
            "bids placed {}, won {}, lost {}; units run {}; attestations {}; attestation lag {} s",
            m["bids_placed"],
            m["bids_won"],
            m["bids_lost"],
            m["units_run"],
            m["attestations"],
            m["attestation_lag_seconds"]
        );
    }
}
