//! Market parameters: only the authority changes them, every change is validated, and what
//! they say is what deployments, bids and payouts obey.

mod common;

use common::*;
use cosmwasm_std::{coin, coins, Uint128};
use cw_multi_test::Executor;
use tessera_api::market::{
    DisputeParams, ExecuteMsg, InstantiateMsg, MarketParams, MarketParamsUpdate,
};
use tessera_api::{CommonError, ValidationError};
use tessera_market::ContractError;

fn invalid(reason: &str) -> ContractError {
    ContractError::Common(CommonError::InvalidParams {
        reason: reason.into(),
    })
}

/// Sends `update` from the authority, expecting `expected`, and checks nothing changed.
fn refused(s: &mut Suite, update: MarketParamsUpdate, expected: ContractError) {
    let before = s.params();
    let authority = s.authority.clone();
    s.expect_error(&authority, &ExecuteMsg::UpdateParams(update), &[], expected);
    assert_eq!(s.params(), before);
}

fn create(bid_window_secs: Option<u64>) -> ExecuteMsg {
    ExecuteMsg::CreateDeployment {
        dseq: Some(1),
        groups: vec![gpu_group("train", 1, TSR)],
        manifest_hash: MANIFEST.into(),
        bid_window_secs,
        sample_size: None,
        secret_hash: None,
    }
}

#[test]
fn a_lower_take_rate_applies_to_payouts_after_the_change_only() {
    // 0.72 TSR/hour = 200 utsr a second: 12_000 per one-minute payout.
    let Leased {
        mut suite,
        provider,
        lease,
        ..
    } = leased(720_000, 10 * TSR);
    let s = &mut suite;
    let pool = s.pool.clone();
    let provider_start = s.balance(&provider);

    s.advance_and_end_block(60);
    assert_eq!(s.balance(&provider), provider_start + 11_760);
    assert_eq!((s.balance(&pool), s.burned()), (120, 120));

    // 1 % from now on; what was paid keeps its 2 %.
    s.update_params(MarketParamsUpdate {
        take_rate_bps: Some(100),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(s.params().take_rate_bps, 100);
    assert_eq!((s.balance(&pool), s.burned()), (120, 120));

    s.advance_and_end_block(60);
    assert_eq!(s.lease(&lease).total_paid.u128(), 24_000);
    assert_eq!(s.balance(&provider), provider_start + 11_760 + 11_880);
    assert_eq!((s.balance(&pool), s.burned()), (180, 180));

    // No take at all, and all of the take burned, work too.
    s.update_params(MarketParamsUpdate {
        take_rate_bps: Some(0),
        ..Default::default()
    })
    .unwrap();
    s.advance_and_end_block(60);
    assert_eq!(
        s.balance(&provider),
        provider_start + 11_760 + 11_880 + 12_000
    );
    s.update_params(MarketParamsUpdate {
        take_rate_bps: Some(200),
        burn_bps: Some(10_000),
        ..Default::default()
    })
    .unwrap();
    s.advance_and_end_block(60);
    assert_eq!(
        s.balance(&provider),
        provider_start + 11_760 + 11_880 + 12_000 + 11_760
    );
    assert_eq!((s.balance(&pool), s.burned()), (180, 420));
    s.assert_conserved();
}

#[test]
fn only_the_authority_may_update_params() {
    let mut s = Suite::new();
    let stranger = s.account("stranger", TSR);
    let tenant = s.tenant("tenant");
    let before = s.params();
    for sender in [&stranger, &tenant, &s.registry.clone(), &s.pool.clone()] {
        s.expect_error(
            sender,
            &ExecuteMsg::UpdateParams(MarketParamsUpdate {
                take_rate_bps: Some(0),
                ..Default::default()
            }),
            &[],
            ContractError::Common(CommonError::Unauthorized {
                action: "changing market params".into(),
                allowed: "the params authority".into(),
            }),
        );
    }
    assert_eq!(s.params(), before);
}

#[test]
fn the_authority_can_hand_over_to_a_new_authority() {
    let mut s = Suite::new();
    let successor = s.account("successor", TSR);
    s.update_params(MarketParamsUpdate {
        authority: Some(successor.to_string()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(s.params().authority, successor.to_string());

    let old = s.authority.clone();
    s.expect_error(
        &old,
        &ExecuteMsg::UpdateParams(MarketParamsUpdate {
            max_groups: Some(3),
            ..Default::default()
        }),
        &[],
        ContractError::Common(CommonError::Unauthorized {
            action: "changing market params".into(),
            allowed: "the params authority".into(),
        }),
    );
    s.execute(
        &successor,
        &ExecuteMsg::UpdateParams(MarketParamsUpdate {
            max_groups: Some(3),
            ..Default::default()
        }),
        &[],
    )
    .unwrap();
    assert_eq!(s.params().max_groups, 3);
}

#[test]
fn invalid_updates_are_refused_with_their_reason() {
    let mut s = Suite::new();
    let cases: Vec<(MarketParamsUpdate, ContractError)> = vec![
        (
            MarketParamsUpdate {
                take_rate_bps: Some(10_001),
                ..Default::default()
            },
            invalid("take_rate_bps is 10001, max 10000"),
        ),
        (
            MarketParamsUpdate {
                burn_bps: Some(u16::MAX),
                ..Default::default()
            },
            invalid("burn_bps is 65535, max 10000"),
        ),
        (
            MarketParamsUpdate {
                min_bid_window_secs: Some(60),
                ..Default::default()
            },
            invalid("bid windows must satisfy 1 <= min (60) <= default (30) <= max (3600)"),
        ),
        (
            MarketParamsUpdate {
                bid_window_secs: Some(7200),
                ..Default::default()
            },
            invalid("bid windows must satisfy 1 <= min (5) <= default (7200) <= max (3600)"),
        ),
        (
            MarketParamsUpdate {
                min_bid_window_secs: Some(0),
                ..Default::default()
            },
            invalid("bid windows must satisfy 1 <= min (0) <= default (30) <= max (3600)"),
        ),
        (
            MarketParamsUpdate {
                grace_period_secs: Some(0),
                ..Default::default()
            },
            invalid("grace_period_secs must be positive"),
        ),
        (
            MarketParamsUpdate {
                manifest_timeout_secs: Some(0),
                ..Default::default()
            },
            invalid("manifest_timeout_secs must be positive"),
        ),
        (
            MarketParamsUpdate {
                attestation_interval_secs: Some(0),
                ..Default::default()
            },
            invalid("attestation_interval_secs must be positive"),
        ),
        (
            MarketParamsUpdate {
                settle_interval_secs: Some(0),
                ..Default::default()
            },
            invalid("settle_interval_secs must be positive"),
        ),
        (
            MarketParamsUpdate {
                min_deposit: Some(vec![]),
                ..Default::default()
            },
            invalid("min_deposit must list at least one accepted denom"),
        ),
        (
            MarketParamsUpdate {
                min_deposit: Some(vec![coin(5, DENOM), coin(6, "uusdc"), coin(7, DENOM)]),
                ..Default::default()
            },
            invalid("min_deposit lists utsr twice"),
        ),
        (
            MarketParamsUpdate {
                min_deposit: Some(vec![coin(0, DENOM)]),
                ..Default::default()
            },
            invalid("min_deposit of utsr must be positive"),
        ),
        (
            MarketParamsUpdate {
                min_deposit: Some(vec![coin(5, "1bad")]),
                ..Default::default()
            },
            ContractError::from(ValidationError::new(
                "denom",
                "\"1bad\" is not a valid denom",
            )),
        ),
        (
            MarketParamsUpdate {
                bid_min_deposit: Some(coin(5, "x")),
                ..Default::default()
            },
            ContractError::from(ValidationError::new("denom", "\"x\" is not a valid denom")),
        ),
        (
            MarketParamsUpdate {
                max_bids_per_order: Some(0),
                ..Default::default()
            },
            invalid("max_bids_per_order must be at least 1"),
        ),
        (
            MarketParamsUpdate {
                max_groups: Some(0),
                ..Default::default()
            },
            invalid("max_groups is 0, must be 1 to 100"),
        ),
        (
            MarketParamsUpdate {
                max_end_block_items: Some(0),
                ..Default::default()
            },
            invalid("max_end_block_items must be at least 1"),
        ),
    ];
    for (update, expected) in cases {
        refused(&mut s, update, expected);
    }

    let bad_addr = s.invalid_address("not-an-address");
    refused(
        &mut s,
        MarketParamsUpdate {
            community_pool: Some("not-an-address".into()),
            ..Default::default()
        },
        bad_addr,
    );
}

#[test]
fn invalid_dispute_terms_are_refused_and_a_valid_sample_size_is_kept() {
    let mut s = Suite::new();
    let with = |adjust: fn(&mut DisputeParams)| {
        let mut dispute = DisputeParams::default();
        adjust(&mut dispute);
        MarketParamsUpdate {
            dispute: Some(dispute),
            ..Default::default()
        }
    };
    let cases: Vec<(MarketParamsUpdate, ContractError)> = vec![
        (
            with(|d| d.window_secs = 0),
            invalid("dispute.window_secs must be positive"),
        ),
        (
            with(|d| d.deposit.amount = Default::default()),
            invalid("dispute.deposit must be positive (free disputes would be spam)"),
        ),
        (
            with(|d| d.sample_size = 0),
            invalid("dispute.sample_size is 0, must be 1 to 1000"),
        ),
        (
            with(|d| d.sample_size = 1_001),
            invalid("dispute.sample_size is 1001, must be 1 to 1000"),
        ),
        (
            with(|d| d.slash_multiplier = 0),
            invalid("dispute.slash_multiplier must be at least 1"),
        ),
        (
            with(|d| (d.disputer_bps, d.tenant_bps) = (6_000, 4_001)),
            invalid("dispute.disputer_bps + dispute.tenant_bps is 10001, max 10000"),
        ),
    ];
    for (update, expected) in cases {
        refused(&mut s, update, expected);
    }

    s.update_params(with(|d| d.sample_size = 200)).unwrap();
    assert_eq!(s.params().dispute.sample_size, 200);
}

#[test]
fn a_deployment_may_ask_for_more_sampled_leaves_than_the_market_not_fewer() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    let market_k = s.params().dispute.sample_size;
    let with_k = |dseq: u64, k: u64| ExecuteMsg::CreateDeployment {
        dseq: Some(dseq),
        groups: vec![gpu_group("train", 1, TSR)],
        manifest_hash: MANIFEST.into(),
        bid_window_secs: None,
        sample_size: Some(k),
        secret_hash: None,
    };
    for k in [0, market_k - 1, 1_001] {
        s.expect_error(
            &tenant,
            &with_k(1, k),
            &coins(MIN_DEPOSIT, DENOM),
            ContractError::SampleSizeOutOfBounds {
                k,
                min: market_k,
                max: 1_000,
            },
        );
    }
    s.execute(&tenant, &with_k(1, 200), &coins(MIN_DEPOSIT, DENOM))
        .unwrap();
    assert_eq!(s.deployment(&tenant, 1).sample_size, Some(200));
    s.execute(&tenant, &create(None), &coins(MIN_DEPOSIT, DENOM))
        .expect_err("dseq 1 is taken");
    let mut plain = create(None);
    if let ExecuteMsg::CreateDeployment { dseq, .. } = &mut plain {
        *dseq = Some(2);
    }
    s.execute(&tenant, &plain, &coins(MIN_DEPOSIT, DENOM))
        .unwrap();
    assert_eq!(s.deployment(&tenant, 2).sample_size, None);
}

#[test]
fn the_bid_window_of_a_new_deployment_must_be_within_bounds() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    for secs in [0, 4, 3601] {
        s.expect_error(
            &tenant,
            &create(Some(secs)),
            &coins(MIN_DEPOSIT, DENOM),
            ContractError::BidWindowOutOfBounds {
                secs,
                min: 5,
                max: 3600,
            },
        );
    }
    s.execute(&tenant, &create(Some(5)), &coins(MIN_DEPOSIT, DENOM))
        .unwrap();
    let order = s.order(&Suite::order_id(&tenant, 1, 1));
    assert_eq!(order.window_ends_at, Some(s.now() + 5));

    // Narrower bounds apply to deployments created after the change.
    s.update_params(MarketParamsUpdate {
        max_bid_window_secs: Some(60),
        ..Default::default()
    })
    .unwrap();
    s.expect_error(
        &tenant,
        &ExecuteMsg::CreateDeployment {
            dseq: Some(2),
            groups: vec![gpu_group("train", 1, TSR)],
            manifest_hash: MANIFEST.into(),
            bid_window_secs: Some(61),
            sample_size: None,
            secret_hash: None,
        },
        &coins(MIN_DEPOSIT, DENOM),
        ContractError::BidWindowOutOfBounds {
            secs: 61,
            min: 5,
            max: 60,
        },
    );
    s.assert_conserved();
}

#[test]
fn a_deposit_below_the_minimum_or_in_an_unaccepted_denom_is_refused() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    s.mint_other(&tenant, 100 * TSR, "uusdc");
    s.mint_other(&tenant, 100 * TSR, "uatom");

    s.expect_error(
        &tenant,
        &create(None),
        &coins(MIN_DEPOSIT - 1, DENOM),
        ContractError::DepositTooSmall {
            amount: Uint128::new(MIN_DEPOSIT - 1),
            min: Uint128::new(MIN_DEPOSIT),
            denom: DENOM.into(),
        },
    );
    s.expect_error(
        &tenant,
        &create(None),
        &coins(MIN_DEPOSIT, "uusdc"),
        ContractError::DenomNotAccepted {
            denom: "uusdc".into(),
            accepted: DENOM.into(),
        },
    );

    // The authority accepts a second denom with its own minimum.
    s.update_params(MarketParamsUpdate {
        min_deposit: Some(vec![coin(MIN_DEPOSIT, DENOM), coin(2 * TSR, "uusdc")]),
        ..Default::default()
    })
    .unwrap();
    s.expect_error(
        &tenant,
        &create(None),
        &coins(MIN_DEPOSIT, "uatom"),
        ContractError::DenomNotAccepted {
            denom: "uatom".into(),
            accepted: "utsr, uusdc".into(),
        },
    );
    s.expect_error(
        &tenant,
        &create(None),
        &coins(2 * TSR - 1, "uusdc"),
        ContractError::DepositTooSmall {
            amount: Uint128::new(2 * TSR - 1),
            min: Uint128::new(2 * TSR),
            denom: "uusdc".into(),
        },
    );
    s.execute(&tenant, &create(None), &coins(2 * TSR, "uusdc"))
        .unwrap();
    let d = s.deployment(&tenant, 1);
    assert_eq!(d.denom, "uusdc");
    assert_eq!(s.order(&Suite::order_id(&tenant, 1, 1)).denom, "uusdc");
    s.assert_conserved();
}

/// A change to valid params that makes them invalid.
type Adjust = Box<dyn Fn(&mut MarketParams)>;

#[test]
fn instantiating_with_invalid_params_fails() {
    let mut s = Suite::new();
    let code = s.app.store_code(market_contract());
    let admin = s.addr("admin");
    let valid = s.params();
    let cases: Vec<(Adjust, ContractError)> = vec![
        (
            Box::new(|p| p.take_rate_bps = 10_001),
            invalid("take_rate_bps is 10001, max 10000"),
        ),
        (
            Box::new(|p| p.min_deposit = vec![]),
            invalid("min_deposit must list at least one accepted denom"),
        ),
        (
            Box::new(|p| {
                p.min_bid_window_secs = 10;
                p.max_bid_window_secs = 9;
                p.bid_window_secs = 10;
            }),
            invalid("bid windows must satisfy 1 <= min (10) <= default (10) <= max (9)"),
        ),
        (
            Box::new(|p| p.settle_interval_secs = 0),
            invalid("settle_interval_secs must be positive"),
        ),
    ];
    for (adjust, expected) in cases {
        let mut params = valid.clone();
        adjust(&mut params);
        let err = s
            .app
            .instantiate_contract(
                code,
                admin.clone(),
                &InstantiateMsg { params },
                &[],
                "bad market",
                None,
            )
            .expect_err("invalid params must not instantiate");
        assert_error(err, expected);
    }

    let mut params = valid.clone();
    params.registry = "not-an-address".into();
    let err = s
        .app
        .instantiate_contract(
            code,
            admin.clone(),
            &InstantiateMsg { params },
            &[],
            "bad",
            None,
        )
        .unwrap_err();
    assert_error(err, s.invalid_address("not-an-address"));

    // Funds sent along are refused too.
    let payer = s.account("payer", TSR);
    let err = s
        .app
        .instantiate_contract(
            code,
            payer,
            &InstantiateMsg { params: valid },
            &coins(1, DENOM),
            "paid market",
            None,
        )
        .unwrap_err();
    assert_error(
        err,
        ContractError::from(cw_utils::PaymentError::NonPayable {}),
    );
}

#[test]
fn the_params_query_returns_what_was_set() {
    let mut s = Suite::with_params(|p| {
        p.max_bids_per_order = 3;
        p.grace_period_secs = 120;
    });
    let mut expected = default_params(&s.authority, &s.registry, &s.pool);
    expected.max_bids_per_order = 3;
    expected.grace_period_secs = 120;
    assert_eq!(s.params(), expected);

    s.update_params(MarketParamsUpdate {
        take_rate_bps: Some(150),
        burn_bps: Some(2_500),
        min_deposit: Some(vec![coin(TSR, DENOM)]),
        bid_min_deposit: Some(coin(TSR / 10, DENOM)),
        bid_window_secs: Some(60),
        min_bid_window_secs: Some(10),
        max_bid_window_secs: Some(600),
        manifest_timeout_secs: Some(900),
        attestation_interval_secs: Some(300),
        settle_interval_secs: Some(30),
        max_groups: Some(4),
        max_end_block_items: Some(50),
        ..Default::default()
    })
    .unwrap();
    let expected = MarketParams {
        take_rate_bps: 150,
        burn_bps: 2_500,
        min_deposit: vec![coin(TSR, DENOM)],
        bid_min_deposit: coin(TSR / 10, DENOM),
        bid_window_secs: 60,
        min_bid_window_secs: 10,
        max_bid_window_secs: 600,
        manifest_timeout_secs: 900,
        attestation_interval_secs: 300,
        settle_interval_secs: 30,
        max_groups: 4,
        max_end_block_items: 50,
        ..expected
    };
    assert_eq!(s.params(), expected);

    // And the market obeys them: a deposit of 1 TSR is now enough, and bids need 0.1 TSR.
    let tenant = s.tenant("tenant");
    s.execute(&tenant, &create(None), &coins(TSR, DENOM))
        .unwrap();
    let order = Suite::order_id(&tenant, 1, 1);
    assert_eq!(s.order(&order).window_ends_at, Some(s.now() + 60));
    let provider = s.provider("provider", 8);
    s.execute(
        &provider,
        &ExecuteMsg::PlaceBid {
            order: order.clone(),
            price: Uint128::new(TSR / 2),
            offer: offer(1),
        },
        &coins(TSR / 10, DENOM),
    )
    .unwrap();
    s.assert_conserved();
}
