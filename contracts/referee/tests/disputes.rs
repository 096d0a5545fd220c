//! Disputes one at a time: proven fraud, rejected disputes, and everything a dispute must get
//! right before the referee recomputes anything.

mod common;

use common::*;
use cosmwasm_std::{coins, Binary};
use tessera_api::market::{close_reason, ExecuteMsg as MarketExecuteMsg, LeaseState};
use tessera_api::referee::{ExecuteMsg, QueryMsg, StagedInputResponse, MAX_STAGED_INPUT_BYTES};
use tessera_testing::amounts::{DENOM, TSR};
use tessera_testing::multi_test::{wasm_attr, ContractSuite};

/// A render job of 6 tiles on a fresh lease, its honest leaves, and the suite.
fn render_lease(suite: &mut Suite) -> (Lease, Vec<tessera_api::merkle::Hash>) {
    let tenant = suite.account("tenant", 1_000 * TSR);
    let provider = suite.provider("provider", BOND, 10 * TSR);
    let lease = suite.lease(&tenant, &provider, TestJob::render(150, 70, 2, 7));
    let honest = lease.job.leaf_hashes();
    assert_eq!(honest.len(), 6);
    (lease, honest)
}

#[test]
fn a_wrong_leaf_is_proven_fraud_the_provider_slashed_and_jailed_the_lease_closed() -> TestResult {
    let mut suite = Suite::new();
    let (lease, honest) = render_lease(&mut suite);
    let cheat = Committed::faking(&honest, &[4]);
    let seq = suite.attest(&lease, &cheat);
    let disputer = suite.account("disputer", 2 * TSR);
    let tenant_before = suite.balance(&lease.tenant);
    let burned_before = suite.ledger.burned(&suite.app);

    let res = suite.dispute(&disputer, &lease, seq, &cheat, 4)?;
    assert_eq!(wasm_attr(&res, "verdict").as_deref(), Some("fraud"));
    // S = max(3 × 6 TSR/h × 10 min, 10 TSR) = 10 TSR: 2.5 to the disputer (its deposit back
    // too), 2.5 to the tenant, 5 burned; the provider is jailed and the lease closed.
    assert_eq!(suite.balance(&disputer), 2 * TSR + 2_500_000);
    // The tenant gets its quarter, and (its only lease closed, so the deployment too) what is
    // left of its escrow: everything but what the provider was paid before the fraud.
    let paid = suite.market_lease(&lease.id).total_paid.u128();
    assert_eq!(
        suite.balance(&lease.tenant) - tenant_before,
        2_500_000 + 10 * PRICE - paid
    );
    assert_eq!(suite.ledger.burned(&suite.app) - burned_before, 5 * TSR);
    assert_eq!(suite.bond(&lease.provider), BOND - 10 * TSR);
    let registered = suite.registered(&lease.provider);
    assert!(registered.jailed);
    assert_eq!(registered.reputation.slashes, 1);
    let closed = suite.market_lease(&lease.id);
    assert_eq!(closed.state, LeaseState::Closed);
    assert_eq!(
        closed.close_reason,
        Some(close_reason::NETWORK_FRAUD_PROVEN)
    );
    suite.assert_conserved();
    Ok(())
}

#[test]
fn a_right_leaf_rejects_the_dispute_half_the_deposit_to_the_provider_half_burned() -> TestResult {
    let mut suite = Suite::new();
    let (lease, honest) = render_lease(&mut suite);
    let committed = Committed { leaves: honest };
    let seq = suite.attest(&lease, &committed);
    let disputer = suite.account("disputer", 2 * TSR);
    let provider_before = suite.balance(&lease.provider);
    let burned_before = suite.ledger.burned(&suite.app);

    let res = suite.dispute(&disputer, &lease, seq, &committed, 5)?;
    assert_eq!(wasm_attr(&res, "verdict").as_deref(), Some("rejected"));
    assert_eq!(suite.balance(&disputer), TSR);
    assert_eq!(suite.balance(&lease.provider) - provider_before, TSR / 2);
    assert_eq!(suite.ledger.burned(&suite.app) - burned_before, TSR / 2);
    assert_eq!(suite.bond(&lease.provider), BOND);
    assert!(!suite.registered(&lease.provider).jailed);
    assert_eq!(suite.market_lease(&lease.id).state, LeaseState::Active);
    suite.assert_conserved();
    Ok(())
}

#[test]
fn fraud_is_proven_once_per_lease() -> TestResult {
    let mut suite = Suite::new();
    let (lease, honest) = render_lease(&mut suite);
    let cheat = Committed::faking(&honest, &[1, 3]);
    let seq = suite.attest(&lease, &cheat);
    let disputer = suite.account("disputer", 4 * TSR);
    suite.dispute(&disputer, &lease, seq, &cheat, 1)?;
    let bond = suite.bond(&lease.provider);
    let msg = Suite::dispute_msg(&lease, seq, &cheat, 3);
    suite.expect_error(
        &disputer,
        &msg,
        &coins(TSR, DENOM),
        format!(
            "fraud on lease {} was already proven (attestation 1): one slash per lease",
            lease.id
        ),
    );
    assert_eq!(suite.bond(&lease.provider), bond);
    suite.assert_conserved();
    Ok(())
}

#[test]
fn only_the_referee_reports_fraud() -> TestResult {
    let mut suite = Suite::new();
    let (lease, honest) = render_lease(&mut suite);
    let seq = suite.attest(&lease, &Committed { leaves: honest });
    let stranger = suite.account("stranger", TSR);
    let err = suite
        .market_execute(
            &stranger,
            &MarketExecuteMsg::FraudProven {
                lease: lease.id.clone(),
                seq,
                disputer: stranger.to_string(),
                unrevealed: false,
            },
            &[],
        )
        .unwrap_err();
    tessera_testing::multi_test::assert_error_text(
        &err,
        "unauthorized: reporting fraud may only be done by the referee",
    );
    Ok(())
}

#[test]
fn a_dispute_after_its_window_is_refused() -> TestResult {
    let mut suite = Suite::new();
    let (lease, honest) = render_lease(&mut suite);
    let cheat = Committed::faking(&honest, &[0]);
    let seq = suite.attest(&lease, &cheat);
    let period_end = suite.market_lease(&lease.id).attested_to;
    let disputer = suite.account("disputer", 2 * TSR);
    let wait = period_end + 86_400 - suite.now();
    suite.advance(wait + 1);
    let msg = Suite::dispute_msg(&lease, seq, &cheat, 0);
    suite.expect_error(
        &disputer,
        &msg,
        &coins(TSR, DENOM),
        format!(
            "the dispute window of attestation 1 of lease {} closed at {} (now {})",
            lease.id,
            period_end + 86_400,
            suite.now()
        ),
    );
    assert!(!suite.registered(&lease.provider).jailed);
    assert_eq!(suite.balance(&disputer), 2 * TSR);
    Ok(())
}

#[test]
fn a_dispute_must_show_what_the_provider_committed_with_the_deployments_manifest() -> TestResult {
    let mut suite = Suite::new();
    let (lease, honest) = render_lease(&mut suite);
    let cheat = Committed::faking(&honest, &[2]);
    let seq = suite.attest(&lease, &cheat);
    let disputer = suite.account("disputer", 5 * TSR);
    let deposit = coins(TSR, DENOM);
    let base = Suite::dispute_msg(&lease, seq, &cheat, 2);
    let with = |change: &dyn Fn(&mut ExecuteMsg)| {
        let mut msg = base.clone();
        change(&mut msg);
        msg
    };

    // A hash the provider did not commit at that position.
    let other = with(&|m| {
        let ExecuteMsg::Dispute { leaf_hash, .. } = m else {
            unreachable!("a dispute")
        };
        *leaf_hash = hex(&honest[2]);
    });
    suite.expect_error(
        &disputer,
        &other,
        &deposit,
        format!(
            "the proof does not show leaf hash {} as leaf 2 under output root {}",
            hex(&honest[2]),
            hex(&cheat.root())
        ),
    );
    let out_of_range = with(&|m| {
        let ExecuteMsg::Dispute { leaf, .. } = m else {
            unreachable!("a dispute")
        };
        *leaf = 6;
    });
    suite.expect_error(
        &disputer,
        &out_of_range,
        &deposit,
        "leaf 6 is out of range: the attestation covers 6 leaves",
    );
    let not_hex = with(&|m| {
        let ExecuteMsg::Dispute { proof, .. } = m else {
            unreachable!("a dispute")
        };
        proof[0] = "zz".into();
    });
    suite.expect_error(
        &disputer,
        &not_hex,
        &deposit,
        "proof[0] is not a 32-byte hex hash: \"zz\"",
    );
    let other_job = TestJob::render(150, 70, 3, 7);
    let wrong_manifest = with(&|m| {
        let ExecuteMsg::Dispute { manifest, .. } = m else {
            unreachable!("a dispute")
        };
        *manifest = Binary::from(other_job.manifest.clone());
    });
    suite.expect_error(
        &disputer,
        &wrong_manifest,
        &deposit,
        format!(
            "the manifest's sha256 is {}; the deployment's manifest_hash is {}",
            other_job.manifest_hash(),
            lease.job.manifest_hash()
        ),
    );
    let no_such = with(&|m| {
        let ExecuteMsg::Dispute { seq, .. } = m else {
            unreachable!("a dispute")
        };
        *seq = 2;
    });
    suite.expect_error(
        &disputer,
        &no_such,
        &deposit,
        format!("attestation 2 of lease {} does not exist", lease.id),
    );
    suite.expect_error(
        &disputer,
        &base,
        &coins(TSR / 2, DENOM),
        "a dispute carries exactly 1000000utsr as its deposit, got 500000utsr",
    );
    suite.expect_error(&disputer, &base, &[], "No funds sent");

    // Nothing moved; the true claim still wins.
    assert_eq!(suite.balance(&disputer), 5 * TSR);
    assert!(!suite.registered(&lease.provider).jailed);
    suite.dispute(&disputer, &lease, seq, &cheat, 2)?;
    assert!(suite.registered(&lease.provider).jailed);
    suite.assert_conserved();
    Ok(())
}

#[test]
fn a_kernel_with_an_input_file_needs_the_declared_file() -> TestResult {
    let mut suite = Suite::new();
    let tenant = suite.account("tenant", 1_000 * TSR);
    let provider = suite.provider("provider", BOND, 10 * TSR);
    let lease = suite.lease(&tenant, &provider, TestJob::mlp(&[5, 4, 3], 700, 3));
    let honest = lease.job.leaf_hashes();
    let cheat = Committed::faking(&honest, &[2]);
    let seq = suite.attest(&lease, &cheat);
    let disputer = suite.account("disputer", 4 * TSR);
    let mut msg = Suite::dispute_msg(&lease, seq, &cheat, 2);
    let ExecuteMsg::Dispute { input, .. } = &mut msg else {
        unreachable!("a dispute")
    };
    *input = None;
    suite.expect_error(
        &disputer,
        &msg,
        &coins(TSR, DENOM),
        "input \"weights.bin\": the kernel reads it; attach it to the dispute, or stage it first \
         (stage_input)",
    );
    let ExecuteMsg::Dispute { input, .. } = &mut msg else {
        unreachable!("a dispute")
    };
    *input = Some(Binary::from(vec![0u8; 4 * 43]));
    let err = suite
        .execute(&disputer, &msg, &coins(TSR, DENOM))
        .unwrap_err();
    assert!(tessera_testing::multi_test::contract_message(&err)
        .starts_with("input \"weights.bin\": sha256 is "));
    // With the file, an honest leaf is rejected and the faked one proven.
    suite.dispute(&disputer, &lease, seq, &cheat, 0)?;
    assert!(!suite.registered(&provider).jailed);
    suite.dispute(&disputer, &lease, seq, &cheat, 2)?;
    assert!(suite.registered(&provider).jailed);
    suite.assert_conserved();
    Ok(())
}

#[test]
fn an_input_too_large_for_one_tx_is_staged_in_chunks_and_read_by_the_disputers_dispute(
) -> TestResult {
    let mut suite = Suite::new();
    let tenant = suite.account("tenant", 1_000 * TSR);
    let provider = suite.provider("provider", BOND, 10 * TSR);
    let lease = suite.lease(&tenant, &provider, TestJob::mlp(&[40, 30, 10], 300, 5));
    let weights = lease.job.input.clone().expect("an mlp reads its weights");
    let sha256 = hex(&<sha2::Sha256 as sha2::Digest>::digest(&weights).into());
    let honest = lease.job.leaf_hashes();
    let cheat = Committed::faking(&honest, &[1]);
    let seq = suite.attest(&lease, &cheat);
    let disputer = suite.account("disputer", 4 * TSR);
    let stranger = suite.account("stranger", TSR);
    let stage = |chunk: &[u8]| ExecuteMsg::StageInput {
        sha256: sha256.clone(),
        chunk: Binary::from(chunk.to_vec()),
    };
    let staged = |suite: &Suite, owner: &cosmwasm_std::Addr| -> u64 {
        let res: StagedInputResponse = suite
            .app
            .wrap()
            .query_wasm_smart(
                &suite.referee,
                &QueryMsg::StagedInput {
                    owner: owner.to_string(),
                    sha256: sha256.clone(),
                },
            )
            .expect("staged input");
        res.bytes
    };
    let without_input = |leaf| {
        let mut msg = Suite::dispute_msg(&lease, seq, &cheat, leaf);
        let ExecuteMsg::Dispute { input, .. } = &mut msg else {
            unreachable!("a dispute")
        };
        *input = None;
        msg
    };

    // Bad chunks change nothing.
    suite.expect_error(
        &disputer,
        &stage(&[]),
        &[],
        "a staged chunk must hold at least one byte",
    );
    suite.expect_error(
        &disputer,
        &ExecuteMsg::StageInput {
            sha256: "weights".into(),
            chunk: Binary::from(vec![1]),
        },
        &[],
        "invalid sha256: \"weights\" is not a sha256 digest (64 lowercase hex characters)",
    );
    let too_much = vec![0u8; MAX_STAGED_INPUT_BYTES as usize + 1];
    suite.expect_error(
        &disputer,
        &stage(&too_much),
        &[],
        format!(
            "staging 6291457 bytes of input {sha256} is more than the 6291456 a dispute can read"
        ),
    );
    assert_eq!(staged(&suite, &disputer), 0);

    // The stranger stages a corrupt copy; it spoils nothing of the disputer's, and its own
    // dispute fails on the hash (and keeps its staged copy, since nothing happened).
    let mut corrupt = weights.clone();
    corrupt[0] ^= 1;
    suite.execute(&stranger, &stage(&corrupt), &[])?;
    let err = suite
        .execute(&stranger, &without_input(1), &coins(TSR, DENOM))
        .unwrap_err();
    assert!(tessera_testing::multi_test::contract_message(&err)
        .starts_with("input \"weights.bin\": sha256 is "));
    assert_eq!(staged(&suite, &stranger), weights.len() as u64);
    suite.execute(
        &stranger,
        &ExecuteMsg::UnstageInput {
            sha256: sha256.clone(),
        },
        &[],
    )?;
    assert_eq!(staged(&suite, &stranger), 0);
    suite.expect_error(
        &stranger,
        &ExecuteMsg::UnstageInput {
            sha256: sha256.clone(),
        },
        &[],
        format!("{stranger} has staged nothing of input {sha256}"),
    );

    // The disputer stages the file in three chunks; a dispute without `input` reads it, and
    // the staged copy is gone afterwards, whatever the verdict.
    for chunk in weights.chunks(weights.len() / 3 + 1) {
        suite.execute(&disputer, &stage(chunk), &[])?;
    }
    assert_eq!(staged(&suite, &disputer), weights.len() as u64);
    let res = suite.execute(&disputer, &without_input(0), &coins(TSR, DENOM))?;
    assert_eq!(wasm_attr(&res, "verdict").as_deref(), Some("rejected"));
    assert_eq!(staged(&suite, &disputer), 0);
    suite.expect_error(
        &disputer,
        &without_input(1),
        &coins(TSR, DENOM),
        "input \"weights.bin\": the kernel reads it; attach it to the dispute, or stage it first \
         (stage_input)",
    );
    for chunk in weights.chunks(weights.len() / 2 + 1) {
        suite.execute(&disputer, &stage(chunk), &[])?;
    }
    let res = suite.execute(&disputer, &without_input(1), &coins(TSR, DENOM))?;
    assert_eq!(wasm_attr(&res, "verdict").as_deref(), Some("fraud"));
    assert!(suite.registered(&provider).jailed);
    assert_eq!(staged(&suite, &disputer), 0);
    suite.assert_conserved();
    Ok(())
}

#[test]
fn the_slash_is_the_multiplied_period_pay_when_that_exceeds_the_minimum() -> TestResult {
    let mut suite = Suite::with_params(|p| p.dispute.min_slash = TSR.into());
    let (lease, honest) = render_lease(&mut suite);
    let cheat = Committed::faking(&honest, &[0]);
    let seq = suite.attest(&lease, &cheat);
    let disputer = suite.account("disputer", TSR);
    let res = suite.dispute(&disputer, &lease, seq, &cheat, 0)?;
    // 3 × 6 TSR/h × 600 s = 3 TSR.
    assert_eq!(
        tessera_testing::multi_test::first_attr(&res, "slash").as_deref(),
        Some("3000000")
    );
    assert_eq!(suite.bond(&lease.provider), BOND - 3 * TSR);
    suite.assert_conserved();
    Ok(())
}

#[test]
fn a_provider_disputing_itself_through_another_account_still_loses_half_the_slash() -> TestResult {
    let mut suite = Suite::new();
    let (lease, honest) = render_lease(&mut suite);
    let cheat = Committed::faking(&honest, &[3]);
    let seq = suite.attest(&lease, &cheat);
    // The provider's own second account disputes first, hoping to recover the slash.
    let sock_puppet = suite.account("sock-puppet", TSR);
    let wealth =
        |s: &Suite| s.balance(&lease.provider) + s.bond(&lease.provider) + s.balance(&sock_puppet);
    let before = wealth(&suite);
    suite.dispute(&sock_puppet, &lease, seq, &cheat, 3)?;
    let lost = before - wealth(&suite);
    // It got its deposit and the disputer's quarter back; the tenant's quarter and the burned
    // half are gone (the bid deposit came back with the closed lease).
    let slash = 10 * TSR;
    assert!(
        lost + tessera_testing::amounts::BID_DEPOSIT >= slash / 2,
        "lost only {lost}"
    );
    suite.assert_conserved();
    Ok(())
}

#[test]
fn the_referee_answers_what_a_leaf_should_hash_to() -> TestResult {
    let suite = Suite::new();
    let job = TestJob::sha256_batch(3_000, 10, 9);
    let honest = job.leaf_hashes();
    let answer: tessera_api::referee::LeafHashResponse = suite.app.wrap().query_wasm_smart(
        &suite.referee,
        &tessera_api::referee::QueryMsg::LeafHash {
            manifest: Binary::from(job.manifest.clone()),
            group: GROUP.into(),
            leaf: 2,
            input: None,
        },
    )?;
    assert_eq!(answer.kernel, "sha256-batch");
    assert_eq!(answer.leaf_count, 3);
    assert_eq!(answer.leaf_hash, hex(&honest[2]));
    let err = suite
        .app
        .wrap()
        .query_wasm_smart::<tessera_api::referee::LeafHashResponse>(
            &suite.referee,
            &tessera_api::referee::QueryMsg::LeafHash {
                manifest: Binary::from(job.manifest.clone()),
                group: "job.elsewhere".into(),
                leaf: 0,
                input: None,
            },
        )
        .unwrap_err();
    assert!(err
        .to_string()
        .contains("manifest: no deployment of service \"job\" on placement \"elsewhere\""));
    Ok(())
}
