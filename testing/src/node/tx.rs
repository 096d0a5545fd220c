//! Txs as the SDK's clients build them, signed through cosmrs.

use cosmrs::proto::cosmos::bank::v1beta1::MsgSend as ProtoMsgSend;
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmos::tx::v1beta1::TxRaw;
use cosmrs::proto::prost::Message as _;
use cosmrs::tx::{self, Fee, SignDoc, SignerInfo};
use cosmrs::Any;

use super::wallet::Wallet;
use crate::amounts::{CHAIN_ID, DENOM};

/// Gas and fee of a bank tx (a send fits in a tenth of it).
pub const SEND_GAS: u64 = 200_000;
pub const SEND_FEE: u128 = 5_000;

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
            fee: SEND_FEE,
            gas: SEND_GAS,
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
