//! The chain keeps the hashes of its recent blocks in state, for contracts to draw verification
//! samples from: written at each FinalizeBlock from the consensus engine's hash, the last 256
//! kept, served at `/tessera.chain.v1.Query/BlockHash`.

use cosmrs::proto::prost::Message as _;
use tessera_testing::node::chain::{self, Chain};
use tessera_vm::block_hashes::{QueryBlockHashRequest, QueryBlockHashResponse, HISTORY, PATH};
use tesserad::app::abci::{BlockTime, FinalizeBlockRequest, QueryRequest, QueryResponse};

fn ask(chain: &Chain, height: u64, at: u64) -> QueryResponse {
    chain.app.query(QueryRequest {
        path: PATH.into(),
        data: QueryBlockHashRequest { height }.encode_to_vec(),
        height: at,
        prove: false,
    })
}

fn hash_at(chain: &Chain, height: u64, at: u64) -> Vec<u8> {
    let res = ask(chain, height, at);
    assert_eq!(res.code, 0, "height {height} at {at}: {}", res.log);
    QueryBlockHashResponse::decode(res.value.as_slice())
        .expect("response")
        .hash
}

#[test]
fn the_last_256_block_hashes_are_kept_and_served() {
    let mut chain = Chain::start();
    for _ in 0..HISTORY + 20 {
        chain.block(vec![]);
    }
    let latest = chain.height;
    assert_eq!(hash_at(&chain, latest, 0), chain::block_hash(latest));
    let oldest_kept = latest - HISTORY + 1;
    assert_eq!(
        hash_at(&chain, oldest_kept, 0),
        chain::block_hash(oldest_kept)
    );

    let forgotten = ask(&chain, oldest_kept - 1, 0);
    assert_eq!(forgotten.code, 22, "{}", forgotten.log);
    assert!(
        forgotten.log.contains("code = NotFound") && forgotten.log.contains("last 256 blocks"),
        "{}",
        forgotten.log
    );
    let future = ask(&chain, latest + 1, 0);
    assert_eq!(future.code, 22, "{}", future.log);

    // As the chain saw it at an earlier height (a kept version of the state).
    assert_eq!(
        hash_at(&chain, latest - 5, latest - 5),
        chain::block_hash(latest - 5)
    );
}

#[test]
fn a_block_without_a_32_byte_hash_is_refused_and_changes_nothing() {
    let mut chain = Chain::start();
    let app_hash = chain.app.store().app_hash();
    let err = chain
        .app
        .finalize_block(FinalizeBlockRequest {
            height: chain.height + 1,
            hash: vec![7; 31],
            time: BlockTime {
                seconds: chain.time + 1,
                nanos: 0,
            },
            txs: vec![],
            proposer_address: vec![0; 20],
        })
        .expect_err("a short hash is refused");
    assert!(err.to_string().contains("block hash of 31 bytes"), "{err}");
    assert_eq!(chain.app.store().app_hash(), app_hash);
    // The chain goes on with a proper block.
    chain.block(vec![]);
}
