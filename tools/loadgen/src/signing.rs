//! Bank sends signed in advance (SIGN_MODE_DIRECT), for any chain id, address prefix and denom.

use anyhow::{anyhow, Result};
use cosmrs::bank::MsgSend;
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::tendermint::chain;
use cosmrs::tx::{Body, Fee, Msg, SignDoc, SignerInfo};
use cosmrs::{AccountId, Any, Coin, Denom};
use sha2::{Digest, Sha256};

/// What a tx must carry to be valid on the chain under load.
#[derive(Clone, Debug)]
pub struct ChainParams {
    pub chain_id: chain::Id,
    pub prefix: String,
    pub denom: Denom,
    /// Fee per unit of gas, in `denom` (the node's minimum or more).
    pub gas_price: f64,
}

impl ChainParams {
    /// The fee for `gas` at the gas price, rounded up as the SDK's mempool check does.
    pub fn fee(&self, gas: u64) -> Fee {
        let amount = (gas as f64 * self.gas_price).ceil() as u128;
        Fee::from_amount_and_gas(self.coin(amount), gas)
    }

    pub fn coin(&self, amount: u128) -> Coin {
        Coin {
            denom: self.denom.clone(),
            amount,
        }
    }
}

/// A signed tx and its hash as CometBFT names it (upper-case hex of its bytes' sha256).
#[derive(Clone, Debug)]
pub struct SignedTx {
    pub bytes: Vec<u8>,
    pub hash: String,
}

impl SignedTx {
    fn new(bytes: Vec<u8>) -> Self {
        let hash = hex::encode_upper(Sha256::digest(&bytes));
        Self { bytes, hash }
    }
}

/// Signs `msgs` as the account (`key`, `account_number`) at `sequence`.
pub fn sign(
    chain: &ChainParams,
    key: &SigningKey,
    account_number: u64,
    sequence: u64,
    msgs: Vec<Any>,
    gas: u64,
) -> Result<SignedTx> {
    let body = Body::new(msgs, "", 0u32);
    let auth_info =
        SignerInfo::single_direct(Some(key.public_key()), sequence).auth_info(chain.fee(gas));
    let doc = SignDoc::new(&body, &auth_info, &chain.chain_id, account_number)
        .map_err(|e| anyhow!("sign doc: {e}"))?;
    let raw = doc.sign(key).map_err(|e| anyhow!("signing: {e}"))?;
    Ok(SignedTx::new(
        raw.to_bytes().map_err(|e| anyhow!("tx: {e}"))?,
    ))
}

pub fn send_msg(from: &AccountId, to: &AccountId, coin: Coin) -> Result<Any> {
    MsgSend {
        from_address: from.clone(),
        to_address: to.clone(),
        amount: vec![coin],
    }
    .to_any()
    .map_err(|e| anyhow!("MsgSend: {e}"))
}
