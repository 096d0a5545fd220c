//! A chain in a box: one [`App`] on a temp dir behind a mock consensus (it proposes, finalizes
//! and commits blocks itself), with the genesis of `chain-config/genesis.template.json` and the
//! real contracts of `artifacts/`. As Penumbra's mock-consensus: the app is the real one, only
//! CometBFT is left out.

use std::collections::BTreeMap;

use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasm_pb;
use cosmrs::proto::prost::Message as _;
use cosmrs::Any;
use serde_json::Value;
use sha2::Digest;
use tesserad::app::abci::{
    BlockTime, FinalizeBlockRequest, FinalizeBlockResponse, InitChainRequest, QueryRequest,
};
use tesserad::app::genesis::{self, GenesisAccount, GenesisCoin};
use tesserad::app::{App, AppConfig};
use tesserad::{auth, bank};

use super::tx::{Signer, TxSpec};
use super::wallet::{alice, bob, Wallet};
use crate::amounts::{CHAIN_ID, DENOM, GENESIS_TIME};
use crate::workspace::{artifacts, root};

/// Gas and fee of a contract tx (enough for any market message).
pub const CONTRACT_GAS: u64 = 3_000_000;
pub const CONTRACT_FEE: u128 = 75_000;

/// The genesis `app_state` (JSON) of the template with `accounts` (bech32 address, utsr) funded.
pub fn genesis_bytes(accounts: Vec<(String, u128)>) -> Vec<u8> {
    let template = std::fs::read_to_string(root().join("chain-config/genesis.template.json"))
        .expect("template");
    let accounts = accounts
        .into_iter()
        .map(|(address, amount)| GenesisAccount {
            address,
            coins: vec![GenesisCoin {
                denom: DENOM.into(),
                amount: amount.to_string(),
            }],
        })
        .collect();
    let state =
        genesis::app_state_from_template(&template, &artifacts(), accounts).expect("genesis");
    serde_json::to_vec(&state).expect("json")
}

/// A chain in a box: one app on a temp dir, blocks one second apart unless told otherwise.
pub struct Chain {
    pub app: App,
    /// Height and time of the last block.
    pub height: u64,
    pub time: u64,
    pub dir: tempfile::TempDir,
    pub contracts: BTreeMap<String, String>,
}

impl Chain {
    /// alice and bob funded with 1,000 TSR each.
    pub fn start() -> Chain {
        Chain::start_with(
            [alice(), bob()]
                .iter()
                .map(|w| (w.bech32(), 1_000_000_000))
                .collect(),
        )
    }

    /// A chain whose genesis funds `accounts` (bech32 address, utsr), then its first block.
    pub fn start_with(accounts: Vec<(String, u128)>) -> Chain {
        Chain::start_from(genesis_bytes(accounts))
    }

    /// A chain from the genesis `app_state` (JSON) given, then its first block.
    pub fn start_from(app_state_bytes: Vec<u8>) -> Chain {
        Chain::start_from_with_block_gas(
            app_state_bytes,
            tesserad::app::block_gas::DEFAULT_MAX_BLOCK_GAS,
        )
    }

    /// The same with another block gas limit (benches that fill blocks past the default).
    pub fn start_from_with_block_gas(app_state_bytes: Vec<u8>, max_block_gas: u64) -> Chain {
        Chain::start_configured(app_state_bytes, max_block_gas, |_| {})
    }

    /// The same with the app's configuration changed by `configure` first.
    pub fn start_configured(
        app_state_bytes: Vec<u8>,
        max_block_gas: u64,
        configure: impl FnOnce(&mut AppConfig),
    ) -> Chain {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = AppConfig::new(dir.path());
        configure(&mut config);
        let mut app = App::open(config).expect("app opens");
        app.init_chain(InitChainRequest {
            chain_id: CHAIN_ID.into(),
            time: BlockTime {
                seconds: GENESIS_TIME,
                nanos: 0,
            },
            initial_height: 1,
            app_state_bytes,
            max_block_gas: max_block_gas as i64,
        })
        .expect("init chain");
        let mut chain = Chain {
            app,
            height: 0,
            time: GENESIS_TIME,
            dir,
            contracts: Default::default(),
        };
        chain.block(vec![]);
        chain.contracts = genesis::contracts(&*chain.app.store().snapshot().expect("snapshot"))
            .expect("contracts");
        chain
    }

    /// The request of the next block, `secs` after the previous one.
    pub fn next_block(&mut self, secs: u64, txs: Vec<Vec<u8>>) -> FinalizeBlockRequest {
        self.height += 1;
        self.time += secs;
        let txs = self.app.prepare_proposal(txs, 4 << 20);
        assert!(self.app.process_proposal(&txs));
        FinalizeBlockRequest {
            height: self.height,
            hash: block_hash(self.height),
            time: BlockTime {
                seconds: self.time,
                nanos: 0,
            },
            txs,
            proposer_address: vec![0; 20],
        }
    }

    /// Finalizes and commits a block `secs` after the previous one.
    pub fn block_after(&mut self, secs: u64, txs: Vec<Vec<u8>>) -> FinalizeBlockResponse {
        let req = self.next_block(secs, txs);
        let res = self.app.finalize_block(req).expect("finalize");
        self.app.commit().expect("commit");
        res
    }

    pub fn block(&mut self, txs: Vec<Vec<u8>>) -> FinalizeBlockResponse {
        self.block_after(1, txs)
    }

    pub fn contract(&self, name: &str) -> String {
        self.contracts[name].clone()
    }

    /// Account number and sequence of `w` in the committed state.
    pub fn account(&self, w: &Wallet) -> (u64, u64) {
        let snapshot = self.app.store().snapshot().expect("snapshot");
        let acc = auth::get_account(&*snapshot, &w.address)
            .expect("read")
            .expect("account exists");
        (acc.account_number, acc.sequence)
    }

    pub fn balance(&self, address: &str) -> u128 {
        let snapshot = self.app.store().snapshot().expect("snapshot");
        bank::balance(
            &*snapshot,
            &tesserad::Address::from_bech32(address).expect("address"),
            DENOM,
        )
        .expect("balance")
    }

    /// A signed `MsgExecuteContract` from `w` at its committed sequence.
    pub fn execute(&self, w: &Wallet, contract: &str, msg: Value, funds: u128) -> Vec<u8> {
        let account = self.account(w);
        sign(
            w,
            account,
            vec![execute_any(w, contract, &msg, funds)],
            CONTRACT_GAS,
        )
    }

    /// A gRPC query through ABCI at the latest height, which must succeed.
    pub fn query<
        Req: cosmrs::proto::prost::Message,
        Res: cosmrs::proto::prost::Message + Default,
    >(
        &self,
        path: &str,
        request: Req,
    ) -> Res {
        let res = self.app.query(QueryRequest {
            path: path.into(),
            data: request.encode_to_vec(),
            height: 0,
            prove: false,
        });
        assert_eq!(res.code, 0, "{path}: {}", res.log);
        Res::decode(res.value.as_slice()).expect("response")
    }

    pub fn contract_info(&self, address: &str) -> wasm_pb::ContractInfo {
        self.query::<_, wasm_pb::QueryContractInfoResponse>(
            "/cosmwasm.wasm.v1.Query/ContractInfo",
            wasm_pb::QueryContractInfoRequest {
                address: address.into(),
            },
        )
        .contract_info
        .expect("info")
    }

    /// A smart query that must succeed.
    pub fn smart(&self, contract: &str, msg: Value) -> Value {
        self.try_smart(contract, msg)
            .unwrap_or_else(|log| panic!("query failed: {log}"))
    }

    /// A smart query at the latest height: the contract's answer, or the error's log.
    pub fn try_smart(&self, contract: &str, msg: Value) -> Result<Value, String> {
        let res = self.app.query(QueryRequest {
            path: "/cosmwasm.wasm.v1.Query/SmartContractState".into(),
            data: wasm_pb::QuerySmartContractStateRequest {
                address: contract.into(),
                query_data: serde_json::to_vec(&msg).expect("json"),
            }
            .encode_to_vec(),
            height: 0,
            prove: false,
        });
        if res.code != 0 {
            return Err(res.log);
        }
        let data = wasm_pb::QuerySmartContractStateResponse::decode(res.value.as_slice())
            .expect("response");
        Ok(serde_json::from_slice(&data.data).expect("json"))
    }
}

/// The hash the mock consensus gives block `height` (CometBFT's would be the header's hash):
/// 32 bytes that differ for every height and are the same on every run.
pub fn block_hash(height: u64) -> Vec<u8> {
    sha2::Sha256::digest([b"tessera-mock-block".as_slice(), &height.to_be_bytes()].concat())
        .to_vec()
}

/// A `MsgExecuteContract` from `w`, with `funds` utsr attached (none when 0).
pub fn execute_any(w: &Wallet, contract: &str, msg: &Value, funds: u128) -> Any {
    Any {
        type_url: "/cosmwasm.wasm.v1.MsgExecuteContract".into(),
        value: wasm_pb::MsgExecuteContract {
            sender: w.bech32(),
            contract: contract.into(),
            msg: serde_json::to_vec(msg).expect("json"),
            funds: if funds == 0 {
                vec![]
            } else {
                vec![cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
                    denom: DENOM.into(),
                    amount: funds.to_string(),
                }]
            },
        }
        .encode_to_vec(),
    }
}

/// A tx of `msgs` signed by `w` as (account number, sequence), with `gas` and [`CONTRACT_FEE`].
pub fn sign(
    w: &Wallet,
    (account_number, sequence): (u64, u64),
    msgs: Vec<Any>,
    gas: u64,
) -> Vec<u8> {
    let mut spec = TxSpec::new(
        msgs,
        vec![Signer {
            wallet: w,
            account_number,
            sequence,
        }],
    );
    spec.gas = gas;
    spec.fee = CONTRACT_FEE;
    spec.sign()
}

/// A deployment group `name` asking for one H100 (4 cores, 16 GiB) at up to 3,600,000 utsr per
/// hour, as a client writes it in JSON.
pub fn h100_group(name: &str) -> Value {
    serde_json::json!({
        "name": name,
        "resources": {"cpu_millis": 4000, "memory_mib": 16384,
                      "gpu": {"units": 1, "models": [{"vendor": "nvidia", "model": "h100"}]}},
        "count": 1,
        "max_price": "3600000"
    })
}

/// `wasm` with a custom section appended: the same module under a new checksum (custom sections
/// do not change what a module does). `name` and `payload` together stay under 127 bytes.
pub fn with_custom_section(mut wasm: Vec<u8>, name: &[u8], payload: &[u8]) -> Vec<u8> {
    let size = 1 + name.len() + payload.len();
    assert!(size < 128, "one-byte section size");
    wasm.push(0); // custom section id
    wasm.push(size as u8);
    wasm.push(name.len() as u8);
    wasm.extend_from_slice(name);
    wasm.extend_from_slice(payload);
    wasm
}

pub fn assert_ok(res: &FinalizeBlockResponse) {
    for (i, r) in res.tx_results.iter().enumerate() {
        assert_eq!(r.code, 0, "tx {i} failed: {}", r.log);
    }
}
