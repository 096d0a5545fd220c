//! What this provider can still promise: its total capacity (CPU, memory, storage, the GPUs of
//! its registry record, lease slots) less what open bids and running leases reserve. A bid
//! reserves before it is sent, so two orders can never be promised the same GPU.

use serde::{Deserialize, Serialize};
use tessera_api::market::OrderResponse;
use tessera_api::GpuSpec;

/// What one bid or lease holds: the order's resources times its instance count, and the
/// concrete GPUs offered.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct Reservation {
    pub cpu_millis: u64,
    pub memory_mib: u64,
    pub storage_mib: u64,
    pub gpus: Vec<GpuSpec>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capacity {
    pub cpu_millis: u64,
    pub memory_mib: u64,
    pub storage_mib: u64,
    /// Registered GPUs (each kind with its count).
    pub gpus: Vec<GpuSpec>,
    pub max_leases: u32,
}

/// Free capacity after the reservations of `held` bids and leases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Free {
    pub cpu_millis: u64,
    pub memory_mib: u64,
    pub storage_mib: u64,
    pub gpus: Vec<GpuSpec>,
    pub lease_slots: u32,
}

impl Capacity {
    pub fn free<'a>(&self, held: impl IntoIterator<Item = &'a Reservation>) -> Free {
        let mut free = Free {
            cpu_millis: self.cpu_millis,
            memory_mib: self.memory_mib,
            storage_mib: self.storage_mib,
            gpus: self.gpus.clone(),
            lease_slots: self.max_leases,
        };
        for r in held {
            free.cpu_millis = free.cpu_millis.saturating_sub(r.cpu_millis);
            free.memory_mib = free.memory_mib.saturating_sub(r.memory_mib);
            free.storage_mib = free.storage_mib.saturating_sub(r.storage_mib);
            free.lease_slots = free.lease_slots.saturating_sub(1);
            for used in &r.gpus {
                if let Some(kind) = free.gpus.iter_mut().find(|g| g.same_kind(used)) {
                    kind.count = kind.count.saturating_sub(used.count);
                }
            }
        }
        free.gpus.retain(|g| g.count > 0);
        free
    }
}

impl Free {
    /// The reservation `order` needs from this free capacity, or every reason it does not fit.
    pub fn reserve(&self, order: &OrderResponse) -> Result<Reservation, Vec<String>> {
        let spec = &order.spec;
        let count = u64::from(spec.count);
        let res = &spec.resources;
        let mut reasons = Vec::new();
        let mut need = |what: &str, per: u64, free: u64| {
            let total = per.saturating_mul(count);
            if total > free {
                reasons.push(format!("needs {total} {what}, {free} free"));
            }
            total
        };
        let cpu_millis = need("cpu millis", res.cpu_millis, self.cpu_millis);
        let memory_mib = need("MiB of memory", res.memory_mib, self.memory_mib);
        let storage_mib = need("MiB of storage", res.storage_mib, self.storage_mib);
        if self.lease_slots == 0 {
            reasons.push("every lease slot is taken".into());
        }
        let gpus = match self.pick_gpus(order) {
            Ok(gpus) => gpus,
            Err(reason) => {
                reasons.push(reason);
                Vec::new()
            }
        };
        if reasons.is_empty() {
            Ok(Reservation {
                cpu_millis,
                memory_mib,
                storage_mib,
                gpus,
            })
        } else {
            Err(reasons)
        }
    }

    /// Free GPUs of accepted models, as many as the order needs, taken kind by kind.
    fn pick_gpus(&self, order: &OrderResponse) -> Result<Vec<GpuSpec>, String> {
        let want = &order.spec.resources.gpu;
        let mut needed = want.units.saturating_mul(order.spec.count);
        if needed == 0 {
            return Ok(Vec::new());
        }
        let mut picked = Vec::new();
        for kind in &self.gpus {
            if needed == 0 {
                break;
            }
            if !want.models.is_empty() && !want.models.iter().any(|m| m.accepts(kind)) {
                continue;
            }
            let take = kind.count.min(needed);
            picked.push(GpuSpec {
                count: take,
                ..kind.clone()
            });
            needed -= take;
        }
        if needed > 0 {
            let models = if want.models.is_empty() {
                "any model".to_string()
            } else {
                want.models
                    .iter()
                    .map(|m| format!("{}/{}", m.vendor, m.model))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(format!(
                "needs {} GPUs ({models}), {} free of those",
                want.units.saturating_mul(order.spec.count),
                want.units.saturating_mul(order.spec.count) - needed
            ));
        }
        Ok(picked)
    }
}
