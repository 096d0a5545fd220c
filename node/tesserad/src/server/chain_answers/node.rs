//! `GetNodeInfo` and `GetSyncing`, from CometBFT's `status`.

use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1 as tm_pb;
use cosmos_sdk_proto::tendermint::p2p::{DefaultNodeInfo, DefaultNodeInfoOther, ProtocolVersion};
use tendermint::node::info::TxIndexStatus;
use tendermint_rpc::endpoint::status;
use tonic::Status;

use crate::server::comet_client::{CometClient, CometError};

pub async fn node_info(comet: &CometClient) -> Result<tm_pb::GetNodeInfoResponse, Status> {
    let status = comet.status().await?;
    Ok(node_info_of(status)?)
}

pub async fn syncing(comet: &CometClient) -> Result<tm_pb::GetSyncingResponse, Status> {
    let status = comet.status().await?;
    Ok(tm_pb::GetSyncingResponse {
        syncing: status.sync_info.catching_up,
    })
}

/// cosmpy and cw-orch read the chain id from `default_node_info.network`.
fn node_info_of(status: status::Response) -> Result<tm_pb::GetNodeInfoResponse, CometError> {
    let info = status.node_info;
    // tendermint keeps the channels as CometBFT prints them (hex); the SDK's message has bytes.
    let channels = hex_decode(&info.channels.to_string()).ok_or_else(|| CometError::Malformed {
        method: "status",
        detail: format!(
            "node_info.channels {:?} is not hex",
            info.channels.to_string()
        ),
    })?;
    Ok(tm_pb::GetNodeInfoResponse {
        default_node_info: Some(DefaultNodeInfo {
            protocol_version: Some(ProtocolVersion {
                p2p: info.protocol_version.p2p,
                block: info.protocol_version.block,
                app: info.protocol_version.app,
            }),
            default_node_id: info.id.to_string(),
            listen_addr: info.listen_addr.to_string(),
            network: info.network.to_string(),
            version: info.version.to_string(),
            channels,
            moniker: info.moniker.to_string(),
            other: Some(DefaultNodeInfoOther {
                tx_index: match info.other.tx_index {
                    TxIndexStatus::On => "on".into(),
                    TxIndexStatus::Off => "off".into(),
                },
                rpc_address: info.other.rpc_address,
            }),
        }),
        application_version: Some(tm_pb::VersionInfo {
            name: "tessera".into(),
            app_name: "tesserad".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            // Clients (cosmpy) parse this as the SDK version they talk to; tesserad answers
            // the SDK 0.50 interfaces.
            cosmos_sdk_version: "v0.50.0".into(),
            ..Default::default()
        }),
    })
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::chain_answers::fake_comet::{self, STATUS};

    #[tokio::test]
    async fn node_info_carries_the_chain_id_and_every_field_of_cometbfts_status() {
        let comet = fake_comet::serve(&[("status", Ok(STATUS))]);
        let info = node_info(&comet).await.unwrap();
        let node = info.default_node_info.unwrap();
        assert_eq!(node.network, "tessera-dev");
        assert_eq!(node.version, "0.38.17");
        assert_eq!(
            node.default_node_id,
            "3c8e0f3a1bfbb6b1c6a1ea3bc9f3c0a6c9cf5e36"
        );
        assert_eq!(node.channels, vec![0x40, 0x20, 0x21, 0x22]);
        assert_eq!(node.other.unwrap().tx_index, "on");
        assert_eq!(
            info.application_version.unwrap().cosmos_sdk_version,
            "v0.50.0"
        );
        assert!(!syncing(&comet).await.unwrap().syncing);
    }

    #[tokio::test]
    async fn a_status_without_a_network_is_an_error_not_an_empty_chain_id() {
        let without_network = STATUS.replace(r#""network": "tessera-dev","#, "");
        let comet = fake_comet::serve(&[("status", Ok(without_network.as_str()))]);
        let err = node_info(&comet).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::Internal, "{err}");
        assert!(err.message().contains("malformed"), "{err}");
    }

    #[test]
    fn channels_that_are_not_hex_are_refused() {
        assert_eq!(hex_decode("40202122"), Some(vec![0x40, 0x20, 0x21, 0x22]));
        assert_eq!(hex_decode("4"), None);
        assert_eq!(hex_decode("zz"), None);
    }
}
