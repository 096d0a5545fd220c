//! Pinned codes after genesis: only governance (the chain's wasm authority) pins and unpins,
//! by a passed proposal; the flag in state decides the gas of every call, and the pinned list
//! is what `/cosmwasm.wasm.v1.Query/PinnedCodes` answers.

use tessera_testing::node as common;
use tessera_testing::node::chain;

use chain::{assert_ok, sign, Chain};
use common::{alice, bob};
use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasm_pb;
use cosmrs::proto::prost::Message as _;
use cosmrs::Any;
use serde_json::{json, Value};
use tesserad::app::abci::FinalizeBlockResponse;

const MANIFEST: &str = "0000000000000000000000000000000000000000000000000000000000000001";
/// wasmd's instance costs: unpinned and pinned.
const INSTANCE_COST: u64 = 60_000;
const PINNED_INSTANCE_COST: u64 = 2_000;
/// How far the same message's gas moves with the values it writes (balances, counters).
const NOISE: u64 = 30;

fn pinned_codes(chain: &Chain) -> Vec<u64> {
    chain
        .query::<_, wasm_pb::QueryPinnedCodesResponse>(
            "/cosmwasm.wasm.v1.Query/PinnedCodes",
            wasm_pb::QueryPinnedCodesRequest { pagination: None },
        )
        .code_ids
}

/// Gas of one `create_deployment` (a fresh `dseq` each time, so every call does the same work).
fn create_deployment_gas(chain: &mut Chain, dseq: u64) -> u64 {
    let group = json!({"name": "g", "count": 1, "max_price": "1000",
                       "resources": {"cpu_millis": 1000, "memory_mib": 1024}});
    let create = chain.execute(
        &bob(),
        &chain.contract("market"),
        json!({"create_deployment": {"dseq": dseq, "groups": [group], "manifest_hash": MANIFEST}}),
        7_000_000,
    );
    let res = chain.block(vec![create]);
    assert_ok(&res);
    res.tx_results[0].gas_used
}

/// Stakes (once), proposes `actions`, votes yes and executes after the voting period.
fn pass(chain: &mut Chain, id: u64, actions: Value) -> FinalizeBlockResponse {
    let gov = chain.contract("governance");
    if id == 1 {
        let stake = chain.execute(&alice(), &gov, json!({"stake": {}}), 500_000_000);
        assert_ok(&chain.block(vec![stake]));
    }
    let propose = chain.execute(
        &alice(),
        &gov,
        json!({"propose": {"title": "pins", "description": "", "actions": actions}}),
        10_000_000,
    );
    assert_ok(&chain.block(vec![propose]));
    let vote = chain.execute(
        &alice(),
        &gov,
        json!({"vote": {"proposal_id": id, "option": "yes"}}),
        0,
    );
    assert_ok(&chain.block(vec![vote]));
    let execute = chain.execute(&alice(), &gov, json!({"execute": {"proposal_id": id}}), 0);
    chain.block_after(61, vec![execute])
}

#[test]
fn governance_unpins_and_pins_a_code_and_gas_follows_the_flag() {
    let mut chain = Chain::start();
    let market_code = chain.contract_info(&chain.contract("market")).code_id;
    let mut genesis_pins = pinned_codes(&chain);
    genesis_pins.sort_unstable();
    assert_eq!(
        genesis_pins.len(),
        3,
        "the genesis pins its three contracts"
    );
    assert!(genesis_pins.contains(&market_code));
    // Bob's first tx also sets his public key on his account: measure from the second.
    create_deployment_gas(&mut chain, 100);
    let pinned_gas = create_deployment_gas(&mut chain, 1);

    let res = pass(
        &mut chain,
        1,
        json!([{"unpin_codes": {"code_ids": [market_code]}}]),
    );
    assert_ok(&res);
    let events: Vec<_> = res.tx_results[0]
        .events
        .iter()
        .filter(|e| e.kind == "unpin_code")
        .collect();
    assert_eq!(events.len(), 1, "{:?}", res.tx_results[0].events);
    assert!(!pinned_codes(&chain).contains(&market_code));
    let unpinned_gas = create_deployment_gas(&mut chain, 2);
    // The pin flag read costs 3 gas per byte of its value: 1 byte while pinned. Balances and
    // ids written in the same tx move the figure by a few gas.
    let instance_saving = INSTANCE_COST - PINNED_INSTANCE_COST - 3;
    assert!(
        (unpinned_gas - pinned_gas).abs_diff(instance_saving) <= NOISE,
        "unpinned {unpinned_gas}, pinned {pinned_gas}"
    );

    assert_ok(&pass(
        &mut chain,
        2,
        json!([{"pin_codes": {"code_ids": [market_code]}}]),
    ));
    let mut pins = pinned_codes(&chain);
    pins.sort_unstable();
    assert_eq!(pins, genesis_pins);
    let repinned_gas = create_deployment_gas(&mut chain, 3);
    assert!(
        repinned_gas.abs_diff(pinned_gas) <= NOISE,
        "pinned again {repinned_gas}, pinned at genesis {pinned_gas}"
    );
}

#[test]
fn nobody_else_pins_and_a_proposal_naming_a_missing_code_is_refused() {
    let mut chain = Chain::start();
    let gov = chain.contract("governance");
    let market_code = chain.contract_info(&chain.contract("market")).code_id;

    // The SDK message straight from an account: not a message this chain's txs carry.
    let direct = sign(
        &alice(),
        chain.account(&alice()),
        vec![Any {
            type_url: "/cosmwasm.wasm.v1.MsgUnpinCodes".into(),
            value: wasm_pb::MsgUnpinCodes {
                authority: alice().bech32(),
                code_ids: vec![market_code],
            }
            .encode_to_vec(),
        }],
        3_000_000,
    );
    let res = chain.block(vec![direct]);
    assert_ne!(res.tx_results[0].code, 0);
    assert!(pinned_codes(&chain).contains(&market_code));

    let stake = chain.execute(&alice(), &gov, json!({"stake": {}}), 500_000_000);
    assert_ok(&chain.block(vec![stake]));
    for (actions, reason) in [
        (json!([{"pin_codes": {"code_ids": [999]}}]), "code 999"),
        (
            json!([{"pin_codes": {"code_ids": []}}]),
            "at least one code",
        ),
        (
            json!([{"unpin_codes": {"code_ids": [market_code, market_code]}}]),
            "named twice",
        ),
    ] {
        let propose = chain.execute(
            &alice(),
            &gov,
            json!({"propose": {"title": "pins", "description": "", "actions": actions}}),
            10_000_000,
        );
        let res = chain.block(vec![propose]);
        assert_ne!(res.tx_results[0].code, 0, "{actions}");
        assert!(
            res.tx_results[0].log.contains(reason),
            "{actions}: {}",
            res.tx_results[0].log
        );
    }
}
