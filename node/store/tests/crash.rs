//! A real crash: a child process (this test binary, re-invoked) commits blocks in a loop and
//! is killed with SIGKILL at a random moment; the store must reopen at its last committed
//! version, with the root and contents a clean replay of the same blocks gives.

use std::collections::hash_map::RandomState;
use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::ops::Bound;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use tessera_store::{StateRead, Store, StoreError};

/// Set in the child only: the directory of the store it commits to.
const CHILD_DIR: &str = "TESSERA_STORE_CRASH_CHILD_DIR";
const CHILD_TEST: &str = "the_crash_child_commits_blocks_until_it_is_killed";

/// Block `v`: 300 writes and deletes over a few thousand keys, the same in every process.
fn block(v: u64) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
    (0..300u64)
        .map(|i| {
            let n = (v * 7919 + i * 104_729) % 3_000;
            let key = format!("bank/balances/{n:05}").into_bytes();
            let value =
                (!(v + i).is_multiple_of(6)).then(|| format!("{v}/{i}").repeat(4).into_bytes());
            (key, value)
        })
        .collect()
}

fn random_below(n: u64) -> u64 {
    RandomState::new().build_hasher().finish() % n
}

fn contents(store: &Store) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let snap = store.snapshot()?;
    let all = snap
        .range(Bound::Unbounded, Bound::Unbounded, false)?
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(all)
}

/// Does nothing in a normal run; in the child process it commits until killed.
#[test]
fn the_crash_child_commits_blocks_until_it_is_killed() -> Result<()> {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return Ok(());
    };
    let store = Store::open(Path::new(&dir).join("state.redb"))?;
    // Bounded so a child that is somehow never killed still ends.
    let start = store.latest_version();
    for v in start + 1..start + 20_000 {
        store.commit(v, &block(v))?;
    }
    Ok(())
}

#[test]
fn a_store_killed_mid_commit_reopens_at_its_last_version_with_a_replayable_root() -> Result<()> {
    if std::env::var_os(CHILD_DIR).is_some() {
        return Ok(());
    }
    let exe = std::env::current_exe()?;
    let dir = tempfile::tempdir()?;
    let reference_dir = tempfile::tempdir()?;
    let reference = Store::open(reference_dir.path().join("reference.redb"))?;

    let mut last = 0;
    for round in 0..8 {
        let mut child = Command::new(&exe)
            .args(["--exact", CHILD_TEST, "--test-threads=1"])
            .env(CHILD_DIR, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting the child")?;
        std::thread::sleep(Duration::from_millis(200 + random_below(600)));
        // `Child::kill` is SIGKILL on Unix: no destructor, no flush, no redb shutdown.
        child.kill()?;
        child.wait()?;

        let store = Store::open(dir.path().join("state.redb"))
            .with_context(|| format!("reopening after kill {round}"))?;
        let latest = store.latest_version();
        eprintln!("kill {round}: reopened at version {latest}");
        ensure!(
            latest >= last,
            "round {round}: went back from {last} to {latest}"
        );
        for v in reference.latest_version() + 1..=latest {
            reference.commit(v, &block(v))?;
        }
        ensure!(
            store.app_hash() == reference.app_hash(),
            "round {round}: root of version {latest} differs from the replay"
        );
        ensure!(store.root_hash(latest)? == store.app_hash());
        ensure!(
            contents(&store)? == contents(&reference)?,
            "round {round}: contents"
        );
        last = latest;
    }
    ensure!(last > 0, "the child never committed");

    // And the survivor goes on exactly like an uninterrupted store.
    let store = Store::open(dir.path().join("state.redb"))?;
    let next = last + 1;
    ensure!(store.commit(next, &block(next))? == reference.commit(next, &block(next))?);
    Ok(())
}
