//! The ante handler: everything a transaction must pass before its messages run.
//!
//! Phases, cheapest first: stateless checks → tx-size gas → accounts, signatures and sequences
//! → fee deduction → sequence increment (and first-time public keys). Each state access is
//! charged to the transaction's gas meter. The caller runs `ante` in its own overlay layer and
//! discards that layer on error, so a refused transaction changes nothing; on success the layer
//! is kept even if the messages then fail (the fee is paid and the sequence used, as in the SDK).

use std::sync::OnceLock;

use base64::Engine as _;
use tessera_store::StateWrite;

use crate::address::Address;
use crate::auth::{self, BaseAccount};
use crate::coin::Coins;
use crate::crypto::PublicKey;
use crate::error::TxError;
use crate::event::Event;
use crate::fees::{self, GasPrice};
use crate::gas::{desc, GasConfig, GasMeter, GasMeteredState};
use crate::sigcache::SignatureCache;
use crate::tx::{SignMode, Tx};

/// Why the transaction is being run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Mempool admission: ante only, minimum gas price enforced, messages not executed.
    Check,
    /// Block execution.
    Deliver,
    /// Gas estimation: unlimited meter, signatures not verified (clients send
    /// `SIGN_MODE_UNSPECIFIED` with empty signatures), all writes discarded by the caller.
    Simulate,
}

/// Chain parameters of the ante handler (SDK `x/auth` defaults) and the validator's local
/// minimum gas prices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnteParams {
    pub max_memo_bytes: usize,
    pub tx_sig_limit: usize,
    pub tx_size_cost_per_byte: u64,
    pub sig_verify_cost_secp256k1: u64,
    /// Node configuration, not consensus: applied in `Check` only.
    pub min_gas_prices: Vec<GasPrice>,
    pub gas_config: GasConfig,
    /// Node configuration: the most gas one `Simulate` may use (the SDK's
    /// `simulation_gas_limit`). Simulations are free and unsigned, so this is what bounds the
    /// work a stranger can ask for; no real tx can use more than a block's gas anyway.
    pub simulation_gas_limit: u64,
}

/// Default [`AnteParams::simulation_gas_limit`]: the default block gas limit. At CosmWasm's
/// 140 000 VM gas per SDK gas and its target of about 1 ms per 10^12 VM gas, a simulation that
/// spends all of it runs contract code for some 15 ms.
pub const DEFAULT_SIMULATION_GAS_LIMIT: u64 = 100_000_000;

impl Default for AnteParams {
    fn default() -> Self {
        Self {
            max_memo_bytes: 256,
            tx_sig_limit: 7,
            tx_size_cost_per_byte: 10,
            sig_verify_cost_secp256k1: 1000,
            min_gas_prices: Vec::new(),
            gas_config: GasConfig::default(),
            simulation_gas_limit: DEFAULT_SIMULATION_GAS_LIMIT,
        }
    }
}

/// What a transaction is checked against.
#[derive(Clone, Copy, Debug)]
pub struct TxContext<'a> {
    pub chain_id: &'a str,
    /// Height of the block being built or checked against (timeout checks).
    pub block_height: u64,
    pub mode: Mode,
    pub params: &'a AnteParams,
    /// Signatures of this tx that another thread already verified (see [`VerifiedAhead`]);
    /// `None` verifies every signature here.
    pub verified_ahead: Option<&'a VerifiedAhead>,
    /// Signatures this node already verified (in CheckTx, or an earlier block's helper);
    /// `None` verifies in full.
    pub signature_cache: Option<&'a SignatureCache>,
}

/// The signers of one tx whose signatures a helper thread verified while earlier txs of the
/// block executed: per signer, the key and account number the signature verified against, or
/// `None` where the helper could not tell (unknown account, bad signature, undecodable tx).
///
/// The ante trusts an entry only when its own key and account number match it; the SignDoc
/// and the signature come from the same tx bytes, so a match means the same check passed. A
/// mismatch (state changed within the block) just verifies again here.
#[derive(Debug, Default)]
pub struct VerifiedAhead(OnceLock<Vec<Option<(PublicKey, u64)>>>);

impl VerifiedAhead {
    /// Records the helper's findings; later calls are ignored.
    pub fn set(&self, signers: Vec<Option<(PublicKey, u64)>>) {
        let _ = self.0.set(signers);
    }

    /// Whether signer `index`'s signature verified against `key` at `account_number`; waits
    /// for the helper to get to this tx.
    fn covers(&self, index: usize, key: &PublicKey, account_number: u64) -> bool {
        self.0.wait().get(index).copied().flatten() == Some((*key, account_number))
    }
}

/// What the messages need to know after a successful ante.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnteOutcome {
    /// The tx's signers in order; every message's signer is among them.
    pub signers: Vec<Address>,
    pub fee_payer: Address,
    pub fee: Coins,
    /// Fee transfer, `tx {fee, fee_payer}`, then per signer `tx {acc_seq}` and `tx {signature}`.
    pub events: Vec<Event>,
}

/// The SDK's `MaxGasWanted`: gas limits must fit an `int64`.
pub const MAX_GAS_WANTED: u64 = i64::MAX as u64;

/// Bytes a real signature will add to the simulated tx (field tag, length, 64-byte `r || s`),
/// charged at the tx-size rate in `Simulate` for each empty signature so the estimate covers the
/// signed tx.
pub const SIMULATED_SIGNATURE_BYTES: u64 = 66;

/// The SDK's simulation placeholder key (`simSecp256k1Pubkey`): set on keyless accounts in
/// `Simulate` so that the estimate pays for writing an account with a key.
const SIMULATION_PUBKEY: [u8; 33] = [
    0x03, 0x5a, 0xd6, 0x81, 0x0a, 0x47, 0xf0, 0x73, 0x55, 0x3f, 0xf3, 0x0d, 0x2f, 0xcc, 0x7e, 0x0d,
    0x3b, 0x1c, 0x0b, 0x74, 0xb6, 0x1a, 0x1a, 0xaa, 0x25, 0x82, 0x34, 0x40, 0x37, 0x15, 0x1e, 0x14,
    0x3a,
];

/// The meter a transaction runs under: its gas limit, or the node's simulation cap when
/// simulating (the point of simulation is to learn the limit, but it must not be unbounded).
pub fn new_gas_meter(tx: &Tx, mode: Mode, params: &AnteParams) -> GasMeter {
    match mode {
        Mode::Simulate => GasMeter::new(params.simulation_gas_limit),
        Mode::Check | Mode::Deliver => GasMeter::new(tx.auth_info.fee.gas_limit),
    }
}

/// Runs the ante checks of `tx` against `state`, charging `meter`.
pub fn ante(
    state: &mut dyn StateWrite,
    tx: &Tx,
    ctx: &TxContext<'_>,
    meter: &mut GasMeter,
) -> Result<AnteOutcome, TxError> {
    let signers = check_stateless(tx, ctx)?;
    let mut gs = GasMeteredState::new(state, meter, ctx.params.gas_config);
    let result = run_stateful(&mut gs, tx, ctx, signers);
    gs.finish(result)
}

/// The phases that read and write state, all through the gas-metered state.
fn run_stateful(
    gs: &mut GasMeteredState<'_>,
    tx: &Tx,
    ctx: &TxContext<'_>,
    signers: Vec<Address>,
) -> Result<AnteOutcome, TxError> {
    let simulate = ctx.mode == Mode::Simulate;
    charge_tx_size(gs, tx, ctx)?;
    let accounts = verify_signers(gs, tx, ctx, &signers)?;

    let fee_payer = signers[0].clone();
    let fee = tx.auth_info.fee.amount.clone();
    let mut events = fees::deduct_fee(gs, &fee_payer, &fee)?;
    if simulate && fee.is_empty() {
        charge_simulated_fee_payment(gs, &fee_payer, ctx);
    }

    for (i, mut account) in accounts.into_iter().enumerate() {
        let info = &tx.auth_info.signer_infos[i];
        if account.pubkey.is_none() {
            account.pubkey = match info.public_key {
                Some(key) => Some(key),
                None if simulate => Some(PublicKey::unchecked(SIMULATION_PUBKEY)),
                // verify_signers refused keyless accounts outside simulation.
                None => None,
            };
        }
        account.sequence = account
            .sequence
            .checked_add(1)
            .ok_or_else(|| TxError::invalid_request("account sequence overflow"))?;
        auth::set_account(gs, &account);

        events.push(Event::new("tx").attr("acc_seq", format!("{}/{}", signers[i], info.sequence)));
        let signature = base64::engine::general_purpose::STANDARD.encode(&tx.signatures[i]);
        events.push(Event::new("tx").attr("signature", signature));
    }
    Ok(AnteOutcome {
        signers,
        fee_payer,
        fee,
        events,
    })
}

/// Clients simulate with an empty fee (CosmJS does, to learn the gas before choosing the fee),
/// but the signed tx will pay one, and paying reads and writes two balances. Without this
/// charge an estimate falls ~8,000 gas short of a bank send, more than CosmJS's 1.3 margin
/// covers. The SDK skips the payment in simulation; here a one-unit payment in the first
/// minimum-gas-price denom is run instead (the caller discards all writes of a simulation),
/// when the payer holds that denom.
fn charge_simulated_fee_payment(
    gs: &mut GasMeteredState<'_>,
    payer: &Address,
    ctx: &TxContext<'_>,
) {
    let Some(price) = ctx.params.min_gas_prices.first() else {
        return;
    };
    if let Ok(one_unit) = Coins::new(vec![crate::coin::Coin::new(1, price.denom.clone())]) {
        // A payer without that denom pays nothing here, as it could not pay in it either.
        let _ = fees::deduct_fee(gs, payer, &one_unit);
    }
}

/// Checks that need no state; returns the signers.
fn check_stateless(tx: &Tx, ctx: &TxContext<'_>) -> Result<Vec<Address>, TxError> {
    let params = ctx.params;
    let sigs = tx.signatures.len();
    if sigs == 0 {
        return Err(TxError::no_signatures());
    }
    let infos = tx.auth_info.signer_infos.len();
    if sigs != infos {
        return Err(TxError::unauthorized(format!(
            "wrong number of signers; expected {infos}, got {sigs}"
        )));
    }
    let signers = tx.signers();
    if signers.len() != sigs {
        return Err(TxError::unauthorized(format!(
            "wrong number of signers; expected {}, got {sigs}",
            signers.len()
        )));
    }
    if sigs > params.tx_sig_limit {
        return Err(TxError::too_many_signatures(format!(
            "signatures: {sigs}, limit: {}",
            params.tx_sig_limit
        )));
    }
    let gas_limit = tx.auth_info.fee.gas_limit;
    if gas_limit > MAX_GAS_WANTED {
        return Err(TxError::invalid_request(format!(
            "invalid gas supplied; {gas_limit} > {MAX_GAS_WANTED}"
        )));
    }
    let timeout = tx.body.timeout_height;
    if timeout > 0 && ctx.block_height > timeout {
        return Err(TxError::tx_timeout_height(format!(
            "block height: {}, timeout height: {timeout}",
            ctx.block_height
        )));
    }
    let memo = tx.body.memo.len();
    if memo > params.max_memo_bytes {
        return Err(TxError::memo_too_large(format!(
            "maximum number of characters is {} but received {memo} characters",
            params.max_memo_bytes
        )));
    }
    if ctx.mode != Mode::Simulate {
        for (i, (info, signer)) in tx.auth_info.signer_infos.iter().zip(&signers).enumerate() {
            if info.mode != SignMode::Direct {
                return Err(TxError::not_supported(format!(
                    "sign mode {} is not supported",
                    info.mode.as_str()
                )));
            }
            if let Some(key) = &info.public_key {
                if key.address() != *signer {
                    return Err(TxError::invalid_pubkey(format!(
                        "pubKey does not match signer address {signer} with signer index: {i}"
                    )));
                }
            }
        }
    }
    if ctx.mode == Mode::Check {
        fees::check_min_gas_price(&tx.auth_info.fee.amount, gas_limit, &params.min_gas_prices)?;
    }
    Ok(signers)
}

fn charge_tx_size(gs: &GasMeteredState<'_>, tx: &Tx, ctx: &TxContext<'_>) -> Result<(), TxError> {
    let per_byte = ctx.params.tx_size_cost_per_byte;
    let size = u64::try_from(tx.size).unwrap_or(u64::MAX);
    gs.consume(per_byte.saturating_mul(size), desc::TX_SIZE)?;
    if ctx.mode == Mode::Simulate {
        let empty = tx.signatures.iter().filter(|s| s.is_empty()).count();
        let missing_bytes = SIMULATED_SIGNATURE_BYTES.saturating_mul(empty as u64);
        gs.consume(per_byte.saturating_mul(missing_bytes), desc::TX_SIZE)?;
    }
    Ok(())
}

/// Loads every signer's account and checks its key, sequence and (outside simulation) its
/// SIGN_MODE_DIRECT signature over the SignDoc bound to this chain and account number.
fn verify_signers(
    gs: &GasMeteredState<'_>,
    tx: &Tx,
    ctx: &TxContext<'_>,
    signers: &[Address],
) -> Result<Vec<BaseAccount>, TxError> {
    let simulate = ctx.mode == Mode::Simulate;
    let mut accounts = Vec::with_capacity(signers.len());
    for (i, signer) in signers.iter().enumerate() {
        let info = &tx.auth_info.signer_infos[i];
        let account = auth::get_account(gs, signer)?
            .ok_or_else(|| TxError::unknown_address(format!("account {signer} does not exist")))?;
        let pubkey = account.pubkey.or(info.public_key);
        if pubkey.is_none() && !simulate {
            return Err(TxError::invalid_pubkey("pubkey on account is not set"));
        }
        gs.consume(
            ctx.params.sig_verify_cost_secp256k1,
            desc::SIG_VERIFY_SECP256K1,
        )?;
        if info.sequence != account.sequence {
            return Err(TxError::wrong_sequence(account.sequence, info.sequence));
        }
        if let (false, Some(key)) = (simulate, pubkey) {
            let verified_ahead = ctx
                .verified_ahead
                .is_some_and(|ahead| ahead.covers(i, &key, account.account_number));
            if !verified_ahead {
                verify_signature(
                    tx,
                    ctx.chain_id,
                    i,
                    &key,
                    account.account_number,
                    ctx.signature_cache,
                )?;
            }
        }
        accounts.push(account);
    }
    Ok(accounts)
}

/// Checks signer `index`'s SIGN_MODE_DIRECT signature of `tx` against `key` (through `cache`
/// when given: a signature it already accepted over the same SignDoc is not verified again).
pub fn verify_signature(
    tx: &Tx,
    chain_id: &str,
    index: usize,
    key: &PublicKey,
    account_number: u64,
    cache: Option<&SignatureCache>,
) -> Result<(), TxError> {
    let doc = auth::sign_doc_bytes(
        &tx.body_bytes,
        &tx.auth_info_bytes,
        chain_id,
        account_number,
    );
    let signature = tx.signatures.get(index).map_or(&[][..], Vec::as_slice);
    // The reason stays out of the log: the SDK says the same for every failure, and the
    // account number and chain-id are what a client most often gets wrong.
    let verified = match cache {
        Some(cache) => cache.verify(key, &doc, signature),
        None => key.verify(&doc, signature),
    };
    verified.map_err(|_| {
        TxError::unauthorized(format!(
            "signature verification failed; please verify account number ({account_number}) and chain-id ({chain_id})"
        ))
    })
}
