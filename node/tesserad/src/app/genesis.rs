//! Genesis: the `app_state` a chain starts from, and applying it to the first block's state.
//!
//! Contracts are stored and instantiated from the genesis authority (a module address), in
//! order; a string `$<name>` anywhere in a later message is replaced by the address of the
//! contract instantiated under that name, and `$genesis` by the authority itself, so contracts
//! that name each other can be wired up and then handed to governance.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_store::{Overlay, StateRead, StateWrite};
use tessera_vm::types::{BlockEnv, MsgExecuteContract, MsgInstantiateContract, MsgStoreCode};
use tessera_vm::WasmHost;

use crate::address::Address;
use crate::app::wasm::{call_env, with_shared};
use crate::app::AppError;
use crate::auth;
use crate::bank;
use crate::coin::{Coin, Coins};

/// The genesis authority: sets the contracts up before governance takes over.
pub const GENESIS_MODULE: &str = "genesis";

/// State keys of the app itself.
pub const CHAIN_ID_KEY: &[u8] = b"app/chain_id";
pub const HOOKS_KEY: &[u8] = b"app/hooks";

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppState {
    #[serde(default)]
    pub accounts: Vec<GenesisAccount>,
    #[serde(default)]
    pub wasm: WasmGenesis,
    #[serde(default)]
    pub hooks: Hooks,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    pub address: String,
    pub coins: Vec<GenesisCoin>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisCoin {
    pub denom: String,
    pub amount: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WasmGenesis {
    #[serde(default)]
    pub codes: Vec<GenesisCode>,
    /// Codes (by name) pinned from genesis, as wasmd's `MsgPinCodes`: kept compiled in memory
    /// and charged the small pinned instance cost instead of the full one on every call.
    #[serde(default)]
    pub pinned: Vec<String>,
    #[serde(default)]
    pub instantiate: Vec<GenesisContract>,
    #[serde(default)]
    pub execute: Vec<GenesisExecute>,
    /// Admin handovers after the executes: a contract instantiated with the genesis authority
    /// as its wasm admin passes it on (to governance, which instantiates last).
    #[serde(default)]
    pub admins: Vec<GenesisAdmin>,
    /// Who may pin and unpin codes after genesis (wasmd's `MsgPinCodes` authority): an address
    /// or `$name` of a contract instantiated above (the template names `$governance`). Without
    /// one, the pins are those of genesis for good.
    #[serde(default)]
    pub authority: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisAdmin {
    pub contract: String,
    pub admin: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisCode {
    pub name: String,
    pub wasm_base64: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisContract {
    pub name: String,
    pub code: String,
    pub label: String,
    pub admin: Option<String>,
    pub msg: Value,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisExecute {
    pub contract: String,
    pub msg: Value,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Hooks {
    #[serde(default)]
    pub end_block: Vec<Hook>,
}

/// A contract the chain calls with `sudo {"end_block": {}}` after every block.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Hook {
    pub contract: String,
    pub gas_limit: u64,
}

fn invalid(what: impl std::fmt::Display) -> AppError {
    AppError::Genesis(what.to_string())
}

/// Builds an `app_state` from the template in `chain-config/` (whose `codes` name artifacts)
/// with the wasm read from `artifacts_dir` and the given funded accounts.
pub fn app_state_from_template(
    template: &str,
    artifacts_dir: &std::path::Path,
    accounts: Vec<GenesisAccount>,
) -> Result<AppState, AppError> {
    let mut value: Value =
        serde_json::from_str(template).map_err(|e| invalid(format!("template: {e}")))?;
    let names: Vec<String> = value["wasm"]["codes"]
        .as_array()
        .ok_or_else(|| invalid("template: wasm.codes must list artifact names"))?
        .iter()
        .map(|n| {
            n.as_str()
                .map(str::to_string)
                .ok_or_else(|| invalid("template: code names are strings"))
        })
        .collect::<Result<_, _>>()?;
    let mut codes = Vec::with_capacity(names.len());
    for name in names {
        let path = artifacts_dir.join(format!("{name}.wasm"));
        let bytes = std::fs::read(&path).map_err(|e| {
            invalid(format!(
                "{}: {e} (run scripts/build-contracts.sh)",
                path.display()
            ))
        })?;
        codes.push(serde_json::json!({
            "name": name,
            "wasm_base64": base64::engine::general_purpose::STANDARD.encode(bytes),
        }));
    }
    value["wasm"]["codes"] = Value::Array(codes);
    let mut state: AppState =
        serde_json::from_value(value).map_err(|e| invalid(format!("template: {e}")))?;
    state.accounts.extend(accounts);
    Ok(state)
}

/// Replaces `$name` strings with contract addresses (and `$genesis` with the authority).
fn substitute(value: &mut Value, names: &BTreeMap<String, String>) -> Result<(), AppError> {
    match value {
        Value::String(s) if s.starts_with('$') => {
            *s = names
                .get(&s[1..])
                .cloned()
                .ok_or_else(|| invalid(format!("{s} names no contract instantiated before it")))?;
        }
        Value::Array(items) => items.iter_mut().try_for_each(|v| substitute(v, names))?,
        Value::Object(map) => map.values_mut().try_for_each(|v| substitute(v, names))?,
        _ => {}
    }
    Ok(())
}

/// Applies `app_state` to `overlay` for a chain starting at `block`.
pub fn apply(
    overlay: &mut Overlay,
    host: &WasmHost,
    block: &BlockEnv,
    app_state: &AppState,
) -> Result<(), AppError> {
    overlay.set(CHAIN_ID_KEY, block.chain_id.as_bytes());
    for account in &app_state.accounts {
        let address = Address::from_bech32(&account.address)
            .map_err(|e| invalid(format!("account {}: {e}", account.address)))?;
        let coins = account
            .coins
            .iter()
            .map(|c| {
                c.amount
                    .parse::<u128>()
                    .map(|a| Coin::new(a, c.denom.clone()))
                    .map_err(|_| {
                        invalid(format!(
                            "account {}: amount {:?}",
                            account.address, c.amount
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let coins =
            Coins::new(coins).map_err(|e| invalid(format!("account {}: {e}", account.address)))?;
        auth::get_or_create_account(overlay, &address).map_err(|e| invalid(e.log))?;
        bank::mint(overlay, &address, &coins).map_err(|e| invalid(e.log))?;
    }

    let authority = Address::module(GENESIS_MODULE).to_bech32();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    names.insert(GENESIS_MODULE.to_string(), authority.clone());
    let mut code_ids: BTreeMap<&str, u64> = BTreeMap::new();

    with_shared(overlay, |shared| -> Result<(), AppError> {
        let call = || call_env(shared, block, u64::MAX / 2);
        for code in &app_state.wasm.codes {
            let wasm = base64::engine::general_purpose::STANDARD
                .decode(&code.wasm_base64)
                .map_err(|e| invalid(format!("code {}: {e}", code.name)))?;
            let stored = host
                .store_code(
                    &call(),
                    &MsgStoreCode {
                        sender: authority.clone(),
                        wasm_byte_code: wasm,
                        instantiate_permission: None,
                    },
                )
                .map_err(|e| invalid(format!("code {}: {e}", code.name)))?;
            code_ids.insert(&code.name, stored.code_id);
        }
        for name in &app_state.wasm.pinned {
            let code_id = *code_ids
                .get(name.as_str())
                .ok_or_else(|| invalid(format!("pinned: unknown code {name}")))?;
            host.pin_code(shared, code_id)
                .map_err(|e| invalid(format!("pinning code {name}: {e}")))?;
        }
        for contract in &app_state.wasm.instantiate {
            let code_id = *code_ids.get(contract.code.as_str()).ok_or_else(|| {
                invalid(format!(
                    "contract {}: unknown code {}",
                    contract.name, contract.code
                ))
            })?;
            let mut msg = contract.msg.clone();
            substitute(&mut msg, &names)?;
            let mut admin = contract
                .admin
                .clone()
                .map(Value::String)
                .unwrap_or(Value::Null);
            substitute(&mut admin, &names)?;
            let created = host
                .instantiate(
                    &call(),
                    &MsgInstantiateContract {
                        sender: authority.clone(),
                        admin: admin.as_str().unwrap_or_default().to_string(),
                        code_id,
                        label: contract.label.clone(),
                        msg: serde_json::to_vec(&msg).map_err(invalid)?,
                        funds: vec![],
                    },
                )
                .map_err(|e| invalid(format!("contract {}: {e}", contract.name)))?;
            names.insert(contract.name.clone(), created.address);
        }
        for exec in &app_state.wasm.execute {
            let mut target = Value::String(exec.contract.clone());
            substitute(&mut target, &names)?;
            let mut msg = exec.msg.clone();
            substitute(&mut msg, &names)?;
            host.execute(
                &call(),
                &MsgExecuteContract {
                    sender: authority.clone(),
                    contract: target.as_str().unwrap_or_default().to_string(),
                    msg: serde_json::to_vec(&msg).map_err(invalid)?,
                    funds: vec![],
                },
            )
            .map_err(|e| invalid(format!("execute on {}: {e}", exec.contract)))?;
        }
        for handover in &app_state.wasm.admins {
            let mut target = Value::String(handover.contract.clone());
            substitute(&mut target, &names)?;
            let mut admin = Value::String(handover.admin.clone());
            substitute(&mut admin, &names)?;
            host.update_admin(
                &call(),
                &tessera_vm::types::MsgUpdateAdmin {
                    sender: authority.clone(),
                    new_admin: admin.as_str().unwrap_or_default().to_string(),
                    contract: target.as_str().unwrap_or_default().to_string(),
                },
            )
            .map_err(|e| invalid(format!("admin of {}: {e}", handover.contract)))?;
        }
        if let Some(authority) = &app_state.wasm.authority {
            let mut address = Value::String(authority.clone());
            substitute(&mut address, &names)?;
            host.set_authority(shared, address.as_str().unwrap_or_default())
                .map_err(|e| invalid(format!("wasm.authority: {e}")))?;
        }
        Ok(())
    })?;

    let mut hooks = app_state.hooks.clone();
    for hook in &mut hooks.end_block {
        let mut target = Value::String(hook.contract.clone());
        substitute(&mut target, &names)?;
        hook.contract = target.as_str().unwrap_or_default().to_string();
    }
    overlay.set(HOOKS_KEY, &serde_json::to_vec(&hooks).map_err(invalid)?);
    let contracts = serde_json::to_vec(&names).map_err(invalid)?;
    overlay.set(b"app/genesis_contracts", &contracts);
    Ok(())
}

/// The end-block hooks stored at genesis.
pub fn hooks(state: &dyn StateRead) -> Result<Hooks, AppError> {
    match state.get(HOOKS_KEY).map_err(AppError::Store)? {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| AppError::Genesis(format!("stored hooks: {e}"))),
        None => Ok(Hooks::default()),
    }
}

/// The contracts instantiated at genesis, by name (`registry`, `market`, `governance`, and
/// `genesis` for the authority).
pub fn contracts(state: &dyn StateRead) -> Result<BTreeMap<String, String>, AppError> {
    match state
        .get(b"app/genesis_contracts")
        .map_err(AppError::Store)?
    {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| AppError::Genesis(format!("stored contracts: {e}"))),
        None => Ok(BTreeMap::new()),
    }
}
