//! Shared test fixtures: deterministic keys, a funded genesis state, and tx builders on cosmrs.
#![allow(dead_code)]

use std::ops::Bound;
use std::sync::Arc;

use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::bank::v1beta1::MsgSend as ProtoMsgSend;
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmos::tx::v1beta1::TxRaw;
use cosmrs::proto::prost::Message as _;
use cosmrs::tx::{self, Fee, SignDoc, SignerInfo};
use cosmrs::Any;
use tessera_store::state::MemState;
use tessera_store::{Overlay, StateRead};
use tesserad::{bank, Address, AnteParams, Coin, Coins, Mode, NoWasm, TxContext, TxOutcome};

pub const CHAIN_ID: &str = "tessera-dev-1";
pub const DENOM: &str = "utsr";
pub const GAS: u64 = 200_000;
pub const FEE: u128 = 5_000;
pub const GENESIS_BALANCE: u128 = 1_000_000_000;

/// A test account: a key from a fixed seed and its address.
pub struct Wallet {
    pub key: SigningKey,
    pub address: Address,
}

impl Wallet {
    pub fn from_seed(seed: u8) -> Self {
        Self::from_secret(&[seed; 32])
    }

    /// A wallet from 32 secret bytes (any value below the curve order other than zero).
    pub fn from_secret(secret: &[u8; 32]) -> Self {
        let key = SigningKey::from_slice(secret).expect("a valid secp256k1 secret");
        let pk: [u8; 33] = key
            .public_key()
            .to_bytes()
            .try_into()
            .expect("secp256k1 keys are 33 bytes compressed");
        Self {
            key,
            address: Address::from_secp256k1(&pk),
        }
    }

    pub fn bech32(&self) -> String {
        self.address.to_string()
    }
}

pub fn alice() -> Wallet {
    Wallet::from_seed(1)
}
pub fn bob() -> Wallet {
    Wallet::from_seed(2)
}
pub fn carol() -> Wallet {
    Wallet::from_seed(3)
}

pub fn coins(amount: u128) -> Coins {
    Coins::new(vec![Coin::new(amount, DENOM)]).expect("positive utsr")
}

/// Genesis: alice and bob funded (account numbers 0 and 1), carol holds only 100 utsr
/// (account number 2).
pub fn genesis() -> Overlay {
    let mut state = MemState::default();
    bank::mint(&mut state, &alice().address, &coins(GENESIS_BALANCE)).expect("mint");
    bank::mint(&mut state, &bob().address, &coins(GENESIS_BALANCE)).expect("mint");
    bank::mint(&mut state, &carol().address, &coins(100)).expect("mint");
    Overlay::new(Arc::new(state))
}

/// Every entry of the state, for before/after comparisons.
pub fn dump(state: &dyn StateRead) -> Vec<(Vec<u8>, Vec<u8>)> {
    state
        .range(Bound::Unbounded, Bound::Unbounded, false)
        .expect("range")
        .map(|r| r.expect("entry"))
        .collect()
}

pub fn proto_coin(amount: &str, denom: &str) -> ProtoCoin {
    ProtoCoin {
        denom: denom.into(),
        amount: amount.into(),
    }
}

pub fn send_any(from: &str, to: &str, amount: Vec<ProtoCoin>) -> Any {
    Any {
        type_url: "/cosmos.bank.v1beta1.MsgSend".into(),
        value: ProtoMsgSend {
            from_address: from.into(),
            to_address: to.into(),
            amount,
        }
        .encode_to_vec(),
    }
}

pub fn send_msg(from: &Wallet, to: &Wallet, amount: u128) -> Any {
    send_any(
        &from.bech32(),
        &to.bech32(),
        vec![proto_coin(&amount.to_string(), DENOM)],
    )
}

/// One signer of a tx under construction.
pub struct Signer<'a> {
    pub wallet: &'a Wallet,
    pub account_number: u64,
    pub sequence: u64,
}

/// A tx under construction, with the knobs the tests turn.
pub struct TxSpec<'a> {
    pub msgs: Vec<Any>,
    pub memo: String,
    pub fee: u128,
    pub gas: u64,
    pub signers: Vec<Signer<'a>>,
    pub chain_id: String,
    /// Sign with this account number instead of each signer's own.
    pub account_number_override: Option<u64>,
}

impl<'a> TxSpec<'a> {
    pub fn new(msgs: Vec<Any>, signers: Vec<Signer<'a>>) -> Self {
        Self {
            msgs,
            memo: String::new(),
            fee: FEE,
            gas: GAS,
            signers,
            chain_id: CHAIN_ID.into(),
            account_number_override: None,
        }
    }

    fn body_and_auth(&self) -> (tx::Body, tx::AuthInfo) {
        let body = tx::Body::new(self.msgs.clone(), self.memo.clone(), 0u32);
        let infos: Vec<SignerInfo> = self
            .signers
            .iter()
            .map(|s| SignerInfo::single_direct(Some(s.wallet.key.public_key()), s.sequence))
            .collect();
        let fee = Fee::from_amount_and_gas(
            cosmrs::Coin::new(self.fee, DENOM).expect("valid coin"),
            self.gas,
        );
        let auth_info = tx::AuthInfo {
            signer_infos: infos,
            fee,
        };
        (body, auth_info)
    }

    /// Signs with SIGN_MODE_DIRECT, one signature per signer, through cosmrs.
    pub fn sign(&self) -> Vec<u8> {
        let (body, auth_info) = self.body_and_auth();
        let chain_id: cosmrs::tendermint::chain::Id = self.chain_id.parse().expect("chain id");
        if self.signers.len() == 1 {
            let s = &self.signers[0];
            let number = self.account_number_override.unwrap_or(s.account_number);
            return SignDoc::new(&body, &auth_info, &chain_id, number)
                .expect("sign doc")
                .sign(&s.wallet.key)
                .expect("sign")
                .to_bytes()
                .expect("encode");
        }
        let signatures = self
            .signers
            .iter()
            .map(|s| {
                let number = self.account_number_override.unwrap_or(s.account_number);
                let doc = SignDoc::new(&body, &auth_info, &chain_id, number)
                    .expect("sign doc")
                    .into_bytes()
                    .expect("encode");
                s.wallet.key.sign(&doc).expect("sign").to_vec()
            })
            .collect();
        TxRaw {
            body_bytes: body.into_bytes().expect("body"),
            auth_info_bytes: auth_info.into_bytes().expect("auth info"),
            signatures,
        }
        .encode_to_vec()
    }

    /// What CosmJS sends to Simulate: SIGN_MODE_UNSPECIFIED and empty signatures (and no fee
    /// when `fee` is 0).
    pub fn unsigned_for_simulation(&self) -> Vec<u8> {
        let (body, auth_info) = self.body_and_auth();
        let mut auth = auth_info.into_proto();
        for info in &mut auth.signer_infos {
            info.mode_info = Some(cosmrs::proto::cosmos::tx::v1beta1::ModeInfo {
                sum: Some(cosmrs::proto::cosmos::tx::v1beta1::mode_info::Sum::Single(
                    cosmrs::proto::cosmos::tx::v1beta1::mode_info::Single { mode: 0 },
                )),
            });
        }
        if self.fee == 0 {
            // As CosmJS simulates: no fee amount, no gas limit.
            auth.fee = Some(Default::default());
        }
        TxRaw {
            body_bytes: body.into_bytes().expect("body"),
            auth_info_bytes: auth.encode_to_vec(),
            signatures: vec![Vec::new(); self.signers.len()],
        }
        .encode_to_vec()
    }
}

/// alice as the only signer at genesis (account 0, sequence 0).
pub fn alice_signs(wallet: &Wallet) -> Vec<Signer<'_>> {
    vec![Signer {
        wallet,
        account_number: 0,
        sequence: 0,
    }]
}

pub fn params() -> AnteParams {
    AnteParams::default()
}

pub fn ctx<'a>(mode: Mode, params: &'a AnteParams) -> TxContext<'a> {
    TxContext {
        chain_id: CHAIN_ID,
        block_height: 10,
        mode,
        params,
        verified_ahead: None,
        signature_cache: None,
    }
}

pub fn deliver(state: &mut Overlay, tx: &[u8]) -> TxOutcome {
    let params = params();
    tesserad::run_tx(state, tx, &ctx(Mode::Deliver, &params), &mut NoWasm)
}

pub fn balance(state: &dyn StateRead, who: &Address) -> u128 {
    bank::balance(state, who, DENOM).expect("balance")
}

/// Runs `tx` in Deliver mode and asserts it is refused with `code` and `log` and leaves the
/// state exactly as it was.
pub fn assert_refused_without_trace(state: &mut Overlay, tx: &[u8], code: u32, log: &str) {
    let before = dump(state);
    let outcome = deliver(state, tx);
    assert_eq!(
        (outcome.code, outcome.log.as_str()),
        (code, log),
        "codespace {}",
        outcome.codespace
    );
    assert_eq!(outcome.codespace, "sdk");
    assert!(outcome.data.is_empty());
    assert!(outcome.events.is_empty(), "a refused tx emits nothing");
    assert_eq!(dump(state), before, "a refused tx must not change state");
    assert_eq!(state.depth(), 0, "no overlay layer is left open");
}
