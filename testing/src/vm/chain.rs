//! The CosmWasm host alone: a [`WasmHost`] over an in-memory state whose bank lives in that
//! state, blocks moved by hand, and calls that read like the steps of a story.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tessera_store::state::MemState;
use tessera_store::Overlay;
use tessera_vm::address::humanize;
use tessera_vm::testing::MemBank;
use tessera_vm::Bank;
use tessera_vm::{
    lock_state, BlockEnv, CallEnv, Coin, Event, ExecuteResponse, GasMeter, InstantiateResponse,
    MsgExecuteContract, MsgInstantiateContract, MsgStoreCode, SharedState, Timestamp, TxEnv,
    VmConfig, WasmError, WasmHost,
};

use crate::amounts::{CHAIN_ID, DENOM, GENESIS_TIME};
use crate::workspace::wasm;

/// Generous SDK gas for steps that are not about gas.
pub const GAS: u64 = 50_000_000;

/// A deterministic 20-byte account address for `name`.
pub fn addr(name: &str) -> String {
    let hash = Sha256::digest(name.as_bytes());
    humanize("tessera", &hash[..20]).expect("20 bytes make an address")
}

/// `amount` utsr as the host's coins.
pub fn utsr(amount: u128) -> Vec<Coin> {
    vec![Coin::new(amount, DENOM)]
}

/// The host, its state and the block being built.
pub struct Chain {
    pub host: WasmHost,
    pub state: SharedState,
    pub block: BlockEnv,
    pub tx_index: u32,
    _dir: tempfile::TempDir,
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

impl Chain {
    pub fn new() -> Self {
        Self::with_config(|_| {})
    }

    pub fn with_config(adjust: impl FnOnce(&mut VmConfig)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = VmConfig::new(dir.path());
        adjust(&mut config);
        let host = WasmHost::new(config, Arc::new(MemBank)).expect("host opens");
        let state = Arc::new(Mutex::new(Overlay::new(Arc::new(MemState::default()))));
        Chain {
            host,
            state,
            block: BlockEnv {
                height: 1,
                time: Timestamp::from_seconds(GENESIS_TIME),
                chain_id: CHAIN_ID.into(),
            },
            tx_index: 0,
            _dir: dir,
        }
    }

    pub fn call(&self, gas_limit: u64) -> CallEnv {
        CallEnv::new(
            self.state.clone(),
            self.block.clone(),
            Some(TxEnv {
                index: self.tx_index,
                hash: vec![0xab; 32],
            }),
            GasMeter::new(gas_limit),
        )
    }

    pub fn mint(&self, to: &str, amount: u128) {
        MemBank::mint(&mut *lock_state(&self.state), to, amount, DENOM).expect("mint");
    }

    pub fn balance(&self, who: &str) -> u128 {
        let coin = MemBank
            .balance(&*lock_state(&self.state), who, DENOM)
            .expect("balance");
        coin.amount.to_string().parse().expect("fits u128")
    }

    /// Every pending write, to compare before and after a call.
    pub fn changes(&self) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
        lock_state(&self.state).changes()
    }

    pub fn store(&self, name: &str) -> u64 {
        self.store_bytes(wasm(name))
    }

    pub fn store_bytes(&self, wasm_byte_code: Vec<u8>) -> u64 {
        let msg = MsgStoreCode {
            sender: addr("deployer"),
            wasm_byte_code,
            instantiate_permission: None,
        };
        self.host
            .store_code(&self.call(GAS), &msg)
            .expect("store code")
            .code_id
    }

    pub fn instantiate<T: Serialize>(
        &self,
        sender: &str,
        code_id: u64,
        msg: &T,
        label: &str,
        admin: Option<&str>,
    ) -> Result<InstantiateResponse, WasmError> {
        let msg = MsgInstantiateContract {
            sender: sender.to_string(),
            admin: admin.unwrap_or_default().to_string(),
            code_id,
            label: label.to_string(),
            msg: serde_json::to_vec(msg).expect("message serializes"),
            funds: vec![],
        };
        self.host.instantiate(&self.call(GAS), &msg)
    }

    pub fn execute_with<T: Serialize>(
        &self,
        call: &CallEnv,
        sender: &str,
        contract: &str,
        msg: &T,
        funds: Vec<Coin>,
    ) -> Result<ExecuteResponse, WasmError> {
        let msg = MsgExecuteContract {
            sender: sender.to_string(),
            contract: contract.to_string(),
            msg: serde_json::to_vec(msg).expect("message serializes"),
            funds,
        };
        self.host.execute(call, &msg)
    }

    pub fn execute<T: Serialize>(
        &self,
        sender: &str,
        contract: &str,
        msg: &T,
        funds: Vec<Coin>,
    ) -> Result<ExecuteResponse, WasmError> {
        self.execute_with(&self.call(GAS), sender, contract, msg, funds)
    }

    pub fn sudo<T: Serialize>(
        &self,
        contract: &str,
        msg: &T,
    ) -> Result<ExecuteResponse, WasmError> {
        let call = CallEnv::new(
            self.state.clone(),
            self.block.clone(),
            None,
            GasMeter::new(GAS),
        );
        self.host.sudo(
            &call,
            contract,
            &serde_json::to_vec(msg).expect("message serializes"),
        )
    }

    pub fn query<R: DeserializeOwned, Q: Serialize>(&self, contract: &str, msg: &Q) -> R {
        let bin = self
            .host
            .query_smart(
                &self.state,
                &self.block,
                contract,
                &serde_json::to_vec(msg).expect("message serializes"),
            )
            .expect("query");
        serde_json::from_slice(bin.as_slice()).expect("query answer parses")
    }

    /// Moves `secs` seconds and one block forward.
    pub fn advance(&mut self, secs: u64) {
        self.block.height += 1;
        self.block.time = self.block.time.plus_seconds(secs);
    }
}

/// The attributes of an event as `(key, value)` pairs.
pub fn attrs(e: &Event) -> Vec<(&str, &str)> {
    e.attributes
        .iter()
        .map(|a| (a.key.as_str(), a.value.as_str()))
        .collect()
}

/// The first event of type `ty`.
pub fn event<'a>(events: &'a [Event], ty: &str) -> &'a Event {
    events
        .iter()
        .find(|e| e.ty == ty)
        .unwrap_or_else(|| panic!("no {ty} event in {events:#?}"))
}
