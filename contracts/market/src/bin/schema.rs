//! Writes the market's JSON schema to `./schema`; run from `contracts/market`:
//! `cargo run --bin schema`. The schema is committed and CI fails when it drifts.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    use cosmwasm_schema::write_api;
    use tessera_api::market::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, SudoMsg};

    write_api! {
        name: "tessera-market",
        instantiate: InstantiateMsg,
        execute: ExecuteMsg,
        query: QueryMsg,
        migrate: MigrateMsg,
        sudo: SudoMsg,
    }
}

// The schema tool is host-only; a wasm build of every target gets an empty binary.
#[cfg(target_arch = "wasm32")]
fn main() {}
