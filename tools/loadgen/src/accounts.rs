//! The accounts under load: a funder from a mnemonic, and senders derived from the same
//! mnemonic (HD children 1…N), funded by the funder in one tx before the run.

use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use cosmrs::bip32::{Language, Mnemonic, Seed, XPrv};
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::AccountId;
use tessera_client::node::Node;

use crate::signing::{self, ChainParams, SignedTx};
use crate::LoadConfig;

/// Gas for each message of the funding tx (a send to a new account) and for the tx itself.
const FUNDING_GAS_PER_SEND: u64 = 60_000;
const FUNDING_GAS_BASE: u64 = 200_000;
/// The gas limit each sender's fees are funded for, unless `--gas` asks for more: funding
/// comes before the simulation that sets the limit.
const FUNDED_GAS_PER_TX: u64 = 200_000;

pub struct Funder {
    pub key: SigningKey,
    pub address: AccountId,
    /// The mnemonic's seed (2,048 rounds of PBKDF2 to compute), kept to derive the senders.
    seed: Seed,
}

/// A sender with what it needs to sign: its account number and next sequence on chain.
pub struct Sender {
    pub key: SigningKey,
    pub address: AccountId,
    pub account_number: u64,
    pub sequence: u64,
}

fn derive(seed: &Seed, index: u32) -> Result<SigningKey> {
    let path = format!("m/44'/118'/0'/0/{index}")
        .parse()
        .map_err(|e| anyhow!("HD path: {e}"))?;
    let xprv = XPrv::derive_from_path(seed, &path).map_err(|e| anyhow!("HD derivation: {e}"))?;
    SigningKey::from_slice(&xprv.private_key().to_bytes()).map_err(|e| anyhow!("key: {e}"))
}

fn address(key: &SigningKey, prefix: &str) -> Result<AccountId> {
    key.public_key()
        .account_id(prefix)
        .map_err(|e| anyhow!("address with prefix {prefix:?}: {e}"))
}

impl Funder {
    pub fn from_mnemonic(phrase: &str, prefix: &str) -> Result<Self> {
        let mnemonic = Mnemonic::new(phrase.trim(), Language::English)
            .map_err(|e| anyhow!("funder mnemonic: {e}"))?;
        let seed = mnemonic.to_seed("");
        let key = derive(&seed, 0)?;
        let address = address(&key, prefix)?;
        Ok(Self { key, address, seed })
    }
}

/// Sends each sender enough for its txs' fees (and the one unit each moves) in one tx from the
/// funder, waits for it to commit and reads the senders' accounts.
pub async fn fund_senders(
    node: &Node,
    chain: &ChainParams,
    funder: &Funder,
    config: &LoadConfig,
) -> Result<Vec<Sender>> {
    let gas = config.gas.unwrap_or(0).max(FUNDED_GAS_PER_TX);
    let fee = chain.fee(gas).amount.first().map_or(0, |c| c.amount);
    let each = u128::from(config.txs_per_sender) * (fee + 1) + 1_000;
    let count = u32::try_from(config.senders).context("--senders")?;
    let keys = (1..=count)
        .map(|i| derive(&funder.seed, i))
        .collect::<Result<Vec<_>>>()?;
    let msgs = keys
        .iter()
        .map(|key| {
            signing::send_msg(
                &funder.address,
                &address(key, &chain.prefix)?,
                chain.coin(each),
            )
        })
        .collect::<Result<Vec<_>>>()?;
    let account = node
        .account(funder.address.as_ref())
        .await?
        .with_context(|| format!("the funder {} has no account on chain", funder.address))?;
    let funding_gas = FUNDING_GAS_BASE + FUNDING_GAS_PER_SEND * u64::from(count);
    let tx = signing::sign(
        chain,
        &funder.key,
        account.account_number,
        account.sequence,
        msgs,
        funding_gas,
    )?;
    let hash = node.broadcast(tx.bytes).await.context("funding tx")?;
    node.wait_for_tx(&hash, Duration::from_secs(60))
        .await
        .context("funding tx")?;

    let mut senders = Vec::with_capacity(keys.len());
    for key in keys {
        let address = address(&key, &chain.prefix)?;
        let Some(account) = node.account(address.as_ref()).await? else {
            bail!("sender {address} has no account after the funding tx");
        };
        senders.push(Sender {
            key,
            address,
            account_number: account.account_number,
            sequence: account.sequence,
        });
    }
    Ok(senders)
}

impl Sender {
    /// One unit of the denom from this sender to `to`, at `sequence`.
    pub fn bank_send(
        &self,
        chain: &ChainParams,
        sequence: u64,
        to: &AccountId,
        gas: u64,
    ) -> Result<SignedTx> {
        let msg = signing::send_msg(&self.address, to, chain.coin(1))?;
        signing::sign(
            chain,
            &self.key,
            self.account_number,
            sequence,
            vec![msg],
            gas,
        )
    }
}

impl Funder {
    /// The gas of one bank send on this chain (a simulation of the funder sending to itself),
    /// with 30 % added as clients do.
    pub async fn simulated_send_gas(&self, node: &Node, chain: &ChainParams) -> Result<u64> {
        let account = node
            .account(self.address.as_ref())
            .await?
            .with_context(|| format!("the funder {} has no account on chain", self.address))?;
        let msg = signing::send_msg(&self.address, &self.address, chain.coin(1))?;
        let tx = signing::sign(
            chain,
            &self.key,
            account.account_number,
            account.sequence,
            vec![msg],
            1_000_000,
        )?;
        let used = node.simulate(tx.bytes).await?.gas_used;
        Ok(used + used * 3 / 10)
    }
}
