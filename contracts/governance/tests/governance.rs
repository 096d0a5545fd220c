//! Governance with the real market and registry: proposals that change fees and parameters,
//! quorum, veto, snapshots of voting power, the community pool.

mod common;

use common::*;
use cosmwasm_std::{coin, coins, Uint128};
use cw_multi_test::Executor;
use tessera_api::governance::{
    ExecuteMsg, GovernanceParams, GovernanceParamsUpdate, PoolResponse, ProposalAction,
    ProposalStatus, QueryMsg, StakeResponse, VoteOption, VotingPowerResponse,
};
use tessera_api::market::{ExecuteMsg as MarketExecuteMsg, MarketParamsUpdate};
use tessera_api::registry::{
    AuditorsResponse, ExecuteMsg as RegExecuteMsg, QueryMsg as RegQueryMsg, RegistryParamsUpdate,
};
use tessera_api::CommonError;
use tessera_governance::ContractError;

fn lower_take_rate(bps: u16) -> Vec<ProposalAction> {
    vec![ProposalAction::UpdateMarketParams(MarketParamsUpdate {
        take_rate_bps: Some(bps),
        ..Default::default()
    })]
}

#[test]
fn a_passed_proposal_lowers_the_take_rate_for_later_payouts_only() {
    let mut s = Suite::new();
    let voter = s.account("voter", 1_000 * TSR);
    s.stake(&voter, 600 * TSR);
    s.advance(1);
    // 3.6 TSR per hour is 1000 utsr per second.
    let (_, provider, _) = s.lease(3_600_000);
    let pool_start = s.balance(&s.gov.clone());
    let start = s.balance(&provider);

    s.advance(60);
    s.end_block();
    assert_eq!(s.balance(&provider), start + 58_800, "60 s at a 2 % take");

    let id = s.propose(&voter, lower_take_rate(100)).unwrap();
    s.vote(&voter, id, VoteOption::Yes).unwrap();
    s.advance(VOTING_PERIOD);
    s.end_block();
    assert_eq!(
        s.balance(&provider),
        start + 2 * 58_800,
        "still 2 % while the vote runs"
    );

    s.finish(id).unwrap();
    assert_eq!(s.proposal(id).status, ProposalStatus::Executed);
    assert_eq!(s.market_params().take_rate_bps, 100);

    s.advance(60);
    s.end_block();
    assert_eq!(
        s.balance(&provider),
        start + 2 * 58_800 + 59_400,
        "1 % from now on"
    );
    // Half of each take burned, half to the pool (the governance contract).
    assert_eq!(s.burned(), 600 + 600 + 300);
    let pool: PoolResponse = s
        .app
        .wrap()
        .query_wasm_smart(s.gov.clone(), &QueryMsg::Pool { denom: None })
        .unwrap();
    assert_eq!(pool.balance, coin(1_500, DENOM));
    assert_eq!(s.balance(&s.gov.clone()), pool_start + 1_500);
    s.assert_conserved();
}

#[test]
fn a_proposal_that_misses_quorum_fails_and_changes_nothing() {
    let mut s = Suite::new();
    let small = s.account("small", 100 * TSR);
    let large = s.account("large", 1_000 * TSR);
    s.stake(&small, 10 * TSR);
    s.stake(&large, 990 * TSR);
    s.advance(1);
    let before = s.balance(&small);
    let id = s.propose(&small, lower_take_rate(50)).unwrap();
    s.vote(&small, id, VoteOption::Yes).unwrap();
    s.advance(VOTING_PERIOD);
    s.finish(id).unwrap();
    let p = s.proposal(id);
    assert_eq!(p.status, ProposalStatus::Rejected);
    assert_eq!(p.tally.yes, Uint128::new(10 * TSR));
    assert_eq!(p.total_power, Uint128::new(1_000 * TSR));
    assert_eq!(s.market_params().take_rate_bps, 200);
    assert_eq!(s.balance(&small), before, "deposit refunded");
    s.assert_conserved();
}

#[test]
fn a_vetoed_proposal_burns_its_deposit() {
    let mut s = Suite::new();
    let yes = s.account("yes", 1_000 * TSR);
    let veto = s.account("veto", 1_000 * TSR);
    s.stake(&yes, 600 * TSR);
    s.stake(&veto, 400 * TSR);
    s.advance(1);
    let before = s.balance(&yes);
    let id = s.propose(&yes, lower_take_rate(0)).unwrap();
    s.vote(&yes, id, VoteOption::Yes).unwrap();
    s.vote(&veto, id, VoteOption::NoWithVeto).unwrap();
    s.advance(VOTING_PERIOD);
    s.finish(id).unwrap();
    assert_eq!(s.proposal(id).status, ProposalStatus::Vetoed);
    assert_eq!(s.balance(&yes), before - MIN_PROPOSAL_DEPOSIT);
    assert_eq!(s.burned(), MIN_PROPOSAL_DEPOSIT);
    assert_eq!(s.market_params().take_rate_bps, 200);
    s.assert_conserved();
}

#[test]
fn nobody_but_governance_changes_market_or_registry_params() {
    let mut s = Suite::new();
    let admin = s.addr("admin");
    let stranger = s.account("stranger", TSR);
    for who in [&admin, &stranger] {
        let err = s
            .app
            .execute_contract(
                who.clone(),
                s.market.clone(),
                &MarketExecuteMsg::UpdateParams(MarketParamsUpdate {
                    take_rate_bps: Some(0),
                    ..Default::default()
                }),
                &[],
            )
            .unwrap_err();
        assert_error(
            err,
            "unauthorized: changing market params may only be done by the params authority",
        );
        let err = s
            .app
            .execute_contract(
                who.clone(),
                s.registry.clone(),
                &RegExecuteMsg::UpdateParams(RegistryParamsUpdate {
                    min_bond: Some(Uint128::zero()),
                    ..Default::default()
                }),
                &[],
            )
            .unwrap_err();
        assert!(err.to_string().contains("may not"), "{err}");
    }
    // Nor can anyone run a proposal's actions directly.
    s.expect_error(
        &stranger,
        &ExecuteMsg::RunActions { proposal_id: 1 },
        &[],
        ContractError::Common(CommonError::unauthorized(
            "running proposal actions",
            "the governance contract itself",
        )),
    );
}

#[test]
fn voting_power_is_read_at_the_proposal_start_so_restaking_cannot_vote_twice() {
    let mut s = Suite::new();
    let alice = s.account("alice", 1_000 * TSR);
    let bob = s.account("bob", 1_000 * TSR);
    s.stake(&alice, 100 * TSR);
    s.advance(1);
    let id = s.propose(&alice, vec![]).unwrap();

    s.vote(&alice, id, VoteOption::Yes).unwrap();
    s.execute(
        &alice,
        &ExecuteMsg::Unstake {
            amount: Uint128::new(100 * TSR),
        },
        &[],
    )
    .unwrap();
    s.stake(&alice, 100 * TSR);
    s.advance(1);
    s.vote(&alice, id, VoteOption::Yes).unwrap();
    // Stake that arrives after the proposal opened has no say in it.
    s.stake(&bob, 500 * TSR);
    s.advance(1);
    let height = s.proposal(id).start_height;
    s.expect_error(
        &bob,
        &ExecuteMsg::Vote {
            proposal_id: id,
            option: VoteOption::No,
        },
        &[],
        ContractError::NoVotingPower {
            voter: bob.to_string(),
            height,
        },
    );
    let p = s.proposal(id);
    assert_eq!(
        p.tally.yes,
        Uint128::new(100 * TSR),
        "one vote's worth, not two"
    );
    assert_eq!(p.tally.total(), Uint128::new(100 * TSR));

    // Changing a vote moves its power, it does not add to it.
    s.vote(&alice, id, VoteOption::No).unwrap();
    let p = s.proposal(id);
    assert_eq!(
        (p.tally.yes, p.tally.no),
        (Uint128::zero(), Uint128::new(100 * TSR))
    );

    let power: VotingPowerResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            s.gov.clone(),
            &QueryMsg::VotingPower {
                address: alice.to_string(),
                height: Some(height),
            },
        )
        .unwrap();
    assert_eq!(power.power, Uint128::new(100 * TSR));
    s.assert_conserved();
}

#[test]
fn actions_the_target_would_refuse_are_refused_at_submission_with_its_reason() {
    let mut s = Suite::new();
    let voter = s.account("voter", 100 * TSR);
    let err = s.propose(&voter, lower_take_rate(20_000)).unwrap_err();
    assert_error(
        err,
        &ContractError::ActionRejected {
            index: 0,
            reason: "invalid params: take_rate_bps is 20000, max 10000".into(),
        }
        .to_string(),
    );
    let err = s
        .propose(
            &voter,
            vec![ProposalAction::CommunitySpend {
                recipient: voter.to_string(),
                amount: coin(1, DENOM),
            }],
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("community pool holds 0utsr, the spend needs 1utsr"),
        "{err}"
    );
    let err = s
        .propose(
            &voter,
            vec![ProposalAction::UpdateGovernanceParams(
                GovernanceParamsUpdate {
                    quorum: Some(cosmwasm_std::Decimal::percent(150)),
                    ..Default::default()
                },
            )],
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("quorum must be in (0, 1], got 1.5"),
        "{err}"
    );
    s.assert_conserved();
}

#[test]
fn the_community_pool_is_spent_only_by_a_passed_proposal_and_a_failed_spend_is_recorded() {
    let mut s = Suite::new();
    let voter = s.account("voter", 1_000 * TSR);
    let grantee = s.addr("grantee");
    s.ledger.remember(&grantee);
    s.stake(&voter, 500 * TSR);
    s.advance(1);
    // Fees fill the pool: 10 minutes at 3.6 TSR/hour, 1 % of it to the pool.
    s.lease(3_600_000);
    for _ in 0..10 {
        s.advance(60);
        s.end_block();
    }
    let pool: PoolResponse = s
        .app
        .wrap()
        .query_wasm_smart(s.gov.clone(), &QueryMsg::Pool { denom: None })
        .unwrap();
    assert_eq!(pool.balance, coin(6_000, DENOM));

    let spend = |amount| {
        vec![ProposalAction::CommunitySpend {
            recipient: grantee.to_string(),
            amount: coin(amount, DENOM),
        }]
    };
    let first = s.propose(&voter, spend(4_000)).unwrap();
    let second = s.propose(&voter, spend(4_000)).unwrap();
    for id in [first, second] {
        s.vote(&voter, id, VoteOption::Yes).unwrap();
    }
    s.advance(VOTING_PERIOD);
    s.finish(first).unwrap();
    assert_eq!(s.balance(&grantee), 4_000);
    // Each spend fit the pool alone; together they don't: the second fails, visibly.
    s.finish(second).unwrap();
    let p = s.proposal(second);
    assert_eq!(p.status, ProposalStatus::ExecutionFailed);
    assert!(
        p.execution_error
            .as_deref()
            .unwrap_or_default()
            .contains("community pool holds"),
        "{:?}",
        p.execution_error
    );
    assert_eq!(s.balance(&grantee), 4_000);
    s.assert_conserved();
}

#[test]
fn proposals_set_auditors_and_governance_params() {
    let mut s = Suite::new();
    let voter = s.account("voter", 1_000 * TSR);
    let auditor = s.addr("auditor");
    s.stake(&voter, 500 * TSR);
    s.advance(1);
    let id = s
        .propose(
            &voter,
            vec![
                ProposalAction::SetAuditors {
                    auditors: vec![auditor.to_string()],
                },
                ProposalAction::UpdateGovernanceParams(GovernanceParamsUpdate {
                    voting_period_secs: Some(120),
                    ..Default::default()
                }),
                ProposalAction::UpdateRegistryParams(RegistryParamsUpdate {
                    min_bond: Some(Uint128::new(50 * TSR)),
                    ..Default::default()
                }),
            ],
        )
        .unwrap();
    s.vote(&voter, id, VoteOption::Yes).unwrap();
    s.advance(VOTING_PERIOD);
    s.finish(id).unwrap();
    assert_eq!(s.proposal(id).status, ProposalStatus::Executed);
    let auditors: AuditorsResponse = s
        .app
        .wrap()
        .query_wasm_smart(s.registry.clone(), &RegQueryMsg::Auditors {})
        .unwrap();
    assert_eq!(auditors.auditors, vec![auditor.to_string()]);
    let params: GovernanceParams = s
        .app
        .wrap()
        .query_wasm_smart(s.gov.clone(), &QueryMsg::Params {})
        .unwrap();
    assert_eq!(params.voting_period_secs, 120);
}

#[test]
fn staking_unstaking_and_claiming_move_tokens_only_after_the_unstaking_period() {
    let mut s = Suite::new();
    let alice = s.account("alice", 100 * TSR);
    s.stake(&alice, 100 * TSR);
    s.execute(
        &alice,
        &ExecuteMsg::Unstake {
            amount: Uint128::new(40 * TSR),
        },
        &[],
    )
    .unwrap();
    s.expect_error(
        &alice,
        &ExecuteMsg::Unstake {
            amount: Uint128::new(61 * TSR),
        },
        &[],
        ContractError::InsufficientStake {
            requested: Uint128::new(61 * TSR),
            staked: Uint128::new(60 * TSR),
        },
    );
    s.expect_error(
        &alice,
        &ExecuteMsg::Claim {},
        &[],
        ContractError::NothingToClaim {},
    );
    s.advance(UNSTAKING_PERIOD);
    s.execute(&alice, &ExecuteMsg::Claim {}, &[]).unwrap();
    assert_eq!(s.balance(&alice), 40 * TSR);
    let stake: StakeResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            s.gov.clone(),
            &QueryMsg::Stake {
                address: alice.to_string(),
            },
        )
        .unwrap();
    assert_eq!(stake.staked, Uint128::new(60 * TSR));
    assert!(stake.unstaking.is_empty());
    s.mint_other(&alice, 1, "uother");
    s.expect_error(
        &alice,
        &ExecuteMsg::Stake {},
        &coins(1, "uother"),
        ContractError::Common(CommonError::WrongDenom {
            expected: DENOM.into(),
            got: "uother".into(),
        }),
    );
    s.assert_conserved();
}

#[test]
fn votes_after_the_period_and_early_execution_are_refused() {
    let mut s = Suite::new();
    let voter = s.account("voter", 1_000 * TSR);
    s.stake(&voter, 500 * TSR);
    s.advance(1);
    let id = s.propose(&voter, vec![]).unwrap();
    let ends = s.proposal(id).voting_ends_at;
    let anyone = s.addr("anyone");
    s.expect_error(
        &anyone,
        &ExecuteMsg::Execute { proposal_id: id },
        &[],
        ContractError::VotingOpen { id, ends_at: ends },
    );
    s.advance(VOTING_PERIOD);
    s.expect_error(
        &voter,
        &ExecuteMsg::Vote {
            proposal_id: id,
            option: VoteOption::Yes,
        },
        &[],
        ContractError::VotingClosed { id, ended_at: ends },
    );
    s.finish(id).unwrap();
    s.expect_error(
        &anyone,
        &ExecuteMsg::Execute { proposal_id: id },
        &[],
        ContractError::AlreadyDecided {
            id,
            status: "rejected".into(),
        },
    );
    s.expect_error(
        &voter,
        &ExecuteMsg::Propose {
            title: "t".into(),
            description: "d".into(),
            actions: vec![],
        },
        &coins(MIN_PROPOSAL_DEPOSIT - 1, DENOM),
        ContractError::DepositTooSmall {
            amount: Uint128::new(MIN_PROPOSAL_DEPOSIT - 1),
            min: Uint128::new(MIN_PROPOSAL_DEPOSIT),
        },
    );
}

#[test]
fn a_stale_passed_proposal_cannot_undo_a_newer_one() {
    let mut s = Suite::new();
    let voter = s.account("voter", 1_000 * TSR);
    s.stake(&voter, 600 * TSR);
    s.advance(1);
    let old = s.propose(&voter, lower_take_rate(100)).unwrap();
    s.advance(1);
    let new = s.propose(&voter, lower_take_rate(50)).unwrap();
    s.vote(&voter, old, VoteOption::Yes).unwrap();
    s.vote(&voter, new, VoteOption::Yes).unwrap();
    s.advance(VOTING_PERIOD + 1);

    // The newer decision is applied first; the older one, executed later, must not undo it.
    s.finish(new).unwrap();
    assert_eq!(s.market_params().take_rate_bps, 50);
    let res = s.finish(old).unwrap();
    assert_eq!(s.proposal(old).status, ProposalStatus::Superseded);
    assert!(res
        .events
        .iter()
        .flat_map(|e| &e.attributes)
        .any(|a| a.key == "status" && a.value == "superseded"));
    assert_eq!(s.market_params().take_rate_bps, 50);
    // Its deposit still goes back: it passed, it just came too late.
    assert_eq!(s.balance(&voter), 400 * TSR);
    s.assert_conserved();
}

#[test]
fn a_passed_proposal_not_executed_within_the_window_expires() {
    let mut s = Suite::new();
    let voter = s.account("voter", 1_000 * TSR);
    s.stake(&voter, 600 * TSR);
    s.advance(1);
    let id = s.propose(&voter, lower_take_rate(100)).unwrap();
    s.vote(&voter, id, VoteOption::Yes).unwrap();
    s.advance(VOTING_PERIOD + tessera_api::governance::DEFAULT_EXECUTION_WINDOW_SECS + 1);
    s.finish(id).unwrap();
    assert_eq!(s.proposal(id).status, ProposalStatus::Expired);
    assert_eq!(s.market_params().take_rate_bps, 200, "never applied");
    assert_eq!(s.balance(&voter), 400 * TSR, "deposit returned");
    s.assert_conserved();
}

#[test]
fn proposals_executed_in_order_all_apply() {
    let mut s = Suite::new();
    let voter = s.account("voter", 1_000 * TSR);
    s.stake(&voter, 600 * TSR);
    s.advance(1);
    let first = s.propose(&voter, lower_take_rate(100)).unwrap();
    let second = s.propose(&voter, lower_take_rate(50)).unwrap();
    s.vote(&voter, first, VoteOption::Yes).unwrap();
    s.vote(&voter, second, VoteOption::Yes).unwrap();
    s.advance(VOTING_PERIOD + 1);
    s.finish(first).unwrap();
    s.finish(second).unwrap();
    assert_eq!(s.proposal(first).status, ProposalStatus::Executed);
    assert_eq!(s.proposal(second).status, ProposalStatus::Executed);
    assert_eq!(s.market_params().take_rate_bps, 50);
}

#[test]
fn a_passed_proposal_slashes_and_jails_a_provider() {
    let mut s = Suite::new();
    let voter = s.account("voter", 1_000 * TSR);
    s.stake(&voter, 600 * TSR);
    s.advance(1);
    let (_, provider, _) = s.lease(3_600_000);
    let pool_before = s.balance(&s.gov.clone());
    let slash = vec![ProposalAction::SlashProvider {
        provider: provider.to_string(),
        fraction_bps: 1_000,
        reason: "served forged outputs (report #7)".into(),
    }];
    // Checked at submission like every action: a bad fraction is refused before any vote.
    let bad = vec![ProposalAction::SlashProvider {
        provider: provider.to_string(),
        fraction_bps: 0,
        reason: "x".into(),
    }];
    assert!(s.propose(&voter, bad).is_err());

    let id = s.propose(&voter, slash).unwrap();
    s.vote(&voter, id, VoteOption::Yes).unwrap();
    s.advance(VOTING_PERIOD);
    s.finish(id).unwrap();
    assert_eq!(s.proposal(id).status, ProposalStatus::Executed);
    let record: tessera_api::registry::ProviderResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            s.registry.clone(),
            &RegQueryMsg::Provider {
                address: provider.to_string(),
            },
        )
        .unwrap();
    assert!(record.jailed);
    assert_eq!(record.bond.amount.to_string(), (90 * TSR).to_string());
    assert_eq!(record.reputation.slashes, 1);
    // 10 TSR to the community pool (the governance contract).
    assert_eq!(s.balance(&s.gov.clone()), pool_before + 10 * TSR);
    s.assert_conserved();
}

#[test]
fn a_migration_of_a_contract_governance_does_not_administer_is_refused_at_submission() {
    let mut s = Suite::new();
    let voter = s.account("voter", 1_000 * TSR);
    s.stake(&voter, 600 * TSR);
    let migrate = vec![ProposalAction::MigrateContract {
        contract: s.market.to_string(),
        code_id: 1,
        msg: cosmwasm_std::Binary::from(b"{}".to_vec()),
    }];
    let err = s.propose(&voter, migrate).unwrap_err();
    assert!(
        err.to_string().contains("governance is not the wasm admin"),
        "{err}"
    );
    s.assert_conserved();
}
