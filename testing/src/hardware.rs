//! The hardware of the suites: GPUs a provider registers and offers, and the groups a tenant asks
//! for.

use cosmwasm_std::Uint128;
use tessera_api::market::{BidOffer, GroupSpec};
use tessera_api::{GpuModel, GpuRequirement, GpuSpec, Resources};

/// `count` NVIDIA H100 80 GB (SXM).
pub fn h100(count: u32) -> GpuSpec {
    GpuSpec {
        vendor: "nvidia".into(),
        model: "h100".into(),
        vram_mib: 81_920,
        interface: Some("sxm".into()),
        count,
    }
}

/// `count` NVIDIA A100 40 GB (PCIe).
pub fn a100(count: u32) -> GpuSpec {
    GpuSpec {
        vendor: "nvidia".into(),
        model: "a100".into(),
        vram_mib: 40_960,
        interface: Some("pcie".into()),
        count,
    }
}

/// A group wanting `units` H100s (any memory, any interface) for one instance with 4 cores,
/// 16 GiB and 10 GiB of disk, at up to `max_price` utsr per hour.
pub fn gpu_group(name: &str, units: u32, max_price: u128) -> GroupSpec {
    GroupSpec {
        name: name.into(),
        requirements: Default::default(),
        resources: Resources {
            cpu_millis: 4000,
            memory_mib: 16_384,
            storage_mib: 10_240,
            gpu: GpuRequirement {
                units,
                models: vec![GpuModel {
                    vendor: "nvidia".into(),
                    model: "h100".into(),
                    vram_mib: None,
                    interface: None,
                }],
            },
        },
        count: 1,
        max_price: Uint128::new(max_price),
    }
}

/// A bid's offer of `gpus` H100s; no GPU at all when `gpus` is 0 (a CPU-only offer).
pub fn offer(gpus: u32) -> BidOffer {
    BidOffer {
        gpus: if gpus == 0 { vec![] } else { vec![h100(gpus)] },
        resource_prices: vec![],
    }
}
