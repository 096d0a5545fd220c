//! Network front ends of the app: ABCI for CometBFT, gRPC for clients.

pub mod abci;
pub mod comet_rpc;
pub mod grpc;
mod grpc_answers;
pub mod socket;
