//! One module per command group.

pub mod bank;
pub mod deployment;
pub mod gov;
pub mod job;
pub mod keys;
pub mod lease;
pub mod lease_run;
pub mod manifest;
pub mod market;
pub mod provider;
pub mod sample_check;
