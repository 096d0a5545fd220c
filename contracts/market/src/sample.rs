//! The leaves an attestation must reveal, as a query: drawn by `tessera_api::sampling` from the
//! hashes of the three blocks after the one that committed the attestation, which the chain keeps
//! for 256 blocks. Everyone asking gets the same answer; nobody could know it when the provider
//! attested. (Revealing, disputes and the tenant's secret come with the rest of verification.)

use cosmwasm_std::{Deps, Env};
use tessera_api::market::AttestationSampleResponse;
use tessera_api::merkle;
use tessera_api::sampling::{
    self, attestation_id, query_block_hash, BlockHash, BLOCKS_AFTER_ATTESTATION,
};
use tessera_api::LeaseId;

use crate::attestation::load_attestation;
use crate::deployment_store::load_deployment;
use crate::error::ContractError;
use crate::lease::load_lease;
use crate::state::PARAMS;

pub fn attestation_sample(
    deps: Deps,
    env: Env,
    id: LeaseId,
    seq: u64,
) -> Result<AttestationSampleResponse, ContractError> {
    let lease = load_lease(deps.storage, deps.api, &id)?;
    let attestation = load_attestation(deps.storage, &lease, &id, seq)?;
    let leaf_count =
        attestation
            .leaf_count
            .ok_or_else(|| ContractError::AttestationLeafCountUnknown {
                lease: id.to_string(),
                seq,
            })?;
    let committed = attestation.submitted_at_height;
    let ready_at = committed + BLOCKS_AFTER_ATTESTATION;
    if env.block.height < ready_at {
        return Err(ContractError::SampleNotYet {
            ready_at,
            height: env.block.height,
        });
    }
    let heights = [committed + 1, committed + 2, committed + 3];
    let mut hashes: [BlockHash; 3] = [[0; 32]; 3];
    for (hash, height) in hashes.iter_mut().zip(heights) {
        *hash = query_block_hash(&deps.querier, height).map_err(|e| {
            ContractError::SampleUnavailable {
                reason: e.to_string(),
            }
        })?;
    }
    let seed = sampling::seed(&attestation_id(&id, seq), &hashes, None);
    // The tenant may have asked for more leaves than the market samples; never fewer.
    let market_k = PARAMS.load(deps.storage)?.dispute.sample_size;
    let deployment = load_deployment(deps.storage, &lease.owner, id.dseq)?;
    let k = market_k.max(deployment.sample_size.unwrap_or(0));
    Ok(AttestationSampleResponse {
        leaves: sampling::sample(&seed, leaf_count, k),
        lease: id,
        seq,
        block_heights: heights.to_vec(),
        seed: merkle::to_hex(&seed),
        leaf_count,
    })
}
