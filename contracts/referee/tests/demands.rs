//! Demanded leaves: the tenant may demand any leaf of an attestation; the provider reveals it
//! with its proof within the reveal window or is slashed as for an unrevealed sample.

mod common;

use common::*;
use tessera_api::market::{close_reason, LeaseState};
use tessera_api::referee::{
    DemandResponse, DemandedLeaf, DemandsResponse, ExecuteMsg, QueryMsg, RevealedLeaf,
};
use tessera_api::CommonError;
use tessera_referee::ContractError;
use tessera_testing::amounts::TSR;
use tessera_testing::multi_test::ContractSuite;

const REVEAL_WINDOW: u64 = 3_600;

/// A 64-leaf sha256 job (1,024 digests a leaf) on a fresh lease, attested honestly.
fn attested(suite: &mut Suite) -> (Lease, Committed, u64) {
    let tenant = suite.account("tenant", 1_000 * TSR);
    let provider = suite.provider("provider", BOND, 10 * TSR);
    let lease = suite.lease(&tenant, &provider, TestJob::sha256_batch(64 * 1_024, 8, 3));
    let committed = Committed {
        leaves: lease.job.leaf_hashes(),
    };
    let seq = suite.attest(&lease, &committed);
    (lease, committed, seq)
}

fn demand(lease: &Lease, seq: u64, leaf: u64) -> ExecuteMsg {
    ExecuteMsg::DemandLeaf {
        lease: lease.id.clone(),
        seq,
        leaf,
    }
}

fn reveal(lease: &Lease, seq: u64, committed: &Committed, leaf: u64) -> ExecuteMsg {
    ExecuteMsg::RevealLeaf {
        lease: lease.id.clone(),
        seq,
        leaf: RevealedLeaf {
            index: leaf,
            hash: hex(&committed.leaves[leaf as usize]),
            proof: committed.proof(leaf),
        },
    }
}

fn slash(lease: &Lease, seq: u64, leaf: u64) -> ExecuteMsg {
    ExecuteMsg::SlashUnrevealed {
        lease: lease.id.clone(),
        seq,
        leaf: Some(leaf),
    }
}

fn open_demands(suite: &Suite, lease: &Lease) -> Vec<(u64, u64)> {
    let res: DemandsResponse = suite
        .app
        .wrap()
        .query_wasm_smart(
            &suite.referee,
            &QueryMsg::OpenDemands {
                lease: lease.id.clone(),
                start_after: None,
                limit: None,
            },
        )
        .expect("open demands");
    res.demands.iter().map(|d| (d.seq, d.leaf)).collect()
}

#[test]
fn a_demanded_leaf_revealed_with_its_proof_is_settled_and_cannot_be_slashed() -> TestResult {
    let mut suite = Suite::new();
    let (lease, committed, seq) = attested(&mut suite);
    let stranger = suite.account("stranger", TSR);

    suite.expect_error(
        &stranger,
        &demand(&lease, seq, 7),
        &[],
        ContractError::from(CommonError::unauthorized(
            "demanding a leaf",
            "the lease's tenant",
        )),
    );
    suite.execute(&lease.tenant, &demand(&lease, seq, 7), &[])?;
    let demanded_at = suite.now();
    assert_eq!(open_demands(&suite, &lease), vec![(seq, 7)]);

    // Only the provider reveals, only the leaf demanded, only with a proof that holds.
    suite.expect_error(
        &stranger,
        &reveal(&lease, seq, &committed, 7),
        &[],
        ContractError::from(CommonError::unauthorized(
            "revealing a demanded leaf",
            "the lease's provider",
        )),
    );
    suite.expect_error(
        &lease.provider,
        &reveal(&lease, seq, &committed, 8),
        &[],
        ContractError::NotDemanded {
            lease: lease.id.to_string(),
            seq,
            leaf: 8,
        },
    );
    let mut forged = reveal(&lease, seq, &committed, 7);
    if let ExecuteMsg::RevealLeaf { leaf, .. } = &mut forged {
        leaf.hash = hex(&committed.leaves[6]);
    }
    suite.expect_error(
        &lease.provider,
        &forged,
        &[],
        ContractError::RevealInvalid {
            position: 0,
            reason: "leaf 7 does not prove against the attested output root".into(),
        },
    );
    suite.execute(&lease.provider, &reveal(&lease, seq, &committed, 7), &[])?;
    assert!(open_demands(&suite, &lease).is_empty());
    let shown: DemandResponse = suite.app.wrap().query_wasm_smart(
        &suite.referee,
        &QueryMsg::Demand {
            lease: lease.id.clone(),
            seq,
            leaf: 7,
        },
    )?;
    assert_eq!(shown.demanded_at, demanded_at);
    assert_eq!(shown.reveal_deadline, demanded_at + REVEAL_WINDOW);
    assert_eq!(shown.revealed, Some(hex(&committed.leaves[7])));

    // Revealed is final: no second reveal, no slash, even after the window.
    suite.advance(REVEAL_WINDOW + 1);
    let revealed = ContractError::LeafAlreadyRevealed {
        lease: lease.id.to_string(),
        seq,
        leaf: 7,
    };
    suite.expect_error(
        &lease.provider,
        &reveal(&lease, seq, &committed, 7),
        &[],
        revealed.to_string(),
    );
    suite.expect_error(&stranger, &slash(&lease, seq, 7), &[], revealed);
    assert_eq!(suite.bond(&lease.provider), BOND);
    assert_eq!(suite.market_lease(&lease.id).state, LeaseState::Active);
    Ok(())
}

#[test]
fn a_demanded_leaf_left_unrevealed_past_its_window_is_slashed() -> TestResult {
    let mut suite = Suite::new();
    let (lease, _, seq) = attested(&mut suite);
    let watcher = suite.account("watcher", TSR);
    suite.execute(&lease.tenant, &demand(&lease, seq, 63), &[])?;
    let deadline = suite.now() + REVEAL_WINDOW;

    suite.advance(REVEAL_WINDOW);
    suite.expect_error(
        &watcher,
        &slash(&lease, seq, 63),
        &[],
        ContractError::RevealWindowOpen {
            deadline,
            now: deadline,
        },
    );
    suite.expect_error(
        &watcher,
        &slash(&lease, seq, 62),
        &[],
        ContractError::NotDemanded {
            lease: lease.id.to_string(),
            seq,
            leaf: 62,
        },
    );
    suite.advance(1);
    suite.execute(&watcher, &slash(&lease, seq, 63), &[])?;
    // S = 10 TSR: a quarter to whoever slashed, the provider jailed, the lease closed.
    assert_eq!(suite.balance(&watcher), TSR + 2_500_000);
    assert_eq!(suite.bond(&lease.provider), BOND - 10 * TSR);
    assert!(suite.registered(&lease.provider).jailed);
    let closed = suite.market_lease(&lease.id);
    assert_eq!(closed.state, LeaseState::Closed);
    assert_eq!(
        closed.close_reason,
        Some(close_reason::NETWORK_SAMPLE_NOT_REVEALED)
    );
    suite.assert_conserved();
    Ok(())
}

#[test]
fn demands_are_bounded_in_range_number_and_time() -> TestResult {
    let mut suite = Suite::with_params(|p| p.dispute.sample_size = 2);
    let (lease, _, seq) = attested(&mut suite);
    let tenant = lease.tenant.clone();
    suite.expect_error(
        &tenant,
        &demand(&lease, seq, 64),
        &[],
        ContractError::LeafOutOfRange {
            leaf: 64,
            leaf_count: 64,
        },
    );
    suite.execute(&tenant, &demand(&lease, seq, 1), &[])?;
    suite.expect_error(
        &tenant,
        &demand(&lease, seq, 1),
        &[],
        ContractError::AlreadyDemanded {
            lease: lease.id.to_string(),
            seq,
            leaf: 1,
        },
    );
    suite.execute(&tenant, &demand(&lease, seq, 2), &[])?;
    suite.expect_error(
        &tenant,
        &demand(&lease, seq, 3),
        &[],
        ContractError::TooManyDemands {
            lease: lease.id.to_string(),
            seq,
            max: 2,
        },
    );
    assert_eq!(open_demands(&suite, &lease), vec![(seq, 1), (seq, 2)]);
    let page: DemandsResponse = suite.app.wrap().query_wasm_smart(
        &suite.referee,
        &QueryMsg::OpenDemands {
            lease: lease.id.clone(),
            start_after: Some(DemandedLeaf { seq, leaf: 1 }),
            limit: Some(10),
        },
    )?;
    assert_eq!(page.demands.len(), 1);
    assert_eq!(page.demands[0].leaf, 2);

    // Demands stop once the provider's reveal window would overrun the dispute window.
    let period_end = suite.market_lease(&lease.id).attested_to;
    let latest = period_end + 86_400 - REVEAL_WINDOW - 1;
    suite.advance(latest + 1 - suite.now());
    suite.expect_error(
        &tenant,
        &demand(&lease, seq, 5),
        &[],
        ContractError::DemandTooLate {
            lease: lease.id.to_string(),
            seq,
            latest,
            now: latest + 1,
        },
    );
    Ok(())
}
