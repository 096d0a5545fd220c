//! `tessera manifest check|hash`: validate a manifest offline, print its hash and groups.

use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;
use serde_json::json;

use crate::cmd::deployment::load_manifest;
use crate::context::Context;

#[derive(Subcommand, Debug)]
pub enum ManifestCmd {
    /// Validate a manifest; print its hash, denom and the groups it asks for
    #[command(after_help = "Example:\n  tessera manifest check examples/render.yaml")]
    Check { manifest: PathBuf },
    /// Print the manifest's sha256 hash (what the market stores)
    Hash { manifest: PathBuf },
    /// Print the canonical JSON the hash is taken over
    Canonical { manifest: PathBuf },
}

pub fn run(ctx: &Context, cmd: ManifestCmd) -> Result<()> {
    match cmd {
        ManifestCmd::Check { manifest: path } => {
            let manifest = load_manifest(&path)?;
            let plan = manifest.plan();
            ctx.out.either(
                &json!({
                    "manifest": path,
                    "hash": manifest.hash_hex(),
                    "denom": plan.denom,
                    "max_price_per_hour": plan.max_price_per_hour,
                    "groups": plan.groups,
                }),
                || {
                    let mut lines = vec![
                        format!("{}: valid", path.display()),
                        format!("hash: {}", manifest.hash_hex()),
                        format!(
                            "at most {}{} per hour for {} group(s):",
                            plan.max_price_per_hour,
                            plan.denom,
                            plan.groups.len()
                        ),
                    ];
                    for g in &plan.groups {
                        lines.push(format!(
                            "  {}: {} × ({} mCPU, {} MiB, {} GPU) max {}{}/h",
                            g.name,
                            g.count,
                            g.resources.cpu_millis,
                            g.resources.memory_mib,
                            g.resources.gpu.units,
                            g.max_price,
                            plan.denom
                        ));
                    }
                    lines.join("\n")
                },
            );
        }
        ManifestCmd::Hash { manifest } => {
            let manifest = load_manifest(&manifest)?;
            ctx.out.either(&json!({ "hash": manifest.hash_hex() }), || {
                manifest.hash_hex()
            });
        }
        ManifestCmd::Canonical { manifest } => {
            println!("{}", load_manifest(&manifest)?.canonical_json());
        }
    }
    Ok(())
}
