//! Escrow: leases are paid by the second from the deployment's deposit, the network takes its
//! share, and a lease out of funds waits for a top-up before it closes.

mod common;

use common::*;
use cosmwasm_std::{coin, coins, Uint128};
use tessera_api::market::{close_reason, DeploymentState, ExecuteMsg, LeaseState};
use tessera_api::CommonError;
use tessera_market::ContractError;

/// 3.6 TSR/hour (1000 utsr a second) with a deposit that lasts 100 seconds, on a market whose
/// minimum deposit allows it.
fn short_funded() -> Leased {
    leased_with(
        |p| p.min_deposit = vec![coin(1_000, DENOM)],
        3_600_000,
        100_000,
    )
}

/// Runs a short-funded lease until its funds are gone and the hook has noticed (100 s paid,
/// the 101st unpaid). Returns the lease start.
fn run_dry(l: &mut Leased) -> u64 {
    let s = &mut l.suite;
    let start = s.lease(&l.lease).created_at;
    s.advance_and_end_block(60);
    s.advance_and_end_block(40);
    s.advance_and_end_block(1);
    let lease = s.lease(&l.lease);
    assert_eq!(lease.state, LeaseState::InsufficientFunds);
    assert_eq!(lease.insufficient_since, Some(start + 101));
    start
}

#[test]
fn the_hook_pays_out_every_settle_interval_with_the_take_split() {
    // 0.72 TSR/hour = 200 utsr a second.
    let Leased {
        mut suite,
        tenant,
        provider,
        lease,
        dseq,
    } = leased(720_000, 10 * TSR);
    let s = &mut suite;
    let pool = s.pool.clone();
    let (provider_start, pool_start) = (s.balance(&provider), s.balance(&pool));
    let start = s.lease(&lease).created_at;
    assert_eq!(s.burned(), 0);

    // Half-way to the first payout nothing moves.
    s.advance_and_end_block(30);
    assert_eq!(s.lease(&lease).total_paid.u128(), 0);
    assert_eq!(s.balance(&provider), provider_start);

    // 60 s × 200 = 12_000: 2 % take = 240, of which 120 is burned and 120 goes to the pool.
    s.advance_and_end_block(30);
    let l = s.lease(&lease);
    assert_eq!(l.total_paid.u128(), 12_000);
    assert_eq!(l.settled_to, start + 60);
    assert_eq!(s.balance(&provider), provider_start + 11_760);
    assert_eq!(s.balance(&pool), pool_start + 120);
    assert_eq!(s.burned(), 120);
    let escrow = s.escrow(&tenant, dseq);
    assert_eq!(escrow.balance, coin(10 * TSR - 12_000, DENOM));
    assert_eq!(escrow.total_spent.u128(), 12_000);
    assert_eq!(escrow.total_deposited.u128(), 10 * TSR);
    assert_eq!(escrow.rate_per_hour.u128(), 720_000);

    s.advance_and_end_block(60);
    assert_eq!(s.lease(&lease).total_paid.u128(), 24_000);
    assert_eq!(s.balance(&provider), provider_start + 23_520);
    assert_eq!(s.balance(&pool), pool_start + 240);
    assert_eq!(s.burned(), 240);
    s.assert_conserved();
}

#[test]
fn a_price_that_does_not_divide_by_the_hour_carries_its_remainder() {
    // 7 utsr/hour: each minute owes 0.1166…, which must add up to exactly 7 after an hour.
    let Leased {
        mut suite,
        provider,
        lease,
        ..
    } = leased(7, MIN_DEPOSIT);
    let s = &mut suite;
    let provider_start = s.balance(&provider);
    for minute in 1..=59u128 {
        s.advance_and_end_block(60);
        assert_eq!(s.lease(&lease).total_paid.u128(), 7 * minute * 60 / 3600);
    }
    assert_eq!(s.lease(&lease).total_paid.u128(), 6);
    s.advance_and_end_block(60);
    assert_eq!(s.lease(&lease).total_paid.u128(), 7);
    // Payouts this small are below one unit of take: the provider gets all of it.
    assert_eq!(s.balance(&provider), provider_start + 7);
    assert_eq!(s.burned(), 0);
    s.assert_conserved();
}

#[test]
fn payouts_at_irregular_times_lose_nothing_to_rounding() {
    let Leased {
        mut suite,
        provider,
        lease,
        ..
    } = leased(7, MIN_DEPOSIT);
    let s = &mut suite;
    // 3600 = 97 × 37 + 11: the provider withdraws every 37 s, the hook runs in between.
    for _ in 0..97 {
        s.advance_and_end_block(37);
        s.execute(
            &provider,
            &ExecuteMsg::WithdrawLease {
                lease: lease.clone(),
            },
            &[],
        )
        .unwrap();
    }
    assert_eq!(s.lease(&lease).total_paid.u128(), 7 * 3589 / 3600);
    s.advance(11);
    s.execute(
        &provider,
        &ExecuteMsg::WithdrawLease {
            lease: lease.clone(),
        },
        &[],
    )
    .unwrap();
    assert_eq!(s.lease(&lease).total_paid.u128(), 7);
    s.assert_conserved();
}

#[test]
fn the_escrow_predicts_when_funds_run_out_and_the_lease_then_owes_a_debt() {
    let mut l = short_funded();
    let s = &mut l.suite;
    let start = s.lease(&l.lease).created_at;
    let escrow = s.escrow(&l.tenant, l.dseq);
    assert_eq!(escrow.funds_last_until, Some(start + 100));
    assert_eq!(escrow.as_of, start);

    // Unsettled charges count: 50 s in, the balance is untouched but the prediction holds.
    s.advance(50);
    let escrow = s.escrow(&l.tenant, l.dseq);
    assert_eq!(escrow.balance, coin(100_000, DENOM));
    assert_eq!(escrow.funds_last_until, Some(start + 100));

    s.advance_and_end_block(10);
    let lease = s.lease(&l.lease);
    assert_eq!(lease.total_paid.u128(), 60_000);
    let escrow = s.escrow(&l.tenant, l.dseq);
    assert_eq!(escrow.balance, coin(40_000, DENOM));
    assert_eq!(escrow.funds_last_until, Some(start + 100));

    // The hook settles early, exactly when the money runs out…
    s.advance_and_end_block(40);
    let lease = s.lease(&l.lease);
    assert_eq!(lease.state, LeaseState::Active);
    assert_eq!(lease.total_paid.u128(), 100_000);
    assert_eq!(lease.debt.u128(), 0);
    assert_eq!(s.escrow(&l.tenant, l.dseq).balance, coin(0, DENOM));

    // …and one second later the lease owes what it could not pay.
    s.advance_and_end_block(1);
    let lease = s.lease(&l.lease);
    assert_eq!(lease.state, LeaseState::InsufficientFunds);
    assert_eq!(lease.debt.u128(), 1_000);
    assert_eq!(lease.insufficient_since, Some(start + 101));
    assert_eq!(lease.total_paid.u128(), 100_000);
    assert_eq!(s.balance(&s.pool.clone()), 1_000);
    assert_eq!(s.burned(), 1_000);
    s.assert_conserved();
}

#[test]
fn a_top_up_within_the_grace_period_pays_the_debt_first_and_resumes_the_lease() {
    let mut l = short_funded();
    let start = run_dry(&mut l);
    let s = &mut l.suite;
    let friend = s.account("friend", 10 * TSR);
    s.advance(99);
    let provider_before = s.balance(&l.provider);

    // Anyone may top up. The 100 s since the funds ran out (debt included) are paid first.
    s.execute(
        &friend,
        &ExecuteMsg::Deposit {
            owner: l.tenant.to_string(),
            dseq: l.dseq,
        },
        &coins(TSR, DENOM),
    )
    .unwrap();
    let lease = s.lease(&l.lease);
    assert_eq!(lease.state, LeaseState::Active);
    assert_eq!(lease.debt.u128(), 0);
    assert_eq!(lease.insufficient_since, None);
    assert_eq!(lease.total_paid.u128(), 200_000);
    assert_eq!(lease.settled_to, start + 200);
    assert_eq!(s.balance(&l.provider), provider_before + 98_000);
    assert_eq!(s.balance(&friend), 9 * TSR);
    let escrow = s.escrow(&l.tenant, l.dseq);
    assert_eq!(escrow.balance, coin(900_000, DENOM));
    assert_eq!(escrow.total_deposited.u128(), 1_100_000);
    assert_eq!(escrow.funds_last_until, Some(start + 1_100));

    // Past where the grace period would have ended, the lease keeps running and paying.
    for _ in 0..10 {
        let res = s.advance_and_end_block(60);
        assert_eq!(attr(&res, "closed_unfunded").as_deref(), Some("0"));
    }
    let lease = s.lease(&l.lease);
    assert_eq!(s.now(), start + 800);
    assert_eq!(lease.state, LeaseState::Active);
    assert_eq!(lease.total_paid.u128(), 800_000);
    s.assert_conserved();
}

#[test]
fn a_top_up_too_small_for_the_debt_neither_resumes_the_lease_nor_extends_its_grace() {
    let mut l = short_funded();
    let start = run_dry(&mut l);
    let s = &mut l.suite;
    s.advance(99);
    let tenant = l.tenant.clone();
    s.execute(
        &tenant,
        &ExecuteMsg::Deposit {
            owner: tenant.to_string(),
            dseq: l.dseq,
        },
        &coins(50_000, DENOM),
    )
    .unwrap();
    let lease = s.lease(&l.lease);
    assert_eq!(lease.state, LeaseState::InsufficientFunds);
    assert_eq!(lease.total_paid.u128(), 150_000);
    assert_eq!(lease.debt.u128(), 50_000);
    assert_eq!(lease.insufficient_since, Some(start + 101));

    s.advance_and_end_block(500);
    assert_eq!(s.lease(&l.lease).state, LeaseState::InsufficientFunds);
    s.advance_and_end_block(1);
    let lease = s.lease(&l.lease);
    assert_eq!(lease.state, LeaseState::Closed);
    assert_eq!(lease.closed_at, Some(start + 701));
    s.assert_conserved();
}

#[test]
fn when_the_grace_period_ends_the_network_closes_the_lease_and_the_deployment() {
    let mut l = short_funded();
    let start = run_dry(&mut l);
    let s = &mut l.suite;
    let tenant_before = s.balance(&l.tenant);
    let provider_before = s.balance(&l.provider);

    let res = s.advance_and_end_block(599);
    assert_eq!(attr(&res, "closed_unfunded").as_deref(), Some("0"));
    assert_eq!(s.lease(&l.lease).state, LeaseState::InsufficientFunds);

    let res = s.advance_and_end_block(1);
    assert_eq!(attr(&res, "closed_unfunded").as_deref(), Some("1"));
    let lease = s.lease(&l.lease);
    assert_eq!(lease.state, LeaseState::Closed);
    assert_eq!(
        lease.close_reason,
        Some(close_reason::NETWORK_INSUFFICIENT_FUNDS)
    );
    assert_eq!(lease.closed_at, Some(start + 701));
    // Nothing more was paid: the debt is forgiven, not taken from anyone.
    assert_eq!(lease.total_paid.u128(), 100_000);
    let d = s.deployment(&l.tenant, l.dseq);
    assert_eq!(d.state, DeploymentState::Closed);
    assert_eq!(d.closed_at, Some(start + 701));
    assert_eq!(s.balance(&l.tenant), tenant_before);
    assert_eq!(s.balance(&l.provider), provider_before + BID_DEPOSIT);
    assert_eq!(s.balance(&s.market.clone()), 0);
    // Running out of the tenant's money is not the provider's fault.
    let rep = s.reputation(&l.provider);
    assert_eq!(
        (
            rep.leases_completed,
            rep.leases_closed_by_provider,
            rep.active_leases
        ),
        (1, 0, 0)
    );

    // A closed deployment takes no more deposits.
    let tenant = l.tenant.clone();
    s.expect_error(
        &tenant,
        &ExecuteMsg::Deposit {
            owner: tenant.to_string(),
            dseq: l.dseq,
        },
        &coins(TSR, DENOM),
        ContractError::DeploymentClosed {
            id: format!("{tenant}/{}", l.dseq),
        },
    );
    s.assert_conserved();
}

#[test]
fn the_provider_may_withdraw_at_any_time_and_so_may_the_tenant_but_not_a_stranger() {
    let Leased {
        mut suite,
        tenant,
        provider,
        lease,
        ..
    } = leased(720_000, 10 * TSR);
    let s = &mut suite;
    let stranger = s.account("stranger", TSR);
    let pool = s.pool.clone();
    let provider_start = s.balance(&provider);
    let withdraw = ExecuteMsg::WithdrawLease {
        lease: lease.clone(),
    };

    // 30 s × 200 = 6000, before the hook's first payout.
    s.advance(30);
    s.execute(&provider, &withdraw, &[]).unwrap();
    assert_eq!(s.lease(&lease).total_paid.u128(), 6_000);
    assert_eq!(s.balance(&provider), provider_start + 5_880);
    assert_eq!(s.balance(&pool), 60);
    assert_eq!(s.burned(), 60);

    s.advance(10);
    s.execute(&tenant, &withdraw, &[]).unwrap();
    assert_eq!(s.lease(&lease).total_paid.u128(), 8_000);
    assert_eq!(s.balance(&provider), provider_start + 7_840);

    s.advance(10);
    s.expect_error(
        &stranger,
        &withdraw,
        &[],
        ContractError::Common(CommonError::Unauthorized {
            action: "withdrawing from a lease".into(),
            allowed: "its tenant or its provider".into(),
        }),
    );
    assert_eq!(s.lease(&lease).total_paid.u128(), 8_000);

    // Withdrawing twice in one block pays nothing more.
    s.execute(&provider, &withdraw, &[]).unwrap();
    s.execute(&provider, &withdraw, &[]).unwrap();
    assert_eq!(s.lease(&lease).total_paid.u128(), 10_000);
    s.assert_conserved();
}

#[test]
fn deposits_in_another_denom_or_to_a_missing_or_closed_deployment_are_refused() {
    let Leased {
        mut suite,
        tenant,
        dseq,
        ..
    } = leased(720_000, 10 * TSR);
    let s = &mut suite;
    let friend = s.account("friend", 10 * TSR);
    s.mint_other(&friend, TSR, "uatom");
    let deposit = ExecuteMsg::Deposit {
        owner: tenant.to_string(),
        dseq,
    };

    s.expect_error(
        &friend,
        &deposit,
        &coins(TSR, "uatom"),
        ContractError::Common(CommonError::WrongDenom {
            expected: DENOM.into(),
            got: "uatom".into(),
        }),
    );
    s.expect_error(
        &friend,
        &deposit,
        &[],
        ContractError::from(cw_utils::PaymentError::NoFunds {}),
    );
    s.expect_error(
        &friend,
        &deposit,
        &[coin(TSR, DENOM), coin(TSR, "uatom")],
        ContractError::from(cw_utils::PaymentError::MultipleDenoms {}),
    );
    s.expect_error(
        &friend,
        &ExecuteMsg::Deposit {
            owner: tenant.to_string(),
            dseq: dseq + 1,
        },
        &coins(TSR, DENOM),
        ContractError::DeploymentNotFound {
            id: format!("{tenant}/{}", dseq + 1),
        },
    );
    assert_eq!(
        s.escrow(&tenant, dseq).total_deposited,
        Uint128::new(10 * TSR)
    );

    s.execute(&tenant, &ExecuteMsg::CloseDeployment { dseq }, &[])
        .unwrap();
    s.expect_error(
        &friend,
        &deposit,
        &coins(TSR, DENOM),
        ContractError::DeploymentClosed {
            id: format!("{tenant}/{dseq}"),
        },
    );
    assert_eq!(s.balance(&friend), 10 * TSR);
    s.assert_conserved();
}

#[test]
fn many_small_payouts_owe_the_same_take_as_one_large_payout() {
    // 49 utsr per second: each one-second payout's take (0.98) is below one unit.
    let Leased {
        mut suite,
        provider,
        lease,
        ..
    } = leased(49 * 3600, 100 * TSR);
    let provider_before = suite.balance(&provider);
    let pool = suite.pool.clone();
    let pool_before = suite.balance(&pool);
    let burned_before = suite.burned();
    for _ in 0..100 {
        suite.advance(1);
        suite
            .execute(
                &provider,
                &ExecuteMsg::WithdrawLease {
                    lease: lease.clone(),
                },
                &[],
            )
            .unwrap();
    }
    // 4900 paid: 2 % is exactly 98, half burned, half pooled — as if paid at once.
    assert_eq!(suite.lease(&lease).total_paid, Uint128::new(4_900));
    assert_eq!(suite.balance(&provider), provider_before + 4_802);
    assert_eq!(suite.balance(&pool), pool_before + 49);
    assert_eq!(suite.burned(), burned_before + 49);
    suite.assert_conserved();
}
