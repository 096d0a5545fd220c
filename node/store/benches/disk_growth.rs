//! Disk growth under a long mixed load with pruning on: 10,000 blocks, each inserting new keys,
//! overwriting live ones and deleting some, with the default `keep_versions` (100). Every 1,000
//! blocks it prints the file's size beside what the store must hold:
//!
//! - live: the bytes (key + value) of the latest state;
//! - kept changes: the bytes (key + value) written by the kept versions (their values stay
//!   readable by `get_at` and proofs);
//! - allocated: the pages redb has in use (the file grows ahead of them in large steps and
//!   reuses freed pages first; the file's length is printed too);
//! - ratio: allocated ÷ (live + kept changes).
//!
//! `cargo bench -p tessera-store --bench disk_growth` (`DISK_BENCH_BLOCKS=n` for another length).

use std::collections::{BTreeMap, VecDeque};

use tessera_store::{Store, StoreOptions, DEFAULT_KEEP_VERSIONS};

const INSERTS: u64 = 60;
const OVERWRITES: u64 = 100;
const DELETES: u64 = 40;

/// A small deterministic generator (xorshift), so that runs compare.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn key(n: u64) -> Vec<u8> {
    format!("wasm/c/market/orders/{n:012}").into_bytes()
}

/// Values of 40 to 400 bytes, as the contracts' records are.
fn value(rng: &mut Rng, version: u64) -> Vec<u8> {
    let len = 40 + (rng.next() % 361) as usize;
    let mut v = format!("{version}:").into_bytes();
    v.resize(len, b'x');
    v
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let blocks: u64 = std::env::var("DISK_BENCH_BLOCKS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("growth.redb");
    let store = Store::open_with(&path, StoreOptions::default())?;
    let keep = DEFAULT_KEEP_VERSIONS as usize;

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // The live state: key number → value length (keys are a fixed width).
    let mut live: BTreeMap<u64, usize> = BTreeMap::new();
    let mut live_keys: Vec<u64> = Vec::new();
    let mut next_key = 0u64;
    let mut kept_changes: VecDeque<u64> = VecDeque::with_capacity(keep);
    println!(
        "{blocks} blocks of {INSERTS} inserts, {OVERWRITES} overwrites, {DELETES} deletes; keep_versions {keep}"
    );
    println!(
        "  block   file MiB   allocated MiB   stored MiB   live MiB   kept changes MiB   ratio"
    );
    let mut worst: f64 = 0.0;
    for version in 1..=blocks {
        let mut changes: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
        for _ in 0..INSERTS {
            changes.insert(key(next_key), Some(value(&mut rng, version)));
            next_key += 1;
        }
        if !live_keys.is_empty() {
            for _ in 0..OVERWRITES {
                let n = live_keys[(rng.next() % live_keys.len() as u64) as usize];
                changes.insert(key(n), Some(value(&mut rng, version)));
            }
            for _ in 0..DELETES {
                let i = (rng.next() % live_keys.len() as u64) as usize;
                let n = live_keys.swap_remove(i);
                changes.insert(key(n), None);
            }
        }
        let mut written = 0u64;
        for (k, v) in &changes {
            let n: u64 = std::str::from_utf8(&k[21..])?.parse()?;
            match v {
                Some(v) => {
                    written += (k.len() + v.len()) as u64;
                    if live.insert(n, v.len()).is_none() {
                        live_keys.push(n);
                    }
                }
                None => {
                    written += k.len() as u64;
                    live.remove(&n);
                }
            }
        }
        // A key deleted in the block it was overwritten in is gone from `live_keys` already.
        live_keys.retain(|n| live.contains_key(n));
        store.commit(version, &changes)?;
        kept_changes.push_back(written);
        if kept_changes.len() > keep {
            kept_changes.pop_front();
        }
        if version % 1_000 == 0 || version == blocks {
            let mib = |b: u64| b as f64 / (1 << 20) as f64;
            let file = std::fs::metadata(&path)?.len();
            let usage = store.disk_usage()?;
            let live_bytes: u64 = live.values().map(|len| (key(0).len() + len) as u64).sum();
            let kept: u64 = kept_changes.iter().sum();
            let ratio = usage.allocated_bytes as f64 / (live_bytes + kept) as f64;
            if version >= 1_000 {
                worst = worst.max(ratio);
            }
            println!(
                "  {version:>5}   {:>8.1}   {:>13.1}   {:>10.1}   {:>8.1}   {:>16.1}   {ratio:>5.2}",
                mib(file),
                mib(usage.allocated_bytes),
                mib(usage.stored_bytes),
                mib(live_bytes),
                mib(kept)
            );
        }
    }
    println!("disk growth: worst ratio from block 1,000 on {worst:.2} (target ≤ 3)");
    let usage = store.disk_usage()?;
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    let tables: Vec<String> = usage
        .tables
        .iter()
        .map(|t| {
            format!(
                "{} {:.1}/{:.1}",
                t.name,
                mib(t.stored_bytes),
                mib(t.page_bytes)
            )
        })
        .collect();
    println!("MiB by table, stored/in its pages: {}", tables.join(", "));
    drop(store);
    let (before, after) = Store::compact_file(&path)?;
    println!(
        "compaction (node stopped): file {:.1} MiB → {:.1} MiB",
        before as f64 / (1 << 20) as f64,
        after as f64 / (1 << 20) as f64
    );
    Ok(())
}
