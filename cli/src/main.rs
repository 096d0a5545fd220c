//! `tessera`: the command line for Tessera tenants, providers, voters and CI pipelines, in the
//! habits of wasmd and akash (`keys`, `tx`, `query`, `deployment`, `market`, `lease`,
//! `provider`, `gov`) plus `job run`, the whole tenant flow in one command.

mod cmd;
mod context;
mod output;
mod parse;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use context::{Context, GlobalArgs};

#[derive(Parser, Debug)]
#[command(
    name = "tessera",
    version,
    about = "Tessera: an open market for GPU compute",
    long_about = "Tessera: an open market for GPU compute.\n\n\
        Tenants post a manifest with a deposit, providers bid, the winner runs the job and \
        attests its work on chain. This command manages keys, sends txs and reads the chain.",
    after_help = "Examples:\n  \
        tessera keys add alice --recover --keyring-backend test\n  \
        tessera query bank balances alice\n  \
        tessera deployment create examples/render.yaml --deposit 5tsr --from alice\n  \
        tessera job run examples/render.yaml --out out/ --from alice\n\n\
        Every flag can also be set by environment variable, e.g. TESSERA_NODE, TESSERA_FROM, \
        TESSERA_KEYRING_BACKEND, TESSERA_OUTPUT."
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Manage keys: add, list, show, delete, export, import
    #[command(subcommand)]
    Keys(cmd::keys::KeysCmd),
    /// Sign and send txs of the chain's native modules
    #[command(subcommand)]
    Tx(cmd::bank::TxCmd),
    /// Read the chain's native modules
    #[command(subcommand, visible_alias = "q")]
    Query(cmd::bank::QueryCmd),
    /// Create, top up, update, close and inspect deployments
    #[command(subcommand)]
    Deployment(cmd::deployment::DeploymentCmd),
    /// The auction: orders, bids, accepting a bid
    #[command(subcommand)]
    Market(cmd::market::MarketCmd),
    /// Leases: list, show, follow on chain, close
    #[command(subcommand)]
    Lease(cmd::lease::LeaseCmd),
    /// Register a provider, manage its bond, inspect providers
    #[command(subcommand)]
    Provider(cmd::provider::ProviderCmd),
    /// Stake, propose, vote, tally and execute governance proposals
    #[command(subcommand)]
    Gov(cmd::gov::GovCmd),
    /// Check a manifest, print its hash and the deployment groups it asks for
    #[command(subcommand)]
    Manifest(cmd::manifest::ManifestCmd),
    /// The whole tenant flow in one command
    #[command(subcommand)]
    Job(cmd::job::JobCmd),
    /// The node's chain id, height and version
    Status,
    /// Print shell completions (bash, zsh, fish, powershell, elvish)
    Completions { shell: clap_complete::Shell },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    if let Command::Completions { shell } = cli.command {
        clap_complete::generate(
            shell,
            &mut Cli::command(),
            "tessera",
            &mut std::io::stdout(),
        );
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("Error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let ctx = Context::new(cli.global);
    match runtime.block_on(run(&ctx, cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            ctx.out.error(&e);
            ExitCode::FAILURE
        }
    }
}

async fn run(ctx: &Context, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Keys(c) => cmd::keys::run(ctx, c),
        Command::Tx(c) => cmd::bank::run_tx(ctx, c).await,
        Command::Query(c) => cmd::bank::run_query(ctx, c).await,
        Command::Deployment(c) => cmd::deployment::run(ctx, c).await,
        Command::Market(c) => cmd::market::run(ctx, c).await,
        Command::Lease(c) => cmd::lease::run(ctx, c).await,
        Command::Provider(c) => cmd::provider::run(ctx, c).await,
        Command::Gov(c) => cmd::gov::run(ctx, c).await,
        Command::Manifest(c) => cmd::manifest::run(ctx, c),
        Command::Job(c) => cmd::job::run(ctx, c).await,
        Command::Status => cmd::bank::status(ctx).await,
        Command::Completions { .. } => Ok(()),
    }
}

/// Logs go to stderr and are off unless `TESSERA_LOG` asks (stdout is for results).
fn init_logging() {
    if let Ok(filter) = std::env::var("TESSERA_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .try_init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_tree_is_consistent() {
        Cli::command().debug_assert();
    }
}
