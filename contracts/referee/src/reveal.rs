//! Revealing samples: anyone may fix an attestation's sample here (`draw_sample`) while the
//! chain still keeps the block hashes it comes from; from then on the lease's provider has the
//! market's `dispute.reveal_window_secs` to reveal the sampled leaves' hashes with their proofs
//! (`reveal_sample`). A sample left unrevealed is fraud (`slash_unrevealed`): the market closes
//! the lease and slashes the provider as for a wrong leaf. The tenant's tools recompute the
//! revealed leaves and dispute a wrong one.
//!
//! When the deployment committed a tenant's secret, drawing before the secret is revealed keeps
//! the block hashes here (the chain forgets them after 256 blocks); the sample is drawn from
//! them and the secret once it is revealed, and the reveal window starts then.

use cosmwasm_std::{Addr, Deps, DepsMut, Env, MessageInfo, Response, Storage};
use cw_storage_plus::Map;
use serde::{Deserialize, Serialize};
use tessera_api::market::{
    AttestationResponse, AttestationSampleResponse, DisputeParams, QueryMsg as MarketQueryMsg,
};
use tessera_api::merkle;
use tessera_api::referee::{RevealedLeaf, SampleResponse};
use tessera_api::sampling::{self, attestation_id, BlockHash, BLOCKS_AFTER_ATTESTATION};
use tessera_api::{CommonError, LeaseId};

use crate::error::ContractError;
use crate::market::{attestation, dispute_terms, fraud_proven, unfunded_call};
use crate::secret::revealed;
use crate::state::MARKET;

/// Samples fixed here, by (lease id, seq).
const DRAWN: Map<(&str, u64), Drawn> = Map::new("drawn");

/// Samples waiting for their deployment's secret, by (lease id, seq): what the sample is drawn
/// from besides the secret, kept while the chain still had the block hashes.
const AWAITING: Map<(&str, u64), Awaiting> = Map::new("awaiting");

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct Awaiting {
    block_hashes: Vec<String>,
    leaf_count: u64,
    sample_size: u64,
}

impl Awaiting {
    fn of(sample: AttestationSampleResponse) -> Self {
        Self {
            block_hashes: sample.block_hashes,
            leaf_count: sample.leaf_count,
            sample_size: sample.sample_size,
        }
    }

    /// The seed (hex) and the sample, with the tenant's secret.
    fn sample(
        &self,
        id: &LeaseId,
        seq: u64,
        secret: &merkle::Hash,
    ) -> Result<(String, Vec<u64>), ContractError> {
        let mut hashes: [BlockHash; BLOCKS_AFTER_ATTESTATION as usize] = Default::default();
        if self.block_hashes.len() != hashes.len() {
            return Err(ContractError::BadHash {
                field: "block_hashes".into(),
                value: self.block_hashes.join(","),
            });
        }
        for (hash, hex) in hashes.iter_mut().zip(&self.block_hashes) {
            *hash = merkle::from_hex(hex).ok_or_else(|| ContractError::BadHash {
                field: "block_hashes".into(),
                value: hex.clone(),
            })?;
        }
        let seed = sampling::seed(&attestation_id(id, seq), &hashes, Some(secret));
        Ok((
            merkle::to_hex(&seed),
            sampling::sample(&seed, self.leaf_count, self.sample_size),
        ))
    }
}

/// Where drawing an attestation's sample stands.
enum Draw {
    Fixed(Drawn),
    /// The deployment's secret is not revealed yet; the block hashes are kept.
    AwaitingSecret,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct Drawn {
    seed: String,
    leaf_count: u64,
    leaves: Vec<u64>,
    drawn_at: u64,
    revealed: Option<Vec<String>>,
}

/// The sample as the market draws it from the chain's block hashes (from h + 3, for 256 blocks).
fn market_sample(
    deps: Deps,
    market: &Addr,
    id: &LeaseId,
    seq: u64,
) -> Result<AttestationSampleResponse, ContractError> {
    Ok(deps.querier.query_wasm_smart(
        market,
        &MarketQueryMsg::AttestationSample {
            lease: id.clone(),
            seq,
        },
    )?)
}

/// An attestation's sample before it is fixed here.
enum Undrawn {
    /// Its leaves: the market's (no secret), or drawn from the block hashes and the revealed
    /// secret (`with_secret`).
    Ready {
        seed: String,
        leaf_count: u64,
        leaves: Vec<u64>,
        with_secret: bool,
    },
    /// The deployment's secret is not revealed yet: what the sample will be drawn from.
    AwaitingSecret(Awaiting),
}

/// Where an attestation's sample not yet fixed here stands: from the block hashes kept here, or
/// from the market while the chain still has them.
fn undrawn(deps: Deps, market: &Addr, id: &LeaseId, seq: u64) -> Result<Undrawn, ContractError> {
    let awaiting = match AWAITING.may_load(deps.storage, (&id.to_string(), seq))? {
        Some(awaiting) => awaiting,
        None => {
            let sample = market_sample(deps, market, id, seq)?;
            if sample.secret_hash.is_none() {
                return Ok(Undrawn::Ready {
                    seed: sample.seed,
                    leaf_count: sample.leaf_count,
                    leaves: sample.leaves,
                    with_secret: false,
                });
            }
            Awaiting::of(sample)
        }
    };
    Ok(match revealed(deps.storage, &id.owner, id.dseq)? {
        Some(secret) => {
            let (seed, leaves) = awaiting.sample(id, seq, &secret)?;
            Undrawn::Ready {
                seed,
                leaf_count: awaiting.leaf_count,
                leaves,
                with_secret: true,
            }
        }
        None => Undrawn::AwaitingSecret(awaiting),
    })
}

/// Fixes the sample here, once; drawing again returns what was drawn. With a tenant's secret
/// committed and not yet revealed, keeps the block hashes instead.
fn draw(
    deps: &mut DepsMut,
    env: &Env,
    market: &Addr,
    terms: &DisputeParams,
    attested: &AttestationResponse,
    id: &LeaseId,
) -> Result<Draw, ContractError> {
    let seq = attested.seq;
    if let Some(drawn) = load_drawn(deps.storage, id, seq)? {
        return Ok(Draw::Fixed(drawn));
    }
    let lease_key = id.to_string();
    let key = (lease_key.as_str(), seq);
    let now = env.block.time.seconds();
    let (seed, leaf_count, leaves) = match undrawn(deps.as_ref(), market, id, seq)? {
        Undrawn::AwaitingSecret(awaiting) => {
            AWAITING.save(deps.storage, key, &awaiting)?;
            return Ok(Draw::AwaitingSecret);
        }
        Undrawn::Ready {
            seed,
            leaf_count,
            leaves,
            with_secret,
        } => {
            if with_secret {
                // The provider's whole reveal window must fit inside the dispute window, or an
                // unrevealed sample could be slashed after its payment was released.
                let reveal_by = deadline(terms, attested, now);
                let closes = attested.period_end.saturating_add(terms.window_secs);
                if reveal_by > closes {
                    return Err(ContractError::SecretTooLate {
                        lease: id.to_string(),
                        seq,
                        reveal_by,
                        closes,
                    });
                }
                AWAITING.remove(deps.storage, key);
            }
            (seed, leaf_count, leaves)
        }
    };
    let drawn = Drawn {
        seed,
        leaf_count,
        leaves,
        drawn_at: now,
        revealed: None,
    };
    DRAWN.save(deps.storage, key, &drawn)?;
    Ok(Draw::Fixed(drawn))
}

fn deadline(terms: &DisputeParams, attestation: &AttestationResponse, drawn_at: u64) -> u64 {
    drawn_at
        .max(attestation.period_end)
        .saturating_add(terms.reveal_window_secs)
}

pub fn execute_draw_sample(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: LeaseId,
    seq: u64,
) -> Result<Response, ContractError> {
    let (market, terms) = unfunded_call(deps.as_ref(), &env, &info)?;
    let attested = attestation(deps.as_ref(), &market, &id, seq)?;
    let response = Response::new()
        .add_attribute("action", "draw_sample")
        .add_attribute("lease", id.to_string())
        .add_attribute("seq", seq.to_string());
    Ok(
        match draw(&mut deps, &env, &market, &terms, &attested, &id)? {
            Draw::Fixed(drawn) => response.add_attribute("seed", &drawn.seed).add_attribute(
                "reveal_deadline",
                deadline(&terms, &attested, drawn.drawn_at).to_string(),
            ),
            Draw::AwaitingSecret => response.add_attribute("awaiting", "tenant_secret"),
        },
    )
}

pub fn execute_reveal_sample(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: LeaseId,
    seq: u64,
    leaves: Vec<RevealedLeaf>,
) -> Result<Response, ContractError> {
    let (market, terms) = unfunded_call(deps.as_ref(), &env, &info)?;
    if info.sender.as_str() != id.provider {
        return Err(CommonError::unauthorized(
            "revealing an attestation's sample",
            "the lease's provider",
        )
        .into());
    }
    let attested = attestation(deps.as_ref(), &market, &id, seq)?;
    let Draw::Fixed(mut drawn) = draw(&mut deps, &env, &market, &terms, &attested, &id)? else {
        return Err(ContractError::SampleAwaitsSecret {
            lease: id.to_string(),
            seq,
        });
    };
    if drawn.revealed.is_some() {
        return Err(ContractError::SampleAlreadyRevealed {
            lease: id.to_string(),
            seq,
        });
    }
    let root = output_root(&attested)?;
    check_reveal(&drawn.leaves, &leaves, &root, drawn.leaf_count)?;
    drawn.revealed = Some(
        leaves
            .into_iter()
            .map(|l| l.hash.to_ascii_lowercase())
            .collect(),
    );
    DRAWN.save(deps.storage, (&id.to_string(), seq), &drawn)?;
    Ok(Response::new()
        .add_attribute("action", "reveal_sample")
        .add_attribute("lease", id.to_string())
        .add_attribute("seq", seq.to_string())
        .add_attribute("revealed", drawn.leaves.len().to_string()))
}

/// Every sampled leaf, in order, each proved under the attested root.
fn check_reveal(
    sample: &[u64],
    leaves: &[RevealedLeaf],
    root: &merkle::Hash,
    leaf_count: u64,
) -> Result<(), ContractError> {
    if leaves.len() != sample.len() {
        return Err(ContractError::RevealInvalid {
            position: leaves.len().min(sample.len()),
            reason: format!(
                "the sample has {} leaves, {} were revealed",
                sample.len(),
                leaves.len()
            ),
        });
    }
    for (position, (&index, leaf)) in sample.iter().zip(leaves).enumerate() {
        proves(leaf, index, root, leaf_count)
            .map_err(|reason| ContractError::RevealInvalid { position, reason })?;
    }
    Ok(())
}

/// Whether `leaf` is leaf `index` of the `leaf_count`-leaf tree under `root`; why not, if not.
pub fn proves(
    leaf: &RevealedLeaf,
    index: u64,
    root: &merkle::Hash,
    leaf_count: u64,
) -> Result<(), String> {
    if leaf.index != index {
        return Err(format!(
            "is leaf {}, the one asked for is leaf {index}",
            leaf.index
        ));
    }
    let hash = merkle::from_hex(&leaf.hash)
        .ok_or_else(|| format!("hash {:?} is not 32 hex bytes", leaf.hash))?;
    let proof = leaf
        .proof
        .iter()
        .map(|p| merkle::from_hex(p).ok_or_else(|| format!("proof hash {p:?} is not 32 hex bytes")))
        .collect::<Result<Vec<_>, _>>()?;
    if !merkle::verify(root, index, leaf_count, &hash, &proof) {
        return Err(format!(
            "leaf {index} does not prove against the attested output root"
        ));
    }
    Ok(())
}

/// The attested output root, parsed.
pub fn output_root(attested: &AttestationResponse) -> Result<merkle::Hash, ContractError> {
    merkle::from_hex(&attested.output_root).ok_or_else(|| ContractError::BadHash {
        field: "output_root".into(),
        value: attested.output_root.clone(),
    })
}

pub fn execute_slash_unrevealed(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: LeaseId,
    seq: u64,
) -> Result<Response, ContractError> {
    let (market, terms) = unfunded_call(deps.as_ref(), &env, &info)?;
    let attested = attestation(deps.as_ref(), &market, &id, seq)?;
    let drawn =
        load_drawn(deps.storage, &id, seq)?.ok_or_else(|| ContractError::SampleNotDrawn {
            lease: id.to_string(),
            seq,
        })?;
    if drawn.revealed.is_some() {
        return Err(ContractError::SampleAlreadyRevealed {
            lease: id.to_string(),
            seq,
        });
    }
    let deadline = deadline(&terms, &attested, drawn.drawn_at);
    let now = env.block.time.seconds();
    if now <= deadline {
        return Err(ContractError::RevealWindowOpen { deadline, now });
    }
    let fraud = fraud_proven(&market, id.clone(), seq, &info.sender, true)?;
    Ok(Response::new()
        .add_attribute("action", "slash_unrevealed")
        .add_attribute("lease", id.to_string())
        .add_attribute("seq", seq.to_string())
        .add_message(fraud))
}

fn load_drawn(
    storage: &dyn Storage,
    id: &LeaseId,
    seq: u64,
) -> Result<Option<Drawn>, ContractError> {
    Ok(DRAWN.may_load(storage, (&id.to_string(), seq))?)
}

pub fn query_sample(
    deps: Deps,
    env: Env,
    id: LeaseId,
    seq: u64,
) -> Result<SampleResponse, ContractError> {
    let market = MARKET.load(deps.storage)?;
    if let Some(drawn) = load_drawn(deps.storage, &id, seq)? {
        let terms = dispute_terms(deps, &market, &env)?;
        let attested = attestation(deps, &market, &id, seq)?;
        return Ok(SampleResponse {
            reveal_deadline: Some(deadline(&terms, &attested, drawn.drawn_at)),
            lease: id,
            seq,
            leaf_count: drawn.leaf_count,
            leaves: drawn.leaves,
            seed: drawn.seed,
            drawn_at: Some(drawn.drawn_at),
            revealed: drawn.revealed,
            awaiting_secret: false,
        });
    }
    let (seed, leaf_count, leaves, awaiting_secret) = match undrawn(deps, &market, &id, seq)? {
        // What drawing now would fix.
        Undrawn::Ready {
            seed,
            leaf_count,
            leaves,
            ..
        } => (seed, leaf_count, leaves, false),
        Undrawn::AwaitingSecret(awaiting) => (String::new(), awaiting.leaf_count, Vec::new(), true),
    };
    Ok(SampleResponse {
        lease: id,
        seq,
        leaf_count,
        leaves,
        seed,
        drawn_at: None,
        reveal_deadline: None,
        revealed: None,
        awaiting_secret,
    })
}
