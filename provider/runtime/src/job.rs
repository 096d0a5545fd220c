//! A job as the runtime runs it: the manifest service's kernel, params, inputs and work units,
//! checked once up front so that running a unit cannot fail on the job's own terms.

use std::collections::BTreeMap;
use std::ops::Range;

use serde_json::Value;
use sha2::{Digest, Sha256};
use tessera_kernels::Spec;

use crate::error::{Result, RuntimeError};
use tessera_kernels::params::ParamError;

/// The most output one job may produce (4 GiB): the runner holds a job's leaves in memory to
/// assemble its files.
pub const MAX_OUTPUT_BYTES: u64 = 4 << 30;

/// An input file as the manifest declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputDecl {
    pub name: String,
    /// 64 lowercase hex characters.
    pub sha256: String,
}

/// One manifest service, as the provider received it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSpec {
    pub kernel: String,
    pub params: Value,
    pub inputs: Vec<InputDecl>,
    pub work_units: u64,
}

/// A checked job: params valid, its input present with the declared sha256, work units within
/// the leaf count.
#[derive(Debug, Clone)]
pub struct Job {
    spec: Spec,
    input: Vec<u8>,
    work_units: u64,
    leaf_count: u64,
}

impl Job {
    /// Checks `spec` and takes the input file the kernel names from `provided` (file name →
    /// content), verifying its sha256 against the manifest's.
    pub fn new(spec: &JobSpec, provided: &BTreeMap<String, Vec<u8>>) -> Result<Job> {
        let parsed = tessera_kernels::params::parse(&spec.kernel, &spec.params)?;
        let input = match parsed.input {
            None => Vec::new(),
            Some(name) => {
                let decl = spec
                    .inputs
                    .iter()
                    .find(|d| d.name == name)
                    .ok_or_else(|| RuntimeError::InputNotDeclared { name: name.clone() })?;
                let bytes = provided
                    .get(&name)
                    .ok_or_else(|| RuntimeError::InputMissing { name: name.clone() })?;
                let got = hex::encode(Sha256::digest(bytes));
                if !got.eq_ignore_ascii_case(&decl.sha256) {
                    return Err(RuntimeError::InputHash {
                        name,
                        expected: decl.sha256.clone(),
                        got,
                    });
                }
                bytes.clone()
            }
        };
        if let Spec::Mlp(p) = &parsed.spec {
            // The weights must fit the layers now, not halfway through the job.
            p.model(&input)?;
        }
        let bytes = parsed.spec.leaves_bytes();
        if bytes > MAX_OUTPUT_BYTES {
            return Err(ParamError::new(
                "",
                format!("a job whose output is at most {MAX_OUTPUT_BYTES} bytes"),
                format!("{bytes} bytes of output"),
            )
            .into());
        }
        let leaf_count = parsed.spec.leaf_count();
        if spec.work_units == 0 || spec.work_units > leaf_count {
            return Err(RuntimeError::WorkUnits {
                got: spec.work_units,
                leaves: leaf_count,
            });
        }
        Ok(Job {
            spec: parsed.spec,
            input,
            work_units: spec.work_units,
            leaf_count,
        })
    }

    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// The kernel's input file (`mlp-inference`'s weights), empty when it reads none.
    pub fn input(&self) -> &[u8] {
        &self.input
    }

    pub fn work_units(&self) -> u64 {
        self.work_units
    }

    pub fn leaf_count(&self) -> u64 {
        self.leaf_count
    }

    /// The leaves of work unit `unit`.
    pub fn unit_leaves(&self, unit: u64) -> Result<Range<u64>> {
        tessera_kernels::unit_leaves(self.leaf_count, self.work_units, unit).ok_or(
            RuntimeError::UnitOutOfRange {
                unit,
                units: self.work_units,
            },
        )
    }

    /// Recomputes one leaf with the reference, as a verifier would.
    pub fn reference_leaf(&self, leaf: u64) -> Result<Vec<u8>> {
        Ok(self.spec.leaf(leaf, &self.input)?)
    }
}
