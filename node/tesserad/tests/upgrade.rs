//! Contracts can be fixed, and only by governance: from genesis the governance contract is the
//! wasm admin of the market, the registry and itself, and a passed `migrate_contract` proposal
//! moves the market to a new code with its state intact.

use tessera_testing::node as common;
use tessera_testing::node::chain;

use base64::Engine as _;
use chain::{assert_ok, sign, Chain};
use common::{alice, bob};
use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasm_pb;
use cosmrs::proto::prost::Message as _;
use cosmrs::Any;
use serde_json::json;

const MANIFEST: &str = "0000000000000000000000000000000000000000000000000000000000000001";

/// The market's wasm under a new checksum: the same contract as a new code.
fn new_market_code() -> Vec<u8> {
    let wasm = std::fs::read(tessera_testing::workspace::root().join("artifacts/market.wasm"))
        .expect("market");
    chain::with_custom_section(wasm, b"tessera-upgrade", b"v2")
}

#[test]
fn a_passed_proposal_migrates_the_market_and_its_state_survives() {
    let mut chain = Chain::start();
    let (market, gov) = (chain.contract("market"), chain.contract("governance"));
    for name in ["market", "registry", "governance"] {
        assert_eq!(chain.contract_info(&chain.contract(name)).admin, gov);
    }
    let old_code = chain.contract_info(&market).code_id;

    // State to keep: a deployment with its escrow.
    let group = json!({"name": "g", "count": 1, "max_price": "1000",
                       "resources": {"cpu_millis": 1000, "memory_mib": 1024}});
    let create = chain.execute(
        &alice(),
        &market,
        json!({"create_deployment": {"dseq": 1, "groups": [group], "manifest_hash": MANIFEST}}),
        7_000_000,
    );
    // A new code, stored by anyone.
    let store = sign(
        &bob(),
        chain.account(&bob()),
        vec![Any {
            type_url: "/cosmwasm.wasm.v1.MsgStoreCode".into(),
            value: wasm_pb::MsgStoreCode {
                sender: bob().bech32(),
                wasm_byte_code: new_market_code(),
                instantiate_permission: None,
            }
            .encode_to_vec(),
        }],
        20_000_000,
    );
    let res = chain.block(vec![create, store]);
    assert_ok(&res);
    let new_code: u64 = res.tx_results[1]
        .events
        .iter()
        .filter(|e| e.kind == "store_code")
        .flat_map(|e| &e.attributes)
        .find(|(k, _)| k == "code_id")
        .map(|(_, v)| v.parse().expect("numeric"))
        .expect("store_code event");
    assert_ne!(new_code, old_code);

    // Nobody but governance may migrate.
    let direct = sign(
        &alice(),
        chain.account(&alice()),
        vec![Any {
            type_url: "/cosmwasm.wasm.v1.MsgMigrateContract".into(),
            value: wasm_pb::MsgMigrateContract {
                sender: alice().bech32(),
                contract: market.clone(),
                code_id: new_code,
                msg: b"{}".to_vec(),
            }
            .encode_to_vec(),
        }],
        3_000_000,
    );
    let res = chain.block(vec![direct]);
    assert_ne!(res.tx_results[0].code, 0);
    assert!(
        res.tx_results[0].log.contains("unauthorized"),
        "{}",
        res.tx_results[0].log
    );

    let stake = chain.execute(&alice(), &gov, json!({"stake": {}}), 500_000_000);
    assert_ok(&chain.block(vec![stake]));
    let action = json!({"migrate_contract": {
        "contract": market,
        "code_id": new_code,
        "msg": base64::engine::general_purpose::STANDARD.encode(b"{}"),
    }});
    let propose = chain.execute(
        &alice(),
        &gov,
        json!({"propose": {"title": "market v2", "description": "fix", "actions": [action]}}),
        10_000_000,
    );
    assert_ok(&chain.block(vec![propose]));
    let vote = chain.execute(
        &alice(),
        &gov,
        json!({"vote": {"proposal_id": 1, "option": "yes"}}),
        0,
    );
    assert_ok(&chain.block(vec![vote]));
    let execute = chain.execute(&alice(), &gov, json!({"execute": {"proposal_id": 1}}), 0);
    assert_ok(&chain.block_after(61, vec![execute]));

    let proposal = chain.smart(&gov, json!({"proposal": {"id": 1}}));
    assert_eq!(proposal["status"], "executed", "{proposal}");
    assert_eq!(chain.contract_info(&market).code_id, new_code);
    let deployment = chain.smart(
        &market,
        json!({"deployment": {"owner": alice().bech32(), "dseq": 1}}),
    );
    assert_eq!(deployment["state"], "active");
    let escrow = chain.smart(
        &market,
        json!({"escrow": {"owner": alice().bech32(), "dseq": 1}}),
    );
    assert_eq!(escrow["balance"]["amount"], "7000000");
}
