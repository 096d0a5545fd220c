//! A real `tessera-provider` process on free loopback ports, for a key of the dev chain's test
//! keyring, stopped (SIGTERM, or `kill -9` on request) when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{free_ports, DevChain};

pub fn provider_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("TESSERA_PROVIDER_BIN") {
        return PathBuf::from(path);
    }
    let beside =
        std::path::Path::new(env!("CARGO_BIN_EXE_tessera")).with_file_name("tessera-provider");
    assert!(
        beside.exists(),
        "no tessera-provider at {}: run `cargo build -p tessera-provider` (scripts/test.sh and cargo test --workspace build it) or set TESSERA_PROVIDER_BIN",
        beside.display()
    );
    beside
}

pub struct ProviderProcess {
    child: Option<Child>,
    pub home: tempfile::TempDir,
    pub uri: String,
    pub metrics: String,
}

impl ProviderProcess {
    /// Writes a home for key `key` pricing a CPU core at `cpu_price` per hour; [`Self::spawn`]
    /// starts it (once the key is registered as a provider at [`Self::uri`]).
    pub fn new(chain: &DevChain, key: &str, cpu_price: u64) -> Self {
        Self::with_tls(chain, key, cpu_price, false)
    }

    /// As [`Self::new`]; with `tls`, the API serves a fresh self-signed certificate
    /// (`tls/cert.pem` in the home) at `https://127.0.0.1:…`.
    pub fn with_tls(chain: &DevChain, key: &str, cpu_price: u64, tls: bool) -> Self {
        let home = tempfile::tempdir().unwrap();
        let [api, metrics] = free_ports();
        let config = format!(
            "[chain]\nrpc = \"{rpc}\"\nreconcile_secs = 3\n\
             [key]\nname = \"{key}\"\nkeyring_backend = \"test\"\nkeyring_home = \"{keyring}\"\n\
             [api]\nlisten = \"127.0.0.1:{api}\"\ntls = {tls}\n\
             [metrics]\nlisten = \"127.0.0.1:{metrics}\"\n\
             [pricing]\ncpu_core = {cpu_price}\nmemory_gib = 0\nstorage_gib = 0\n\
             [leases]\nattestation_secs = 4\nwithdraw_secs = 5\n",
            rpc = chain.rpc,
            keyring = chain.home.path().join("cli").display(),
        );
        std::fs::write(home.path().join("config.toml"), config).unwrap();
        if tls {
            let (cert, key) = tessera_client::transport_identity::self_signed(&[
                "127.0.0.1".to_string(),
                "localhost".to_string(),
            ])
            .unwrap();
            std::fs::create_dir_all(home.path().join("tls")).unwrap();
            std::fs::write(home.path().join("tls/cert.pem"), cert).unwrap();
            std::fs::write(home.path().join("tls/key.pem"), key).unwrap();
        }
        let scheme = if tls { "https" } else { "http" };
        Self {
            child: None,
            home,
            uri: format!("{scheme}://127.0.0.1:{api}"),
            metrics: format!("127.0.0.1:{metrics}"),
        }
    }

    /// Registers this provider's API address on chain for `key`, bonded at the minimum.
    pub fn register(&self, chain: &DevChain, key: &str) {
        self.register_with_bond(chain, key, "100tsr");
    }

    /// [`Self::register`] with another bond: a provider bids only while its bond covers a slash
    /// on each of its leases, which grows with the price.
    pub fn register_with_bond(&self, chain: &DevChain, key: &str, bond: &str) {
        chain.json(&[
            "provider",
            "register",
            "--host-uri",
            &self.uri,
            "--bond",
            bond,
            "--from",
            key,
        ]);
    }

    /// Adds `toml` (whole sections) to the config before [`Self::spawn`].
    pub fn add_config(&self, toml: &str) {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(self.home.path().join("config.toml"))
            .unwrap();
        writeln!(file, "{toml}").unwrap();
    }

    pub fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.home.path().join("provider.log"))
            .unwrap();
        let child = Command::new(provider_bin())
            .args(["run", "--home"])
            .arg(self.home.path())
            .env("RUST_LOG", "info,tessera_provider=debug")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start tessera-provider");
        self.child = Some(child);
        self.wait_for_status();
    }

    /// `kill -9`: no chance to clean up.
    pub fn kill_9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.home.path().join("provider.log")).unwrap_or_default()
    }

    /// `tessera-provider status --json`.
    pub fn status(&self) -> Value {
        let out = Command::new(provider_bin())
            .args(["status", "--json", "--home"])
            .arg(self.home.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "status: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn wait_for_status(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if std::net::TcpStream::connect(&self.metrics).is_ok() {
                return;
            }
            if let Some(Ok(Some(exit))) = self.child.as_mut().map(Child::try_wait) {
                panic!("tessera-provider exited ({exit}):\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "tessera-provider did not start in 60 s:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Polls `/metrics` until `metric` reaches `at_least`.
    pub fn wait_for_metric(&self, metric: &str, at_least: f64, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            if self.metric(metric) >= at_least {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{metric} stayed below {at_least}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn metric(&self, metric: &str) -> f64 {
        use std::io::{Read, Write};
        let Ok(mut conn) = std::net::TcpStream::connect(&self.metrics) else {
            return 0.0;
        };
        let _ = conn.write_all(b"GET /metrics HTTP/1.1\r\nconnection: close\r\n\r\n");
        let mut text = String::new();
        let _ = conn.read_to_string(&mut text);
        let name = format!("tessera_provider_{metric} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    }
}

impl Drop for ProviderProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
