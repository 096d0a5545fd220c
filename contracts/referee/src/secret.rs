//! The tenant's sampling secret: a deployment may commit to `sha256(secret)` when it is created
//! (the market keeps the hash); the secret itself is revealed here, to anyone, whenever the
//! tenant likes. Until then its leases' samples cannot be drawn (the block hashes are kept
//! meanwhile), so not even a provider that produces the blocks after its attestation can know
//! which leaves it will have to reveal.

use cosmwasm_std::{DepsMut, Env, MessageInfo, Response, Storage};
use cw_storage_plus::Map;
use tessera_api::market::{DeploymentResponse, QueryMsg as MarketQueryMsg};
use tessera_api::merkle::{self, Hash};
use tessera_api::DeploymentId;

use crate::error::ContractError;
use crate::job::sha256_hex;
use crate::market::unfunded_call;

/// Revealed secrets (hex), by (owner, dseq).
const SECRETS: Map<(&str, u64), String> = Map::new("secrets");

/// Deployment `owner`/`dseq`'s secret, once revealed.
pub fn revealed(
    storage: &dyn Storage,
    owner: &str,
    dseq: u64,
) -> Result<Option<Hash>, ContractError> {
    Ok(SECRETS
        .may_load(storage, (owner, dseq))?
        .and_then(|hex| merkle::from_hex(&hex)))
}

pub fn execute_reveal_secret(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    owner: String,
    dseq: u64,
    secret: String,
) -> Result<Response, ContractError> {
    let (market, _) = unfunded_call(deps.as_ref(), &env, &info)?;
    let id = DeploymentId::new(owner.as_str(), dseq);
    let deployment: DeploymentResponse = deps.querier.query_wasm_smart(
        &market,
        &MarketQueryMsg::Deployment {
            owner: owner.clone(),
            dseq,
        },
    )?;
    let committed = deployment
        .secret_hash
        .ok_or_else(|| ContractError::NoSecretCommitted {
            deployment: id.to_string(),
        })?;
    if SECRETS.has(deps.storage, (&owner, dseq)) {
        return Err(ContractError::SecretAlreadyRevealed {
            deployment: id.to_string(),
        });
    }
    let bytes = merkle::from_hex(&secret).ok_or_else(|| ContractError::BadHash {
        field: "secret".into(),
        value: secret.clone(),
    })?;
    let got = sha256_hex(&bytes);
    if got != committed {
        return Err(ContractError::SecretMismatch {
            deployment: id.to_string(),
            committed,
            got,
        });
    }
    SECRETS.save(deps.storage, (&owner, dseq), &merkle::to_hex(&bytes))?;
    Ok(Response::new()
        .add_attribute("action", "reveal_secret")
        .add_attribute("deployment", id.to_string()))
}
