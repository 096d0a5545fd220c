//! The end-block hook cannot be stopped: prices that would overflow settlement are refused at
//! the door, an item that fails anyway is set aside while the others go on, and the hook stops
//! at its gas budget instead of running out of gas.

mod common;

use common::*;
use cosmwasm_std::{coins, Uint128};
use tessera_api::market::{
    BidOffer, ExecuteMsg, LeaseState, OrderState, QuarantinedResponse, QueryMsg, ResourcePrice,
    MAX_PRICE_PER_HOUR,
};
use tessera_api::ValidationError;
use tessera_market::ContractError;

const HOUR: u64 = 3600;

#[test]
fn a_price_above_the_cap_is_refused_before_it_reaches_the_hook() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    let too_high = gpu_group("g1", 1, MAX_PRICE_PER_HOUR + 1);
    let err = s
        .create_deployment(&tenant, 1, vec![too_high], 10 * TSR)
        .unwrap_err();
    assert_error(
        err,
        ContractError::from(ValidationError::new(
            "group g1 max_price",
            format!(
                "is {} per hour, max {MAX_PRICE_PER_HOUR}",
                MAX_PRICE_PER_HOUR + 1
            ),
        )),
    );
    // The attack of the review: u128::MAX on two groups. Refused, nothing created.
    let err = s
        .create_deployment(
            &tenant,
            1,
            vec![gpu_group("g1", 1, u128::MAX), gpu_group("g2", 1, u128::MAX)],
            10 * TSR,
        )
        .unwrap_err();
    assert!(err.to_string().contains("max_price"), "{err}");
    assert_eq!(s.balance(&tenant), 1_000 * TSR);
    s.assert_conserved();
}

#[test]
fn the_highest_allowed_prices_on_every_group_settle_for_years_without_overflow() {
    let mut s = Suite::with_params(|p| p.max_groups = tessera_api::market::MAX_GROUPS_LIMIT);
    let tenant = s.tenant("tenant");
    let provider = s.provider("provider", 8);
    let groups = (1..=4)
        .map(|i| gpu_group(&format!("g{i}"), 1, MAX_PRICE_PER_HOUR))
        .collect();
    s.create_deployment(&tenant, 1, groups, 10 * TSR).unwrap();
    for g in 1..=4 {
        s.bid(
            &provider,
            &Suite::order_id(&tenant, 1, g),
            MAX_PRICE_PER_HOUR,
            1,
        )
        .unwrap();
    }
    let res = s.advance_and_end_block(30);
    assert_eq!(attr(&res, "awarded").as_deref(), Some("4"));
    assert_eq!(
        s.escrow(&tenant, 1).rate_per_hour,
        Uint128::new(4 * MAX_PRICE_PER_HOUR)
    );
    // The escrow runs dry at once; the leases fall into debt and close after the grace
    // period, all through the hook, which never fails, even after years without a block.
    let res = s.advance_and_end_block(HOUR);
    assert_eq!(attr(&res, "failed").as_deref(), Some("0"));
    s.advance(10 * 365 * 24 * HOUR);
    for _ in 0..4 {
        let res = s.advance_and_end_block(1);
        assert_eq!(attr(&res, "failed").as_deref(), Some("0"));
    }
    let lease = Suite::order_id(&tenant, 1, 1).bid(provider.as_str());
    assert_eq!(s.lease(&lease).state, LeaseState::Closed);
    s.assert_conserved();
}

#[test]
fn one_failing_item_is_quarantined_and_every_other_item_goes_on() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    let provider = s.provider("provider", 8);
    s.create_deployment(
        &tenant,
        1,
        vec![gpu_group("g1", 1, TSR), gpu_group("g2", 1, TSR)],
        100 * TSR,
    )
    .unwrap();
    let orders = [
        Suite::order_id(&tenant, 1, 1),
        Suite::order_id(&tenant, 1, 2),
    ];
    for order in &orders {
        s.bid(&provider, order, TSR, 1).unwrap();
    }
    s.advance_and_end_block(30);
    let healthy = orders[1].bid(provider.as_str());
    assert_eq!(s.lease(&healthy).state, LeaseState::Active);

    // Corrupt the first lease's record (uid 1), as a bug or a bad migration might.
    let key = cw_storage_plus::Map::<u64, String>::new("leases").key(1);
    s.app
        .contract_storage_mut(&s.market.clone())
        .set(&key, b"not json");

    let provider_before = s.balance(&provider);
    // Within the hour both its attestation deadline and its settlement fall due: both fail.
    let res = s.advance_and_end_block(HOUR);
    assert_eq!(attr(&res, "settled").as_deref(), Some("1"));
    assert_eq!(attr(&res, "failed").as_deref(), Some("2"));
    let failures: Vec<(String, String)> = res
        .events
        .iter()
        .filter(|e| e.ty.ends_with("end_block_item_failed"))
        .map(|e| {
            let value = |k: &str| {
                e.attributes
                    .iter()
                    .find(|a| a.key == k)
                    .map(|a| a.value.clone())
                    .unwrap_or_default()
            };
            (value("queue"), value("uid"))
        })
        .collect();
    assert_eq!(
        failures,
        vec![
            ("attestation".to_string(), "1".to_string()),
            ("settlement".to_string(), "1".to_string())
        ]
    );
    // The healthy lease was paid for its hour, less the take.
    assert!(s.balance(&provider) > provider_before);

    let q: QuarantinedResponse = s.query(&QueryMsg::Quarantined {
        start_after: None,
        limit: None,
    });
    let queues: Vec<(u64, &str)> = q.items.iter().map(|i| (i.uid, i.queue.as_str())).collect();
    assert_eq!(queues, vec![(1, "attestation"), (1, "settlement")]);
    assert!(
        q.items[1].error.contains("Serialization"),
        "{}",
        q.items[1].error
    );

    // The next blocks run clean: the broken item is not due again.
    let res = s.advance_and_end_block(HOUR);
    assert_eq!(attr(&res, "failed").as_deref(), Some("0"));
    assert_eq!(attr(&res, "settled").as_deref(), Some("1"));
    s.assert_conserved();
}

#[test]
fn the_hook_stops_at_its_gas_budget_and_carries_on_next_block() {
    let budget = 1_000_000;
    let mut s = Suite::with_params(|p| {
        p.end_block_gas_budget = budget;
        p.max_groups = 20;
    });
    let tenant = s.tenant("tenant");
    let providers: Vec<_> = (0..5)
        .map(|i| s.provider(&format!("provider{i}"), 8))
        .collect();
    let groups = (1..=20)
        .map(|i| gpu_group(&format!("g{i}"), 1, TSR))
        .collect();
    s.create_deployment(&tenant, 1, groups, 100 * TSR).unwrap();
    for g in 1..=20 {
        for (i, provider) in providers.iter().enumerate() {
            s.bid(
                provider,
                &Suite::order_id(&tenant, 1, g),
                TSR - i as u128,
                1,
            )
            .unwrap();
        }
    }
    s.advance(30);
    let mut awarded = 0;
    let mut blocks = 0;
    let mut most = 0;
    while awarded < 20 {
        let res = s.advance_and_end_block(1);
        let now: u32 = attr(&res, "awarded").unwrap().parse().unwrap();
        let metered: u64 = attr(&res, "gas_metered").unwrap().parse().unwrap();
        // Stops once the budget is spent: at most one item (an award over five bids, about
        // 150k gas, mostly its writes at 30 gas a byte) over it.
        assert!(
            metered < budget + 200_000,
            "metered {metered}, budget {budget}"
        );
        most = most.max(metered);
        assert!(now >= 1, "every block makes progress");
        awarded += now;
        blocks += 1;
        assert!(blocks <= 20);
    }
    assert!(blocks > 1, "a 1M budget cannot award 20 full books at once");
    assert!(most >= budget, "blocks filled up to the budget: {most}");
    for g in 1..=20 {
        assert_eq!(
            s.order(&Suite::order_id(&tenant, 1, g)).state,
            OrderState::Matched
        );
    }
    s.assert_conserved();
}

#[test]
fn a_lost_bid_keeps_its_offer_and_nothing_rewrites_it() {
    let mut s = Suite::new();
    let tenant = s.tenant("tenant");
    let winner = s.provider("winner", 8);
    let loser = s.provider("loser", 8);
    s.create_deployment(&tenant, 1, vec![gpu_group("g1", 1, TSR)], 10 * TSR)
        .unwrap();
    let order = Suite::order_id(&tenant, 1, 1);
    s.bid(&winner, &order, TSR / 2, 1).unwrap();
    s.bid(&loser, &order, TSR, 1).unwrap();
    s.advance_and_end_block(30);
    let lost = s.bid_info(&order.bid(loser.as_str()));
    assert_eq!(lost.offer, offer(1));
    let lease = s.lease(&order.bid(winner.as_str()));
    assert_eq!(lease.offer, offer(1));
    // A withdrawn bid takes its offer with it: the order can be bid on again.
    let order2 = {
        s.create_deployment(&tenant, 2, vec![gpu_group("g1", 1, TSR)], 10 * TSR)
            .unwrap();
        Suite::order_id(&tenant, 2, 1)
    };
    s.bid(&loser, &order2, TSR, 1).unwrap();
    s.execute(
        &loser,
        &ExecuteMsg::WithdrawBid {
            order: order2.clone(),
        },
        &[],
    )
    .unwrap();
    s.execute(
        &loser,
        &ExecuteMsg::PlaceBid {
            order: order2.clone(),
            price: Uint128::new(TSR),
            offer: priced_offer(),
        },
        &coins(BID_DEPOSIT, DENOM),
    )
    .unwrap();
    assert_eq!(
        s.bid_info(&order2.bid(loser.as_str())).offer,
        priced_offer()
    );
    s.assert_conserved();
}

/// One H100 with its price broken down: differs from `offer(1)`.
fn priced_offer() -> BidOffer {
    BidOffer {
        resource_prices: vec![ResourcePrice {
            resource: "gpu:nvidia/h100".into(),
            amount: Uint128::new(TSR),
        }],
        ..offer(1)
    }
}
