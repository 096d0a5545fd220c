//! The local dev chain: its well-known accounts and its genesis `app_state`, both from
//! `chain-config/` (embedded at build time, so the binary needs only the contract artifacts).

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::app::genesis::{app_state_from_template, GenesisAccount, GenesisCoin};

/// `chain-config/genesis.template.json`.
pub const GENESIS_TEMPLATE: &str = include_str!("../../../../chain-config/genesis.template.json");
/// `chain-config/dev-accounts.json`.
const DEV_ACCOUNTS: &str = include_str!("../../../../chain-config/dev-accounts.json");

#[derive(Clone, Debug, Deserialize)]
pub struct DevAccount {
    pub name: String,
    pub mnemonic: String,
    pub address: String,
    pub coins: Vec<GenesisCoin>,
}

#[derive(Deserialize)]
struct DevAccountsFile {
    accounts: Vec<DevAccount>,
}

pub fn dev_accounts() -> Vec<DevAccount> {
    serde_json::from_str::<DevAccountsFile>(DEV_ACCOUNTS)
        .expect("chain-config/dev-accounts.json is checked by the tests")
        .accounts
}

/// The dev genesis `app_state`: the template's contracts (read from `artifacts`) and the dev
/// accounts funded.
pub fn dev_app_state(artifacts: &Path) -> Result<Value, String> {
    let accounts = dev_accounts()
        .into_iter()
        .map(|a| GenesisAccount {
            address: a.address,
            coins: a.coins,
        })
        .collect();
    let state = app_state_from_template(GENESIS_TEMPLATE, artifacts, accounts).map_err(|e| {
        format!(
            "{e} (the contract artifacts are built by scripts/build-contracts.sh; pass --artifacts DIR \
             if they are elsewhere than {})",
            artifacts.display()
        )
    })?;
    serde_json::to_value(state).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;

    #[test]
    fn dev_accounts_are_well_formed_tessera_addresses_with_24_word_mnemonics() {
        let accounts = dev_accounts();
        assert!(accounts.iter().any(|a| a.name == "alice"));
        for a in accounts {
            assert!(Address::from_bech32(&a.address).is_ok(), "{}", a.address);
            assert_eq!(a.mnemonic.split_whitespace().count(), 24, "{}", a.name);
            assert!(!a.coins.is_empty());
        }
    }
}
