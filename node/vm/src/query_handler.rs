//! The chain's answers to a contract's queries (wasmd's `QueryHandler`): bank balance and
//! supply, other contracts' smart/raw state, contract and code info, recent block hashes. The VM-facing side, which
//! meters each query, is [`ContractQuerier`](crate::querier::ContractQuerier).

use std::ops::Bound;

use cosmwasm_std::{
    to_json_binary, Addr, BalanceResponse, BankQuery, Binary, CodeInfoResponse,
    ContractInfoResponse, ContractResult, Empty, GrpcQuery, Order, QueryRequest, RawRangeResponse,
    SupplyResponse, SystemError, SystemResult, WasmQuery,
};
use prost::Message;
use tessera_store::state::prefix_end;

use crate::block_hashes::{self, QueryBlockHashRequest, QueryBlockHashResponse};
use crate::error::WasmError;
use crate::exec::{check_json, parse_result, ContractRef, Entry, Exec};
use crate::gas::GasMeter;
use crate::keys;
use crate::querier::{QueryHandler, QueryResult};
use crate::records;

impl QueryHandler for Exec {
    fn handle_query(&self, request: &[u8], gas: GasMeter) -> Result<QueryResult, WasmError> {
        let mut sub = self.clone();
        sub.gas = gas;
        sub.answer_query(request)
    }
}

impl Exec {
    /// Answers one query request under this call's meter. `Err` only for running out of gas,
    /// which must abort the querying contract; every other failure is an answer.
    pub(crate) fn answer_query(&self, request: &[u8]) -> Result<QueryResult, WasmError> {
        let parsed: QueryRequest<Empty> = match cosmwasm_std::from_json(request) {
            Ok(r) => r,
            Err(e) => {
                return Ok(SystemResult::Err(SystemError::InvalidRequest {
                    error: e.to_string(),
                    request: Binary::from(request),
                }))
            }
        };
        let answer = match parsed {
            QueryRequest::Bank(q) => self.bank_query(q),
            QueryRequest::Wasm(q) => self.wasm_query(q),
            QueryRequest::Grpc(q) => self.grpc_query(q),
            QueryRequest::Custom(_) => return Ok(unsupported("custom")),
            _ => {
                return Ok(unsupported(
                    "only bank, wasm and grpc queries are supported",
                ))
            }
        };
        match answer {
            Ok(Answer::Data(b)) => Ok(SystemResult::Ok(ContractResult::Ok(b))),
            Ok(Answer::System(e)) => Ok(SystemResult::Err(e)),
            Err(e) if e.is_out_of_gas() => Err(e),
            Err(e) => Ok(match e.root() {
                WasmError::NoSuchContract(addr) => {
                    SystemResult::Err(SystemError::NoSuchContract { addr: addr.clone() })
                }
                WasmError::NoSuchCode(code_id) => {
                    SystemResult::Err(SystemError::NoSuchCode { code_id: *code_id })
                }
                _ => SystemResult::Ok(ContractResult::Err(e.contract_visible())),
            }),
        }
    }

    fn bank_query(&self, q: BankQuery) -> Result<Answer, WasmError> {
        let bank = self.host.bank.clone();
        match q {
            BankQuery::Balance { address, denom } => {
                self.address(&address, "balance of")?;
                let coin =
                    self.kv(|s| bank.balance(s, &address, &denom).map_err(WasmError::from))?;
                json(&BalanceResponse::new(coin))
            }
            BankQuery::Supply { denom } => {
                let coin = self.kv(|s| bank.supply(s, &denom).map_err(WasmError::from))?;
                json(&SupplyResponse::new(coin))
            }
            _ => Ok(Answer::System(SystemError::UnsupportedRequest {
                kind: "denom metadata".into(),
            })),
        }
    }

    /// The gRPC queries a contract may make: only deterministic ones, answered from state
    /// (wasmd's accept list); today the recent block hashes.
    fn grpc_query(&self, q: GrpcQuery) -> Result<Answer, WasmError> {
        if q.path != block_hashes::PATH {
            return Ok(Answer::System(SystemError::UnsupportedRequest {
                kind: format!(
                    "grpc {} (contracts may query {})",
                    q.path,
                    block_hashes::PATH
                ),
            }));
        }
        let request = match QueryBlockHashRequest::decode(q.data.as_slice()) {
            Ok(r) => r,
            Err(e) => {
                return Ok(Answer::System(SystemError::InvalidRequest {
                    error: format!("{}: {e}", block_hashes::PATH),
                    request: q.data,
                }))
            }
        };
        let hash = self.kv(|s| Ok(s.get(&block_hashes::key(request.height))?))?;
        match hash {
            Some(hash) => Ok(Answer::Data(Binary::new(
                QueryBlockHashResponse { hash }.encode_to_vec(),
            ))),
            None => Err(WasmError::QueryFailed(block_hashes::not_kept(
                request.height,
            ))),
        }
    }

    fn wasm_query(&self, q: WasmQuery) -> Result<Answer, WasmError> {
        match q {
            WasmQuery::Smart { contract_addr, msg } => Ok(Answer::Data(
                self.query_smart(&contract_addr, msg.as_slice())?,
            )),
            WasmQuery::Raw { contract_addr, key } => {
                let c = self.contract_ref(&contract_addr)?;
                let value = self
                    .kv(|s| Ok(s.get(&[keys::contract_store(&c.bytes), key.to_vec()].concat())?))?;
                Ok(Answer::Data(Binary::new(value.unwrap_or_default())))
            }
            WasmQuery::ContractInfo { contract_addr } => {
                let c = self.contract_ref(&contract_addr)?;
                let info = self
                    .load_contract(&c)?
                    .ok_or_else(|| WasmError::NoSuchContract(contract_addr.clone()))?;
                let pinned = self.kv(|s| records::is_pinned(s, info.code_id))?;
                json(&ContractInfoResponse::new(
                    info.code_id,
                    Addr::unchecked(info.creator),
                    info.admin.map(Addr::unchecked),
                    pinned,
                    None,
                    None,
                ))
            }
            WasmQuery::CodeInfo { code_id } => {
                if code_id == 0 {
                    return Err(WasmError::Empty("code id".into()));
                }
                let code = self
                    .load_code(code_id)?
                    .ok_or(WasmError::NoSuchCode(code_id))?;
                json(&CodeInfoResponse::new(
                    code_id,
                    Addr::unchecked(code.creator),
                    code.checksum,
                ))
            }
            WasmQuery::RawRange {
                contract_addr,
                start,
                end,
                limit,
                order,
            } => {
                let c = self.contract_ref(&contract_addr)?;
                json(&self.raw_range(&c, start, end, limit, order)?)
            }
            _ => Ok(Answer::System(SystemError::UnsupportedRequest {
                kind: "unknown WasmQuery variant".into(),
            })),
        }
    }

    fn raw_range(
        &self,
        c: &ContractRef,
        start: Option<Binary>,
        end: Option<Binary>,
        limit: u16,
        order: Order,
    ) -> Result<RawRangeResponse, WasmError> {
        let prefix = keys::contract_store(&c.bytes);
        let lower = [
            prefix.as_slice(),
            start.as_ref().map(Binary::as_slice).unwrap_or_default(),
        ]
        .concat();
        let upper = match end {
            Some(e) => Some([prefix.as_slice(), e.as_slice()].concat()),
            None => prefix_end(&prefix),
        };
        let upper_bound = match &upper {
            Some(u) => Bound::Excluded(u.as_slice()),
            None => Bound::Unbounded,
        };
        let descending = order == Order::Descending;
        self.kv(|s| {
            let mut data = Vec::new();
            let mut next_key = None;
            for entry in s.range(Bound::Included(lower.as_slice()), upper_bound, descending)? {
                let (k, v) = entry?;
                let key = Binary::from(k.get(prefix.len()..).unwrap_or_default());
                if data.len() == usize::from(limit) {
                    next_key = Some(key);
                    break;
                }
                data.push((key, Binary::new(v)));
            }
            Ok(RawRangeResponse::new(data, next_key))
        })
    }

    /// Runs a contract's `query` (wasmd `QuerySmart`), one level deeper in the query stack.
    pub(crate) fn query_smart(&self, contract: &str, msg: &[u8]) -> Result<Binary, WasmError> {
        if self.query_depth >= self.host.config.max_query_depth {
            return Err(WasmError::QueryStackExceeded);
        }
        let c = self.contract_ref(contract)?;
        check_json(msg, "json msg")?;
        let (info, code) = self.contract_instance(&c)?;
        self.charge_setup(
            &code,
            info.code_id,
            msg.len(),
            "Loading CosmWasm module: query",
        )?;
        let mut sub = self.clone();
        sub.query_depth += 1;
        let raw = sub.call_vm(&code.checksum, &c, Entry::Query { msg })?;
        match parse_result::<ContractResult<Binary>>(&raw)? {
            ContractResult::Ok(data) => {
                // As the VM's `call_query`: a query answer must be JSON.
                if serde_json::from_slice::<serde::de::IgnoredAny>(data.as_slice()).is_err() {
                    return Err(WasmError::Invalid(
                        "query response must be valid JSON".into(),
                    ));
                }
                Ok(data)
            }
            ContractResult::Err(e) => Err(WasmError::QueryFailed(e)),
        }
    }
}

enum Answer {
    Data(Binary),
    System(SystemError),
}

fn json<T: serde::Serialize>(value: &T) -> Result<Answer, WasmError> {
    to_json_binary(value)
        .map(Answer::Data)
        .map_err(|e| WasmError::Internal(format!("encoding query answer: {e}")))
}

fn unsupported(kind: &str) -> QueryResult {
    SystemResult::Err(SystemError::UnsupportedRequest {
        kind: kind.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use cosmwasm_std::{from_json, Checksum, Coin, Timestamp};
    use tessera_store::state::MemState;
    use tessera_store::{Overlay, StateWrite};

    use cosmwasm_vm::{BackendError, Querier};

    use super::*;
    use crate::address::humanize;
    use crate::querier::ContractQuerier;
    use crate::testing::MemBank;
    use crate::types::{
        lock_state, AbsoluteTxPosition, AccessConfig, BlockEnv, CallEnv, CodeInfo, ContractInfo,
    };
    use crate::{VmConfig, WasmHost};

    struct Fixture {
        _dir: tempfile::TempDir,
        exec: Exec,
        contract: String,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let host = WasmHost::new(VmConfig::new(dir.path()), Arc::new(MemBank)).unwrap();
        let state = Arc::new(Mutex::new(Overlay::new(Arc::new(MemState::default()))));
        let contract_bytes = [7u8; 32];
        let contract = humanize("tessera", &contract_bytes).unwrap();
        {
            let mut s = lock_state(&state);
            let code = CodeInfo {
                checksum: Checksum::from([1u8; 32]),
                creator: humanize("tessera", &[2u8; 20]).unwrap(),
                instantiate_permission: AccessConfig::Everybody,
            };
            records::save_code(&mut *s, 1, &code).unwrap();
            let info = ContractInfo {
                code_id: 1,
                creator: code.creator.clone(),
                admin: None,
                label: "c".into(),
                created: AbsoluteTxPosition::default(),
                migrated: None,
            };
            records::save_contract(&mut *s, &contract_bytes, &info).unwrap();
            for (k, v) in [(&b"a"[..], &b"1"[..]), (b"b", b"2"), (b"c", b"3")] {
                s.set(
                    &[keys::contract_store(&contract_bytes), k.to_vec()].concat(),
                    v,
                );
            }
            MemBank::mint(&mut *s, &contract, 42, "utsr").unwrap();
            s.set(&block_hashes::key(4), &[0x44; 32]);
        }
        let block = BlockEnv {
            height: 5,
            time: Timestamp::from_seconds(1),
            chain_id: "t".into(),
        };
        let call = CallEnv::new(state, block, None, GasMeter::new(10_000_000));
        Fixture {
            exec: Exec::new(&host.inner, &call),
            _dir: dir,
            contract,
        }
    }

    fn ask(f: &Fixture, request: serde_json::Value) -> QueryResult {
        f.exec.answer_query(request.to_string().as_bytes()).unwrap()
    }

    fn data<T: serde::de::DeserializeOwned>(r: QueryResult) -> T {
        match r {
            SystemResult::Ok(ContractResult::Ok(b)) => from_json(&b).unwrap(),
            other => panic!("expected data, got {other:?}"),
        }
    }

    fn block_hash_query(height: u64) -> serde_json::Value {
        let data = Binary::new(QueryBlockHashRequest { height }.encode_to_vec());
        serde_json::json!({"grpc": {"path": block_hashes::PATH, "data": data}})
    }

    #[test]
    fn contracts_read_recent_block_hashes_over_grpc() {
        let f = fixture();
        let before = f.exec.gas.used();
        match ask(&f, block_hash_query(4)) {
            SystemResult::Ok(ContractResult::Ok(b)) => {
                let answer = QueryBlockHashResponse::decode(b.as_slice()).unwrap();
                assert_eq!(answer.hash, vec![0x44; 32]);
            }
            other => panic!("expected the hash, got {other:?}"),
        }
        assert!(f.exec.gas.used() > before, "the state read is metered");
        match ask(&f, block_hash_query(3)) {
            SystemResult::Ok(ContractResult::Err(e)) => {
                assert!(e.contains("no block hash for height 3"), "{e}")
            }
            other => panic!("expected a contract-visible error, got {other:?}"),
        }
    }

    #[test]
    fn other_grpc_paths_and_malformed_requests_are_refused() {
        let f = fixture();
        let other = serde_json::json!({"grpc": {"path": "/cosmos.bank.v1beta1.Query/Balance",
                                                "data": ""}});
        match ask(&f, other) {
            SystemResult::Err(SystemError::UnsupportedRequest { kind }) => {
                assert!(
                    kind.contains("/cosmos.bank.v1beta1.Query/Balance"),
                    "{kind}"
                )
            }
            other => panic!("expected unsupported, got {other:?}"),
        }
        let garbage = serde_json::json!({"grpc": {"path": block_hashes::PATH,
                                                  "data": Binary::new(vec![0xff])}});
        match ask(&f, garbage) {
            SystemResult::Err(SystemError::InvalidRequest { error, .. }) => {
                assert!(error.starts_with(block_hashes::PATH), "{error}")
            }
            other => panic!("expected an invalid request, got {other:?}"),
        }
    }

    #[test]
    fn bank_and_wasm_queries_are_answered() {
        let f = fixture();
        let c = f.contract.as_str();
        let bal: BalanceResponse = data(ask(
            &f,
            serde_json::json!({"bank": {"balance": {"address": c, "denom": "utsr"}}}),
        ));
        assert_eq!(bal.amount, Coin::new(42u128, "utsr"));
        let sup: SupplyResponse = data(ask(
            &f,
            serde_json::json!({"bank": {"supply": {"denom": "utsr"}}}),
        ));
        assert_eq!(sup.amount, Coin::new(42u128, "utsr"));
        let info: ContractInfoResponse = data(ask(
            &f,
            serde_json::json!({"wasm": {"contract_info": {"contract_addr": c}}}),
        ));
        assert_eq!((info.code_id, info.pinned, info.admin), (1, false, None));
        let code: CodeInfoResponse = data(ask(
            &f,
            serde_json::json!({"wasm": {"code_info": {"code_id": 1}}}),
        ));
        assert_eq!(code.checksum, Checksum::from([1u8; 32]));
        match ask(
            &f,
            serde_json::json!({"wasm": {"raw": {"contract_addr": c, "key": "Yg=="}}}),
        ) {
            SystemResult::Ok(ContractResult::Ok(b)) => assert_eq!(b.as_slice(), b"2"),
            other => panic!("{other:?}"),
        }
        let range: RawRangeResponse = data(ask(
            &f,
            serde_json::json!({"wasm": {"raw_range": {"contract_addr": c, "start": null, "end": null, "limit": 2, "order": "descending"}}}),
        ));
        assert_eq!(range.data.len(), 2);
        assert_eq!(range.data[0].0.as_slice(), b"c");
        assert_eq!(
            range.next_key.as_ref().map(Binary::as_slice),
            Some(&b"a"[..])
        );
        assert!(f.exec.gas.used() > 0, "state reads are charged");
    }

    #[test]
    fn failures_come_back_as_answers() {
        let f = fixture();
        let missing = humanize("tessera", &[8u8; 32]).unwrap();
        assert!(matches!(
            f.exec.answer_query(b"{not json").unwrap(),
            SystemResult::Err(SystemError::InvalidRequest { .. })
        ));
        assert_eq!(
            ask(
                &f,
                serde_json::json!({"wasm": {"contract_info": {"contract_addr": missing}}})
            ),
            SystemResult::Err(SystemError::NoSuchContract {
                addr: missing.clone()
            })
        );
        assert_eq!(
            ask(
                &f,
                serde_json::json!({"wasm": {"smart": {"contract_addr": missing, "msg": "e30="}}})
            ),
            SystemResult::Err(SystemError::NoSuchContract {
                addr: missing.clone()
            })
        );
        assert_eq!(
            ask(
                &f,
                serde_json::json!({"wasm": {"code_info": {"code_id": 9}}})
            ),
            SystemResult::Err(SystemError::NoSuchCode { code_id: 9 })
        );
        assert_eq!(
            ask(
                &f,
                serde_json::json!({"wasm": {"code_info": {"code_id": 0}}})
            ),
            SystemResult::Ok(ContractResult::Err("codespace: wasm, code: 12".into()))
        );
        assert_eq!(
            ask(
                &f,
                serde_json::json!({"bank": {"balance": {"address": "nope", "denom": "utsr"}}})
            ),
            SystemResult::Ok(ContractResult::Err("codespace: sdk, code: 7".into()))
        );
        assert!(matches!(
            ask(&f, serde_json::json!({"custom": {}})),
            SystemResult::Err(SystemError::UnsupportedRequest { .. })
        ));
        let mut deep = f.exec.clone();
        deep.query_depth = deep.host.config.max_query_depth;
        let r = deep
            .answer_query(serde_json::json!({"wasm": {"smart": {"contract_addr": f.contract, "msg": "e30="}}}).to_string().as_bytes())
            .unwrap();
        assert_eq!(
            r,
            SystemResult::Ok(ContractResult::Err("codespace: wasm, code: 27".into()))
        );
    }

    #[test]
    fn the_vm_learns_what_a_query_spent_and_the_caller_pays_it() {
        let f = fixture();
        let q = ContractQuerier::new(
            Box::new(f.exec.clone()),
            f.exec.gas.clone(),
            f.exec.costs().multiplier,
        );
        let request = serde_json::json!({"bank": {"supply": {"denom": "utsr"}}}).to_string();
        let (result, gas) = q.query_raw(request.as_bytes(), 10_000_000 * 140_000);
        assert!(result.is_ok());
        assert_eq!(gas.externally_used, f.exec.gas.used() * 140_000);
        // A query that cannot afford even its reads aborts the caller.
        let (result, _) = q.query_raw(request.as_bytes(), 140_000);
        assert_eq!(result.unwrap_err(), BackendError::out_of_gas());
    }
}
