//! Accounts and signatures.
//!
//! State keys (all under `auth/`):
//! - `auth/acc/{address bytes}` → `cosmos.auth.v1beta1.BaseAccount` protobuf bytes, so the
//!   gRPC `Account` query can wrap them in an `Any` as they are;
//! - `auth/next_account_number` → the next account number, 8 bytes big-endian (absent = 0).
//!
//! Accounts are created on first receipt of funds (as the SDK's bank does) and get their
//! public key from their first signed transaction.

use cosmos_sdk_proto::cosmos::auth::v1beta1::BaseAccount as ProtoBaseAccount;
use cosmos_sdk_proto::cosmos::tx::v1beta1::SignDoc;
use cosmos_sdk_proto::prost::Message as _;
use cosmos_sdk_proto::Any;
use tessera_store::{StateRead, StateWrite};

use crate::address::Address;
use crate::crypto::PublicKey;
use crate::error::TxError;

pub const BASE_ACCOUNT_TYPE_URL: &str = "/cosmos.auth.v1beta1.BaseAccount";

const ACCOUNT_PREFIX: &[u8] = b"auth/acc/";
const NEXT_ACCOUNT_NUMBER_KEY: &[u8] = b"auth/next_account_number";

pub fn account_key(address: &Address) -> Vec<u8> {
    [ACCOUNT_PREFIX, address.as_bytes()].concat()
}

/// An account: who it is, its key once known, its number (bound into every signature, so a
/// signature cannot be replayed on an account recreated at the same address) and its sequence
/// (the count of its transactions, so a signature cannot be replayed at all).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseAccount {
    pub address: Address,
    pub pubkey: Option<PublicKey>,
    pub account_number: u64,
    pub sequence: u64,
}

impl BaseAccount {
    pub fn to_proto(&self) -> ProtoBaseAccount {
        ProtoBaseAccount {
            address: self.address.to_string(),
            pub_key: self.pubkey.as_ref().map(PublicKey::to_any),
            account_number: self.account_number,
            sequence: self.sequence,
        }
    }

    /// The stored value; also the `value` of the `Any` the gRPC `Account` query returns.
    pub fn encode(&self) -> Vec<u8> {
        self.to_proto().encode_to_vec()
    }

    pub fn to_any(&self) -> Any {
        Any {
            type_url: BASE_ACCOUNT_TYPE_URL.to_string(),
            value: self.encode(),
        }
    }

    fn decode(bytes: &[u8]) -> Result<Self, TxError> {
        let corrupt = |what: String| TxError::internal(format!("corrupt account record: {what}"));
        let proto = ProtoBaseAccount::decode(bytes).map_err(|e| corrupt(e.to_string()))?;
        let address = Address::from_bech32(&proto.address).map_err(corrupt)?;
        let pubkey = proto
            .pub_key
            .as_ref()
            .map(PublicKey::try_from)
            .transpose()
            .map_err(|e| corrupt(e.log))?;
        Ok(Self {
            address,
            pubkey,
            account_number: proto.account_number,
            sequence: proto.sequence,
        })
    }
}

pub fn get_account(
    state: &dyn StateRead,
    address: &Address,
) -> Result<Option<BaseAccount>, TxError> {
    state
        .get(&account_key(address))?
        .map(|bytes| BaseAccount::decode(&bytes))
        .transpose()
}

/// The raw `BaseAccount` bytes of an account, for queries that return them untouched.
pub fn get_account_bytes(
    state: &dyn StateRead,
    address: &Address,
) -> Result<Option<Vec<u8>>, TxError> {
    Ok(state.get(&account_key(address))?)
}

pub fn has_account(state: &dyn StateRead, address: &Address) -> Result<bool, TxError> {
    Ok(state.get(&account_key(address))?.is_some())
}

pub fn set_account(state: &mut dyn StateWrite, account: &BaseAccount) {
    state.set(&account_key(&account.address), &account.encode());
}

/// Creates an account with the next account number, or returns the existing one.
pub fn get_or_create_account(
    state: &mut dyn StateWrite,
    address: &Address,
) -> Result<BaseAccount, TxError> {
    if let Some(account) = get_account(state, address)? {
        return Ok(account);
    }
    let account = BaseAccount {
        address: address.clone(),
        pubkey: None,
        account_number: next_account_number(state)?,
        sequence: 0,
    };
    set_account(state, &account);
    Ok(account)
}

/// Takes the next account number from the global counter.
fn next_account_number(state: &mut dyn StateWrite) -> Result<u64, TxError> {
    let current = match state.get(NEXT_ACCOUNT_NUMBER_KEY)? {
        None => 0,
        Some(bytes) => {
            let array: [u8; 8] = bytes
                .as_slice()
                .try_into()
                .map_err(|_| TxError::internal("corrupt account number counter: not 8 bytes"))?;
            u64::from_be_bytes(array)
        }
    };
    let next = current
        .checked_add(1)
        .ok_or_else(|| TxError::internal("account numbers exhausted"))?;
    state.set(NEXT_ACCOUNT_NUMBER_KEY, &next.to_be_bytes());
    Ok(current)
}

/// Accounts in address-byte order, at most `limit`, starting at `start` (inclusive): what the
/// gRPC `Accounts` query pages through. Returns the accounts and the key to resume from.
pub fn accounts(
    state: &dyn StateRead,
    start: Option<&Address>,
    limit: usize,
) -> Result<(Vec<BaseAccount>, Option<Address>), TxError> {
    let from = match start {
        Some(a) => account_key(a),
        None => ACCOUNT_PREFIX.to_vec(),
    };
    let end = tessera_store::state::prefix_end(ACCOUNT_PREFIX);
    let upper = match &end {
        Some(e) => std::ops::Bound::Excluded(e.as_slice()),
        None => std::ops::Bound::Unbounded,
    };
    let mut out = Vec::new();
    for item in state.range(std::ops::Bound::Included(from.as_slice()), upper, false)? {
        let (key, value) = item?;
        let account = BaseAccount::decode(&value)?;
        if out.len() == limit {
            let next =
                Address::from_bytes(&key[ACCOUNT_PREFIX.len()..]).map_err(TxError::internal)?;
            return Ok((out, Some(next)));
        }
        out.push(account);
    }
    Ok((out, None))
}

/// The bytes a SIGN_MODE_DIRECT signer signs: the `SignDoc` over the tx's body and auth-info
/// bytes as received, the chain-id and the signer's account number.
pub fn sign_doc_bytes(
    body_bytes: &[u8],
    auth_info_bytes: &[u8],
    chain_id: &str,
    account_number: u64,
) -> Vec<u8> {
    SignDoc {
        body_bytes: body_bytes.to_vec(),
        auth_info_bytes: auth_info_bytes.to_vec(),
        chain_id: chain_id.to_string(),
        account_number,
    }
    .encode_to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_store::state::MemState;

    #[test]
    fn accounts_are_numbered_in_creation_order_and_stored_as_base_account_protos() {
        let mut state = MemState::default();
        let a = Address::from_bytes(&[1; 20]).unwrap();
        let b = Address::from_bytes(&[2; 20]).unwrap();
        assert_eq!(
            get_or_create_account(&mut state, &a)
                .unwrap()
                .account_number,
            0
        );
        assert_eq!(
            get_or_create_account(&mut state, &b)
                .unwrap()
                .account_number,
            1
        );
        assert_eq!(
            get_or_create_account(&mut state, &a)
                .unwrap()
                .account_number,
            0
        );
        let raw = get_account_bytes(&state, &b).unwrap().unwrap();
        let proto = ProtoBaseAccount::decode(raw.as_slice()).unwrap();
        assert_eq!(proto.address, b.to_string());
        assert_eq!(proto.account_number, 1);

        let (page, next) = accounts(&state, None, 1).unwrap();
        assert_eq!(page[0].address, a);
        assert_eq!(next, Some(b.clone()));
        let (page, next) = accounts(&state, Some(&b), 10).unwrap();
        assert_eq!(page.len(), 1);
        assert_eq!(next, None);
    }
}
