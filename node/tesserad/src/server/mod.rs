//! Network front ends of the app: ABCI for CometBFT, gRPC for clients.

pub mod abci;
mod chain_answers;
pub mod comet_client;
pub mod grpc;
pub mod socket;
