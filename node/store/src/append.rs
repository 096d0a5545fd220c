//! Writes a block's entries into the tables whose keys start with the block's version (tree
//! nodes and the stale indexes): their keys sort after everything already there, so they go in
//! as one run through a cursor at the table's end, which redb packs into full pages. Entries
//! inserted one at a time instead split the last page in halves, and leave the table about
//! half full.

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
