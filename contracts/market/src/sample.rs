//! The leaves an attestation must reveal, as a query: drawn by `tessera_api::sampling` from the
//! hashes of the three blocks after the one that committed the attestation, which the chain keeps
//! for 256 blocks. Everyone asking gets the same answer; nobody could know it when the provider
//! attested. When the tenant committed a secret, the answer carries the block hashes and `k`
//! without the sample: the referee draws it once the secret is revealed.

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
    // The tenant may have asked for more leaves than the market samples; never fewer.
    let market_k = PARAMS.load(deps.storage)?.dispute.sample_size;
    let deployment = load_deployment(deps.storage, &lease.owner, id.dseq)?;
    let k = market_k.max(deployment.sample_size.unwrap_or(0));
    // With a tenant's secret committed, the sample waits for it: the referee draws it.
    let (seed, leaves) = match deployment.secret_hash {
        Some(_) => (String::new(), Vec::new()),
        None => {
            let seed = sampling::seed(&attestation_id(&id, seq), &hashes, None);
            (
                merkle::to_hex(&seed),
                sampling::sample(&seed, leaf_count, k),
            )
        }
    };
    Ok(AttestationSampleResponse {
        leaves,
        lease: id,
        seq,
        block_heights: heights.to_vec(),
        block_hashes: hashes.iter().map(merkle::to_hex).collect(),
        seed,
        leaf_count,
        sample_size: k,
        secret_hash: deployment.secret_hash,
    })
}
