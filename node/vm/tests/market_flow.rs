//! The market and the registry, as real wasm, through the host: bonds, a deployment, a bid
//! (which makes the market read the registry), and the end-block hook awarding the lease
//! (which reports to the registry through a `reply_on_error` submessage).

mod common;

use common::*;
use cosmwasm_std::Uint128;
use tessera_api::market::{ExecuteMsg, LeaseResponse, LeaseState, QueryMsg, SudoMsg};
use tessera_api::registry::{QueryMsg as RegQueryMsg, Reputation};
use tessera_api::DeploymentId;

#[test]
fn a_bid_becomes_a_lease_at_end_block_and_the_registry_counts_it() {
    let mut t = Tessera::new();
    let provider = t.provider("provider", 8);
    assert_eq!(
        t.chain.balance(&t.registry),
        MIN_BOND,
        "the bond moved into the registry"
    );

    let tenant = t.tenant("tenant");
    t.chain
        .execute(
            &tenant,
            &t.market,
            &ExecuteMsg::CreateDeployment {
                dseq: Some(7),
                groups: vec![gpu_group("train", 2, 4 * TSR)],
                manifest_hash: MANIFEST.into(),
                bid_window_secs: None,
                sample_size: None,
                secret_hash: None,
            },
            utsr(10 * TSR),
        )
        .expect("deployment created");
    let order = DeploymentId::new(tenant.clone(), 7).order(1, 1);

    // Placing a bid makes the market read the provider's record from the registry (raw queries).
    let bid = t
        .chain
        .execute(
            &provider,
            &t.market,
            &ExecuteMsg::PlaceBid {
                order: order.clone(),
                price: Uint128::new(3_600_000),
                offer: offer(2),
            },
            utsr(BID_DEPOSIT),
        )
        .expect("bid placed");
    // wasmd's order: the funds' bank events, `execute`, then the contract's `wasm` event.
    let kinds: Vec<&str> = bid.events.iter().map(|e| e.ty.as_str()).collect();
    assert_eq!(
        kinds[..4],
        ["coin_spent", "coin_received", "transfer", "execute"]
    );
    assert!(
        !kinds.contains(&"message"),
        "bank message events are dropped"
    );
    assert_eq!(
        attrs(event(&bid.events, "execute")),
        vec![("_contract_address", t.market.as_str())]
    );
    assert_eq!(
        attrs(event(&bid.events, "wasm"))[0],
        ("_contract_address", t.market.as_str())
    );

    // Nothing happens before the window closes.
    t.chain.advance(10);
    t.chain
        .sudo(&t.market, &SudoMsg::EndBlock {})
        .expect("end block");
    let lease_id = order.bid(provider.clone());
    let before: Result<LeaseResponse, _> = t
        .chain
        .host
        .query_smart(
            &t.chain.state,
            &t.chain.block,
            &t.market,
            &serde_json::to_vec(&QueryMsg::Lease {
                id: lease_id.clone(),
            })
            .unwrap(),
        )
        .map(|b| serde_json::from_slice(b.as_slice()).unwrap());
    assert!(before.is_err(), "no lease yet");

    t.chain.advance(31);
    let end = t
        .chain
        .sudo(&t.market, &SudoMsg::EndBlock {})
        .expect("end block");

    let lease: LeaseResponse = t.chain.query(&t.market, &QueryMsg::Lease { id: lease_id });
    assert_eq!(lease.state, LeaseState::Active);
    assert_eq!(lease.price.amount.to_string(), "3600000");
    let rep: Reputation = t.chain.query(
        &t.registry,
        &RegQueryMsg::Reputation {
            provider: provider.clone(),
        },
    );
    assert_eq!(rep.leases_started, 1);
    assert_eq!(rep.active_leases, 1);

    // The hook's events: `sudo` on the market, its `wasm` event, then the registry report
    // dispatched as a submessage (`execute` + the registry's `wasm` event).
    assert_eq!(end.events[0].ty, "sudo");
    assert_eq!(
        attrs(&end.events[0]),
        vec![("_contract_address", t.market.as_str())]
    );
    let registry_exec = end
        .events
        .iter()
        .position(|e| {
            e.ty == "execute" && attrs(e) == vec![("_contract_address", t.registry.as_str())]
        })
        .expect("the registry was called");
    let registry_wasm = &end.events[registry_exec + 1];
    assert_eq!(registry_wasm.ty, "wasm");
    assert_eq!(
        attrs(registry_wasm)[0],
        ("_contract_address", t.registry.as_str())
    );
    // Attributes of a wasm submessage's events come out sorted by key, as in wasmd.
    let keys: Vec<&str> = registry_wasm
        .attributes
        .iter()
        .map(|a| a.key.as_str())
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    for e in &end.events {
        for a in &e.attributes {
            assert!(!a.key.is_empty(), "attribute keys are never empty");
        }
    }
}

#[test]
fn a_bid_from_an_unregistered_provider_fails_and_leaves_no_writes() {
    let t = Tessera::new();
    let tenant = t.tenant("tenant");
    t.chain
        .execute(
            &tenant,
            &t.market,
            &ExecuteMsg::CreateDeployment {
                dseq: Some(1),
                groups: vec![gpu_group("g", 1, 4 * TSR)],
                manifest_hash: MANIFEST.into(),
                bid_window_secs: None,
                sample_size: None,
                secret_hash: None,
            },
            utsr(10 * TSR),
        )
        .unwrap();
    let stranger = t.tenant("stranger");
    let before = t.chain.changes();
    let err = t
        .chain
        .execute(
            &stranger,
            &t.market,
            &ExecuteMsg::PlaceBid {
                order: DeploymentId::new(tenant, 1).order(1, 1),
                price: Uint128::new(1_000_000),
                offer: offer(1),
            },
            utsr(BID_DEPOSIT),
        )
        .unwrap_err();
    // The funds moved before the call and the contract ran; none of it remains.
    assert_eq!(t.chain.changes(), before);
    assert_eq!(t.chain.balance(&stranger), 1_000 * TSR);
    assert_eq!((err.codespace(), err.code()), ("wasm", 5));
    assert!(
        err.to_string().ends_with(": execute wasm contract failed"),
        "{err}"
    );
    assert!(err.to_string().contains("not registered"), "{err}");
}
