//! The `tesserad` process: its home and config, the ABCI server, metrics, and CometBFT as a
//! child process for the dev chain.

pub mod cometbft;
pub mod config;
pub mod dev;
pub mod join;
pub mod run;
pub mod testnet;
