//! Payments wait for their dispute windows: what a lease draws is owed to no one until an
//! attestation takes it, and is paid out only once that period can no longer be disputed;
//! proven fraud sends everything not yet paid out back to the tenant. And a provider bids only
//! while its bond covers a slash on every lease it would hold.

mod common;

use common::*;
use cosmwasm_std::Uint128;
use cw_multi_test::Executor;
use tessera_api::market::{
    ExecuteMsg as MarketExecuteMsg, PaymentsPendingResponse, QueryMsg as MarketQueryMsg,
};
use tessera_api::registry::ExecuteMsg as RegistryExecuteMsg;
use tessera_testing::amounts::{BID_DEPOSIT, TSR};
use tessera_testing::multi_test::{assert_error_text, wasm_attr};

const WINDOW: u64 = 86_400;

#[test]
fn an_attested_periods_pay_waits_for_its_dispute_window_then_the_hook_pays_it() -> TestResult {
    let mut suite = Suite::new();
    let tenant = suite.account("tenant", 1_000 * TSR);
    let provider = suite.provider("provider", BOND, 10 * TSR);
    let lease = suite.lease(&tenant, &provider, TestJob::sha256_batch(2_048, 8, 1));
    let committed = Committed {
        leaves: lease.job.leaf_hashes(),
    };
    let start_balance = suite.balance(&provider);

    // Ten minutes of settlements: drawn from the escrow, paid to no one yet.
    for _ in 0..10 {
        suite.advance(60);
        suite.end_block();
    }
    let drawn = suite.market_lease(&lease.id).unattested.u128();
    assert!(drawn > 0);
    assert_eq!(suite.balance(&provider), start_balance);

    let seq = suite.attest(&lease, &committed);
    let (payment, release_at) = suite.payment(&lease, seq);
    assert_eq!(payment, drawn, "the attestation takes what was drawn");
    let state = suite.market_lease(&lease.id);
    assert_eq!(state.held.u128(), payment);
    assert_eq!(state.unattested, Uint128::zero());
    assert_eq!(release_at, state.attested_to + WINDOW);

    // An early withdrawal releases nothing.
    let res = suite.market_execute(
        &provider,
        &MarketExecuteMsg::WithdrawLease {
            lease: lease.id.clone(),
        },
        &[],
    )?;
    assert_eq!(wasm_attr(&res, "released").as_deref(), Some("0"));
    assert_eq!(suite.balance(&provider), start_balance);

    // Up to the last second of the window nothing goes out; after it the hook pays, without
    // anyone asking. (The lease keeps drawing meanwhile; only the attested period is paid.)
    let wait = release_at - suite.now() - 1;
    suite.advance(wait);
    suite.end_block();
    assert_eq!(suite.balance(&provider), start_balance);
    suite.advance(1);
    suite.end_block();
    assert_eq!(
        suite.balance(&provider) - start_balance,
        provider_share(payment)
    );
    assert_eq!(suite.market_lease(&lease.id).held, Uint128::zero());
    suite.assert_conserved();
    Ok(())
}

#[test]
fn pay_no_attestation_covers_goes_back_to_the_tenant_when_the_lease_closes() -> TestResult {
    let mut suite = Suite::new();
    let tenant = suite.account("tenant", 1_000 * TSR);
    let provider = suite.provider("provider", BOND, 10 * TSR);
    let lease = suite.lease(&tenant, &provider, TestJob::matmul(64, 1));
    let committed = Committed {
        leaves: lease.job.leaf_hashes(),
    };
    let seq = suite.attest(&lease, &committed);
    suite.end_block();
    let (payment, release_at) = suite.payment(&lease, seq);
    // Another ten minutes drawn, never attested; then the tenant closes.
    for _ in 0..10 {
        suite.advance(60);
        suite.end_block();
    }
    let unattested = suite.market_lease(&lease.id).unattested.u128();
    assert!(unattested > 0);
    let tenant_before = suite.balance(&tenant);
    suite.close(&lease);
    // The deployment refunds its balance, the unattested pay included.
    let refund = suite.balance(&tenant) - tenant_before;
    assert_eq!(refund, 10 * PRICE - payment);
    // The attested period is still paid when its window closes, lease closed or not.
    let provider_before = suite.balance(&provider);
    suite.advance(release_at - suite.now());
    suite.end_block();
    assert_eq!(
        suite.balance(&provider) - provider_before,
        provider_share(payment)
    );
    suite.assert_conserved();
    Ok(())
}

#[test]
fn proven_fraud_voids_every_held_payment_back_to_the_tenant() -> TestResult {
    let mut suite = Suite::new();
    let tenant = suite.account("tenant", 1_000 * TSR);
    let provider = suite.provider("provider", BOND, 10 * TSR);
    let lease = suite.lease(&tenant, &provider, TestJob::render(128, 64, 1, 3));
    let honest = lease.job.leaf_hashes();
    let cheat = Committed::faking(&honest, &[1]);
    // Three attested periods held, then the third's fraud proven.
    let mut seq = 0;
    for _ in 0..3 {
        for _ in 0..10 {
            suite.advance(60);
            suite.end_block();
        }
        seq = suite.attest(&lease, &cheat);
    }
    let held = suite.market_lease(&lease.id).held.u128();
    assert!(held > 0);
    let provider_before = suite.balance(&provider);
    let tenant_before = suite.balance(&tenant);
    let disputer = suite.account("disputer", TSR);
    let res = suite.dispute(&disputer, &lease, seq, &cheat, 1)?;
    assert_eq!(
        tessera_testing::multi_test::first_attr(&res, "voided").as_deref(),
        Some(held.to_string().as_str())
    );
    // The tenant has its whole deposit back (nothing was ever paid out) and a quarter of the
    // slash; the provider gets its bid deposit back and nothing else, ever.
    assert_eq!(
        suite.balance(&tenant) - tenant_before,
        10 * PRICE + 2_500_000
    );
    assert_eq!(suite.balance(&provider) - provider_before, BID_DEPOSIT);
    suite.advance(2 * WINDOW);
    suite.end_block();
    assert_eq!(suite.balance(&provider) - provider_before, BID_DEPOSIT);
    suite.assert_conserved();
    Ok(())
}

/// A tenant, and a provider whose 100 TSR bond covers the 10 TSR minimum slash on ten leases,
/// nine of which it holds for that tenant: room for one more.
fn room_for_one_more_lease(suite: &mut Suite) -> (cosmwasm_std::Addr, cosmwasm_std::Addr) {
    let tenant = suite.account("tenant", 1_000 * TSR);
    let provider = suite.provider("provider", BOND, 20 * TSR);
    for _ in 0..9 {
        suite.lease(&tenant, &provider, TestJob::matmul(64, 1));
    }
    (tenant, provider)
}

#[test]
fn a_provider_bids_only_while_its_bond_covers_a_slash_on_every_lease() -> TestResult {
    let mut suite = Suite::new();
    let (tenant, provider) = room_for_one_more_lease(&mut suite);
    // The tenth fits exactly; an eleventh would not.
    suite.lease(&tenant, &provider, TestJob::matmul(64, 1));
    let order = suite.deploy(&tenant, &TestJob::matmul(64, 2));
    let err = suite.bid(&provider, &order).unwrap_err();
    assert_error_text(
        &err,
        &format!(
            "provider {provider} has a bond of {BOND}, and {} must back its 10 leases and this \
             one against a slash; bond more to bid",
            BOND + 10 * TSR
        ),
    );
    Ok(())
}

#[test]
fn a_bid_wins_only_if_the_bond_still_covers_the_lease_when_it_is_awarded() -> TestResult {
    let mut suite = Suite::new();
    let (tenant, provider) = room_for_one_more_lease(&mut suite);
    // Two bids, each covered when placed.
    let mut bids = Vec::new();
    for seed in [10, 11] {
        let order = suite.deploy(&tenant, &TestJob::matmul(64, seed));
        suite.bid(&provider, &order)?;
        bids.push(order.bid(provider.as_str()));
    }
    // The first award uses the room; the tenant cannot accept the second.
    suite.market_execute(
        &tenant,
        &MarketExecuteMsg::AcceptBid {
            bid: bids[0].clone(),
        },
        &[],
    )?;
    let err = suite
        .market_execute(
            &tenant,
            &MarketExecuteMsg::AcceptBid {
                bid: bids[1].clone(),
            },
            &[],
        )
        .unwrap_err();
    assert_error_text(
        &err,
        &format!(
            "provider {provider} has a bond of {BOND}, and {} must back its 10 leases and this \
             one against a slash; bond more to bid",
            BOND + 10 * TSR
        ),
    );
    // Nor does the auction award it when the window closes: the bid is dropped, its deposit
    // returned, and the order waits for another bidder.
    let before = suite.balance(&provider);
    suite.advance(30);
    suite.end_block();
    assert_eq!(suite.balance(&provider) - before, BID_DEPOSIT);
    let lease: Result<tessera_api::market::LeaseResponse, _> = suite.app.wrap().query_wasm_smart(
        &suite.market,
        &MarketQueryMsg::Lease {
            id: bids[1].clone(),
        },
    );
    assert!(lease.is_err(), "no lease for the uncovered bid: {lease:?}");
    suite.assert_conserved();
    Ok(())
}

#[test]
fn a_provider_may_not_unbond_or_deregister_while_payments_wait_for_their_windows() -> TestResult {
    let mut suite = Suite::new();
    let tenant = suite.account("tenant", 1_000 * TSR);
    let provider = suite.provider("provider", BOND, 10 * TSR);
    let lease = suite.lease(&tenant, &provider, TestJob::sha256_batch(512, 8, 1));
    let committed = Committed {
        leaves: lease.job.leaf_hashes(),
    };
    let registry = suite.registry.clone();
    let unbond = RegistryExecuteMsg::Unbond {
        amount: Uint128::new(TSR),
    };
    let pending = |suite: &Suite| -> Option<u64> {
        let res: PaymentsPendingResponse = suite
            .app
            .wrap()
            .query_wasm_smart(
                &suite.market,
                &MarketQueryMsg::PaymentsPending {
                    provider: provider.to_string(),
                },
            )
            .expect("payments pending");
        res.until
    };

    // Drawn but not yet attested: nothing is pending, the lease itself keeps min_bond locked.
    suite.advance(60);
    suite.end_block();
    assert_eq!(pending(&suite), None);
    let seq = suite.attest(&lease, &committed);
    let (payment, release_at) = suite.payment(&lease, seq);
    assert!(payment > 0);
    assert_eq!(pending(&suite), Some(release_at));

    // The lease ends; its attested pay still waits, and so does the bond behind it.
    suite.close(&lease);
    let bond = suite.bond(&provider);
    let expected = format!(
        "provider {provider} cannot unbond: the market holds its payments for dispute windows \
         open until {release_at} (unix seconds); its bond answers for them until then"
    );
    let err = suite
        .app
        .execute_contract(provider.clone(), registry.clone(), &unbond, &[])
        .expect_err("payments pending");
    assert_error_text(&err, &expected);
    let err = suite
        .app
        .execute_contract(
            provider.clone(),
            registry.clone(),
            &RegistryExecuteMsg::Deregister {},
            &[],
        )
        .expect_err("payments pending");
    assert_error_text(&err, &expected.replace("unbond", "deregister"));
    assert_eq!(suite.bond(&provider), bond, "nothing moved");

    // Once the window has closed the bond is the provider's to take back.
    suite.advance(release_at - suite.now());
    assert_eq!(pending(&suite), None);
    suite
        .app
        .execute_contract(provider.clone(), registry, &unbond, &[])?;
    assert_eq!(suite.bond(&provider), bond - TSR);
    suite.release_all();
    suite.assert_conserved();
    Ok(())
}
