//! Balances, supply, transfers, mints and burns.
//!
//! State keys (all under `bank/`):
//! - `bank/balance/{address length: 1 byte}{address bytes}{denom}` → amount;
//! - `bank/supply/{denom}` → amount.
//!
//! Amounts are stored as canonical decimal ASCII of a `u128` (no sign, no leading zeros), the
//! bytes the SDK stores for a balance (`math.Int` marshals to its decimal string), so KV gas is
//! comparable and a state dump is readable. A zero balance is deleted, never stored. The
//! address is length-prefixed because key-derived addresses are 20 bytes and contract
//! addresses 32: without the prefix one address's keys could run into another's.
//!
//! These functions charge no gas themselves; wrap the state in a `GasMeteredState` when a
//! transaction pays.

use std::ops::Bound;

use tessera_store::{StateRead, StateWrite};

use crate::address::Address;
use crate::auth;
use crate::coin::{parse_amount, Coin, Coins};
use crate::error::TxError;
use crate::event::{self, Event};
use crate::msg::MsgSend;

/// The module account that collects fees.
pub const FEE_COLLECTOR: &str = "fee_collector";

/// Module accounts a `MsgSend` may not pay into: their funds move only by module logic (the
/// SDK's `BlockedAddrs`).
pub const BLOCKED_MODULE_ACCOUNTS: &[&str] = &[FEE_COLLECTOR];

/// Default and largest page of balance queries (the SDK's default limit is 100).
pub const DEFAULT_PAGE_LIMIT: usize = 100;
pub const MAX_PAGE_LIMIT: usize = 1000;

const BALANCE_PREFIX: &[u8] = b"bank/balance/";
const SUPPLY_PREFIX: &[u8] = b"bank/supply/";

fn address_prefix(address: &Address) -> Vec<u8> {
    let bytes = address.as_bytes();
    // `Address` holds at most 255 bytes, so the length fits one byte.
    let len = u8::try_from(bytes.len()).unwrap_or(u8::MAX);
    [BALANCE_PREFIX, &[len], bytes].concat()
}

pub fn balance_key(address: &Address, denom: &str) -> Vec<u8> {
    [address_prefix(address).as_slice(), denom.as_bytes()].concat()
}

pub fn is_balance_key(key: &[u8]) -> bool {
    key.starts_with(BALANCE_PREFIX)
}

/// What a balance becomes when a credit made on top of `seen` (leaving `credited`) is made on
/// top of `current` instead; `None` when that could change anything else: `credited` is below
/// `seen` (a debit, which may fail on another balance), the read or the written value would
/// have another length (another gas charge), or a value is not an amount.
pub fn rebase_credit(
    seen: Option<&[u8]>,
    current: Option<&[u8]>,
    credited: &[u8],
) -> Option<Vec<u8>> {
    if seen.map(<[u8]>::len) != current.map(<[u8]>::len) {
        return None;
    }
    let amount = |value: Option<&[u8]>| value.map_or(Ok(0), decode_amount).ok();
    let credit = decode_amount(credited).ok()?.checked_sub(amount(seen)?)?;
    let total = amount(current)?
        .checked_add(credit)?
        .to_string()
        .into_bytes();
    (total.len() == credited.len()).then_some(total)
}

pub fn supply_key(denom: &str) -> Vec<u8> {
    [SUPPLY_PREFIX, denom.as_bytes()].concat()
}

fn read_amount(state: &dyn StateRead, key: &[u8]) -> Result<u128, TxError> {
    match state.get(key)? {
        None => Ok(0),
        Some(bytes) => decode_amount(&bytes),
    }
}

fn decode_amount(bytes: &[u8]) -> Result<u128, TxError> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(parse_amount)
        .ok_or_else(|| TxError::internal("corrupt amount in bank state"))
}

fn write_amount(state: &mut dyn StateWrite, key: &[u8], amount: u128) {
    if amount == 0 {
        state.delete(key);
    } else {
        state.set(key, amount.to_string().as_bytes());
    }
}

pub fn balance(state: &dyn StateRead, address: &Address, denom: &str) -> Result<u128, TxError> {
    read_amount(state, &balance_key(address, denom))
}

pub fn supply(state: &dyn StateRead, denom: &str) -> Result<u128, TxError> {
    read_amount(state, &supply_key(denom))
}

/// A page request in the SDK's key style: `key` is the `next_key` of the previous page
/// (inclusive start), `limit` 0 means the default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageRequest {
    pub key: Option<Vec<u8>>,
    pub limit: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next_key: Option<Vec<u8>>,
}

/// Coins under `prefix` (the key's rest is the denom), one page, in denom order.
fn coins_page(
    state: &dyn StateRead,
    prefix: &[u8],
    page: &PageRequest,
) -> Result<Page<Coin>, TxError> {
    let limit = match page.limit {
        0 => DEFAULT_PAGE_LIMIT,
        n => n.min(MAX_PAGE_LIMIT),
    };
    let start = [prefix, page.key.as_deref().unwrap_or_default()].concat();
    let end = tessera_store::state::prefix_end(prefix);
    let upper = match &end {
        Some(e) => Bound::Excluded(e.as_slice()),
        None => Bound::Unbounded,
    };
    let mut items = Vec::new();
    for item in state.range(Bound::Included(start.as_slice()), upper, false)? {
        let (key, value) = item?;
        let denom = &key[prefix.len()..];
        if items.len() == limit {
            return Ok(Page {
                items,
                next_key: Some(denom.to_vec()),
            });
        }
        let denom = String::from_utf8(denom.to_vec())
            .map_err(|_| TxError::internal("corrupt denom in bank state"))?;
        items.push(Coin::new(decode_amount(&value)?, denom));
    }
    Ok(Page {
        items,
        next_key: None,
    })
}

/// All balances of an account, paginated by denom.
pub fn all_balances(
    state: &dyn StateRead,
    address: &Address,
    page: &PageRequest,
) -> Result<Page<Coin>, TxError> {
    coins_page(state, &address_prefix(address), page)
}

/// The supply of every denom, paginated by denom.
pub fn total_supply(state: &dyn StateRead, page: &PageRequest) -> Result<Page<Coin>, TxError> {
    coins_page(state, SUPPLY_PREFIX, page)
}

/// Takes `amount` from `address`, failing on the first coin it cannot cover.
fn subtract(state: &mut dyn StateWrite, address: &Address, amount: &Coins) -> Result<(), TxError> {
    for coin in amount.iter() {
        let key = balance_key(address, &coin.denom);
        let have = read_amount(state, &key)?;
        let left = have.checked_sub(coin.amount).ok_or_else(|| {
            TxError::insufficient_funds(format!(
                "spendable balance {} is smaller than {coin}",
                Coin::new(have, coin.denom.clone())
            ))
        })?;
        write_amount(state, &key, left);
    }
    Ok(())
}

fn add(state: &mut dyn StateWrite, address: &Address, amount: &Coins) -> Result<(), TxError> {
    for coin in amount.iter() {
        let key = balance_key(address, &coin.denom);
        // Cannot overflow while supply (which bounds every balance) fits u128.
        let total = read_amount(state, &key)?
            .checked_add(coin.amount)
            .ok_or_else(|| TxError::internal(format!("balance overflow in {}", coin.denom)))?;
        write_amount(state, &key, total);
    }
    Ok(())
}

/// Moves `amount` from `from` to `to`, creating `to`'s account if it has none.
/// Events: `coin_spent`, `coin_received`, `transfer`, `message {sender}` (the SDK's order).
pub fn send(
    state: &mut dyn StateWrite,
    from: &Address,
    to: &Address,
    amount: &Coins,
) -> Result<Vec<Event>, TxError> {
    subtract(state, from, amount)?;
    add(state, to, amount)?;
    auth::get_or_create_account(state, to)?;
    Ok(vec![
        event::coin_spent(from, amount),
        event::coin_received(to, amount),
        event::transfer(from, to, amount),
        Event::new("message").attr("sender", from.to_string()),
    ])
}

/// Creates coins for `to` (genesis; later, module logic). Supply grows by `amount`.
pub fn mint(
    state: &mut dyn StateWrite,
    to: &Address,
    amount: &Coins,
) -> Result<Vec<Event>, TxError> {
    for coin in amount.iter() {
        let key = supply_key(&coin.denom);
        let total = read_amount(state, &key)?
            .checked_add(coin.amount)
            .ok_or_else(|| {
                TxError::invalid_coins(format!("supply of {} would exceed 2^128 - 1", coin.denom))
            })?;
        write_amount(state, &key, total);
    }
    add(state, to, amount)?;
    auth::get_or_create_account(state, to)?;
    Ok(vec![
        event::coin_received(to, amount),
        Event::new("coinbase")
            .attr("minter", to.to_string())
            .attr("amount", amount.to_string()),
    ])
}

/// Destroys coins held by `from` (fee burns, contracts). Supply shrinks by `amount`.
pub fn burn(
    state: &mut dyn StateWrite,
    from: &Address,
    amount: &Coins,
) -> Result<Vec<Event>, TxError> {
    subtract(state, from, amount)?;
    for coin in amount.iter() {
        let key = supply_key(&coin.denom);
        let total = read_amount(state, &key)?
            .checked_sub(coin.amount)
            .ok_or_else(|| TxError::internal(format!("supply of {} below zero", coin.denom)))?;
        write_amount(state, &key, total);
    }
    Ok(vec![
        event::coin_spent(from, amount),
        Event::new("burn")
            .attr("burner", from.to_string())
            .attr("amount", amount.to_string()),
    ])
}

pub fn is_blocked_recipient(address: &Address) -> bool {
    BLOCKED_MODULE_ACCOUNTS
        .iter()
        .any(|name| Address::module(name) == *address)
}

/// The `MsgSend` handler (gas is the caller's business): refuses blocked recipients as the
/// SDK does, then transfers.
pub fn handle_msg_send(state: &mut dyn StateWrite, msg: &MsgSend) -> Result<Vec<Event>, TxError> {
    if is_blocked_recipient(&msg.to) {
        return Err(TxError::unauthorized(format!(
            "{} is not allowed to receive funds",
            msg.to
        )));
    }
    send(state, &msg.from, &msg.to, &msg.amount)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_store::state::MemState;

    fn addr(n: u8) -> Address {
        Address::from_bytes(&[n; 20]).unwrap()
    }

    fn coins(list: &[(u128, &str)]) -> Coins {
        Coins::new(list.iter().map(|(a, d)| Coin::new(*a, *d)).collect()).unwrap()
    }

    #[test]
    fn mint_send_and_burn_keep_supply_equal_to_the_sum_of_balances() {
        let mut s = MemState::default();
        mint(&mut s, &addr(1), &coins(&[(100, "utsr"), (5, "uxyz")])).unwrap();
        send(&mut s, &addr(1), &addr(2), &coins(&[(40, "utsr")])).unwrap();
        burn(&mut s, &addr(2), &coins(&[(10, "utsr")])).unwrap();
        assert_eq!(balance(&s, &addr(1), "utsr").unwrap(), 60);
        assert_eq!(balance(&s, &addr(2), "utsr").unwrap(), 30);
        assert_eq!(supply(&s, "utsr").unwrap(), 90);
        assert!(
            auth::has_account(&s, &addr(2)).unwrap(),
            "receipt creates the account"
        );
        assert_eq!(
            s.get(&balance_key(&addr(1), "utsr")).unwrap(),
            Some(b"60".to_vec()),
            "amounts are decimal ASCII"
        );
    }

    #[test]
    fn a_credit_moves_onto_another_balance_only_when_nothing_else_would_change() {
        let rebase = |seen: Option<&str>, current: Option<&str>, credited: &str| {
            rebase_credit(
                seen.map(str::as_bytes),
                current.map(str::as_bytes),
                credited.as_bytes(),
            )
            .map(|v| String::from_utf8(v).unwrap())
        };
        assert_eq!(rebase(Some("100"), Some("150"), "120"), Some("170".into()));
        assert_eq!(rebase(None, None, "20"), Some("20".into()));
        assert_eq!(rebase(Some("100"), Some("150"), "100"), Some("150".into()));
        // A debit; a read of another length; a result of another length; not amounts.
        assert_eq!(rebase(Some("100"), Some("150"), "90"), None);
        assert_eq!(rebase(Some("100"), Some("1500"), "120"), None);
        assert_eq!(rebase(None, Some("1"), "20"), None);
        assert_eq!(rebase(Some("100"), Some("990"), "120"), None);
        assert_eq!(rebase(Some("1x0"), Some("150"), "120"), None);
    }

    #[test]
    fn a_send_beyond_the_balance_fails_with_the_sdk_text() {
        let mut s = MemState::default();
        mint(&mut s, &addr(1), &coins(&[(10, "utsr")])).unwrap();
        let err = send(&mut s, &addr(1), &addr(2), &coins(&[(11, "utsr")])).unwrap_err();
        assert_eq!(err.code, 5);
        assert_eq!(
            err.log,
            "spendable balance 10utsr is smaller than 11utsr: insufficient funds"
        );
        let err = send(&mut s, &addr(2), &addr(1), &coins(&[(1, "utsr")])).unwrap_err();
        assert_eq!(
            err.log,
            "spendable balance 0utsr is smaller than 1utsr: insufficient funds"
        );
    }

    #[test]
    fn balances_page_by_denom_and_zero_balances_vanish() {
        let mut s = MemState::default();
        mint(
            &mut s,
            &addr(1),
            &coins(&[(1, "aaa"), (2, "bbb"), (3, "ccc")]),
        )
        .unwrap();
        // A 32-byte address starting with addr(1)'s bytes must not show up in addr(1)'s page.
        mint(
            &mut s,
            &Address::from_bytes(&[1; 32]).unwrap(),
            &coins(&[(9, "zzz")]),
        )
        .unwrap();
        let first = all_balances(
            &s,
            &addr(1),
            &PageRequest {
                key: None,
                limit: 2,
            },
        )
        .unwrap();
        assert_eq!(first.items.len(), 2);
        assert_eq!(first.next_key, Some(b"ccc".to_vec()));
        let second = all_balances(
            &s,
            &addr(1),
            &PageRequest {
                key: first.next_key,
                limit: 2,
            },
        )
        .unwrap();
        assert_eq!(second.items, vec![Coin::new(3, "ccc")]);
        assert_eq!(second.next_key, None);

        burn(&mut s, &addr(1), &coins(&[(1, "aaa")])).unwrap();
        assert_eq!(s.get(&balance_key(&addr(1), "aaa")).unwrap(), None);
        assert_eq!(s.get(&supply_key("aaa")).unwrap(), None);
    }
}
