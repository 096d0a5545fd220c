//! `tesserad`: Tessera's chain node.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tesserad::node::config::Home;
use tesserad::node::join;
use tesserad::node::run::{self, StartOptions};
use tesserad::node::testnet::{self, TestnetOptions};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "tesserad",
    version,
    about = "Tessera's chain node: the app behind CometBFT (ABCI 2.0), with the CosmWasm market contracts",
    after_help = "Examples:\n  \
        tesserad start --dev                 run a local one-validator dev chain (CometBFT included)\n  \
        tesserad init --home /srv/tessera    write the config of a node whose CometBFT you run yourself\n  \
        tesserad start --home /srv/tessera   serve ABCI on 127.0.0.1:26658 for that CometBFT\n  \
        tesserad testnet --validators 4 --output ./localnet   homes of a 4-validator network on loopback\n  \
        tesserad join --rpc http://10.0.0.5:26657 --state-sync --home ~/.tesserad   a node that joins a network"
)]
struct Cli {
    /// The node's home: config, state, and CometBFT's home when tesserad runs it.
    #[arg(long, global = true, env = "TESSERAD_HOME", default_value_os_t = Home::default_root())]
    home: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a home: `config/app.toml` (with `--dev`, the whole dev chain: keys, CometBFT
    /// config, genesis with the contracts and funded dev accounts).
    Init {
        #[arg(long)]
        dev: bool,
        /// The contract artifacts for the dev genesis.
        #[arg(long, default_value = "artifacts")]
        artifacts: PathBuf,
    },
    /// Run the node. With `--dev`: create the dev chain on first start, then run the app and
    /// a CometBFT child process together (about one block per second) until Ctrl-C. Without:
    /// serve ABCI for a CometBFT run separately.
    Start {
        #[arg(long)]
        dev: bool,
        /// The contract artifacts for the dev genesis (first `--dev` start only).
        #[arg(long, default_value = "artifacts")]
        artifacts: PathBuf,
    },
    /// Write the homes of a network on this machine: one genesis with every validator, the
    /// contracts and the funded dev accounts; distinct ports; every node the others' peer. Run
    /// each with `tesserad start --home OUTPUT/nodeI` (or scripts/localnet.sh).
    Testnet(TestnetArgs),
    /// Write the home of a node that joins a running network: its genesis and a peer come from
    /// a node's RPC; with `--state-sync` it restores a recent snapshot instead of replaying
    /// every block. Then `tesserad start --home HOME`.
    Join(JoinArgs),
    /// Shrink the state file to the pages it uses (the store reuses freed pages but never
    /// gives space back on its own). Stop the node first: it needs the file to itself.
    Compact,
    /// Print the version and what it is compatible with.
    Version,
}

#[derive(clap::Args)]
struct TestnetArgs {
    /// Validators (equal voting power; the set is fixed by genesis)
    #[arg(long, default_value_t = 4)]
    validators: u16,
    /// Non-validator full nodes (they follow and serve RPC and gRPC)
    #[arg(long, default_value_t = 0)]
    full_nodes: u16,
    /// Where the homes go (OUTPUT/node0, node1, …); must be empty or absent
    #[arg(long)]
    output: PathBuf,
    #[arg(long, default_value = "tessera-testnet-1")]
    chain_id: String,
    /// nodeI's ports are BASE+10·I+{0 p2p, 1 RPC, 2 ABCI, 3 gRPC, 4 metrics, 5 CometBFT metrics}
    #[arg(long, default_value_t = 36600)]
    base_port: u16,
    /// CometBFT's pause after each commit
    #[arg(long, default_value = "1s")]
    timeout_commit: String,
    /// Every node takes a state sync snapshot every this many blocks (0: none)
    #[arg(long, default_value_t = 100)]
    snapshot_interval: u64,
    /// The contract artifacts for the genesis
    #[arg(long, default_value = "artifacts")]
    artifacts: PathBuf,
}

#[derive(clap::Args)]
struct JoinArgs {
    /// A running node's CometBFT RPC (http://HOST:PORT); repeat it to give the state sync light
    /// client a second witness
    #[arg(long = "rpc", required = true)]
    rpc: Vec<String>,
    /// Restore a recent snapshot (trusting the RPC node's latest block), then block-sync
    #[arg(long)]
    state_sync: bool,
    /// Persistent peers ID@HOST:PORT, comma separated (default: the first RPC node)
    #[arg(long, value_delimiter = ',')]
    peers: Vec<String>,
    /// This node's ports: BASE+{0 p2p, 1 RPC, 2 ABCI, 3 gRPC, 4 metrics, 5 CometBFT metrics}
    #[arg(long, default_value_t = 26656)]
    base_port: u16,
    /// The address this node listens on (0.0.0.0 to be reachable from other machines)
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::IpAddr,
    #[arg(long, default_value = "tessera-node")]
    moniker: String,
    /// Take a state sync snapshot every this many blocks, for later joiners (0: none)
    #[arg(long, default_value_t = 0)]
    snapshot_interval: u64,
    /// CometBFT's pause after each commit (the network's validators set the pace)
    #[arg(long, default_value = "1s")]
    timeout_commit: String,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TESSERAD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let home = Home::new(cli.home);
    let result = match cli.command {
        Command::Init {
            dev: true,
            artifacts,
        } => run::init_dev(&home, &artifacts),
        Command::Init { dev: false, .. } => run::init(&home),
        Command::Start { dev, artifacts } => run::start(StartOptions {
            home,
            dev,
            artifacts,
        }),
        Command::Testnet(args) => testnet(args),
        Command::Join(args) => join::join(&join::JoinOptions {
            home,
            rpc: args.rpc,
            peers: args.peers,
            state_sync: args.state_sync,
            base_port: args.base_port,
            host: args.host,
            moniker: args.moniker,
            snapshot_interval: args.snapshot_interval,
            timeout_commit: args.timeout_commit,
        }),
        Command::Compact => compact(&home),
        Command::Version => {
            println!(
                "tesserad {} (ABCI 2.0 for CometBFT 0.38, tested with {}; cosmwasm-vm 3.0.10)",
                env!("CARGO_PKG_VERSION"),
                tesserad::node::cometbft::COMETBFT_VERSION
            );
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tesserad: {e}");
            ExitCode::FAILURE
        }
    }
}

fn testnet(args: TestnetArgs) -> Result<(), String> {
    let nodes = testnet::testnet(&TestnetOptions {
        output: args.output.clone(),
        validators: args.validators,
        full_nodes: args.full_nodes,
        chain_id: args.chain_id.clone(),
        base_port: args.base_port,
        timeout_commit: args.timeout_commit,
        snapshot_interval: args.snapshot_interval,
        artifacts: args.artifacts,
    })?;
    println!(
        "wrote {} nodes of {} in {} (the dev accounts are funded: chain-config/dev-accounts.json)",
        nodes.len(),
        args.chain_id,
        args.output.display()
    );
    for node in &nodes {
        let p = node.ports;
        println!(
            "  {:<7} {:<9} home {}\n          RPC http://127.0.0.1:{}  gRPC 127.0.0.1:{}  metrics http://127.0.0.1:{}/metrics  p2p {}",
            node.name,
            if node.validator { "validator" } else { "full node" },
            node.home.display(),
            p.rpc,
            p.grpc,
            p.metrics,
            p.p2p
        );
    }
    println!("start each with `tesserad start --home HOME`, or all with scripts/localnet.sh start");
    Ok(())
}

fn compact(home: &Home) -> Result<(), String> {
    let path = home.state_file();
    if !path.exists() {
        return Err(format!("no state at {}", path.display()));
    }
    let (before, after) = tessera_store::Store::compact_file(&path)
        .map_err(|e| format!("{}: {e} (is the node still running?)", path.display()))?;
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    println!(
        "{}: {:.1} MiB → {:.1} MiB",
        path.display(),
        mib(before),
        mib(after)
    );
    Ok(())
}
