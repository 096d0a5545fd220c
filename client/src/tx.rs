//! Building, simulating, signing and broadcasting txs (SIGN_MODE_DIRECT), then waiting for them
//! to commit: what `--gas auto`, `--gas-prices` and `--fees` mean.

use std::time::Duration;

use cosmrs::proto::cosmos::tx::v1beta1::TxRaw;
use cosmrs::proto::prost::Message;
use cosmrs::tx::{Body, Fee, Msg, SignDoc, SignerInfo};
use cosmrs::{AccountId, Any};
use cosmwasm_std::{Coin, Decimal, Uint128};
use serde::Serialize;

use crate::coin::GasPrice;
use crate::error::{Error, Result};
use crate::keys::Key;
use crate::node::{Node, TxOutcome};

/// How much gas a tx may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gas {
    /// Simulate first and allow the simulated amount times `adjustment`.
    Auto {
        adjustment: Decimal,
    },
    Fixed(u64),
}

impl Default for Gas {
    fn default() -> Self {
        Gas::Auto {
            adjustment: Decimal::percent(130),
        }
    }
}

impl std::str::FromStr for Gas {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        if s == "auto" {
            return Ok(Gas::default());
        }
        s.parse::<u64>()
            .ok()
            .filter(|g| *g > 0)
            .map(Gas::Fixed)
            .ok_or_else(|| Error::invalid("gas", format!("{s:?}: use auto or a positive number")))
    }
}

/// Everything about a tx except its messages.
#[derive(Clone, Debug)]
pub struct TxOptions {
    pub gas: Gas,
    pub gas_price: GasPrice,
    /// A fee to pay instead of `gas × gas_price`.
    pub fees: Option<Coin>,
    pub memo: String,
    /// How long to wait for the tx to commit.
    pub timeout: Duration,
}

impl Default for TxOptions {
    fn default() -> Self {
        Self {
            gas: Gas::default(),
            gas_price: GasPrice {
                amount: Decimal::permille(25),
                denom: crate::coin::BASE_DENOM.into(),
            },
            fees: None,
            memo: String::new(),
            timeout: Duration::from_secs(30),
        }
    }
}

/// A key bound to a node and chain: signs and sends txs from one account.
#[derive(Debug)]
pub struct Signer {
    node: Node,
    key: Key,
    chain_id: String,
}

/// What a signed tx will cost, before it is sent.
#[derive(Clone, Debug, Serialize)]
pub struct FeePlan {
    pub gas_limit: u64,
    pub fee: Coin,
}

impl Signer {
    /// Binds `key` to `node`; the chain id comes from the node unless given.
    pub async fn new(node: Node, key: Key, chain_id: Option<String>) -> Result<Self> {
        let chain_id = match chain_id {
            Some(id) => id,
            None => node.status().await?.chain_id,
        };
        Ok(Self {
            node,
            key,
            chain_id,
        })
    }

    pub fn address(&self) -> String {
        self.key.address()
    }

    /// The key that signs (also signs requests to providers).
    pub fn key(&self) -> &Key {
        &self.key
    }

    pub fn node(&self) -> &Node {
        &self.node
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// Simulates (for `--gas auto`), signs, broadcasts and waits for the tx to commit.
    pub async fn send(&self, msgs: Vec<Any>, options: &TxOptions) -> Result<TxOutcome> {
        let (tx, _) = self.sign(msgs, options).await?;
        let hash = self.node.broadcast(tx).await?;
        tracing::debug!(%hash, "broadcast");
        self.node.wait_for_tx(&hash, options.timeout).await
    }

    /// Signed tx bytes and what they will cost, without sending them.
    pub async fn sign(&self, msgs: Vec<Any>, options: &TxOptions) -> Result<(Vec<u8>, FeePlan)> {
        if msgs.is_empty() {
            return Err(Error::invalid("tx", "has no messages"));
        }
        let address = self.address();
        let account = self
            .node
            .account(&address)
            .await?
            .ok_or(Error::UnknownAccount { address })?;
        let body = Body::new(msgs, options.memo.clone(), 0u32);
        let gas_limit = match options.gas {
            Gas::Fixed(gas) => gas,
            Gas::Auto { adjustment } => {
                let simulated = self.simulate(&body, account.sequence).await?;
                let adjusted = Uint128::from(simulated).mul_ceil(adjustment).u128();
                u64::try_from(adjusted).unwrap_or(u64::MAX)
            }
        };
        let fee = match &options.fees {
            Some(fee) => fee.clone(),
            None => options.gas_price.fee_for(gas_limit),
        };
        let auth_info = SignerInfo::single_direct(Some(self.key.public_key()), account.sequence)
            .auth_info(Fee::from_amount_and_gas(to_cosmrs_coin(&fee)?, gas_limit));
        let chain_id: cosmrs::tendermint::chain::Id = self
            .chain_id
            .parse()
            .map_err(|e| Error::invalid("chain id", format!("{:?}: {e}", self.chain_id)))?;
        let doc = SignDoc::new(&body, &auth_info, &chain_id, account.account_number)
            .map_err(|e| Error::invalid("tx", e))?;
        let raw = doc
            .sign(self.key.signing_key())
            .map_err(|e| Error::invalid("signature", e))?;
        let bytes = raw.to_bytes().map_err(|e| Error::invalid("tx", e))?;
        Ok((bytes, FeePlan { gas_limit, fee }))
    }

    /// Gas the messages use against the latest state (no signature, no fee).
    async fn simulate(&self, body: &Body, sequence: u64) -> Result<u64> {
        let auth_info =
            SignerInfo::single_direct(Some(self.key.public_key()), sequence).auth_info(Fee {
                amount: vec![],
                gas_limit: 0,
                payer: None,
                granter: None,
            });
        let raw = TxRaw {
            body_bytes: body
                .clone()
                .into_bytes()
                .map_err(|e| Error::invalid("tx", e))?,
            auth_info_bytes: auth_info
                .into_bytes()
                .map_err(|e| Error::invalid("tx", e))?,
            signatures: vec![vec![]],
        };
        Ok(self.node.simulate(raw.encode_to_vec()).await?.gas_used)
    }
}

pub(crate) fn parse_account_id(address: &str) -> Result<AccountId> {
    let id: AccountId = address
        .parse()
        .map_err(|e| Error::invalid("address", format!("{address:?}: {e}")))?;
    if id.prefix() != crate::keys::ADDRESS_PREFIX {
        return Err(Error::invalid(
            "address",
            format!("{address:?} is not a Tessera address (tessera1…)"),
        ));
    }
    Ok(id)
}

pub(crate) fn to_cosmrs_coin(coin: &Coin) -> Result<cosmrs::Coin> {
    Ok(cosmrs::Coin {
        denom: coin
            .denom
            .parse()
            .map_err(|e| Error::invalid("denom", format!("{:?}: {e}", coin.denom)))?,
        amount: Uint128::try_from(coin.amount)
            .map_err(|_| Error::invalid("amount", format!("{coin} does not fit 128 bits")))?
            .u128(),
    })
}

/// Coins as the bank module wants them in a message: sorted by denom, no zero amounts, each
/// denom once.
pub(crate) fn normalize_funds(funds: &[Coin]) -> Result<Vec<cosmrs::Coin>> {
    let mut merged: std::collections::BTreeMap<&str, cosmwasm_std::Uint256> = Default::default();
    for coin in funds {
        let total = merged.entry(&coin.denom).or_default();
        *total = total
            .checked_add(coin.amount)
            .map_err(|_| Error::invalid("funds", "overflow"))?;
    }
    merged
        .into_iter()
        .filter(|(_, amount)| !amount.is_zero())
        .map(|(denom, amount)| to_cosmrs_coin(&Coin::new(amount, denom)))
        .collect()
}

/// A `MsgSend` from `from` to `to`.
pub fn bank_send(from: &str, to: &str, amount: &[Coin]) -> Result<Any> {
    let amount = normalize_funds(amount)?;
    if amount.is_empty() {
        return Err(Error::invalid("amount", "nothing to send"));
    }
    cosmrs::bank::MsgSend {
        from_address: parse_account_id(from)?,
        to_address: parse_account_id(to)?,
        amount,
    }
    .to_any()
    .map_err(|e| Error::invalid("MsgSend", e))
}

/// A `MsgExecuteContract` with `msg` as JSON.
pub fn execute_contract<M: Serialize>(
    sender: &str,
    contract: &str,
    msg: &M,
    funds: &[Coin],
) -> Result<Any> {
    cosmrs::cosmwasm::MsgExecuteContract {
        sender: parse_account_id(sender)?,
        contract: parse_account_id(contract)?,
        msg: serde_json::to_vec(msg).map_err(|e| Error::invalid("contract message", e))?,
        funds: normalize_funds(funds)?,
    }
    .to_any()
    .map_err(|e| Error::invalid("MsgExecuteContract", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gas_parses_auto_or_a_positive_number() {
        assert_eq!("auto".parse::<Gas>().unwrap(), Gas::default());
        assert_eq!("250000".parse::<Gas>().unwrap(), Gas::Fixed(250_000));
        assert!("0".parse::<Gas>().is_err());
        assert!("lots".parse::<Gas>().is_err());
    }

    #[test]
    fn funds_are_merged_sorted_and_stripped_of_zeros() {
        let funds = normalize_funds(&[
            Coin::new(5u128, "utsr"),
            Coin::new(0u128, "zzz"),
            Coin::new(2u128, "abc"),
            Coin::new(1u128, "utsr"),
        ])
        .unwrap();
        let shown: Vec<String> = funds.iter().map(|c| c.to_string()).collect();
        assert_eq!(shown, ["2abc", "6utsr"]);
    }

    #[test]
    fn foreign_or_malformed_addresses_are_refused() {
        let cosmos = "cosmos1qhkvyy9sd9w42cqdqvu9wtcu6swj59gwq9dg0q";
        assert!(parse_account_id("tessera1nope").is_err());
        if let Err(e) = parse_account_id(cosmos) {
            assert!(e.to_string().contains("invalid address"), "{e}");
        }
        let err = bank_send(
            "tessera1qhkvyy9sd9w42cqdqvu9wtcu6swj59gwrre43q",
            "tessera1qhkvyy9sd9w42cqdqvu9wtcu6swj59gwrre43q",
            &[],
        )
        .unwrap_err();
        assert!(err.to_string().contains("nothing to send"), "{err}");
    }
}
