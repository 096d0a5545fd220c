//! Keeping redb's pages full. redb splits a full page in halves and merges only nearly empty
//! ones, so entries written one at a time leave a table about half full; entries written in
//! runs through a cursor are packed.
//!
//! - [`append_all`]: a block's entries for the tables whose keys start with its version (tree
//!   nodes and the stale indexes) sort after everything already there, so they go in as one
//!   run at the table's end.
//! - [`repack_slice`]: the `state` table is overwritten and deleted in place; rewriting a slice
//!   of it in every commit keeps it packed at a small, steady cost.

use std::ops::Bound;

use redb::{ReadableTable, Table};

use crate::state::StoreError;
use crate::tables::backend;

/// Inserts `entries` (any order, distinct keys) into `table`: as one run at its end when they
/// all sort after its last key, one by one otherwise (e.g. a restore's base root).
pub(crate) fn append_all<'v, V>(
    table: &mut Table<'_, &'static [u8], V>,
    mut entries: Vec<(&[u8], V::SelfType<'v>)>,
    what: &'static str,
) -> Result<(), StoreError>
where
    V: redb::Value + 'static,
{
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let after_last = match (table.last().map_err(backend(what))?, entries.first()) {
        (Some((last, _)), Some((first, _))) => last.value() < *first,
        _ => true,
    };
    if after_last {
        let mut cursor = table
            .upper_bound_mut(Bound::<&[u8]>::Unbounded)
            .map_err(backend(what))?;
        for (key, value) in entries {
            cursor.insert_before(key, value).map_err(backend(what))?;
        }
        cursor.close().map_err(backend(what))?;
    } else {
        for (key, value) in entries {
            table.insert(key, value).map_err(backend(what))?;
        }
    }
    Ok(())
}

/// Rewrites up to `budget` entries of `table` from `from` on, packed into full pages, and
/// returns the key to go on from (`None`: the end was reached, start over).
pub(crate) fn repack_slice(
    table: &mut Table<'_, &'static [u8], &'static [u8]>,
    from: Option<&[u8]>,
    budget: usize,
    what: &'static str,
) -> Result<Option<Vec<u8>>, StoreError> {
    let start = match from {
        Some(key) => Bound::Included(key),
        None => Bound::Unbounded,
    };
    let mut cursor = table.lower_bound_mut(start).map_err(backend(what))?;
    let mut taken: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(budget);
    while taken.len() < budget {
        match cursor.remove_next().map_err(backend(what))? {
            Some((k, v)) => taken.push((k.value().to_vec(), v.value().to_vec())),
            None => break,
        }
    }
    let next = cursor
        .peek_next()
        .map_err(backend(what))?
        .map(|(k, _)| k.value().to_vec());
    for (key, value) in &taken {
        cursor
            .insert_before(key.as_slice(), value.as_slice())
            .map_err(backend(what))?;
    }
    cursor.close().map_err(backend(what))?;
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use redb::{Database, ReadableDatabase, TableDefinition};

    const T: TableDefinition<&[u8], &[u8]> = TableDefinition::new("t");

    fn contents(db: &Database) -> Vec<(Vec<u8>, Vec<u8>)> {
        let txn = db.begin_read().unwrap();
        let t = txn.open_table(T).unwrap();
        t.iter()
            .unwrap()
            .map(|e| {
                let (k, v) = e.unwrap();
                (k.value().to_vec(), v.value().to_vec())
            })
            .collect()
    }

    #[test]
    fn repacking_keeps_every_entry_and_goes_round_the_table() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("t.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut t = txn.open_table(T).unwrap();
            // Interleaved inserts and deletes leave half-empty pages.
            for i in 0u32..2_000 {
                t.insert(&i.to_be_bytes()[..], &[7u8; 100][..]).unwrap();
            }
            for i in (0u32..2_000).step_by(2) {
                t.remove(&i.to_be_bytes()[..]).unwrap();
            }
        }
        txn.commit().unwrap();
        let before = contents(&db);

        let mut from: Option<Vec<u8>> = None;
        let mut slices = 0;
        loop {
            let txn = db.begin_write().unwrap();
            let next = {
                let mut t = txn.open_table(T).unwrap();
                repack_slice(&mut t, from.as_deref(), 300, "test").unwrap()
            };
            txn.commit().unwrap();
            slices += 1;
            assert_eq!(contents(&db), before);
            match next {
                Some(key) => {
                    // The next slice starts right after the 300 entries just rewritten.
                    assert_eq!(key, before[300 * slices].0);
                    from = Some(key);
                }
                None => break,
            }
        }
        assert_eq!(slices, 4, "1,000 entries in slices of 300");
    }

    #[test]
    fn a_run_lands_after_the_last_key_or_falls_back_to_single_inserts() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("t.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut t = txn.open_table(T).unwrap();
            append_all(&mut t, vec![(&b"b"[..], &b"2"[..]), (b"a", b"1")], "test").unwrap();
            // Not after the last key: one by one, still in order.
            append_all(&mut t, vec![(&b"c"[..], &b"3"[..]), (b"aa", b"4")], "test").unwrap();
        }
        txn.commit().unwrap();
        let keys: Vec<Vec<u8>> = contents(&db).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, [&b"a"[..], b"aa", b"b", b"c"]);
    }
}
