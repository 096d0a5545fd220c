//! The chain's side of a suite: a fresh app, balances, minting, time, events, and a ledger of
//! every token minted, so that a suite can prove funds are neither created nor lost.

use cosmwasm_std::{coins, Addr, Timestamp, Uint128};
use cw_multi_test::{App, AppResponse, BankSudo, SudoMsg};

use crate::amounts::{DENOM, GENESIS_TIME};

/// An empty chain at height 1 and [`GENESIS_TIME`].
pub fn new_app() -> App {
    let mut app = App::default();
    app.update_block(|b| {
        b.height = 1;
        b.time = Timestamp::from_seconds(GENESIS_TIME);
    });
    app
}

/// `who`'s balance of [`DENOM`].
pub fn balance(app: &App, who: &Addr) -> u128 {
    let c = app.wrap().query_balance(who, DENOM).expect("balance");
    Uint128::try_from(c.amount).expect("fits in u128").u128()
}

/// The total supply of [`DENOM`].
pub fn supply(app: &App) -> u128 {
    let c = app.wrap().query_supply(DENOM).expect("supply");
    Uint128::try_from(c.amount).expect("fits in u128").u128()
}

/// Mints `amount` of `denom` to `to`, outside any ledger (other denoms are not in the
/// conservation check, which counts only [`DENOM`]).
pub fn mint_other(app: &mut App, to: &Addr, amount: u128, denom: &str) {
    app.sudo(SudoMsg::Bank(BankSudo::Mint {
        to_address: to.to_string(),
        amount: coins(amount, denom),
    }))
    .expect("mint");
}

/// Moves the chain `secs` seconds and as many blocks (at least one) forward.
pub fn advance(app: &mut App, secs: u64) {
    app.update_block(|b| {
        b.time = b.time.plus_seconds(secs);
        b.height += secs.max(1);
    });
}

/// The value of the first attribute `key` in any event of `res` (e.g. `awarded` of an end-block).
pub fn first_attr(res: &AppResponse, key: &str) -> Option<String> {
    res.events
        .iter()
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
}

/// The value of attribute `key` in the contract's `wasm` event.
pub fn wasm_attr(res: &AppResponse, key: &str) -> Option<String> {
    res.events
        .iter()
        .filter(|e| e.ty == "wasm")
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
}

/// Every account that ever held [`DENOM`] and how much was minted.
#[derive(Debug, Default)]
pub struct Ledger {
    pub accounts: Vec<Addr>,
    pub minted: u128,
}

impl Ledger {
    /// A ledger that already knows `accounts` (the contracts, the authority, the pool).
    pub fn knowing(accounts: Vec<Addr>) -> Self {
        Self {
            accounts,
            minted: 0,
        }
    }

    /// Mints `amount` utsr to `to` and remembers both.
    pub fn mint(&mut self, app: &mut App, to: &Addr, amount: u128) {
        app.sudo(SudoMsg::Bank(BankSudo::Mint {
            to_address: to.to_string(),
            amount: coins(amount, DENOM),
        }))
        .expect("mint");
        self.minted += amount;
        self.remember(to);
    }

    /// Counts `who` among the holders (an account funded by a transfer, not a mint).
    pub fn remember(&mut self, who: &Addr) {
        if !self.accounts.contains(who) {
            self.accounts.push(who.clone());
        }
    }

    /// What has been burned: minted less the supply.
    pub fn burned(&self, app: &App) -> u128 {
        self.minted - supply(app)
    }

    /// Funds are neither created nor lost: every token minted is held by a known account or was
    /// burned.
    #[track_caller]
    pub fn assert_conserved(&self, app: &App) {
        let held: u128 = self.accounts.iter().map(|a| balance(app, a)).sum();
        assert_eq!(held, supply(app), "funds reached an unknown account");
        assert_eq!(held + self.burned(app), self.minted);
    }
}
