//! Running CometBFT, the consensus engine, next to the app: its home (`cometbft init`), the
//! config a fast local chain wants, the genesis, and the child process.
//!
//! Nothing of CometBFT is reimplemented: the binary comes from its Go module
//! (`scripts/setup.sh` installs the pinned release) and keeps its own RPC, mempool, block
//! store, p2p and WAL.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use toml_edit::{value, Array, DocumentMut};

use super::config::{Config, Home};

/// The CometBFT release this node speaks ABCI 2.0 with (scripts/lib.sh installs it).
pub const COMETBFT_VERSION: &str = "v0.38.26";

/// Resolves the configured binary: a path as is, a bare name on PATH or in Go's bin dir.
pub fn find_binary(configured: &str) -> Result<PathBuf, String> {
    let candidate = Path::new(configured);
    if candidate.components().count() > 1 {
        return candidate
            .is_file()
            .then(|| candidate.to_path_buf())
            .ok_or_else(|| format!("cometbft binary {configured} does not exist"));
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(gopath) = std::env::var_os("GOPATH") {
        dirs.push(PathBuf::from(gopath).join("bin"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join("go").join("bin"));
    }
    dirs.into_iter()
        .map(|d| d.join(configured))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "{configured} not found on PATH or in $GOPATH/bin; install it with scripts/setup.sh \
                 (go install github.com/cometbft/cometbft/cmd/cometbft@{COMETBFT_VERSION})"
            )
        })
}

fn run(binary: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(binary)
        .args(args)
        .output()
        .map_err(|e| format!("running {} {}: {e}", binary.display(), args.join(" ")))?;
    if !out.status.success() {
        return Err(format!(
            "{} {} failed: {}",
            binary.display(),
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `cometbft version`, to refuse a release this node does not speak ABCI with.
pub fn check_version(binary: &Path) -> Result<String, String> {
    let version = run(binary, &["version"])?;
    if !version.starts_with("0.38.") {
        return Err(format!(
            "{} is CometBFT {version}; tesserad needs 0.38.x (ABCI 2.0), e.g. {COMETBFT_VERSION}",
            binary.display()
        ));
    }
    Ok(version)
}

/// Creates CometBFT's home (keys, config, a genesis to be replaced) with `cometbft init`.
pub fn init_home(binary: &Path, home: &Home) -> Result<(), String> {
    let comet_home = home.comet_home();
    let comet_home = comet_home.to_string_lossy();
    run(binary, &["init", "--home", &comet_home]).map(|_| ())
}

/// Sets what a local chain behind tesserad needs in CometBFT's `config.toml`, keeping the rest
/// (and its comments) as `cometbft init` wrote it.
pub fn configure(home: &Home, config: &Config, moniker: &str) -> Result<(), String> {
    edit_config(home, |doc| {
        doc["proxy_app"] = value(format!("tcp://{}", config.abci.address));
        doc["moniker"] = value(moniker);
        doc["abci"] = value("socket");
        doc["rpc"]["laddr"] = value(config.cometbft.rpc_address.as_str());
        // Browsers (CosmJS in a web app) call the RPC from other origins.
        let mut origins = Array::new();
        origins.push("*");
        doc["rpc"]["cors_allowed_origins"] = value(origins);
        doc["p2p"]["laddr"] = value(config.cometbft.p2p_address.as_str());
        doc["consensus"]["timeout_commit"] = value(config.cometbft.timeout_commit.as_str());
        doc["consensus"]["timeout_propose"] = value("1s");
        // `tx_search` (CosmJS waits for txs with it) needs the kv indexer.
        doc["tx_index"]["indexer"] = value("kv");
        doc["instrumentation"]["prometheus"] = value(true);
        doc["instrumentation"]["prometheus_listen_addr"] =
            value(config.cometbft.prometheus_address.as_str());
    })
}

/// Puts the chain id, genesis time and `app_state` into the genesis `cometbft init` wrote,
/// keeping its validator (this node's key) and consensus params except the block gas limit.
pub fn write_genesis(home: &Home, chain_id: &str, app_state: Value) -> Result<(), String> {
    let path = home.comet_genesis();
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut genesis: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    genesis["chain_id"] = Value::String(chain_id.to_string());
    genesis["initial_height"] = Value::String("1".into());
    genesis["app_state"] = app_state;
    // CometBFT's default is no limit (-1); the app enforces this one too (`app::block_gas`).
    genesis["consensus_params"]["block"]["max_gas"] =
        Value::String(crate::app::block_gas::DEFAULT_MAX_BLOCK_GAS.to_string());
    let pretty = serde_json::to_string_pretty(&genesis).map_err(|e| e.to_string())?;
    std::fs::write(&path, pretty).map_err(|e| format!("{}: {e}", path.display()))
}

/// A genesis for several validators: `base` (as [`write_genesis`] would write it) with its
/// validator list replaced by `validators`, each at `power`. The set is fixed by this genesis:
/// the app has no staking module and answers InitChain and FinalizeBlock with no updates.
pub fn network_genesis(base: &Value, validators: &[(String, ValidatorKey)], power: u64) -> Value {
    let mut genesis = base.clone();
    genesis["validators"] = Value::Array(
        validators
            .iter()
            .map(|(name, key)| {
                serde_json::json!({
                    "address": key.address,
                    "pub_key": key.pub_key,
                    "power": power.to_string(),
                    "name": name,
                })
            })
            .collect(),
    );
    genesis
}

/// Reads the genesis in a CometBFT home.
pub fn read_genesis(home: &Home) -> Result<Value, String> {
    let path = home.comet_genesis();
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Replaces the genesis in a CometBFT home.
pub fn replace_genesis(home: &Home, genesis: &Value) -> Result<(), String> {
    let path = home.comet_genesis();
    let pretty = serde_json::to_string_pretty(genesis).map_err(|e| e.to_string())?;
    std::fs::write(&path, pretty).map_err(|e| format!("{}: {e}", path.display()))
}

/// A validator's consensus key as genesis lists it (from `priv_validator_key.json`; only the
/// public half is read out).
#[derive(Clone, Debug)]
pub struct ValidatorKey {
    pub address: String,
    pub pub_key: Value,
}

pub fn validator_key(home: &Home) -> Result<ValidatorKey, String> {
    let path = home
        .comet_home()
        .join("config")
        .join("priv_validator_key.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let key: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    match (key["address"].as_str(), key.get("pub_key")) {
        (Some(address), Some(pub_key)) => Ok(ValidatorKey {
            address: address.to_string(),
            pub_key: pub_key.clone(),
        }),
        _ => Err(format!("{}: no address or pub_key", path.display())),
    }
}

/// The node's p2p id (`cometbft show-node-id`), the `ID@` of a peer address.
pub fn node_id(binary: &Path, home: &Home) -> Result<String, String> {
    let comet_home = home.comet_home();
    run(
        binary,
        &["show-node-id", "--home", &comet_home.to_string_lossy()],
    )
}

/// Sets `persistent_peers` (`ID@HOST:PORT`, comma separated). On loopback and private networks
/// CometBFT's address book must accept private and duplicate IPs, or the peers are dropped.
pub fn set_peers(home: &Home, peers: &[String], private_network: bool) -> Result<(), String> {
    edit_config(home, |doc| {
        doc["p2p"]["persistent_peers"] = value(peers.join(","));
        if private_network {
            doc["p2p"]["addr_book_strict"] = value(false);
            doc["p2p"]["allow_duplicate_ip"] = value(true);
        }
    })
}

/// Where a joining node state-syncs from: CometBFT's light client checks the snapshot's app hash
/// against headers from `rpc_servers` (two at least; one given twice is allowed), trusting the
/// block `trust_hash` at `trust_height`.
pub struct StateSyncTrust {
    pub rpc_servers: Vec<String>,
    pub trust_height: u64,
    pub trust_hash: String,
    pub trust_period: String,
    pub discovery_time: String,
}

pub fn enable_state_sync(home: &Home, trust: &StateSyncTrust) -> Result<(), String> {
    let mut servers = trust.rpc_servers.clone();
    if servers.len() == 1 {
        servers.push(servers[0].clone());
    }
    edit_config(home, |doc| {
        doc["statesync"]["enable"] = value(true);
        doc["statesync"]["rpc_servers"] = value(servers.join(","));
        doc["statesync"]["trust_height"] = value(trust.trust_height as i64);
        doc["statesync"]["trust_hash"] = value(trust.trust_hash.as_str());
        doc["statesync"]["trust_period"] = value(trust.trust_period.as_str());
        doc["statesync"]["discovery_time"] = value(trust.discovery_time.as_str());
    })
}

fn edit_config(home: &Home, edit: impl FnOnce(&mut DocumentMut)) -> Result<(), String> {
    let path = home.comet_home().join("config").join("config.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    edit(&mut doc);
    std::fs::write(&path, doc.to_string()).map_err(|e| format!("{}: {e}", path.display()))
}

/// The chain id of an existing CometBFT genesis.
pub fn genesis_chain_id(home: &Home) -> Result<String, String> {
    let path = home.comet_genesis();
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let genesis: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    genesis["chain_id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{}: no chain_id", path.display()))
}

/// CometBFT running as a child process, its output in `HOME/cometbft.log`.
pub struct CometProcess {
    child: Child,
}

impl CometProcess {
    pub fn spawn(binary: &Path, home: &Home) -> Result<Self, String> {
        let log_path = home.comet_log();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| format!("{}: {e}", log_path.display()))?;
        let err_log = log
            .try_clone()
            .map_err(|e| format!("{}: {e}", log_path.display()))?;
        let comet_home = home.comet_home();
        let child = Command::new(binary)
            .args(["start", "--home"])
            .arg(&comet_home)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err_log)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", binary.display()))?;
        Ok(Self { child })
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether it exited, and how.
    pub fn try_wait(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(e) => Some(e.to_string()),
        }
    }

    /// Asks CometBFT to stop (SIGTERM: it closes its stores and WAL), and kills it if it has
    /// not stopped within `grace`.
    pub fn stop(mut self, grace: Duration) {
        if self.try_wait().is_some() {
            return;
        }
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) with a pid we spawned and still own (not yet reaped).
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if self.try_wait().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        tracing::warn!("CometBFT did not stop within {grace:?}; killing it");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
