//! `tesserad testnet`: the homes of a network of validators (and full nodes) on one machine.
//! One genesis lists every validator with the dev contracts and funded dev accounts; each node
//! gets its own ports, CometBFT keys and the others as persistent peers, and runs its
//! CometBFT as a child (`tesserad start --home DIR/nodeI`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use super::cometbft::{self, ValidatorKey};
use super::config::{Config, Home};
use super::dev;

/// Every validator's voting power: equal, so any 3 of 4 are more than two thirds.
const VALIDATOR_POWER: u64 = 10;

/// Ports a node takes, from `base_port + index * PORTS_PER_NODE`.
pub const PORTS_PER_NODE: u16 = 10;

pub struct TestnetOptions {
    pub output: PathBuf,
    pub validators: u16,
    pub full_nodes: u16,
    pub chain_id: String,
    /// The first node's first port; see [`NodePorts`].
    pub base_port: u16,
    /// CometBFT's pause after each commit (sets the block interval).
    pub timeout_commit: String,
    /// Every node takes a state sync snapshot every this many blocks (0: none).
    pub snapshot_interval: u64,
    pub artifacts: PathBuf,
}

/// One node's listen ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodePorts {
    pub p2p: u16,
    pub rpc: u16,
    pub abci: u16,
    pub grpc: u16,
    pub metrics: u16,
    pub prometheus: u16,
}

impl NodePorts {
    /// `base`, `base+1`, …: p2p, RPC, ABCI, gRPC, app metrics, CometBFT metrics.
    pub fn from_base(base: u16) -> Self {
        Self {
            p2p: base,
            rpc: base + 1,
            abci: base + 2,
            grpc: base + 3,
            metrics: base + 4,
            prometheus: base + 5,
        }
    }

    /// A node's config with these ports on `host`, running its CometBFT as a child.
    pub fn config(&self, host: IpAddr) -> Config {
        let at = |port| SocketAddr::new(host, port);
        let mut config = Config::default();
        config.abci.address = ([127, 0, 0, 1], self.abci).into();
        config.cometbft.run_child = true;
        config.cometbft.p2p_address = format!("tcp://{}", at(self.p2p));
        config.cometbft.rpc_address = format!("tcp://{}", at(self.rpc));
        config.cometbft.prometheus_address = at(self.prometheus).to_string();
        config.grpc.address = at(self.grpc);
        config.metrics.address = at(self.metrics);
        config
    }
}

/// What `testnet` wrote for one node.
pub struct NodeSummary {
    pub name: String,
    pub home: PathBuf,
    pub validator: bool,
    pub ports: NodePorts,
}

fn check(options: &TestnetOptions) -> Result<(), String> {
    if options.validators == 0 {
        return Err("--validators: a network needs at least one validator".into());
    }
    let nodes = u32::from(options.validators) + u32::from(options.full_nodes);
    let last_port = u32::from(options.base_port) + nodes * u32::from(PORTS_PER_NODE);
    if options.base_port < 1024 || last_port > u32::from(u16::MAX) {
        return Err(format!(
            "--base-port {}: {nodes} nodes take ports {}..{last_port}, which must lie in 1024..65535",
            options.base_port, options.base_port
        ));
    }
    if options.chain_id.is_empty() || options.chain_id.len() > 50 {
        return Err(format!(
            "--chain-id {:?}: 1 to 50 characters",
            options.chain_id
        ));
    }
    if dir_has_entries(&options.output) {
        return Err(format!(
            "{} is not empty; pick a new --output so no chain is overwritten",
            options.output.display()
        ));
    }
    Ok(())
}

fn dir_has_entries(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some())
}

/// Writes the homes and returns what each node is; nothing is started.
pub fn testnet(options: &TestnetOptions) -> Result<Vec<NodeSummary>, String> {
    check(options)?;
    let app_state = dev::dev_app_state(&options.artifacts)?;
    let binary = cometbft::find_binary(&Config::default().cometbft.binary)?;
    cometbft::check_version(&binary)?;

    let total = options.validators + options.full_nodes;
    let mut nodes = Vec::new();
    let mut validator_keys: Vec<(String, ValidatorKey)> = Vec::new();
    let mut peers = Vec::new();
    for index in 0..total {
        let name = format!("node{index}");
        let home = Home::new(options.output.join(&name));
        let ports = NodePorts::from_base(options.base_port + index * PORTS_PER_NODE);
        let mut config = ports.config(IpAddr::V4(Ipv4Addr::LOCALHOST));
        config.cometbft.timeout_commit = options.timeout_commit.clone();
        config.state_sync.snapshot_interval = options.snapshot_interval;
        let config_file = home.config_file();
        std::fs::create_dir_all(config_file.parent().expect("config dir"))
            .map_err(|e| format!("{}: {e}", home.root.display()))?;
        config.write(&config_file)?;
        cometbft::init_home(&binary, &home)?;
        cometbft::configure(&home, &config, &name)?;
        let validator = index < options.validators;
        if validator {
            validator_keys.push((name.clone(), cometbft::validator_key(&home)?));
        }
        peers.push(format!(
            "{}@127.0.0.1:{}",
            cometbft::node_id(&binary, &home)?,
            ports.p2p
        ));
        nodes.push(NodeSummary {
            name,
            home: home.root,
            validator,
            ports,
        });
    }

    // node0's genesis (with the chain id, app state and gas limit) is everyone's, with every
    // validator in it. Full nodes' own consensus keys are never in it: they only follow.
    let first = Home::new(&nodes[0].home);
    cometbft::write_genesis(&first, &options.chain_id, app_state)?;
    let genesis = cometbft::network_genesis(
        &cometbft::read_genesis(&first)?,
        &validator_keys,
        VALIDATOR_POWER,
    );
    for (index, node) in nodes.iter().enumerate() {
        let home = Home::new(&node.home);
        cometbft::replace_genesis(&home, &genesis)?;
        let others: Vec<String> = peers
            .iter()
            .enumerate()
            .filter(|(other, _)| *other != index)
            .map(|(_, peer)| peer.clone())
            .collect();
        cometbft::set_peers(&home, &others, true)?;
    }
    Ok(nodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(output: PathBuf) -> TestnetOptions {
        TestnetOptions {
            output,
            validators: 4,
            full_nodes: 1,
            chain_id: "tessera-testnet-1".into(),
            base_port: 36600,
            timeout_commit: "1s".into(),
            snapshot_interval: 0,
            artifacts: PathBuf::from("artifacts"),
        }
    }

    #[test]
    fn ports_do_not_overlap_between_nodes() {
        let a = NodePorts::from_base(36600);
        let b = NodePorts::from_base(36600 + PORTS_PER_NODE);
        let a_ports = [a.p2p, a.rpc, a.abci, a.grpc, a.metrics, a.prometheus];
        assert!(a_ports.iter().all(|p| *p < b.p2p));
        assert_eq!(a_ports.len(), 6);
    }

    #[test]
    fn impossible_networks_are_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("net");
        let err = check(&TestnetOptions {
            validators: 0,
            ..options(out.clone())
        })
        .unwrap_err();
        assert!(err.contains("at least one validator"), "{err}");
        let err = check(&TestnetOptions {
            base_port: 65500,
            ..options(out.clone())
        })
        .unwrap_err();
        assert!(err.contains("--base-port 65500"), "{err}");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("x"), "").unwrap();
        let err = check(&options(out.clone())).unwrap_err();
        assert!(err.contains("not empty"), "{err}");
        assert!(!out.join("node0").exists());
    }
}
