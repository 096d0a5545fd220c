//! The life of a deployment, start to end.

mod common;

use common::*;
use cosmwasm_std::coins;
use tessera_api::market::{
    close_reason, BidState, DeploymentResponse, DeploymentState, ExecuteMsg, LeaseState,
    OrderState, QueryMsg,
};

#[test]
fn a_deployment_is_leased_paid_by_the_second_and_closed_with_a_refund() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    let winner = s.provider("winner", 8);
    let loser = s.provider("loser", 8);
    let deposit = 10 * TSR;
    s.create_deployment(&tenant, 7, vec![gpu_group("train", 2, 4 * TSR)], deposit)
        .unwrap();
    let order = Suite::order_id(&tenant, 7, 1);
    assert_eq!(s.order(&order).state, OrderState::Open);

    // 3.6 TSR/hour = 1000 utsr per second.
    s.bid(&winner, &order, 3_600_000, 2).unwrap();
    s.bid(&loser, &order, 3_000_001 + 600_000, 2).unwrap();
    let loser_before = s.balance(&loser);
    s.advance_and_end_block(30);

    let lease_id = order.bid(winner.as_str());
    let lease = s.lease(&lease_id);
    assert_eq!(lease.state, LeaseState::Active);
    assert_eq!(s.order(&order).state, OrderState::Matched);
    assert_eq!(
        s.balance(&loser),
        loser_before + BID_DEPOSIT,
        "losing deposit refunded"
    );
    let lost: tessera_api::market::BidResponse = s.query(&QueryMsg::Bid {
        id: order.bid(loser.as_str()),
    });
    assert_eq!(lost.state, BidState::Lost);
    assert_eq!(s.reputation(&winner).active_leases, 1);

    // Two minutes later the hook has paid 120 s × 1000 utsr, less 2 % take (half burned).
    let winner_before = s.balance(&winner);
    let pool_before = s.balance(&s.pool.clone());
    s.advance_and_end_block(60);
    s.advance_and_end_block(60);
    assert_eq!(s.lease(&lease_id).total_paid.u128(), 120_000);
    assert_eq!(s.balance(&winner), winner_before + 117_600);
    assert_eq!(s.balance(&s.pool.clone()), pool_before + 1_200);
    assert_eq!(s.burned(), 1_200);

    // The tenant closes 30 s later: that time is paid too, the rest comes back.
    s.advance(30);
    let tenant_before = s.balance(&tenant);
    s.execute(&tenant, &ExecuteMsg::CloseDeployment { dseq: 7 }, &[])
        .unwrap();
    let lease = s.lease(&lease_id);
    assert_eq!(lease.state, LeaseState::Closed);
    assert_eq!(lease.close_reason, Some(close_reason::TENANT_CLOSED));
    assert_eq!(lease.total_paid.u128(), 150_000);
    assert_eq!(s.balance(&tenant), tenant_before + deposit - 150_000);
    assert_eq!(s.balance(&winner), winner_before + 147_000 + BID_DEPOSIT);
    assert_eq!(s.balance(&s.market.clone()), 0, "the market keeps nothing");
    let d: DeploymentResponse = s.query(&QueryMsg::Deployment {
        owner: tenant.to_string(),
        dseq: 7,
    });
    assert_eq!(d.state, DeploymentState::Closed);
    let rep = s.reputation(&winner);
    assert_eq!((rep.active_leases, rep.leases_completed), (0, 1));
    s.assert_conserved();
}

#[test]
fn closing_an_unleased_deployment_refunds_deposit_and_open_bids() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    let provider = s.provider("provider", 1);
    let tenant_start = s.balance(&tenant);
    s.create_deployment(&tenant, 1, vec![gpu_group("a", 1, TSR)], MIN_DEPOSIT)
        .unwrap();
    let order = Suite::order_id(&tenant, 1, 1);
    s.bid(&provider, &order, TSR / 2, 1).unwrap();
    let provider_before = s.balance(&provider);
    s.execute(&tenant, &ExecuteMsg::CloseDeployment { dseq: 1 }, &[])
        .unwrap();
    assert_eq!(s.balance(&tenant), tenant_start);
    assert_eq!(s.balance(&provider), provider_before + BID_DEPOSIT);
    assert_eq!(s.order(&order).state, OrderState::Closed);
    // The auction entry went with the order: the hook finds nothing to award.
    let res = s.advance_and_end_block(60);
    assert!(res.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|a| a.key == "awarded" && a.value == "0")));
    s.assert_conserved();
}

#[test]
fn the_last_lease_closing_closes_the_deployment_and_refunds_it() {
    let Leased {
        mut suite,
        tenant,
        provider,
        lease,
        dseq,
    } = leased(TSR, 10 * TSR);
    suite.advance(3600);
    let tenant_before = suite.balance(&tenant);
    suite
        .execute(
            &provider,
            &ExecuteMsg::CloseLease {
                lease: lease.clone(),
                reason: close_reason::PROVIDER_CLOSED,
            },
            &[],
        )
        .unwrap();
    let d: DeploymentResponse = suite.query(&QueryMsg::Deployment {
        owner: tenant.to_string(),
        dseq,
    });
    assert_eq!(d.state, DeploymentState::Closed);
    assert_eq!(suite.balance(&tenant), tenant_before + 9 * TSR);
    assert_eq!(suite.reputation(&provider).leases_closed_by_provider, 1);
    suite.assert_conserved();
}

#[test]
fn the_manifest_hash_can_be_replaced_while_the_deployment_is_active() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    s.create_deployment(&tenant, 3, vec![gpu_group("a", 1, TSR)], MIN_DEPOSIT)
        .unwrap();
    let new_hash = "ab".repeat(32);
    s.execute(
        &tenant,
        &ExecuteMsg::UpdateManifest {
            dseq: 3,
            manifest_hash: new_hash.clone(),
        },
        &[],
    )
    .unwrap();
    let d: DeploymentResponse = s.query(&QueryMsg::Deployment {
        owner: tenant.to_string(),
        dseq: 3,
    });
    assert_eq!(d.manifest_hash, new_hash);

    s.execute(&tenant, &ExecuteMsg::CloseDeployment { dseq: 3 }, &[])
        .unwrap();
    s.expect_error(
        &tenant,
        &ExecuteMsg::UpdateManifest {
            dseq: 3,
            manifest_hash: new_hash,
        },
        &[],
        tessera_market::ContractError::DeploymentClosed {
            id: format!("{tenant}/3"),
        },
    );
}

#[test]
fn dseq_defaults_to_the_block_height_and_deployments_are_listed_by_owner() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    let height = s.app.block_info().height;
    s.execute(
        &tenant,
        &ExecuteMsg::CreateDeployment {
            dseq: None,
            groups: vec![gpu_group("a", 1, TSR), gpu_group("b", 2, 2 * TSR)],
            manifest_hash: MANIFEST.into(),
            bid_window_secs: Some(10),
            sample_size: None,
            secret_hash: None,
        },
        &coins(MIN_DEPOSIT, DENOM),
    )
    .unwrap();
    let list: tessera_api::market::DeploymentsResponse = s.query(&QueryMsg::Deployments {
        owner: tenant.to_string(),
        start_after: None,
        limit: None,
    });
    assert_eq!(list.deployments.len(), 1);
    let d = &list.deployments[0];
    assert_eq!(d.id.dseq, height);
    assert_eq!(d.groups.len(), 2);
    assert_eq!(d.bid_window_secs, 10);
    let open: tessera_api::market::OrdersResponse = s.query(&QueryMsg::Orders {
        state: None,
        start_after: None,
        limit: None,
    });
    assert_eq!(open.orders.len(), 2);
    assert_eq!(open.orders[1].id.gseq, 2);
}
