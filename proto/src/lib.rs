//! Tessera's own protobuf APIs.
//!
//! - [`provider::v1`]: the gRPC service a provider serves to tenants (`tessera.provider.v1`).
//! - [`raw_codec::RawCodec`]: protobuf bytes through a gRPC method unchanged.

pub mod raw_codec;

pub mod provider {
    pub mod v1 {
        tonic::include_proto!("tessera.provider.v1");
    }
}
