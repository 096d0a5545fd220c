//! Structured inputs from raw bytes: JSON trees spelled with the contracts' own words, YAML
//! manifests, and byte-level mutations of valid encodings. Words from a dictionary get the
//! fuzzer past the first `unknown variant` error into the code that checks values.

use arbitrary::{Result, Unstructured};
use serde_json::{Map, Value};

/// Message variants and field names of the market, registry and governance contracts.
const WORDS: &[&str] = &[
    "create_deployment",
    "update_manifest",
    "deposit",
    "close_deployment",
    "place_bid",
    "withdraw_bid",
    "accept_bid",
    "close_lease",
    "withdraw_lease",
    "submit_attestation",
    "update_params",
    "register",
    "update",
    "bond",
    "unbond",
    "claim_unbonded",
    "deregister",
    "sign_attributes",
    "revoke_attributes",
    "record",
    "slash",
    "set_auditors",
    "stake",
    "unstake",
    "claim",
    "propose",
    "vote",
    "execute",
    "run_actions",
    "params",
    "deployment",
    "deployments",
    "order",
    "orders",
    "bids",
    "bid",
    "lease",
    "leases",
    "escrow",
    "attestations",
    "quarantined",
    "provider",
    "providers",
    "proposal",
    "proposals",
    "votes",
    "voting_power",
    "pool",
    "end_block",
    "dseq",
    "gseq",
    "oseq",
    "groups",
    "manifest_hash",
    "bid_window_secs",
    "owner",
    "price",
    "offer",
    "gpus",
    "resource_prices",
    "resource",
    "amount",
    "denom",
    "vendor",
    "model",
    "vram_mib",
    "interface",
    "count",
    "name",
    "requirements",
    "resources",
    "cpu_millis",
    "memory_mib",
    "storage_mib",
    "gpu",
    "units",
    "models",
    "max_price",
    "attributes",
    "signed_by",
    "all_of",
    "any_of",
    "key",
    "value",
    "reason",
    "period_start",
    "period_end",
    "gpu_seconds",
    "work_units",
    "output_root",
    "inventory_hash",
    "host_uri",
    "tls_fingerprint",
    "info",
    "email",
    "website",
    "fraction_bps",
    "auditors",
    "title",
    "description",
    "actions",
    "proposal_id",
    "option",
    "event",
    "paid",
    "address",
    "start_after",
    "limit",
    "state",
    "filter",
    "tenant",
    "active",
    "attribute",
    "id",
    "update_market_params",
    "update_registry_params",
    "slash_provider",
    "migrate_contract",
    "community_spend",
    "recipient",
    "code_id",
    "msg",
    "contract",
    "take_rate_bps",
    "burn_bps",
    "yes",
    "no",
    "abstain",
    "no_with_veto",
    "lease_started",
    "lease_completed",
    "open",
];

/// String values that mean something to the contracts.
const VALUES: &[&str] = &[
    "",
    "utsr",
    "nvidia",
    "h100",
    "sxm",
    "0",
    "1",
    "1000000",
    "340282366920938463463374607431768211455",
    "340282366920938463463374607431768211456",
    "1000000000000000000000001",
    "-1",
    "0000000000000000000000000000000000000000000000000000000000000001",
    "tessera1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",
    "tessera14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9sm4kxpq",
    "https://p.example.com:8443",
    "\"\\\"\\",
    "é",
    "\u{0}",
    "1e3",
];

fn word(u: &mut Unstructured) -> Result<String> {
    Ok(if u.ratio(7, 8)? {
        (*u.choose(WORDS)?).to_string()
    } else {
        u.arbitrary::<String>()?
    })
}

fn string_value(u: &mut Unstructured) -> Result<String> {
    Ok(match u.int_in_range(0..=9)? {
        0..=5 => (*u.choose(VALUES)?).to_string(),
        6 => "\"".repeat(u.int_in_range(0..=300)?),
        7 => (*u.choose(WORDS)?).to_string(),
        _ => u.arbitrary::<String>()?,
    })
}

/// A JSON tree: objects keyed by the contracts' words, leaves of every type.
pub fn json(u: &mut Unstructured, depth: u32) -> Result<Value> {
    let kind = if depth == 0 {
        u.int_in_range(0..=4)?
    } else {
        u.int_in_range(0..=7)?
    };
    Ok(match kind {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => match u.int_in_range(0..=3)? {
            0 => Value::from(u.arbitrary::<u64>()?),
            1 => Value::from(u.arbitrary::<i64>()?),
            2 => Value::from(u.int_in_range(0..=70_000u32)?),
            _ => serde_json::Number::from_f64(u.arbitrary::<f64>()?)
                .map_or(Value::Null, Value::Number),
        },
        3 | 4 => Value::String(string_value(u)?),
        5 => {
            let n = u.int_in_range(0..=4)?;
            Value::Array((0..n).map(|_| json(u, depth - 1)).collect::<Result<_>>()?)
        }
        _ => {
            let n = u.int_in_range(0..=6)?;
            let mut map = Map::new();
            for _ in 0..n {
                map.insert(word(u)?, json(u, depth - 1)?);
            }
            Value::Object(map)
        }
    })
}

/// A contract message: `{"<variant>": {fields…}}` most of the time.
pub fn message(u: &mut Unstructured) -> Result<Value> {
    if u.ratio(1, 8)? {
        return json(u, 4);
    }
    let mut fields = Map::new();
    for _ in 0..u.int_in_range(0..=6)? {
        fields.insert(word(u)?, json(u, 3)?);
    }
    let mut outer = Map::new();
    outer.insert(word(u)?, Value::Object(fields));
    Ok(Value::Object(outer))
}

/// Flips, inserts, deletes or truncates a few bytes of `bytes`.
pub fn mutate(u: &mut Unstructured, mut bytes: Vec<u8>) -> Result<Vec<u8>> {
    for _ in 0..u.int_in_range(0..=3)? {
        if bytes.is_empty() {
            bytes.push(u.arbitrary()?);
            continue;
        }
        let at = u.choose_index(bytes.len())?;
        match u.int_in_range(0..=3)? {
            0 => bytes[at] ^= 1 << u.int_in_range(0..=7)?,
            1 => bytes.insert(at, u.arbitrary()?),
            2 => {
                bytes.remove(at);
            }
            _ => bytes.truncate(at),
        }
    }
    Ok(bytes)
}

/// Manifest keys (DESIGN §5) for YAML trees.
const MANIFEST_WORDS: &[&str] = &[
    "version",
    "services",
    "kernel",
    "params",
    "inputs",
    "work_units",
    "profiles",
    "compute",
    "cpu",
    "memory",
    "gpu",
    "units",
    "models",
    "vendor",
    "model",
    "vram",
    "interface",
    "placement",
    "attributes",
    "signed_by",
    "all_of",
    "any_of",
    "pricing",
    "denom",
    "amount",
    "per",
    "deployment",
    "count",
    "profile",
    "image",
    "render-tiles",
    "matmul",
    "mlp-inference",
    "sha256-batch",
    "width",
    "height",
    "tile",
    "frames",
    "n",
    "seed",
    "sha256",
    "size",
    "hour",
    "utsr",
    "nvidia",
    "h100",
    "1.0",
    "storage",
    "spp",
];

/// A manifest-shaped YAML document, or one of the examples with a few bytes changed.
pub fn manifest(u: &mut Unstructured, examples: &[&str]) -> Result<String> {
    if u.ratio(1, 2)? {
        let example = u.choose(examples)?;
        let bytes = mutate(u, example.as_bytes().to_vec())?;
        return Ok(String::from_utf8_lossy(&bytes).into_owned());
    }
    fn tree(u: &mut Unstructured, depth: u32) -> Result<Value> {
        if depth == 0 || u.ratio(1, 3)? {
            return Ok(match u.int_in_range(0..=3)? {
                0 => Value::from(u.arbitrary::<u32>()?),
                1 => Value::String((*u.choose(MANIFEST_WORDS)?).to_string()),
                2 => Value::String(string_value(u)?),
                _ => Value::Bool(u.arbitrary()?),
            });
        }
        let mut map = Map::new();
        for _ in 0..u.int_in_range(0..=5)? {
            let key = (*u.choose(MANIFEST_WORDS)?).to_string();
            map.insert(key, tree(u, depth - 1)?);
        }
        Ok(Value::Object(map))
    }
    let doc = tree(u, 5)?;
    Ok(serde_yaml::to_string(&doc).unwrap_or_default())
}
