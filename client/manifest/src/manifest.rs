//! A parsed, checked manifest and what the CLI and the provider ask of it.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use tessera_api::gpu::Resources;

use crate::canonical;
use crate::check;
use crate::error::{HashMismatch, ManifestErrors};
use crate::limits::MAX_SOURCE_BYTES;
use crate::model::{DeploymentEntry, DeploymentPlan, Placement, Service};
use crate::plan;
use crate::schema::{self, Document};
use crate::walk::Cx;
use crate::yaml::{self, Mark};

/// A deployment manifest that passed every check: its groups are what the market accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    doc: Document,
    plan: DeploymentPlan,
}

impl Manifest {
    /// Parses and checks a manifest. `origin` names the source in errors (a path, `<stdin>`).
    /// Every problem found is reported, each with its line, column and field path.
    pub fn parse(src: &str, origin: &str) -> Result<Manifest, ManifestErrors> {
        if src.len() > MAX_SOURCE_BYTES {
            return Err(ManifestErrors::whole_file(
                origin,
                format!(
                    "the manifest is {} bytes, max {MAX_SOURCE_BYTES}",
                    src.len()
                ),
            ));
        }
        let loaded = yaml::load(src);
        let mut cx = Cx::new(loaded.problems);
        let Some(root) = loaded.root else {
            if !cx.has_errors() {
                cx.error(
                    Mark::START,
                    "",
                    "the manifest is empty; it needs version, services, profiles and deployment",
                );
            }
            return Err(ManifestErrors::new(origin, cx.errors));
        };
        let doc = schema::read(&mut cx, &root);
        check::cross_references(&mut cx, &doc);
        if cx.has_errors() {
            return Err(ManifestErrors::new(origin, cx.errors));
        }
        let plan = plan::plan(&mut cx, &doc);
        if cx.has_errors() {
            return Err(ManifestErrors::new(origin, cx.errors));
        }
        Ok(Manifest { doc, plan })
    }

    /// Reads and parses a manifest file; the path names it in errors, read failures included.
    pub fn from_file(path: &Path) -> Result<Manifest, ManifestErrors> {
        let origin = path.display().to_string();
        let cannot_read = |e: std::io::Error| {
            ManifestErrors::whole_file(&origin, format!("cannot read the manifest: {e}"))
        };
        let file = File::open(path).map_err(cannot_read)?;
        let mut src = String::new();
        // One byte over the limit is enough for `parse` to refuse it; don't read a huge file.
        file.take(MAX_SOURCE_BYTES as u64 + 1)
            .read_to_string(&mut src)
            .map_err(cannot_read)?;
        Self::parse(&src, &origin)
    }

    /// The normalized manifest as canonical JSON (see docs/manifest.md): what the hash covers.
    pub fn canonical_json(&self) -> String {
        canonical::canonical_json(&self.doc)
    }

    /// sha256 of the canonical JSON, 64 lowercase hex characters: the market's `manifest_hash`.
    pub fn hash_hex(&self) -> String {
        canonical::sha256_hex(self.canonical_json().as_bytes())
    }

    /// Checks that the manifest hashes to `expected` (e.g. the hash stored on chain).
    pub fn verify_hash(&self, expected: &str) -> Result<(), HashMismatch> {
        let actual = self.hash_hex();
        if actual == expected {
            Ok(())
        } else {
            Err(HashMismatch {
                expected: expected.to_string(),
                actual,
            })
        }
    }

    /// The market groups the manifest asks for, their denom and total max price per hour.
    pub fn plan(&self) -> DeploymentPlan {
        self.plan.clone()
    }

    pub fn version(&self) -> &str {
        &self.doc.version
    }

    /// Services by name.
    pub fn services(&self) -> &BTreeMap<String, Service> {
        &self.doc.services
    }

    pub fn service(&self, name: &str) -> Option<&Service> {
        self.doc.services.get(name)
    }

    /// Work units of all services together.
    pub fn total_work_units(&self) -> u64 {
        // Bounded by MAX_SERVICES × MAX_WORK_UNITS, far from overflowing.
        self.doc.services.values().map(|s| s.work_units).sum()
    }

    /// Compute profiles by name, as the resources a group asks for per instance.
    pub fn compute_profiles(&self) -> &BTreeMap<String, Resources> {
        &self.doc.compute
    }

    /// Placement profiles by name.
    pub fn placements(&self) -> &BTreeMap<String, Placement> {
        &self.doc.placements
    }

    /// `deployment`: service name → placement name → entry.
    pub fn deployment(&self) -> &BTreeMap<String, BTreeMap<String, DeploymentEntry>> {
        &self.doc.deployment
    }

    /// The service a market group (named `<service>.<placement>`) runs: what a provider that
    /// won the group's lease executes.
    pub fn service_for_group(&self, group: &str) -> Option<(&str, &Service)> {
        let (service, placement) = group.split_once('.')?;
        self.doc
            .deployment
            .get(service)
            .filter(|placements| placements.contains_key(placement))?;
        self.doc
            .services
            .get_key_value(service)
            .map(|(name, service)| (name.as_str(), service))
    }
}
