//! Compiles the Cosmos SDK and wasmd `.proto` files of the services tesserad serves into a
//! file descriptor set for gRPC server reflection (`OUT_DIR/cosmos_descriptors.bin`).
//!
//! The sources come from Go's module cache (`proto-deps.txt` pins the modules;
//! `scripts/setup.sh` downloads them). Without them the node builds without reflection and
//! says so: a warning here and a log line at start.

use std::path::PathBuf;
use std::process::Command;

/// The files whose services are served (their imports are compiled with them).
const SERVICES: &[&str] = &[
    "cosmos/auth/v1beta1/query.proto",
    "cosmos/bank/v1beta1/query.proto",
    "cosmos/tx/v1beta1/service.proto",
    "cosmos/base/tendermint/v1beta1/query.proto",
    "cosmos/consensus/v1/query.proto",
    "cosmwasm/wasm/v1/query.proto",
];

fn main() {
    println!("cargo:rerun-if-changed=proto-deps.txt");
    println!("cargo:rerun-if-env-changed=TESSERA_PROTO_INCLUDE");
    println!("cargo:rerun-if-env-changed=GOMODCACHE");
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR")).join("cosmos_descriptors.bin");
    let bytes = match includes().and_then(|dirs| compile(&dirs)) {
        Ok(bytes) => bytes,
        Err(why) => {
            println!("cargo:warning=tesserad builds without gRPC reflection: {why} (run scripts/setup.sh)");
            Vec::new()
        }
    };
    std::fs::write(&out, bytes).expect("write the descriptor set");
}

/// Include directories: `TESSERA_PROTO_INCLUDE` (colon separated), or the pinned modules in
/// Go's module cache.
fn includes() -> Result<Vec<PathBuf>, String> {
    if let Some(dirs) = std::env::var_os("TESSERA_PROTO_INCLUDE") {
        return Ok(std::env::split_paths(&dirs).collect());
    }
    let cache = match std::env::var_os("GOMODCACHE") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let out = Command::new("go")
                .args(["env", "GOMODCACHE"])
                .output()
                .map_err(|e| format!("go env GOMODCACHE: {e}"))?;
            PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
        }
    };
    let deps =
        std::fs::read_to_string("proto-deps.txt").map_err(|e| format!("proto-deps.txt: {e}"))?;
    deps.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [module, version, sub] = fields[..] else {
                return Err(format!("proto-deps.txt: bad line {line:?}"));
            };
            let dir = cache
                .join(format!("{}@{version}", escape_module(module)))
                .join(sub);
            if dir.is_dir() {
                Ok(dir)
            } else {
                Err(format!(
                    "{module}@{version} is not in the Go module cache ({})",
                    dir.display()
                ))
            }
        })
        .collect()
}

/// Go's module cache path escaping: an upper-case letter becomes `!` and its lower case.
fn escape_module(module: &str) -> String {
    module
        .chars()
        .flat_map(|c| {
            if c.is_ascii_uppercase() {
                vec!['!', c.to_ascii_lowercase()]
            } else {
                vec![c]
            }
        })
        .collect()
}

fn compile(includes: &[PathBuf]) -> Result<Vec<u8>, String> {
    use prost::Message as _;
    let set =
        protox::compile(SERVICES, includes).map_err(|e| format!("compiling the protos: {e}"))?;
    Ok(set.encode_to_vec())
}
