//! What other parties must not be able to do: act on someone else's deployment, order or
//! lease, reach the chain-only hook, smuggle funds into messages, reuse closed objects, or get a
//! second lease out of one order; and the end-block hook stays within its per-block budget.

mod common;

use common::*;
use cosmwasm_std::{coins, Binary, CosmosMsg, WasmMsg};
use cw_multi_test::Executor;
use cw_utils::PaymentError;
use tessera_api::market::{
    close_reason, BidState, DeploymentState, ExecuteMsg, LeaseFilter, LeaseState, LeasesResponse,
    MarketParamsUpdate, OrderState, QueryMsg,
};
use tessera_api::{BidId, CommonError, DeploymentId, OrderId};
use tessera_market::ContractError;

fn not_found(owner: &cosmwasm_std::Addr, dseq: u64) -> ContractError {
    ContractError::DeploymentNotFound {
        id: format!("{owner}/{dseq}"),
    }
}

#[test]
fn another_tenant_cannot_touch_a_deployment_it_does_not_own() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    let mallory = s.tenant("mallory");
    s.create_deployment(&tenant, 1, vec![gpu_group("train", 1, TSR)], MIN_DEPOSIT)
        .unwrap();

    // Deployments are keyed by their sender: Mallory's dseq 1 simply does not exist.
    s.expect_error(
        &mallory,
        &ExecuteMsg::CloseDeployment { dseq: 1 },
        &[],
        not_found(&mallory, 1),
    );
    s.expect_error(
        &mallory,
        &ExecuteMsg::UpdateManifest {
            dseq: 1,
            manifest_hash: "ff".repeat(32),
        },
        &[],
        not_found(&mallory, 1),
    );
    s.expect_error(
        &mallory,
        &ExecuteMsg::Deposit {
            owner: mallory.to_string(),
            dseq: 1,
        },
        &coins(TSR, DENOM),
        not_found(&mallory, 1),
    );

    let d = s.deployment(&tenant, 1);
    assert_eq!(d.state, DeploymentState::Active);
    assert_eq!(d.manifest_hash, MANIFEST);
    assert_eq!(
        s.escrow(&tenant, 1).balance,
        cosmwasm_std::coin(MIN_DEPOSIT, DENOM)
    );
    assert_eq!(
        s.order(&Suite::order_id(&tenant, 1, 1)).state,
        OrderState::Open
    );

    // Mallory may create her own dseq 1 next to it; the tenant cannot recreate his.
    s.create_deployment(&mallory, 1, vec![gpu_group("mine", 1, TSR)], MIN_DEPOSIT)
        .unwrap();
    s.expect_error(
        &tenant,
        &ExecuteMsg::CreateDeployment {
            dseq: Some(1),
            groups: vec![gpu_group("again", 1, TSR)],
            manifest_hash: MANIFEST.into(),
            bid_window_secs: None,
            sample_size: None,
            secret_hash: None,
        },
        &coins(MIN_DEPOSIT, DENOM),
        ContractError::DeploymentExists {
            id: format!("{tenant}/1"),
        },
    );
    assert_eq!(s.deployment(&tenant, 1).groups[0].name, "train");
    s.assert_conserved();
}

#[test]
fn another_tenant_cannot_accept_a_bid_on_an_order_it_does_not_own() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    let mallory = s.tenant("mallory");
    let provider = s.provider("provider", 8);
    s.create_deployment(&tenant, 1, vec![gpu_group("train", 1, TSR)], MIN_DEPOSIT)
        .unwrap();
    let order = Suite::order_id(&tenant, 1, 1);
    s.bid(&provider, &order, TSR, 1).unwrap();

    for sender in [&mallory, &provider] {
        s.expect_error(
            sender,
            &ExecuteMsg::AcceptBid {
                bid: order.bid(provider.as_str()),
            },
            &[],
            ContractError::Common(CommonError::Unauthorized {
                action: "accepting a bid".into(),
                allowed: "the deployment's owner".into(),
            }),
        );
    }
    assert_eq!(s.order(&order).state, OrderState::Open);
    assert_eq!(
        s.bid_info(&order.bid(provider.as_str())).state,
        BidState::Open
    );
    s.assert_conserved();
}

#[test]
fn a_stranger_cannot_close_or_withdraw_a_lease() {
    let Leased {
        mut suite,
        provider,
        lease,
        ..
    } = leased(TSR, 10 * TSR);
    let s = &mut suite;
    let mallory = s.tenant("mallory");
    let rival = s.provider("rival", 8);
    s.advance(100);

    for sender in [&mallory, &rival] {
        s.expect_error(
            sender,
            &ExecuteMsg::CloseLease {
                lease: lease.clone(),
                reason: close_reason::TENANT_CLOSED,
            },
            &[],
            ContractError::Common(CommonError::Unauthorized {
                action: "closing a lease".into(),
                allowed: "its tenant or its provider".into(),
            }),
        );
        s.expect_error(
            sender,
            &ExecuteMsg::WithdrawLease {
                lease: lease.clone(),
            },
            &[],
            ContractError::Common(CommonError::Unauthorized {
                action: "withdrawing from a lease".into(),
                allowed: "its tenant or its provider".into(),
            }),
        );
    }
    // Naming itself as the lease's provider finds no lease.
    let posing: BidId = lease.order().bid(rival.as_str());
    s.expect_error(
        &rival,
        &ExecuteMsg::CloseLease {
            lease: posing.clone(),
            reason: close_reason::PROVIDER_CLOSED,
        },
        &[],
        ContractError::LeaseNotFound {
            id: posing.to_string(),
        },
    );
    let l = s.lease(&lease);
    assert_eq!(l.state, LeaseState::Active);
    assert_eq!(l.total_paid.u128(), 0, "nobody settled it");
    assert_eq!(s.reputation(&provider).active_leases, 1);
    s.assert_conserved();
}

#[test]
fn the_winner_cannot_withdraw_its_bid_deposit_while_the_lease_runs() {
    let Leased {
        mut suite,
        provider,
        lease,
        ..
    } = leased(TSR, 10 * TSR);
    let s = &mut suite;
    s.expect_error(
        &provider,
        &ExecuteMsg::WithdrawBid {
            order: lease.order(),
        },
        &[],
        ContractError::BidNotOpen {
            id: lease.to_string(),
            state: "won".into(),
        },
    );
    s.assert_conserved();
}

#[test]
fn the_end_block_hook_cannot_be_called_through_execute() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    let provider = s.provider("provider", 8);
    s.create_deployment(&tenant, 1, vec![gpu_group("train", 1, TSR)], MIN_DEPOSIT)
        .unwrap();
    let order = Suite::order_id(&tenant, 1, 1);
    s.bid(&provider, &order, TSR, 1).unwrap();
    s.advance(30);

    for sender in [&tenant, &provider] {
        let err = s
            .app
            .execute(
                sender.clone(),
                CosmosMsg::Wasm(WasmMsg::Execute {
                    contract_addr: s.market.to_string(),
                    msg: Binary::from(br#"{"end_block":{}}"#.as_slice()),
                    funds: vec![],
                }),
            )
            .expect_err("end_block is sudo only");
        assert!(
            err.to_string().contains("unknown variant `end_block`"),
            "{err}"
        );
    }
    // The window has ended, but only the chain's hook awards it.
    assert_eq!(s.order(&order).state, OrderState::Open);
    s.end_block();
    assert_eq!(s.order(&order).state, OrderState::Matched);
    s.assert_conserved();
}

#[test]
fn funds_sent_with_non_payable_messages_are_refused() {
    let Leased {
        mut suite,
        tenant,
        provider,
        lease,
        dseq,
    } = leased(TSR, 10 * TSR);
    let s = &mut suite;
    let authority = s.authority.clone();
    s.mint(&authority, TSR);
    let other = s.provider("other", 8);
    let third = s.provider("third", 8);
    s.create_deployment(&tenant, 2, vec![gpu_group("open", 1, TSR)], MIN_DEPOSIT)
        .unwrap();
    let open_order = Suite::order_id(&tenant, 2, 1);
    s.bid(&other, &open_order, TSR, 1).unwrap();
    s.bid(&third, &open_order, TSR, 1).unwrap();
    s.advance(10);
    let start = s.lease(&lease).attested_to;
    let funds = coins(1, DENOM);

    // In an order in which, sent without funds, each of them succeeds.
    let cases: Vec<(&cosmwasm_std::Addr, ExecuteMsg)> = vec![
        (
            &tenant,
            ExecuteMsg::UpdateManifest {
                dseq,
                manifest_hash: "ff".repeat(32),
            },
        ),
        (
            &provider,
            ExecuteMsg::SubmitAttestation {
                lease: lease.clone(),
                period_start: start,
                period_end: start + 10,
                gpu_seconds: 10,
                work_units: 1,
                output_root: ROOT.into(),
                inventory_hash: INVENTORY.into(),
                leaf_count: None,
            },
        ),
        (
            &provider,
            ExecuteMsg::WithdrawLease {
                lease: lease.clone(),
            },
        ),
        (
            &authority,
            ExecuteMsg::UpdateParams(MarketParamsUpdate {
                take_rate_bps: Some(0),
                ..Default::default()
            }),
        ),
        (
            &third,
            ExecuteMsg::WithdrawBid {
                order: open_order.clone(),
            },
        ),
        (
            &tenant,
            ExecuteMsg::AcceptBid {
                bid: open_order.bid(other.as_str()),
            },
        ),
        (
            &tenant,
            ExecuteMsg::CloseLease {
                lease: lease.clone(),
                reason: close_reason::TENANT_CLOSED,
            },
        ),
        (&tenant, ExecuteMsg::CloseDeployment { dseq: 2 }),
    ];
    for (sender, msg) in &cases {
        let sender = (*sender).clone();
        let before = s.balance(&sender);
        s.expect_error(
            &sender,
            msg,
            &funds,
            ContractError::from(PaymentError::NonPayable {}),
        );
        assert_eq!(s.balance(&sender), before, "the funds went back");
    }
    for (sender, msg) in &cases {
        let sender = (*sender).clone();
        s.execute(&sender, msg, &[]).unwrap();
    }
    assert_eq!(s.params().take_rate_bps, 0);
    assert_eq!(s.deployment(&tenant, 2).state, DeploymentState::Closed);
    s.assert_conserved();
}

#[test]
fn deposits_and_bids_refuse_missing_or_mixed_funds() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    let provider = s.provider("provider", 8);
    s.mint_other(&tenant, TSR, "uatom");
    let create = ExecuteMsg::CreateDeployment {
        dseq: Some(1),
        groups: vec![gpu_group("train", 1, TSR)],
        manifest_hash: MANIFEST.into(),
        bid_window_secs: None,
        sample_size: None,
        secret_hash: None,
    };
    s.expect_error(
        &tenant,
        &create,
        &[],
        ContractError::from(PaymentError::NoFunds {}),
    );
    s.expect_error(
        &tenant,
        &create,
        &[
            cosmwasm_std::coin(MIN_DEPOSIT, DENOM),
            cosmwasm_std::coin(1, "uatom"),
        ],
        ContractError::from(PaymentError::MultipleDenoms {}),
    );
    s.create_deployment(&tenant, 1, vec![gpu_group("train", 1, TSR)], MIN_DEPOSIT)
        .unwrap();
    s.expect_error(
        &provider,
        &ExecuteMsg::PlaceBid {
            order: Suite::order_id(&tenant, 1, 1),
            price: cosmwasm_std::Uint128::new(TSR),
            offer: offer(1),
        },
        &[],
        ContractError::from(PaymentError::NoFunds {}),
    );
    s.assert_conserved();
}

#[test]
fn closed_leases_and_deployments_cannot_be_closed_again() {
    let Leased {
        mut suite,
        tenant,
        provider,
        lease,
        dseq,
    } = leased(TSR, 10 * TSR);
    let s = &mut suite;
    s.advance(100);
    s.execute(
        &tenant,
        &ExecuteMsg::CloseLease {
            lease: lease.clone(),
            reason: close_reason::TENANT_CLOSED,
        },
        &[],
    )
    .unwrap();
    let paid = s.lease(&lease).total_paid;
    s.advance(100);

    let closed = || ContractError::LeaseClosed {
        id: lease.to_string(),
    };
    s.expect_error(
        &tenant,
        &ExecuteMsg::CloseLease {
            lease: lease.clone(),
            reason: close_reason::TENANT_CLOSED,
        },
        &[],
        closed(),
    );
    s.expect_error(
        &provider,
        &ExecuteMsg::CloseLease {
            lease: lease.clone(),
            reason: close_reason::PROVIDER_CLOSED,
        },
        &[],
        closed(),
    );
    s.expect_error(
        &provider,
        &ExecuteMsg::WithdrawLease {
            lease: lease.clone(),
        },
        &[],
        closed(),
    );
    // Closing its last lease closed the deployment.
    s.expect_error(
        &tenant,
        &ExecuteMsg::CloseDeployment { dseq },
        &[],
        ContractError::DeploymentClosed {
            id: format!("{tenant}/{dseq}"),
        },
    );
    assert_eq!(s.lease(&lease).total_paid, paid);
    let rep = s.reputation(&provider);
    assert_eq!((rep.leases_completed, rep.active_leases), (1, 0));

    // The same for a deployment closed directly.
    s.create_deployment(&tenant, 2, vec![gpu_group("a", 1, TSR)], MIN_DEPOSIT)
        .unwrap();
    s.execute(&tenant, &ExecuteMsg::CloseDeployment { dseq: 2 }, &[])
        .unwrap();
    let tenant_before = s.balance(&tenant);
    s.expect_error(
        &tenant,
        &ExecuteMsg::CloseDeployment { dseq: 2 },
        &[],
        ContractError::DeploymentClosed {
            id: format!("{tenant}/2"),
        },
    );
    assert_eq!(s.balance(&tenant), tenant_before, "no second refund");
    s.assert_conserved();
}

#[test]
fn malformed_addresses_in_ids_are_refused() {
    let Leased {
        mut suite,
        tenant,
        provider,
        lease,
        ..
    } = leased(TSR, 10 * TSR);
    let s = &mut suite;
    let bad = "not-an-address";
    let upper = provider.as_str().to_uppercase();
    let bad_order = OrderId {
        owner: bad.into(),
        ..lease.order()
    };

    s.expect_error(
        &provider,
        &ExecuteMsg::PlaceBid {
            order: bad_order.clone(),
            price: cosmwasm_std::Uint128::new(TSR),
            offer: offer(1),
        },
        &coins(BID_DEPOSIT, DENOM),
        s.invalid_address(bad),
    );
    s.expect_error(
        &provider,
        &ExecuteMsg::WithdrawBid { order: bad_order },
        &[],
        s.invalid_address(bad),
    );
    s.expect_error(
        &tenant,
        &ExecuteMsg::Deposit {
            owner: bad.into(),
            dseq: 1,
        },
        &coins(TSR, DENOM),
        s.invalid_address(bad),
    );
    s.expect_error(
        &tenant,
        &ExecuteMsg::AcceptBid {
            bid: BidId {
                owner: bad.into(),
                ..lease.clone()
            },
        },
        &[],
        s.invalid_address(bad),
    );
    // A provider address that is not in normal form is refused, not matched loosely.
    for msg in [
        ExecuteMsg::CloseLease {
            lease: BidId {
                provider: upper.clone(),
                ..lease.clone()
            },
            reason: close_reason::TENANT_CLOSED,
        },
        ExecuteMsg::WithdrawLease {
            lease: BidId {
                provider: upper.clone(),
                ..lease.clone()
            },
        },
    ] {
        s.expect_error(&tenant, &msg, &[], s.invalid_address(&upper));
    }
    let text = s.query_error(&QueryMsg::Deployment {
        owner: bad.into(),
        dseq: 1,
    });
    assert!(text.contains(&s.invalid_address(bad).to_string()), "{text}");
    assert_eq!(s.lease(&lease).state, LeaseState::Active);
    assert_eq!(
        s.deployment(&tenant, 1).id,
        DeploymentId::new(tenant.as_str(), 1)
    );
    s.assert_conserved();
}

#[test]
fn the_end_block_hook_handles_at_most_max_end_block_items_per_block() {
    let mut s = Suite::with_params(|p| p.max_end_block_items = 2);
    let tenant = s.tenant("tenant");
    let provider = s.provider("provider", 8);
    let groups = (1..=5)
        .map(|i| gpu_group(&format!("g{i}"), 1, TSR))
        .collect();
    s.create_deployment(&tenant, 1, groups, 10 * TSR).unwrap();
    let orders: Vec<OrderId> = (1..=5).map(|g| Suite::order_id(&tenant, 1, g)).collect();
    for order in &orders {
        s.bid(&provider, order, TSR / 2, 1).unwrap();
    }
    let window_end = s.order(&orders[0]).window_ends_at.unwrap();
    assert!(orders
        .iter()
        .all(|o| s.order(o).window_ends_at == Some(window_end)));

    let matched = |s: &Suite| {
        orders
            .iter()
            .filter(|o| s.order(o).state == OrderState::Matched)
            .count()
    };
    let res = s.advance_and_end_block(30);
    assert_eq!(attr(&res, "awarded").as_deref(), Some("2"));
    assert_eq!(matched(&s), 2);
    // Earliest first, and within one time by order: the first two groups went first.
    assert_eq!(s.order(&orders[0]).state, OrderState::Matched);
    assert_eq!(s.order(&orders[1]).state, OrderState::Matched);

    let res = s.advance_and_end_block(1);
    assert_eq!(attr(&res, "awarded").as_deref(), Some("2"));
    assert_eq!(matched(&s), 4);
    let res = s.advance_and_end_block(1);
    assert_eq!(attr(&res, "awarded").as_deref(), Some("1"));
    assert_eq!(matched(&s), 5);
    let res = s.advance_and_end_block(1);
    assert_eq!(attr(&res, "awarded").as_deref(), Some("0"));

    let leases: LeasesResponse = s.query(&QueryMsg::Leases {
        filter: LeaseFilter::Tenant(tenant.to_string()),
        start_after: None,
        limit: None,
    });
    let starts: Vec<u64> = leases.leases.iter().map(|l| l.created_at).collect();
    assert_eq!(
        starts,
        vec![
            window_end,
            window_end,
            window_end + 1,
            window_end + 1,
            window_end + 2
        ]
    );
    assert_eq!(s.reputation(&provider).active_leases, 5);
    s.assert_conserved();
}

#[test]
fn no_order_ever_gets_a_second_lease() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    let winner = s.provider("winner", 8);
    let loser = s.provider("loser", 8);
    s.create_deployment(&tenant, 1, vec![gpu_group("train", 1, TSR)], MIN_DEPOSIT)
        .unwrap();
    let order = Suite::order_id(&tenant, 1, 1);
    s.bid(&winner, &order, TSR / 2, 1).unwrap();
    s.bid(&loser, &order, TSR, 1).unwrap();
    s.advance_and_end_block(30);
    assert_eq!(s.bid_info(&order.bid(winner.as_str())).state, BidState::Won);

    let matched = || ContractError::OrderNotOpen {
        id: order.to_string(),
        state: "matched".into(),
    };
    for provider in [&loser, &winner] {
        s.expect_error(
            &tenant,
            &ExecuteMsg::AcceptBid {
                bid: order.bid(provider.as_str()),
            },
            &[],
            matched(),
        );
    }
    s.expect_error(
        &loser,
        &ExecuteMsg::PlaceBid {
            order: order.clone(),
            price: cosmwasm_std::Uint128::new(TSR / 4),
            offer: offer(1),
        },
        &coins(BID_DEPOSIT, DENOM),
        matched(),
    );

    // A tenant's acceptance and the hook do not both award: accept first, then the window ends.
    s.create_deployment(&tenant, 2, vec![gpu_group("next", 1, TSR)], MIN_DEPOSIT)
        .unwrap();
    let second = Suite::order_id(&tenant, 2, 1);
    s.bid(&winner, &second, TSR / 2, 1).unwrap();
    s.bid(&loser, &second, TSR / 3, 1).unwrap();
    s.execute(
        &tenant,
        &ExecuteMsg::AcceptBid {
            bid: second.bid(winner.as_str()),
        },
        &[],
    )
    .unwrap();
    s.expect_error(
        &tenant,
        &ExecuteMsg::AcceptBid {
            bid: second.bid(loser.as_str()),
        },
        &[],
        ContractError::OrderNotOpen {
            id: second.to_string(),
            state: "matched".into(),
        },
    );
    let res = s.advance_and_end_block(30);
    assert_eq!(attr(&res, "awarded").as_deref(), Some("0"));

    // Once the lease closes the order is closed for good.
    s.execute(
        &tenant,
        &ExecuteMsg::CloseLease {
            lease: order.bid(winner.as_str()),
            reason: close_reason::TENANT_CLOSED,
        },
        &[],
    )
    .unwrap();
    s.expect_error(
        &tenant,
        &ExecuteMsg::AcceptBid {
            bid: order.bid(loser.as_str()),
        },
        &[],
        ContractError::OrderNotOpen {
            id: order.to_string(),
            state: "closed".into(),
        },
    );

    let leases: LeasesResponse = s.query(&QueryMsg::Leases {
        filter: LeaseFilter::Tenant(tenant.to_string()),
        start_after: None,
        limit: None,
    });
    let ids: Vec<BidId> = leases.leases.into_iter().map(|l| l.id).collect();
    assert_eq!(
        ids,
        vec![order.bid(winner.as_str()), second.bid(winner.as_str())]
    );
    assert_eq!(s.reputation(&loser).leases_started, 0);
    s.assert_conserved();
}
