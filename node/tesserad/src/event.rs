//! ABCI events in the SDK's shapes, as a plain domain type the app converts to its ABCI crate's.

use crate::address::Address;
use crate::coin::Coins;

/// An event: a kind (`transfer`, `message`, `tx`, …) and ordered attributes. Keys are never
/// empty (CometBFT indexes by `kind.key`, and clients skip events with empty keys).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Event {
    pub kind: String,
    pub attributes: Vec<(String, String)>,
}

impl Event {
    pub fn new(kind: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            attributes: Vec::new(),
        }
    }

    /// Appends an attribute. Callers in this crate pass constant non-empty keys.
    pub fn attr(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push((key.into(), value.into()));
        self
    }

    /// The value of the first attribute named `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// `coin_spent {spender, amount}`, emitted whenever a balance goes down.
pub fn coin_spent(spender: &Address, amount: &Coins) -> Event {
    Event::new("coin_spent")
        .attr("spender", spender.to_string())
        .attr("amount", amount.to_string())
}

/// `coin_received {receiver, amount}`, emitted whenever a balance goes up.
pub fn coin_received(receiver: &Address, amount: &Coins) -> Event {
    Event::new("coin_received")
        .attr("receiver", receiver.to_string())
        .attr("amount", amount.to_string())
}

/// `transfer {recipient, sender, amount}`.
pub fn transfer(sender: &Address, recipient: &Address, amount: &Coins) -> Event {
    Event::new("transfer")
        .attr("recipient", recipient.to_string())
        .attr("sender", sender.to_string())
        .attr("amount", amount.to_string())
}
