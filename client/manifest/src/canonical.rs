//! The canonical JSON of a manifest and its sha256, the hash the market stores.
//!
//! The document is the normalized manifest (every field present, units resolved, defaults
//! filled in) written the RFC 8785 (JCS) way: object keys sorted by their UTF-16 code units, no
//! whitespace, JCS string escaping. It holds no floats and only integers within ±(2^53 − 1), so
//! JCS number formatting reduces to plain decimal integers and any JCS library reproduces it.
//! docs/manifest.md spells the document out field by field.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use tessera_api::gpu::Resources;

use crate::model::{Input, Placement, Service};
use crate::schema::Document;

pub(crate) fn document(doc: &Document) -> Value {
    let services: Map<String, Value> = doc
        .services
        .iter()
        .map(|(name, service)| (name.clone(), self::service(service)))
        .collect();
    let compute: Map<String, Value> = doc
        .compute
        .iter()
        .map(|(name, resources)| (name.clone(), self::resources(resources)))
        .collect();
    let placement: Map<String, Value> = doc
        .placements
        .iter()
        .map(|(name, placement)| (name.clone(), self::placement(placement)))
        .collect();
    let deployment: Map<String, Value> = doc
        .deployment
        .iter()
        .map(|(service, placements)| {
            let placements: Map<String, Value> = placements
                .iter()
                .map(|(name, entry)| {
                    let entry = json!({ "profile": entry.profile, "count": entry.count });
                    (name.clone(), entry)
                })
                .collect();
            (service.clone(), Value::Object(placements))
        })
        .collect();
    json!({
        "version": doc.version,
        "services": services,
        "profiles": { "compute": compute, "placement": placement },
        "deployment": deployment,
    })
}

fn service(service: &Service) -> Value {
    let inputs: Vec<Value> = service.inputs.iter().map(input).collect();
    json!({
        "kernel": service.kernel,
        "params": service.params,
        "inputs": inputs,
        "work_units": service.work_units,
    })
}

fn input(input: &Input) -> Value {
    json!({
        "name": input.name,
        "sha256": input.sha256,
        "url": input.url,
        "size": input.size,
    })
}

fn resources(resources: &Resources) -> Value {
    let models: Vec<Value> = resources
        .gpu
        .models
        .iter()
        .map(|m| {
            json!({
                "vendor": m.vendor,
                "model": m.model,
                "vram_mib": m.vram_mib,
                "interface": m.interface,
            })
        })
        .collect();
    json!({
        "cpu_millis": resources.cpu_millis,
        "memory_mib": resources.memory_mib,
        "storage_mib": resources.storage_mib,
        "gpu": { "units": resources.gpu.units, "models": models },
    })
}

fn placement(placement: &Placement) -> Value {
    let pricing: Map<String, Value> = placement
        .pricing
        .iter()
        .map(|(profile, price)| {
            let price = json!({
                // A string: amounts are Uint128 and may exceed what a JSON number holds exactly.
                "amount": price.amount.to_string(),
                "denom": price.denom,
                "per": price.per.as_str(),
            });
            (profile.clone(), price)
        })
        .collect();
    json!({
        "attributes": placement.attributes,
        "signed_by": {
            "all_of": placement.signed_by.all_of,
            "any_of": placement.signed_by.any_of,
        },
        "pricing": pricing,
    })
}

/// Writes `value` canonically. Sorting happens here rather than relying on serde_json's map
/// order, which another crate in the build could switch to insertion order (`preserve_order`).
pub(crate) fn write(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        // Integers only (floats are refused when reading): their decimal form is canonical.
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write(item, out);
            }
            out.push('}');
        }
    }
}

/// JCS string escaping: `"` and `\` escaped, the five short control escapes, other control
/// characters as `\u00xx` in lowercase hex, everything else (non-ASCII included) as is.
fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

pub(crate) fn canonical_json(doc: &Document) -> String {
    let mut out = String::new();
    write(&document(doc), &mut out);
    out
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(value: &Value) -> String {
        let mut out = String::new();
        write(value, &mut out);
        out
    }

    #[test]
    fn keys_sort_by_utf16_code_units_without_whitespace() {
        // U+1F600 (surrogates 0xD83D 0xDE00) sorts before U+FF61 in UTF-16, after it in UTF-8.
        let value = json!({ "b": 1, "a": [true, null], "\u{1F600}": 2, "\u{FF61}": 3, "A": -4 });
        assert_eq!(
            canonical(&value),
            "{\"A\":-4,\"a\":[true,null],\"b\":1,\"\u{1F600}\":2,\"\u{FF61}\":3}"
        );
    }

    #[test]
    fn strings_escape_like_jcs() {
        let value = json!("q\"b\\\u{8}\t\n\u{c}\r\u{1}\u{1f}\u{7f}é/");
        assert_eq!(
            canonical(&value),
            "\"q\\\"b\\\\\\b\\t\\n\\f\\r\\u0001\\u001f\u{7f}é/\""
        );
    }
}
