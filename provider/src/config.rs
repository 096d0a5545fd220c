//! The daemon's configuration: `<home>/config.toml`, written with every default by
//! `tessera-provider init`. Every field has a default, so a file may name only what differs.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use serde::{Deserialize, Serialize};

pub const CONFIG_FILE: &str = "config.toml";

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub chain: ChainConfig,
    pub key: KeyConfig,
    pub api: ApiConfig,
    pub metrics: MetricsConfig,
    pub capacity: CapacityConfig,
    pub pricing: PricingConfig,
    pub bidding: BiddingConfig,
    pub leases: LeaseConfig,
    /// Test-only misbehaviour, for the suites that prove tenants catch it; never in a real
    /// provider's config (`init` does not write it).
    #[serde(skip_serializing_if = "TestingConfig::is_off")]
    pub testing: TestingConfig,
}

/// Ways to make this provider cheat on purpose, so that tests can show they are caught.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TestingConfig {
    /// Output leaves (by index) served altered after their true hashes were attested: a
    /// tenant's proof check must refuse them.
    pub tamper_served_leaves: Vec<u64>,
    /// Computes every leaf whose index is a multiple of this wrong (0: none), then attests and
    /// serves the wrong leaves as if they were right: the tree checks out, only recomputing a
    /// leaf shows the fraud. 10 fakes a tenth of the leaves.
    pub fake_every_nth_leaf: u64,
}

impl TestingConfig {
    pub fn is_off(&self) -> bool {
        self.tamper_served_leaves.is_empty() && self.fake_every_nth_leaf == 0
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ChainConfig {
    /// CometBFT RPC of a node; its WebSocket (`/websocket`) pushes new blocks.
    pub rpc: String,
    /// Refuse to run against another chain; empty takes the node's.
    pub chain_id: String,
    /// Price per unit of gas of the provider's own txs.
    pub gas_prices: String,
    /// Full scan of open orders and of the provider's bids and leases, besides new blocks.
    pub reconcile_secs: u64,
}

impl Default for ChainConfig {
    fn default() -> Self {
        Self {
            rpc: "http://127.0.0.1:26657".into(),
            chain_id: String::new(),
            gas_prices: "0.025utsr".into(),
            reconcile_secs: 15,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct KeyConfig {
    /// Key name (or address) in the `tessera` keyring.
    pub name: String,
    /// `file` (encrypted; password from TESSERA_KEYRING_PASSWORD) or `test` (dev only).
    pub keyring_backend: String,
    /// The keyring's home; empty is `tessera`'s default, `~/.tessera`.
    pub keyring_home: String,
}

impl Default for KeyConfig {
    fn default() -> Self {
        Self {
            name: "provider".into(),
            keyring_backend: "file".into(),
            keyring_home: String::new(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Where the provider gRPC API listens.
    pub listen: String,
    /// Serve TLS with the certificate below (made by `init`); off only for loopback dev.
    pub tls: bool,
    /// PEM files, relative to the home.
    pub cert: String,
    pub key: String,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8443".into(),
            tls: true,
            cert: "tls/cert.pem".into(),
            key: "tls/key.pem".into(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Prometheus `/metrics` and the JSON `/status` that `tessera-provider status` reads; empty
    /// turns them off.
    pub listen: String,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:9464".into(),
        }
    }
}

/// What this host offers besides its GPUs (which are the registry record's, checked against
/// what the runtime detects).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CapacityConfig {
    /// Thousandths of a core; 0 is every core of the host.
    pub cpu_millis: u64,
    pub memory_mib: u64,
    pub storage_mib: u64,
    /// Leases run at once, at most.
    pub max_leases: u32,
    /// `auto` (cuda when a GPU is found, else cpu), `cpu` or `cuda`.
    pub backend: String,
}

impl Default for CapacityConfig {
    fn default() -> Self {
        Self {
            cpu_millis: 0,
            memory_mib: 64 * 1024,
            storage_mib: 512 * 1024,
            max_leases: 8,
            backend: "auto".into(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PricingConfig {
    /// `table` (the prices below) or `program` (an external program answers).
    pub strategy: String,
    /// Prices are in this denom; orders in other denoms are not bid on.
    pub denom: String,
    /// Per hour and per instance, in `denom`.
    pub cpu_core: u64,
    pub memory_gib: u64,
    pub storage_gib: u64,
    /// Per GPU, unless its model has its own price below.
    pub gpu: u64,
    /// Per GPU of a model (lowercase model name as registered, e.g. `h100`).
    pub gpu_models: BTreeMap<String, u64>,
    /// The least a bid asks per hour for the whole order.
    pub min_price: u64,
    /// `program`: the command and its arguments; gets the order as JSON on stdin and prints a
    /// price (an integer in `denom`) or `skip: reason`.
    pub program: Vec<String>,
    pub program_timeout_ms: u64,
}

impl Default for PricingConfig {
    fn default() -> Self {
        Self {
            strategy: "table".into(),
            denom: "utsr".into(),
            cpu_core: 20_000,
            memory_gib: 2_000,
            storage_gib: 100,
            gpu: 400_000,
            gpu_models: BTreeMap::new(),
            min_price: 1,
            program: Vec::new(),
            program_timeout_ms: 2_000,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct BiddingConfig {
    /// A bid still open this long after it was placed is withdrawn (its deposit comes back
    /// and its capacity is freed).
    pub bid_timeout_secs: u64,
    /// Messages per tx when several wait (bids, attestations, withdrawals).
    pub max_batch: usize,
}

impl Default for BiddingConfig {
    fn default() -> Self {
        Self {
            bid_timeout_secs: 900,
            max_batch: 16,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LeaseConfig {
    /// Seconds between attestations of a running lease; 0 is half the chain's
    /// `attestation_interval_secs`, so that one late tx never misses the deadline.
    pub attestation_secs: u64,
    /// Seconds between withdrawals of a lease's earnings (and once more at its end).
    pub withdraw_secs: u64,
    /// Closes a lease whose manifest has not arrived after the chain's manifest timeout.
    pub close_without_manifest: bool,
}

impl Default for LeaseConfig {
    fn default() -> Self {
        Self {
            attestation_secs: 0,
            withdraw_secs: 600,
            close_without_manifest: true,
        }
    }
}

impl Config {
    /// Reads and checks `<home>/config.toml`.
    pub fn load(home: &Path) -> Result<Config> {
        let path = home.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "reading {} (run `tessera-provider init --home {}` first)",
                path.display(),
                home.display()
            )
        })?;
        let config: Config =
            toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))?;
        config
            .validate()
            .with_context(|| format!("{} is not valid", path.display()))?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<()> {
        if self.chain.rpc.is_empty() {
            bail!("chain.rpc: is empty");
        }
        self.chain
            .gas_prices
            .parse::<tessera_client::coin::GasPrice>()
            .map_err(|e| anyhow::anyhow!("chain.gas_prices: {e}"))?;
        if self.chain.reconcile_secs == 0 {
            bail!("chain.reconcile_secs: must be at least 1");
        }
        self.key
            .keyring_backend
            .parse::<tessera_client::keys::Backend>()
            .map_err(|e| anyhow::anyhow!("key.keyring_backend: {e}"))?;
        let listen = self.api_listen()?;
        if !self.api.tls && !listen.ip().is_loopback() {
            bail!("api.tls: plain gRPC is only for loopback; {listen} is not (turn tls on)");
        }
        if !self.metrics.listen.is_empty() {
            self.metrics
                .listen
                .parse::<SocketAddr>()
                .map_err(|e| anyhow::anyhow!("metrics.listen: {:?}: {e}", self.metrics.listen))?;
        }
        match self.capacity.backend.as_str() {
            "auto" | "cpu" | "cuda" => {}
            other => bail!("capacity.backend: {other:?}: use auto, cpu or cuda"),
        }
        if self.capacity.max_leases == 0 {
            bail!("capacity.max_leases: must be at least 1");
        }
        match self.pricing.strategy.as_str() {
            "table" => {}
            "program" if self.pricing.program.is_empty() => {
                bail!("pricing.program: strategy is program but no command is given")
            }
            "program" => {}
            other => bail!("pricing.strategy: {other:?}: use table or program"),
        }
        if self.pricing.denom.is_empty() {
            bail!("pricing.denom: is empty");
        }
        if self.pricing.program_timeout_ms == 0 {
            bail!("pricing.program_timeout_ms: must be at least 1");
        }
        if self.bidding.max_batch == 0 {
            bail!("bidding.max_batch: must be at least 1");
        }
        if self.leases.withdraw_secs == 0 {
            bail!("leases.withdraw_secs: must be at least 1");
        }
        Ok(())
    }

    pub fn api_listen(&self) -> Result<SocketAddr> {
        self.api
            .listen
            .parse()
            .map_err(|e| anyhow::anyhow!("api.listen: {:?}: {e}", self.api.listen))
    }

    pub fn reconcile_every(&self) -> Duration {
        Duration::from_secs(self.chain.reconcile_secs)
    }

    /// A path from the config, relative to `home` unless absolute.
    pub fn resolve(home: &Path, path: &str) -> PathBuf {
        let p = Path::new(path);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            home.join(p)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_through_toml_and_validate() {
        let text = toml::to_string_pretty(&Config::default()).unwrap();
        let back: Config = toml::from_str(&text).unwrap();
        assert_eq!(back, Config::default());
        back.validate().unwrap();
    }

    #[test]
    fn the_test_only_tampering_mode_is_off_and_unwritten_unless_asked_for() {
        let text = toml::to_string_pretty(&Config::default()).unwrap();
        assert!(!text.contains("testing"), "{text}");
        assert!(Config::default().testing.is_off());
        let config: Config = toml::from_str("[testing]\ntamper_served_leaves = [1, 4]").unwrap();
        assert_eq!(config.testing.tamper_served_leaves, vec![1, 4]);
        assert!(!config.testing.is_off());
        assert!(toml::from_str::<Config>("[testing]\ncheat = true").is_err());
    }

    #[test]
    fn a_file_may_name_only_what_differs() {
        let config: Config = toml::from_str("[pricing]\ngpu = 5\n").unwrap();
        assert_eq!(config.pricing.gpu, 5);
        assert_eq!(config.chain, ChainConfig::default());
    }

    #[test]
    fn bad_values_are_named() {
        let cases = [
            ("[chain]\nrpcc = \"x\"\n", "unknown field `rpcc`"),
            ("[pricing]\nstrategy = \"auction\"\n", "pricing.strategy"),
            ("[pricing]\nstrategy = \"program\"\n", "pricing.program"),
            ("[api]\nlisten = \"0.0.0.0:1\"\ntls = false\n", "api.tls"),
            ("[capacity]\nbackend = \"rocm\"\n", "capacity.backend"),
            ("[key]\nkeyring_backend = \"os\"\n", "key.keyring_backend"),
        ];
        for (text, named) in cases {
            let err = toml::from_str::<Config>(text)
                .map_err(anyhow::Error::from)
                .and_then(|c| c.validate().map(|()| c))
                .expect_err(text);
            assert!(format!("{err:#}").contains(named), "{text}: {err:#}");
        }
    }
}
