//! Parsers for command-line values that `clap` hands over as text.

use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;
use tessera_api::{Attribute, GpuSpec};
use tessera_client::node::TxOutcome;

use crate::output::Output;

/// `key=value`.
pub fn attribute(text: &str) -> Result<Attribute> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| anyhow!("attribute {text:?}: write key=value, e.g. region=eu-west"))?;
    Ok(Attribute::new(key.trim(), value.trim()))
}

/// `vendor:model:vram_mib:count[:interface]`, e.g. `nvidia:a100:40960:4:sxm`.
pub fn gpu(text: &str) -> Result<GpuSpec> {
    let fields: Vec<&str> = text.split(':').collect();
    if !(4..=5).contains(&fields.len()) {
        bail!(
            "gpu {text:?}: write vendor:model:vram_mib:count[:interface], e.g. nvidia:a100:40960:4"
        );
    }
    Ok(GpuSpec {
        vendor: fields[0].to_string(),
        model: fields[1].to_string(),
        vram_mib: fields[2].parse().with_context(|| {
            format!("gpu {text:?}: VRAM {:?} is not a number of MiB", fields[2])
        })?,
        count: fields[3]
            .parse()
            .with_context(|| format!("gpu {text:?}: count {:?} is not a number", fields[3]))?,
        interface: fields.get(4).map(|s| s.to_string()),
    })
}

/// A whole amount in base units, e.g. `900000`.
pub fn uint128(text: &str) -> Result<cosmwasm_std::Uint128, String> {
    text.parse::<u128>()
        .map(Into::into)
        .map_err(|_| format!("{text:?} is not a whole number of base units"))
}

/// A decimal such as `1.3`.
pub fn decimal(text: &str) -> Result<cosmwasm_std::Decimal, String> {
    text.parse()
        .map_err(|_| format!("{text:?} is not a decimal number such as 1.3"))
}

/// What a committed tx prints: its hash, height and gas, plus a line of what it did.
#[derive(Serialize)]
pub struct TxSummary<'a, T: Serialize> {
    pub txhash: &'a str,
    pub height: u64,
    pub gas_wanted: u64,
    pub gas_used: u64,
    #[serde(flatten)]
    pub result: T,
}

pub fn print_tx<T: Serialize>(out: &Output, outcome: &TxOutcome, result: T, what: String) {
    let summary = TxSummary {
        txhash: &outcome.hash,
        height: outcome.height,
        gas_wanted: outcome.gas_wanted,
        gas_used: outcome.gas_used,
        result,
    };
    out.either(&summary, || {
        format!(
            "{what}\ntxhash: {}\nheight: {}\ngas: {} used of {}",
            outcome.hash, outcome.height, outcome.gas_used, outcome.gas_wanted
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_and_gpus_parse_or_say_how_to_write_them() {
        assert_eq!(
            attribute("region=eu-west").unwrap(),
            Attribute::new("region", "eu-west")
        );
        assert!(attribute("region")
            .unwrap_err()
            .to_string()
            .contains("key=value"));
        let g = gpu("nvidia:a100:40960:4:sxm").unwrap();
        assert_eq!(
            (g.vram_mib, g.count, g.interface.as_deref()),
            (40960, 4, Some("sxm"))
        );
        assert!(gpu("nvidia:a100")
            .unwrap_err()
            .to_string()
            .contains("vendor:model"));
        assert!(gpu("nvidia:a100:40G:4")
            .unwrap_err()
            .to_string()
            .contains("MiB"));
    }
}
