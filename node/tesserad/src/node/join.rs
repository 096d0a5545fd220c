//! `tesserad join`: the home of a node that joins a running network: the genesis and a peer
//! from a node's RPC, this node's ports, and optionally state sync (restore a recent snapshot
//! checked against a block the operator trusts, instead of replaying every block).

use std::net::IpAddr;
use std::path::Path;

use base64::Engine as _;
use serde_json::Value;

use super::cometbft::{self, StateSyncTrust};
use super::config::{Config, Home};
use super::testnet::NodePorts;
use crate::server::comet_rpc::CometRpc;

pub struct JoinOptions {
    pub home: Home,
    /// RPC of running nodes (`http://HOST:PORT`): the genesis, a peer and, for state sync, the
    /// light client's witnesses.
    pub rpc: Vec<String>,
    /// Persistent peers (`ID@HOST:PORT`); empty: the first RPC node itself.
    pub peers: Vec<String>,
    pub state_sync: bool,
    /// This node's ports, as `testnet` lays them out.
    pub base_port: u16,
    /// The IP this node listens on.
    pub host: IpAddr,
    pub moniker: String,
    /// This node takes a snapshot every this many blocks, to serve later joiners (0: none).
    pub snapshot_interval: u64,
    pub timeout_commit: String,
}

/// What the node that answered told us.
struct Source {
    chain_id: String,
    peer: String,
    latest_height: u64,
    private_network: bool,
}

fn rpc_client(url: &str) -> Result<CometRpc, String> {
    if !url.starts_with("http://") && !url.starts_with("tcp://") {
        return Err(format!(
            "--rpc {url}: give http://HOST:PORT (an https endpoint is not supported here)"
        ));
    }
    Ok(CometRpc::new(url.trim_end_matches('/')))
}

fn host_of(url: &str) -> &str {
    let rest = url
        .trim_start_matches("http://")
        .trim_start_matches("tcp://");
    rest.rsplit_once(':').map_or(rest, |(host, _)| host)
}

fn is_private(host: &str) -> bool {
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback() || ip.is_private() || ip.is_link_local(),
        Ok(IpAddr::V6(ip)) => ip.is_loopback(),
        Err(_) => host == "localhost",
    }
}

fn source(rpc: &CometRpc, url: &str) -> Result<Source, String> {
    let status = rpc.call("status", &[]).map_err(|e| format!("{url}: {e}"))?;
    let info = &status["node_info"];
    let (Some(chain_id), Some(id), Some(listen)) = (
        info["network"].as_str(),
        info["id"].as_str(),
        info["listen_addr"].as_str(),
    ) else {
        return Err(format!(
            "{url}: /status has no node_info network, id or listen_addr"
        ));
    };
    let latest_height = status["sync_info"]["latest_block_height"]
        .as_str()
        .and_then(|h| h.parse().ok())
        .ok_or_else(|| format!("{url}: /status has no latest_block_height"))?;
    // A node listening on every interface is reached at the host its RPC was given by.
    let listen = listen.trim_start_matches("tcp://");
    let (listen_host, port) = listen
        .rsplit_once(':')
        .ok_or_else(|| format!("{url}: listen_addr {listen:?} has no port"))?;
    let host = if listen_host == "0.0.0.0" || listen_host == "[::]" {
        host_of(url)
    } else {
        listen_host
    };
    Ok(Source {
        chain_id: chain_id.to_string(),
        peer: format!("{id}@{host}:{port}"),
        latest_height,
        private_network: is_private(host),
    })
}

/// The genesis in chunks (`genesis_chunked`), as CometBFT serves a genesis of any size.
fn fetch_genesis(rpc: &CometRpc, url: &str) -> Result<Value, String> {
    let mut bytes = Vec::new();
    let mut chunk = 0u64;
    loop {
        let reply = rpc
            .call("genesis_chunked", &[("chunk", chunk.to_string())])
            .map_err(|e| format!("{url}: genesis_chunked: {e}"))?;
        let data = reply["data"]
            .as_str()
            .ok_or_else(|| format!("{url}: genesis chunk {chunk} has no data"))?;
        bytes.extend(
            base64::engine::general_purpose::STANDARD
                .decode(data)
                .map_err(|e| format!("{url}: genesis chunk {chunk}: {e}"))?,
        );
        let total: u64 = reply["total"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .or_else(|| reply["total"].as_u64())
            .ok_or_else(|| format!("{url}: genesis chunk {chunk} has no total"))?;
        chunk += 1;
        if chunk >= total {
            break;
        }
    }
    serde_json::from_slice(&bytes).map_err(|e| format!("{url}: the genesis is not JSON: {e}"))
}

/// The block a state-syncing node trusts: the latest one the RPC node has committed.
fn trusted_block(rpc: &CometRpc, url: &str, height: u64) -> Result<String, String> {
    let commit = rpc
        .call("commit", &[("height", height.to_string())])
        .map_err(|e| format!("{url}: commit at {height}: {e}"))?;
    commit["signed_header"]["commit"]["block_id"]["hash"]
        .as_str()
        .filter(|h| h.len() == 64)
        .map(str::to_string)
        .ok_or_else(|| format!("{url}: the commit at {height} has no block hash"))
}

/// Writes the home and prints what it will do; nothing is started.
pub fn join(options: &JoinOptions) -> Result<(), String> {
    let home = &options.home;
    if home.comet_genesis().exists() {
        return Err(format!(
            "{} already holds a chain; remove it to join again",
            home.root.display()
        ));
    }
    let Some(url) = options.rpc.first() else {
        return Err("--rpc: name at least one running node".into());
    };
    let rpc = rpc_client(url)?;
    let source = source(&rpc, url)?;
    let genesis = fetch_genesis(&rpc, url)?;
    if genesis["chain_id"].as_str() != Some(source.chain_id.as_str()) {
        return Err(format!(
            "{url}: its genesis is for {:?} but it runs {}",
            genesis["chain_id"], source.chain_id
        ));
    }
    let trust = if options.state_sync {
        for other in &options.rpc[1..] {
            rpc_client(other)?;
        }
        if source.latest_height < 3 {
            return Err(format!(
                "{url} is at height {}: state sync needs a chain with snapshots",
                source.latest_height
            ));
        }
        let trust_height = source.latest_height;
        Some(StateSyncTrust {
            rpc_servers: options.rpc.clone(),
            trust_height,
            trust_hash: trusted_block(&rpc, url, trust_height)?,
            trust_period: "168h0m0s".into(),
            discovery_time: "5s".into(),
        })
    } else {
        None
    };

    let binary = cometbft::find_binary(&Config::default().cometbft.binary)?;
    cometbft::check_version(&binary)?;
    let mut config = NodePorts::from_base(options.base_port).config(options.host);
    config.cometbft.timeout_commit = options.timeout_commit.clone();
    config.state_sync.snapshot_interval = options.snapshot_interval;
    let config_file = home.config_file();
    create_parent(&config_file)?;
    config.write(&config_file)?;
    cometbft::init_home(&binary, home)?;
    cometbft::configure(home, &config, &options.moniker)?;
    cometbft::replace_genesis(home, &genesis)?;
    let peers = if options.peers.is_empty() {
        vec![source.peer.clone()]
    } else {
        options.peers.clone()
    };
    cometbft::set_peers(home, &peers, source.private_network)?;
    if let Some(trust) = &trust {
        cometbft::enable_state_sync(home, trust)?;
    }

    println!(
        "{} joins {} (peers {})",
        home.root.display(),
        source.chain_id,
        peers.join(",")
    );
    match &trust {
        Some(trust) => println!(
            "  state sync from a snapshot, trusting block {} at height {} (light client: {})",
            trust.trust_hash,
            trust.trust_height,
            trust.rpc_servers.join(", ")
        ),
        None => println!("  block sync from genesis"),
    }
    println!(
        "  start it with: tesserad start --home {}",
        home.root.display()
    );
    Ok(())
}

fn create_parent(path: &Path) -> Result<(), String> {
    let dir = path.parent().expect("a file in a directory");
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_rpc_urls_and_which_are_private() {
        assert_eq!(host_of("http://10.0.0.5:26657"), "10.0.0.5");
        assert_eq!(host_of("tcp://node.example:26657"), "node.example");
        assert!(is_private("127.0.0.1"));
        assert!(is_private("192.168.1.4"));
        assert!(!is_private("8.8.8.8"));
        assert!(!is_private("node.example"));
    }

    #[test]
    fn an_https_rpc_is_refused_by_name() {
        let err = rpc_client("https://rpc.example").err().unwrap();
        assert!(err.contains("https"), "{err}");
    }
}
