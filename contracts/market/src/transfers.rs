//! Funds leaving the contract during one message, merged per recipient and denom so that a
//! close touching many leases sends one bank message per party.

use std::collections::BTreeMap;

use cosmwasm_std::{Addr, BankMsg, Coin, CosmosMsg, Uint128};

#[derive(Debug, Default)]
pub struct Transfers {
    sends: BTreeMap<(Addr, String), Uint128>,
    burns: BTreeMap<String, Uint128>,
}

impl Transfers {
    pub fn send(&mut self, to: &Addr, amount: Uint128, denom: &str) {
        if !amount.is_zero() {
            *self
                .sends
                .entry((to.clone(), denom.to_string()))
                .or_default() += amount;
        }
    }

    pub fn burn(&mut self, amount: Uint128, denom: &str) {
        if !amount.is_zero() {
            *self.burns.entry(denom.to_string()).or_default() += amount;
        }
    }

    /// Adds the transfers of `other`, as if they had been made here.
    pub fn merge(&mut self, other: Transfers) {
        for ((to, denom), amount) in other.sends {
            self.send(&to, amount, &denom);
        }
        for (denom, amount) in other.burns {
            self.burn(amount, &denom);
        }
    }

    /// Bank messages: one send per (recipient, all its denoms), then one burn.
    pub fn into_messages(self) -> Vec<CosmosMsg> {
        let mut by_recipient: BTreeMap<Addr, Vec<Coin>> = BTreeMap::new();
        for ((to, denom), amount) in self.sends {
            by_recipient
                .entry(to)
                .or_default()
                .push(Coin::new(amount, denom));
        }
        let mut msgs: Vec<CosmosMsg> = by_recipient
            .into_iter()
            .map(|(to, amount)| {
                BankMsg::Send {
                    to_address: to.into_string(),
                    amount,
                }
                .into()
            })
            .collect();
        if !self.burns.is_empty() {
            let amount = self
                .burns
                .into_iter()
                .map(|(denom, amount)| Coin::new(amount, denom))
                .collect();
            msgs.push(BankMsg::Burn { amount }.into());
        }
        msgs
    }
}
