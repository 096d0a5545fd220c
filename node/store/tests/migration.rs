//! A state file written by the store of layout 1 (`fixtures/layout1.redb`, the blocks of
//! `fixtures/layout1_blocks.rs` with 10 kept versions, then compacted) opens as today's layout
//! with the same roots, reads and proofs, and goes on committing exactly like a store that
//! was today's layout from the start.

use std::collections::BTreeMap;
use std::ops::Bound;

use anyhow::{ensure, Result};
use tessera_store::{verify_proof, StateRead, Store, StoreOptions};

mod fixture {
    include!("fixtures/layout1_blocks.rs");
}
use fixture::{block, BLOCKS, KEEP};

/// The app hash layout 1 recorded for the fixture's last block.
const FIXTURE_ROOT: &str = "f8ec4d9056d9395130cba05e6999b64d20bbfd0734b59c875b22db635ee0bb33";

fn keys() -> Vec<Vec<u8>> {
    (0..60).map(|n| format!("k/{n:03}").into_bytes()).collect()
}

fn latest_state(store: &Store) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let snap = store.snapshot()?;
    let entries = snap
        .range(Bound::Unbounded, Bound::Unbounded, false)?
        .collect::<Result<_, _>>()?;
    Ok(entries)
}

fn open(path: &std::path::Path) -> Result<Store> {
    Ok(Store::open_with(path, StoreOptions::keeping(KEEP))?)
}

#[test]
fn a_layout_1_file_upgrades_to_the_same_roots_reads_and_proofs() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let old_path = dir.path().join("old.redb");
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/layout1.redb");
    std::fs::copy(fixture, &old_path)?;
    let upgraded = open(&old_path)?;
    let fresh = open(&dir.path().join("fresh.redb"))?;
    let mut history = vec![BTreeMap::<Vec<u8>, Vec<u8>>::new()];
    for v in 1..=BLOCKS {
        let mut model = history.last().cloned().unwrap_or_default();
        for (k, value) in block(v) {
            match value {
                Some(value) => model.insert(k, value),
                None => model.remove(&k),
            };
        }
        fresh.commit(v, &block(v))?;
        history.push(model);
    }

    ensure!(upgraded.latest_version() == BLOCKS);
    ensure!(hex::encode(upgraded.app_hash()) == FIXTURE_ROOT);
    ensure!(upgraded.app_hash() == fresh.app_hash());
    ensure!(latest_state(&upgraded)? == latest_state(&fresh)?);
    let model_state: Vec<_> = history[BLOCKS as usize].clone().into_iter().collect();
    ensure!(latest_state(&upgraded)? == model_state);
    for version in upgraded.oldest_version()..=BLOCKS {
        let root = upgraded.root_hash(version)?;
        ensure!(
            root == fresh.root_hash(version)?,
            "root of version {version}"
        );
        for key in keys() {
            let want = history[version as usize].get(&key).cloned();
            ensure!(
                upgraded.get_at(version, &key)? == want,
                "{key:?} at {version}"
            );
            let (value, proof) = upgraded.get_with_proof(version, &key)?;
            ensure!(value == want && verify_proof(&root, &key, value.as_deref(), &proof));
        }
    }

    // The upgrade happened once: reopening finds today's layout.
    drop(upgraded);
    let upgraded = open(&old_path)?;
    // Ten more blocks prune everything layout 1 wrote for the kept versions; both stores must
    // then agree block by block and hold the same amount of data.
    for v in BLOCKS + 1..=BLOCKS + KEEP + 2 {
        let changes = block(v);
        ensure!(
            upgraded.commit(v, &changes)? == fresh.commit(v, &changes)?,
            "block {v}"
        );
    }
    let (a, b) = (upgraded.disk_usage()?, fresh.disk_usage()?);
    let stored = |u: &tessera_store::DiskUsage| {
        u.tables
            .iter()
            .map(|t| (t.name, t.stored_bytes))
            .collect::<Vec<_>>()
    };
    ensure!(
        stored(&a) == stored(&b),
        "{:?} vs {:?}",
        stored(&a),
        stored(&b)
    );
    Ok(())
}

#[test]
fn an_unknown_layout_is_refused_and_left_as_it_was() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("future.redb");
    {
        let db = redb::Database::create(&path)?;
        let txn = db.begin_write()?;
        {
            let mut meta = txn.open_table(redb::TableDefinition::<&str, &[u8]>::new("meta"))?;
            meta.insert("format", &[9u8][..])?;
        }
        txn.commit()?;
    }
    let err = Store::open(&path).err().map(|e| e.to_string());
    ensure!(
        err.as_deref().is_some_and(|e| e.contains("layout [9]")),
        "{err:?}"
    );
    // redb rewrites its header on open, so compare what the file holds, not its bytes.
    use redb::{ReadableDatabase, TableHandle};
    let db = redb::Database::open(&path)?;
    let txn = db.begin_read()?;
    let tables: Vec<String> = txn.list_tables()?.map(|t| t.name().to_string()).collect();
    ensure!(tables == ["meta"], "{tables:?}");
    let meta = txn.open_table(redb::TableDefinition::<&str, &[u8]>::new("meta"))?;
    ensure!(meta.get("format")?.map(|g| g.value().to_vec()) == Some(vec![9]));
    Ok(())
}
