//! Submessages, replies, data and limits with a scriptable test contract (see `common::echo`):
//! each message carries the exact response the contract returns.

mod common;

use common::echo::echo_wasm;
use common::*;
use cosmwasm_std::{
    Attribute, BankMsg, Binary, Coin, ContractResult, CosmosMsg, Reply, Response, SubMsg,
    SubMsgResult, WasmMsg,
};
use tessera_vm::{lock_state, ExecuteResponse, MsgExecuteContract, WasmError};

struct Echo {
    chain: Chain,
    code: u64,
    a: String,
    b: String,
}

fn setup_with(adjust: impl FnOnce(&mut tessera_vm::VmConfig)) -> Echo {
    let chain = Chain::with_config(adjust);
    let code = chain.store_bytes(echo_wasm());
    let admin = addr("admin");
    let a = chain
        .instantiate(&admin, code, &serde_json::json!({}), "a", Some(&admin))
        .unwrap()
        .address;
    let b = chain
        .instantiate(&admin, code, &serde_json::json!({}), "b", Some(&admin))
        .unwrap()
        .address;
    Echo { chain, code, a, b }
}

fn setup() -> Echo {
    setup_with(|_| {})
}

fn ok(r: Response) -> Vec<u8> {
    serde_json::to_vec(&ContractResult::Ok(r)).unwrap()
}

fn fails(msg: &str) -> Vec<u8> {
    serde_json::to_vec(&ContractResult::<Response>::Err(msg.into())).unwrap()
}

fn exec(contract: &str, msg: Vec<u8>) -> CosmosMsg {
    WasmMsg::Execute {
        contract_addr: contract.into(),
        msg: Binary::new(msg),
        funds: vec![],
    }
    .into()
}

impl Echo {
    fn run(&self, contract: &str, msg: Vec<u8>) -> Result<ExecuteResponse, WasmError> {
        self.chain.host.execute(
            &self.chain.call(GAS),
            &MsgExecuteContract {
                sender: addr("user"),
                contract: contract.into(),
                msg,
                funds: vec![],
            },
        )
    }

    fn raw(&self, contract: &str, key: &[u8]) -> Option<Vec<u8>> {
        self.chain
            .host
            .query_raw(&*lock_state(&self.chain.state), contract, key)
            .unwrap()
    }

    fn last_reply(&self) -> Reply {
        serde_json::from_slice(&self.raw(&self.a, b"reply").expect("a reply was stored")).unwrap()
    }
}

fn kinds(r: &ExecuteResponse) -> Vec<(&str, &str)> {
    r.events
        .iter()
        .map(|e| (e.ty.as_str(), e.attributes[0].value.as_str()))
        .collect()
}

#[test]
fn reply_always_sees_the_error_and_only_the_failed_call_is_reverted() {
    let e = setup();
    let outer = ok(Response::new()
        .add_attribute("step", "outer")
        .add_submessage(
            SubMsg::reply_always(exec(&e.b, fails("boom")), 7).with_payload(b"p".to_vec()),
        ));
    let r = e.run(&e.a, outer.clone()).unwrap();

    assert_eq!(
        e.raw(&e.b, b"last"),
        None,
        "the failed call's write is gone"
    );
    assert_eq!(
        e.raw(&e.a, b"last"),
        Some(outer),
        "the caller's own write stays"
    );
    let reply = e.last_reply();
    assert_eq!((reply.id, reply.payload.as_slice()), (7, b"p".as_slice()));
    assert_eq!(
        reply.result,
        SubMsgResult::Err("boom: execute wasm contract failed".into())
    );
    assert!(reply.gas_used > 0);
    assert_eq!(
        r.data,
        Some(Binary::from(b"replied".as_slice())),
        "the reply's data wins"
    );
    assert_eq!(
        kinds(&r),
        vec![
            ("execute", e.a.as_str()),
            ("wasm", e.a.as_str()),
            ("reply", e.a.as_str()),
            ("wasm", e.a.as_str())
        ]
    );
}

#[test]
fn reply_on_success_gets_sorted_events_data_and_msg_responses() {
    let e = setup();
    let inner = ok(Response::new()
        .add_attribute("zeta", "1")
        .add_attribute("alpha", "2")
        .set_data(b"b-data".to_vec()));
    let r = e
        .run(
            &e.a,
            ok(Response::new()
                .add_submessage(SubMsg::reply_on_success(exec(&e.b, inner.clone()), 1))),
        )
        .unwrap();
    assert_eq!(e.raw(&e.b, b"last"), Some(inner));

    let SubMsgResult::Ok(sub) = e.last_reply().result else {
        panic!("success expected")
    };
    let b = e.b.as_str();
    let events: Vec<(String, Vec<(&str, &str)>)> = sub
        .events
        .iter()
        .map(|ev| (ev.ty.clone(), attrs(ev)))
        .collect();
    assert_eq!(
        events,
        vec![
            ("execute".to_string(), vec![("_contract_address", b)]),
            (
                "wasm".to_string(),
                vec![("_contract_address", b), ("alpha", "2"), ("zeta", "1")]
            ),
        ]
    );
    // MsgExecuteContractResponse { data: "b-data" }, as SDK msg responses carry it.
    let encoded = [&[0x0a, 6][..], b"b-data"].concat();
    assert_eq!(sub.msg_responses.len(), 1);
    assert_eq!(
        sub.msg_responses[0].type_url,
        "/cosmwasm.wasm.v1.MsgExecuteContractResponse"
    );
    assert_eq!(sub.msg_responses[0].value.as_slice(), encoded.as_slice());
    #[allow(deprecated)]
    let data = sub.data.clone();
    assert_eq!(data, Some(Binary::new(encoded)));

    assert_eq!(
        kinds(&r),
        vec![
            ("execute", e.a.as_str()),
            ("execute", b),
            ("wasm", b),
            ("reply", e.a.as_str()),
            ("wasm", e.a.as_str())
        ]
    );
}

#[test]
fn a_failure_nobody_replies_to_aborts_the_caller_and_all_its_writes() {
    let e = setup();
    let before = e.chain.changes();
    for sub in [
        SubMsg::new(exec(&e.b, fails("boom"))),
        SubMsg::reply_on_success(exec(&e.b, fails("boom")), 1),
    ] {
        let err = e
            .run(&e.a, ok(Response::new().add_submessage(sub)))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "submessages: boom: execute wasm contract failed"
        );
        assert_eq!((err.codespace(), err.code()), ("wasm", 5));
        assert_eq!(e.chain.changes(), before);
    }
    // A contract's own error.
    let err = e.run(&e.a, fails("nope")).unwrap_err();
    assert_eq!(err.to_string(), "nope: execute wasm contract failed");
}

#[test]
fn data_is_the_callers_unless_a_reply_sets_it() {
    let e = setup();
    let inner = ok(Response::new().set_data(b"inner".to_vec()));
    let r = e
        .run(
            &e.a,
            ok(Response::new()
                .set_data(b"outer".to_vec())
                .add_message(exec(&e.b, inner))),
        )
        .unwrap();
    assert_eq!(r.data, Some(Binary::from(b"outer".as_slice())));
    assert_eq!(
        r.msg_response().value.as_slice(),
        [&[0x0a, 5][..], b"outer"].concat().as_slice()
    );
}

#[test]
fn a_gas_limited_submessage_fails_alone_and_costs_its_limit() {
    let e = setup();
    let limited = SubMsg::reply_on_error(exec(&e.b, ok(Response::new())), 3).with_gas_limit(1_000);
    e.run(&e.a, ok(Response::new().add_submessage(limited)))
        .expect("the reply catches it");
    let reply = e.last_reply();
    assert_eq!(
        reply.result,
        SubMsgResult::Err("codespace: sdk, code: 11".into())
    );
    assert_eq!(reply.gas_used, 1_000);
    assert_eq!(e.raw(&e.b, b"last"), None);

    let unhandled = SubMsg::new(exec(&e.b, ok(Response::new()))).with_gas_limit(1_000);
    let err = e
        .run(&e.a, ok(Response::new().add_submessage(unhandled)))
        .unwrap_err();
    assert_eq!((err.codespace(), err.code()), ("sdk", 11));
    assert!(!err.is_out_of_gas(), "the transaction itself still had gas");
}

#[test]
fn bank_submessages_move_funds_and_reply_without_events() {
    let e = setup();
    e.chain.mint(&e.a, 10);
    let to = addr("payee");
    let send = |amount: u128| {
        SubMsg::reply_always(
            BankMsg::Send {
                to_address: to.clone(),
                amount: vec![Coin::new(amount, DENOM)],
            },
            9,
        )
    };
    let r = e
        .run(&e.a, ok(Response::new().add_submessage(send(4))))
        .unwrap();
    assert_eq!(e.chain.balance(&to), 4);
    let SubMsgResult::Ok(sub) = e.last_reply().result else {
        panic!("success expected")
    };
    assert!(
        sub.events.is_empty(),
        "only wasm messages pass events to the reply"
    );
    assert_eq!(
        sub.msg_responses[0].type_url,
        "/cosmos.bank.v1beta1.MsgSendResponse"
    );
    assert!(r.events.iter().any(|ev| ev.ty == "transfer"));
    assert!(r.events.iter().all(|ev| ev.ty != "message"));

    e.run(&e.a, ok(Response::new().add_submessage(send(100))))
        .unwrap();
    assert_eq!(
        e.last_reply().result,
        SubMsgResult::Err("codespace: sdk, code: 5".into())
    );
    assert_eq!(e.chain.balance(&to), 4);

    let burn = SubMsg::new(BankMsg::Burn {
        amount: vec![Coin::new(1u128, DENOM)],
    });
    e.run(&e.a, ok(Response::new().add_submessage(burn)))
        .unwrap();
    assert_eq!(e.chain.balance(&e.a), 5);
}

#[test]
fn contracts_instantiate_contracts_at_the_expected_addresses() {
    let e = setup();
    let next = e
        .chain
        .host
        .next_classic_address(&*lock_state(&e.chain.state), e.code)
        .unwrap();
    let inst = WasmMsg::Instantiate {
        admin: None,
        code_id: e.code,
        msg: Binary::from(b"{}".as_slice()),
        funds: vec![],
        label: "child".into(),
    };
    e.run(
        &e.a,
        ok(Response::new().add_submessage(SubMsg::reply_on_success(inst, 1))),
    )
    .unwrap();
    let SubMsgResult::Ok(sub) = e.last_reply().result else {
        panic!("success expected")
    };
    assert_eq!(
        sub.msg_responses[0].type_url,
        "/cosmwasm.wasm.v1.MsgInstantiateContractResponse"
    );
    let value = sub.msg_responses[0].value.as_slice();
    assert_eq!(&value[2..2 + next.len()], next.as_bytes());
    let info = e
        .chain
        .host
        .contract_info(&*lock_state(&e.chain.state), &next)
        .unwrap()
        .unwrap();
    assert_eq!(info.creator, e.a);

    let checksum = e
        .chain
        .host
        .code_info(&*lock_state(&e.chain.state), e.code)
        .unwrap()
        .unwrap()
        .checksum;
    let predicted = e
        .chain
        .host
        .predict_address(&checksum, &e.a, b"s", None)
        .unwrap();
    let inst2 = WasmMsg::Instantiate2 {
        admin: None,
        code_id: e.code,
        label: "c2".into(),
        msg: Binary::from(b"{}".as_slice()),
        funds: vec![],
        salt: Binary::from(b"s".as_slice()),
    };
    e.run(&e.a, ok(Response::new().add_message(inst2))).unwrap();
    assert!(e
        .chain
        .host
        .contract_info(&*lock_state(&e.chain.state), &predicted)
        .unwrap()
        .is_some());
}

#[test]
fn call_depth_is_bounded() {
    // As wasmd: every response handled counts, the top one included.
    let e = setup_with(|c| c.max_call_depth = 2);
    let msg = ok(Response::new().add_message(exec(&e.a, ok(Response::new()))));
    e.run(&e.a, msg.clone()).expect("two levels are fine");
    let deeper = ok(Response::new().add_message(exec(&e.a, msg)));
    let err = e.run(&e.a, deeper).unwrap_err();
    assert_eq!((err.codespace(), err.code()), ("wasm", 30), "{err}");
}

#[test]
fn reserved_or_empty_attribute_keys_are_refused() {
    let e = setup();
    let before = e.chain.changes();
    for key in ["_contract_address", "  "] {
        let mut r = Response::new();
        r.attributes.push(Attribute {
            key: key.into(),
            value: "x".into(),
        });
        let err = e.run(&e.a, ok(r)).unwrap_err();
        assert_eq!((err.codespace(), err.code()), ("wasm", 21), "{err}");
        assert_eq!(e.chain.changes(), before);
    }
}

#[test]
fn sudo_query_and_migrate_entry_points() {
    let e = setup();
    let hook = serde_json::to_vec(&ContractResult::Ok(
        Response::<cosmwasm_std::Empty>::new().add_attribute("hook", "end_block"),
    ))
    .unwrap();
    let call = tessera_vm::CallEnv::new(
        e.chain.state.clone(),
        e.chain.block.clone(),
        None,
        tessera_vm::GasMeter::new(1_000_000),
    );
    let r = e.chain.host.sudo(&call, &e.a, &hook).unwrap();
    assert_eq!(
        kinds(&r),
        vec![("sudo", e.a.as_str()), ("wasm", e.a.as_str())]
    );
    assert!(call.gas.used() > 0 && call.gas.used() < 1_000_000);

    let answer = e
        .chain
        .host
        .query_smart(
            &e.chain.state,
            &e.chain.block,
            &e.a,
            br#"{"ok":"eyJ4IjoxfQ=="}"#,
        )
        .unwrap();
    assert_eq!(answer.as_slice(), br#"{"x":1}"#);

    let admin = addr("admin");
    let migrate = tessera_vm::MsgMigrateContract {
        sender: admin,
        contract: e.a.clone(),
        code_id: e.code,
        msg: ok(Response::new().add_attribute("v", "2")),
    };
    let r = e.chain.host.migrate(&e.chain.call(GAS), &migrate).unwrap();
    assert_eq!(
        kinds(&r),
        vec![
            ("migrate", e.code.to_string().as_str()),
            ("wasm", e.a.as_str())
        ]
    );
}
