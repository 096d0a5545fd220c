//! A bank kept in the same state, for tests and benches (the app brings its own bank module).
//!
//! Balances live at `bank/b/<addr>/<denom>` and supplies at `bank/s/<denom>` as decimal
//! strings. Sends and burns check every coin before writing any, and emit the SDK bank's events
//! (including the `message` event the host must drop).

use cosmwasm_std::{Coin, Event, Uint256};
use tessera_store::{StateRead, StateWrite};

use crate::bank::{Bank, BankError};

#[derive(Clone, Copy, Debug, Default)]
pub struct MemBank;

fn balance_key(addr: &str, denom: &str) -> Vec<u8> {
    format!("bank/b/{addr}/{denom}").into_bytes()
}

fn supply_key(denom: &str) -> Vec<u8> {
    format!("bank/s/{denom}").into_bytes()
}

fn read(state: &dyn StateRead, key: &[u8]) -> Result<Uint256, BankError> {
    let Some(raw) = state
        .get(key)
        .map_err(|e| BankError::new("sdk", 1, e.to_string()))?
    else {
        return Ok(Uint256::zero());
    };
    std::str::from_utf8(&raw)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| BankError::new("sdk", 1, "corrupt balance"))
}

fn write(state: &mut dyn StateWrite, key: &[u8], amount: Uint256) {
    if amount.is_zero() {
        state.delete(key);
    } else {
        state.set(key, amount.to_string().as_bytes());
    }
}

fn joined(coins: &[Coin]) -> String {
    coins
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn attr_event(ty: &str, attrs: &[(&str, &str)]) -> Event {
    let mut e = Event::new(ty);
    for (k, v) in attrs {
        e.attributes.push(crate::events::attr(*k, *v));
    }
    e
}

impl MemBank {
    /// Creates `amount` of `denom` for `to` (genesis, tests).
    pub fn mint(
        state: &mut dyn StateWrite,
        to: &str,
        amount: u128,
        denom: &str,
    ) -> Result<(), BankError> {
        let amount = Uint256::from(amount);
        let b = read(state, &balance_key(to, denom))?;
        write(state, &balance_key(to, denom), b + amount);
        let s = read(state, &supply_key(denom))?;
        write(state, &supply_key(denom), s + amount);
        Ok(())
    }

    fn check_covers(state: &dyn StateRead, from: &str, coins: &[Coin]) -> Result<(), BankError> {
        for c in coins {
            let have = read(state, &balance_key(from, &c.denom))?;
            if have < c.amount {
                return Err(BankError::insufficient_funds(format!(
                    "spendable balance {have}{} is smaller than {c}",
                    c.denom
                )));
            }
        }
        Ok(())
    }
}

impl Bank for MemBank {
    fn send(
        &self,
        state: &mut dyn StateWrite,
        from: &str,
        to: &str,
        coins: &[Coin],
    ) -> Result<Vec<Event>, BankError> {
        Self::check_covers(state, from, coins)?;
        for c in coins {
            let from_key = balance_key(from, &c.denom);
            let have = read(state, &from_key)?;
            write(state, &from_key, have - c.amount);
            let to_key = balance_key(to, &c.denom);
            let theirs = read(state, &to_key)?;
            write(state, &to_key, theirs + c.amount);
        }
        let amount = joined(coins);
        Ok(vec![
            attr_event("coin_spent", &[("spender", from), ("amount", &amount)]),
            attr_event("coin_received", &[("receiver", to), ("amount", &amount)]),
            attr_event(
                "transfer",
                &[("recipient", to), ("sender", from), ("amount", &amount)],
            ),
            attr_event("message", &[("sender", from)]),
        ])
    }

    fn burn(
        &self,
        state: &mut dyn StateWrite,
        from: &str,
        coins: &[Coin],
    ) -> Result<Vec<Event>, BankError> {
        Self::check_covers(state, from, coins)?;
        for c in coins {
            let key = balance_key(from, &c.denom);
            let have = read(state, &key)?;
            write(state, &key, have - c.amount);
            let s = read(state, &supply_key(&c.denom))?;
            write(state, &supply_key(&c.denom), s.saturating_sub(c.amount));
        }
        let amount = joined(coins);
        Ok(vec![
            attr_event("coin_spent", &[("spender", from), ("amount", &amount)]),
            attr_event("burn", &[("burner", from), ("amount", &amount)]),
        ])
    }

    fn balance(
        &self,
        state: &dyn StateRead,
        address: &str,
        denom: &str,
    ) -> Result<Coin, BankError> {
        Ok(Coin::new(read(state, &balance_key(address, denom))?, denom))
    }

    fn supply(&self, state: &dyn StateRead, denom: &str) -> Result<Coin, BankError> {
        Ok(Coin::new(read(state, &supply_key(denom))?, denom))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_store::state::MemState;

    #[test]
    fn sends_all_or_nothing_and_burns_reduce_supply() {
        let mut s = MemState::default();
        MemBank::mint(&mut s, "a", 10, "x").unwrap();
        MemBank::mint(&mut s, "a", 1, "y").unwrap();
        let err = MemBank
            .send(
                &mut s,
                "a",
                "b",
                &[Coin::new(5u128, "x"), Coin::new(2u128, "y")],
            )
            .unwrap_err();
        assert_eq!((err.codespace.as_str(), err.code), ("sdk", 5));
        assert_eq!(
            MemBank.balance(&s, "a", "x").unwrap().amount,
            Uint256::from(10u128)
        );
        MemBank
            .send(&mut s, "a", "b", &[Coin::new(4u128, "x")])
            .unwrap();
        MemBank.burn(&mut s, "b", &[Coin::new(1u128, "x")]).unwrap();
        assert_eq!(
            MemBank.balance(&s, "b", "x").unwrap().amount,
            Uint256::from(3u128)
        );
        assert_eq!(
            MemBank.supply(&s, "x").unwrap().amount,
            Uint256::from(9u128)
        );
    }
}
