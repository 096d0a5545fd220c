//! Global flags and what they open: the keyring, the node, the contracts, a signer, tx options.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use clap::Args;
use cosmwasm_std::Decimal;
use tessera_client::coin::{parse_coin, GasPrice};
use tessera_client::contracts::{ContractSigner, Contracts, Tessera};
use tessera_client::keys::{Backend, Keyring, PasswordPurpose, PasswordSource};
use tessera_client::node::Node;
use tessera_client::tx::{Gas, Signer, TxOptions};
use zeroize::Zeroizing;

use crate::output::{Format, Output};

#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Directory of the keyrings
    #[arg(long, global = true, env = "TESSERA_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// CometBFT RPC endpoint of a node
    #[arg(
        long,
        global = true,
        env = "TESSERA_NODE",
        default_value = "http://127.0.0.1:26657"
    )]
    pub node: String,
    /// Cosmos gRPC endpoint (e.g. 127.0.0.1:9090): queries, simulation, broadcast and tx
    /// lookup go there instead of --node (following blocks still uses --node)
    #[arg(long, global = true, env = "TESSERA_GRPC", value_name = "HOST:PORT")]
    pub grpc: Option<String>,
    /// Chain id to sign for; refused if the node serves another chain (default: the node's)
    #[arg(long, global = true, env = "TESSERA_CHAIN_ID")]
    pub chain_id: Option<String>,
    /// Key name or address that signs
    #[arg(long, global = true, env = "TESSERA_FROM", value_name = "KEY")]
    pub from: Option<String>,
    /// Where keys live: file (encrypted), test (plain files, dev only), memory
    #[arg(
        long,
        global = true,
        env = "TESSERA_KEYRING_BACKEND",
        default_value = "file"
    )]
    pub keyring_backend: Backend,
    /// Gas limit: auto (simulate, then times --gas-adjustment) or a number
    #[arg(long, global = true, env = "TESSERA_GAS", default_value = "auto")]
    pub gas: Gas,
    /// Multiplier of the simulated gas with --gas auto
    #[arg(long, global = true, env = "TESSERA_GAS_ADJUSTMENT", default_value = "1.3", value_parser = crate::parse::decimal)]
    pub gas_adjustment: Decimal,
    /// Price per unit of gas; the fee is gas × price, rounded up
    #[arg(
        long,
        global = true,
        env = "TESSERA_GAS_PRICES",
        default_value = "0.025utsr"
    )]
    pub gas_prices: GasPrice,
    /// A fixed fee instead of gas × --gas-prices (e.g. 5000utsr)
    #[arg(long, global = true, env = "TESSERA_FEES")]
    pub fees: Option<String>,
    /// Memo (note) attached to txs
    #[arg(long, global = true, default_value = "")]
    pub note: String,
    /// Seconds to wait for a tx to commit
    #[arg(long, global = true, env = "TESSERA_TX_TIMEOUT", default_value_t = 30)]
    pub tx_timeout: u64,
    /// Output format
    #[arg(
        long,
        short = 'o',
        global = true,
        env = "TESSERA_OUTPUT",
        default_value = "text"
    )]
    pub output: Format,
    /// Market contract address (default: found on chain by its label)
    #[arg(long, global = true, env = "TESSERA_MARKET")]
    pub market: Option<String>,
    /// Registry contract address (default: found on chain by its label)
    #[arg(long, global = true, env = "TESSERA_REGISTRY")]
    pub registry: Option<String>,
    /// Governance contract address (default: found on chain by its label)
    #[arg(long, global = true, env = "TESSERA_GOVERNANCE")]
    pub governance: Option<String>,
}

pub struct Context {
    pub args: GlobalArgs,
    pub out: Output,
}

/// A signer together with the chain's contracts.
pub struct Session {
    pub chain: Tessera,
    pub signer: Signer,
}

impl Session {
    pub fn contracts(&self) -> ContractSigner<'_> {
        ContractSigner {
            signer: &self.signer,
            contracts: &self.chain.contracts,
        }
    }
}

impl Context {
    pub fn new(args: GlobalArgs) -> Self {
        let out = Output::new(args.output);
        Self { args, out }
    }

    pub fn home(&self) -> Result<PathBuf> {
        if let Some(home) = &self.args.home {
            return Ok(home.clone());
        }
        let user_home =
            std::env::var_os("HOME").context("HOME is not set; pass --home or set TESSERA_HOME")?;
        Ok(PathBuf::from(user_home).join(".tessera"))
    }

    pub fn keyring(&self) -> Result<Keyring> {
        Ok(Keyring::open(
            self.args.keyring_backend,
            &self.home()?,
            Some(password_source()),
        ))
    }

    pub fn node(&self) -> Result<Node> {
        let node = Node::connect(&self.args.node)?;
        Ok(match &self.args.grpc {
            Some(endpoint) => node.with_grpc(endpoint)?,
            None => node,
        })
    }

    /// The node and the contracts on its chain.
    pub async fn chain(&self) -> Result<Tessera> {
        let known = Contracts {
            market: self.args.market.clone().unwrap_or_default(),
            registry: self.args.registry.clone().unwrap_or_default(),
            governance: self.args.governance.clone().unwrap_or_default(),
        };
        Ok(Tessera::connect(self.node()?, known).await?)
    }

    /// The `--from` key, bound to the node and checked against `--chain-id`.
    pub async fn session(&self) -> Result<Session> {
        let chain = self.chain().await?;
        let Some(from) = self.args.from.as_deref() else {
            bail!("no signing key: pass --from KEY (or set TESSERA_FROM)");
        };
        let signer = self.signer_as(from, chain.node.clone()).await?;
        Ok(Session { chain, signer })
    }

    /// The key `from` bound to `node`, checked against `--chain-id`.
    pub async fn signer_as(&self, from: &str, node: Node) -> Result<Signer> {
        let key = self.keyring()?.key(from)?;
        let served = node.status().await?.chain_id;
        if let Some(wanted) = &self.args.chain_id {
            if *wanted != served {
                bail!(
                    "--chain-id is {wanted}, but the node at {} serves {served}",
                    node.url()
                );
            }
        }
        Ok(Signer::new(node, key, Some(served))
            .await?
            .with_notice(self.out.retry_notice()))
    }

    /// The address a name or address argument stands for: an address as is, a key's address.
    pub fn address_of(&self, name_or_address: &str) -> Result<String> {
        if name_or_address.starts_with("tessera1") {
            return Ok(name_or_address.to_string());
        }
        Ok(self.keyring()?.show(name_or_address)?.address)
    }

    /// The `--from` key's address, for commands that default to "mine".
    pub fn signer_address(&self) -> Result<String> {
        match self.args.from.as_deref() {
            Some(from) => self.address_of(from),
            None => bail!("no account given: pass one, or --from KEY"),
        }
    }

    pub fn tx_options(&self) -> Result<TxOptions> {
        let gas = match self.args.gas {
            Gas::Auto { .. } => Gas::Auto {
                adjustment: self.args.gas_adjustment,
            },
            fixed => fixed,
        };
        Ok(TxOptions {
            gas,
            gas_price: self.args.gas_prices.clone(),
            fees: self.args.fees.as_deref().map(parse_coin).transpose()?,
            memo: self.args.note.clone(),
            timeout: Duration::from_secs(self.args.tx_timeout),
        })
    }
}

/// The `file` keyring's password: `TESSERA_KEYRING_PASSWORD`, else a prompt on a terminal.
fn password_source() -> PasswordSource {
    Box::new(|purpose| {
        if let Ok(password) = std::env::var("TESSERA_KEYRING_PASSWORD") {
            return Ok(Zeroizing::new(password));
        }
        if !std::io::stdin().is_terminal() {
            return Err(
                "set TESSERA_KEYRING_PASSWORD, or run in a terminal to be asked; \
                 dev chains may use --keyring-backend test"
                    .into(),
            );
        }
        let first = Zeroizing::new(
            rpassword::prompt_password("Keyring password: ").map_err(|e| e.to_string())?,
        );
        if purpose == PasswordPurpose::New {
            let again = Zeroizing::new(
                rpassword::prompt_password("Repeat the password: ").map_err(|e| e.to_string())?,
            );
            if *again != *first {
                return Err("the passwords differ".into());
            }
        }
        Ok(first)
    })
}
