#![doc = include_str!("../README.md")]

pub mod backend;
mod error;
pub mod inventory;
mod job;
pub mod nvrtc;
mod runner;
mod store;

pub use backend::cpu::CpuBackend;
pub use backend::cuda::CudaBackend;
pub use backend::{leaves_from_device, Backend, Computed, Meter, Prepared};
pub use error::{Result, RuntimeError};
pub use inventory::{GpuInfo, Inventory};
pub use job::{InputDecl, Job, JobSpec, MAX_OUTPUT_BYTES};
pub use runner::{JobReport, OutputFile, Progress, Runtime, UnitReport};
pub use store::{Hash, Store};
pub use tessera_kernels as kernels;
pub use tessera_kernels::params::{spec_of, ParamError, CATALOG};
