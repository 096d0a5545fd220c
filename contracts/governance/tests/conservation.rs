//! Random sequences of staking and governance never create or lose tokens: stakes, unstaking
//! entries, held deposits and the pool always add up to what the contract holds.

mod common;

use common::*;
use cosmwasm_std::{coin, coins, Addr, Uint128};
use proptest::prelude::*;
use tessera_api::governance::{
    ExecuteMsg, PoolResponse, ProposalAction, ProposalStatus, ProposalsResponse, QueryMsg,
    StakeResponse, VoteOption, VotingPowerResponse,
};
use tessera_api::market::MarketParamsUpdate;

const VOTERS: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    Stake { who: usize, amount: u128 },
    Unstake { who: usize, amount: u128 },
    Claim { who: usize },
    Propose { who: usize, kind: u8 },
    Vote { who: usize, pick: u64, option: u8 },
    Execute { pick: u64 },
    Advance { secs: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..VOTERS, 1..300 * TSR).prop_map(|(who, amount)| Op::Stake { who, amount }),
        (0..VOTERS, 1..300 * TSR).prop_map(|(who, amount)| Op::Unstake { who, amount }),
        (0..VOTERS).prop_map(|who| Op::Claim { who }),
        (0..VOTERS, 0..3u8).prop_map(|(who, kind)| Op::Propose { who, kind }),
        (0..VOTERS, 1..6u64, 0..4u8).prop_map(|(who, pick, option)| Op::Vote { who, pick, option }),
        (1..6u64).prop_map(|pick| Op::Execute { pick }),
        (1..2 * UNSTAKING_PERIOD).prop_map(|secs| Op::Advance { secs }),
    ]
}

fn apply(s: &mut Suite, voters: &[Addr], op: &Op) {
    let _ = match op.clone() {
        Op::Stake { who, amount } => {
            s.execute(&voters[who], &ExecuteMsg::Stake {}, &coins(amount, DENOM))
        }
        Op::Unstake { who, amount } => s.execute(
            &voters[who],
            &ExecuteMsg::Unstake {
                amount: Uint128::new(amount),
            },
            &[],
        ),
        Op::Claim { who } => s.execute(&voters[who], &ExecuteMsg::Claim {}, &[]),
        Op::Propose { who, kind } => {
            let actions = match kind {
                0 => vec![],
                1 => vec![ProposalAction::UpdateMarketParams(MarketParamsUpdate {
                    take_rate_bps: Some(100),
                    ..Default::default()
                })],
                _ => vec![ProposalAction::CommunitySpend {
                    recipient: voters[who].to_string(),
                    amount: coin(1, DENOM),
                }],
            };
            s.propose(&voters[who], actions).map(|_| Default::default())
        }
        Op::Vote { who, pick, option } => {
            let option = [
                VoteOption::Yes,
                VoteOption::No,
                VoteOption::Abstain,
                VoteOption::NoWithVeto,
            ][option as usize];
            s.vote(&voters[who], pick, option)
        }
        Op::Execute { pick } => s.finish(pick),
        Op::Advance { secs } => {
            s.advance(secs);
            Ok(Default::default())
        }
    };
}

fn check(s: &Suite, voters: &[Addr]) {
    s.assert_conserved();
    let mut staked = 0u128;
    let mut unstaking = 0u128;
    for v in voters {
        let st: StakeResponse = s
            .app
            .wrap()
            .query_wasm_smart(
                s.gov.clone(),
                &QueryMsg::Stake {
                    address: v.to_string(),
                },
            )
            .unwrap();
        staked += st.staked.u128();
        unstaking += st.unstaking.iter().map(|e| e.amount.u128()).sum::<u128>();
    }
    let height = s.app.block_info().height + 1;
    let total: VotingPowerResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            s.gov.clone(),
            &QueryMsg::VotingPower {
                address: voters[0].to_string(),
                height: Some(height),
            },
        )
        .unwrap();
    assert_eq!(
        total.total.u128(),
        staked,
        "total stake is the sum of stakes"
    );
    let open: ProposalsResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            s.gov.clone(),
            &QueryMsg::Proposals {
                status: Some(ProposalStatus::Open),
                start_after: None,
                limit: Some(100),
            },
        )
        .unwrap();
    let deposits: u128 = open
        .proposals
        .iter()
        .map(|p| Uint128::try_from(p.deposit.amount).unwrap().u128())
        .sum();
    let pool: PoolResponse = s
        .app
        .wrap()
        .query_wasm_smart(s.gov.clone(), &QueryMsg::Pool { denom: None })
        .unwrap();
    let pool = Uint128::try_from(pool.balance.amount).unwrap().u128();
    assert_eq!(
        s.balance(&s.gov.clone()),
        staked + unstaking + deposits + pool,
        "governance holds stakes, unstaking entries, deposits and the pool, nothing else"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn stake_unstaking_deposits_pool_and_balances_are_conserved(ops in prop::collection::vec(op(), 1..40)) {
        let mut s = Suite::new();
        let voters: Vec<Addr> = (0..VOTERS).map(|i| s.account(&format!("voter{i}"), 1_000 * TSR)).collect();
        for op in &ops {
            apply(&mut s, &voters, op);
            check(&s, &voters);
        }
    }
}
