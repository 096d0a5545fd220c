//! What a stranger can make the node do is bounded: blocks have a gas limit that proposals,
//! delivery and the mempool enforce; simulations have a gas cap, write nothing to the VM's
//! disk cache, and run detached from the app so that they never hold up a block.

use tessera_testing::node as common;
use tessera_testing::node::chain;

use std::path::Path;

use chain::{execute_any, sign, Chain};
use common::{alice, bob, Signer, TxSpec};
use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasm_pb;
use cosmrs::proto::prost::Message as _;
use cosmrs::Any;
use serde_json::json;
use tesserad::app::abci::{BlockTime, CheckTxKind, FinalizeBlockRequest};
use tesserad::app::block_gas::DEFAULT_MAX_BLOCK_GAS;
use tesserad::app::{App, AppConfig};

/// A bank send of 1 utsr from `w` to itself wanting `gas`, at its committed sequence.
fn send_wanting(chain: &Chain, w: &common::Wallet, gas: u64) -> Vec<u8> {
    let account = chain.account(w);
    sign(w, account, vec![common::send_msg(w, w, 1)], gas)
}

#[test]
fn a_proposal_over_the_block_gas_limit_is_rejected_and_prepare_leaves_out_what_does_not_fit() {
    let chain = Chain::start();
    let half = DEFAULT_MAX_BLOCK_GAS / 2 + 1;
    let a = send_wanting(&chain, &alice(), half);
    let b = send_wanting(&chain, &bob(), half);
    let small = send_wanting(&chain, &bob(), 200_000);

    assert!(chain.app.process_proposal(std::slice::from_ref(&a)));
    assert!(!chain.app.process_proposal(&[a.clone(), b.clone()]));
    assert_eq!(
        chain
            .app
            .prepare_proposal(vec![a.clone(), b.clone(), small.clone()], 4 << 20),
        vec![a, small],
        "the second big tx waits; the small one after it still fits"
    );
}

#[test]
fn the_mempool_refuses_a_tx_that_wants_more_gas_than_a_block_has() {
    let mut chain = Chain::start();
    let tx = send_wanting(&chain, &alice(), DEFAULT_MAX_BLOCK_GAS + 1);
    let res = chain.app.check_tx(&tx, CheckTxKind::New);
    assert_eq!(res.code, 11, "{}", res.log);
    assert!(res.log.contains("block gas limit exceeded"), "{}", res.log);
    let fits = send_wanting(&chain, &alice(), DEFAULT_MAX_BLOCK_GAS);
    assert_eq!(chain.app.check_tx(&fits, CheckTxKind::New).code, 0);
}

#[test]
fn delivery_fails_a_tx_over_the_block_limit_and_charges_nothing() {
    let mut chain = Chain::start();
    let half = DEFAULT_MAX_BLOCK_GAS / 2 + 1;
    let a = send_wanting(&chain, &alice(), half);
    let b = send_wanting(&chain, &bob(), half);
    let bob_before = chain.balance(&bob().bech32());
    let bob_account = chain.account(&bob());

    // A block that skipped process_proposal (as a faulty proposer's peers might).
    chain.height += 1;
    chain.time += 1;
    let res = chain
        .app
        .finalize_block(FinalizeBlockRequest {
            height: chain.height,
            hash: chain::block_hash(chain.height),
            time: BlockTime {
                seconds: chain.time,
                nanos: 0,
            },
            txs: vec![a, b],
            proposer_address: vec![0; 20],
        })
        .expect("finalize");
    chain.app.commit().expect("commit");
    assert_eq!(res.tx_results[0].code, 0, "{}", res.tx_results[0].log);
    assert_eq!(res.tx_results[1].code, 11);
    assert!(res.tx_results[1].log.contains("block gas limit exceeded"));
    assert_eq!(res.tx_results[1].gas_used, 0);
    assert_eq!(chain.balance(&bob().bech32()), bob_before, "no fee taken");
    assert_eq!(chain.account(&bob()), bob_account, "no sequence used");
}

/// `chain` with its app reopened under `simulation_gas_limit` = `cap`.
fn reopen_with_simulation_cap(chain: Chain, cap: u64) -> Chain {
    let Chain {
        app,
        height,
        time,
        dir,
        contracts,
    } = chain;
    drop(app); // one VM cache per directory: close it first
    let app = App::open(AppConfig {
        simulation_gas_limit: cap,
        ..AppConfig::new(dir.path())
    })
    .expect("reopen");
    Chain {
        app,
        height,
        time,
        dir,
        contracts,
    }
}

fn simulation_of(w: &common::Wallet, account: (u64, u64), msgs: Vec<Any>) -> Vec<u8> {
    TxSpec::new(
        msgs,
        vec![Signer {
            wallet: w,
            account_number: account.0,
            sequence: account.1,
        }],
    )
    .unsigned_for_simulation()
}

#[test]
fn a_simulation_stops_at_the_simulation_gas_limit() {
    let chain = Chain::start();
    let market = chain.contract("market");
    let msg = json!({"create_deployment": {"dseq": 7, "manifest_hash":
        "0000000000000000000000000000000000000000000000000000000000000001",
        "groups": [{"name": "g", "count": 1, "max_price": "1000",
                    "resources": {"cpu_millis": 1000, "memory_mib": 1024}}]}});
    let tx = simulation_of(
        &alice(),
        chain.account(&alice()),
        vec![execute_any(&alice(), &market, &msg, 10_000_000)],
    );
    let full = chain.app.simulate(&tx).expect("simulate");
    assert_eq!(full.code, 0, "{}", full.log);
    assert!(full.gas_used > 50_000, "used {}", full.gas_used);

    // Caps that run out before the contract, and inside it (in its host calls): both are the
    // SDK's out of gas, code 11, as on wasmd (the VM's last step may overshoot a little).
    let mut chain = chain;
    for cap in [full.gas_used / 2, full.gas_used * 9 / 10] {
        chain = reopen_with_simulation_cap(chain, cap);
        let capped = chain.app.simulate(&tx).expect("simulate");
        assert_eq!(
            capped.code, 11,
            "cap {cap}: {} (used {})",
            capped.log, capped.gas_used
        );
        assert!(capped.log.contains("out of gas"), "{}", capped.log);
        assert!(capped.gas_used <= cap + 50_000, "{}", capped.gas_used);
    }
}

/// Every file under `dir`, recursively, with its size.
fn files(dir: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let entry = entry.expect("entry");
            let meta = entry.metadata().expect("metadata");
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                out.push((entry.path().display().to_string(), meta.len()));
            }
        }
    }
    out.sort();
    out
}

/// A contract the chain has never seen: the registry's wasm under a new checksum.
fn fresh_wasm() -> Vec<u8> {
    let wasm = std::fs::read(tessera_testing::workspace::root().join("artifacts/registry.wasm"))
        .expect("registry.wasm");
    chain::with_custom_section(wasm, b"tessera-test", b"simulated only")
}

fn store_code_any(w: &common::Wallet, wasm: Vec<u8>) -> Any {
    Any {
        type_url: "/cosmwasm.wasm.v1.MsgStoreCode".into(),
        value: wasm_pb::MsgStoreCode {
            sender: w.bech32(),
            wasm_byte_code: wasm,
            instantiate_permission: None,
        }
        .encode_to_vec(),
    }
}

#[test]
fn simulating_store_code_writes_nothing_to_disk_and_cannot_run_the_new_code() {
    let chain = Chain::start();
    let wasm_dir = chain.dir.path().join("wasm");
    let before = files(&wasm_dir);

    let store = simulation_of(
        &alice(),
        chain.account(&alice()),
        vec![store_code_any(&alice(), fresh_wasm())],
    );
    let res = chain.app.simulate(&store).expect("simulate");
    assert_eq!(res.code, 0, "{}", res.log);
    assert!(res.gas_used > 0);
    assert_eq!(
        files(&wasm_dir),
        before,
        "the VM cache on disk is unchanged"
    );

    // Store and instantiate in one simulation: the new code is not on disk, so it cannot run
    // (this was the way to make a simulation run a looping contract without a signature).
    let next_code_id = 5; // four genesis codes
    let instantiate = Any {
        type_url: "/cosmwasm.wasm.v1.MsgInstantiateContract".into(),
        value: wasm_pb::MsgInstantiateContract {
            sender: alice().bech32(),
            admin: String::new(),
            code_id: next_code_id,
            label: "sim".into(),
            msg: b"{}".to_vec(),
            funds: vec![],
        }
        .encode_to_vec(),
    };
    let both = simulation_of(
        &alice(),
        chain.account(&alice()),
        vec![store_code_any(&alice(), fresh_wasm()), instantiate],
    );
    let res = chain.app.simulate(&both).expect("simulate");
    assert_ne!(res.code, 0);
    assert!(
        res.log
            .contains("a simulation cannot run a code stored in the same simulation"),
        "{}",
        res.log
    );
    assert_eq!(files(&wasm_dir), before);
}

#[test]
fn a_query_view_keeps_answering_while_blocks_are_finalized_and_committed() {
    let mut chain = Chain::start();
    let view = chain.app.query_view();
    let tx = send_wanting(&chain, &alice(), 200_000);
    // The view is its own value: blocks go on while it exists (the servers run queries and
    // simulations on it after releasing the app's lock).
    chain.block(vec![tx]);
    chain.block(vec![]);
    let sim = simulation_of(
        &bob(),
        chain.account(&bob()),
        vec![common::send_msg(&bob(), &alice(), 1)],
    );
    let res = view.simulate(&sim).expect("simulate");
    assert_eq!(res.code, 0, "{}", res.log);
    assert!(res.gas_used > 0);
}
