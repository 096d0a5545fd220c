//! Events in wasmd's shape (x/wasm/keeper/events.go) and what they cost.
//!
//! - a contract's attributes become one `wasm` event led by `_contract_address`;
//! - each custom event becomes `wasm-<type>`, also led by `_contract_address`;
//! - keys and values are trimmed; empty keys and keys starting with `_` are refused (reserved for
//!   the host), as are custom types of two characters or less.

use cosmwasm_std::{Attribute, Event};

use crate::config::GasCosts;
use crate::error::WasmError;

pub const CONTRACT_ADDRESS_KEY: &str = "_contract_address";
const RESERVED_PREFIX: &str = "_";
/// wasmd's `eventTypeMinLength`: custom types must be longer than this.
const EVENT_TYPE_MIN_LENGTH: usize = 2;

/// An event the host emits about `contract` (`execute`, `instantiate`, `migrate`, …).
pub fn host_event(kind: &str, contract: &str, extra: &[(&str, String)]) -> Event {
    let mut ev = Event::new(kind);
    ev.attributes.push(attr(CONTRACT_ADDRESS_KEY, contract));
    for (k, v) in extra {
        ev.attributes.push(attr(*k, v.clone()));
    }
    ev
}

/// An attribute built directly: `Attribute::new` refuses (in debug builds) the `_` keys that
/// only the host may use.
pub fn attr(key: impl Into<String>, value: impl Into<String>) -> Attribute {
    Attribute {
        key: key.into(),
        value: value.into(),
    }
}

fn contract_attributes(contract: &str, attrs: &[Attribute]) -> Result<Vec<Attribute>, WasmError> {
    let mut out = Vec::with_capacity(attrs.len() + 1);
    out.push(attr(CONTRACT_ADDRESS_KEY, contract));
    for a in attrs {
        let key = a.key.trim();
        if key.is_empty() {
            return Err(WasmError::InvalidEvent(format!(
                "Empty attribute key. Value: {}",
                a.value
            )));
        }
        if key.starts_with(RESERVED_PREFIX) {
            return Err(WasmError::InvalidEvent(format!(
                "Attribute key starts with reserved prefix {RESERVED_PREFIX}: '{key}'"
            )));
        }
        out.push(attr(key, a.value.trim()));
    }
    Ok(out)
}

/// The `wasm` event of a response's attributes; `None` when there are none.
pub fn wasm_event(contract: &str, attrs: &[Attribute]) -> Result<Option<Event>, WasmError> {
    if attrs.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        Event::new("wasm").add_attributes(contract_attributes(contract, attrs)?),
    ))
}

/// A response's custom event as `wasm-<type>`.
pub fn custom_event(contract: &str, event: &Event) -> Result<Event, WasmError> {
    let ty = event.ty.trim();
    if ty.len() <= EVENT_TYPE_MIN_LENGTH {
        return Err(WasmError::InvalidEvent(format!(
            "Event type too short: '{ty}'"
        )));
    }
    Ok(Event::new(format!("wasm-{ty}"))
        .add_attributes(contract_attributes(contract, &event.attributes)?))
}

/// wasmd `EventCosts`: attribute bytes beyond a free tier, a fee per attribute and per custom
/// event (SDK gas).
pub fn event_costs(costs: &GasCosts, attrs: &[Attribute], events: &[Event]) -> u64 {
    let (mut gas, mut free) = attribute_costs(costs, attrs, costs.event_attribute_data_free_tier);
    for e in events {
        gas = gas
            .saturating_add(costs.custom_event_cost)
            .saturating_add((e.ty.len() as u64).saturating_mul(costs.event_attribute_data_cost));
        let (g, f) = attribute_costs(costs, &e.attributes, free);
        gas = gas.saturating_add(g);
        free = f;
    }
    gas
}

fn attribute_costs(costs: &GasCosts, attrs: &[Attribute], free_tier: u64) -> (u64, u64) {
    if attrs.is_empty() {
        return (0, free_tier);
    }
    let bytes: u64 = attrs
        .iter()
        .map(|a| (a.key.len() + a.value.len()) as u64)
        .sum();
    let (charged, free_left) = if bytes <= free_tier {
        (0, free_tier - bytes)
    } else {
        (bytes - free_tier, 0)
    };
    let gas = charged
        .saturating_mul(costs.event_attribute_data_cost)
        .saturating_add((attrs.len() as u64).saturating_mul(costs.event_per_attribute_cost));
    (gas, free_left)
}

/// wasmd `ReplyCosts`: the discounted instance cost plus the size of what the reply carries.
pub fn reply_costs(costs: &GasCosts, result_data_len: usize, events: &[Event]) -> u64 {
    let mut gas = 0u64;
    let mut attrs: Vec<Attribute> = Vec::new();
    for e in events {
        gas =
            gas.saturating_add((e.ty.len() as u64).saturating_mul(costs.event_attribute_data_cost));
        attrs.extend(e.attributes.iter().cloned());
    }
    gas = gas.saturating_add(event_costs(costs, &attrs, &[]));
    gas.saturating_add(costs.instance_cost_discount)
        .saturating_add((result_data_len as u64).saturating_mul(costs.contract_message_data_cost))
}

/// Drops `message` events, which the SDK emits per message and wasmd does not pass on.
pub fn without_message_events(events: Vec<Event>) -> Vec<Event> {
    events.into_iter().filter(|e| e.ty != "message").collect()
}

/// Sorts each event's attributes by key (stable), as wasmd does in place for the events of a
/// successful wasm submessage — which also changes how they appear in the transaction.
pub fn sort_attributes(events: &mut [Event]) {
    for e in events {
        e.attributes.sort_by(|a, b| a.key.cmp(&b.key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_checked_trimmed_and_led_by_the_contract() {
        let ev = wasm_event("c1", &[Attribute::new(" action ", " bid ")])
            .unwrap()
            .unwrap();
        assert_eq!(ev.ty, "wasm");
        assert_eq!(ev.attributes[0], attr("_contract_address", "c1"));
        assert_eq!(ev.attributes[1], Attribute::new("action", "bid"));
        assert!(wasm_event("c1", &[]).unwrap().is_none());
        assert!(wasm_event("c1", &[Attribute::new(" ", "v")]).is_err());
        let err = wasm_event("c1", &[attr("_x", "v")]).unwrap_err();
        assert_eq!(err.code(), 21);
        let custom = custom_event("c1", &Event::new("lease").add_attribute("id", "1")).unwrap();
        assert_eq!(custom.ty, "wasm-lease");
        assert!(custom_event("c1", &Event::new("ab")).is_err());
    }

    #[test]
    fn event_costs_follow_wasmd() {
        let c = GasCosts::default();
        // 100 bytes are free; then 1 gas per byte and 10 per attribute.
        let small = [Attribute::new("k", "v")];
        assert_eq!(event_costs(&c, &small, &[]), 10);
        let big = [Attribute::new("k", "v".repeat(149))];
        assert_eq!(event_costs(&c, &big, &[]), 50 + 10);
        let ev = Event::new("abc").add_attribute("k", "v");
        assert_eq!(event_costs(&c, &[], &[ev]), 20 + 3 + 10);
    }
}
