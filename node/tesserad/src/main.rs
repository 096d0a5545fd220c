//! `tesserad`: Tessera's chain node.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tesserad::node::config::Home;
use tesserad::node::run::{self, StartOptions};

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
        tesserad start --home /srv/tessera   serve ABCI on 127.0.0.1:26658 for that CometBFT"
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
    /// Print the version and what it is compatible with.
    Version,
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
