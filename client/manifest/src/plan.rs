//! From a checked manifest to the market's deployment groups: one per (service, placement)
//! entry, validated as the market contract will validate them.

use cosmwasm_std::Uint128;
use tessera_api::attributes::{Attribute, PlacementRequirements};
use tessera_api::market::GroupSpec;

use crate::model::DeploymentPlan;
use crate::path::child;
use crate::schema::Document;
use crate::walk::Cx;

/// Name of the group for `service` deployed to `placement`. Names hold no `.` (see
/// `walk::check_name`), so the name splits back unambiguously.
pub fn group_name(service: &str, placement: &str) -> String {
    format!("{service}.{placement}")
}

/// Runs on a manifest whose references all resolve; entries that don't are skipped, having
/// been reported already.
pub(crate) fn plan(cx: &mut Cx, doc: &Document) -> DeploymentPlan {
    let mut plan = DeploymentPlan {
        denom: String::new(),
        groups: Vec::new(),
        max_price_per_hour: Uint128::zero(),
    };
    // BTreeMaps: services, then placements, in name order.
    for (service, placements) in &doc.deployment {
        for (name, entry) in placements {
            let path = child(&child("deployment", service), name);
            let Some(placement) = doc.placements.get(name) else {
                continue;
            };
            let (Some(resources), Some(price)) = (
                doc.compute.get(&entry.profile),
                placement.pricing.get(&entry.profile),
            ) else {
                continue;
            };
            if plan.denom.is_empty() {
                plan.denom.clone_from(&price.denom);
            }
            let Ok(max_price) = price.amount.checked_mul(Uint128::from(entry.count)) else {
                cx.error_at(
                    &child(&path, "count"),
                    format!(
                        "the group's max price, {} × {} instances, overflows",
                        price.amount, entry.count
                    ),
                );
                continue;
            };
            match plan.max_price_per_hour.checked_add(max_price) {
                Ok(total) => plan.max_price_per_hour = total,
                Err(_) => cx.error_at("deployment", "the total max price per hour overflows"),
            }
            let group = GroupSpec {
                name: group_name(service, name),
                requirements: PlacementRequirements {
                    attributes: placement
                        .attributes
                        .iter()
                        .map(|(key, value)| Attribute::new(key, value))
                        .collect(),
                    signed_by: placement.signed_by.clone(),
                },
                resources: resources.clone(),
                count: entry.count,
                max_price,
            };
            // Everything here was checked field by field; this is the market's own word on it,
            // so that a rule added to the contract shows up here before a fee is spent.
            if let Err(e) = group.validate() {
                cx.error_at(&path, format!("the market would refuse this group: {e}"));
            }
            plan.groups.push(group);
        }
    }
    plan
}
