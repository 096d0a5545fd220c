//! Network front ends of the app: the ABCI server CometBFT drives.

pub mod abci;
