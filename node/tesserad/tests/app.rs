//! The whole state machine driven by a mock consensus: signed transactions against the real
//! compiled contracts in the real CosmWasm VM, blocks finalized and committed to disk.

mod common;

use std::path::PathBuf;

use common::{alice, bob, Signer, TxSpec, Wallet};
use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasm_pb;
use cosmrs::proto::prost::Message as _;
use cosmrs::Any;
use serde_json::{json, Value};
use tesserad::app::abci::{
    BlockTime, FinalizeBlockRequest, FinalizeBlockResponse, InitChainRequest, QueryRequest,
};
use tesserad::app::genesis::{self, GenesisAccount, GenesisCoin};
use tesserad::app::{App, AppConfig};
use tesserad::{auth, bank};

const GAS: u64 = 3_000_000;
const FEE: u128 = 75_000;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A chain in a box: one app on a temp dir, blocks one second apart unless told otherwise.
struct Chain {
    app: App,
    height: u64,
    time: u64,
    _dir: tempfile::TempDir,
    contracts: std::collections::BTreeMap<String, String>,
}

impl Chain {
    fn start() -> Chain {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut app = App::open(AppConfig::new(dir.path())).expect("app opens");
        let template = std::fs::read_to_string(root().join("chain-config/genesis.template.json"))
            .expect("template");
        let accounts = [alice(), bob()]
            .iter()
            .map(|w| GenesisAccount {
                address: w.bech32(),
                coins: vec![GenesisCoin {
                    denom: "utsr".into(),
                    amount: "1000000000".into(),
                }],
            })
            .collect();
        let state =
            genesis::app_state_from_template(&template, &root().join("artifacts"), accounts)
                .expect("genesis");
        let time = 1_700_000_000;
        app.init_chain(InitChainRequest {
            chain_id: common::CHAIN_ID.into(),
            time: BlockTime {
                seconds: time,
                nanos: 0,
            },
            initial_height: 1,
            app_state_bytes: serde_json::to_vec(&state).expect("json"),
        })
        .expect("init chain");
        let mut chain = Chain {
            app,
            height: 0,
            time,
            _dir: dir,
            contracts: Default::default(),
        };
        chain.block(vec![]);
        chain.contracts = genesis::contracts(&*chain.app.store().snapshot().expect("snapshot"))
            .expect("contracts");
        chain
    }

    /// Finalizes and commits a block `secs` after the previous one.
    fn block_after(&mut self, secs: u64, txs: Vec<Vec<u8>>) -> FinalizeBlockResponse {
        self.height += 1;
        self.time += secs;
        let txs = self.app.prepare_proposal(txs, 4 << 20);
        assert!(self.app.process_proposal(&txs));
        let res = self
            .app
            .finalize_block(FinalizeBlockRequest {
                height: self.height,
                time: BlockTime {
                    seconds: self.time,
                    nanos: 0,
                },
                txs,
                proposer_address: vec![0; 20],
            })
            .expect("finalize");
        self.app.commit().expect("commit");
        res
    }

    fn block(&mut self, txs: Vec<Vec<u8>>) -> FinalizeBlockResponse {
        self.block_after(1, txs)
    }

    fn contract(&self, name: &str) -> String {
        self.contracts[name].clone()
    }

    fn account(&self, w: &Wallet) -> (u64, u64) {
        let snapshot = self.app.store().snapshot().expect("snapshot");
        let acc = auth::get_account(&*snapshot, &w.address)
            .expect("read")
            .expect("account exists");
        (acc.account_number, acc.sequence)
    }

    fn balance(&self, address: &str) -> u128 {
        let snapshot = self.app.store().snapshot().expect("snapshot");
        bank::balance(
            &*snapshot,
            &tesserad::Address::from_bech32(address).expect("address"),
            "utsr",
        )
        .expect("balance")
    }

    /// A signed `MsgExecuteContract` from `w`.
    fn execute(&self, w: &Wallet, contract: &str, msg: Value, funds: u128) -> Vec<u8> {
        let (number, sequence) = self.account(w);
        let any = Any {
            type_url: "/cosmwasm.wasm.v1.MsgExecuteContract".into(),
            value: wasm_pb::MsgExecuteContract {
                sender: w.bech32(),
                contract: contract.into(),
                msg: serde_json::to_vec(&msg).expect("json"),
                funds: if funds == 0 {
                    vec![]
                } else {
                    vec![cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
                        denom: "utsr".into(),
                        amount: funds.to_string(),
                    }]
                },
            }
            .encode_to_vec(),
        };
        let mut spec = TxSpec::new(
            vec![any],
            vec![Signer {
                wallet: w,
                account_number: number,
                sequence,
            }],
        );
        spec.gas = GAS;
        spec.fee = FEE;
        spec.sign()
    }

    fn smart(&self, contract: &str, msg: Value) -> Value {
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
        assert_eq!(res.code, 0, "query failed: {}", res.log);
        let data = wasm_pb::QuerySmartContractStateResponse::decode(res.value.as_slice())
            .expect("response");
        serde_json::from_slice(&data.data).expect("json")
    }
}

fn assert_ok(res: &FinalizeBlockResponse) {
    for (i, r) in res.tx_results.iter().enumerate() {
        assert_eq!(r.code, 0, "tx {i} failed: {}", r.log);
    }
}

const MANIFEST: &str = "0000000000000000000000000000000000000000000000000000000000000001";

#[test]
fn a_provider_wins_a_lease_through_signed_transactions_and_the_end_block_hook() {
    let mut chain = Chain::start();
    let (registry, market) = (chain.contract("registry"), chain.contract("market"));
    let (tenant, provider) = (alice(), bob());
    let gpu = json!({"vendor": "nvidia", "model": "h100", "vram_mib": 81920, "count": 8});

    let register = chain.execute(
        &provider,
        &registry,
        json!({"register": {"host_uri": "https://bob.example.com", "gpus": [gpu]}}),
        100_000_000,
    );
    let group = json!({
        "name": "train",
        "resources": {"cpu_millis": 4000, "memory_mib": 16384,
                      "gpu": {"units": 1, "models": [{"vendor": "nvidia", "model": "h100"}]}},
        "count": 1,
        "max_price": "3600000"
    });
    let create = chain.execute(
        &tenant,
        &market,
        json!({"create_deployment": {"dseq": 1, "groups": [group], "manifest_hash": MANIFEST}}),
        10_000_000,
    );
    assert_ok(&chain.block(vec![register, create]));

    let order = json!({"owner": tenant.bech32(), "dseq": 1, "gseq": 1, "oseq": 1});
    let offer =
        json!({"gpus": [{"vendor": "nvidia", "model": "h100", "vram_mib": 81920, "count": 1}]});
    let bid = chain.execute(
        &provider,
        &market,
        json!({"place_bid": {"order": order, "price": "3600000", "offer": offer}}),
        500_000,
    );
    assert_ok(&chain.block(vec![bid]));

    // The auction window (30 s) closes; the end-block hook awards the lease.
    let res = chain.block_after(30, vec![]);
    assert!(
        res.events
            .iter()
            .any(|e| e.attributes.iter().any(|(k, v)| k == "awarded" && v == "1")),
        "end-block events: {:?}",
        res.events
    );
    let lease_id = json!({"owner": tenant.bech32(), "dseq": 1, "gseq": 1, "oseq": 1, "provider": provider.bech32()});
    let lease = chain.smart(&market, json!({"lease": {"id": lease_id}}));
    assert_eq!(lease["state"], "active");
    let rep = chain.smart(
        &registry,
        json!({"reputation": {"provider": provider.bech32()}}),
    );
    assert_eq!(rep["leases_started"], 1);

    // A minute later the hook has paid the provider 60 s at 1000 utsr/s, less the 2 % take.
    let before = chain.balance(&provider.bech32());
    chain.block_after(60, vec![]);
    let paid = chain.smart(&market, json!({"lease": {"id": lease_id}}))["total_paid"].clone();
    assert_eq!(paid, "60000");
    assert_eq!(chain.balance(&provider.bech32()), before + 58_800);
}

#[test]
fn a_contract_error_fails_the_tx_with_the_wasmd_code_and_keeps_only_fee_and_sequence() {
    let mut chain = Chain::start();
    let market = chain.contract("market");
    let tenant = alice();
    let (_, seq) = chain.account(&tenant);
    let before = chain.balance(&tenant.bech32());
    let bad = chain.execute(
        &tenant,
        &market,
        json!({"close_deployment": {"dseq": 99}}),
        0,
    );
    let res = chain.block(vec![bad]);
    let r = &res.tx_results[0];
    assert_eq!((r.codespace.as_str(), r.code), ("wasm", 5), "{}", r.log);
    assert!(
        r.log.contains("deployment") && r.log.contains("not found"),
        "{}",
        r.log
    );
    assert_eq!(chain.account(&tenant).1, seq + 1);
    assert_eq!(chain.balance(&tenant.bech32()), before - FEE);
}

#[test]
fn state_survives_a_restart_with_the_same_app_hash() {
    let mut chain = Chain::start();
    chain.block(vec![]);
    let info = chain.app.info();
    let dir = chain._dir.path().to_path_buf();
    let Chain { app, _dir, .. } = chain;
    drop(app);
    let reopened = App::open(AppConfig::new(&dir)).expect("reopen");
    assert_eq!(reopened.info(), info);
    assert_eq!(reopened.chain_id(), common::CHAIN_ID);
    drop(_dir);
}
