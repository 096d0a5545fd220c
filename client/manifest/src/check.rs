//! Rules that span sections: names used in `deployment` and `pricing` exist, every service runs
//! somewhere, every profile used has a price, and the whole manifest pays in one denom.

use std::collections::BTreeMap;

use crate::limits::MAX_GROUPS;
use crate::path::child;
use crate::schema::Document;
use crate::walk::Cx;

fn defined<V>(map: &BTreeMap<String, V>) -> String {
    if map.is_empty() {
        "none are defined".into()
    } else {
        let names: Vec<&str> = map.keys().map(String::as_str).collect();
        format!("defined: {}", names.join(", "))
    }
}

pub(crate) fn cross_references(cx: &mut Cx, doc: &Document) {
    deployment_references(cx, doc);
    pricing_references(cx, doc);
    every_service_deployed(cx, doc);
    one_denom(cx, doc);
    let groups: usize = doc.deployment.values().map(BTreeMap::len).sum();
    if groups > MAX_GROUPS {
        cx.error_at(
            "deployment",
            format!("asks for {groups} groups (service and placement pairs), max {MAX_GROUPS}"),
        );
    }
}

fn deployment_references(cx: &mut Cx, doc: &Document) {
    for (service, placements) in &doc.deployment {
        let service_path = child("deployment", service);
        if doc.present.services && !doc.services.contains_key(service) {
            cx.error_at(
                &service_path,
                format!("unknown service {service:?} ({})", defined(&doc.services)),
            );
        }
        for (name, entry) in placements {
            let entry_path = child(&service_path, name);
            let placement = doc.placements.get(name);
            if doc.present.placements && placement.is_none() {
                cx.error_at(
                    &entry_path,
                    format!("unknown placement {name:?} ({})", defined(&doc.placements)),
                );
            }
            // An empty profile failed to read and was reported then.
            if entry.profile.is_empty() || !doc.present.compute {
                continue;
            }
            let profile_path = child(&entry_path, "profile");
            if !doc.compute.contains_key(&entry.profile) {
                cx.error_at(
                    &profile_path,
                    format!(
                        "unknown compute profile {:?} ({})",
                        entry.profile,
                        defined(&doc.compute)
                    ),
                );
            } else if let Some(placement) = placement {
                if !placement.pricing.contains_key(&entry.profile) {
                    cx.error_at(
                        &profile_path,
                        format!(
                            "placement {name:?} has no price for compute profile {:?}; add one \
                             under {}",
                            entry.profile,
                            child(
                                &child(&child("profiles.placement", name), "pricing"),
                                &entry.profile
                            )
                        ),
                    );
                }
            }
        }
    }
}

fn pricing_references(cx: &mut Cx, doc: &Document) {
    if !doc.present.compute {
        return;
    }
    for (name, placement) in &doc.placements {
        for profile in placement.pricing.keys() {
            if !doc.compute.contains_key(profile) {
                let path = child(
                    &child(&child("profiles.placement", name), "pricing"),
                    profile,
                );
                cx.error_at(
                    &path,
                    format!(
                        "unknown compute profile {profile:?} ({})",
                        defined(&doc.compute)
                    ),
                );
            }
        }
    }
}

/// A service that runs nowhere is almost surely a forgotten deployment entry or a typo.
fn every_service_deployed(cx: &mut Cx, doc: &Document) {
    if !doc.present.deployment {
        return;
    }
    for service in doc.services.keys() {
        if !doc.deployment.contains_key(service) {
            cx.error_at(
                &child("services", service),
                "is never deployed; add it under `deployment:` with a placement and a profile",
            );
        }
    }
}

/// The market keeps one denom per deployment (that of its deposit), so every price in a
/// manifest must be in it; the first price (placements and profiles in name order) sets it.
fn one_denom(cx: &mut Cx, doc: &Document) {
    let mut first: Option<(String, &str)> = None;
    for (name, placement) in &doc.placements {
        for (profile, price) in &placement.pricing {
            let path = child(
                &child(
                    &child(&child("profiles.placement", name), "pricing"),
                    profile,
                ),
                "denom",
            );
            match &first {
                None => first = Some((path, &price.denom)),
                Some((first_path, denom)) if *denom != price.denom => cx.error_at(
                    &path,
                    format!(
                        "{:?} differs from {denom:?} at {first_path}; a deployment pays in one \
                         denom, so every price must use the same",
                        price.denom
                    ),
                ),
                Some(_) => {}
            }
        }
    }
}
