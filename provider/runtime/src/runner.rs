//! Running a job unit by unit: leaf hashes per unit, the RFC 6962 root over all leaves, the
//! assembled files, metering, progress and cancellation between units.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use tessera_api::merkle;

use crate::backend::{Backend, Meter, Prepared};
use crate::error::{Result, RuntimeError};
use crate::job::Job;
use crate::store::{Hash, Store};

/// One finished unit, as `WatchLease` streams it.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub unit: u64,
    pub units_done: u64,
    pub units_total: u64,
    /// Seconds the unit was metered for (see [`JobReport::meter`]).
    pub seconds: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UnitReport {
    pub unit: u64,
    /// Index of the unit's first leaf in the job's tree.
    pub first_leaf: u64,
    /// `merkle::leaf_hash` of each of the unit's leaves, in order.
    pub leaf_hashes: Vec<Hash>,
    /// The unit's leaves, concatenated, in the store (leaf sizes follow from the params).
    pub object: Hash,
    pub seconds: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutputFile {
    pub name: String,
    pub sha256: Hash,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JobReport {
    pub kernel: &'static str,
    pub backend: &'static str,
    pub meter: Meter,
    pub leaf_count: u64,
    /// The RFC 6962 root over every leaf: what the provider attests on chain.
    pub root: Hash,
    pub units: Vec<UnitReport>,
    /// The assembled files, in the store.
    pub files: Vec<OutputFile>,
    /// Sum of the units' metered seconds.
    pub seconds: f64,
    /// Wall-clock seconds of the whole run, setup and assembly included.
    pub wall_seconds: f64,
}

/// The runtime of one data dir.
#[derive(Debug, Clone)]
pub struct Runtime {
    store: Store,
}

impl Runtime {
    pub fn new(data_dir: &Path) -> Result<Runtime> {
        Ok(Runtime {
            store: Store::open(data_dir)?,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Runs one unit on a prepared job; returns its report and its leaves.
    pub fn run_unit(
        &self,
        job: &Job,
        prepared: &mut dyn Prepared,
        unit: u64,
    ) -> Result<(UnitReport, Vec<Vec<u8>>)> {
        let range = job.unit_leaves(unit)?;
        let computed = prepared.run(range.clone())?;
        let leaf_hashes: Vec<Hash> = computed
            .leaves
            .iter()
            .map(|l| merkle::leaf_hash(l))
            .collect();
        let object = self.store.put(&computed.leaves.concat())?;
        tracing::debug!(
            unit,
            first_leaf = range.start,
            leaves = leaf_hashes.len(),
            seconds = computed.seconds,
            "unit done"
        );
        let report = UnitReport {
            unit,
            first_leaf: range.start,
            leaf_hashes,
            object,
            seconds: computed.seconds,
        };
        Ok((report, computed.leaves))
    }

    /// Runs every unit in order on `backend`, checking `cancel` between units and calling
    /// `progress` after each, then assembles and stores the output files.
    pub fn run_job(
        &self,
        backend: &dyn Backend,
        job: &Job,
        cancel: &AtomicBool,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<JobReport> {
        let started = Instant::now();
        let mut prepared = backend.prepare(job)?;
        let total = job.work_units();
        let mut units = Vec::with_capacity(total as usize);
        let mut leaves = Vec::with_capacity(job.leaf_count() as usize);
        for unit in 0..total {
            if cancel.load(Ordering::Relaxed) {
                return Err(RuntimeError::Cancelled { done: unit, total });
            }
            let (report, unit_leaves) = self.run_unit(job, prepared.as_mut(), unit)?;
            progress(&Progress {
                unit,
                units_done: unit + 1,
                units_total: total,
                seconds: report.seconds,
            });
            units.push(report);
            leaves.extend(unit_leaves);
        }
        let hashes: Vec<Hash> = units
            .iter()
            .flat_map(|u| u.leaf_hashes.iter().copied())
            .collect();
        let root = merkle::root(&hashes);
        let refs: Vec<&[u8]> = leaves.iter().map(|l| l.as_slice()).collect();
        let mut files = Vec::new();
        for (name, bytes) in job.spec().assemble(&refs)? {
            let sha256 = self.store.put(&bytes)?;
            files.push(OutputFile {
                name,
                sha256,
                size: bytes.len() as u64,
            });
        }
        let seconds = units.iter().map(|u| u.seconds).sum();
        Ok(JobReport {
            kernel: job.spec().kernel(),
            backend: backend.name(),
            meter: backend.meter(),
            leaf_count: hashes.len() as u64,
            root,
            units,
            files,
            seconds,
            wall_seconds: started.elapsed().as_secs_f64(),
        })
    }
}
