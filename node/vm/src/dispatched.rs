//! What a contract call leaves behind once its response is handled: its events and data,
//! including everything its messages dispatched.

use cosmwasm_std::{Binary, Event};

#[derive(Debug, Default)]
pub(crate) struct Dispatched {
    pub data: Option<Binary>,
    pub events: Vec<Event>,
}
