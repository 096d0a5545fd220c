//! Uploading the real contracts and where their instances land: wasmd's classic and
//! predictable (instantiate2) addresses, the `store_code`/`instantiate` events, gzip uploads.

mod common;

use std::io::Write;

use common::*;
use tessera_api::registry::InstantiateMsg as RegInstantiateMsg;
use tessera_vm::address::{canonicalize, humanize};
use tessera_vm::{MsgInstantiateContract2, MsgStoreCode, PageRequest, CAPABILITIES};

#[test]
fn our_contracts_need_only_the_capabilities_the_host_offers() {
    let chain = Chain::new();
    let checksums =
        std::fs::read_to_string(common::root().join("artifacts/checksums.txt")).unwrap_or_default();
    for (i, name) in ["registry", "market", "governance"].into_iter().enumerate() {
        let msg = MsgStoreCode {
            sender: addr("deployer"),
            wasm_byte_code: wasm(name),
            instantiate_permission: None,
        };
        let r = chain
            .host
            .store_code(&chain.call(GAS), &msg)
            .expect("the VM accepts it");
        assert_eq!(r.code_id, i as u64 + 1);
        let report = chain.host.analyze(&chain.state, &r.checksum).unwrap();
        let required: Vec<&str> = report
            .required_capabilities
            .iter()
            .map(String::as_str)
            .collect();
        eprintln!("{name}: requires {required:?}");
        assert!(required.iter().all(|c| CAPABILITIES.contains(c)));
        assert!(required.contains(&"iterator"));

        // store_code {code_checksum, code_id, required_capability…}
        let ev = event(&r.events, "store_code");
        let a = attrs(ev);
        assert_eq!(a[0], ("code_checksum", r.checksum.to_hex().as_str()));
        assert_eq!(a[1], ("code_id", (i + 1).to_string().as_str()));
        let caps: Vec<&str> = a[2..]
            .iter()
            .map(|(k, v)| {
                assert_eq!(*k, "required_capability");
                *v
            })
            .collect();
        assert_eq!(caps, required);
        if !checksums.is_empty() {
            assert!(checksums.contains(&format!("{}  {name}.wasm", r.checksum.to_hex())));
        }
        let resp = r.msg_response();
        assert_eq!(resp.type_url, "/cosmwasm.wasm.v1.MsgStoreCodeResponse");
    }
    let codes = chain
        .host
        .list_codes(
            &*tessera_vm::lock_state(&chain.state),
            &PageRequest {
                key: None,
                limit: 2,
            },
        )
        .unwrap();
    assert_eq!(
        codes.items.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert!(codes.next_key.is_some());
}

#[test]
fn the_first_contract_gets_wasmds_code_1_instance_1_address() {
    let chain = Chain::new();
    let code = chain.store("registry");
    let admin = addr("admin");
    let r = chain
        .instantiate(
            &admin,
            code,
            &RegInstantiateMsg {
                params: registry_params(&addr("governance"), &addr("pool")),
                auditors: vec![],
            },
            "registry",
            Some(&admin),
        )
        .unwrap();
    // wasmd's TestBuildContractAddressClassic vector for code 1, instance 1 (prefix purple).
    let wasmd = canonicalize(
        "purple",
        "purple14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9smc2vxm",
    )
    .unwrap();
    assert_eq!(r.address, humanize("tessera", &wasmd).unwrap());
    assert_eq!(canonicalize("tessera", &r.address).unwrap().len(), 32);

    // instantiate {_contract_address, code_id}, then the contract's wasm event.
    assert_eq!(r.events[0].ty, "instantiate");
    assert_eq!(
        attrs(&r.events[0]),
        vec![("_contract_address", r.address.as_str()), ("code_id", "1")]
    );
    assert_eq!(r.events[1].ty, "wasm");
    assert_eq!(
        attrs(&r.events[1])[0],
        ("_contract_address", r.address.as_str())
    );

    let state = tessera_vm::lock_state(&chain.state);
    let info = chain
        .host
        .contract_info(&*state, &r.address)
        .unwrap()
        .unwrap();
    assert_eq!(
        (info.code_id, info.admin.as_deref(), info.label.as_str()),
        (1, Some(admin.as_str()), "registry")
    );
    assert_eq!(info.created.block_height, 1);
    let listed = chain
        .host
        .contracts_by_code(&*state, 1, &PageRequest::default())
        .unwrap();
    assert_eq!(listed.items, vec![r.address.clone()]);
    assert_eq!(chain.host.instance_count(&*state, 1).unwrap(), 1);
    // The next classic address continues the global sequence.
    drop(state);
    let next = chain
        .host
        .next_classic_address(&*tessera_vm::lock_state(&chain.state), 1)
        .unwrap();
    let second = chain
        .instantiate(
            &admin,
            code,
            &RegInstantiateMsg {
                params: registry_params(&addr("g"), &addr("p")),
                auditors: vec![],
            },
            "registry 2",
            None,
        )
        .unwrap();
    assert_eq!(second.address, next);
}

#[test]
fn instantiate2_lands_where_predicted_and_only_once() {
    let chain = Chain::new();
    let code = chain.store("registry");
    let checksum = chain
        .host
        .code_info(&*tessera_vm::lock_state(&chain.state), code)
        .unwrap()
        .unwrap()
        .checksum;
    let creator = addr("creator");
    let init = serde_json::to_vec(&RegInstantiateMsg {
        params: registry_params(&addr("governance"), &addr("pool")),
        auditors: vec![],
    })
    .unwrap();
    let msg = |salt: &[u8], fix_msg: bool| MsgInstantiateContract2 {
        sender: creator.clone(),
        admin: String::new(),
        code_id: code,
        label: "registry".into(),
        msg: init.clone(),
        funds: vec![],
        salt: salt.to_vec(),
        fix_msg,
    };

    let predicted = chain
        .host
        .predict_address(&checksum, &creator, b"salt-1", None)
        .unwrap();
    let r = chain
        .host
        .instantiate2(&chain.call(GAS), &msg(b"salt-1", false))
        .unwrap();
    assert_eq!(r.address, predicted);
    assert_eq!(
        r.msg_response().type_url,
        "/cosmwasm.wasm.v1.MsgInstantiateContract2Response"
    );
    // cosmwasm-std computes the same address.
    let std_addr = cosmwasm_std::instantiate2_address(
        checksum.as_slice(),
        &canonicalize("tessera", &creator).unwrap().into(),
        b"salt-1",
    )
    .unwrap();
    assert_eq!(
        canonicalize("tessera", &r.address).unwrap(),
        std_addr.to_vec()
    );

    let fixed = chain
        .host
        .predict_address(&checksum, &creator, b"salt-1", Some(&init))
        .unwrap();
    assert_ne!(fixed, predicted);
    let r2 = chain
        .host
        .instantiate2(&chain.call(GAS), &msg(b"salt-1", true))
        .unwrap();
    assert_eq!(r2.address, fixed);

    let before = chain.changes();
    let dup = chain
        .host
        .instantiate2(&chain.call(GAS), &msg(b"salt-1", false))
        .unwrap_err();
    assert_eq!((dup.codespace(), dup.code()), ("wasm", 15), "{dup}");
    assert_eq!(chain.changes(), before);
    let no_salt = chain
        .host
        .instantiate2(&chain.call(GAS), &msg(b"", false))
        .unwrap_err();
    assert_eq!(no_salt.code(), 12);
}

#[test]
fn a_gzipped_upload_is_the_same_code() {
    let chain = Chain::new();
    let raw = wasm("registry");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&raw).unwrap();
    let zipped = gz.finish().unwrap();
    let store = |bytes: Vec<u8>| {
        chain
            .host
            .store_code(
                &chain.call(GAS),
                &MsgStoreCode {
                    sender: addr("deployer"),
                    wasm_byte_code: bytes,
                    instantiate_permission: None,
                },
            )
            .unwrap()
    };
    let a = store(raw.clone());
    let b = store(zipped);
    assert_eq!(a.checksum, b.checksum);
    assert_eq!(b.code_id, 2);
    let state = tessera_vm::lock_state(&chain.state);
    assert_eq!(chain.host.code_bytes(&*state, 2).unwrap(), Some(raw));
    drop(state);

    let err = chain
        .host
        .store_code(
            &chain.call(GAS),
            &MsgStoreCode {
                sender: addr("deployer"),
                wasm_byte_code: b"\0asm-not-really".to_vec(),
                instantiate_permission: None,
            },
        )
        .unwrap_err();
    assert_eq!((err.codespace(), err.code()), ("wasm", 2), "{err}");
}

#[test]
fn queries_report_missing_contracts_and_contract_errors_with_wasmd_codes() {
    let t = Tessera::new();
    let missing = humanize("tessera", &[9u8; 32]).unwrap();
    let err = t
        .chain
        .host
        .query_smart(&t.chain.state, &t.chain.block, &missing, b"{}")
        .unwrap_err();
    assert_eq!((err.codespace(), err.code()), ("wasm", 22), "{err}");
    let err = t
        .chain
        .host
        .query_smart(
            &t.chain.state,
            &t.chain.block,
            &t.market,
            br#"{"no_such_query":{}}"#,
        )
        .unwrap_err();
    assert_eq!((err.codespace(), err.code()), ("wasm", 9), "{err}");
    assert!(err.to_string().ends_with(": query wasm contract failed"));
    let err = t
        .chain
        .host
        .query_smart(&t.chain.state, &t.chain.block, &t.market, b"not json")
        .unwrap_err();
    assert_eq!(err.code(), 14);
    // Raw state is the contract's own keys.
    let state = tessera_vm::lock_state(&t.chain.state);
    let version = t
        .chain
        .host
        .query_raw(&*state, &t.market, b"contract_info")
        .unwrap()
        .expect("cw2 version");
    assert!(String::from_utf8(version).unwrap().contains("tessera"));
}

#[test]
fn a_node_with_an_empty_vm_directory_restores_codes_from_state() {
    let t = Tessera::new();
    // Another node (fresh home, e.g. after state sync) over the same state.
    let dir = tempfile::tempdir().unwrap();
    let other = tessera_vm::WasmHost::new(
        tessera_vm::VmConfig::new(dir.path()),
        std::sync::Arc::new(tessera_vm::testing::MemBank),
    )
    .unwrap();
    let params = other
        .query_smart(
            &t.chain.state,
            &t.chain.block,
            &t.market,
            br#"{"params":{}}"#,
        )
        .expect("the blob is compiled again from state");
    let params: tessera_api::market::MarketParams =
        serde_json::from_slice(params.as_slice()).unwrap();
    assert_eq!(params.registry, t.registry);
    // Pinning works from state too.
    other.pin_code(&t.chain.state, t.market_code).unwrap();
    assert_eq!(
        other
            .pinned_codes(&*tessera_vm::lock_state(&t.chain.state))
            .unwrap(),
        vec![t.market_code]
    );
    other.sync_pinned(&t.chain.state).unwrap();
}
