//! Writes the referee's JSON schema to `./schema`; run from `contracts/referee`:
//! `cargo run --bin referee-schema`. The schema is committed and CI fails when it drifts.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    use cosmwasm_schema::write_api;
    use tessera_api::referee::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

    write_api! {
        name: "tessera-referee",
        instantiate: InstantiateMsg,
        execute: ExecuteMsg,
        query: QueryMsg,
        migrate: MigrateMsg,
    }
}

// The schema tool is host-only; a wasm build of every target gets an empty binary.
#[cfg(target_arch = "wasm32")]
fn main() {}
