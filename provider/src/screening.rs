//! Whether this provider bids on an order, at what price, and if not, exactly why: the one
//! decision behind both the bid engine and the `BidScreening` RPC.

use tessera_api::market::{BidOffer, OrderResponse, OrderState};
use tessera_api::registry::ProviderResponse;

use crate::capacity::{Free, Reservation};
use crate::config::PricingConfig;
use crate::pricing::{self, NoQuote};

#[derive(Clone, Debug, PartialEq)]
pub enum Screening {
    Bid {
        price: u128,
        offer: BidOffer,
        reservation: Reservation,
    },
    /// Every reason found (not just the first), so an operator sees all that is in the way.
    Pass { reasons: Vec<String> },
}

impl Screening {
    pub fn reasons(&self) -> &[String] {
        match self {
            Screening::Bid { .. } => &[],
            Screening::Pass { reasons } => reasons,
        }
    }
}

/// What the provider knows when it decides.
pub struct Screen<'a> {
    /// The provider's registry record (attributes, auditor signatures, GPUs, standing).
    pub provider: &'a ProviderResponse,
    pub free: &'a Free,
    pub pricing: &'a PricingConfig,
    /// Whether this provider already has a bid on the order (on chain or being sent).
    pub already_bid: bool,
}

pub async fn screen(ctx: &Screen<'_>, order: &OrderResponse) -> Screening {
    let mut reasons = Vec::new();
    if order.state != OrderState::Open {
        reasons.push(format!("order is {:?}, not open", order.state).to_lowercase());
    }
    if ctx.already_bid {
        reasons.push("this provider has already bid on it".into());
    }
    if !ctx.provider.active {
        reasons.push(if ctx.provider.jailed {
            "this provider is jailed".into()
        } else {
            format!(
                "this provider is not active (bond {} below the registry's minimum)",
                ctx.provider.bond
            )
        });
    }
    if order.id.owner == ctx.provider.address {
        reasons.push("the order is this provider's own".into());
    }
    if let Err(reason) = order
        .spec
        .requirements
        .check(&ctx.provider.attributes, &ctx.provider.signed)
    {
        reasons.push(reason);
    }
    let reservation = match ctx.free.reserve(order) {
        Ok(r) => Some(r),
        Err(more) => {
            reasons.extend(more);
            None
        }
    };
    let Some(reservation) = reservation else {
        return Screening::Pass { reasons };
    };
    if !reasons.is_empty() {
        return Screening::Pass { reasons };
    }
    match pricing::quote(ctx.pricing, order, &reservation).await {
        Ok(quote) if quote.price > order.spec.max_price.u128() => Screening::Pass {
            reasons: vec![format!(
                "price {} {} is above the order's maximum {}",
                quote.price, order.denom, order.spec.max_price
            )],
        },
        Ok(quote) => Screening::Bid {
            price: quote.price,
            offer: BidOffer {
                gpus: reservation.gpus.clone(),
                resource_prices: quote.breakdown,
            },
            reservation,
        },
        Err(NoQuote::Skip(reason)) | Err(NoQuote::Error(reason)) => Screening::Pass {
            reasons: vec![reason],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capacity::Capacity;
    use cosmwasm_std::{Coin, Uint128};
    use tessera_api::attributes::{Attribute, PlacementRequirements};
    use tessera_api::gpu::{GpuRequirement, Resources};
    use tessera_api::market::GroupSpec;
    use tessera_api::registry::Reputation;
    use tessera_api::{DeploymentId, GpuSpec};

    fn provider(gpus: Vec<GpuSpec>) -> ProviderResponse {
        ProviderResponse {
            address: "tessera1provider".into(),
            host_uri: "http://127.0.0.1:1".into(),
            attributes: vec![Attribute::new("region", "eu")],
            gpus,
            info: Default::default(),
            bond: Coin::new(100u128, "utsr"),
            unbonding: Uint128::zero(),
            active: true,
            jailed: false,
            reputation: Reputation::default(),
            signed: vec![],
            registered_at_height: 1,
            tls_fingerprint: None,
        }
    }

    fn order(gpus: u32, attrs: Vec<Attribute>, max_price: u128) -> OrderResponse {
        OrderResponse {
            id: DeploymentId::new("tessera1owner", 1).order(1, 1),
            state: OrderState::Open,
            spec: GroupSpec {
                name: "g".into(),
                requirements: PlacementRequirements {
                    attributes: attrs,
                    signed_by: Default::default(),
                },
                resources: Resources {
                    cpu_millis: 1000,
                    memory_mib: 1024,
                    storage_mib: 0,
                    gpu: GpuRequirement {
                        units: gpus,
                        models: vec![],
                    },
                },
                count: 1,
                max_price: Uint128::new(max_price),
            },
            denom: "utsr".into(),
            created_at: 0,
            window_ends_at: None,
            open_bids: 0,
        }
    }

    fn capacity(gpus: Vec<GpuSpec>) -> Capacity {
        Capacity {
            cpu_millis: 4000,
            memory_mib: 8192,
            storage_mib: 0,
            gpus,
            max_leases: 4,
        }
    }

    fn a100(count: u32) -> GpuSpec {
        GpuSpec {
            vendor: "nvidia".into(),
            model: "a100".into(),
            vram_mib: 40960,
            interface: None,
            count,
        }
    }

    #[tokio::test]
    async fn an_order_that_fits_gets_a_bid_with_the_gpus_it_reserves() {
        let p = provider(vec![a100(2)]);
        let free = capacity(vec![a100(2)]).free([]);
        let pricing = PricingConfig::default();
        let ctx = Screen {
            provider: &p,
            free: &free,
            pricing: &pricing,
            already_bid: false,
        };
        match screen(&ctx, &order(1, vec![], 10_000_000)).await {
            Screening::Bid {
                price,
                offer,
                reservation,
            } => {
                assert_eq!(offer.gpus, vec![a100(1)]);
                assert_eq!(reservation.gpus, vec![a100(1)]);
                assert_eq!(
                    price,
                    offer.resource_prices.iter().map(|p| p.amount.u128()).sum()
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn every_reason_not_to_bid_is_given() {
        let p = provider(vec![]);
        let held = Reservation {
            cpu_millis: 3500,
            ..Default::default()
        };
        let free = capacity(vec![]).free([&held]);
        let pricing = PricingConfig::default();
        let ctx = Screen {
            provider: &p,
            free: &free,
            pricing: &pricing,
            already_bid: true,
        };
        let reasons = screen(&ctx, &order(1, vec![Attribute::new("region", "us")], 1))
            .await
            .reasons()
            .to_vec();
        let all = reasons.join("; ");
        assert!(all.contains("already bid"), "{all}");
        assert!(all.contains("lacks attribute region=us"), "{all}");
        assert!(all.contains("needs 1000 cpu millis, 500 free"), "{all}");
        assert!(all.contains("needs 1 GPUs"), "{all}");
    }

    #[tokio::test]
    async fn a_price_above_the_maximum_is_named() {
        let p = provider(vec![]);
        let free = capacity(vec![]).free([]);
        let pricing = PricingConfig::default();
        let ctx = Screen {
            provider: &p,
            free: &free,
            pricing: &pricing,
            already_bid: false,
        };
        let reasons = screen(&ctx, &order(0, vec![], 5)).await.reasons().to_vec();
        assert_eq!(reasons.len(), 1);
        assert!(
            reasons[0].contains("above the order's maximum 5"),
            "{reasons:?}"
        );
    }
}
