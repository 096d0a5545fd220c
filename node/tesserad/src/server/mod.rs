//! Network front ends of the app: ABCI for CometBFT.

pub mod abci;
pub mod socket;
