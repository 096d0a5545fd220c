//! The committed store seen from outside: persistence, determinism, historical reads, proofs
//! and pruning.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use anyhow::{ensure, Result};
use proptest::prelude::*;
use tessera_store::{
    verify_proof, Overlay, StateRead, StateWrite, Store, StoreError, StoreOptions, EMPTY_ROOT,
};

type Changes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;
type Model = BTreeMap<Vec<u8>, Vec<u8>>;
type KeyBounds<'a> = (Bound<&'a [u8]>, Bound<&'a [u8]>);

fn changes(entries: &[(&str, Option<&str>)]) -> Changes {
    entries
        .iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec())))
        .collect()
}

fn apply(model: &mut Model, changes: &Changes) {
    for (k, v) in changes {
        match v {
            Some(v) => model.insert(k.clone(), v.clone()),
            None => model.remove(k),
        };
    }
}

fn all(iter: tessera_store::KvIter<'_>) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    Ok(iter.collect::<Result<Vec<_>, StoreError>>()?)
}

fn model_range(
    model: &Model,
    start: Bound<&[u8]>,
    end: Bound<&[u8]>,
    descending: bool,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    if tessera_store::state::bounds_empty(start, end) {
        return vec![];
    }
    let mut out: Vec<_> = model
        .range::<[u8], _>((start, end))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if descending {
        out.reverse();
    }
    out
}

#[test]
fn reopening_gives_the_same_version_root_and_contents() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("state.redb");
    let mut model = Model::new();
    let (root, snapshot_before) = {
        let store = Store::open(&path)?;
        for v in 1..=5u64 {
            let c: Changes = (0..40u64)
                .map(|i| {
                    let key = format!("key/{:02}", (i * 3 + v) % 60).into_bytes();
                    let value = (!i.is_multiple_of(4)).then(|| format!("{v}:{i}").into_bytes());
                    (key, value)
                })
                .collect();
            apply(&mut model, &c);
            store.commit(v, &c)?;
        }
        let snap = store.snapshot()?;
        let before = all(snap.range(Bound::Unbounded, Bound::Unbounded, false)?)?;
        (store.app_hash(), before)
    };
    let store = Store::open(&path)?;
    assert_eq!(store.latest_version(), 5);
    assert_eq!(store.app_hash(), root);
    assert_eq!(store.root_hash(5)?, root);
    let snap = store.snapshot()?;
    assert_eq!((snap.version(), snap.root()), (5, root));
    let after = all(snap.range(Bound::Unbounded, Bound::Unbounded, false)?)?;
    assert_eq!(after, snapshot_before);
    assert_eq!(after, model.into_iter().collect::<Vec<_>>());
    Ok(())
}

#[test]
fn the_app_hash_is_deterministic_and_depends_only_on_content() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let a = Store::open(dir.path().join("a.redb"))?;
    let b = Store::open(dir.path().join("b.redb"))?;
    let blocks = [
        changes(&[("alice", Some("10")), ("bob", Some("20"))]),
        changes(&[("carol", Some("30")), ("alice", None)]),
        changes(&[]),
        changes(&[("bob", Some("21")), ("dave", Some("40"))]),
    ];
    for (i, c) in blocks.iter().enumerate() {
        let v = i as u64 + 1;
        assert_eq!(a.commit(v, c)?, b.commit(v, c)?, "version {v}");
    }
    // An empty block keeps the root.
    assert_eq!(a.root_hash(3)?, a.root_hash(2)?);

    // The same final content reached in another order, or in one block, has the same root.
    let c = Store::open(dir.path().join("c.redb"))?;
    c.commit(1, &changes(&[("dave", Some("40")), ("bob", Some("0"))]))?;
    c.commit(2, &changes(&[("carol", Some("30")), ("alice", Some("x"))]))?;
    let root = c.commit(3, &changes(&[("alice", None), ("bob", Some("21"))]))?;
    assert_eq!(root, a.app_hash());

    // Different content, different root: a value, a key, a deletion.
    let d = Store::open(dir.path().join("d.redb"))?;
    let base = changes(&[
        ("bob", Some("21")),
        ("carol", Some("30")),
        ("dave", Some("40")),
    ]);
    assert_eq!(d.commit(1, &base)?, a.app_hash());
    let other_value = d.commit(2, &changes(&[("dave", Some("41"))]))?;
    let other_key = d.commit(3, &changes(&[("dave", None), ("eve", Some("41"))]))?;
    let fewer = d.commit(4, &changes(&[("eve", None)]))?;
    let roots = [a.app_hash(), other_value, other_key, fewer, EMPTY_ROOT];
    for i in 0..roots.len() {
        for j in i + 1..roots.len() {
            assert_ne!(roots[i], roots[j], "roots {i} and {j}");
        }
    }
    Ok(())
}

#[test]
fn a_snapshot_keeps_its_version_while_later_blocks_commit() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path().join("state.redb"))?;
    store.commit(1, &changes(&[("a", Some("1")), ("b", Some("2"))]))?;
    let snap = store.snapshot()?;

    // A block runs in an overlay over the snapshot and commits its folded changes.
    let mut block = Overlay::new(snap.clone());
    block.set(b"c", b"3");
    block.delete(b"a");
    store.commit(2, &block.changes())?;

    assert_eq!(snap.version(), 1);
    assert_eq!(snap.get(b"a")?, Some(b"1".to_vec()));
    assert_eq!(snap.get(b"c")?, None);
    let now = store.snapshot()?;
    assert_eq!(now.version(), 2);
    let keys: Vec<Vec<u8>> = all(now.range(Bound::Unbounded, Bound::Unbounded, false)?)?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, vec![b"b".to_vec(), b"c".to_vec()]);
    Ok(())
}

#[test]
fn snapshot_ranges_honour_bounds_in_both_directions() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path().join("state.redb"))?;
    let mut model = Model::new();
    let c: Changes = (0u8..50)
        .map(|i| (vec![b'k', i], Some(vec![i])))
        .chain([(b"l".to_vec(), Some(b"x".to_vec()))])
        .collect();
    apply(&mut model, &c);
    store.commit(1, &c)?;
    let snap = store.snapshot()?;
    let (k10, k20, k49) = ([b'k', 10], [b'k', 20], [b'k', 49]);
    let bounds: [KeyBounds<'_>; 6] = [
        (Bound::Included(&k10), Bound::Excluded(&k20)),
        (Bound::Excluded(&k10), Bound::Included(&k20)),
        (Bound::Unbounded, Bound::Excluded(&k10)),
        (Bound::Excluded(&k49), Bound::Unbounded),
        (Bound::Included(&k20), Bound::Excluded(&k10)),
        (Bound::Excluded(&k20), Bound::Excluded(&k20)),
    ];
    for (start, end) in bounds {
        for descending in [false, true] {
            let got = all(snap.range(start, end, descending)?)?;
            assert_eq!(got, model_range(&model, start, end, descending));
        }
    }
    // A prefix scan reads only the prefix, and stops early when asked to.
    let first_two: Vec<_> = snap.prefix(b"k")?.take(2).collect::<Result<_, _>>()?;
    assert_eq!(first_two[1].0, vec![b'k', 1]);
    assert_eq!(all(snap.prefix(b"l")?)?.len(), 1);
    Ok(())
}

#[test]
fn proofs_verify_against_the_root_of_their_version_only() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = Store::open_with(dir.path().join("state.redb"), StoreOptions::keeping(3))?;
    let c1: Changes = (0..30)
        .map(|i| (format!("acct/{i:03}").into_bytes(), Some(vec![i as u8; 3])))
        .collect();
    let root1 = store.commit(1, &c1)?;
    let root2 = store.commit(
        2,
        &changes(&[("acct/005", Some("new")), ("acct/006", None)]),
    )?;

    // Membership at both versions.
    let (v, proof) = store.get_with_proof(1, b"acct/005")?;
    assert_eq!(v, Some(vec![5u8; 3]));
    assert!(verify_proof(&root1, b"acct/005", Some(&[5u8; 3]), &proof));
    assert!(!verify_proof(&root2, b"acct/005", Some(&[5u8; 3]), &proof));
    assert!(!verify_proof(&root1, b"acct/005", Some(b"new"), &proof));
    let (v, proof) = store.get_with_proof(2, b"acct/005")?;
    assert_eq!(v.as_deref(), Some(&b"new"[..]));
    assert!(verify_proof(&root2, b"acct/005", Some(b"new"), &proof));
    assert!(!verify_proof(&root1, b"acct/005", Some(b"new"), &proof));

    // Non-membership: a deleted key and keys that never existed (including beyond the ends).
    for key in [&b"acct/006"[..], b"acct/999", b"a", b"zzz"] {
        let (v, proof) = store.get_with_proof(2, key)?;
        assert_eq!(v, None);
        assert!(verify_proof(&root2, key, None, &proof), "{key:?}");
        assert!(!verify_proof(&root1, key, None, &proof), "{key:?}");
        assert!(!verify_proof(&root2, key, Some(b"x"), &proof), "{key:?}");
    }
    // The deleted key is still provably present at version 1.
    let (v, proof) = store.get_with_proof(1, b"acct/006")?;
    assert!(verify_proof(&root1, b"acct/006", v.as_deref(), &proof));

    // Past the kept window, version 1 is gone everywhere.
    for v in 3..=4 {
        store.commit(v, &changes(&[("acct/007", Some(&v.to_string()))]))?;
    }
    assert_eq!(store.oldest_version(), 2);
    let gone = StoreError::VersionUnavailable {
        version: 1,
        oldest: 2,
        latest: 4,
    };
    assert_eq!(
        store.get_with_proof(1, b"acct/005").err(),
        Some(gone.clone())
    );
    assert_eq!(store.get_at(1, b"acct/005").err(), Some(gone.clone()));
    assert_eq!(store.root_hash(1).err(), Some(gone));
    assert!(matches!(
        store.get_at(5, b"acct/005"),
        Err(StoreError::VersionUnavailable { version: 5, .. })
    ));
    // The oldest kept version still proves, after pruning ran.
    let (v, proof) = store.get_with_proof(2, b"acct/005")?;
    assert!(verify_proof(&root2, b"acct/005", v.as_deref(), &proof));
    let (v, proof) = store.get_with_proof(2, b"acct/006")?;
    assert!(v.is_none() && verify_proof(&root2, b"acct/006", None, &proof));
    Ok(())
}

#[test]
fn an_empty_tree_has_no_ics23_proofs_and_empty_keys_have_none_either() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path().join("state.redb"))?;
    ensure!(store.get_with_proof(0, b"a").is_err());
    store.commit(1, &changes(&[("a", Some("1"))]))?;
    ensure!(store.get_with_proof(1, b"").is_err());
    Ok(())
}

#[test]
fn lowering_keep_versions_on_reopen_prunes_and_raising_it_does_not_resurrect() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("state.redb");
    {
        let store = Store::open_with(&path, StoreOptions::keeping(10))?;
        for v in 1..=12 {
            store.commit(v, &changes(&[("k", Some(&v.to_string()))]))?;
        }
        assert_eq!(store.oldest_version(), 3);
        assert_eq!(store.get_at(3, b"k")?, Some(b"3".to_vec()));
    }
    {
        let store = Store::open_with(&path, StoreOptions::keeping(2))?;
        assert_eq!(store.oldest_version(), 11);
        store.commit(13, &changes(&[("k", Some("13"))]))?;
        assert_eq!(store.oldest_version(), 12);
    }
    let store = Store::open_with(&path, StoreOptions::keeping(100))?;
    assert_eq!(store.oldest_version(), 12);
    assert!(store.get_at(5, b"k").is_err());
    assert_eq!(store.get_at(12, b"k")?, Some(b"12".to_vec()));
    Ok(())
}

fn arb_key() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(0u8..6, 1..3)
}

fn arb_block() -> impl Strategy<Value = Changes> {
    prop::collection::btree_map(
        arb_key(),
        prop::option::weighted(0.7, prop::collection::vec(any::<u8>(), 1..3)),
        0..10,
    )
}

fn arb_bound() -> impl Strategy<Value = Bound<Vec<u8>>> {
    prop_oneof![
        Just(Bound::Unbounded),
        arb_key().prop_map(Bound::Included),
        arb_key().prop_map(Bound::Excluded),
    ]
}

fn as_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(k) => Bound::Included(k),
        Bound::Excluded(k) => Bound::Excluded(k),
        Bound::Unbounded => Bound::Unbounded,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Over random blocks, reopening at random points: the latest state iterates like a model
    /// map both ways and within random bounds, every kept version reads and proves like the
    /// model's history, and older versions are refused.
    #[test]
    fn the_store_reads_like_a_model_across_versions_and_reopens(
        blocks in prop::collection::vec(arb_block(), 1..9),
        reopen_after in prop::collection::vec(any::<bool>(), 9),
        keep in 1u64..4,
        ranges in prop::collection::vec((arb_bound(), arb_bound(), any::<bool>()), 4),
    ) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let path = dir.path().join("state.redb");
        // A small node-hash cache, so that it both answers and evicts.
        let options = StoreOptions { keep_versions: keep, node_hash_cache: 32 };
        let mut store = Arc::new(Store::open_with(&path, options.clone()).map_err(fail)?);
        let mut history: Vec<Model> = vec![Model::new()];
        let mut roots = vec![EMPTY_ROOT];
        for (i, block) in blocks.iter().enumerate() {
            let version = i as u64 + 1;
            let mut model = history[i].clone();
            apply(&mut model, block);
            roots.push(store.commit(version, block).map_err(fail)?);
            history.push(model);
            if reopen_after[i] {
                drop(store);
                store = Arc::new(Store::open_with(&path, options.clone()).map_err(fail)?);
            }
        }
        let latest = blocks.len() as u64;
        prop_assert_eq!(store.latest_version(), latest);
        prop_assert_eq!(store.app_hash(), roots[latest as usize]);

        let snap = store.snapshot().map_err(fail)?;
        let model = &history[latest as usize];
        for (start, end, descending) in &ranges {
            let (start, end) = (as_ref(start), as_ref(end));
            let got: Vec<_> = snap.range(start, end, *descending).map_err(fail)?
                .collect::<Result<_, _>>().map_err(fail)?;
            prop_assert_eq!(got, model_range(model, start, end, *descending));
        }
        for descending in [false, true] {
            let got: Vec<_> = snap.range(Bound::Unbounded, Bound::Unbounded, descending).map_err(fail)?
                .collect::<Result<_, _>>().map_err(fail)?;
            prop_assert_eq!(got, model_range(model, Bound::Unbounded, Bound::Unbounded, descending));
        }

        let oldest = latest.saturating_sub(keep - 1);
        prop_assert_eq!(store.oldest_version(), oldest);
        let keys: Vec<Vec<u8>> = (0u8..6).flat_map(|a| [vec![a], vec![a, 0], vec![a, 5]]).collect();
        for version in 0..=latest {
            for key in &keys {
                let got = store.get_at(version, key);
                if version < oldest {
                    let refused = matches!(got, Err(StoreError::VersionUnavailable { .. }));
                    prop_assert!(refused);
                } else {
                    prop_assert_eq!(got.map_err(fail)?, history[version as usize].get(key).cloned());
                }
            }
            if version >= oldest {
                let root = store.root_hash(version).map_err(fail)?;
                prop_assert_eq!(root, roots[version as usize]);
                if root != EMPTY_ROOT {
                    // Every probe key proves its presence or absence at every kept version.
                    for key in &keys {
                        let (value, proof) = store.get_with_proof(version, key).map_err(fail)?;
                        prop_assert_eq!(&value, &history[version as usize].get(key).cloned());
                        prop_assert!(verify_proof(&root, key, value.as_deref(), &proof));
                    }
                }
            }
        }
    }
}

fn fail(e: StoreError) -> TestCaseError {
    TestCaseError::fail(e.to_string())
}

#[test]
fn a_staged_version_commits_to_the_same_root_and_a_different_commit_replaces_it() -> Result<()> {
    let (a, b) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let (staged, direct) = (
        Store::open(a.path().join("s.redb"))?,
        Store::open(b.path().join("s.redb"))?,
    );
    let one = changes(&[("k1", Some("v1")), ("k2", Some("v2"))]);
    let root = staged.stage(1, &one)?;
    ensure!(staged.latest_version() == 0, "staging commits nothing");
    ensure!(staged.commit(1, &one)? == root);
    ensure!(
        direct.commit(1, &one)? == root,
        "staged and direct commits agree"
    );

    // A stage that is not what gets committed is dropped, and the commit still happens.
    let two = changes(&[("k1", None)]);
    staged.stage(2, &changes(&[("k3", Some("v3"))]))?;
    let root2 = staged.commit(2, &two)?;
    ensure!(root2 == direct.commit(2, &two)?);
    ensure!(staged.snapshot()?.get(b"k3")?.is_none());

    // A stage that is never committed leaves nothing after a reopen.
    staged.stage(3, &changes(&[("k4", Some("v4"))]))?;
    drop(staged);
    let reopened = Store::open(a.path().join("s.redb"))?;
    ensure!(reopened.latest_version() == 2 && reopened.app_hash() == root2);
    Ok(())
}

/// What a version does on the cached store before its real commit.
#[derive(Debug, Clone)]
enum Prelude {
    /// Nothing: a plain commit.
    Commit,
    /// The real changes are staged first (finalize, then commit).
    Stage,
    /// Other changes are staged and dropped (their nodes reuse the real commit's node keys).
    DropStage(Changes),
    /// A working-hash preview of other changes, then the commit.
    Preview(Changes),
}

fn arb_prelude() -> impl Strategy<Value = Prelude> {
    prop_oneof![
        Just(Prelude::Commit),
        Just(Prelude::Stage),
        arb_block().prop_map(Prelude::DropStage),
        arb_block().prop_map(Prelude::Preview),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The node-hash cache (here tiny, so that it also evicts) never changes a root or a
    /// proof: a store with it and one without commit the same blocks to the same roots, even
    /// when the cached store first staged or previewed other changes under the same node keys
    /// and answered proofs (which fill the cache) in between.
    #[test]
    fn the_node_hash_cache_never_changes_a_root_or_a_proof(
        steps in prop::collection::vec((arb_block(), arb_prelude(), arb_key()), 1..10),
        capacity in 0usize..24,
    ) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let open = |name: &str, node_hash_cache: usize| {
            Store::open_with(
                dir.path().join(name),
                StoreOptions { keep_versions: 3, node_hash_cache },
            )
            .map_err(fail)
        };
        let (cached, plain) = (open("cached.redb", capacity)?, open("plain.redb", 0)?);
        for (i, (block, prelude, probe)) in steps.iter().enumerate() {
            let version = i as u64 + 1;
            match prelude {
                Prelude::Commit => {}
                Prelude::Stage => {
                    cached.stage(version, block).map_err(fail)?;
                }
                Prelude::DropStage(other) => {
                    cached.stage(version, other).map_err(fail)?;
                }
                Prelude::Preview(other) => {
                    cached.working_hash(other).map_err(fail)?;
                }
            }
            let root = cached.commit(version, block).map_err(fail)?;
            prop_assert_eq!(root, plain.commit(version, block).map_err(fail)?, "version {}", version);
            if root != EMPTY_ROOT {
                let (value, proof) = cached.get_with_proof(version, probe).map_err(fail)?;
                prop_assert_eq!(&value, &plain.get_at(version, probe).map_err(fail)?);
                prop_assert!(verify_proof(&root, probe, value.as_deref(), &proof));
            }
        }
    }
}
