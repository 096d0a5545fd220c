//! Contract admins: only the admin migrates or changes the admin; migration moves the contract
//! to the new code (and in the contracts-by-code index).

mod common;

use common::*;
use tessera_api::registry::InstantiateMsg as RegInstantiateMsg;
use tessera_vm::{lock_state, MsgClearAdmin, MsgMigrateContract, MsgUpdateAdmin, PageRequest};

fn migrate(
    chain: &Chain,
    sender: &str,
    contract: &str,
    code_id: u64,
) -> Result<tessera_vm::ExecuteResponse, tessera_vm::WasmError> {
    chain.host.migrate(
        &chain.call(GAS),
        &MsgMigrateContract {
            sender: sender.into(),
            contract: contract.into(),
            code_id,
            msg: b"{}".to_vec(),
        },
    )
}

#[test]
fn only_the_admin_migrates_and_sets_the_admin() {
    let chain = Chain::new();
    let v1 = chain.store("registry");
    let v2 = chain.store("registry"); // same wasm, new code id
    let other = chain.store("governance");
    let admin = addr("admin");
    let mallory = addr("mallory");
    let registry = chain
        .instantiate(
            &admin,
            v1,
            &RegInstantiateMsg {
                params: registry_params(&addr("governance"), &addr("pool")),
                auditors: vec![],
            },
            "registry",
            Some(&admin),
        )
        .unwrap()
        .address;

    let before = chain.changes();
    let err = migrate(&chain, &mallory, &registry, v2).unwrap_err();
    assert_eq!((err.codespace(), err.code()), ("sdk", 4), "{err}");
    assert_eq!(err.to_string(), "can not migrate: unauthorized");
    assert_eq!(chain.changes(), before);

    // The registry refuses to become another contract: a contract error, nothing changes.
    let err = migrate(&chain, &admin, &registry, other).unwrap_err();
    assert_eq!((err.codespace(), err.code()), ("wasm", 11), "{err}");
    assert_eq!(chain.changes(), before);

    let r = migrate(&chain, &admin, &registry, v2).expect("admin migrates");
    assert_eq!(
        attrs(&r.events[0]),
        vec![
            ("code_id", v2.to_string().as_str()),
            ("_contract_address", registry.as_str())
        ]
    );
    assert_eq!(r.events[0].ty, "migrate");
    assert_eq!(
        r.migrate_msg_response().type_url,
        "/cosmwasm.wasm.v1.MsgMigrateContractResponse"
    );
    {
        let state = lock_state(&chain.state);
        assert_eq!(
            chain
                .host
                .contract_info(&*state, &registry)
                .unwrap()
                .unwrap()
                .code_id,
            v2
        );
        assert!(chain
            .host
            .contracts_by_code(&*state, v1, &PageRequest::default())
            .unwrap()
            .items
            .is_empty());
        assert_eq!(
            chain
                .host
                .contracts_by_code(&*state, v2, &PageRequest::default())
                .unwrap()
                .items,
            vec![registry.clone()]
        );
    }

    // Admin changes: not by others; the admin hands over, then the new admin clears it.
    let update = |sender: &str, new_admin: &str| {
        chain.host.update_admin(
            &chain.call(GAS),
            &MsgUpdateAdmin {
                sender: sender.into(),
                new_admin: new_admin.into(),
                contract: registry.clone(),
            },
        )
    };
    assert_eq!(update(&mallory, &mallory).unwrap_err().code(), 4);
    let events = update(&admin, &mallory).unwrap();
    assert_eq!(events[0].ty, "update_contract_admin");
    assert_eq!(
        attrs(&events[0]),
        vec![
            ("_contract_address", registry.as_str()),
            ("new_admin_address", mallory.as_str())
        ]
    );
    assert_eq!(
        migrate(&chain, &admin, &registry, v1).unwrap_err().code(),
        4
    );
    let events = chain
        .host
        .clear_admin(
            &chain.call(GAS),
            &MsgClearAdmin {
                sender: mallory.clone(),
                contract: registry.clone(),
            },
        )
        .unwrap();
    assert_eq!(attrs(&events[0])[1], ("new_admin_address", ""));
    assert_eq!(
        migrate(&chain, &mallory, &registry, v1).unwrap_err().code(),
        4
    );
}
