//! A real `tesserad start --dev` (the app and a CometBFT child) on free loopback ports, and the
//! `tessera` binary pointed at it.
//!
//! Needs the tesserad binary (built by `cargo test --workspace`, or `cargo build -p tesserad`;
//! `TESSERAD_BIN` overrides), CometBFT (scripts/setup.sh) and the contracts in `artifacts/`.

#![allow(dead_code)] // each test binary uses its own part of the support code

pub mod network;
pub mod provider_process;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub fn root() -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo")).join("..")
}

pub fn tesserad_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("TESSERAD_BIN") {
        return PathBuf::from(path);
    }
    let beside = Path::new(env!("CARGO_BIN_EXE_tessera")).with_file_name("tesserad");
    assert!(
        beside.exists(),
        "no tesserad at {}: run `cargo build -p tesserad` (scripts/test.sh and cargo test --workspace build it) or set TESSERAD_BIN",
        beside.display()
    );
    beside
}

/// `N` distinct free loopback ports. Every listener is held until all are picked: binding port 0
/// and letting it go one at a time can hand out the same port twice.
pub fn free_ports<const N: usize>() -> [u16; N] {
    let listeners = [(); N].map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port"));
    listeners.map(|l| l.local_addr().expect("bound").port())
}

/// A dev chain in a temp dir, stopped (SIGTERM, then kill) when dropped.
pub struct DevChain {
    child: Child,
    pub rpc: String,
    /// The node's Cosmos gRPC endpoint (host:port).
    pub grpc: String,
    /// CometBFT's Prometheus endpoint (host:port).
    pub comet_metrics: String,
    pub home: tempfile::TempDir,
}

impl DevChain {
    pub fn start() -> Self {
        Self::start_with_app_settings("")
    }

    /// The same with `settings` (TOML lines) in app.toml's `[app]` table.
    pub fn start_with_app_settings(settings: &str) -> Self {
        let home = tempfile::tempdir().expect("temp dir");
        let [abci, metrics, grpc, rpc, p2p, prom] = free_ports();
        std::fs::create_dir_all(home.path().join("config")).unwrap();
        std::fs::write(
            home.path().join("config/app.toml"),
            format!(
                "[app]\n{settings}\n[abci]\naddress = \"127.0.0.1:{abci}\"\n[metrics]\naddress = \"127.0.0.1:{metrics}\"\n\
                 [grpc]\naddress = \"127.0.0.1:{grpc}\"\n[cometbft]\nrpc_address = \"tcp://127.0.0.1:{rpc}\"\n\
                 p2p_address = \"tcp://127.0.0.1:{p2p}\"\nprometheus_address = \"127.0.0.1:{prom}\"\n"
            ),
        )
        .unwrap();
        let bin = tesserad_bin();
        let init = Command::new(&bin)
            .args(["init", "--dev", "--home"])
            .arg(home.path())
            .arg("--artifacts")
            .arg(root().join("artifacts"))
            .output()
            .expect("tesserad init");
        assert!(
            init.status.success(),
            "tesserad init: {}",
            String::from_utf8_lossy(&init.stderr)
        );
        let log = std::fs::File::create(home.path().join("tesserad.out")).unwrap();
        let child = Command::new(&bin)
            .args(["start", "--dev", "--home"])
            .arg(home.path())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("tesserad start");
        let chain = Self {
            child,
            rpc: format!("http://127.0.0.1:{rpc}"),
            grpc: format!("127.0.0.1:{grpc}"),
            comet_metrics: format!("127.0.0.1:{prom}"),
            home,
        };
        chain.wait_for_height(2);
        chain
    }

    /// A `tessera-loadgen` run on this chain: bank sends from `senders` accounts funded by the
    /// dev account `funder`, FinalizeBlock time read from CometBFT's metrics.
    pub fn load_config(
        &self,
        funder: &str,
        senders: usize,
        txs_per_sender: u64,
    ) -> tessera_loadgen::LoadConfig {
        tessera_loadgen::LoadConfig {
            rpc: self.rpc.clone(),
            chain: tessera_loadgen::signing::ChainParams {
                chain_id: "tessera-dev-1".parse().expect("a chain id"),
                prefix: "tessera".into(),
                denom: "utsr".parse().expect("a denom"),
                gas_price: 0.025,
            },
            funder_mnemonic: dev_account(funder)["mnemonic"]
                .as_str()
                .expect("a mnemonic")
                .to_string(),
            senders,
            txs_per_sender,
            gas: None,
            comet_metrics: Some(self.comet_metrics.clone()),
            timeout: std::time::Duration::from_secs(60),
            window: 100,
            rate: None,
        }
    }

    pub fn wait_for_height(&self, height: u64) {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let out = self.tessera(&["status", "-o", "json"]);
            if out.status.success() {
                let status: Value = serde_json::from_slice(&out.stdout).unwrap();
                if status["height"].as_u64().unwrap_or(0) >= height {
                    return;
                }
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(self.home.path().join("tesserad.out"))
                    .unwrap_or_default();
                panic!("the chain did not reach height {height} in 90 s; tesserad output:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    pub fn tessera(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(args)
            .env("TESSERA_NODE", &self.rpc)
            .env("TESSERA_HOME", self.home.path().join("cli"))
            .env("TESSERA_KEYRING_BACKEND", "test")
            .env_remove("TESSERA_FROM")
            .env_remove("TESSERA_OUTPUT")
            .stdin(Stdio::null())
            .output()
            .expect("run tessera")
    }

    /// Runs `tessera ARGS -o json`, asserts success and returns the JSON it printed.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        let out = self.tessera(&all);
        assert!(
            out.status.success(),
            "tessera {}: failed:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "tessera {}: not JSON ({e}): {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Runs `tessera ARGS`, asserts it fails, and returns what it printed on stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.tessera(args);
        assert!(
            !out.status.success(),
            "tessera {} succeeded but should have failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// A fresh key `name` in the test keyring, funded with 1,000 TSR by bob (whose key must
    /// have been added).
    pub fn funded_key(&self, name: &str) -> String {
        let out = self.json(&["keys", "add", name]);
        let address = out["address"].as_str().unwrap().to_string();
        self.json(&["tx", "bank", "send", "bob", &address, "1000tsr"]);
        address
    }

    pub fn add_dev_key(&self, name: &str) -> String {
        recover_dev_key(&self.home.path().join("cli"), name)
    }

    pub fn balance(&self, who: &str) -> u128 {
        let v = self.json(&["query", "bank", "balances", who, "--denom", "utsr"]);
        v["balances"][0]["amount"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }
}

impl Drop for DevChain {
    fn drop(&mut self) {
        // SIGTERM lets tesserad stop its CometBFT child; kill if it does not within 15 s.
        sigterm(self.child.id());
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sigterm(pid: u32) {
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
}

/// Recovers dev account `name`'s key into the test keyring at `cli_home`; returns its address.
pub fn recover_dev_key(cli_home: &Path, name: &str) -> String {
    let mnemonic = dev_account(name)["mnemonic"].as_str().unwrap().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["keys", "add", name, "--recover", "-o", "json"])
        .env("TESSERA_HOME", cli_home)
        .env("TESSERA_KEYRING_BACKEND", "test")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(mnemonic.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "keys add {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        info.get("mnemonic").is_none(),
        "a recovered key printed its mnemonic"
    );
    info["address"].as_str().unwrap().to_string()
}

pub fn dev_account(name: &str) -> Value {
    let file = std::fs::read_to_string(root().join("chain-config/dev-accounts.json")).unwrap();
    let json: Value = serde_json::from_str(&file).unwrap();
    json["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap()
        .clone()
}

pub fn example(name: &str) -> String {
    root().join("examples").join(name).display().to_string()
}
