//! Random sequences of market operations never create, lose or double-spend funds, and no
//! order ever gets two winning bids or leases.

mod common;

use common::*;
use cosmwasm_std::{coins, Addr};
use proptest::prelude::*;
use tessera_api::market::{
    close_reason, BidState, BidsResponse, DeploymentState, DeploymentsResponse, ExecuteMsg,
    LeaseState, OrderState, QueryMsg,
};
use tessera_api::registry::{ProviderResponse, QueryMsg as RegQueryMsg};

const TENANTS: usize = 2;
const PROVIDERS: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    Create {
        tenant: usize,
        groups: u32,
        deposit: u128,
    },
    Bid {
        provider: usize,
        pick: usize,
        price: u128,
    },
    Withdraw {
        provider: usize,
        pick: usize,
    },
    Accept {
        pick: usize,
        provider: usize,
    },
    Advance {
        secs: u64,
    },
    Deposit {
        payer: usize,
        pick: usize,
        amount: u128,
    },
    CloseDeployment {
        pick: usize,
    },
    CloseLease {
        by_provider: bool,
        pick: usize,
    },
    WithdrawLease {
        pick: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..TENANTS, 1..=3u32, MIN_DEPOSIT..3 * MIN_DEPOSIT).prop_map(
            |(tenant, groups, deposit)| Op::Create {
                tenant,
                groups,
                deposit
            }
        ),
        (0..PROVIDERS, any::<usize>(), 1..2 * TSR).prop_map(|(provider, pick, price)| Op::Bid {
            provider,
            pick,
            price
        }),
        (0..PROVIDERS, any::<usize>()).prop_map(|(provider, pick)| Op::Withdraw { provider, pick }),
        (any::<usize>(), 0..PROVIDERS).prop_map(|(pick, provider)| Op::Accept { pick, provider }),
        (1..4000u64).prop_map(|secs| Op::Advance { secs }),
        (0..TENANTS + PROVIDERS, any::<usize>(), 1..5 * TSR).prop_map(|(payer, pick, amount)| {
            Op::Deposit {
                payer,
                pick,
                amount,
            }
        }),
        any::<usize>().prop_map(|pick| Op::CloseDeployment { pick }),
        (any::<bool>(), any::<usize>())
            .prop_map(|(by_provider, pick)| Op::CloseLease { by_provider, pick }),
        any::<usize>().prop_map(|pick| Op::WithdrawLease { pick }),
    ]
}

struct World {
    s: Suite,
    tenants: Vec<Addr>,
    providers: Vec<Addr>,
    /// (owner, dseq, groups) of every deployment created.
    deployments: Vec<(Addr, u64, u32)>,
    next_dseq: u64,
}

impl World {
    fn new() -> Self {
        let mut s = Suite::with_params(|p| p.grace_period_secs = 900);
        let tenants = (0..TENANTS)
            .map(|i| s.tenant(&format!("tenant{i}")))
            .collect();
        let providers = (0..PROVIDERS)
            .map(|i| s.provider(&format!("provider{i}"), 8))
            .collect();
        World {
            s,
            tenants,
            providers,
            deployments: vec![],
            next_dseq: 1,
        }
    }

    fn orders(&self) -> Vec<tessera_api::OrderId> {
        self.deployments
            .iter()
            .flat_map(|(owner, dseq, groups)| {
                (1..=*groups).map(move |g| Suite::order_id(owner, *dseq, g))
            })
            .collect()
    }

    fn pick_order(&self, pick: usize) -> Option<tessera_api::OrderId> {
        let orders = self.orders();
        (!orders.is_empty()).then(|| orders[pick % orders.len()].clone())
    }

    /// Applies one operation; refusals are part of the game (they must change nothing).
    fn apply(&mut self, op: &Op) {
        let _ = match op.clone() {
            Op::Create {
                tenant,
                groups,
                deposit,
            } => {
                let owner = self.tenants[tenant].clone();
                let dseq = self.next_dseq;
                let specs = (0..groups)
                    .map(|g| gpu_group(&format!("g{g}"), 1, TSR))
                    .collect();
                let res = self.s.create_deployment(&owner, dseq, specs, deposit);
                if res.is_ok() {
                    self.deployments.push((owner, dseq, groups));
                    self.next_dseq += 1;
                }
                res.map(|_| ())
            }
            Op::Bid {
                provider,
                pick,
                price,
            } => match self.pick_order(pick) {
                Some(order) => {
                    let p = self.providers[provider].clone();
                    self.s.bid(&p, &order, price, 1).map(|_| ())
                }
                None => Ok(()),
            },
            Op::Withdraw { provider, pick } => match self.pick_order(pick) {
                Some(order) => {
                    let p = self.providers[provider].clone();
                    self.s
                        .execute(&p, &ExecuteMsg::WithdrawBid { order }, &[])
                        .map(|_| ())
                }
                None => Ok(()),
            },
            Op::Accept { pick, provider } => match self.pick_order(pick) {
                Some(order) => {
                    let owner = Addr::unchecked(&order.owner);
                    let bid = order.bid(self.providers[provider].as_str());
                    self.s
                        .execute(&owner, &ExecuteMsg::AcceptBid { bid }, &[])
                        .map(|_| ())
                }
                None => Ok(()),
            },
            Op::Advance { secs } => {
                self.s.advance_and_end_block(secs);
                Ok(())
            }
            Op::Deposit {
                payer,
                pick,
                amount,
            } => match self.deployments.get(pick % self.deployments.len().max(1)) {
                Some((owner, dseq, _)) => {
                    let payer = if payer < TENANTS {
                        self.tenants[payer].clone()
                    } else {
                        self.providers[payer - TENANTS].clone()
                    };
                    let msg = ExecuteMsg::Deposit {
                        owner: owner.to_string(),
                        dseq: *dseq,
                    };
                    self.s
                        .execute(&payer, &msg, &coins(amount, DENOM))
                        .map(|_| ())
                }
                None => Ok(()),
            },
            Op::CloseDeployment { pick } => {
                match self.deployments.get(pick % self.deployments.len().max(1)) {
                    Some((owner, dseq, _)) => {
                        let (owner, dseq) = (owner.clone(), *dseq);
                        self.s
                            .execute(&owner, &ExecuteMsg::CloseDeployment { dseq }, &[])
                            .map(|_| ())
                    }
                    None => Ok(()),
                }
            }
            Op::CloseLease { by_provider, pick } => match self.leased_order(pick) {
                Some((lease, owner, provider)) => {
                    let (who, reason) = if by_provider {
                        (provider, close_reason::PROVIDER_CLOSED)
                    } else {
                        (owner, close_reason::TENANT_CLOSED)
                    };
                    self.s
                        .execute(&who, &ExecuteMsg::CloseLease { lease, reason }, &[])
                        .map(|_| ())
                }
                None => Ok(()),
            },
            Op::WithdrawLease { pick } => match self.leased_order(pick) {
                Some((lease, _, provider)) => self
                    .s
                    .execute(&provider, &ExecuteMsg::WithdrawLease { lease }, &[])
                    .map(|_| ()),
                None => Ok(()),
            },
        };
    }

    /// A lease on some matched order, with its tenant and provider.
    fn leased_order(&self, pick: usize) -> Option<(tessera_api::BidId, Addr, Addr)> {
        let orders = self.orders();
        let n = orders.len();
        (0..n).map(|i| &orders[(pick + i) % n]).find_map(|order| {
            let bids: BidsResponse = self.s.query(&QueryMsg::Bids {
                order: order.clone(),
                start_after: None,
                limit: None,
            });
            let won = bids.bids.into_iter().find(|b| b.state == BidState::Won)?;
            let owner = Addr::unchecked(&order.owner);
            let provider = Addr::unchecked(&won.id.provider);
            Some((won.id, owner, provider))
        })
    }

    /// Everything the market owes matches what it holds; auction invariants hold per order.
    fn check(&self) {
        self.s.assert_conserved();
        let mut owed = 0u128;
        for tenant in &self.tenants {
            let list: DeploymentsResponse = self.s.query(&QueryMsg::Deployments {
                owner: tenant.to_string(),
                start_after: None,
                limit: Some(100),
            });
            for d in list.deployments {
                let escrow = self.s.escrow(tenant, d.id.dseq);
                let balance = amount(&escrow.balance);
                if d.state == DeploymentState::Closed {
                    assert_eq!(balance, 0, "a closed deployment holds nothing");
                }
                owed += balance;
            }
        }
        for order_id in self.orders() {
            let order = self.s.order(&order_id);
            let bids: BidsResponse = self.s.query(&QueryMsg::Bids {
                order: order_id.clone(),
                start_after: None,
                limit: Some(100),
            });
            let won: Vec<_> = bids
                .bids
                .iter()
                .filter(|b| b.state == BidState::Won)
                .collect();
            assert!(
                won.len() <= 1,
                "order {order_id} has {} winning bids",
                won.len()
            );
            let open = bids
                .bids
                .iter()
                .filter(|b| b.state == BidState::Open)
                .count();
            match order.state {
                OrderState::Open => {
                    assert!(won.is_empty());
                    assert_eq!(open as u32, order.open_bids);
                }
                OrderState::Matched => {
                    assert_eq!(won.len(), 1, "a matched order has one winner");
                    assert_eq!(open, 0, "no bids stay open on a matched order");
                    assert_ne!(self.s.lease(&won[0].id).state, LeaseState::Closed);
                }
                OrderState::Closed => assert_eq!(open, 0),
            }
            // Deposits of open bids and of winning bids whose lease still runs are held.
            owed += bids
                .bids
                .iter()
                .filter(|b| {
                    b.state == BidState::Open
                        || (b.state == BidState::Won && order.state == OrderState::Matched)
                })
                .map(|b| amount(&b.deposit))
                .sum::<u128>();
        }
        assert_eq!(
            self.s.balance(&self.s.market.clone()),
            owed,
            "market holds exactly what it owes"
        );
        let bonds: u128 = self
            .providers
            .iter()
            .map(|p| {
                let r: ProviderResponse = self
                    .s
                    .app
                    .wrap()
                    .query_wasm_smart(
                        self.s.registry.clone(),
                        &RegQueryMsg::Provider {
                            address: p.to_string(),
                        },
                    )
                    .unwrap();
                amount(&r.bond)
            })
            .sum();
        assert_eq!(
            self.s.balance(&self.s.registry.clone()),
            bonds,
            "registry holds exactly the bonds"
        );
        // Half of every take is burned and half pooled; floors differ by at most a unit per payout.
        let (burned, pooled) = (self.s.burned(), self.s.balance(&self.s.pool.clone()));
        assert!(burned <= pooled, "burned {burned} > pooled {pooled}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn funds_are_conserved_and_orders_never_have_two_leases(ops in prop::collection::vec(op(), 1..40)) {
        let mut world = World::new();
        for op in &ops {
            world.apply(op);
            world.check();
        }
    }
}
