//! `dispute`: one leaf of one attestation, decided in the same transaction.
//!
//! The referee checks what the disputer claims the provider committed (the leaf hash and its
//! inclusion proof against the attested output root), that the manifest is the deployment's, and
//! recomputes the leaf. A different hash is proven fraud: the market closes the lease and
//! slashes the provider, and the disputer gets its deposit back. The same hash rejects the
//! dispute: half the deposit to the provider for its trouble, half burned, so disputing honest
//! work always costs.

use cosmwasm_std::{
    Addr, BankMsg, Binary, Coin, Deps, DepsMut, Env, MessageInfo, Response, Uint256,
};
use tessera_api::market::{
    AttestationResponse, DeploymentResponse, OrderResponse, QueryMsg as MarketQueryMsg,
};
use tessera_api::merkle::{self, Hash};
use tessera_api::{CommonError, LeaseId, OrderId};

use crate::error::ContractError;
use crate::job::{check_manifest, job_of};
use crate::market::{attestation, dispute_terms, fraud_proven};
use crate::staging;
use crate::state::MARKET;

/// What a dispute names.
pub struct Claim {
    pub lease: LeaseId,
    pub seq: u64,
    pub leaf: u64,
    pub leaf_hash: String,
    pub proof: Vec<String>,
    pub manifest: Binary,
    pub input: Option<Binary>,
}

pub fn execute_dispute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    claim: Claim,
) -> Result<Response, ContractError> {
    let market = MARKET.load(deps.storage)?;
    let terms = dispute_terms(deps.as_ref(), &market, &env)?;
    let paid = cw_utils::must_pay(&info, &terms.deposit.denom)?;
    if paid != terms.deposit.amount {
        return Err(CommonError::Std(format!(
            "a dispute carries exactly {} as its deposit, got {paid}{}",
            terms.deposit, terms.deposit.denom
        ))
        .into());
    }
    let now = env.block.time.seconds();
    let id = &claim.lease;
    let attestation = attestation(deps.as_ref(), &market, id, claim.seq)?;
    let deadline = attestation.period_end.saturating_add(terms.window_secs);
    if now > deadline {
        return Err(ContractError::DisputeTooLate {
            lease: id.to_string(),
            seq: claim.seq,
            deadline,
            now,
        });
    }
    let committed = committed_leaf(&claim, &attestation)?;

    let deployment: DeploymentResponse = deps.querier.query_wasm_smart(
        &market,
        &MarketQueryMsg::Deployment {
            owner: id.owner.clone(),
            dseq: id.dseq,
        },
    )?;
    let group = group_name(deps.as_ref(), &market, id)?;
    check_manifest(&claim.manifest, &deployment.manifest_hash)?;
    let job = job_of(&claim.manifest, &group)?;
    // An input too large for the tx was staged by the disputer beforehand.
    let staged = match (&claim.input, &job.input) {
        (None, Some(declared)) => staging::take(
            deps.storage,
            &info.sender,
            &declared.sha256.to_ascii_lowercase(),
        )?,
        _ => None,
    };
    let input = claim.input.as_deref().or(staged.as_deref());
    let recomputed = job.leaf_hash(claim.leaf, input)?;

    let response = Response::new()
        .add_attribute("action", "dispute")
        .add_attribute("lease", id.to_string())
        .add_attribute("seq", claim.seq.to_string())
        .add_attribute("leaf", claim.leaf.to_string())
        .add_attribute("committed", merkle::to_hex(&committed))
        .add_attribute("recomputed", merkle::to_hex(&recomputed));
    if recomputed != committed {
        let fraud = fraud_proven(&market, id.clone(), claim.seq, &info.sender, false)?;
        return Ok(response
            .add_attribute("verdict", "fraud")
            .add_message(fraud)
            .add_message(BankMsg::Send {
                to_address: info.sender.to_string(),
                amount: vec![terms.deposit],
            }));
    }
    let to_provider = terms.deposit.amount / Uint256::from(2u8);
    let burned = terms.deposit.amount - to_provider;
    let mut response = response
        .add_attribute("verdict", "rejected")
        .add_attribute("to_provider", to_provider.to_string())
        .add_attribute("burned", burned.to_string());
    for (amount, msg) in [
        (
            to_provider,
            BankMsg::Send {
                to_address: id.provider.clone(),
                amount: vec![Coin::new(to_provider, &terms.deposit.denom)],
            },
        ),
        (
            burned,
            BankMsg::Burn {
                amount: vec![Coin::new(burned, &terms.deposit.denom)],
            },
        ),
    ] {
        if !amount.is_zero() {
            response = response.add_message(msg);
        }
    }
    Ok(response)
}

/// The leaf hash the claim says the provider committed, once its proof checks out against the
/// attested root.
fn committed_leaf(claim: &Claim, attestation: &AttestationResponse) -> Result<Hash, ContractError> {
    let leaf_count = attestation
        .leaf_count
        .ok_or_else(|| ContractError::LeafCountUnknown {
            lease: claim.lease.to_string(),
            seq: claim.seq,
        })?;
    if claim.leaf >= leaf_count {
        return Err(ContractError::LeafOutOfRange {
            leaf: claim.leaf,
            leaf_count,
        });
    }
    let hash = |field: String, value: &str| {
        merkle::from_hex(value).ok_or_else(|| ContractError::BadHash {
            field,
            value: value.to_string(),
        })
    };
    let leaf_hash = hash("leaf_hash".into(), &claim.leaf_hash)?;
    let root = hash("output_root".into(), &attestation.output_root)?;
    let proof = claim
        .proof
        .iter()
        .enumerate()
        .map(|(i, p)| hash(format!("proof[{i}]"), p))
        .collect::<Result<Vec<Hash>, _>>()?;
    if !merkle::verify(&root, claim.leaf, leaf_count, &leaf_hash, &proof) {
        return Err(ContractError::ProofInvalid {
            leaf: claim.leaf,
            leaf_hash: claim.leaf_hash.clone(),
            root: attestation.output_root.clone(),
        });
    }
    Ok(leaf_hash)
}

/// The group the lease's order was made for (`service.placement`).
fn group_name(deps: Deps, market: &Addr, id: &LeaseId) -> Result<String, ContractError> {
    let order: OrderResponse = deps.querier.query_wasm_smart(
        market,
        &MarketQueryMsg::Order {
            id: OrderId {
                owner: id.owner.clone(),
                dseq: id.dseq,
                gseq: id.gseq,
                oseq: id.oseq,
            },
        },
    )?;
    Ok(order.spec.name)
}
