//! Registered providers by (jailed, bond, address), so that `providers {active}` walks only the
//! providers it returns. Whether a provider is active depends on `min_bond`, which governance
//! may change at any time: the index therefore keys on the bond itself, and the query turns the
//! current `min_bond` into a range, instead of storing an `active` flag that would go stale.
//!
//! [`reindex`] is the one way in: it recomputes the entry of an address from its record and
//! standing and moves it if it changed. Every handler that changes a bond, a jail or a
//! registration calls it after its writes, so the index cannot disagree with what it indexes.

use cosmwasm_std::{Addr, Empty, Order, StdResult, Storage};
use cw_storage_plus::{Bound, Map};

use crate::state::{load_standing, PROVIDERS};

/// The index key: `0` for an unjailed provider, `1` for a jailed one, then the bond.
pub type StatusKey = (u8, u128);

pub const STATUS_INDEX: Map<(u8, u128, &Addr), Empty> = Map::new("status_idx");

/// Where `addr` sits in [`STATUS_INDEX`]; absent for an unregistered address. Kept so that
/// moving an entry never needs the values it was indexed under.
pub const STATUS_OF: Map<&Addr, StatusKey> = Map::new("status_of");

const UNJAILED: u8 = 0;
const JAILED: u8 = 1;

/// Brings the entry of `addr` in line with its record and standing.
pub fn reindex(storage: &mut dyn Storage, addr: &Addr) -> StdResult<()> {
    let wanted = match PROVIDERS.may_load(storage, addr)? {
        Some(provider) => {
            let jailed = load_standing(storage, addr)?.jailed;
            Some((if jailed { JAILED } else { UNJAILED }, provider.bond.u128()))
        }
        None => None,
    };
    let current = STATUS_OF.may_load(storage, addr)?;
    if current == wanted {
        return Ok(());
    }
    if let Some((jailed, bond)) = current {
        STATUS_INDEX.remove(storage, (jailed, bond, addr));
    }
    match wanted {
        Some((jailed, bond)) => {
            STATUS_INDEX.save(storage, (jailed, bond, addr), &Empty {})?;
            STATUS_OF.save(storage, addr, &(jailed, bond))
        }
        None => {
            STATUS_OF.remove(storage, addr);
            Ok(())
        }
    }
}

/// Up to `limit` active providers (unjailed, bond ≥ `min_bond`), highest bond first, after the
/// provider whose index entry is `after`.
pub fn active_page(
    storage: &dyn Storage,
    min_bond: u128,
    after: Option<(StatusKey, &Addr)>,
    limit: usize,
) -> StdResult<Vec<Addr>> {
    let floor = Addr::unchecked("");
    // A cursor that stopped being active between pages (jailed, unbonded) still names a bond:
    // the next page carries on below it.
    let upper = after.map(|((_, bond), addr)| Bound::exclusive((bond, addr)));
    let lower = Some(Bound::inclusive((min_bond, &floor)));
    take_addrs(
        STATUS_INDEX
            .sub_prefix(UNJAILED)
            .keys(storage, lower, upper, Order::Descending),
        limit,
    )
}

/// Up to `limit` inactive providers: unjailed ones below `min_bond`, then jailed ones, each
/// highest bond first, after the provider whose index entry is `after`.
pub fn inactive_page(
    storage: &dyn Storage,
    min_bond: u128,
    after: Option<(StatusKey, &Addr)>,
    limit: usize,
) -> StdResult<Vec<Addr>> {
    let floor = Addr::unchecked("");
    let below_min = Bound::exclusive((min_bond, &floor));
    let (unjailed_upper, jailed_upper) = match after {
        // A cursor bonded up to min_bond or above between pages starts again below min_bond.
        Some(((UNJAILED, bond), addr)) if bond < min_bond => {
            (Some(Bound::exclusive((bond, addr))), None)
        }
        Some(((UNJAILED, _), _)) | None => (Some(below_min), None),
        Some(((_, bond), addr)) => (None, Some(Bound::exclusive((bond, addr)))),
    };
    let mut page = match unjailed_upper {
        Some(upper) => take_addrs(
            STATUS_INDEX
                .sub_prefix(UNJAILED)
                .keys(storage, None, Some(upper), Order::Descending),
            limit,
        )?,
        None => Vec::new(),
    };
    let rest = limit - page.len();
    if rest > 0 {
        page.extend(take_addrs(
            STATUS_INDEX
                .sub_prefix(JAILED)
                .keys(storage, None, jailed_upper, Order::Descending),
            rest,
        )?);
    }
    Ok(page)
}

fn take_addrs(
    keys: impl Iterator<Item = StdResult<(u128, Addr)>>,
    limit: usize,
) -> StdResult<Vec<Addr>> {
    keys.take(limit)
        .map(|key| key.map(|(_, addr)| addr))
        .collect()
}

/// Fills the index for every registered provider: for state written before it existed.
pub fn rebuild(storage: &mut dyn Storage) -> StdResult<usize> {
    let addrs = PROVIDERS
        .keys(storage, None, None, Order::Ascending)
        .collect::<StdResult<Vec<Addr>>>()?;
    for addr in &addrs {
        reindex(storage, addr)?;
    }
    Ok(addrs.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;
    use cosmwasm_std::{Record, Uint128};
    use std::cell::Cell;
    use tessera_api::registry_storage::Provider;

    /// Storage that counts the records its range iterators yield.
    struct CountingStorage {
        inner: MockStorage,
        yielded: Cell<usize>,
    }

    impl Storage for CountingStorage {
        fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
            self.inner.get(key)
        }
        fn range<'a>(
            &'a self,
            start: Option<&[u8]>,
            end: Option<&[u8]>,
            order: Order,
        ) -> Box<dyn Iterator<Item = Record> + 'a> {
            Box::new(
                self.inner
                    .range(start, end, order)
                    .inspect(|_| self.yielded.set(self.yielded.get() + 1)),
            )
        }
        fn set(&mut self, key: &[u8], value: &[u8]) {
            self.inner.set(key, value)
        }
        fn remove(&mut self, key: &[u8]) {
            self.inner.remove(key)
        }
    }

    fn register(storage: &mut dyn Storage, name: &str, bond: u128) -> Addr {
        let addr = Addr::unchecked(name);
        let provider = Provider {
            host_uri: "https://gpu.example.com".into(),
            tls_fingerprint: None,
            attributes: vec![],
            gpus: vec![],
            info: Default::default(),
            bond: Uint128::new(bond),
            registered_at_height: 1,
        };
        PROVIDERS.save(storage, &addr, &provider).unwrap();
        reindex(storage, &addr).unwrap();
        addr
    }

    #[test]
    fn an_active_page_reads_only_the_providers_it_returns() {
        let mut storage = CountingStorage {
            inner: MockStorage::new(),
            yielded: Cell::new(0),
        };
        for i in 0..1_000 {
            register(&mut storage, &format!("idle{i:04}"), 99);
        }
        let rich = register(&mut storage, "rich", 500);
        let modest = register(&mut storage, "modest", 100);

        storage.yielded.set(0);
        let page = active_page(&storage, 100, None, 10).unwrap();
        assert_eq!(page, vec![rich, modest]);
        assert_eq!(storage.yielded.get(), 2, "no inactive entry was read");

        storage.yielded.set(0);
        let page = inactive_page(&storage, 100, None, 5).unwrap();
        assert_eq!(page.len(), 5);
        assert_eq!(storage.yielded.get(), 5, "no active entry was read");
    }
}
