//! The manifest's fields: which keys exist where, their types, units and bounds. Each field is
//! read on its own so that one bad value does not hide the next; cross-references between
//! sections are checked afterwards (`check.rs`).

use std::collections::BTreeMap;

use cosmwasm_std::Uint128;
use tessera_api::attributes::{SignedBy, MAX_ATTRIBUTES, MAX_SIGNERS};
use tessera_api::gpu::{GpuModel, GpuRequirement, Resources, MAX_GPU_MODELS};
use tessera_api::market::validate_denom;
use tessera_api::validation::{check_sha256_hex, check_token};

use crate::limits::{
    MAX_COMPUTE_PROFILES, MAX_COUNT, MAX_GPU_UNITS, MAX_INPUTS, MAX_PLACEMENTS, MAX_SAFE_INTEGER,
    MAX_SERVICES, MAX_URL_LEN, MAX_WORK_UNITS, SUPPORTED_VERSIONS,
};
use crate::model::{DeploymentEntry, Input, Placement, Price, PriceUnit, Service};
use crate::path;
use crate::units;
use crate::walk::{integer, named, sequence, text, token, Cx, Field, Fields};
use crate::yaml::{Kind, Node, Resolved};

const ROOT_KEYS: &[&str] = &["version", "services", "profiles", "deployment"];
const PROFILES_KEYS: &[&str] = &["compute", "placement"];
const SERVICE_KEYS: &[&str] = &["kernel", "params", "inputs", "work_units"];
const SERVICE_RESERVED: &[(&str, &str)] = &[(
    "image",
    "container images are reserved for a future container runtime; run a kernel from the \
     provider catalog with `kernel:` instead",
)];
const INPUT_KEYS: &[&str] = &["name", "sha256", "url", "size"];
const COMPUTE_KEYS: &[&str] = &["cpu", "memory", "storage", "gpu"];
const GPU_KEYS: &[&str] = &["units", "models"];
const MODEL_KEYS: &[&str] = &["vendor", "model", "vram", "interface"];
const PLACEMENT_KEYS: &[&str] = &["attributes", "signed_by", "pricing"];
const SIGNED_BY_KEYS: &[&str] = &["all_of", "any_of"];
const PRICE_KEYS: &[&str] = &["denom", "amount", "per"];
const ENTRY_KEYS: &[&str] = &["profile", "count"];

/// The manifest as read. Fields that failed to read hold defaults; they are never used then,
/// because a manifest with any problem is refused as a whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Document {
    pub version: String,
    pub services: BTreeMap<String, Service>,
    pub compute: BTreeMap<String, Resources>,
    pub placements: BTreeMap<String, Placement>,
    pub deployment: BTreeMap<String, BTreeMap<String, DeploymentEntry>>,
    /// Which sections were there to read: a reference into a missing section is not reported
    /// again as unknown, the missing section already is.
    pub present: Present,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Present {
    pub services: bool,
    pub compute: bool,
    pub placements: bool,
    pub deployment: bool,
}

fn is_map(field: &Field<'_>) -> bool {
    matches!(field.node.kind, Kind::Map(_))
}

pub(crate) fn read(cx: &mut Cx, root: &Node) -> Document {
    let mut doc = Document::default();
    let Some(top) = Fields::read(cx, &Field::root(root), ROOT_KEYS, &[]) else {
        return doc;
    };
    if let Some(field) = top.required(cx, "version") {
        doc.version = version(cx, &field).unwrap_or_default();
    }
    if let Some(field) = top.required(cx, "services") {
        doc.present.services = is_map(&field);
        doc.services = services(cx, &field);
    }
    if let Some(field) = top.required(cx, "profiles") {
        if let Some(profiles) = Fields::read(cx, &field, PROFILES_KEYS, &[]) {
            if let Some(field) = profiles.required(cx, "compute") {
                doc.present.compute = is_map(&field);
                doc.compute = named(cx, &field, "compute profiles", MAX_COMPUTE_PROFILES, true)
                    .into_iter()
                    .map(|(name, field)| (name.to_string(), compute_profile(cx, &field)))
                    .collect();
            }
            if let Some(field) = profiles.required(cx, "placement") {
                doc.present.placements = is_map(&field);
                doc.placements = named(cx, &field, "placements", MAX_PLACEMENTS, true)
                    .into_iter()
                    .map(|(name, field)| (name.to_string(), placement(cx, &field)))
                    .collect();
            }
        }
    }
    if let Some(field) = top.required(cx, "deployment") {
        doc.present.deployment = is_map(&field);
        doc.deployment = deployment(cx, &field);
    }
    doc
}

fn version(cx: &mut Cx, field: &Field<'_>) -> Option<String> {
    // The text as written, so `version: 1.0` (a YAML float) reads as "1.0" too.
    let version = text(cx, field)?;
    if SUPPORTED_VERSIONS.contains(&version) {
        return Some(version.to_string());
    }
    let supported: Vec<String> = SUPPORTED_VERSIONS
        .iter()
        .map(|v| format!("{v:?}"))
        .collect();
    field.error(
        cx,
        format!(
            "{version:?} is not a supported version; supported: {}",
            supported.join(", ")
        ),
    );
    None
}

fn services(cx: &mut Cx, field: &Field<'_>) -> BTreeMap<String, Service> {
    let entries = named(cx, field, "services", MAX_SERVICES, true);
    if entries.is_empty() && is_map(field) {
        field.error(cx, "must define at least one service");
    }
    entries
        .into_iter()
        .map(|(name, field)| (name.to_string(), service(cx, &field)))
        .collect()
}

fn service(cx: &mut Cx, field: &Field<'_>) -> Service {
    let mut service = Service {
        kernel: String::new(),
        params: serde_json::Value::Object(serde_json::Map::new()),
        inputs: Vec::new(),
        work_units: 1,
    };
    let Some(fields) = Fields::read(cx, field, SERVICE_KEYS, SERVICE_RESERVED) else {
        return service;
    };
    // Someone who wrote `image:` has been told why; "kernel is missing" would only repeat it.
    let kernel = if fields.has("image") {
        fields.get(cx, "kernel")
    } else {
        fields.required(cx, "kernel")
    };
    if let Some(kernel) = kernel {
        service.kernel = token(cx, &kernel, "kernel").unwrap_or_default();
    }
    if let Some(params) = fields.get(cx, "params") {
        if is_map(&params) {
            service.params = json(cx, params.node, &params.path);
        } else {
            params.error(
                cx,
                format!(
                    "expected a mapping of parameters, found {}",
                    params.node.describe()
                ),
            );
        }
    }
    if let Some(inputs) = fields.get(cx, "inputs") {
        service.inputs = self::inputs(cx, &inputs);
    }
    if let Some(work_units) = fields.get(cx, "work_units") {
        service.work_units = integer(cx, &work_units, 1, MAX_WORK_UNITS).unwrap_or(1);
    }
    service
}

/// Kernel parameters as JSON. Floats are refused: their text differs between languages and
/// libraries, and the canonical form must come out byte for byte the same everywhere.
fn json(cx: &mut Cx, node: &Node, at: &str) -> serde_json::Value {
    use serde_json::Value;
    match &node.kind {
        Kind::Scalar(scalar) => match scalar.resolve() {
            Resolved::Null => Value::Null,
            Resolved::Bool(b) => Value::Bool(b),
            Resolved::Str(s) => Value::String(s.to_string()),
            Resolved::Int(Some(i)) if i.unsigned_abs() <= u128::from(MAX_SAFE_INTEGER) => {
                i64::try_from(i).map_or(Value::Null, Value::from)
            }
            Resolved::Int(_) => {
                cx.error(
                    node.mark,
                    at,
                    format!(
                        "integer {} is out of range; integers in params must be within \
                         ±{MAX_SAFE_INTEGER} (2^53 - 1): write larger ones as strings",
                        scalar.text
                    ),
                );
                Value::Null
            }
            Resolved::Float => {
                cx.error(
                    node.mark,
                    at,
                    format!(
                        "{} is a float, and params may not hold floats (the hash must not \
                         depend on how a float is written); write it as a string (\"{}\") or \
                         as an integer in smaller units",
                        scalar.text, scalar.text
                    ),
                );
                Value::Null
            }
        },
        Kind::Seq(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| json(cx, item, &path::index(at, i)))
                .collect(),
        ),
        Kind::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|e| {
                    let value = json(cx, &e.value, &path::child(at, &e.key));
                    (e.key.clone(), value)
                })
                .collect(),
        ),
    }
}

fn inputs(cx: &mut Cx, field: &Field<'_>) -> Vec<Input> {
    let mut inputs: Vec<Input> = Vec::new();
    for item in sequence(cx, field, MAX_INPUTS) {
        let Some(fields) = Fields::read(cx, &item, INPUT_KEYS, &[]) else {
            continue;
        };
        let mut input = Input {
            name: String::new(),
            sha256: String::new(),
            url: None,
            size: None,
        };
        if let Some(name) = fields.required(cx, "name") {
            if let Some(value) = file_name(cx, &name) {
                if inputs.iter().any(|i| i.name == value) {
                    name.error(cx, format!("input {value:?} is listed twice"));
                }
                input.name = value;
            }
        }
        if let Some(sha256) = fields.required(cx, "sha256") {
            if let Some(value) = text(cx, &sha256) {
                match check_sha256_hex("sha256", value) {
                    Ok(()) => input.sha256 = value.to_string(),
                    Err(e) => sha256.error(cx, e.reason),
                }
            }
        }
        if let Some(url) = fields.get(cx, "url") {
            input.url = self::url(cx, &url);
        }
        if let Some(size) = fields.get(cx, "size") {
            input.size = integer(cx, &size, 0, MAX_SAFE_INTEGER);
        }
        inputs.push(input);
    }
    inputs
}

/// Input names become file names on the provider: one path component, nothing that climbs.
fn file_name(cx: &mut Cx, field: &Field<'_>) -> Option<String> {
    let name = token(cx, field, "input name")?;
    if name.contains(['/', '\\']) || name == "." || name == ".." {
        field.error(
            cx,
            format!("{name:?} is not a file name; inputs are single files, without directories"),
        );
        return None;
    }
    Some(name)
}

fn url(cx: &mut Cx, field: &Field<'_>) -> Option<String> {
    let url = text(cx, field)?;
    let scheme_ok = url.split_once("://").is_some_and(|(scheme, rest)| {
        !rest.is_empty()
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    if url.len() > MAX_URL_LEN {
        field.error(
            cx,
            format!("is {} bytes long, max {MAX_URL_LEN}", url.len()),
        );
        None
    } else if !scheme_ok || !url.chars().all(|c| c.is_ascii_graphic()) {
        field.error(
            cx,
            format!("{url:?} is not a URL; write it as scheme://..., e.g. https://example.org/scene.json"),
        );
        None
    } else {
        Some(url.to_string())
    }
}

fn compute_profile(cx: &mut Cx, field: &Field<'_>) -> Resources {
    let mut resources = Resources::default();
    let Some(fields) = Fields::read(cx, field, COMPUTE_KEYS, &[]) else {
        return resources;
    };
    if let Some(cpu) = fields.required(cx, "cpu") {
        if let Some(value) = text(cx, &cpu) {
            match units::cpu_millis(value) {
                Ok(millis) => resources.cpu_millis = millis,
                Err(why) => cpu.error(cx, why),
            }
        }
    }
    if let Some(memory) = fields.required(cx, "memory") {
        resources.memory_mib = size(cx, &memory, true).unwrap_or_default();
    }
    if let Some(storage) = fields.get(cx, "storage") {
        resources.storage_mib = size(cx, &storage, false).unwrap_or_default();
    }
    if let Some(gpu) = fields.get(cx, "gpu") {
        resources.gpu = self::gpu(cx, &gpu);
    }
    resources
}

fn size(cx: &mut Cx, field: &Field<'_>, positive: bool) -> Option<u64> {
    let value = text(cx, field)?;
    match units::size_mib(value) {
        Ok(0) if positive => {
            field.error(cx, "must be positive");
            None
        }
        Ok(mib) => Some(mib),
        Err(why) => {
            field.error(cx, why);
            None
        }
    }
}

fn gpu(cx: &mut Cx, field: &Field<'_>) -> GpuRequirement {
    let mut gpu = GpuRequirement::default();
    let Some(fields) = Fields::read(cx, field, GPU_KEYS, &[]) else {
        return gpu;
    };
    if let Some(units) = fields.required(cx, "units") {
        match integer(cx, &units, 0, MAX_GPU_UNITS) {
            Some(0) => units.error(cx, "must be at least 1; leave out `gpu:` to ask for no GPU"),
            Some(n) => gpu.units = u32::try_from(n).unwrap_or_default(),
            None => {}
        }
    }
    if let Some(models) = fields.get(cx, "models") {
        for item in sequence(cx, &models, MAX_GPU_MODELS) {
            if let Some(model) = gpu_model(cx, &item) {
                gpu.models.push(model);
            }
        }
    }
    gpu
}

fn gpu_model(cx: &mut Cx, field: &Field<'_>) -> Option<GpuModel> {
    let fields = Fields::read(cx, field, MODEL_KEYS, &[])?;
    let vendor = fields.required(cx, "vendor");
    let vendor = vendor.and_then(|f| token(cx, &f, "gpu vendor"));
    let model = fields.required(cx, "model");
    let model = model.and_then(|f| token(cx, &f, "gpu model"));
    let vram = fields.get(cx, "vram").map(|f| size(cx, &f, true));
    let interface = fields
        .get(cx, "interface")
        .map(|f| token(cx, &f, "gpu interface"));
    // Every field is read before giving up, so that each bad one is reported.
    Some(GpuModel {
        vendor: vendor?,
        model: model?,
        vram_mib: vram.map_or(Some(None), |v| v.map(Some))?,
        interface: interface.map_or(Some(None), |i| i.map(Some))?,
    })
}

fn placement(cx: &mut Cx, field: &Field<'_>) -> Placement {
    let mut placement = Placement::default();
    let Some(fields) = Fields::read(cx, field, PLACEMENT_KEYS, &[]) else {
        return placement;
    };
    if let Some(attributes) = fields.get(cx, "attributes") {
        placement.attributes = self::attributes(cx, &attributes);
    }
    if let Some(signed_by) = fields.get(cx, "signed_by") {
        placement.signed_by = self::signed_by(cx, &signed_by);
    }
    if let Some(pricing) = fields.get(cx, "pricing") {
        placement.pricing = named(cx, &pricing, "prices", MAX_COMPUTE_PROFILES, false)
            .into_iter()
            .map(|(profile, field)| (profile.to_string(), price(cx, &field)))
            .collect();
    }
    placement
}

fn attributes(cx: &mut Cx, field: &Field<'_>) -> BTreeMap<String, String> {
    // Keys are the provider's attribute names, not names this manifest defines: they follow
    // the chain's rule for attributes (tokens), not the stricter one for service names.
    let entries = named(cx, field, "attributes", MAX_ATTRIBUTES, false);
    let mut attributes = BTreeMap::new();
    for (key, value) in entries {
        if let Err(e) = check_token("attribute key", key) {
            value.error(cx, e.reason);
            continue;
        }
        if let Some(value) = token(cx, &value, "attribute value") {
            attributes.insert(key.to_string(), value);
        }
    }
    attributes
}

fn signed_by(cx: &mut Cx, field: &Field<'_>) -> SignedBy {
    let mut signed_by = SignedBy::default();
    let Some(fields) = Fields::read(cx, field, SIGNED_BY_KEYS, &[]) else {
        return signed_by;
    };
    for (key, list) in [
        ("all_of", &mut signed_by.all_of),
        ("any_of", &mut signed_by.any_of),
    ] {
        if let Some(auditors) = fields.get(cx, key) {
            for item in sequence(cx, &auditors, MAX_SIGNERS) {
                if let Some(auditor) = token(cx, &item, "auditor") {
                    list.push(auditor);
                }
            }
        }
    }
    signed_by
}

/// A price, with defaults in the fields that failed to read: the entry must exist all the same,
/// or every deployment entry using it would also be reported as having no price.
fn price(cx: &mut Cx, field: &Field<'_>) -> Price {
    let mut price = Price {
        denom: String::new(),
        amount: Uint128::zero(),
        per: PriceUnit::Hour,
    };
    let Some(fields) = Fields::read(cx, field, PRICE_KEYS, &[]) else {
        return price;
    };
    if let Some(field) = fields.required(cx, "denom") {
        if let Some(denom) = text(cx, &field) {
            match validate_denom(denom) {
                Ok(()) => price.denom = denom.to_string(),
                Err(e) => field.error(cx, e.reason),
            }
        }
    }
    if let Some(field) = fields.required(cx, "amount") {
        price.amount = amount(cx, &field).unwrap_or_default();
    }
    if let Some(field) = fields.required(cx, "per") {
        if let Some(per) = text(cx, &field) {
            if per != PriceUnit::Hour.as_str() {
                field.error(
                    cx,
                    format!(
                        "{per:?} is not a supported price period; only \"hour\" is (the market \
                         settles prices per hour)"
                    ),
                );
            }
        }
    }
    price
}

/// Base units as a YAML integer or a string of digits (amounts can exceed what some YAML
/// tools read as numbers).
fn amount(cx: &mut Cx, field: &Field<'_>) -> Option<Uint128> {
    let amount = text(cx, field)?;
    let digits = !amount.is_empty() && amount.bytes().all(|b| b.is_ascii_digit());
    let parsed = digits.then(|| amount.parse::<u128>().ok()).flatten();
    match parsed {
        Some(0) => field.error(cx, "must be positive"),
        Some(n) => return Some(Uint128::new(n)),
        None if digits => field.error(cx, format!("{amount} is too large")),
        None => field.error(
            cx,
            format!("{amount:?} is not an amount; write a whole number of base units of the denom (e.g. 1000000)"),
        ),
    }
    None
}

fn deployment(
    cx: &mut Cx,
    field: &Field<'_>,
) -> BTreeMap<String, BTreeMap<String, DeploymentEntry>> {
    let mut deployment = BTreeMap::new();
    for (service, field) in named(cx, field, "services", MAX_SERVICES, false) {
        let placements = named(cx, &field, "placements", MAX_PLACEMENTS, false);
        if placements.is_empty() && is_map(&field) {
            field.error(
                cx,
                "deploys the service to no placement; name at least one placement under it",
            );
        }
        let entries = placements
            .into_iter()
            .map(|(placement, field)| (placement.to_string(), entry(cx, &field)))
            .collect();
        deployment.insert(service.to_string(), entries);
    }
    deployment
}

fn entry(cx: &mut Cx, field: &Field<'_>) -> DeploymentEntry {
    let mut entry = DeploymentEntry {
        profile: String::new(),
        count: 1,
    };
    let Some(fields) = Fields::read(cx, field, ENTRY_KEYS, &[]) else {
        return entry;
    };
    if let Some(profile) = fields.required(cx, "profile") {
        entry.profile = text(cx, &profile).unwrap_or_default().to_string();
    }
    if let Some(count) = fields.get(cx, "count") {
        let count = integer(cx, &count, 1, MAX_COUNT);
        entry.count = count.and_then(|c| u32::try_from(c).ok()).unwrap_or(1);
    }
    entry
}
