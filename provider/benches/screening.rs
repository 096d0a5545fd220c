//! How fast one provider decides on orders: `screen` (placement, capacity, price) over 1,000
//! varied open orders, as the bid engine runs it for every order it sees. Prints orders per
//! second and the time per decision.
//!
//!   cargo bench -p tessera-provider --bench screening

use std::time::Instant;

use cosmwasm_std::{Coin, Uint128};
use tessera_api::attributes::{Attribute, PlacementRequirements};
use tessera_api::gpu::{GpuModel, GpuRequirement, Resources};
use tessera_api::market::{GroupSpec, OrderResponse, OrderState};
use tessera_api::registry::{ProviderResponse, Reputation};
use tessera_api::{DeploymentId, GpuSpec};
use tessera_provider::capacity::{Capacity, Reservation};
use tessera_provider::config::PricingConfig;
use tessera_provider::screening::{screen, Screen, Screening};

fn gpu(model: &str, count: u32) -> GpuSpec {
    GpuSpec {
        vendor: "nvidia".into(),
        model: model.into(),
        vram_mib: 81920,
        interface: None,
        count,
    }
}

/// Orders of every kind a provider meets: some fit, some want other attributes, GPUs or
/// prices.
fn orders(n: u64) -> Vec<OrderResponse> {
    (0..n)
        .map(|i| OrderResponse {
            id: DeploymentId::new("tessera1owner", i + 1).order(1, 1),
            state: OrderState::Open,
            spec: GroupSpec {
                name: "g".into(),
                requirements: PlacementRequirements {
                    attributes: match i % 4 {
                        0 => vec![Attribute::new("region", "eu")],
                        1 => vec![Attribute::new("region", "us")],
                        _ => vec![],
                    },
                    signed_by: Default::default(),
                },
                resources: Resources {
                    cpu_millis: 1000 + (i % 8) * 500,
                    memory_mib: 4096,
                    storage_mib: 1024,
                    gpu: GpuRequirement {
                        units: (i % 3) as u32,
                        models: if i % 5 == 0 {
                            vec![GpuModel {
                                vendor: "nvidia".into(),
                                model: "a100".into(),
                                vram_mib: None,
                                interface: None,
                            }]
                        } else {
                            vec![]
                        },
                    },
                },
                count: 1 + (i % 2) as u32,
                max_price: Uint128::new(if i % 7 == 0 { 10 } else { 50_000_000 }),
            },
            denom: "utsr".into(),
            created_at: 0,
            window_ends_at: None,
            open_bids: (i % 3) as u32,
        })
        .filter(|o| o.spec.validate().is_ok())
        .collect()
}

fn main() {
    let provider = ProviderResponse {
        address: "tessera1provider".into(),
        host_uri: "https://gpu.example.com:8443".into(),
        attributes: vec![Attribute::new("region", "eu")],
        gpus: vec![gpu("h100", 8), gpu("a100", 4)],
        info: Default::default(),
        bond: Coin::new(1_000_000u128, "utsr"),
        unbonding: Uint128::zero(),
        active: true,
        jailed: false,
        reputation: Reputation::default(),
        signed: vec![],
        registered_at_height: 1,
        tls_fingerprint: None,
    };
    let capacity = Capacity {
        cpu_millis: 64_000,
        memory_mib: 512 * 1024,
        storage_mib: 4 * 1024 * 1024,
        gpus: provider.gpus.clone(),
        max_leases: 64,
    };
    // Half the capacity already held by 20 bids and leases.
    let held: Vec<Reservation> = (0..20)
        .map(|_| Reservation {
            cpu_millis: 1600,
            memory_mib: 8192,
            storage_mib: 1024,
            gpus: vec![gpu("h100", 0)],
        })
        .collect();
    let free = capacity.free(held.iter());
    let pricing = PricingConfig::default();
    let ctx = Screen {
        provider: &provider,
        free: &free,
        pricing: &pricing,
        already_bid: false,
    };
    let orders = orders(1000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let rounds = 50;
    let mut bids = 0;
    let started = Instant::now();
    for _ in 0..rounds {
        for order in &orders {
            if let Screening::Bid { .. } = runtime.block_on(screen(&ctx, order)) {
                bids += 1;
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let decisions = (rounds * orders.len()) as f64;
    println!(
        "screening: {} orders x {rounds} rounds, {:.1}% would get a bid",
        orders.len(),
        100.0 * bids as f64 / decisions
    );
    println!(
        "screening throughput: {:.0} orders/s ({:.2} us per decision, table pricing)",
        decisions / elapsed,
        elapsed / decisions * 1e6
    );
}
