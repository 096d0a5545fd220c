//! Commit throughput of the store: blocks of 1,000 writes (half new keys, half overwrites),
//! fsync'd one redb transaction per block, with pruning active once `keep_versions` is passed.
//!
//! `cargo bench -p tessera-store` (`STORE_BENCH_BLOCKS=n` to change the 300 blocks).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use tessera_store::{verify_proof, StateRead, Store, StoreOptions};

const WRITES_PER_BLOCK: u64 = 1_000;

fn block(v: u64) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
    (0..WRITES_PER_BLOCK)
        .map(|i| {
            // Even i: a key new in this block; odd i: mostly an overwrite of an earlier key.
            let n = if i.is_multiple_of(2) {
                v * WRITES_PER_BLOCK + i
            } else {
                (v * 7919 + i * 104_729) % (v * WRITES_PER_BLOCK)
            };
            let key = format!("wasm/contract/state/{n:012}").into_bytes();
            (
                key,
                Some(format!("{v}:{i}:{}", "x".repeat(64)).into_bytes()),
            )
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo bench` passes `--bench`; nothing here takes arguments.
    let blocks: u64 = std::env::var("STORE_BENCH_BLOCKS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bench.redb");
    let store = Store::open_with(&path, StoreOptions::default())?;

    let prepared: Vec<_> = (1..=blocks).map(block).collect();
    let mut latencies: Vec<Duration> = Vec::with_capacity(prepared.len());
    let start = Instant::now();
    for (i, changes) in prepared.iter().enumerate() {
        let t = Instant::now();
        store.commit(i as u64 + 1, changes)?;
        latencies.push(t.elapsed());
    }
    let total = start.elapsed();
    latencies.sort();
    let pct = |p: usize| latencies[(latencies.len() - 1) * p / 100];

    let secs = total.as_secs_f64();
    println!(
        "commit: {blocks} blocks x {WRITES_PER_BLOCK} writes in {secs:.2} s: {:.1} commits/s, {:.0} keys/s",
        blocks as f64 / secs,
        (blocks * WRITES_PER_BLOCK) as f64 / secs
    );
    println!(
        "commit latency: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; file {:.1} MiB",
        pct(50).as_secs_f64() * 1e3,
        pct(99).as_secs_f64() * 1e3,
        pct(100).as_secs_f64() * 1e3,
        std::fs::metadata(&path)?.len() as f64 / (1 << 20) as f64,
    );

    // Reads: point reads on a snapshot, and proofs at the latest version.
    let snap = store.snapshot()?;
    let n = 10_000u64;
    let t = Instant::now();
    for i in 0..n {
        let key = format!(
            "wasm/contract/state/{:012}",
            (i * 104_729) % (blocks * 1000)
        );
        std::hint::black_box(snap.get(key.as_bytes())?);
    }
    let get = t.elapsed().as_secs_f64() / n as f64;
    let root = store.app_hash();
    let n = 500u64;
    let t = Instant::now();
    for i in 0..n {
        let key = format!("wasm/contract/state/{:012}", (i * 7919) % (blocks * 1000));
        let (value, proof) = store.get_with_proof(blocks, key.as_bytes())?;
        if !verify_proof(&root, key.as_bytes(), value.as_deref(), &proof) {
            return Err("a proof did not verify".into());
        }
    }
    let prove = t.elapsed().as_secs_f64() / n as f64;
    println!(
        "reads: snapshot get {:.1} us; get_with_proof + verify {:.0} us",
        get * 1e6,
        prove * 1e6
    );
    Ok(())
}
