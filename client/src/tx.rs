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

/// How many times [`Signer::send`] re-signs and resends a tx the node refused for its account
/// sequence. Each round at least one of the key's concurrent senders gets through, so ten lets
/// about ten processes share a key at once; past that the refusal is returned.
pub const SEQUENCE_RETRIES: u32 = 10;
/// The pause before a sequence retry is drawn from this range, so that senders that collided
/// once do not collide again in step.
const SEQUENCE_RETRY_PAUSE_MS: std::ops::Range<u64> = 50..400;

/// Told, in one line, why a tx is being sent again (the CLI prints it on stderr).
pub type Notice = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

/// A key bound to a node and chain: signs and sends txs from one account.
pub struct Signer {
    node: Node,
    key: Key,
    chain_id: String,
    notice: Option<Notice>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("node", &self.node)
            .field("key", &self.key)
            .field("chain_id", &self.chain_id)
            .finish_non_exhaustive()
    }
}

/// Why a refusal may be retried with a fresh sequence: the node refused the tx for its account
/// sequence before it reached a block (CheckTx or simulation), so nothing was charged and the
/// same messages cannot land twice. Returns the sequence the mempool said it expects, when its
/// CheckTx log says so (`account sequence mismatch, expected N, got M`): the mempool's state is
/// ahead of the committed account a query returns by the txs waiting in it. A simulation runs
/// against committed state, so its "expected" is no better than a fresh query and is not used.
pub fn sequence_refusal(error: &Error) -> Option<Option<u64>> {
    const WRONG_SEQUENCE: u32 = 32;
    let (code, codespace, log) = match error {
        Error::Refused {
            code,
            codespace,
            log,
            ..
        } => (*code, codespace, log.as_str()),
        Error::Simulation {
            code, codespace, ..
        } => (*code, codespace, ""),
        // `Failed` was in a block: its sequence was used and its fee paid; never resend it.
        _ => return None,
    };
    if code != WRONG_SEQUENCE || codespace != "sdk" {
        return None;
    }
    let expected = log
        .split("expected ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse().ok());
    Some(expected)
}

fn retry_pause() -> Duration {
    use rand_core::RngCore;
    let span = SEQUENCE_RETRY_PAUSE_MS.end - SEQUENCE_RETRY_PAUSE_MS.start;
    Duration::from_millis(SEQUENCE_RETRY_PAUSE_MS.start + rand_core::OsRng.next_u64() % span)
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
            notice: None,
        })
    }

    /// Calls `notice` with a line saying why, each time a tx is re-signed and sent again.
    pub fn with_notice(mut self, notice: Notice) -> Self {
        self.notice = Some(notice);
        self
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
    ///
    /// Another process sending from the same key can take the sequence this tx was signed with;
    /// the node then refuses it before inclusion, and it is re-signed with the sequence the node
    /// expects and sent again, up to [`SEQUENCE_RETRIES`] times, each retry announced.
    pub async fn send(&self, msgs: Vec<Any>, options: &TxOptions) -> Result<TxOutcome> {
        let mut sequence = None;
        let mut retries = 0;
        let hash = loop {
            let sent = match self.sign_at(msgs.clone(), options, sequence).await {
                Ok((tx, _)) => self.node.broadcast(tx).await,
                Err(e) => Err(e),
            };
            let error = match sent {
                Ok(hash) => break hash,
                Err(e) => e,
            };
            match sequence_refusal(&error) {
                Some(expected) if retries < SEQUENCE_RETRIES => {
                    retries += 1;
                    sequence = expected;
                    tracing::warn!(retry = retries, max = SEQUENCE_RETRIES, ?expected, %error, "sequence retry");
                    if let Some(notice) = &self.notice {
                        notice(&format!(
                            "retrying ({retries}/{SEQUENCE_RETRIES}) with a fresh account sequence: {error}"
                        ));
                    }
                    tokio::time::sleep(retry_pause()).await;
                }
                _ => return Err(error),
            }
        };
        tracing::debug!(%hash, retries, "broadcast");
        self.node.wait_for_tx(&hash, options.timeout).await
    }

    /// Signed tx bytes and what they will cost, without sending them.
    pub async fn sign(&self, msgs: Vec<Any>, options: &TxOptions) -> Result<(Vec<u8>, FeePlan)> {
        self.sign_at(msgs, options, None).await
    }

    /// Signs with `sequence`, or with the account's committed sequence when `None`.
    async fn sign_at(
        &self,
        msgs: Vec<Any>,
        options: &TxOptions,
        sequence: Option<u64>,
    ) -> Result<(Vec<u8>, FeePlan)> {
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
        // The simulation reads committed state, so it takes the committed sequence; the tx takes
        // the mempool's when a refusal told us it is ahead.
        let sequence = sequence.unwrap_or(account.sequence);
        let fee = match &options.fees {
            Some(fee) => fee.clone(),
            None => options.gas_price.fee_for(gas_limit),
        };
        let auth_info = SignerInfo::single_direct(Some(self.key.public_key()), sequence)
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
    fn only_sequence_refusals_before_a_block_are_retried() {
        let refused = |code: u32, codespace: &str, log: &str| Error::Refused {
            hash: "AB".into(),
            code,
            codespace: codespace.into(),
            log: log.into(),
        };
        let log = "account sequence mismatch, expected 7, got 5: incorrect account sequence";
        assert_eq!(sequence_refusal(&refused(32, "sdk", log)), Some(Some(7)));
        let simulated = Error::Simulation {
            code: 32,
            codespace: "sdk".into(),
            log: log.into(),
        };
        assert_eq!(sequence_refusal(&simulated), Some(None));
        assert_eq!(
            sequence_refusal(&refused(32, "sdk", "incorrect account sequence")),
            Some(None)
        );
        assert_eq!(sequence_refusal(&refused(5, "sdk", log)), None);
        assert_eq!(sequence_refusal(&refused(32, "wasm", log)), None);
        let in_a_block = Error::Failed {
            hash: "AB".into(),
            height: 3,
            code: 32,
            codespace: "sdk".into(),
            log: log.into(),
            gas_wanted: 1,
            gas_used: 1,
        };
        assert_eq!(sequence_refusal(&in_a_block), None);
        let pause = retry_pause();
        assert!(pause >= Duration::from_millis(50) && pause < Duration::from_millis(400));
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
