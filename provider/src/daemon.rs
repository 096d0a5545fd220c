//! The running provider: its state shared by the watcher, the bid engine, the lease manager and
//! the gRPC API, and the startup that connects them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _, Result};
use cosmrs::Any;
use cosmwasm_std::Coin;
use tessera_api::market::{self, MarketParams};
use tessera_api::registry::ProviderResponse;
use tessera_client::contracts::{Contracts, Tessera};
use tessera_client::keys::{Backend as KeyringBackend, Key, Keyring, PasswordSource};
use tessera_client::node::Node;
use tessera_client::provider_auth::ReplayCache;
use tessera_client::tx::{Gas, Signer, TxOptions};
use tessera_proto::provider::v1 as pb;
use tessera_runtime::{Backend, CpuBackend, CudaBackend, Inventory, Runtime};
use tokio::sync::{watch, Mutex, RwLock};

use crate::capacity::{Capacity, Free};
use crate::config::Config;
use crate::metrics::{Metrics, ProviderMetrics};
use crate::store::Store;
use crate::txqueue::TxQueue;

/// A lease whose work this process knows: its status for `WatchLease`, and how to stop it.
pub struct LeaseHandle {
    pub status: watch::Sender<pb::LeaseStatusResponse>,
    pub cancel: Arc<AtomicBool>,
    /// A work task is running for it.
    pub running: bool,
}

pub struct Daemon {
    pub config: Config,
    pub address: String,
    pub chain_id: String,
    pub chain: Tessera,
    pub queue: TxQueue,
    pub store: Store,
    pub metrics: Metrics,
    /// Nonces of accepted signed requests, for the timestamp window.
    pub seen: ReplayCache,
    pub runtime: Runtime,
    pub backend: Arc<dyn Backend>,
    pub inventory: Inventory,
    /// Total capacity (the GPUs are the registry record's).
    pub capacity: RwLock<Capacity>,
    /// The registry record, refreshed on every reconcile.
    pub registration: RwLock<ProviderResponse>,
    pub market_params: RwLock<MarketParams>,
    /// Held while deciding on an order and recording its reservation, so two orders are never
    /// promised the same capacity.
    pub bidding: Mutex<()>,
    pub leases: Mutex<BTreeMap<String, LeaseHandle>>,
    /// Latest block time seen (unix seconds).
    pub block_time: std::sync::atomic::AtomicU64,
}

pub type Shared = Arc<Daemon>;

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Daemon {
    /// Connects to the chain, unlocks the key, opens the store and checks the registration.
    pub async fn start(home: &Path, config: Config) -> Result<Shared> {
        if !config.testing.is_off() {
            tracing::warn!(
                tampered = ?config.testing.tamper_served_leaves,
                fake_every_nth_leaf = config.testing.fake_every_nth_leaf,
                "TESTING: this provider cheats on purpose ([testing] in its config)"
            );
        }
        let key = load_key(&config)?;
        let node = Node::connect(&config.chain.rpc)
            .with_context(|| format!("chain.rpc {:?}", config.chain.rpc))?;
        let status = node
            .status()
            .await
            .with_context(|| format!("cannot reach the node at {}", config.chain.rpc))?;
        if !config.chain.chain_id.is_empty() && config.chain.chain_id != status.chain_id {
            bail!(
                "chain.chain_id is {:?} but the node at {} serves {:?}",
                config.chain.chain_id,
                config.chain.rpc,
                status.chain_id
            );
        }
        let chain = Tessera::connect(node.clone(), Contracts::default()).await?;
        let address = key.address();
        let registration = chain.provider(&address).await.with_context(|| {
            format!(
                "{address} is not a registered provider: register it first \
                 (`tessera provider register --host-uri … --bond … --from {}`)",
                config.key.name
            )
        })?;
        let market_params = chain.market_params().await?;
        let signer = Signer::new(node, key, Some(status.chain_id.clone())).await?;
        let metrics: Metrics = Arc::new(ProviderMetrics::default());
        let options = TxOptions {
            gas: Gas::default(),
            gas_price: config.chain.gas_prices.parse()?,
            ..TxOptions::default()
        };
        let queue = TxQueue::start(signer, options, config.bidding.max_batch, metrics.clone());
        let store = Store::open(&home.join("data/state.redb"))?;
        let runtime = Runtime::new(&home.join("data/outputs"))?;
        let inventory = Inventory::detect();
        let backend = pick_backend(&config, &inventory)?;
        let capacity = capacity_of(&config, &inventory, &registration);
        tracing::info!(
            %address,
            chain_id = %status.chain_id,
            backend = backend.name(),
            gpus = registration.gpus.len(),
            "provider starting"
        );
        Ok(Arc::new(Daemon {
            address,
            chain_id: status.chain_id,
            chain,
            queue,
            store,
            metrics,
            seen: ReplayCache::default(),
            runtime,
            backend,
            inventory,
            capacity: RwLock::new(capacity),
            registration: RwLock::new(registration),
            market_params: RwLock::new(market_params),
            bidding: Mutex::new(()),
            leases: Mutex::new(BTreeMap::new()),
            block_time: std::sync::atomic::AtomicU64::new(status.time),
            config,
        }))
    }

    /// Capacity not held by a bid or a lease that still runs, read from the store.
    pub async fn free(&self) -> Result<Free> {
        let bids = self.store.bids()?;
        let leases = self.store.leases()?;
        let held = bids.iter().map(|b| &b.reservation).chain(
            leases
                .iter()
                .filter(|l| l.holds_capacity())
                .map(|l| &l.reservation),
        );
        Ok(self.capacity.read().await.free(held))
    }

    /// A market message from this provider, as the tx queue takes it.
    pub fn market_msg(&self, msg: &market::ExecuteMsg, funds: &[Coin]) -> Result<Any> {
        Ok(tessera_client::tx::execute_contract(
            &self.address,
            &self.chain.contracts.market,
            msg,
            funds,
        )?)
    }

    /// Refreshes what the chain says about this provider and the market.
    pub async fn refresh_chain_facts(&self) -> Result<()> {
        let registration = self.chain.provider(&self.address).await?;
        let params = self.chain.market_params().await?;
        let capacity = capacity_of(&self.config, &self.inventory, &registration);
        *self.capacity.write().await = capacity;
        *self.registration.write().await = registration;
        *self.market_params.write().await = params;
        Ok(())
    }

    pub fn block_time(&self) -> u64 {
        self.block_time.load(std::sync::atomic::Ordering::Relaxed)
    }
}

fn load_key(config: &Config) -> Result<Key> {
    let backend: KeyringBackend = config
        .key
        .keyring_backend
        .parse()
        .map_err(|e: String| anyhow::anyhow!("key.keyring_backend: {e}"))?;
    let home = if config.key.keyring_home.is_empty() {
        PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?).join(".tessera")
    } else {
        PathBuf::from(&config.key.keyring_home)
    };
    let password: PasswordSource = Box::new(|_| {
        std::env::var("TESSERA_KEYRING_PASSWORD")
            .map(zeroize_string)
            .map_err(|_| {
                "set TESSERA_KEYRING_PASSWORD to unlock the file keyring (the daemon never prompts)"
                    .to_string()
            })
    });
    Keyring::open(backend, &home, Some(password))
        .key(&config.key.name)
        .with_context(|| {
            format!(
                "key {:?} in the {} keyring at {}",
                config.key.name,
                backend,
                home.display()
            )
        })
}

fn zeroize_string(s: String) -> zeroize::Zeroizing<String> {
    zeroize::Zeroizing::new(s)
}

fn pick_backend(config: &Config, inventory: &Inventory) -> Result<Arc<dyn Backend>> {
    match (config.capacity.backend.as_str(), inventory.gpus.is_empty()) {
        ("cpu", _) | ("auto", true) => Ok(Arc::new(CpuBackend::new())),
        ("cuda", true) => bail!(
            "capacity.backend is cuda but this host has no usable GPU: {}",
            inventory.no_gpu_reason.as_deref().unwrap_or("none found")
        ),
        _ => Ok(Arc::new(
            CudaBackend::new(0).context("starting the CUDA backend on GPU 0")?,
        )),
    }
}

/// The config's CPU, memory and storage (CPU defaults to every core), the registry record's GPUs
/// (a CPU-only host registers none), and the lease slots.
fn capacity_of(
    config: &Config,
    inventory: &Inventory,
    registration: &ProviderResponse,
) -> Capacity {
    let cpu_millis = if config.capacity.cpu_millis == 0 {
        inventory.cpu_threads as u64 * 1000
    } else {
        config.capacity.cpu_millis
    };
    Capacity {
        cpu_millis,
        memory_mib: config.capacity.memory_mib,
        storage_mib: config.capacity.storage_mib,
        gpus: registration.gpus.clone(),
        max_leases: config.capacity.max_leases,
    }
}
