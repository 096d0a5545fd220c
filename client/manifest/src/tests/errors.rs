//! One test per rule: the message, the field path and the line it points at.

use super::{edit, errors, ok, parse, BASE};

#[test]
fn yaml_syntax_errors_name_the_line() {
    let errs = errors(&edit("      frames: 24\n", "      frames: [24\n"));
    assert_eq!(errs.len(), 1);
    assert!(errs[0].starts_with("m.yaml:"), "{errs:?}");
    assert!(errs[0].contains("YAML syntax error"), "{errs:?}");
}

#[test]
fn an_empty_manifest_says_what_it_needs() {
    assert_eq!(
        errors("# nothing yet\n"),
        ["m.yaml:1:1: the manifest is empty; it needs version, services, profiles and deployment"]
    );
}

#[test]
fn a_manifest_that_is_not_a_mapping_is_refused() {
    assert_eq!(
        errors("- a\n- b\n"),
        ["m.yaml:1:1: expected a mapping with keys version, services, profiles, deployment, found a sequence"]
    );
}

#[test]
fn unknown_keys_are_named_with_the_allowed_ones() {
    assert_eq!(
        errors(&edit("    work_units: 24\n", "    work_units: 24\n    colour: red\n")),
        ["m.yaml:9:5: services.render.colour: unknown key \"colour\"; allowed here: kernel, params, inputs, work_units"]
    );
}

#[test]
fn image_is_reserved_for_a_future_container_runtime() {
    assert_eq!(
        errors(&edit("    kernel: render-tiles\n", "    image: nginx:latest\n")),
        ["m.yaml:4:5: services.render.image: container images are reserved for a future container runtime; run a kernel from the provider catalog with `kernel:` instead"]
    );
}

#[test]
fn missing_required_fields_point_at_their_parent() {
    assert_eq!(
        errors(&edit("    kernel: render-tiles\n", "")),
        ["m.yaml:3:3: services.render.kernel: is required but missing"]
    );
    assert_eq!(
        errors(&edit("          per: hour\n", "")),
        ["m.yaml:19:9: profiles.placement.anywhere.pricing.gpu-small.per: is required but missing"]
    );
}

#[test]
fn empty_required_fields_point_at_their_key() {
    assert_eq!(
        errors(&edit("    kernel: render-tiles\n", "    kernel:\n")),
        ["m.yaml:4:5: services.render.kernel: is required but empty"]
    );
}

#[test]
fn only_supported_versions_are_accepted() {
    assert_eq!(
        errors(&edit("version: \"1.0\"", "version: \"2.0\"")),
        ["m.yaml:1:10: version: \"2.0\" is not a supported version; supported: \"1.0\""]
    );
    // Unquoted, 1.0 is a YAML float, but it reads as written.
    ok(&edit("version: \"1.0\"", "version: 1.0"));
}

#[test]
fn sizes_that_are_not_sizes_say_how_to_write_one() {
    assert_eq!(
        errors(&edit("memory: 8Gi", "memory: 8Gx")),
        ["m.yaml:13:15: profiles.compute.gpu-small.memory: \"8Gx\" is not a size; use e.g. 512Mi, 8Gi, 1Ti"]
    );
}

#[test]
fn memory_must_be_positive() {
    assert_eq!(
        errors(&edit("memory: 8Gi", "memory: 0")),
        ["m.yaml:13:15: profiles.compute.gpu-small.memory: must be positive"]
    );
}

#[test]
fn cpu_must_be_a_positive_amount_of_cores_or_millicores() {
    assert_eq!(
        errors(&edit("cpu: 2", "cpu: two")),
        ["m.yaml:12:12: profiles.compute.gpu-small.cpu: \"two\" is not a CPU amount; use cores (2, 0.5) or millicores (\"500m\")"]
    );
    assert_eq!(
        errors(&edit("cpu: 2", "cpu: 0")),
        ["m.yaml:12:12: profiles.compute.gpu-small.cpu: must be positive"]
    );
}

#[test]
fn gpu_units_must_be_at_least_one() {
    assert_eq!(
        errors(&edit("        units: 1\n", "        units: 0\n")),
        ["m.yaml:15:16: profiles.compute.gpu-small.gpu.units: must be at least 1; leave out `gpu:` to ask for no GPU"]
    );
}

#[test]
fn gpu_models_need_a_vendor_and_a_model() {
    let src = edit(
        "        units: 1\n",
        "        units: 1\n        models:\n          - vendor: nvidia\n            vram: 0\n",
    );
    assert_eq!(
        errors(&src),
        [
            "m.yaml:17:13: profiles.compute.gpu-small.gpu.models[0].model: is required but missing",
            "m.yaml:18:19: profiles.compute.gpu-small.gpu.models[0].vram: must be positive",
        ]
    );
}

#[test]
fn integers_given_as_strings_are_refused_with_a_hint() {
    assert_eq!(
        errors(&edit("      count: 1\n", "      count: \"1\"\n")),
        ["m.yaml:27:14: deployment.render.anywhere.count: expected an integer, found the string \"1\"; remove the quotes"]
    );
}

#[test]
fn count_must_be_at_least_one_and_bounded() {
    assert_eq!(
        errors(&edit("      count: 1\n", "      count: 0\n")),
        ["m.yaml:27:14: deployment.render.anywhere.count: must be at least 1, found 0"]
    );
    assert_eq!(
        errors(&edit("      count: 1\n", "      count: 1001\n")),
        ["m.yaml:27:14: deployment.render.anywhere.count: must be at most 1000, found 1001"]
    );
}

#[test]
fn work_units_must_be_between_one_and_a_million() {
    assert_eq!(
        errors(&edit("    work_units: 24\n", "    work_units: 0\n")),
        ["m.yaml:8:17: services.render.work_units: must be at least 1, found 0"]
    );
    assert_eq!(
        errors(&edit("    work_units: 24\n", "    work_units: 1000001\n")),
        ["m.yaml:8:17: services.render.work_units: must be at most 1000000, found 1000001"]
    );
}

#[test]
fn deployment_must_name_a_defined_compute_profile() {
    assert_eq!(
        errors(&edit("      profile: gpu-small\n", "      profile: gpu-big\n")),
        ["m.yaml:26:16: deployment.render.anywhere.profile: unknown compute profile \"gpu-big\" (defined: gpu-small)"]
    );
}

#[test]
fn deployment_must_name_a_defined_placement() {
    assert_eq!(
        errors(&edit("  render:\n    anywhere:\n      profile", "  render:\n    nowhere:\n      profile")),
        ["m.yaml:25:5: deployment.render.nowhere: unknown placement \"nowhere\" (defined: anywhere)"]
    );
}

#[test]
fn deployment_must_name_a_defined_service() {
    let src = format!("{BASE}  rendr:\n    anywhere:\n      profile: gpu-small\n");
    assert_eq!(
        errors(&src),
        ["m.yaml:28:3: deployment.rendr: unknown service \"rendr\" (defined: render)"]
    );
}

#[test]
fn every_profile_used_with_a_placement_needs_a_price_there() {
    let src = edit(
        "      gpu:\n        units: 1\n",
        "      gpu:\n        units: 1\n    cpu-only:\n      cpu: 1\n      memory: 1Gi\n",
    )
    .replace("      profile: gpu-small\n", "      profile: cpu-only\n");
    assert_eq!(
        errors(&src),
        ["m.yaml:29:16: deployment.render.anywhere.profile: placement \"anywhere\" has no price for compute profile \"cpu-only\"; add one under profiles.placement.anywhere.pricing.cpu-only"]
    );
}

#[test]
fn pricing_must_name_a_defined_compute_profile() {
    let src = edit(
        "          per: hour\n",
        "          per: hour\n        gpu-huge:\n          denom: utsr\n          amount: 5\n          per: hour\n",
    );
    assert_eq!(
        errors(&src),
        ["m.yaml:23:9: profiles.placement.anywhere.pricing.gpu-huge: unknown compute profile \"gpu-huge\" (defined: gpu-small)"]
    );
}

#[test]
fn all_prices_must_share_one_denom() {
    let src = edit(
        "          per: hour\n",
        "          per: hour\n    cheap:\n      pricing:\n        gpu-small:\n          denom: uatom\n          amount: 5\n          per: hour\n",
    );
    assert_eq!(
        errors(&src),
        ["m.yaml:26:18: profiles.placement.cheap.pricing.gpu-small.denom: \"uatom\" differs from \"utsr\" at profiles.placement.anywhere.pricing.gpu-small.denom; a deployment pays in one denom, so every price must use the same"]
    );
}

#[test]
fn denoms_must_be_valid_bank_denoms() {
    assert_eq!(
        errors(&edit("denom: utsr", "denom: u")),
        ["m.yaml:20:18: profiles.placement.anywhere.pricing.gpu-small.denom: \"u\" is not a valid denom"]
    );
}

#[test]
fn prices_are_per_hour_only() {
    assert_eq!(
        errors(&edit("per: hour", "per: day")),
        ["m.yaml:22:16: profiles.placement.anywhere.pricing.gpu-small.per: \"day\" is not a supported price period; only \"hour\" is (the market settles prices per hour)"]
    );
}

#[test]
fn amounts_are_positive_whole_numbers_of_base_units() {
    assert_eq!(
        errors(&edit("amount: 1000000", "amount: 1.5")),
        ["m.yaml:21:19: profiles.placement.anywhere.pricing.gpu-small.amount: \"1.5\" is not an amount; write a whole number of base units of the denom (e.g. 1000000)"]
    );
    assert_eq!(
        errors(&edit("amount: 1000000", "amount: 0")),
        ["m.yaml:21:19: profiles.placement.anywhere.pricing.gpu-small.amount: must be positive"]
    );
    assert_eq!(
        errors(&edit("amount: 1000000", "amount: 340282366920938463463374607431768211456")),
        ["m.yaml:21:19: profiles.placement.anywhere.pricing.gpu-small.amount: 340282366920938463463374607431768211456 is too large"]
    );
    ok(&edit("amount: 1000000", "amount: \"1000000\""));
}

#[test]
fn every_service_must_be_deployed() {
    let src = edit(
        "    work_units: 24\n",
        "    work_units: 24\n  idle:\n    kernel: matmul\n",
    );
    assert_eq!(
        errors(&src),
        ["m.yaml:9:3: services.idle: is never deployed; add it under `deployment:` with a placement and a profile"]
    );
}

#[test]
fn a_deployed_service_needs_a_placement() {
    let src = edit(
        "  render:\n    anywhere:\n      profile: gpu-small\n      count: 1\n",
        "  render: {}\n",
    );
    assert_eq!(
        errors(&src),
        ["m.yaml:24:3: deployment.render: deploys the service to no placement; name at least one placement under it"]
    );
}

#[test]
fn at_least_one_service_is_required() {
    let src = "version: \"1.0\"\nservices: {}\nprofiles:\n  compute: {}\n  placement: {}\ndeployment: {}\n";
    assert_eq!(
        errors(src),
        ["m.yaml:2:1: services: must define at least one service"]
    );
}

#[test]
fn names_must_be_plain_so_group_names_stay_unambiguous() {
    let src = BASE.replace("  render:\n", "  render.v2:\n");
    assert_eq!(
        errors(&src),
        ["m.yaml:3:3: services.\"render.v2\": \"render.v2\" is not a valid name; use 1 to 63 ASCII letters, digits, '-' and '_', starting with a letter or a digit"]
    );
}

#[test]
fn duplicate_keys_are_refused() {
    assert_eq!(
        errors(&edit("    work_units: 24\n", "    work_units: 24\n    work_units: 25\n")),
        ["m.yaml:9:5: services.render.work_units: key \"work_units\" appears twice (first on line 8)"]
    );
}

#[test]
fn wrong_types_say_what_was_expected_and_found() {
    assert_eq!(
        errors(&edit("    params:\n      scene: cornell-box\n      frames: 24\n", "    params: [1, 2]\n")),
        ["m.yaml:5:5: services.render.params: expected a mapping of parameters, found a sequence"]
    );
    assert_eq!(
        errors(&edit("      gpu:\n        units: 1\n", "      gpu: 1\n")),
        ["m.yaml:14:12: profiles.compute.gpu-small.gpu: expected a mapping with keys units, models, found the integer 1"]
    );
}

#[test]
fn floats_in_params_are_refused() {
    assert_eq!(
        errors(&edit("      frames: 24\n", "      frames: 24\n      exposure: 0.5\n")),
        ["m.yaml:8:17: services.render.params.exposure: 0.5 is a float, and params may not hold floats (the hash must not depend on how a float is written); write it as a string (\"0.5\") or as an integer in smaller units"]
    );
    ok(&edit(
        "      frames: 24\n",
        "      frames: 24\n      exposure: \"0.5\"\n",
    ));
}

#[test]
fn params_integers_must_fit_in_any_json_reader() {
    assert_eq!(
        errors(&edit("      frames: 24\n", "      frames: 9007199254740992\n")),
        ["m.yaml:7:15: services.render.params.frames: integer 9007199254740992 is out of range; integers in params must be within ±9007199254740991 (2^53 - 1): write larger ones as strings"]
    );
    ok(&edit(
        "      frames: 24\n",
        "      frames: -9007199254740991\n",
    ));
}

#[test]
fn inputs_need_a_file_name_and_a_sha256() {
    let src = edit(
        "    work_units: 24\n",
        "    work_units: 24\n    inputs:\n      - name: dir/scene.json\n        sha256: ABC\n      - name: a.bin\n        sha256: 0000000000000000000000000000000000000000000000000000000000000000\n        url: not a url\n      - name: a.bin\n        sha256: 0000000000000000000000000000000000000000000000000000000000000000\n",
    );
    assert_eq!(
        errors(&src),
        [
            "m.yaml:10:15: services.render.inputs[0].name: \"dir/scene.json\" is not a file name; inputs are single files, without directories",
            "m.yaml:11:17: services.render.inputs[0].sha256: \"ABC\" is not a sha256 digest (64 lowercase hex characters)",
            "m.yaml:14:14: services.render.inputs[1].url: \"not a url\" is not a URL; write it as scheme://..., e.g. https://example.org/scene.json",
            "m.yaml:15:15: services.render.inputs[2].name: input \"a.bin\" is listed twice",
        ]
    );
}

#[test]
fn attributes_and_auditors_follow_the_chain_rules() {
    let src = edit(
        "    anywhere:\n      pricing:\n",
        "    anywhere:\n      attributes:\n        region: eu west\n      signed_by:\n        any_of: [a, b, c, d, e, f, g, h, i]\n      pricing:\n",
    );
    assert_eq!(
        errors(&src),
        [
            "m.yaml:19:17: profiles.placement.anywhere.attributes.region: \"eu west\" contains the character ' '; use printable ASCII without spaces",
            "m.yaml:21:9: profiles.placement.anywhere.signed_by.any_of: lists 9 items, max 8",
        ]
    );
}

#[test]
fn too_many_groups_are_refused() {
    // `render` goes to 34 placements and `other` to 33: 67 groups.
    let mut placements = String::new();
    let mut entries = String::new();
    for i in 0..33 {
        placements.push_str(&format!(
            "    p{i}:\n      pricing:\n        gpu-small: {{denom: utsr, amount: 1, per: hour}}\n"
        ));
        entries.push_str(&format!("    p{i}: {{profile: gpu-small}}\n"));
    }
    let mut src = BASE
        .replace("  placement:\n", &format!("  placement:\n{placements}"))
        .replace("      count: 1\n", &format!("      count: 1\n{entries}"))
        .replace(
            "    work_units: 24\n",
            "    work_units: 24\n  other:\n    kernel: matmul\n",
        );
    src.push_str(&format!("  other:\n{entries}"));
    let errs = errors(&src);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].ends_with("deployment: asks for 67 groups (service and placement pairs), max 64"),
        "{errs:?}"
    );
}

#[test]
fn several_problems_are_reported_together_in_file_order() {
    let src = edit("cpu: 2", "cpu: 0")
        .replace("memory: 8Gi", "memory: lots")
        .replace("      profile: gpu-small\n", "      profile: gpu-big\n")
        .replace("version: \"1.0\"", "version: \"0.9\"");
    let errs = errors(&src);
    let lines: Vec<&str> = errs
        .iter()
        .map(|e| e.split(':').nth(1).unwrap_or(""))
        .collect();
    assert_eq!(lines, ["1", "12", "13", "26"], "{errs:?}");
}

#[test]
fn errors_expose_line_column_path_and_message() {
    let Err(errs) = parse(&edit("memory: 8Gi", "memory: 8Gx")) else {
        panic!("expected errors")
    };
    let error = &errs.errors()[0];
    assert_eq!((error.line, error.column), (13, 15));
    assert_eq!(error.path, "profiles.compute.gpu-small.memory");
    assert_eq!(
        error.message,
        "\"8Gx\" is not a size; use e.g. 512Mi, 8Gi, 1Ti"
    );
    assert_eq!(errs.origin(), "m.yaml");
}

#[test]
fn unreadable_files_are_reported_naming_the_path() {
    let path = std::path::Path::new("/nonexistent/tessera/m.yaml");
    let Err(errs) = crate::Manifest::from_file(path) else {
        panic!("expected an error")
    };
    assert!(
        errs.to_string()
            .starts_with("/nonexistent/tessera/m.yaml: cannot read the manifest: "),
        "{errs}"
    );
    assert_eq!(errs.errors()[0].line, 0);
}

#[test]
fn a_missing_section_is_reported_once_not_at_every_reference() {
    let without_deployment = &BASE[..BASE.find("deployment:").unwrap_or(BASE.len())];
    assert_eq!(
        errors(without_deployment),
        ["m.yaml:1:1: deployment: is required but missing"]
    );
    let without_compute = edit(
        "  compute:\n    gpu-small:\n      cpu: 2\n      memory: 8Gi\n      gpu:\n        units: 1\n",
        "",
    );
    assert_eq!(
        errors(&without_compute),
        ["m.yaml:9:1: profiles.compute: is required but missing"]
    );
}

#[test]
fn too_many_services_are_refused() {
    let services: String = (0..65)
        .map(|i| format!("  s{i}: {{kernel: k}}\n"))
        .collect();
    let src = BASE.replace("services:\n", &format!("services:\n{services}"));
    let errs = errors(&src);
    assert_eq!(errs[0], "m.yaml:2:1: services: has 66 services, max 64");
}
