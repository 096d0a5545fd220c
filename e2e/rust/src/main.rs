//! cosmrs and tendermint-rpc, unmodified from crates.io, against a running
//! `tesserad start --dev`: derive a dev key from its mnemonic, read the account over
//! `abci_query`, sign a bank send with SIGN_MODE_DIRECT, `broadcast_tx_sync` it, find it with
//! `tx`, and check the balances and a market query. Run by e2e/run.sh:
//!
//!   TESSERA_RPC=http://127.0.0.1:26657 cargo run -p tessera-e2e --bin cosmrs-e2e

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context, Result};
use cosmrs::bank::MsgSend;
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmrs::proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use cosmrs::proto::cosmwasm::wasm::v1::{
    QueryContractsByCodeRequest, QueryContractsByCodeResponse, QuerySmartContractStateRequest,
    QuerySmartContractStateResponse,
};
use cosmrs::proto::prost::Message;
use cosmrs::rpc::client::CompatMode;
use cosmrs::rpc::{Client, HttpClient};
use cosmrs::tx::{Body, Fee, Msg, SignDoc, SignerInfo};
use cosmrs::{AccountId, Coin};
use serde_json::Value;

const DENOM: &str = "utsr";
const MARKET_CODE_ID: u64 = 2;

fn dev_account(name: &str) -> Result<(String, String)> {
    // Relative to the checkout root, where e2e/run.sh runs it (not a compile-time path: the
    // target dir is shared between checkouts).
    let path = "chain-config/dev-accounts.json";
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?,
    )?;
    let account = file["accounts"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["name"] == name))
        .ok_or_else(|| anyhow!("no dev account {name}"))?;
    Ok((
        account["mnemonic"].as_str().unwrap_or_default().to_string(),
        account["address"].as_str().unwrap_or_default().to_string(),
    ))
}

/// cosmrs reports errors as `eyre` reports, which are not `std::error::Error`.
fn cosmrs<T>(result: Result<T, cosmrs::ErrorReport>) -> Result<T> {
    result.map_err(|e| anyhow!("{e}"))
}

async fn query<Req: Message, Res: Message + Default>(
    client: &HttpClient,
    path: &str,
    request: Req,
) -> Result<Res> {
    let res = client
        .abci_query(Some(path.to_string()), request.encode_to_vec(), None, false)
        .await?;
    ensure!(res.code.is_ok(), "{path}: code {:?}: {}", res.code, res.log);
    ensure!(res.height.value() > 0, "{path}: answer without a height");
    Ok(Res::decode(res.value.as_slice())?)
}

async fn balance(client: &HttpClient, address: &str) -> Result<u128> {
    let res: QueryBalanceResponse = query(
        client,
        "/cosmos.bank.v1beta1.Query/Balance",
        QueryBalanceRequest {
            address: address.into(),
            denom: DENOM.into(),
        },
    )
    .await?;
    Ok(res.balance.map_or(Ok(0), |c| c.amount.parse())?)
}

async fn run() -> Result<()> {
    let url = std::env::var("TESSERA_RPC").unwrap_or_else(|_| "http://127.0.0.1:26657".into());
    let client = HttpClient::builder(url.parse()?)
        .compat_mode(CompatMode::V0_38)
        .build()?;
    let status = client.status().await.context("status")?;
    let chain_id = status.node_info.network.clone();
    println!(
        "ok   connected to {chain_id} ({}), height {}",
        status.node_info.version, status.sync_info.latest_block_height
    );

    let (mnemonic, expected) = dev_account("alice")?;
    let seed = bip32::Mnemonic::new(mnemonic, bip32::Language::English)?.to_seed("");
    let key = SigningKey::derive_from_path(seed, &"m/44'/118'/0'/0/0".parse()?)?;
    let alice: AccountId = cosmrs(key.public_key().account_id("tessera"))?;
    ensure!(
        alice.to_string() == expected,
        "mnemonic gives {alice}, not {expected}"
    );
    let (_, bob) = dev_account("bob")?;

    let account: QueryAccountResponse = query(
        &client,
        "/cosmos.auth.v1beta1.Query/Account",
        QueryAccountRequest {
            address: alice.to_string(),
        },
    )
    .await?;
    let account = BaseAccount::decode(account.account.context("no account")?.value.as_slice())?;
    println!(
        "ok   alice is account {} at sequence {}",
        account.account_number, account.sequence
    );

    let contracts: QueryContractsByCodeResponse = query(
        &client,
        "/cosmwasm.wasm.v1.Query/ContractsByCode",
        QueryContractsByCodeRequest {
            code_id: MARKET_CODE_ID,
            pagination: None,
        },
    )
    .await?;
    let market = contracts.contracts.first().context("no market contract")?;
    let params: QuerySmartContractStateResponse = query(
        &client,
        "/cosmwasm.wasm.v1.Query/SmartContractState",
        QuerySmartContractStateRequest {
            address: market.clone(),
            query_data: br#"{"params":{}}"#.to_vec(),
        },
    )
    .await?;
    let params: Value = serde_json::from_slice(&params.data)?;
    ensure!(params["take_rate_bps"].is_u64(), "market params: {params}");
    println!(
        "ok   market {market}: take rate {} bps",
        params["take_rate_bps"]
    );

    let before = balance(&client, &bob).await?;
    let amount = 4242u128;
    let send = MsgSend {
        from_address: alice.clone(),
        to_address: bob.parse().map_err(|e| anyhow!("{e}"))?,
        amount: vec![cosmrs(Coin::new(amount, DENOM))?],
    };
    let body = Body::new(vec![cosmrs(send.to_any())?], "cosmrs e2e", 0u32);
    let auth_info = SignerInfo::single_direct(Some(key.public_key()), account.sequence).auth_info(
        Fee::from_amount_and_gas(cosmrs(Coin::new(5_000, DENOM))?, 200_000u64),
    );
    let doc = cosmrs(SignDoc::new(
        &body,
        &auth_info,
        &chain_id,
        account.account_number,
    ))?;
    let signed = cosmrs(cosmrs(doc.sign(&key))?.to_bytes())?;
    let res = client.broadcast_tx_sync(signed).await?;
    ensure!(
        res.code.is_ok(),
        "broadcast_tx_sync: code {:?}: {}",
        res.code,
        res.log
    );
    println!("ok   broadcast {}", res.hash);

    let deadline = Instant::now() + Duration::from_secs(30);
    let found = loop {
        match client.tx(res.hash, false).await {
            Ok(found) => break found,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(500)).await
            }
            Err(e) => bail!("tx {} not found within 30 s: {e}", res.hash),
        }
    };
    ensure!(
        found.tx_result.code.is_ok(),
        "tx failed: {}",
        found.tx_result.log
    );
    println!(
        "ok   found with `tx` at height {}, gas {}",
        found.height, found.tx_result.gas_used
    );

    let after = balance(&client, &bob).await?;
    ensure!(
        after == before + amount,
        "bob had {before}, now {after}, expected +{amount}"
    );
    println!("ok   bob's balance grew by {amount}");

    // Bad input is an answer, never a crash: garbage tx bytes, a malformed query.
    let garbage = client
        .broadcast_tx_sync(vec![0xde, 0xad, 0xbe, 0xef])
        .await?;
    ensure!(
        garbage.code.value() == 2 && !garbage.log.is_empty(),
        "garbage tx: code {:?}, log {:?}",
        garbage.code,
        garbage.log
    );
    let bad = client
        .abci_query(
            Some("/cosmos.bank.v1beta1.Query/Balance".into()),
            vec![0xff, 0xff],
            None,
            false,
        )
        .await?;
    ensure!(bad.code.is_err(), "a malformed query was answered: {bad:?}");
    let height = client.status().await?.sync_info.latest_block_height;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let later = client.status().await?.sync_info.latest_block_height;
    ensure!(
        later > height,
        "the chain stopped at {height} after bad input"
    );
    println!(
        "ok   bad input refused (tx code 2: {}; query code {}), blocks go on",
        garbage.log,
        bad.code.value()
    );
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => {
            println!("cosmrs e2e: all checks passed");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("FAIL {e:#}");
            ExitCode::FAILURE
        }
    }
}
