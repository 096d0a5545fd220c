//! A network of real nodes on loopback: `tesserad testnet` writes the homes, each node is a
//! `tesserad start` with its CometBFT child in its own process group (so a "crash" is a
//! SIGKILL of both), and `tesserad join` adds nodes that join the running network.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{root, tesserad_bin};

/// Networks take most of this machine's cores: the tests that run one take turns.
static ONE_NETWORK_AT_A_TIME: Mutex<()> = Mutex::new(());

pub fn exclusive() -> MutexGuard<'static, ()> {
    ONE_NETWORK_AT_A_TIME
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// The port layout of `tesserad testnet` / `join`: BASE + {0 p2p, 1 RPC, 2 ABCI, 3 gRPC, 4
/// metrics, 5 CometBFT metrics}, nodes 10 apart.
const PORTS_PER_NODE: u16 = 10;

pub struct Node {
    pub name: String,
    pub home: PathBuf,
    pub base_port: u16,
    child: Option<Child>,
}

impl Node {
    pub fn rpc(&self) -> String {
        format!("http://127.0.0.1:{}", self.base_port + 1)
    }

    /// Its Cosmos gRPC endpoint.
    pub fn grpc(&self) -> String {
        format!("127.0.0.1:{}", self.base_port + 3)
    }
}

pub struct Network {
    pub dir: tempfile::TempDir,
    pub nodes: Vec<Node>,
    pub timeout_commit: String,
}

/// A base port whose `count` nodes' ports are all free now and not in `taken` (the ranges of
/// nodes written but not started yet).
fn free_base(count: u16, taken: &[u16]) -> u16 {
    let seed = std::process::id() as u16;
    for attempt in 0..200u16 {
        let base = 20000 + (seed.wrapping_mul(31).wrapping_add(attempt * 97) % 4000) * 10;
        let overlaps =
            |other: u16| base < other + PORTS_PER_NODE && other < base + count * PORTS_PER_NODE;
        let all_free = !taken.iter().any(|&other| overlaps(other))
            && (0..count * PORTS_PER_NODE)
                .all(|offset| TcpListener::bind(("127.0.0.1", base + offset)).is_ok());
        if all_free {
            return base;
        }
    }
    panic!("no {count} consecutive free port ranges on loopback");
}

fn run_ok(command: &mut Command, what: &str) -> String {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `GET path` on a node's CometBFT RPC: its `result`, or None while it is down or erring.
pub fn rpc_get(rpc: &str, path: &str) -> Option<Value> {
    use std::io::{Read, Write};
    let addr = rpc.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let body = response.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let reply: Value = serde_json::from_slice(&response[body..]).ok()?;
    reply.get("result").cloned()
}

impl Network {
    /// Writes the homes of `validators` + `full_nodes` nodes; starts none.
    pub fn create(
        validators: u16,
        full_nodes: u16,
        timeout_commit: &str,
        snapshot_interval: u64,
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let count = validators + full_nodes;
        let base = free_base(count, &[]);
        run_ok(
            Command::new(tesserad_bin())
                .arg("testnet")
                .args(["--validators", &validators.to_string()])
                .args(["--full-nodes", &full_nodes.to_string()])
                .args(["--base-port", &base.to_string()])
                .args(["--timeout-commit", timeout_commit])
                .args(["--snapshot-interval", &snapshot_interval.to_string()])
                .arg("--output")
                .arg(dir.path().join("net"))
                .arg("--artifacts")
                .arg(root().join("artifacts")),
            "tesserad testnet",
        );
        let nodes = (0..count)
            .map(|i| Node {
                name: format!("node{i}"),
                home: dir.path().join("net").join(format!("node{i}")),
                base_port: base + i * PORTS_PER_NODE,
                child: None,
            })
            .collect();
        Self {
            dir,
            nodes,
            timeout_commit: timeout_commit.to_string(),
        }
    }

    /// Starts node `i` (app + CometBFT child) in its own process group.
    pub fn start(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        assert!(node.child.is_none(), "{} is running", node.name);
        use std::os::unix::process::CommandExt;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(node.home.join("tesserad.out"))
            .unwrap();
        let child = Command::new(tesserad_bin())
            .args(["start", "--home"])
            .arg(&node.home)
            .env("TESSERAD_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("tesserad start");
        node.child = Some(child);
    }

    pub fn start_all(&mut self) {
        for i in 0..self.nodes.len() {
            self.start(i);
        }
    }

    /// A crash: SIGKILL to the node's app and its CometBFT, nothing flushed or closed.
    pub fn kill(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        let Some(mut child) = node.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .status();
        let _ = child.wait();
        // CometBFT, killed with the group, may take a moment to release its ports.
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline
            && TcpListener::bind(("127.0.0.1", node.base_port + 1)).is_err()
        {
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `tesserad join` from nodes 0 and 1's RPC, as a new node with its own ports; not started.
    pub fn join(&mut self, name: &str, state_sync: bool) -> usize {
        let home = self.dir.path().join(name);
        let taken: Vec<u16> = self.nodes.iter().map(|n| n.base_port).collect();
        let base = free_base(1, &taken);
        let mut command = Command::new(tesserad_bin());
        command
            .args(["join", "--home"])
            .arg(&home)
            .args(["--rpc", &self.nodes[0].rpc()])
            .args(["--rpc", &self.nodes[1 % self.nodes.len()].rpc()])
            .args(["--base-port", &base.to_string()])
            .args(["--timeout-commit", &self.timeout_commit])
            .args(["--moniker", name]);
        if state_sync {
            command.arg("--state-sync");
        }
        run_ok(&mut command, "tesserad join");
        self.nodes.push(Node {
            name: name.to_string(),
            home,
            base_port: base,
            child: None,
        });
        self.nodes.len() - 1
    }

    pub fn status(&self, i: usize) -> Option<Value> {
        rpc_get(&self.nodes[i].rpc(), "/status")
    }

    /// Node `i`'s latest height, or 0 while its RPC is down.
    pub fn height(&self, i: usize) -> u64 {
        self.status(i)
            .and_then(|s| s["sync_info"]["latest_block_height"].as_str()?.parse().ok())
            .unwrap_or(0)
    }

    pub fn wait_for_height(&self, i: usize, height: u64, within: Duration) {
        let deadline = Instant::now() + within;
        while self.height(i) < height {
            if Instant::now() > deadline {
                panic!(
                    "{} did not reach height {height} within {within:?} (at {}); its output:\n{}",
                    self.nodes[i].name,
                    self.height(i),
                    self.log_tail(i)
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The header of block `height` on node `i`: its hash and the app hash it carries (the
    /// state after block `height - 1`).
    pub fn block(&self, i: usize, height: u64) -> (String, String) {
        let block = rpc_get(&self.nodes[i].rpc(), &format!("/block?height={height}"))
            .unwrap_or_else(|| panic!("{}: no block {height}", self.nodes[i].name));
        (
            block["block_id"]["hash"].as_str().unwrap().to_string(),
            block["block"]["header"]["app_hash"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    }

    /// Runs the `tessera` CLI against node `i`, with the keyring in the network's dir.
    pub fn tessera(&self, i: usize, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(args)
            .env("TESSERA_NODE", self.nodes[i].rpc())
            .env("TESSERA_HOME", self.dir.path().join("cli"))
            .env("TESSERA_KEYRING_BACKEND", "test")
            .env_remove("TESSERA_FROM")
            .env_remove("TESSERA_OUTPUT")
            .env_remove("TESSERA_GRPC")
            .stdin(Stdio::null())
            .output()
            .expect("run tessera")
    }

    /// `tessera ARGS -o json` against node `i`, which must succeed.
    pub fn json(&self, i: usize, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        let out = self.tessera(i, &all);
        assert!(
            out.status.success(),
            "tessera {} on {}: {}",
            args.join(" "),
            self.nodes[i].name,
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON")
    }

    /// Recovers a dev account's key into the network's keyring.
    pub fn add_dev_key(&self, name: &str) {
        super::recover_dev_key(&self.dir.path().join("cli"), name);
    }

    pub fn log_tail(&self, i: usize) -> String {
        let read = |file: &str| {
            let text = std::fs::read_to_string(self.nodes[i].home.join(file)).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(25)..].join("\n")
        };
        format!(
            "--- tesserad.out\n{}\n--- cometbft.log\n{}",
            read("tesserad.out"),
            read("cometbft.log")
        )
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
    }
}
