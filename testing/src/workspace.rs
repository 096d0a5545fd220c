//! The checkout the tests run in, and the contracts built into it.

use std::path::{Path, PathBuf};

/// The checkout's root, found at run time from the package cargo is testing: with a target dir
/// shared between checkouts, a compile-time path would name whichever checkout built the test
/// binary. The root is the nearest ancestor holding `chain-config/`.
pub fn root() -> PathBuf {
    let package = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR: run by cargo"),
    );
    package
        .ancestors()
        .find(|dir| dir.join("chain-config").is_dir())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| panic!("no chain-config/ above {}", package.display()))
}

/// The built contracts.
pub fn artifacts() -> PathBuf {
    root().join("artifacts")
}

/// The contract `name`'s wasm from `artifacts/`, or a panic that says how to build it.
pub fn wasm(name: &str) -> Vec<u8> {
    let path = artifacts().join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}): run scripts/build-contracts.sh to build the contracts first",
            path.display()
        )
    })
}
