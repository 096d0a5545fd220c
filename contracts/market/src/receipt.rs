//! Manifest receipts: proof on chain that a lease's provider received the manifest, so that
//! it cannot later release the lease without penalty as if the manifest never arrived. The
//! provider records it itself, or the tenant posts the receipt the provider signed when it
//! accepted the manifest (the provider cannot deny its own signature).

use cosmwasm_std::{Binary, DepsMut, Env, MessageInfo, Response};
use ripemd::Ripemd160;
use sha2::{Digest, Sha256};
use tessera_api::market::{manifest_receipt_digest, LeaseState};
use tessera_api::LeaseId;

use crate::deployment_store::load_deployment;
use crate::error::ContractError;
use crate::lease::load_lease;
use crate::state::save_lease;

pub fn execute_record_manifest_receipt(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: LeaseId,
    provider_pubkey: Binary,
    signature: Binary,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let now = env.block.time.seconds();
    let mut lease = load_lease(deps.storage, deps.api, &id)?;
    if lease.state == LeaseState::Closed {
        return Err(ContractError::LeaseClosed { id: id.to_string() });
    }
    if let Some(at) = lease.manifest_received_at {
        return Err(ContractError::ManifestReceiptRecorded {
            id: id.to_string(),
            at,
        });
    }
    let by = if info.sender == lease.provider {
        // The provider's own transaction is its acknowledgement.
        "provider"
    } else {
        let deployment = load_deployment(deps.storage, &lease.owner, lease.dseq)?;
        let digest = manifest_receipt_digest(&env.block.chain_id, &id, &deployment.manifest_hash);
        check_receipt(
            &deps,
            &id,
            &lease.provider,
            &provider_pubkey,
            &signature,
            &digest,
        )?;
        "signed_receipt"
    };
    lease.manifest_received_at = Some(now);
    save_lease(deps.storage, &lease, lease.state)?;
    Ok(Response::new()
        .add_attribute("action", "record_manifest_receipt")
        .add_attribute("lease", id.to_string())
        .add_attribute("by", by))
}

/// The signature is the provider's: its key hashes to the provider's address and signs the
/// receipt digest of this lease and manifest.
fn check_receipt(
    deps: &DepsMut,
    id: &LeaseId,
    provider: &cosmwasm_std::Addr,
    pubkey: &[u8],
    signature: &[u8],
    digest: &[u8; 32],
) -> Result<(), ContractError> {
    let refuse = |reason: String| ContractError::ManifestReceiptInvalid {
        id: id.to_string(),
        reason,
    };
    if pubkey.len() != 33 {
        return Err(refuse(format!(
            "provider_pubkey must be a 33-byte compressed secp256k1 key, got {} bytes",
            pubkey.len()
        )));
    }
    if signature.len() != 64 {
        return Err(refuse(format!(
            "signature must be 64 bytes (r ‖ s), got {}",
            signature.len()
        )));
    }
    let key_address = Ripemd160::digest(Sha256::digest(pubkey));
    let provider_address = deps.api.addr_canonicalize(provider.as_str())?;
    if key_address[..] != provider_address.as_slice()[..] {
        return Err(refuse(format!(
            "the key is not the key of provider {provider}"
        )));
    }
    let valid = deps
        .api
        .secp256k1_verify(digest, signature, pubkey)
        .map_err(|e| refuse(format!("signature check failed: {e}")))?;
    if !valid {
        return Err(refuse(
            "the signature is not the provider's over this lease's manifest".into(),
        ));
    }
    Ok(())
}
