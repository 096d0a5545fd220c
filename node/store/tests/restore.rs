//! State sync's restore: the whole state of one version, exported from one store's snapshot,
//! fills an empty store to the same root, and only if that root is the trusted one.

use std::collections::BTreeMap;
use std::ops::Bound;

use tessera_store::{verify_proof, StateRead, Store, StoreError};

fn key(i: u32) -> Vec<u8> {
    format!("k/{i:05}").into_bytes()
}

/// A store that went through `versions` commits of writes, overwrites and deletes.
fn busy_store(dir: &std::path::Path, versions: u64) -> Store {
    let store = Store::open(dir.join("source.redb")).unwrap();
    for v in 1..=versions {
        let mut changes = BTreeMap::new();
        for i in 0..50u32 {
            let n = (v as u32 * 37 + i * 11) % 400;
            let value = if (n + v as u32).is_multiple_of(7) {
                None
            } else {
                Some(format!("v{v}-{i}").into_bytes())
            };
            changes.insert(key(n), value);
        }
        store.commit(v, &changes).unwrap();
    }
    store
}

fn export(store: &Store) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let snapshot = store.snapshot().unwrap();
    snapshot
        .range(Bound::Unbounded, Bound::Unbounded, false)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_restored_store_has_the_same_root_state_and_proofs_and_goes_on_committing() {
    let dir = tempfile::tempdir().unwrap();
    let source = busy_store(dir.path(), 30);
    let state = export(&source);
    assert!(state.len() > 100);

    let target = Store::open(dir.path().join("target.redb")).unwrap();
    let root = target
        .restore(30, state.clone(), source.app_hash())
        .unwrap();
    assert_eq!(root, source.app_hash());
    assert_eq!(target.latest_version(), 30);
    assert_eq!(export(&target), state);
    // Proofs of presence and absence at the restored version check against the same root.
    let (value, proof) = target.get_with_proof(30, &key(3)).unwrap();
    assert!(verify_proof(&root, &key(3), value.as_deref(), &proof));
    // Earlier versions never existed here.
    assert!(matches!(
        target.get_at(29, &key(3)),
        Err(StoreError::VersionUnavailable { .. })
    ));

    // Both go on with the same blocks and keep agreeing; the restored one reopens cleanly.
    let next: BTreeMap<_, _> = [(key(1), Some(b"next".to_vec())), (key(2), None)].into();
    assert_eq!(
        source.commit(31, &next).unwrap(),
        target.commit(31, &next).unwrap()
    );
    drop(target);
    let reopened = Store::open(dir.path().join("target.redb")).unwrap();
    assert_eq!(reopened.latest_version(), 31);
    assert_eq!(reopened.app_hash(), source.app_hash());
}

#[test]
fn a_state_that_does_not_hash_to_the_trusted_root_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let source = busy_store(dir.path(), 5);
    let mut state = export(&source);
    let first = state.keys().next().unwrap().clone();
    state.insert(first, b"forged".to_vec());

    let target = Store::open(dir.path().join("target.redb")).unwrap();
    let err = target.restore(5, state, source.app_hash()).unwrap_err();
    assert!(
        err.to_string().contains("not the trusted app hash"),
        "{err}"
    );
    assert_eq!(target.latest_version(), 0);
    assert!(export(&target).is_empty());
    // The honest state still restores afterwards.
    target
        .restore(5, export(&source), source.app_hash())
        .unwrap();
}

#[test]
fn only_an_empty_store_can_be_restored() {
    let dir = tempfile::tempdir().unwrap();
    let source = busy_store(dir.path(), 3);
    let err = source
        .restore(10, export(&source), source.app_hash())
        .unwrap_err();
    assert!(err.to_string().contains("needs an empty store"), "{err}");
    assert_eq!(source.latest_version(), 3);
}
