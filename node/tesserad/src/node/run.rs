//! `tesserad init` and `tesserad start`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use super::cometbft::{self, CometProcess};
use super::config::{Config, Home, DEV_CHAIN_ID};
use super::dev;
use crate::app::{genesis, App, AppConfig};
use crate::metrics::{self, Gauges, Metrics};
use crate::server::abci::AbciApp;
use crate::server::comet_client::CometClient;
use crate::server::{grpc, socket};
use crate::statesync::{format, SnapshotSettings, Snapshots};

/// Creates a dev home: `app.toml`, CometBFT's home and keys, and the dev genesis. Refuses an
/// existing home so that a chain is never overwritten.
pub fn init_dev(home: &Home, artifacts: &Path) -> Result<(), String> {
    if home.comet_genesis().exists() {
        return Err(format!(
            "{} already holds a chain; remove it to start over",
            home.root.display()
        ));
    }
    let config_file = home.config_file();
    std::fs::create_dir_all(config_file.parent().expect("config dir"))
        .map_err(|e| format!("{}: {e}", home.root.display()))?;
    let config = Config::load(&config_file)?;
    config.write(&config_file)?;
    let app_state = dev::dev_app_state(artifacts)?;
    let binary = cometbft::find_binary(&config.cometbft.binary)?;
    cometbft::check_version(&binary)?;
    cometbft::init_home(&binary, home)?;
    cometbft::configure(home, &config, "tessera-dev")?;
    cometbft::write_genesis(home, DEV_CHAIN_ID, app_state)?;

    println!(
        "initialized the dev chain {DEV_CHAIN_ID} in {}",
        home.root.display()
    );
    println!("dev accounts (for development only; mnemonics in chain-config/dev-accounts.json):");
    for account in dev::dev_accounts() {
        let coins: Vec<String> = account
            .coins
            .iter()
            .map(|c| format!("{}{}", c.amount, c.denom))
            .collect();
        println!(
            "  {:<10} {}  {}",
            account.name,
            account.address,
            coins.join(",")
        );
        println!("             {}", account.mnemonic);
    }
    Ok(())
}

/// Writes `app.toml` with the defaults (or keeps an existing one) for an operator who runs
/// CometBFT separately.
pub fn init(home: &Home) -> Result<(), String> {
    let config_file = home.config_file();
    std::fs::create_dir_all(config_file.parent().expect("config dir"))
        .map_err(|e| format!("{}: {e}", home.root.display()))?;
    if config_file.exists() {
        Config::load(&config_file)?;
        println!("{} exists; left as is", config_file.display());
    } else {
        Config::default().write(&config_file)?;
        println!("wrote {}", config_file.display());
    }
    std::fs::create_dir_all(home.data_dir()).map_err(|e| e.to_string())?;
    Ok(())
}

pub struct StartOptions {
    pub home: Home,
    /// Create the dev chain on first start and run CometBFT as a child process.
    pub dev: bool,
    pub artifacts: PathBuf,
}

/// Runs the app (ABCI server and metrics) and, for `--dev`, CometBFT; returns when stopped by
/// a signal (Ok) or when CometBFT exits on its own (Err).
pub fn start(options: StartOptions) -> Result<(), String> {
    let home = &options.home;
    if options.dev && !home.comet_genesis().exists() {
        init_dev(home, &options.artifacts)?;
    }
    let config = Config::load(&home.config_file())?;
    let app = App::open(AppConfig {
        data_dir: home.data_dir(),
        min_gas_prices: config.min_gas_prices()?,
        keep_versions: config.app.keep_versions,
        simulation_gas_limit: config.app.simulation_gas_limit,
        signature_cache_entries: crate::sigcache::DEFAULT_CAPACITY,
        parallel_helpers: config
            .app
            .parallel_helpers
            .unwrap_or_else(crate::app::default_parallel_helpers),
    })
    .map_err(|e| {
        format!(
            "opening the app state in {}: {e}",
            home.data_dir().display()
        )
    })?;
    let height = app.info().last_block_height;
    let metrics = Arc::new(Metrics::default());
    metrics.set_height(height);
    let app = Arc::new(Mutex::new(app));

    let listener = std::net::TcpListener::bind(config.abci.address)
        .map_err(|e| format!("ABCI server on {}: {e}", config.abci.address))?;
    let snapshots = Snapshots::open(
        home.snapshots_dir(),
        SnapshotSettings {
            interval: config.state_sync.snapshot_interval,
            keep_recent: config.state_sync.snapshot_keep_recent,
            chunk_bytes: format::DEFAULT_CHUNK_BYTES,
        },
    )?;
    let abci = AbciApp::new(app.clone(), metrics.clone(), Some(Arc::new(snapshots)));
    std::thread::Builder::new()
        .name("abci".into())
        .spawn(move || socket::serve(listener, abci))
        .map_err(|e| e.to_string())?;
    if config.metrics.enabled {
        // The host shares its cache and the app its parallel counters: a scrape reads them
        // without waiting for a block.
        let (host, parallel) = {
            let app = app.lock().unwrap_or_else(PoisonError::into_inner);
            (app.host().clone(), app.parallel_stats().clone())
        };
        let bound = metrics::serve(config.metrics.address, metrics.clone(), move || {
            let stats = host.cache_stats();
            let count = |counter: &std::sync::atomic::AtomicU64| {
                counter.load(std::sync::atomic::Ordering::Relaxed)
            };
            Gauges {
                vm_cache_hits_pinned: stats.hits_pinned_memory_cache.into(),
                vm_cache_hits_memory: stats.hits_memory_cache.into(),
                vm_cache_hits_disk: stats.hits_fs_cache.into(),
                vm_cache_misses: stats.misses.into(),
                parallel_applied: count(&parallel.applied),
                parallel_credits_moved: count(&parallel.credits_moved),
                parallel_rerun: count(&parallel.rerun),
                parallel_in_order: count(&parallel.in_order),
            }
        })
        .map_err(|e| format!("metrics on {}: {e}", config.metrics.address))?;
        println!("  metrics        http://{bound}/metrics");
    }
    if config.grpc.enabled {
        let comet = CometClient::new(&config.cometbft.rpc_address)?;
        grpc::spawn(config.grpc.address, grpc::Backend::new(app.clone(), comet))?;
        let reflection = if grpc::has_reflection() {
            "with reflection"
        } else {
            "no reflection: built without the Cosmos .proto sources"
        };
        println!("  gRPC           {} ({reflection})", config.grpc.address);
    }
    println!(
        "  ABCI           {} (app at height {height})",
        config.abci.address
    );

    let mut signals = Signals::new([SIGINT, SIGTERM]).map_err(|e| e.to_string())?;
    let mut comet = if options.dev || config.cometbft.run_child {
        let binary = cometbft::find_binary(&config.cometbft.binary)?;
        let chain_id = cometbft::genesis_chain_id(home)?;
        let process = CometProcess::spawn(&binary, home)?;
        println!(
            "  CometBFT       pid {}, RPC {}, log {}",
            process.id(),
            config.cometbft.rpc_address.replace("tcp://", "http://"),
            home.comet_log().display()
        );
        println!("  chain          {chain_id}; Ctrl-C stops the app and CometBFT");
        Some(process)
    } else {
        println!(
            "  waiting for CometBFT (proxy_app = \"tcp://{}\"); Ctrl-C stops",
            config.abci.address
        );
        None
    };

    let mut contracts_shown = false;
    loop {
        if signals.pending().next().is_some() {
            println!("stopping");
            if let Some(process) = comet.take() {
                process.stop(Duration::from_secs(15));
            }
            return Ok(());
        }
        if let Some(process) = comet.as_mut() {
            if let Some(status) = process.try_wait() {
                return Err(format!(
                    "CometBFT exited ({status}); see {}",
                    home.comet_log().display()
                ));
            }
        }
        if !contracts_shown {
            contracts_shown = show_contracts(&app);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Prints the genesis contracts' addresses once the first block has committed them.
fn show_contracts(app: &Mutex<App>) -> bool {
    let app = app.lock().unwrap_or_else(PoisonError::into_inner);
    let Ok(snapshot) = app.store().snapshot() else {
        return false;
    };
    match genesis::contracts(&*snapshot) {
        Ok(contracts) if !contracts.is_empty() => {
            for (name, address) in contracts {
                println!("  contract       {name:<11}{address}");
            }
            true
        }
        _ => false,
    }
}
