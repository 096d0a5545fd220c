//! The node's home directory and its `config/app.toml`.
//!
//! ```text
//! HOME/config/app.toml     tesserad's settings (this file's `Config`)
//! HOME/data/               the app's state (state.redb), compiled contracts (wasm/) and
//!                          state sync snapshots (snapshots/)
//! HOME/cometbft/           CometBFT's home when tesserad runs it (config, keys, blocks, WAL)
//! HOME/cometbft.log        its output
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fees::GasPrice;

/// The state file's name in the data directory.
pub const STATE_FILE: &str = "state.redb";

/// The default dev chain's id.
pub const DEV_CHAIN_ID: &str = "tessera-dev-1";

/// `app.toml`. Every key is optional; [`Config::default`] holds the documented defaults.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub app: AppSection,
    pub abci: AbciSection,
    pub metrics: MetricsSection,
    pub grpc: GrpcSection,
    pub cometbft: CometSection,
    pub state_sync: StateSyncSection,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateSyncSection {
    /// Take a snapshot of the state every this many blocks, for nodes that join by state sync
    /// (0: take none). CometBFT's own `[statesync]` section is what a joining node sets.
    pub snapshot_interval: u64,
    /// Snapshots kept on disk (the oldest is deleted when a new one is complete).
    pub snapshot_keep_recent: u32,
}

impl Default for StateSyncSection {
    fn default() -> Self {
        Self {
            snapshot_interval: 0,
            snapshot_keep_recent: 2,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GrpcSection {
    pub enabled: bool,
    /// Cosmos gRPC (auth, bank, tx, wasm, tendermint services), as wasmd's :9090.
    pub address: SocketAddr,
}

impl Default for GrpcSection {
    fn default() -> Self {
        Self {
            enabled: true,
            address: ([127, 0, 0, 1], 9090).into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppSection {
    /// Minimum gas prices this node asks for mempool admission, comma separated
    /// (`"0.025utsr"`); empty for none. Not consensus: each validator picks its own.
    pub min_gas_prices: String,
    /// Committed heights kept queryable (queries and proofs at past heights).
    pub keep_versions: u64,
    /// Most gas one `Simulate` may use (the SDK's `simulation_gas_limit`).
    pub simulation_gas_limit: u64,
    /// Threads besides the block's own that run its txs ahead of order; absent: one per core
    /// besides the block's own, 0: the txs run one after the other. Not consensus: the results
    /// are the same either way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel_helpers: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AbciSection {
    /// Where CometBFT's `proxy_app` connects.
    pub address: SocketAddr,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSection {
    pub enabled: bool,
    /// Prometheus scrape address of the app's metrics (CometBFT's are on 26660).
    pub address: SocketAddr,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CometSection {
    /// The `cometbft` binary: a path, or a name looked up on PATH and in `$(go env GOPATH)/bin`.
    pub binary: String,
    /// CometBFT's JSON-RPC listen address (clients: CosmJS, cosmrs, the CLI).
    pub rpc_address: String,
    /// Its p2p listen address.
    pub p2p_address: String,
    /// CometBFT's own Prometheus metrics.
    pub prometheus_address: String,
    /// Pause after each commit: sets the block interval of a single-validator chain.
    pub timeout_commit: String,
    /// Whether `tesserad start` runs CometBFT as its child (always with `--dev`; `testnet` and
    /// `join` homes set it). Off: the app serves ABCI for a CometBFT run separately.
    pub run_child: bool,
}

impl Default for AppSection {
    fn default() -> Self {
        Self {
            min_gas_prices: "0.025utsr".into(),
            keep_versions: 100,
            simulation_gas_limit: crate::ante::DEFAULT_SIMULATION_GAS_LIMIT,
            parallel_helpers: None,
        }
    }
}

impl Default for AbciSection {
    fn default() -> Self {
        Self {
            address: ([127, 0, 0, 1], 26658).into(),
        }
    }
}

impl Default for MetricsSection {
    fn default() -> Self {
        Self {
            enabled: true,
            address: ([127, 0, 0, 1], 26661).into(),
        }
    }
}

impl Default for CometSection {
    fn default() -> Self {
        Self {
            binary: "cometbft".into(),
            rpc_address: "tcp://127.0.0.1:26657".into(),
            p2p_address: "tcp://127.0.0.1:26656".into(),
            prometheus_address: "127.0.0.1:26660".into(),
            timeout_commit: "1s".into(),
            run_child: false,
        }
    }
}

const HEADER: &str = "\
# tesserad configuration (`tesserad init` wrote the defaults). Every key is optional.
#
# [app]      min_gas_prices: this node's minimum for mempool admission, e.g. \"0.025utsr\"
#            keep_versions: committed heights kept queryable
#            simulation_gas_limit: most gas one Simulate may use (gas estimation requests)
#            parallel_helpers: threads besides the block's own that run its txs ahead of order
#            (default: one per core besides it; 0: in order on one thread; same results)
# [abci]     address: where CometBFT's proxy_app connects
# [metrics]  the app's Prometheus metrics at http://ADDRESS/metrics (CometBFT's: :26660)
# [grpc]     Cosmos gRPC for clients (auth, bank, tx, wasm, tendermint services)
# [cometbft] used when tesserad runs CometBFT itself (start --dev, or run_child = true): binary,
#            listen addresses, timeout_commit (the pause after each block)
# [state_sync] snapshot_interval: take a snapshot every N blocks for joining nodes (0: none);
#            snapshot_keep_recent: how many are kept

";

impl Config {
    /// Reads `path`; a missing file is the defaults. Errors name the file and the key.
    pub fn load(path: &Path) -> Result<Self, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let config: Config =
                    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
                config
                    .min_gas_prices()
                    .map_err(|e| format!("{}: app.min_gas_prices: {e}", path.display()))?;
                Ok(config)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    pub fn write(&self, path: &Path) -> Result<(), String> {
        let body = toml::to_string_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(path, format!("{HEADER}{body}"))
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn min_gas_prices(&self) -> Result<Vec<GasPrice>, String> {
        self.app
            .min_gas_prices
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect()
    }
}

/// The paths of a home directory.
#[derive(Clone, Debug)]
pub struct Home {
    pub root: PathBuf,
}

impl Home {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `$HOME/.tesserad`, as wasmd uses `~/.wasmd`.
    pub fn default_root() -> PathBuf {
        std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
            .join(".tesserad")
    }

    pub fn config_file(&self) -> PathBuf {
        self.root.join("config").join("app.toml")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    /// The app's committed state (the Merkle store).
    pub fn state_file(&self) -> PathBuf {
        self.data_dir().join(STATE_FILE)
    }

    /// State sync snapshots this node serves.
    pub fn snapshots_dir(&self) -> PathBuf {
        self.data_dir().join("snapshots")
    }

    pub fn comet_home(&self) -> PathBuf {
        self.root.join("cometbft")
    }

    pub fn comet_log(&self) -> PathBuf {
        self.root.join("cometbft.log")
    }

    pub fn comet_genesis(&self) -> PathBuf {
        self.comet_home().join("config").join("genesis.json")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_defaults_read_back_equal_and_a_missing_file_is_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.toml");
        assert_eq!(Config::load(&path).unwrap(), Config::default());
        Config::default().write(&path).unwrap();
        assert_eq!(Config::load(&path).unwrap(), Config::default());
    }

    #[test]
    fn parallel_helpers_default_to_none_and_read_back_as_set() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.toml");
        assert_eq!(Config::default().app.parallel_helpers, None);
        std::fs::write(&path, "[app]\nparallel_helpers = 0\n").unwrap();
        assert_eq!(Config::load(&path).unwrap().app.parallel_helpers, Some(0));
        std::fs::write(&path, "[app]\nparallel_helpers = -1\n").unwrap();
        let err = Config::load(&path).unwrap_err();
        assert!(
            err.contains("app.toml") && err.contains("parallel_helpers = -1"),
            "{err}"
        );
    }

    #[test]
    fn bad_settings_are_refused_with_the_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.toml");
        std::fs::write(&path, "[app]\nmin_gas_prices = \"cheap\"\n").unwrap();
        let err = Config::load(&path).unwrap_err();
        assert!(err.contains("app.toml: app.min_gas_prices"), "{err}");
        std::fs::write(&path, "[abci]\nadress = \"x\"\n").unwrap();
        let err = Config::load(&path).unwrap_err();
        assert!(err.contains("unknown field `adress`"), "{err}");
    }
}
