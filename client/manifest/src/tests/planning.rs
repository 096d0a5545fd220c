//! From manifest to market groups: names, order, requirements, prices.

use cosmwasm_std::Uint128;
use tessera_api::attributes::Attribute;

use super::{edit, errors, ok, BASE};

/// Two services; `train` runs in two placements. Names are chosen so that file order and name
/// order differ.
const TWO_SERVICES: &str = r#"version: "1.0"
services:
  train:
    kernel: matmul
  eval:
    kernel: mlp-inference
    work_units: 10
profiles:
  compute:
    big:
      cpu: 8
      memory: 64Gi
      storage: 100Gi
      gpu:
        units: 4
        models:
          - {vendor: nvidia, model: h100, vram: 80Gi, interface: sxm}
    small:
      cpu: 500m
      memory: 2Gi
  placement:
    us:
      attributes:
        tier: datacenter
        region: us-east
      signed_by:
        all_of: [auditor1]
      pricing:
        big: {denom: utsr, amount: 4000000, per: hour}
        small: {denom: utsr, amount: 100000, per: hour}
    eu:
      pricing:
        big: {denom: utsr, amount: 5000000, per: hour}
deployment:
  train:
    us: {profile: big, count: 3}
    eu: {profile: big}
  eval:
    us: {profile: small, count: 2}
"#;

#[test]
fn groups_are_named_service_dot_placement_in_name_order() {
    let plan = ok(TWO_SERVICES).plan();
    let names: Vec<&str> = plan.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["eval.us", "train.eu", "train.us"]);
    assert_eq!(plan.denom, "utsr");
}

#[test]
fn max_price_is_the_price_times_the_count_and_the_plan_sums_them() {
    let plan = ok(TWO_SERVICES).plan();
    let prices: Vec<(u32, Uint128)> = plan.groups.iter().map(|g| (g.count, g.max_price)).collect();
    assert_eq!(
        prices,
        [
            (2, Uint128::new(200_000)),
            (1, Uint128::new(5_000_000)),
            (3, Uint128::new(12_000_000)),
        ]
    );
    assert_eq!(plan.max_price_per_hour, Uint128::new(17_200_000));
}

#[test]
fn groups_carry_the_profile_resources_and_sorted_placement_requirements() {
    let plan = ok(TWO_SERVICES).plan();
    let train_us = &plan.groups[2];
    assert_eq!(train_us.resources.cpu_millis, 8000);
    assert_eq!(train_us.resources.memory_mib, 65_536);
    assert_eq!(train_us.resources.storage_mib, 102_400);
    assert_eq!(train_us.resources.gpu.units, 4);
    assert_eq!(train_us.resources.gpu.models[0].vram_mib, Some(81_920));
    assert_eq!(
        train_us.resources.gpu.models[0].interface.as_deref(),
        Some("sxm")
    );
    assert_eq!(
        train_us.requirements.attributes,
        [
            Attribute::new("region", "us-east"),
            Attribute::new("tier", "datacenter"),
        ]
    );
    assert_eq!(train_us.requirements.signed_by.all_of, ["auditor1"]);
    let eval_us = &plan.groups[0];
    assert_eq!(eval_us.resources.cpu_millis, 500);
    assert_eq!(eval_us.resources.gpu.units, 0);
    assert!(plan.groups.iter().all(|g| g.validate().is_ok()));
}

#[test]
fn a_group_max_price_that_overflows_is_refused() {
    let half = u128::MAX / 2 + 1;
    let src = edit("amount: 1000000", &format!("amount: \"{half}\""))
        .replace("      count: 1\n", "      count: 2\n");
    assert_eq!(
        errors(&src),
        [format!(
            "m.yaml:27:14: deployment.render.anywhere.count: the group's max price, {half} × 2 instances, overflows"
        )]
    );
}

#[test]
fn a_total_max_price_that_overflows_is_refused() {
    let half = u128::MAX / 2 + 1;
    let src = TWO_SERVICES.replace("amount: 5000000", &format!("amount: \"{half}\""));
    let src = src.replace("amount: 4000000", &format!("amount: \"{}\"", half / 3));
    let errs = errors(&src);
    // Each price is also far above the market's cap, which the manifest reports too.
    let cap = tessera_api::market::MAX_PRICE_PER_HOUR;
    assert_eq!(
        errs,
        [
            "m.yaml:34:1: deployment: the total max price per hour overflows".to_string(),
            format!(
                "m.yaml:36:5: deployment.train.us: the market would refuse this group: invalid \
                 group train.us max_price: is {} per hour, max {cap}",
                half / 3 * 3
            ),
            format!(
                "m.yaml:37:5: deployment.train.eu: the market would refuse this group: invalid \
                 group train.eu max_price: is {half} per hour, max {cap}"
            ),
        ]
    );
}

#[test]
fn the_provider_finds_the_service_of_a_group() {
    let manifest = ok(TWO_SERVICES);
    let (name, service) = manifest.service_for_group("eval.us").expect("a service");
    assert_eq!((name, service.kernel.as_str()), ("eval", "mlp-inference"));
    assert!(manifest.service_for_group("eval.eu").is_none());
    assert!(manifest.service_for_group("nothing").is_none());
    assert_eq!(crate::group_name("eval", "us"), "eval.us");
}

#[test]
fn total_work_units_add_up_over_services() {
    assert_eq!(ok(TWO_SERVICES).total_work_units(), 11);
    assert_eq!(ok(BASE).total_work_units(), 24);
}
