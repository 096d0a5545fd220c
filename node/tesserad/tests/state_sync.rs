//! State sync through the app's ABCI handler, as CometBFT drives it: a snapshot of a real chain
//! (contracts and all) is served chunk by chunk and restored into an empty app, which then
//! executes the next block exactly as the original does. Corrupt chunks and lying snapshots
//! are refused without writing anything.

use tessera_testing::node as common;
use tessera_testing::node::chain;

use std::path::Path;
use std::sync::{Arc, Mutex};

use chain::{assert_ok, sign, Chain, CONTRACT_GAS};
use common::{alice, bob, send_msg};
use serde_json::json;
use tendermint_proto::v0_38::abci as pb;
use tendermint_proto::v0_38::abci::request::Value as Req;
use tendermint_proto::v0_38::abci::response::Value as Res;
use tesserad::app::{App, AppConfig};
use tesserad::metrics::Metrics;
use tesserad::server::abci::AbciApp;
use tesserad::statesync::{SnapshotSettings, Snapshots};

/// A chain with a few blocks of bank and market txs, and a snapshot of its latest state in
/// chunks of 64 KiB (so the contracts' code spans many chunks).
fn chain_with_snapshot() -> (Chain, Snapshots, tempfile::TempDir) {
    let mut chain = Chain::start();
    let market = chain.contract("market");
    let (a, b) = (alice(), bob());
    let send = sign(
        &a,
        chain.account(&a),
        vec![send_msg(&a, &b, 1_234)],
        CONTRACT_GAS,
    );
    assert_ok(&chain.block(vec![send]));
    let group = chain::h100_group("train");
    let create = chain.execute(
        &a,
        &market,
        json!({"create_deployment": {"dseq": 1, "groups": [group], "manifest_hash": "ab".repeat(32)}}),
        10_000_000,
    );
    assert_ok(&chain.block(vec![create]));
    chain.block(vec![]);
    let dir = tempfile::tempdir().unwrap();
    let snapshots = Snapshots::open(
        dir.path(),
        SnapshotSettings {
            interval: 1,
            keep_recent: 2,
            chunk_bytes: 64 << 10,
        },
    )
    .unwrap();
    snapshots
        .take(&chain.app.store().snapshot().unwrap())
        .unwrap();
    (chain, snapshots, dir)
}

/// A node's ABCI handler over `app`, serving `snapshots` if given.
fn node(app: App, snapshots: Option<Snapshots>) -> (AbciApp, Arc<Mutex<App>>) {
    let app = Arc::new(Mutex::new(app));
    let abci = AbciApp::new(
        app.clone(),
        Arc::new(Metrics::default()),
        snapshots.map(Arc::new),
    );
    (abci, app)
}

/// A node that serves `snapshots` (its own state, in `dir`, is not what it serves).
fn serving_node(snapshots: Snapshots, dir: &Path) -> AbciApp {
    node(App::open(AppConfig::new(dir)).unwrap(), Some(snapshots)).0
}

fn empty_node() -> (AbciApp, Arc<Mutex<App>>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (abci, app) = node(App::open(AppConfig::new(dir.path())).unwrap(), None);
    (abci, app, dir)
}

fn call(abci: &AbciApp, request: Req) -> Res {
    abci.handle(pb::Request {
        value: Some(request),
    })
    .value
    .expect("a response")
}

fn listed(abci: &AbciApp) -> pb::Snapshot {
    match call(abci, Req::ListSnapshots(pb::RequestListSnapshots {})) {
        Res::ListSnapshots(list) => list.snapshots.into_iter().next().expect("a snapshot"),
        other => panic!("{other:?}"),
    }
}

fn load_chunk(abci: &AbciApp, snapshot: &pb::Snapshot, chunk: u32) -> Vec<u8> {
    match call(
        abci,
        Req::LoadSnapshotChunk(pb::RequestLoadSnapshotChunk {
            height: snapshot.height,
            format: snapshot.format,
            chunk,
        }),
    ) {
        Res::LoadSnapshotChunk(res) => res.chunk.to_vec(),
        other => panic!("{other:?}"),
    }
}

fn offer(abci: &AbciApp, snapshot: &pb::Snapshot, app_hash: &[u8]) -> i32 {
    match call(
        abci,
        Req::OfferSnapshot(pb::RequestOfferSnapshot {
            snapshot: Some(snapshot.clone()),
            app_hash: app_hash.to_vec().into(),
        }),
    ) {
        Res::OfferSnapshot(res) => res.result,
        other => panic!("{other:?}"),
    }
}

fn apply(abci: &AbciApp, index: u32, chunk: &[u8], sender: &str) -> pb::ResponseApplySnapshotChunk {
    match call(
        abci,
        Req::ApplySnapshotChunk(pb::RequestApplySnapshotChunk {
            index,
            chunk: chunk.to_vec().into(),
            sender: sender.into(),
        }),
    ) {
        Res::ApplySnapshotChunk(res) => res,
        other => panic!("{other:?}"),
    }
}

use pb::response_apply_snapshot_chunk::Result as Apply;
use pb::response_offer_snapshot::Result as Offer;

#[test]
fn a_restored_node_has_the_same_state_and_executes_the_next_block_the_same() {
    let (mut chain, snapshots, _dir) = chain_with_snapshot();
    let serving = serving_node(snapshots, &chain.dir.path().join("other"));
    let snapshot = listed(&serving);
    assert_eq!(snapshot.height, chain.height);
    assert!(snapshot.chunks > 2, "{} chunks", snapshot.chunks);
    let app_hash = chain.app.info().last_block_app_hash;

    let (joining, restored, _joining_dir) = empty_node();
    assert_eq!(offer(&joining, &snapshot, &app_hash), Offer::Accept as i32);
    // Chunks arrive in any order; one comes corrupted from a lying peer first.
    let chunks: Vec<Vec<u8>> = (0..snapshot.chunks)
        .map(|i| load_chunk(&serving, &snapshot, i))
        .collect();
    let mut corrupt = chunks[2].clone();
    corrupt[100] ^= 0xff;
    let refused = apply(&joining, 2, &corrupt, "liar");
    assert_eq!(refused.result, Apply::Retry as i32);
    assert_eq!(refused.refetch_chunks, vec![2]);
    assert_eq!(refused.reject_senders, vec!["liar".to_string()]);
    for index in (0..snapshot.chunks).rev() {
        let res = apply(&joining, index, &chunks[index as usize], "honest");
        assert_eq!(res.result, Apply::Accept as i32, "chunk {index}");
    }

    let mut restored = restored.lock().unwrap();
    assert_eq!(restored.info().last_block_height, chain.height);
    assert_eq!(restored.info().last_block_app_hash, app_hash);
    let b = bob().bech32();
    let snapshot_of = |app: &App| app.store().snapshot().unwrap();
    assert_eq!(
        tesserad::bank::balance(
            &*snapshot_of(&restored),
            &tesserad::Address::from_bech32(&b).unwrap(),
            "utsr"
        )
        .unwrap(),
        chain.balance(&b)
    );

    // The next block — a tx and the market's end-block hook in the VM — gives the same app hash
    // on both, so the restored node can follow the chain by block sync.
    let (a, bb) = (alice(), bob());
    let send = sign(
        &a,
        chain.account(&a),
        vec![send_msg(&a, &bb, 5)],
        CONTRACT_GAS,
    );
    let request = chain.next_block(1, vec![send]);
    let original = chain.app.finalize_block(request.clone()).unwrap();
    chain.app.commit().unwrap();
    let followed = restored.finalize_block(request).unwrap();
    restored.commit().unwrap();
    assert_ok(&followed);
    assert_eq!(followed.app_hash, original.app_hash);
}

#[test]
fn a_snapshot_that_does_not_hash_to_the_trusted_app_hash_is_rejected_and_nothing_is_written() {
    let (_chain, snapshots, _dir) = chain_with_snapshot();
    let serving_dir = tempfile::tempdir().unwrap();
    let serving = serving_node(snapshots, serving_dir.path());
    let snapshot = listed(&serving);
    let (joining, app, _joining_dir) = empty_node();
    // Light client says the state at this height hashes to something else: the peers lie.
    assert_eq!(offer(&joining, &snapshot, &[7; 32]), Offer::Accept as i32);
    let mut last = None;
    for index in 0..snapshot.chunks {
        last = Some(apply(
            &joining,
            index,
            &load_chunk(&serving, &snapshot, index),
            "peer",
        ));
    }
    assert_eq!(last.unwrap().result, Apply::RejectSnapshot as i32);
    let app = app.lock().unwrap();
    assert_eq!(app.info().last_block_height, 0);
    assert_eq!(app.store().latest_version(), 0);
}

#[test]
fn a_node_with_state_aborts_state_sync_and_a_chunk_without_an_offer_is_refused() {
    let (chain, snapshots, _dir) = chain_with_snapshot();
    let serving = serving_node(snapshots, &chain.dir.path().join("x"));
    let snapshot = listed(&serving);
    // The chain's own app already has state.
    let (full, _) = node(chain.app, None);
    assert_eq!(offer(&full, &snapshot, &[0; 32]), Offer::Abort as i32);

    let (joining, _, _d) = empty_node();
    let res = apply(&joining, 0, &load_chunk(&serving, &snapshot, 0), "peer");
    assert_eq!(res.result, Apply::Abort as i32);
}
