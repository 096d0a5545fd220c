//! The Tessera client library: what the `tessera` CLI, the provider daemon and CI tools use to
//! talk to a chain.
//!
//! - [`keys`]: BIP-39 mnemonics, keys on the Cosmos HD path, `file` / `test` / `memory` keyrings
//! - [`node::Node`]: status, queries, simulate, broadcast, wait for a tx, over CometBFT's RPC
//!   or the node's Cosmos gRPC (`transport/`: one `Transport` trait, one file per transport);
//!   what it answers in [`chain_types`] (also re-exported from [`node`])
//! - [`tx`]: messages, `--gas auto` through Simulate, fees, SIGN_MODE_DIRECT signing
//! - [`contracts`]: the market, registry and governance contracts as typed calls and queries
//! - [`provider_api`]: a provider's gRPC API, requests signed by the lease owner
//!   ([`provider_auth`]), outputs verified leaf by leaf against the attested Merkle root
//! - [`transport_identity`]: the provider's TLS certificate pinned by the fingerprint in its
//!   registry record; self-signed certificates and the server TLS config for providers
//! - [`tenant_secret`]: the sampling secret a deployment commits to, derived from the tenant's key
//! - [`outputs`]: a job's leaves verified, then assembled into files by `tessera-kernels`
//! - [`events::BlockFollower`]: every block's events, in order, resuming where it stopped
//! - [`manifest`]: deployment manifests (re-exported from `tessera-manifest`)
//!
//! ```no_run
//! # async fn demo() -> tessera_client::Result<()> {
//! use tessera_client::{contracts::{Contracts, Tessera}, node::Node};
//! let chain = Tessera::connect(Node::connect("http://127.0.0.1:26657")?, Contracts::default()).await?;
//! let params = chain.market_params().await?;
//! println!("take rate {} bps", params.take_rate_bps);
//! # Ok(()) }
//! ```

pub mod chain_types;
pub mod coin;
pub mod contracts;
pub mod error;
pub mod events;
pub mod keys;
pub mod node;
pub mod outputs;
pub mod provider_api;
pub mod provider_auth;
pub mod tenant_secret;
mod transport;
pub mod transport_identity;
pub mod tx;

pub use error::{Error, Result};
pub use tessera_api as api;
pub use tessera_manifest as manifest;
