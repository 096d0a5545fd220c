//! The contracts in cw-multi-test: each one wrapped as the chain runs it, the registry and market
//! deployed and wired as genesis wires them, a ledger that proves funds are conserved, and the
//! text of contract errors.

mod contracts;
mod errors;
mod ledger;

pub use contracts::{
    add_referee, deploy_market_stack, governance_contract, market_contract, referee_contract,
    registry_contract, ContractSuite, MarketStack,
};
pub use errors::{assert_error_text, contract_message};
pub use ledger::{advance, balance, first_attr, mint_other, new_app, supply, wasm_attr, Ledger};
