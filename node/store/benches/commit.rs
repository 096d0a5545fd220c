//! Commit throughput of the store: blocks of 1,000 writes (half new keys, half overwrites),
//! fsync'd one redb transaction per block, with pruning active once `keep_versions` is passed;
//! then point reads and proofs. Twice, side by side: with the node-hash cache and without.
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

/// One store's figures over the run.
struct Run {
    label: &'static str,
    store: Store,
    path: std::path::PathBuf,
    latencies: Vec<Duration>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo bench` passes `--bench`; nothing here takes arguments.
    let blocks: u64 = std::env::var("STORE_BENCH_BLOCKS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let dir = tempfile::tempdir()?;
    // The same blocks go to a store with the default node-hash cache and to one without,
    // alternating which goes first, so that both see the same machine (it is noisy).
    let mut runs = Vec::new();
    for (label, node_hash_cache) in [
        (
            "node-hash cache on (default)",
            StoreOptions::default().node_hash_cache,
        ),
        ("node-hash cache off", 0),
    ] {
        let path = dir.path().join(format!("bench-{node_hash_cache}.redb"));
        let options = StoreOptions {
            node_hash_cache,
            ..StoreOptions::default()
        };
        runs.push(Run {
            label,
            store: Store::open_with(&path, options)?,
            path,
            latencies: Vec::with_capacity(blocks as usize),
        });
    }

    let prepared: Vec<_> = (1..=blocks).map(block).collect();
    for (i, changes) in prepared.iter().enumerate() {
        let order: [usize; 2] = if i % 2 == 0 { [0, 1] } else { [1, 0] };
        for r in order {
            let run = &mut runs[r];
            let t = Instant::now();
            run.store.commit(i as u64 + 1, changes)?;
            run.latencies.push(t.elapsed());
        }
    }
    if runs[0].store.app_hash() != runs[1].store.app_hash() {
        return Err("the two stores disagree on the app hash".into());
    }

    for run in &mut runs {
        run.latencies.sort();
        let total: Duration = run.latencies.iter().sum();
        let pct = |p: usize| run.latencies[(run.latencies.len() - 1) * p / 100];
        let secs = total.as_secs_f64();
        println!("{}:", run.label);
        println!(
            "  commit: {blocks} blocks x {WRITES_PER_BLOCK} writes in {secs:.2} s: {:.1} commits/s, {:.0} keys/s",
            blocks as f64 / secs,
            (blocks * WRITES_PER_BLOCK) as f64 / secs
        );
        println!(
            "  commit latency: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; file {:.1} MiB",
            pct(50).as_secs_f64() * 1e3,
            pct(99).as_secs_f64() * 1e3,
            pct(100).as_secs_f64() * 1e3,
            std::fs::metadata(&run.path)?.len() as f64 / (1 << 20) as f64,
        );

        // Reads: point reads on a snapshot, and proofs at the latest version.
        let store = &run.store;
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
            "  reads: snapshot get {:.1} us; get_with_proof + verify {:.0} us",
            get * 1e6,
            prove * 1e6
        );
    }
    Ok(())
}
