//! `tesserad join`: the home of a node that joins a running network: the genesis and a peer
//! from a node's RPC, this node's ports, and optionally state sync (restore a recent snapshot
//! checked against a block the operator trusts, instead of replaying every block).

use std::net::IpAddr;
use std::path::Path;

use serde_json::Value;
use tendermint::block::Height;

use super::cometbft::{self, StateSyncTrust};
use super::config::{Config, Home};
use super::testnet::NodePorts;
use crate::server::comet_client::CometClient;

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

fn rpc_client(url: &str) -> Result<CometClient, String> {
    if !url.starts_with("http://") && !url.starts_with("tcp://") {
        return Err(format!(
            "--rpc {url}: give http://HOST:PORT (an https endpoint is not supported here)"
        ));
    }
    CometClient::new(url)
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

async fn source(rpc: &CometClient, url: &str) -> Result<Source, String> {
    let status = rpc.status().await.map_err(|e| format!("{url}: {e}"))?;
    let info = status.node_info;
    // A node listening on every interface is reached at the host its RPC was given by.
    let listen = info.listen_addr.as_str().trim_start_matches("tcp://");
    let (listen_host, port) = listen
        .rsplit_once(':')
        .ok_or_else(|| format!("{url}: listen_addr {listen:?} has no port"))?;
    let host = if listen_host == "0.0.0.0" || listen_host == "[::]" {
        host_of(url)
    } else {
        listen_host
    };
    Ok(Source {
        chain_id: info.network.to_string(),
        peer: format!("{}@{host}:{port}", info.id),
        latest_height: status.sync_info.latest_block_height.value(),
        private_network: is_private(host),
    })
}

/// The genesis in chunks (`genesis_chunked`), as CometBFT serves a genesis of any size.
async fn fetch_genesis(rpc: &CometClient, url: &str) -> Result<Value, String> {
    let mut bytes = Vec::new();
    let mut chunk = 0u64;
    loop {
        let reply = rpc
            .genesis_chunk(chunk)
            .await
            .map_err(|e| format!("{url}: genesis chunk {chunk}: {e}"))?;
        bytes.extend(reply.data);
        chunk += 1;
        if chunk >= reply.total {
            break;
        }
    }
    serde_json::from_slice(&bytes).map_err(|e| format!("{url}: the genesis is not JSON: {e}"))
}

/// The block a state-syncing node trusts: the latest one the RPC node has committed.
async fn trusted_block(rpc: &CometClient, url: &str, height: u64) -> Result<String, String> {
    let at = Height::try_from(height).map_err(|e| format!("height {height}: {e}"))?;
    let commit = rpc
        .commit(at)
        .await
        .map_err(|e| format!("{url}: commit at {height}: {e}"))?;
    match commit.signed_header.commit.block_id.hash {
        // Upper-case hex, as CometBFT's config takes `trust_hash`.
        hash @ tendermint::Hash::Sha256(_) => Ok(hash.to_string()),
        tendermint::Hash::None => Err(format!("{url}: the commit at {height} has no block hash")),
    }
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
    // tendermint-rpc's client is async; `join` is a one-shot command, so a small runtime of
    // its own runs the few calls it makes.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("the RPC client's runtime: {e}"))?;
    let source = runtime.block_on(source(&rpc, url))?;
    let genesis = runtime.block_on(fetch_genesis(&rpc, url))?;
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
            trust_hash: runtime.block_on(trusted_block(&rpc, url, trust_height))?,
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
