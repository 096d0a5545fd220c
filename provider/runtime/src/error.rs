//! The runtime's errors: each names what was wrong, where, and what was expected.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// An unknown kernel, or a manifest `params` field that is missing, of the wrong type, or out
    /// of range.
    #[error("{0}")]
    Params(#[from] tessera_kernels::params::ParamError),
    #[error("work_units: expected 1..={leaves} (the job has {leaves} leaves), got {got}")]
    WorkUnits { got: u64, leaves: u64 },
    #[error("unit {unit} is out of range: the job has {units} work units")]
    UnitOutOfRange { unit: u64, units: u64 },
    #[error("input {name:?} is not in the manifest's inputs")]
    InputNotDeclared { name: String },
    #[error("input {name:?} was not provided")]
    InputMissing { name: String },
    #[error("input {name:?} has sha256 {got}, the manifest says {expected}")]
    InputHash {
        name: String,
        expected: String,
        got: String,
    },
    #[error("{0}")]
    Reference(#[from] tessera_kernels::Error),
    #[error("the job was cancelled after {done} of {total} units")]
    Cancelled { done: u64, total: u64 },
    #[error("no CUDA device: {0}")]
    NoCuda(String),
    #[error("NVRTC: {0}")]
    Nvrtc(String),
    #[error("CUDA: {0}")]
    Cuda(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl RuntimeError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        RuntimeError::Io {
            path: path.into(),
            source,
        }
    }
}

impl From<cudarc::driver::DriverError> for RuntimeError {
    fn from(e: cudarc::driver::DriverError) -> Self {
        RuntimeError::Cuda(e.to_string())
    }
}

pub type Result<T, E = RuntimeError> = std::result::Result<T, E>;
