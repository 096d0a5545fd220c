//! What a consensus engine relies on: a node stopped at any step of a block reopens at its
//! last commit and, replaying, reaches the same app hashes as a node that never stopped; and
//! queries answer on the standard paths as a Cosmos SDK node does.

use tessera_testing::node as common;
use tessera_testing::node::chain;

use std::path::Path;

use common::{alice, bob, send_msg, Signer, TxSpec};
use cosmos_sdk_proto::cosmos::auth::v1beta1 as auth_pb;
use cosmos_sdk_proto::cosmos::bank::v1beta1 as bank_pb;
use cosmos_sdk_proto::cosmos::tx::v1beta1 as tx_pb;
use cosmrs::proto::prost::Message as _;
use tessera_store::{verify_proof, StateRead as _};
use tesserad::app::abci::{BlockTime, FinalizeBlockRequest, InitChainRequest, QueryRequest};
use tesserad::app::{App, AppConfig};

const START: u64 = tessera_testing::GENESIS_TIME;
const BLOCKS: u64 = 5;

fn genesis_bytes() -> Vec<u8> {
    chain::genesis_bytes(vec![
        (alice().bech32(), 1_000_000_000),
        (bob().bech32(), 1_000_000_000),
    ])
}

fn init(app: &mut App, genesis: &[u8]) {
    app.init_chain(InitChainRequest {
        chain_id: common::CHAIN_ID.into(),
        time: BlockTime {
            seconds: START,
            nanos: 0,
        },
        initial_height: 1,
        app_state_bytes: genesis.to_vec(),
        max_block_gas: 100_000_000,
    })
    .expect("init chain");
}

/// The txs of block `height`: alice pays bob, one send per block from block 2 on. ECDSA
/// signatures are deterministic (RFC 6979), so every run builds the same bytes.
fn txs(height: u64) -> Vec<Vec<u8>> {
    if height < 2 {
        return vec![];
    }
    let a = alice();
    // alice is account 0 in genesis; her sequence is the number of sends before this block.
    let spec = TxSpec::new(
        vec![send_msg(&a, &bob(), 1_000)],
        vec![Signer {
            wallet: &a,
            account_number: 0,
            sequence: height - 2,
        }],
    );
    vec![spec.sign()]
}

fn finalize(app: &mut App, height: u64) -> Vec<u8> {
    let res = app
        .finalize_block(FinalizeBlockRequest {
            height,
            hash: chain::block_hash(height),
            time: BlockTime {
                seconds: START + height,
                nanos: 0,
            },
            txs: txs(height),
            proposer_address: vec![0; 20],
        })
        .expect("finalize");
    for r in &res.tx_results {
        assert_eq!(r.code, 0, "{}", r.log);
    }
    res.app_hash
}

/// Where a node stops in block 3.
#[derive(Debug, Clone, Copy)]
enum Stop {
    Never,
    BeforeFinalize,
    AfterFinalizeBeforeCommit,
}

/// Runs BLOCKS blocks, stopping (dropping the app and reopening it from disk) where told, and
/// replaying as CometBFT's handshake would: from the app's last committed height.
fn run(dir: &Path, genesis: &[u8], stop: Stop) -> Vec<Vec<u8>> {
    let open = || App::open(AppConfig::new(dir)).expect("open");
    let mut app = open();
    init(&mut app, genesis);
    let mut hashes = Vec::new();
    for height in 1..=BLOCKS {
        if height == 3 && matches!(stop, Stop::BeforeFinalize) {
            drop(app);
            app = open();
            assert_eq!(app.info().last_block_height, 2);
        }
        let hash = finalize(&mut app, height);
        if height == 3 && matches!(stop, Stop::AfterFinalizeBeforeCommit) {
            drop(app);
            app = open();
            assert_eq!(
                app.info().last_block_height,
                2,
                "the uncommitted block is gone"
            );
            let again = finalize(&mut app, height);
            assert_eq!(again, hash, "replaying the block gives the same app hash");
        }
        app.commit().expect("commit");
        assert_eq!(app.info().last_block_app_hash, hash);
        hashes.push(hash);
    }
    hashes
}

#[test]
fn a_node_stopped_at_any_step_of_a_block_reaches_the_same_app_hashes() {
    let genesis = genesis_bytes();
    let reference = run(
        tempfile::tempdir().expect("dir").path(),
        &genesis,
        Stop::Never,
    );
    assert_eq!(reference.len() as u64, BLOCKS);
    for stop in [Stop::BeforeFinalize, Stop::AfterFinalizeBeforeCommit] {
        let dir = tempfile::tempdir().expect("dir");
        assert_eq!(
            run(dir.path(), &genesis, stop),
            reference,
            "stopped {stop:?}"
        );
    }
}

#[test]
fn a_node_stopped_before_its_first_commit_starts_again_from_genesis() {
    let genesis = genesis_bytes();
    let dir = tempfile::tempdir().expect("dir");
    {
        let mut app = App::open(AppConfig::new(dir.path())).expect("open");
        init(&mut app, &genesis);
        finalize(&mut app, 1);
        // Killed before commit: nothing of genesis or block 1 is on disk.
    }
    let mut app = App::open(AppConfig::new(dir.path())).expect("reopen");
    assert_eq!(app.info().last_block_height, 0);
    assert!(app.info().last_block_app_hash.is_empty());
    init(&mut app, &genesis);
    let hash = finalize(&mut app, 1);
    app.commit().expect("commit");
    let reference = run(
        tempfile::tempdir().expect("dir").path(),
        &genesis,
        Stop::Never,
    );
    assert_eq!(hash, reference[0]);
}

fn chain_at(blocks: u64) -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = App::open(AppConfig::new(dir.path())).expect("open");
    init(&mut app, &genesis_bytes());
    for height in 1..=blocks {
        finalize(&mut app, height);
        app.commit().expect("commit");
    }
    (dir, app)
}

fn query(
    app: &App,
    path: &str,
    data: Vec<u8>,
    height: u64,
    prove: bool,
) -> tesserad::app::abci::QueryResponse {
    app.query(QueryRequest {
        path: path.into(),
        data,
        height,
        prove,
    })
}

#[test]
fn accounts_and_balances_answer_on_the_sdk_paths_at_current_and_past_heights() {
    let (_dir, app) = chain_at(3);
    let a = alice();
    let res = query(
        &app,
        "/cosmos.auth.v1beta1.Query/Account",
        auth_pb::QueryAccountRequest {
            address: a.bech32(),
        }
        .encode_to_vec(),
        0,
        false,
    );
    assert_eq!((res.code, res.height), (0, 3));
    let account = auth_pb::QueryAccountResponse::decode(res.value.as_slice())
        .expect("decodes")
        .account
        .expect("account");
    let base = auth_pb::BaseAccount::decode(account.value.as_slice()).expect("base account");
    assert_eq!((base.address, base.sequence), (a.bech32(), 2));

    // An unknown account fails the way CosmJS recognizes.
    let stranger = common::Wallet::from_seed(9).bech32();
    let res = query(
        &app,
        "/cosmos.auth.v1beta1.Query/Account",
        auth_pb::QueryAccountRequest { address: stranger }.encode_to_vec(),
        0,
        false,
    );
    assert_ne!(res.code, 0);
    assert!(
        res.log.contains("rpc error: code = NotFound"),
        "{}",
        res.log
    );
    assert!(res.height > 0);

    let balance_at = |height| {
        let res = query(
            &app,
            "/cosmos.bank.v1beta1.Query/Balance",
            bank_pb::QueryBalanceRequest {
                address: bob().bech32(),
                denom: "utsr".into(),
            }
            .encode_to_vec(),
            height,
            false,
        );
        assert_eq!(res.code, 0, "{}", res.log);
        bank_pb::QueryBalanceResponse::decode(res.value.as_slice())
            .expect("decodes")
            .balance
            .expect("coin")
            .amount
    };
    assert_eq!(balance_at(0), "1000002000");
    assert_eq!(balance_at(2), "1000001000", "the balance as of block 2");

    let res = query(&app, "/cosmos.bank.v1beta1.Query/Nope", vec![], 0, false);
    assert_ne!(res.code, 0);
    let res = query(
        &app,
        "/cosmos.bank.v1beta1.Query/Balance",
        vec![0xff, 0xff],
        0,
        false,
    );
    assert_ne!(
        res.code, 0,
        "malformed request bytes are an error, not a crash"
    );
}

#[test]
fn raw_state_reads_carry_ics23_proofs_against_the_committed_app_hash() {
    let (_dir, app) = chain_at(3);
    let key = tesserad::auth::account_key(&alice().address);
    let res = query(&app, "/store/state/key", key.clone(), 0, true);
    assert_eq!(res.code, 0, "{}", res.log);
    assert_eq!(res.proof_ops.len(), 1);
    let proof = tessera_store::ics23::CommitmentProof::decode(res.proof_ops[0].data.as_slice())
        .expect("proof");
    let root: [u8; 32] = app.info().last_block_app_hash.try_into().expect("32 bytes");
    assert!(verify_proof(&root, &key, Some(&res.value), &proof));
    assert!(!verify_proof(&root, &key, Some(b"forged"), &proof));
}

#[test]
fn simulate_estimates_gas_without_changing_state() {
    let (_dir, app) = chain_at(3);
    let a = alice();
    let spec = TxSpec::new(
        vec![send_msg(&a, &bob(), 5)],
        vec![Signer {
            wallet: &a,
            account_number: 0,
            sequence: 2,
        }],
    );
    let before = app.info();
    let res = query(
        &app,
        "/cosmos.tx.v1beta1.Service/Simulate",
        tx_pb::SimulateRequest {
            tx_bytes: spec.sign(),
            ..Default::default()
        }
        .encode_to_vec(),
        0,
        false,
    );
    assert_eq!(res.code, 0, "{}", res.log);
    let sim = tx_pb::SimulateResponse::decode(res.value.as_slice()).expect("decodes");
    assert!(sim.gas_info.expect("gas").gas_used > 0);
    assert_eq!(app.info(), before);
}

/// CosmJS simulates with an empty fee and signs with `gas = simulated × 1.3`: the estimate must
/// include paying the fee, or the signed tx runs out of gas.
#[test]
fn a_fee_less_simulation_covers_the_fee_payment_of_the_signed_tx() {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = AppConfig::new(dir.path());
    config.min_gas_prices = vec!["0.025utsr".parse().expect("gas price")];
    let mut app = App::open(config).expect("open");
    init(&mut app, &genesis_bytes());
    finalize(&mut app, 1);
    app.commit().expect("commit");
    let a = alice();
    let signer = || Signer {
        wallet: &a,
        account_number: 0,
        sequence: 0,
    };
    let mut unsigned = TxSpec::new(vec![send_msg(&a, &bob(), 5)], vec![signer()]);
    unsigned.fee = 0;
    let res = query(
        &app,
        "/cosmos.tx.v1beta1.Service/Simulate",
        tx_pb::SimulateRequest {
            tx_bytes: unsigned.unsigned_for_simulation(),
            ..Default::default()
        }
        .encode_to_vec(),
        0,
        false,
    );
    assert_eq!(res.code, 0, "{}", res.log);
    let simulated = tx_pb::SimulateResponse::decode(res.value.as_slice())
        .expect("decodes")
        .gas_info
        .expect("gas")
        .gas_used;

    let signed = TxSpec::new(vec![send_msg(&a, &bob(), 5)], vec![signer()]).sign();
    let res = app
        .finalize_block(FinalizeBlockRequest {
            height: 2,
            hash: chain::block_hash(2),
            time: BlockTime {
                seconds: START + 2,
                nanos: 0,
            },
            txs: vec![signed],
            proposer_address: vec![0; 20],
        })
        .expect("finalize");
    let delivered = &res.tx_results[0];
    assert_eq!(delivered.code, 0, "{}", delivered.log);
    assert!(
        simulated * 13 / 10 >= delivered.gas_used && simulated <= delivered.gas_used * 11 / 10,
        "simulated {simulated}, delivered {}",
        delivered.gas_used
    );
}

#[test]
fn bad_transactions_in_a_block_fail_with_sdk_codes_and_change_nothing_but_fees() {
    let (_dir, mut app) = chain_at(1);
    let (a, b) = (alice(), bob());
    let signed = |seq: u64, tweak: &dyn Fn(&mut TxSpec)| {
        let mut spec = TxSpec::new(
            vec![send_msg(&a, &b, 1)],
            vec![Signer {
                wallet: &a,
                account_number: 0,
                sequence: seq,
            }],
        );
        tweak(&mut spec);
        spec.sign()
    };
    let unknown = cosmrs::Any {
        type_url: "/cosmos.gov.v1.MsgVote".into(),
        value: vec![],
    };
    let txs = vec![
        vec![0xde, 0xad, 0xbe, 0xef],
        signed(0, &|s| s.chain_id = "other-chain".into()),
        signed(5, &|_| {}),
        signed(0, &|s| s.msgs = vec![unknown.clone()]),
        signed(0, &|s| s.gas = 1_000),
    ];
    let balance = |app: &App| {
        let snapshot = app.store().snapshot().expect("snapshot");
        tesserad::bank::balance(&*snapshot, &a.address, "utsr").expect("balance")
    };
    let before = balance(&app);
    let res = app
        .finalize_block(FinalizeBlockRequest {
            height: 2,
            hash: chain::block_hash(2),
            time: BlockTime {
                seconds: START + 2,
                nanos: 0,
            },
            txs,
            proposer_address: vec![0; 20],
        })
        .expect("finalize");
    app.commit().expect("commit");
    let codes: Vec<(u32, &str)> = res
        .tx_results
        .iter()
        .map(|r| (r.code, r.codespace.as_str()))
        .collect();
    assert_eq!(
        codes,
        vec![(2, "sdk"), (4, "sdk"), (32, "sdk"), (6, "sdk"), (11, "sdk")]
    );
    for r in &res.tx_results {
        assert!(!r.log.is_empty(), "a failure explains itself");
    }
    assert!(
        res.tx_results[2]
            .log
            .contains("account sequence mismatch, expected 0, got 5"),
        "{}",
        res.tx_results[2].log
    );
    assert!(
        res.tx_results[4].log.contains("out of gas"),
        "{}",
        res.tx_results[4].log
    );
    // Each failed in the ante (1,000 gas runs out on the tx-size charge, before the fee is
    // taken, as in the SDK), so nothing changed, not even a fee.
    assert_eq!(balance(&app), before);
}

/// The block's signatures are checked on a helper thread against the state before the block;
/// the ante must still decide every tx as if it checked alone: an account created earlier in
/// the same block signs its first tx, a bad signature is refused, a second tx of a signer
/// follows its first.
#[test]
fn signatures_checked_ahead_agree_with_the_ante_when_the_block_changes_accounts() {
    let (_dir, mut app) = chain_at(1);
    let (a, b, c) = (alice(), bob(), common::carol());
    let snapshot = app.store().snapshot().expect("snapshot");
    let account = |w: &common::Wallet| {
        tesserad::auth::get_account(&*snapshot, &w.address)
            .expect("reads")
            .expect("exists")
    };
    let (alice_acc, bob_acc) = (account(&a), account(&b));
    assert!(
        tesserad::auth::get_account(&*snapshot, &c.address)
            .expect("reads")
            .is_none(),
        "carol is new"
    );
    let next_number = snapshot
        .get(b"auth/next_account_number")
        .expect("reads")
        .map_or(0, |v| u64::from_be_bytes(v.try_into().expect("8 bytes")));
    let tx = |w, msg, account_number, sequence| {
        TxSpec::new(
            vec![msg],
            vec![Signer {
                wallet: w,
                account_number,
                sequence,
            }],
        )
        .sign()
    };
    let txs = vec![
        tx(
            &a,
            send_msg(&a, &c, 5_000_000),
            alice_acc.account_number,
            alice_acc.sequence,
        ),
        // The block's first fee creates the fee collector's account (block 1 had no txs), so
        // carol's is the one after.
        tx(&c, send_msg(&c, &a, 1), next_number + 1, 0),
        // Signed for another account number: the signature does not verify.
        tx(
            &b,
            send_msg(&b, &a, 1),
            bob_acc.account_number + 7,
            bob_acc.sequence,
        ),
        tx(
            &a,
            send_msg(&a, &b, 1),
            alice_acc.account_number,
            alice_acc.sequence + 1,
        ),
    ];
    let res = app
        .finalize_block(FinalizeBlockRequest {
            height: 2,
            hash: chain::block_hash(2),
            time: BlockTime {
                seconds: START + 2,
                nanos: 0,
            },
            txs,
            proposer_address: vec![0; 20],
        })
        .expect("finalize");
    let codes: Vec<u32> = res.tx_results.iter().map(|r| r.code).collect();
    assert_eq!(codes, vec![0, 0, 4, 0], "{:?}", res.tx_results);
    assert!(
        res.tx_results[2]
            .log
            .contains("signature verification failed"),
        "{}",
        res.tx_results[2].log
    );
}
