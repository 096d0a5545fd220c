//! Tessera's own protobuf APIs.
//!
//! - [`provider::v1`]: the gRPC service a provider serves to tenants (`tessera.provider.v1`).

pub mod provider {
    pub mod v1 {
        tonic::include_proto!("tessera.provider.v1");
    }
}
