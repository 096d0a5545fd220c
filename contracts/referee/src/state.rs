use cosmwasm_std::Addr;
use cw_storage_plus::Item;

/// The market whose attestations this referee decides.
pub const MARKET: Item<Addr> = Item::new("market");
