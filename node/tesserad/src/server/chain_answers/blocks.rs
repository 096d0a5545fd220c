//! `GetLatestBlock`, `GetBlockByHeight` and `cosmos.consensus.v1.Query/Params`, from
//! CometBFT's `block`, `status` and `consensus_params`.

use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1 as tm_pb;
use cosmos_sdk_proto::prost::Message;
use cosmos_sdk_proto::tendermint::types::{Block, BlockId, ConsensusParams, Header};
use tendermint::block::Height;
use tendermint_rpc::endpoint::block;
use tonic::Status;

use super::{bad_request, upper_hex};
use crate::server::comet_client::{CometClient, CometError};

pub async fn latest_block(comet: &CometClient) -> Result<tm_pb::GetLatestBlockResponse, Status> {
    let (block_id, block, sdk_block) = block_answer(comet.block(None).await?);
    #[allow(deprecated)] // `block`: the SDK still fills it for older clients.
    Ok(tm_pb::GetLatestBlockResponse {
        block_id: Some(block_id),
        block: Some(block),
        sdk_block: Some(sdk_block),
    })
}

pub async fn block_by_height(
    comet: &CometClient,
    request: &[u8],
) -> Result<tm_pb::GetBlockByHeightResponse, Status> {
    let req = tm_pb::GetBlockByHeightRequest::decode(request).map_err(bad_request)?;
    let height = Height::try_from(req.height)
        .ok()
        .filter(|h| h.value() > 0)
        .ok_or_else(|| {
            Status::invalid_argument(format!("block height {} is not positive", req.height))
        })?;
    let found = match comet.block(Some(height)).await {
        Ok(found) => found,
        Err(refused @ CometError::Refused { .. }) => {
            return Err(not_stored_or(comet, height, refused).await)
        }
        Err(e) => return Err(e.into()),
    };
    let (block_id, block, sdk_block) = block_answer(found);
    #[allow(deprecated)] // `block`: the SDK still fills it for older clients.
    Ok(tm_pb::GetBlockByHeightResponse {
        block_id: Some(block_id),
        block: Some(block),
        sdk_block: Some(sdk_block),
    })
}

/// Why CometBFT refused the block at `height`. CometBFT gives every such refusal the same
/// JSON-RPC code, so its stored range (from `status`) decides: outside it the block is
/// `NotFound` (not produced yet, or before the first block of a node that state-synced);
/// inside it the refusal is passed on as it is.
async fn not_stored_or(comet: &CometClient, height: Height, refused: CometError) -> Status {
    let Ok(status) = comet.status().await else {
        return refused.into();
    };
    let earliest = status.sync_info.earliest_block_height;
    let latest = status.sync_info.latest_block_height;
    if height > latest || height < earliest {
        Status::not_found(format!(
            "block {height} is not stored: this node has blocks {earliest} to {latest}"
        ))
    } else {
        refused.into()
    }
}

/// The block's id, the block as tendermint-proto's message, and the same block with the SDK's
/// header (whose `proposer_address` is a string).
fn block_answer(found: block::Response) -> (BlockId, Block, tm_pb::Block) {
    let block_id = BlockId::from(found.block_id);
    let block = Block::from(found.block);
    let sdk_block = tm_pb::Block {
        header: block.header.clone().map(sdk_header),
        data: block.data.clone(),
        evidence: block.evidence.clone(),
        last_commit: block.last_commit.clone(),
    };
    (block_id, block, sdk_block)
}

/// The SDK's copy of the header. The proposer is written as CometBFT prints addresses
/// (upper-case hex), as tesserad always has: it has no validator operator addresses to bech32.
fn sdk_header(h: Header) -> tm_pb::Header {
    tm_pb::Header {
        version: h.version,
        chain_id: h.chain_id,
        height: h.height,
        time: h.time,
        last_block_id: h.last_block_id,
        last_commit_hash: h.last_commit_hash,
        data_hash: h.data_hash,
        validators_hash: h.validators_hash,
        next_validators_hash: h.next_validators_hash,
        consensus_hash: h.consensus_hash,
        app_hash: h.app_hash,
        last_results_hash: h.last_results_hash,
        evidence_hash: h.evidence_hash,
        proposer_address: upper_hex(&h.proposer_address),
    }
}

/// `cosmos.consensus.v1.Query/Params`: CometBFT's consensus params in force (clients cap gas
/// estimates at `block.max_gas`), encoded as the SDK's `QueryParamsResponse`.
pub async fn consensus_params(comet: &CometClient) -> Result<Vec<u8>, Status> {
    let found = comet.consensus_params().await?;
    Ok(params_response(&ConsensusParams::from(
        found.consensus_params,
    )))
}

/// `QueryParamsResponse { params = 1 }`, by hand: cosmos-sdk-proto has no `cosmos.consensus`
/// module, and the message is one length-delimited field around tendermint's params.
fn params_response(params: &ConsensusParams) -> Vec<u8> {
    let inner = params.encode_to_vec();
    let mut out = vec![0x0a];
    cosmos_sdk_proto::prost::encoding::encode_varint(inner.len() as u64, &mut out);
    out.extend(inner);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::chain_answers::fake_comet::{self, BLOCK, CONSENSUS_PARAMS, STATUS};

    /// CometBFT 0.38's refusal of a height it has not reached.
    const PAST_THE_TIP: &str = r#"{"code":-32603,"message":"Internal error","data":"height 1000 must be less than or equal to the current blockchain height 12"}"#;

    fn by_height(height: i64) -> Vec<u8> {
        tm_pb::GetBlockByHeightRequest { height }.encode_to_vec()
    }

    #[tokio::test]
    async fn the_latest_block_comes_with_its_id_header_txs_and_last_commit() {
        let comet = fake_comet::serve(&[("block", Ok(BLOCK))]);
        let answer = latest_block(&comet).await.unwrap();
        assert_eq!(
            upper_hex(&answer.block_id.unwrap().hash),
            "7BB546CF57B8FEABA81B27F5266A53D1235AB28224A0D3B55FB21E8CCE20CD16"
        );
        let block = answer.sdk_block.unwrap();
        let header = block.header.unwrap();
        assert_eq!(
            (header.chain_id.as_str(), header.height),
            ("tessera-dev", 31)
        );
        let time = header.time.unwrap();
        assert_eq!(time.nanos, 221_067_825);
        assert_eq!(
            header.proposer_address,
            "618E0172F8085FA409D3B866073CF6F1D01431FB"
        );
        assert_eq!(block.data.unwrap().txs, vec![b"name=satoshi".to_vec()]);
        assert_eq!(block.last_commit.unwrap().height, 30);
        #[allow(deprecated)]
        let tm_header = answer.block.unwrap().header.unwrap();
        assert_eq!(tm_header.proposer_address.len(), 20);
    }

    #[tokio::test]
    async fn a_block_past_the_tip_is_not_found() {
        let comet = fake_comet::serve(&[("block", Err(PAST_THE_TIP)), ("status", Ok(STATUS))]);
        let err = block_by_height(&comet, &by_height(1000)).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::NotFound, "{err}");
        assert!(err.message().contains("blocks 1 to 12"), "{err}");
    }

    #[tokio::test]
    async fn a_refusal_for_a_stored_height_is_not_called_not_found() {
        let comet = fake_comet::serve(&[("block", Err(PAST_THE_TIP)), ("status", Ok(STATUS))]);
        let err = block_by_height(&comet, &by_height(5)).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::Unknown, "{err}");
    }

    #[tokio::test]
    async fn height_zero_is_an_invalid_argument() {
        let comet = fake_comet::serve(&[]);
        let err = block_by_height(&comet, &by_height(0)).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument, "{err}");
    }

    #[tokio::test]
    async fn a_block_without_its_header_is_an_error_not_an_empty_header() {
        let headless = BLOCK.replacen(r#""header""#, r#""no_header""#, 1);
        let comet = fake_comet::serve(&[("block", Ok(headless.as_str()))]);
        let err = latest_block(&comet).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::Internal, "{err}");
    }

    #[tokio::test]
    async fn consensus_params_answer_as_the_sdks_query_params_response() {
        let comet = fake_comet::serve(&[("consensus_params", Ok(CONSENSUS_PARAMS))]);
        let bytes = consensus_params(&comet).await.unwrap();
        // Field 1, length-delimited (a one-byte length here), around tendermint's params.
        assert_eq!(bytes[0], 0x0a);
        let params = ConsensusParams::decode(&bytes[2..]).unwrap();
        let block = params.block.unwrap();
        assert_eq!((block.max_bytes, block.max_gas), (22_020_096, 50_000_000));
    }
}
