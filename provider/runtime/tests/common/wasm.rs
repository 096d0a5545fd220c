//! The wasm32 build of tessera-kernels (feature `wasm-abi`), run in the wasmi interpreter: what a
//! contract refereeing a dispute would execute. Shared by tests/wasm_leaf.rs and the bench.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tessera_runtime::kernels::Spec;

/// Builds the reference crate as a wasm32 cdylib (release) into `target_dir`; returns the file.
/// `Ok(None)` when the wasm32 target is not installed and missing tools may be skipped.
pub fn build(target_dir: &Path) -> anyhow::Result<Option<PathBuf>> {
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()?;
    let sysroot = PathBuf::from(String::from_utf8(sysroot.stdout)?.trim());
    if !sysroot.join("lib/rustlib/wasm32-unknown-unknown").exists() {
        if super::in_ci() {
            bail!(
                "the wasm32-unknown-unknown target is missing under CI=true: run scripts/setup.sh"
            );
        }
        println!("SKIP: the wasm32-unknown-unknown target is not installed (rustup target add wasm32-unknown-unknown)");
        return Ok(None);
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(env!("CARGO"))
        .current_dir(&workspace)
        .args([
            "rustc",
            "-p",
            "tessera-kernels",
            "--release",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .args([
            "--features",
            "wasm-abi",
            "--crate-type",
            "cdylib",
            "--target-dir",
        ])
        .arg(target_dir)
        .output()
        .context("running cargo for the wasm build")?;
    if !out.status.success() {
        bail!(
            "wasm build failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(Some(target_dir.join(
        "wasm32-unknown-unknown/release/tessera_kernels.wasm",
    )))
}

/// One instance of the module, with fuel metering (wasmi charges about one unit per
/// instruction).
pub struct Referee {
    store: wasmi::Store<()>,
    memory: wasmi::Memory,
    alloc: wasmi::TypedFunc<u32, u32>,
    leaf: wasmi::TypedFunc<(u32, u32, u32, u32, u64), u32>,
    out_ptr: wasmi::TypedFunc<(), u32>,
    out_len: wasmi::TypedFunc<(), u32>,
}

/// A leaf computed in wasm, and what it cost.
pub struct WasmLeaf {
    pub bytes: Vec<u8>,
    pub fuel: u64,
    pub time: Duration,
}

impl Referee {
    pub fn new(wasm: &[u8]) -> anyhow::Result<Referee> {
        let mut config = wasmi::Config::default();
        config.consume_fuel(true);
        let engine = wasmi::Engine::new(&config);
        let module = wasmi::Module::new(&engine, wasm)?;
        let mut store = wasmi::Store::new(&engine, ());
        store.set_fuel(u64::MAX)?;
        let linker = wasmi::Linker::<()>::new(&engine);
        let instance = linker.instantiate(&mut store, &module)?.start(&mut store)?;
        let memory = instance
            .get_memory(&store, "memory")
            .context("no exported memory")?;
        Ok(Referee {
            alloc: instance.get_typed_func(&store, "tk_alloc")?,
            leaf: instance.get_typed_func(&store, "tk_leaf")?,
            out_ptr: instance.get_typed_func(&store, "tk_out_ptr")?,
            out_len: instance.get_typed_func(&store, "tk_out_len")?,
            memory,
            store,
        })
    }

    fn put(&mut self, bytes: &[u8]) -> anyhow::Result<u32> {
        let ptr = self.alloc.call(&mut self.store, bytes.len() as u32)?;
        self.memory.write(&mut self.store, ptr as usize, bytes)?;
        Ok(ptr)
    }

    /// Leaf `leaf` of `spec` (with the job's input file), computed inside the module.
    pub fn leaf(&mut self, spec: &Spec, input: &[u8], leaf: u64) -> anyhow::Result<WasmLeaf> {
        let words: Vec<u8> = spec
            .to_words()
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        let (wp, ip) = (self.put(&words)?, self.put(input)?);
        let fuel = self.store.get_fuel()?;
        let started = Instant::now();
        let status = self.leaf.call(
            &mut self.store,
            (wp, (words.len() / 8) as u32, ip, input.len() as u32, leaf),
        )?;
        let time = started.elapsed();
        let fuel = fuel - self.store.get_fuel()?;
        if status != 0 {
            bail!("the wasm module refused leaf {leaf} of {spec:?}");
        }
        let (ptr, len) = (
            self.out_ptr.call(&mut self.store, ())?,
            self.out_len.call(&mut self.store, ())?,
        );
        let mut bytes = vec![0u8; len as usize];
        self.memory.read(&self.store, ptr as usize, &mut bytes)?;
        Ok(WasmLeaf { bytes, fuel, time })
    }
}
