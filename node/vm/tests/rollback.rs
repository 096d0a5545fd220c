//! Submessage failure reverts exactly the submessage: governance runs a passed proposal's
//! actions as one `reply_on_error` submessage; when an action fails, the actions' writes (the
//! governance's own params change, a bank transfer from the pool) vanish while the proposal's
//! outcome and the deposit refund, written outside the submessage, stay.

mod common;

use common::*;
use cosmwasm_std::{Coin, Decimal, Uint128};
use tessera_api::governance::{
    ExecuteMsg as GovExecuteMsg, GovernanceParams, GovernanceParamsUpdate,
    InstantiateMsg as GovInstantiateMsg, ProposalAction, ProposalResponse, ProposalStatus,
    QueryMsg as GovQueryMsg, VoteOption,
};
use tessera_api::registry::{
    AuditorsResponse, InstantiateMsg as RegInstantiateMsg, QueryMsg as RegQueryMsg, RegistryParams,
    RegistryParamsUpdate,
};
use tessera_vm::{lock_state, MsgInstantiateContract2};

struct Gov {
    chain: Chain,
    registry: String,
    gov: String,
    voter: String,
}

fn setup() -> Gov {
    let mut chain = Chain::new();
    let registry_code = chain.store("registry");
    let gov_code = chain.store("governance");
    let deployer = addr("deployer");
    // The registry names governance as its authority before governance exists: instantiate2
    // makes the address known in advance.
    let checksum = chain
        .host
        .code_info(&*lock_state(&chain.state), gov_code)
        .unwrap()
        .unwrap()
        .checksum;
    let gov_addr = chain
        .host
        .predict_address(&checksum, &deployer, b"governance", None)
        .unwrap();
    let registry = chain
        .instantiate(
            &deployer,
            registry_code,
            &RegInstantiateMsg {
                params: registry_params(&gov_addr, &addr("pool")),
                auditors: vec![],
            },
            "registry",
            None,
        )
        .unwrap()
        .address;
    let params = GovernanceParams {
        denom: DENOM.into(),
        min_deposit: Uint128::new(TSR),
        voting_period_secs: 60,
        unstaking_period_secs: 60,
        quorum: Decimal::percent(33),
        threshold: Decimal::percent(50),
        veto_threshold: Decimal::percent(33),
        market: None,
        registry: Some(registry.clone()),
        max_unstaking_entries: 7,
        execution_window_secs: tessera_api::governance::DEFAULT_EXECUTION_WINDOW_SECS,
    };
    let gov = chain
        .host
        .instantiate2(
            &chain.call(GAS),
            &MsgInstantiateContract2 {
                sender: deployer,
                admin: String::new(),
                code_id: gov_code,
                label: "governance".into(),
                msg: serde_json::to_vec(&GovInstantiateMsg { params }).unwrap(),
                funds: vec![],
                salt: b"governance".to_vec(),
                fix_msg: false,
            },
        )
        .unwrap()
        .address;
    assert_eq!(gov, gov_addr);

    let voter = addr("voter");
    chain.mint(&voter, 1_000 * TSR);
    chain
        .execute(&voter, &gov, &GovExecuteMsg::Stake {}, utsr(100 * TSR))
        .unwrap();
    // The community pool: funds the contract holds beyond stakes and deposits.
    chain.mint(&gov, 5 * TSR);
    chain.advance(5);
    Gov {
        chain,
        registry,
        gov,
        voter,
    }
}

fn propose(g: &Gov, title: &str, actions: Vec<ProposalAction>) {
    g.chain
        .execute(
            &g.voter,
            &g.gov,
            &GovExecuteMsg::Propose {
                title: title.into(),
                description: "test".into(),
                actions,
            },
            utsr(TSR),
        )
        .expect("proposal accepted");
}

#[test]
fn a_failed_submessage_reverts_its_writes_and_nothing_else() {
    let mut g = setup();
    let new_authority = addr("new-authority");
    let recipient = addr("recipient");
    // 1: hand the registry to someone else. 2: raise the voting period, pay from the pool and
    // set auditors — which fails once 1 has run, because governance no longer governs the
    // registry.
    propose(
        &g,
        "hand over",
        vec![ProposalAction::UpdateRegistryParams(RegistryParamsUpdate {
            authority: Some(new_authority.clone()),
            ..Default::default()
        })],
    );
    propose(
        &g,
        "spend and audit",
        vec![
            ProposalAction::UpdateGovernanceParams(GovernanceParamsUpdate {
                voting_period_secs: Some(120),
                ..Default::default()
            }),
            ProposalAction::CommunitySpend {
                recipient: recipient.clone(),
                amount: Coin::new(TSR, DENOM),
            },
            ProposalAction::SetAuditors {
                auditors: vec![addr("auditor")],
            },
        ],
    );
    for id in [1, 2] {
        g.chain
            .execute(
                &g.voter,
                &g.gov,
                &GovExecuteMsg::Vote {
                    proposal_id: id,
                    option: VoteOption::Yes,
                },
                vec![],
            )
            .unwrap();
    }
    g.chain.advance(61);
    g.chain
        .execute(
            &g.voter,
            &g.gov,
            &GovExecuteMsg::Execute { proposal_id: 1 },
            vec![],
        )
        .unwrap();
    let reg: RegistryParams = g.chain.query(&g.registry, &RegQueryMsg::Params {});
    assert_eq!(reg.authority, new_authority);

    let voter_before = g.chain.balance(&g.voter);
    let r = g
        .chain
        .execute(
            &g.voter,
            &g.gov,
            &GovExecuteMsg::Execute { proposal_id: 2 },
            vec![],
        )
        .expect("the failure is caught by the reply");

    // Inside the failed submessage: all gone.
    let params: GovernanceParams = g.chain.query(&g.gov, &GovQueryMsg::Params {});
    assert_eq!(
        params.voting_period_secs, 60,
        "governance's own write in the submessage reverted"
    );
    assert_eq!(g.chain.balance(&recipient), 0, "the pool spend reverted");
    let auditors: AuditorsResponse = g.chain.query(&g.registry, &RegQueryMsg::Auditors {});
    assert!(auditors.auditors.is_empty());
    // Outside it: kept.
    let p: ProposalResponse = g.chain.query(&g.gov, &GovQueryMsg::Proposal { id: 2 });
    assert_eq!(p.status, ProposalStatus::ExecutionFailed);
    // wasmd hands a reply only the code of an error raised below the failing contract's own.
    assert_eq!(
        p.execution_error.as_deref(),
        Some("codespace: wasm, code: 5")
    );
    assert_eq!(
        g.chain.balance(&g.voter),
        voter_before + TSR,
        "deposit refunded"
    );

    // Events: the refund and the reply remain; nothing of the failed submessage does.
    let kinds: Vec<&str> = r.events.iter().map(|e| e.ty.as_str()).collect();
    assert!(kinds.contains(&"reply"), "{kinds:?}");
    let reply = event(&r.events, "reply");
    assert_eq!(attrs(reply), vec![("_contract_address", g.gov.as_str())]);
    assert!(
        r.events
            .iter()
            .all(|e| attrs(e).iter().all(|(_, v)| *v != recipient)),
        "no trace of the spend"
    );
    assert!(r
        .events
        .iter()
        .all(|e| !(e.ty == "execute" && attrs(e)[0].1 == g.registry)));
}

#[test]
fn a_successful_submessage_keeps_its_writes() {
    let mut g = setup();
    let recipient = addr("recipient");
    propose(
        &g,
        "spend",
        vec![
            ProposalAction::UpdateGovernanceParams(GovernanceParamsUpdate {
                voting_period_secs: Some(120),
                ..Default::default()
            }),
            ProposalAction::CommunitySpend {
                recipient: recipient.clone(),
                amount: Coin::new(TSR, DENOM),
            },
            ProposalAction::SetAuditors {
                auditors: vec![addr("auditor")],
            },
        ],
    );
    g.chain
        .execute(
            &g.voter,
            &g.gov,
            &GovExecuteMsg::Vote {
                proposal_id: 1,
                option: VoteOption::Yes,
            },
            vec![],
        )
        .unwrap();
    g.chain.advance(61);
    let r = g
        .chain
        .execute(
            &g.voter,
            &g.gov,
            &GovExecuteMsg::Execute { proposal_id: 1 },
            vec![],
        )
        .unwrap();
    let p: ProposalResponse = g.chain.query(&g.gov, &GovQueryMsg::Proposal { id: 1 });
    assert_eq!(p.status, ProposalStatus::Executed);
    assert_eq!(g.chain.balance(&recipient), TSR);
    let params: GovernanceParams = g.chain.query(&g.gov, &GovQueryMsg::Params {});
    assert_eq!(params.voting_period_secs, 120);
    let auditors: AuditorsResponse = g.chain.query(&g.registry, &RegQueryMsg::Auditors {});
    assert_eq!(auditors.auditors, vec![addr("auditor")]);
    // Nested dispatch shows up in order: governance → itself (run_actions) → bank, registry.
    let executes: Vec<&str> = r
        .events
        .iter()
        .filter(|e| e.ty == "execute")
        .map(|e| attrs(e)[0].1)
        .collect();
    assert_eq!(
        executes,
        vec![g.gov.as_str(), g.gov.as_str(), g.registry.as_str()]
    );
    assert!(r
        .events
        .iter()
        .any(|e| e.ty == "transfer" && attrs(e).contains(&("recipient", recipient.as_str()))));
}
