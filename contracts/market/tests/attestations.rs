//! Usage attestations, their deadlines, and the manifest timeout and close reasons that decide
//! how a lease ends.

mod common;

use common::*;
use tessera_api::market::{close_reason, AttestationsResponse, ExecuteMsg, LeaseState, QueryMsg};
use tessera_api::{CommonError, LeaseId, ValidationError};
use tessera_market::ContractError;

fn attest(lease: &LeaseId, start: u64, end: u64, gpu_seconds: u64) -> ExecuteMsg {
    attest_with(lease, start, end, gpu_seconds, ROOT, INVENTORY)
}

fn attest_with(
    lease: &LeaseId,
    start: u64,
    end: u64,
    gpu_seconds: u64,
    output_root: &str,
    inventory_hash: &str,
) -> ExecuteMsg {
    ExecuteMsg::SubmitAttestation {
        lease: lease.clone(),
        period_start: start,
        period_end: end,
        gpu_seconds,
        work_units: gpu_seconds / 10,
        output_root: output_root.into(),
        inventory_hash: inventory_hash.into(),
        leaf_count: None,
    }
}

fn attestations(s: &Suite, lease: &LeaseId, start_after: Option<u64>, limit: u32) -> Vec<u64> {
    let page: AttestationsResponse = s.query(&QueryMsg::Attestations {
        lease: lease.clone(),
        start_after,
        limit: Some(limit),
    });
    page.attestations.iter().map(|a| a.seq).collect()
}

fn close(lease: &LeaseId, reason: u32) -> ExecuteMsg {
    ExecuteMsg::CloseLease {
        lease: lease.clone(),
        reason,
    }
}

#[test]
fn contiguous_periods_are_accepted_and_listed_page_by_page() {
    let Leased {
        mut suite,
        provider,
        lease,
        ..
    } = leased(TSR, 10 * TSR);
    let s = &mut suite;
    let start = s.lease(&lease).attested_to;
    assert_eq!(start, s.lease(&lease).created_at);

    s.advance(100);
    s.execute(&provider, &attest(&lease, start, start + 50, 50), &[])
        .unwrap();
    s.execute(&provider, &attest(&lease, start + 50, start + 100, 40), &[])
        .unwrap();
    s.advance(50);
    let height = s.app.block_info().height;
    s.execute(
        &provider,
        &attest(&lease, start + 100, start + 150, 50),
        &[],
    )
    .unwrap();

    let l = s.lease(&lease);
    assert_eq!((l.attestations, l.attested_to), (3, start + 150));
    assert_eq!(attestations(s, &lease, None, 2), vec![1, 2]);
    assert_eq!(attestations(s, &lease, Some(2), 2), vec![3]);
    assert_eq!(attestations(s, &lease, Some(3), 2), Vec::<u64>::new());

    let page: AttestationsResponse = s.query(&QueryMsg::Attestations {
        lease: lease.clone(),
        start_after: Some(2),
        limit: None,
    });
    let third = &page.attestations[0];
    assert_eq!(third.lease, lease);
    assert_eq!(
        (third.period_start, third.period_end, third.gpu_seconds),
        (start + 100, start + 150, 50)
    );
    assert_eq!(third.work_units, 5);
    assert_eq!(third.output_root, ROOT);
    assert_eq!(third.inventory_hash, INVENTORY);
    assert_eq!(third.submitted_at_height, height);
    s.assert_conserved();
}

#[test]
fn a_period_that_leaves_a_gap_or_overlaps_is_refused() {
    let Leased {
        mut suite,
        provider,
        lease,
        ..
    } = leased(TSR, 10 * TSR);
    let s = &mut suite;
    let start = s.lease(&lease).attested_to;
    s.advance(100);

    s.expect_error(
        &provider,
        &attest(&lease, start + 10, start + 50, 40),
        &[],
        ContractError::AttestationNotContiguous {
            id: lease.to_string(),
            expected: start,
            got: start + 10,
        },
    );
    s.execute(&provider, &attest(&lease, start, start + 50, 50), &[])
        .unwrap();
    s.expect_error(
        &provider,
        &attest(&lease, start + 40, start + 60, 20),
        &[],
        ContractError::AttestationNotContiguous {
            id: lease.to_string(),
            expected: start + 50,
            got: start + 40,
        },
    );
    s.expect_error(
        &provider,
        &attest(&lease, start, start + 50, 50),
        &[],
        ContractError::AttestationNotContiguous {
            id: lease.to_string(),
            expected: start + 50,
            got: start,
        },
    );
    assert_eq!(s.lease(&lease).attestations, 1);
}

#[test]
fn an_empty_or_future_period_is_refused() {
    let Leased {
        mut suite,
        provider,
        lease,
        ..
    } = leased(TSR, 10 * TSR);
    let s = &mut suite;
    let start = s.lease(&lease).attested_to;
    s.advance(100);
    let now = s.now();

    s.expect_error(
        &provider,
        &attest(&lease, start, start, 0),
        &[],
        ContractError::AttestationPeriodInvalid {
            start,
            end: start,
            now,
        },
    );
    s.expect_error(
        &provider,
        &attest(&lease, start, now + 1, 1),
        &[],
        ContractError::AttestationPeriodInvalid {
            start,
            end: now + 1,
            now,
        },
    );
    // Up to the current block time is fine.
    s.execute(&provider, &attest(&lease, start, now, 100), &[])
        .unwrap();
}

#[test]
fn gpu_seconds_beyond_the_period_times_the_gpus_are_refused() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    let provider = s.provider("provider", 8);
    s.create_deployment(&tenant, 1, vec![gpu_group("train", 4, TSR)], MIN_DEPOSIT)
        .unwrap();
    let order = Suite::order_id(&tenant, 1, 1);
    s.bid(&provider, &order, TSR, 4).unwrap();
    s.advance_and_end_block(30);
    let lease = order.bid(provider.as_str());
    let start = s.lease(&lease).attested_to;
    s.advance(100);

    s.expect_error(
        &provider,
        &attest(&lease, start, start + 100, 401),
        &[],
        ContractError::AttestationGpuSecondsExceeded {
            claimed: 401,
            max: 400,
            gpus: 4,
        },
    );
    s.execute(&provider, &attest(&lease, start, start + 100, 400), &[])
        .unwrap();
}

#[test]
fn only_the_leases_provider_may_attest() {
    let Leased {
        mut suite,
        tenant,
        provider,
        lease,
        ..
    } = leased(TSR, 10 * TSR);
    let s = &mut suite;
    let other = s.provider("other", 8);
    let start = s.lease(&lease).attested_to;
    s.advance(100);
    let unauthorized = || {
        ContractError::Common(CommonError::Unauthorized {
            action: "attesting usage of a lease".into(),
            allowed: "the lease's provider".into(),
        })
    };

    s.expect_error(
        &tenant,
        &attest(&lease, start, start + 50, 50),
        &[],
        unauthorized(),
    );
    s.expect_error(
        &other,
        &attest(&lease, start, start + 50, 50),
        &[],
        unauthorized(),
    );
    // Naming itself as the provider only finds no such lease.
    let posing = lease.order().bid(other.as_str());
    s.expect_error(
        &other,
        &attest(&posing, start, start + 50, 50),
        &[],
        ContractError::LeaseNotFound {
            id: posing.to_string(),
        },
    );
    s.execute(&provider, &attest(&lease, start, start + 50, 50), &[])
        .unwrap();
}

#[test]
fn a_closed_lease_takes_no_attestations() {
    let Leased {
        mut suite,
        tenant,
        provider,
        lease,
        ..
    } = leased(TSR, 10 * TSR);
    let s = &mut suite;
    let start = s.lease(&lease).attested_to;
    s.advance(100);
    s.execute(&tenant, &close(&lease, close_reason::TENANT_CLOSED), &[])
        .unwrap();
    s.expect_error(
        &provider,
        &attest(&lease, start, start + 100, 100),
        &[],
        ContractError::LeaseClosed {
            id: lease.to_string(),
        },
    );
    s.assert_conserved();
}

#[test]
fn attestation_digests_must_be_sha256_hex() {
    let Leased {
        mut suite,
        provider,
        lease,
        ..
    } = leased(TSR, 10 * TSR);
    let s = &mut suite;
    let start = s.lease(&lease).attested_to;
    s.advance(100);
    let not_a_digest = |what: &str, value: &str| {
        ContractError::from(ValidationError::new(
            what,
            format!("{value:?} is not a sha256 digest (64 lowercase hex characters)"),
        ))
    };
    let upper = "AB".repeat(32);
    let short = "ab".repeat(31);

    for (root, inventory, expected) in [
        ("xyz", INVENTORY, not_a_digest("output_root", "xyz")),
        ("", INVENTORY, not_a_digest("output_root", "")),
        (
            upper.as_str(),
            INVENTORY,
            not_a_digest("output_root", &upper),
        ),
        (ROOT, short.as_str(), not_a_digest("inventory_hash", &short)),
        (ROOT, "", not_a_digest("inventory_hash", "")),
    ] {
        s.expect_error(
            &provider,
            &attest_with(&lease, start, start + 50, 50, root, inventory),
            &[],
            expected,
        );
    }
    assert_eq!(s.lease(&lease).attestations, 0);
}

#[test]
fn a_missed_attestation_deadline_is_counted_on_the_lease_and_in_the_registry() {
    let Leased {
        mut suite,
        provider,
        lease,
        ..
    } = leased(TSR, 10 * TSR);
    let s = &mut suite;
    let start = s.lease(&lease).created_at;

    let res = s.advance_and_end_block(599);
    assert_eq!(attr(&res, "missed_attestations").as_deref(), Some("0"));
    assert_eq!(s.lease(&lease).missed_attestations, 0);

    let res = s.advance_and_end_block(1);
    assert_eq!(attr(&res, "missed_attestations").as_deref(), Some("1"));
    assert_eq!(s.lease(&lease).missed_attestations, 1);
    let rep = s.reputation(&provider);
    assert_eq!(rep.missed_attestations, 1);
    assert_eq!(rep.score(), -1);

    // The next deadline is one interval later; each missed interval counts once.
    s.advance_and_end_block(599);
    assert_eq!(s.lease(&lease).missed_attestations, 1);
    s.advance_and_end_block(1);
    assert_eq!(s.lease(&lease).missed_attestations, 2);
    assert_eq!(s.reputation(&provider).missed_attestations, 2);
    assert_eq!(s.now(), start + 1200);

    // Attesting late still works and moves the deadline to an interval after its end.
    s.execute(&provider, &attest(&lease, start, start + 1200, 1200), &[])
        .unwrap();
    s.advance_and_end_block(599);
    assert_eq!(s.lease(&lease).missed_attestations, 2);
    s.advance_and_end_block(1);
    assert_eq!(s.lease(&lease).missed_attestations, 3);
    s.assert_conserved();
}

#[test]
fn an_attestation_on_time_avoids_the_miss() {
    let Leased {
        mut suite,
        provider,
        lease,
        ..
    } = leased(TSR, 10 * TSR);
    let s = &mut suite;
    let start = s.lease(&lease).created_at;

    s.advance_and_end_block(590);
    s.execute(&provider, &attest(&lease, start, start + 590, 590), &[])
        .unwrap();
    // The old deadline passes without a miss; the new one is 600 s after the period's end.
    let res = s.advance_and_end_block(10);
    assert_eq!(attr(&res, "missed_attestations").as_deref(), Some("0"));
    s.advance_and_end_block(589);
    assert_eq!(s.lease(&lease).missed_attestations, 0);
    assert_eq!(s.reputation(&provider).missed_attestations, 0);
    s.advance_and_end_block(1);
    assert_eq!(s.lease(&lease).missed_attestations, 1);
    s.assert_conserved();
}

#[test]
fn a_closed_lease_misses_no_more_deadlines() {
    let Leased {
        mut suite,
        tenant,
        provider,
        lease,
        ..
    } = leased(TSR, 10 * TSR);
    let s = &mut suite;
    s.advance(100);
    s.execute(&tenant, &close(&lease, close_reason::TENANT_CLOSED), &[])
        .unwrap();
    s.advance_and_end_block(2000);
    assert_eq!(s.lease(&lease).missed_attestations, 0);
    assert_eq!(s.reputation(&provider).missed_attestations, 0);
}

#[test]
fn a_provider_may_release_a_lease_without_penalty_only_after_the_manifest_timeout() {
    let Leased {
        mut suite,
        tenant,
        provider,
        lease,
        dseq,
    } = leased(TSR, 10 * TSR);
    let s = &mut suite;
    let start = s.lease(&lease).created_at;
    let release = close(&lease, close_reason::PROVIDER_MANIFEST_TIMEOUT);

    s.advance(299);
    s.expect_error(
        &provider,
        &release,
        &[],
        ContractError::ManifestTimeoutNotReached {
            id: lease.to_string(),
            at: start + 300,
            now: start + 299,
        },
    );
    s.advance(1);
    s.execute(&provider, &release, &[]).unwrap();
    let l = s.lease(&lease);
    assert_eq!(l.state, LeaseState::Closed);
    assert_eq!(
        l.close_reason,
        Some(close_reason::PROVIDER_MANIFEST_TIMEOUT)
    );
    // The 300 s it was held are still paid.
    assert_eq!(l.total_paid.u128(), TSR * 300 / 3600);
    let rep = s.reputation(&provider);
    assert_eq!(
        (
            rep.leases_released,
            rep.leases_closed_by_provider,
            rep.active_leases
        ),
        (1, 0, 0)
    );
    assert_eq!(rep.score(), 0);
    assert_eq!(
        s.deployment(&tenant, dseq).state,
        tessera_api::market::DeploymentState::Closed
    );
    s.assert_conserved();
}

#[test]
fn a_provider_that_attested_cannot_claim_the_manifest_never_came() {
    let Leased {
        mut suite,
        provider,
        lease,
        ..
    } = leased(TSR, 10 * TSR);
    let s = &mut suite;
    let start = s.lease(&lease).created_at;
    s.advance(100);
    s.execute(&provider, &attest(&lease, start, start + 100, 100), &[])
        .unwrap();
    s.advance(300);
    s.expect_error(
        &provider,
        &close(&lease, close_reason::PROVIDER_MANIFEST_TIMEOUT),
        &[],
        ContractError::ManifestTimeoutNotReached {
            id: lease.to_string(),
            at: start + 300,
            now: start + 400,
        },
    );
    // An ordinary provider close is still possible, and counts against it.
    s.execute(
        &provider,
        &close(&lease, close_reason::PROVIDER_CLOSED),
        &[],
    )
    .unwrap();
    let rep = s.reputation(&provider);
    assert_eq!((rep.leases_released, rep.leases_closed_by_provider), (0, 1));
    s.assert_conserved();
}

#[test]
fn a_close_reason_outside_the_closers_range_is_refused() {
    let Leased {
        mut suite,
        tenant,
        provider,
        lease,
        ..
    } = leased(TSR, 10 * TSR);
    let s = &mut suite;
    s.advance(400);
    let invalid =
        |reason: u32, closer: &str, min: u32, max: u32| ContractError::InvalidCloseReason {
            reason,
            closer: closer.into(),
            min,
            max,
        };

    for (sender, reason, expected) in [
        (&tenant, 0, invalid(0, "tenant", 1, 10_000)),
        (&tenant, 10_000, invalid(10_000, "tenant", 1, 10_000)),
        (
            &tenant,
            close_reason::PROVIDER_MANIFEST_TIMEOUT,
            invalid(10_001, "tenant", 1, 10_000),
        ),
        (
            &tenant,
            close_reason::NETWORK_INSUFFICIENT_FUNDS,
            invalid(20_000, "tenant", 1, 10_000),
        ),
        (&provider, 1, invalid(1, "provider", 10_000, 20_000)),
        (&provider, 9_999, invalid(9_999, "provider", 10_000, 20_000)),
        (
            &provider,
            close_reason::NETWORK_DEPLOYMENT_CLOSED,
            invalid(20_001, "provider", 10_000, 20_000),
        ),
    ] {
        s.expect_error(sender, &close(&lease, reason), &[], expected);
    }
    assert_eq!(s.lease(&lease).state, LeaseState::Active);

    // The top of each range is fine.
    s.execute(&tenant, &close(&lease, 9_999), &[]).unwrap();
    assert_eq!(s.lease(&lease).close_reason, Some(9_999));
    s.assert_conserved();
}
