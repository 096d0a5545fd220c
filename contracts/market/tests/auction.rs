//! The reverse auction: who may bid, what a bid must offer, and which bid wins.

mod common;

use common::*;
use cosmwasm_std::{coin, coins, Addr, Uint128};
use cw_utils::PaymentError;
use tessera_api::market::{
    close_reason, BidState, BidsResponse, ExecuteMsg, GroupSpec, LeaseState, OrderState, QueryMsg,
};
use tessera_api::registry::ExecuteMsg as RegExecuteMsg;
use tessera_api::{Attribute, BidId, CommonError, OrderId, PlacementRequirements, SignedBy};
use tessera_market::ContractError;

/// A tenant with deployment `dseq` of one group needing one H100 for at most 1 TSR/hour.
fn open_order(s: &mut Suite, dseq: u64) -> (Addr, OrderId) {
    let tenant = s.tenant("tenant");
    s.create_deployment(&tenant, dseq, vec![gpu_group("train", 1, TSR)], MIN_DEPOSIT)
        .unwrap();
    let order = Suite::order_id(&tenant, dseq, 1);
    (tenant, order)
}

fn place_bid(order: &OrderId, price: u128, gpus: Vec<tessera_api::GpuSpec>) -> ExecuteMsg {
    ExecuteMsg::PlaceBid {
        order: order.clone(),
        price: Uint128::new(price),
        offer: tessera_api::market::BidOffer {
            gpus,
            resource_prices: vec![],
        },
    }
}

fn bid_deposit() -> Vec<cosmwasm_std::Coin> {
    coins(BID_DEPOSIT, DENOM)
}

fn in_region(mut group: GroupSpec, region: &str, signed_by: SignedBy) -> GroupSpec {
    group.requirements = PlacementRequirements {
        attributes: vec![Attribute::new("region", region)],
        signed_by,
    };
    group
}

fn placement_not_met(provider: &Addr, order: &OrderId, reason: String) -> ContractError {
    ContractError::PlacementNotMet {
        provider: provider.to_string(),
        order: order.to_string(),
        reason,
    }
}

fn offer_mismatch(order: &OrderId, reason: &str) -> ContractError {
    ContractError::OfferMismatch {
        order: order.to_string(),
        reason: reason.to_string(),
    }
}

#[test]
fn the_lowest_price_wins_at_window_end_and_the_losers_are_refunded() {
    let mut s = Suite::new();
    let (_, order) = open_order(&mut s, 1);
    let dear = s.provider("dear", 8);
    let cheap = s.provider("cheap", 8);
    let middle = s.provider("middle", 8);
    s.bid(&dear, &order, 900_000, 1).unwrap();
    s.bid(&cheap, &order, 500_000, 1).unwrap();
    s.bid(&middle, &order, 700_000, 1).unwrap();
    assert_eq!(s.order(&order).open_bids, 3);
    let before: Vec<u128> = [&dear, &cheap, &middle]
        .iter()
        .map(|p| s.balance(p))
        .collect();

    // One second before the window ends nothing is awarded.
    let res = s.advance_and_end_block(29);
    assert_eq!(attr(&res, "awarded").as_deref(), Some("0"));
    assert_eq!(s.order(&order).state, OrderState::Open);

    let res = s.advance_and_end_block(1);
    assert_eq!(attr(&res, "awarded").as_deref(), Some("1"));
    let lease = s.lease(&order.bid(cheap.as_str()));
    assert_eq!(lease.state, LeaseState::Active);
    assert_eq!(lease.price, coin(500_000, DENOM));
    let o = s.order(&order);
    assert_eq!(
        (o.state, o.open_bids, o.window_ends_at),
        (OrderState::Matched, 0, None)
    );

    assert_eq!(s.bid_info(&order.bid(cheap.as_str())).state, BidState::Won);
    assert_eq!(s.bid_info(&order.bid(dear.as_str())).state, BidState::Lost);
    assert_eq!(
        s.bid_info(&order.bid(middle.as_str())).state,
        BidState::Lost
    );
    assert_eq!(s.balance(&dear), before[0] + BID_DEPOSIT);
    assert_eq!(
        s.balance(&cheap),
        before[1],
        "the winner's deposit stays with the lease"
    );
    assert_eq!(s.balance(&middle), before[2] + BID_DEPOSIT);
    assert_eq!(s.reputation(&cheap).leases_started, 1);
    assert_eq!(s.reputation(&dear).leases_started, 0);
    s.assert_conserved();
}

#[test]
fn a_price_tie_goes_to_the_provider_with_the_higher_reputation() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    let veteran = s.provider("veteran", 8);
    let newcomer = s.provider("newcomer", 8);

    // The veteran completes a lease first: an hour at 1 TSR, then the tenant closes it, which
    // counts as completed and earns a point per TSR paid.
    s.create_deployment(&tenant, 1, vec![gpu_group("warmup", 1, TSR)], MIN_DEPOSIT)
        .unwrap();
    let first = Suite::order_id(&tenant, 1, 1);
    s.bid(&veteran, &first, TSR, 1).unwrap();
    s.advance_and_end_block(30);
    s.advance(3600);
    s.execute(
        &tenant,
        &ExecuteMsg::CloseLease {
            lease: first.bid(veteran.as_str()),
            reason: close_reason::TENANT_CLOSED,
        },
        &[],
    )
    .unwrap();
    assert_eq!(s.reputation(&veteran).score(), 1);

    // Same price; the newcomer even bids first, but the veteran's reputation wins.
    s.create_deployment(&tenant, 2, vec![gpu_group("train", 1, TSR)], MIN_DEPOSIT)
        .unwrap();
    let order = Suite::order_id(&tenant, 2, 1);
    s.bid(&newcomer, &order, 600_000, 1).unwrap();
    s.advance(5);
    s.bid(&veteran, &order, 600_000, 1).unwrap();
    assert_eq!(s.bid_info(&order.bid(veteran.as_str())).reputation_score, 1);
    assert_eq!(
        s.bid_info(&order.bid(newcomer.as_str())).reputation_score,
        0
    );
    s.advance_and_end_block(30);

    assert_eq!(
        s.lease(&order.bid(veteran.as_str())).state,
        LeaseState::Active
    );
    assert_eq!(
        s.bid_info(&order.bid(newcomer.as_str())).state,
        BidState::Lost
    );
    s.assert_conserved();
}

#[test]
fn a_tie_in_price_and_reputation_goes_to_the_earlier_bid() {
    let mut s = Suite::new();
    let (_, order) = open_order(&mut s, 1);
    let a = s.provider("alpha", 8);
    let b = s.provider("beta", 8);
    // The earlier bidder is the one with the higher address, so the address tie-break would
    // pick the other: only the bid time can make it win.
    let (early, late) = if a > b { (a, b) } else { (b, a) };
    s.bid(&early, &order, 600_000, 1).unwrap();
    s.advance(3);
    s.bid(&late, &order, 600_000, 1).unwrap();
    s.advance_and_end_block(30);

    assert_eq!(s.bid_info(&order.bid(early.as_str())).state, BidState::Won);
    assert_eq!(s.bid_info(&order.bid(late.as_str())).state, BidState::Lost);
    s.assert_conserved();
}

#[test]
fn the_tenant_may_accept_a_higher_bid_before_the_window_ends() {
    let mut s = Suite::new();
    let (tenant, order) = open_order(&mut s, 1);
    let cheap = s.provider("cheap", 8);
    let trusted = s.provider("trusted", 8);
    s.bid(&cheap, &order, 400_000, 1).unwrap();
    s.bid(&trusted, &order, 800_000, 1).unwrap();
    let cheap_before = s.balance(&cheap);

    s.advance(10);
    s.execute(
        &tenant,
        &ExecuteMsg::AcceptBid {
            bid: order.bid(trusted.as_str()),
        },
        &[],
    )
    .unwrap();
    let lease = s.lease(&order.bid(trusted.as_str()));
    assert_eq!(lease.state, LeaseState::Active);
    assert_eq!(lease.price, coin(800_000, DENOM));
    assert_eq!(lease.created_at, s.now());
    assert_eq!(s.bid_info(&order.bid(cheap.as_str())).state, BidState::Lost);
    assert_eq!(s.balance(&cheap), cheap_before + BID_DEPOSIT);
    let o = s.order(&order);
    assert_eq!((o.state, o.window_ends_at), (OrderState::Matched, None));

    // The auction entry went with the award: when the window would have ended, nothing happens.
    let res = s.advance_and_end_block(20);
    assert_eq!(attr(&res, "awarded").as_deref(), Some("0"));
    assert_eq!(attr(&res, "unbid").as_deref(), Some("0"));
    assert_eq!(
        s.lease(&order.bid(trusted.as_str())).price,
        coin(800_000, DENOM)
    );
    assert_eq!(s.bid_info(&order.bid(cheap.as_str())).state, BidState::Lost);
    s.assert_conserved();
}

#[test]
fn an_order_without_bids_waits_and_its_first_bid_restarts_the_window() {
    let mut s = Suite::new();
    let (_, order) = open_order(&mut s, 1);
    let created = s.now();
    assert_eq!(s.order(&order).window_ends_at, Some(created + 30));

    let res = s.advance_and_end_block(30);
    assert_eq!(attr(&res, "unbid").as_deref(), Some("1"));
    let o = s.order(&order);
    assert_eq!((o.state, o.window_ends_at), (OrderState::Open, None));

    // Much later the first bid arrives and opens a full window from now.
    s.advance(500);
    let provider = s.provider("provider", 8);
    s.bid(&provider, &order, 500_000, 1).unwrap();
    let bid_at = s.now();
    assert_eq!(s.order(&order).window_ends_at, Some(bid_at + 30));

    let res = s.advance_and_end_block(29);
    assert_eq!(attr(&res, "awarded").as_deref(), Some("0"));
    assert_eq!(s.order(&order).state, OrderState::Open);
    let res = s.advance_and_end_block(1);
    assert_eq!(attr(&res, "awarded").as_deref(), Some("1"));
    assert_eq!(
        s.lease(&order.bid(provider.as_str())).created_at,
        bid_at + 30
    );
    s.assert_conserved();
}

#[test]
fn withdrawing_a_bid_refunds_its_deposit_and_frees_a_slot() {
    let mut s = Suite::with_params(|p| p.max_bids_per_order = 2);
    let (_, order) = open_order(&mut s, 1);
    let first = s.provider("first", 8);
    let second = s.provider("second", 8);
    let third = s.provider("third", 8);
    s.bid(&first, &order, 500_000, 1).unwrap();
    s.bid(&second, &order, 600_000, 1).unwrap();
    s.expect_error(
        &third,
        &place_bid(&order, 400_000, vec![h100(1)]),
        &bid_deposit(),
        ContractError::TooManyBids {
            id: order.to_string(),
            count: 2,
            max: 2,
        },
    );

    let before = s.balance(&first);
    s.execute(
        &first,
        &ExecuteMsg::WithdrawBid {
            order: order.clone(),
        },
        &[],
    )
    .unwrap();
    assert_eq!(s.balance(&first), before + BID_DEPOSIT);
    assert_eq!(s.order(&order).open_bids, 1);
    let bids: BidsResponse = s.query(&QueryMsg::Bids {
        order: order.clone(),
        start_after: None,
        limit: None,
    });
    assert_eq!(bids.bids.len(), 1);
    assert_eq!(bids.bids[0].id, order.bid(second.as_str()));
    // A withdrawn bid is gone, not kept: withdrawing again finds nothing.
    s.expect_error(
        &first,
        &ExecuteMsg::WithdrawBid {
            order: order.clone(),
        },
        &[],
        ContractError::BidNotFound {
            id: order.bid(first.as_str()).to_string(),
        },
    );

    s.bid(&third, &order, 400_000, 1).unwrap();
    assert_eq!(s.order(&order).open_bids, 2);
    s.advance_and_end_block(30);
    assert_eq!(s.bid_info(&order.bid(third.as_str())).state, BidState::Won);

    // A bid that lost can no longer be withdrawn (its deposit is already back).
    s.expect_error(
        &second,
        &ExecuteMsg::WithdrawBid {
            order: order.clone(),
        },
        &[],
        ContractError::BidNotOpen {
            id: order.bid(second.as_str()).to_string(),
            state: "lost".into(),
        },
    );
    s.assert_conserved();
}

#[test]
fn an_order_takes_at_most_max_bids_per_order_open_bids() {
    let mut s = Suite::with_params(|p| p.max_bids_per_order = 2);
    let (_, order) = open_order(&mut s, 1);
    let providers: Vec<Addr> = (0..3)
        .map(|i| s.provider(&format!("provider{i}"), 8))
        .collect();
    s.bid(&providers[0], &order, 500_000, 1).unwrap();
    s.bid(&providers[1], &order, 500_000, 1).unwrap();
    let before = s.balance(&providers[2]);
    s.expect_error(
        &providers[2],
        &place_bid(&order, 100_000, vec![h100(1)]),
        &bid_deposit(),
        ContractError::TooManyBids {
            id: order.to_string(),
            count: 2,
            max: 2,
        },
    );
    assert_eq!(
        s.balance(&providers[2]),
        before,
        "a refused bid keeps its deposit"
    );
    assert_eq!(s.order(&order).open_bids, 2);

    // Another order has its own slots.
    let tenant = s.addr("tenant");
    s.create_deployment(&tenant, 2, vec![gpu_group("other", 1, TSR)], MIN_DEPOSIT)
        .unwrap();
    s.bid(&providers[2], &Suite::order_id(&tenant, 2, 1), 100_000, 1)
        .unwrap();
    s.assert_conserved();
}

#[test]
fn placement_requires_the_declared_attributes() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    let us = s.provider_with("us", vec![h100(8)], vec![Attribute::new("region", "us")]);
    let eu = s.provider_with("eu", vec![h100(8)], vec![Attribute::new("region", "eu")]);
    let group = in_region(gpu_group("train", 1, TSR), "eu", SignedBy::default());
    s.create_deployment(&tenant, 1, vec![group], MIN_DEPOSIT)
        .unwrap();
    let order = Suite::order_id(&tenant, 1, 1);

    s.expect_error(
        &us,
        &place_bid(&order, 500_000, vec![h100(1)]),
        &bid_deposit(),
        placement_not_met(&us, &order, "provider lacks attribute region=eu".into()),
    );
    s.bid(&eu, &order, 500_000, 1).unwrap();
    assert_eq!(s.order(&order).open_bids, 1);
    s.assert_conserved();
}

#[test]
fn placement_signed_by_all_of_needs_every_named_auditor() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    let auditor = s.addr("auditor");
    s.set_auditors(&[&auditor]);
    let region = Attribute::new("region", "eu");
    let provider = s.provider_with("provider", vec![h100(8)], vec![region.clone()]);
    let group = in_region(
        gpu_group("train", 1, TSR),
        "eu",
        SignedBy {
            all_of: vec![auditor.to_string()],
            any_of: vec![],
        },
    );
    s.create_deployment(&tenant, 1, vec![group], MIN_DEPOSIT)
        .unwrap();
    let order = Suite::order_id(&tenant, 1, 1);

    // Declaring the attribute is not enough.
    s.expect_error(
        &provider,
        &place_bid(&order, 500_000, vec![h100(1)]),
        &bid_deposit(),
        placement_not_met(
            &provider,
            &order,
            format!("attribute region=eu is not signed by auditor {auditor}"),
        ),
    );
    // A signature on another attribute does not count either.
    s.sign_attributes(&auditor, &provider, vec![Attribute::new("tier", "dc")]);
    s.expect_error(
        &provider,
        &place_bid(&order, 500_000, vec![h100(1)]),
        &bid_deposit(),
        placement_not_met(
            &provider,
            &order,
            format!("attribute region=eu is not signed by auditor {auditor}"),
        ),
    );

    s.sign_attributes(&auditor, &provider, vec![region]);
    s.bid(&provider, &order, 500_000, 1).unwrap();
    s.assert_conserved();
}

#[test]
fn a_signature_counts_only_while_the_registry_trusts_its_auditor() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    let (auditor, other) = (s.addr("auditor"), s.addr("other"));
    s.set_auditors(&[&auditor]);
    let region = Attribute::new("region", "eu");
    let provider = s.provider_with("provider", vec![h100(8)], vec![region.clone()]);
    s.sign_attributes(&auditor, &provider, vec![region]);
    let group = in_region(
        gpu_group("train", 1, TSR),
        "eu",
        SignedBy {
            all_of: vec![auditor.to_string()],
            any_of: vec![],
        },
    );
    s.create_deployment(&tenant, 1, vec![group], MIN_DEPOSIT)
        .unwrap();
    let order = Suite::order_id(&tenant, 1, 1);

    // The registry stops trusting the auditor: its signature no longer places the provider.
    s.set_auditors(&[&other]);
    s.expect_error(
        &provider,
        &place_bid(&order, 500_000, vec![h100(1)]),
        &bid_deposit(),
        placement_not_met(
            &provider,
            &order,
            format!("attribute region=eu is not signed by auditor {auditor}"),
        ),
    );
    // Trusted again, the signature it made before counts again.
    s.set_auditors(&[&other, &auditor]);
    s.bid(&provider, &order, 500_000, 1).unwrap();
    s.assert_conserved();
}

#[test]
fn placement_signed_by_any_of_needs_one_of_the_named_auditors() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    let first = s.addr("auditor-one");
    let second = s.addr("auditor-two");
    let outsider = s.addr("auditor-outsider");
    s.set_auditors(&[&first, &second, &outsider]);
    let region = Attribute::new("region", "eu");
    let provider = s.provider_with("provider", vec![h100(8)], vec![region.clone()]);
    let group = in_region(
        gpu_group("train", 1, TSR),
        "eu",
        SignedBy {
            all_of: vec![],
            any_of: vec![first.to_string(), second.to_string()],
        },
    );
    s.create_deployment(&tenant, 1, vec![group], MIN_DEPOSIT)
        .unwrap();
    let order = Suite::order_id(&tenant, 1, 1);
    let none_of = || {
        placement_not_met(
            &provider,
            &order,
            format!("attribute region=eu is signed by none of the auditors {first}, {second}"),
        )
    };

    s.expect_error(
        &provider,
        &place_bid(&order, 500_000, vec![h100(1)]),
        &bid_deposit(),
        none_of(),
    );
    // A trusted auditor that the group does not name does not help.
    s.sign_attributes(&outsider, &provider, vec![region.clone()]);
    s.expect_error(
        &provider,
        &place_bid(&order, 500_000, vec![h100(1)]),
        &bid_deposit(),
        none_of(),
    );

    s.sign_attributes(&second, &provider, vec![region]);
    s.bid(&provider, &order, 500_000, 1).unwrap();
    s.assert_conserved();
}

#[test]
fn an_offer_must_give_exactly_the_gpus_the_order_needs() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    let provider = s.provider("provider", 8);
    s.create_deployment(&tenant, 1, vec![gpu_group("train", 2, TSR)], MIN_DEPOSIT)
        .unwrap();
    let order = Suite::order_id(&tenant, 1, 1);

    for (gpus, reason) in [
        (1, "offer has 1 GPUs, the order needs 2"),
        (3, "offer has 3 GPUs, the order needs 2"),
        (0, "offer has 0 GPUs, the order needs 2"),
    ] {
        s.expect_error(
            &provider,
            &ExecuteMsg::PlaceBid {
                order: order.clone(),
                price: Uint128::new(500_000),
                offer: offer(gpus),
            },
            &bid_deposit(),
            offer_mismatch(&order, reason),
        );
    }
    s.bid(&provider, &order, 500_000, 2).unwrap();
    s.assert_conserved();
}

#[test]
fn an_offer_of_a_model_the_order_does_not_accept_is_refused() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    let provider = s.provider_with("provider", vec![a100(8), h100(8)], vec![]);
    s.create_deployment(&tenant, 1, vec![gpu_group("train", 1, TSR)], MIN_DEPOSIT)
        .unwrap();
    let order = Suite::order_id(&tenant, 1, 1);

    s.expect_error(
        &provider,
        &place_bid(&order, 500_000, vec![a100(1)]),
        &bid_deposit(),
        offer_mismatch(
            &order,
            "offered GPU nvidia a100 (40960 MiB) is not among the accepted models",
        ),
    );
    s.execute(
        &provider,
        &place_bid(&order, 500_000, vec![h100(1)]),
        &bid_deposit(),
    )
    .unwrap();
    s.assert_conserved();
}

#[test]
fn a_provider_cannot_offer_gpus_it_has_not_registered() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    let small = s.provider("small", 1);
    let a100_only = s.provider_with("a100-only", vec![a100(8)], vec![]);
    s.create_deployment(&tenant, 1, vec![gpu_group("train", 2, TSR)], MIN_DEPOSIT)
        .unwrap();
    let order = Suite::order_id(&tenant, 1, 1);

    s.expect_error(
        &small,
        &place_bid(&order, 500_000, vec![h100(2)]),
        &bid_deposit(),
        offer_mismatch(&order, "offers 2 nvidia h100, the provider registered 1"),
    );
    s.expect_error(
        &a100_only,
        &place_bid(&order, 500_000, vec![h100(2)]),
        &bid_deposit(),
        offer_mismatch(&order, "offers 2 nvidia h100, the provider registered 0"),
    );
    s.assert_conserved();
}

#[test]
fn an_unregistered_address_cannot_bid() {
    let mut s = Suite::new();
    let (_, order) = open_order(&mut s, 1);
    let stranger = s.account("stranger", 10 * TSR);
    s.expect_error(
        &stranger,
        &place_bid(&order, 500_000, vec![h100(1)]),
        &bid_deposit(),
        ContractError::ProviderNotRegistered {
            provider: stranger.to_string(),
        },
    );
    assert_eq!(s.balance(&stranger), 10 * TSR);
    s.assert_conserved();
}

#[test]
fn a_provider_bonded_below_the_minimum_cannot_bid() {
    let mut s = Suite::new();
    let (_, order) = open_order(&mut s, 1);
    let provider = s.provider("provider", 8);
    s.registry_execute(
        &provider,
        &RegExecuteMsg::Unbond {
            amount: Uint128::one(),
        },
        &[],
    )
    .unwrap();
    s.expect_error(
        &provider,
        &place_bid(&order, 500_000, vec![h100(1)]),
        &bid_deposit(),
        ContractError::ProviderNotActive {
            provider: provider.to_string(),
        },
    );

    // Bonding back up to the minimum makes it active again.
    s.registry_execute(&provider, &RegExecuteMsg::Bond {}, &coins(1, DENOM))
        .unwrap();
    s.bid(&provider, &order, 500_000, 1).unwrap();
    s.assert_conserved();
}

#[test]
fn a_slashed_and_jailed_provider_cannot_bid() {
    let mut s = Suite::new();
    let (_, order) = open_order(&mut s, 1);
    let provider = s.provider("provider", 8);
    slash(&mut s, &provider);
    s.expect_error(
        &provider,
        &place_bid(&order, 500_000, vec![h100(1)]),
        &bid_deposit(),
        ContractError::ProviderNotActive {
            provider: provider.to_string(),
        },
    );
    s.assert_conserved();
}

#[test]
fn bids_outside_the_price_and_deposit_rules_are_refused() {
    let mut s = Suite::new();
    let (_, order) = open_order(&mut s, 1);
    let provider = s.provider("provider", 8);
    s.mint_other(&provider, TSR, "uatom");

    s.expect_error(
        &provider,
        &place_bid(&order, TSR + 1, vec![h100(1)]),
        &bid_deposit(),
        ContractError::PriceAboveMax {
            price: Uint128::new(TSR + 1),
            max: Uint128::new(TSR),
        },
    );
    s.expect_error(
        &provider,
        &place_bid(&order, 0, vec![h100(1)]),
        &bid_deposit(),
        ContractError::ZeroPrice {},
    );
    s.expect_error(
        &provider,
        &place_bid(&order, 500_000, vec![h100(1)]),
        &coins(BID_DEPOSIT - 1, DENOM),
        ContractError::BidDepositTooSmall {
            amount: Uint128::new(BID_DEPOSIT - 1),
            min: Uint128::new(BID_DEPOSIT),
            denom: DENOM.into(),
        },
    );
    s.expect_error(
        &provider,
        &place_bid(&order, 500_000, vec![h100(1)]),
        &coins(BID_DEPOSIT, "uatom"),
        ContractError::Common(CommonError::WrongDenom {
            expected: DENOM.into(),
            got: "uatom".into(),
        }),
    );
    s.expect_error(
        &provider,
        &place_bid(&order, 500_000, vec![h100(1)]),
        &[],
        ContractError::from(PaymentError::NoFunds {}),
    );
    // Exactly the max price, with more than the minimum deposit, is fine; the whole deposit
    // is held and comes back with the lost bid.
    s.execute(
        &provider,
        &place_bid(&order, TSR, vec![h100(1)]),
        &coins(BID_DEPOSIT + 7, DENOM),
    )
    .unwrap();
    assert_eq!(
        s.bid_info(&order.bid(provider.as_str())).deposit,
        coin(BID_DEPOSIT + 7, DENOM)
    );
    s.assert_conserved();
}

#[test]
fn a_provider_cannot_bid_twice_on_its_own_deployment_or_on_a_matched_order() {
    let mut s = Suite::new();
    let (tenant, order) = open_order(&mut s, 1);
    let provider = s.provider("provider", 8);
    let late = s.provider("late", 8);
    s.bid(&provider, &order, 500_000, 1).unwrap();
    s.expect_error(
        &provider,
        &place_bid(&order, 400_000, vec![h100(1)]),
        &bid_deposit(),
        ContractError::BidExists {
            id: order.bid(provider.as_str()).to_string(),
        },
    );

    // A provider that also deploys may not win its own order.
    s.create_deployment(&provider, 9, vec![gpu_group("own", 1, TSR)], MIN_DEPOSIT)
        .unwrap();
    s.expect_error(
        &provider,
        &place_bid(&Suite::order_id(&provider, 9, 1), 500_000, vec![h100(1)]),
        &bid_deposit(),
        ContractError::SelfDealing {
            provider: provider.to_string(),
        },
    );

    s.execute(
        &tenant,
        &ExecuteMsg::AcceptBid {
            bid: order.bid(provider.as_str()),
        },
        &[],
    )
    .unwrap();
    s.expect_error(
        &late,
        &place_bid(&order, 300_000, vec![h100(1)]),
        &bid_deposit(),
        ContractError::OrderNotOpen {
            id: order.to_string(),
            state: "matched".into(),
        },
    );
    s.assert_conserved();
}

#[test]
fn a_price_breakdown_must_add_up_to_the_bid_price() {
    let mut s = Suite::new();
    let (_, order) = open_order(&mut s, 1);
    let provider = s.provider("provider", 8);
    let line = |resource: &str, amount: u128| tessera_api::market::ResourcePrice {
        resource: resource.into(),
        amount: Uint128::new(amount),
    };
    let bid = |price: u128| ExecuteMsg::PlaceBid {
        order: order.clone(),
        price: Uint128::new(price),
        offer: tessera_api::market::BidOffer {
            gpus: vec![h100(1)],
            resource_prices: vec![line("gpu", 400_000), line("cpu", 100_000)],
        },
    };
    s.expect_error(
        &provider,
        &bid(600_000),
        &bid_deposit(),
        ContractError::from(tessera_api::ValidationError::new(
            "offer resource_prices",
            "sum to 500000, but the bid price is 600000",
        )),
    );
    s.execute(&provider, &bid(500_000), &bid_deposit()).unwrap();
    assert_eq!(
        s.bid_info(&order.bid(provider.as_str()))
            .offer
            .resource_prices
            .len(),
        2
    );
    s.assert_conserved();
}

#[test]
fn bids_on_missing_or_closed_orders_are_refused() {
    let mut s = Suite::new();
    let (tenant, order) = open_order(&mut s, 1);
    let provider = s.provider("provider", 8);
    let missing: [OrderId; 3] = [
        Suite::order_id(&tenant, 2, 1),
        Suite::order_id(&tenant, 1, 2),
        tessera_api::DeploymentId::new(tenant.as_str(), 1).order(1, 2),
    ];
    for id in missing {
        s.expect_error(
            &provider,
            &place_bid(&id, 500_000, vec![h100(1)]),
            &bid_deposit(),
            ContractError::OrderNotFound { id: id.to_string() },
        );
    }

    s.execute(&tenant, &ExecuteMsg::CloseDeployment { dseq: 1 }, &[])
        .unwrap();
    s.expect_error(
        &provider,
        &place_bid(&order, 500_000, vec![h100(1)]),
        &bid_deposit(),
        ContractError::OrderNotOpen {
            id: order.to_string(),
            state: "closed".into(),
        },
    );
    let bid: BidId = order.bid(provider.as_str());
    assert!(s.query_error(&QueryMsg::Bid { id: bid.clone() }).contains(
        &ContractError::BidNotFound {
            id: bid.to_string()
        }
        .to_string()
    ));
    s.assert_conserved();
}

fn slash(s: &mut Suite, provider: &cosmwasm_std::Addr) {
    let authority = s.authority.clone();
    s.registry_execute(
        &authority,
        &RegExecuteMsg::Slash {
            provider: provider.to_string(),
            fraction_bps: 1000,
            reason: "faked attestations".into(),
        },
        &[],
    )
    .unwrap();
}

#[test]
fn a_provider_jailed_after_bidding_cannot_win_and_the_next_best_active_bid_does() {
    let mut s = Suite::new();
    let (_, order) = open_order(&mut s, 1);
    let cheap = s.provider("cheap", 8);
    let fair = s.provider("fair", 8);
    s.bid(&cheap, &order, 100_000, 1).unwrap();
    s.bid(&fair, &order, 200_000, 1).unwrap();
    slash(&mut s, &cheap);
    let cheap_before = s.balance(&cheap);
    s.advance_and_end_block(30);
    assert_eq!(s.lease(&order.bid(fair.as_str())).state, LeaseState::Active);
    assert_eq!(s.bid_info(&order.bid(cheap.as_str())).state, BidState::Lost);
    assert_eq!(s.balance(&cheap), cheap_before + BID_DEPOSIT);
    s.assert_conserved();
}

#[test]
fn a_tenant_cannot_accept_the_bid_of_a_provider_jailed_since() {
    let mut s = Suite::new();
    let (tenant, order) = open_order(&mut s, 1);
    let provider = s.provider("provider", 8);
    s.bid(&provider, &order, 100_000, 1).unwrap();
    slash(&mut s, &provider);
    s.expect_error(
        &tenant,
        &ExecuteMsg::AcceptBid {
            bid: order.bid(provider.as_str()),
        },
        &[],
        ContractError::ProviderNotActive {
            provider: provider.to_string(),
        },
    );
}

#[test]
fn when_every_bidder_became_inactive_the_bids_are_dropped_and_the_order_waits() {
    let mut s = Suite::new();
    let (_, order) = open_order(&mut s, 1);
    let provider = s.provider("provider", 8);
    s.bid(&provider, &order, 100_000, 1).unwrap();
    slash(&mut s, &provider);
    let before = s.balance(&provider);
    s.advance_and_end_block(30);
    let o = s.order(&order);
    assert_eq!(
        (o.state, o.window_ends_at, o.open_bids),
        (OrderState::Open, None, 0)
    );
    assert_eq!(s.balance(&provider), before + BID_DEPOSIT);
    // Bonded back, it may bid again, which restarts the window.
    s.registry_execute(&provider, &RegExecuteMsg::Bond {}, &coins(10 * TSR, DENOM))
        .unwrap();
    s.bid(&provider, &order, 100_000, 1).unwrap();
    assert!(s.order(&order).window_ends_at.is_some());
    s.assert_conserved();
}
