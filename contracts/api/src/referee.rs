//! The referee: decides a dispute over one leaf of an attestation by recomputing it with the
//! kernel references compiled into the contract, in the dispute's own transaction. A mismatch is
//! proven fraud (the market slashes the provider); a match rejects the dispute and costs the
//! disputer its deposit, half to the provider and half burned. docs/verification.md.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::Binary;

use crate::ids::LeaseId;

#[cw_serde]
pub struct InstantiateMsg {
    /// The market whose attestations this referee decides; it must name this contract as its
    /// `dispute.referee`.
    pub market: String,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Claims that leaf `leaf` of attestation `seq` of `lease` is wrong. Attach the market's
    /// `dispute.deposit`.
    Dispute {
        lease: LeaseId,
        seq: u64,
        leaf: u64,
        /// The leaf hash the provider committed (hex), as it revealed or served it.
        leaf_hash: String,
        /// Its inclusion proof against the attestation's output root (hex, leaf first).
        proof: Vec<String>,
        /// The deployment's manifest as its canonical JSON: its sha256 must be the deployment's
        /// `manifest_hash`.
        manifest: Binary,
        /// The job's input file, for kernels that read one (`mlp-inference`'s weights): its
        /// sha256 must be the one the manifest declares. Left out, the sender's staged copy
        /// (`stage_input`) is read, and deleted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        input: Option<Binary>,
    },
    /// Anyone, from three blocks after attestation `seq` and while the chain still keeps those
    /// blocks' hashes (256 blocks): fixes its sample here. From then on the lease's provider must
    /// reveal the sampled leaves within the market's `dispute.reveal_window_secs`.
    DrawSample { lease: LeaseId, seq: u64 },
    /// The lease's provider: the hashes of the sampled leaves of attestation `seq`, each with its
    /// inclusion proof against the attested output root, in the sample's order. Draws the sample
    /// first when nobody has.
    RevealSample {
        lease: LeaseId,
        seq: u64,
        leaves: Vec<RevealedLeaf>,
    },
    /// Anyone, once a drawn sample's reveal window (or, with `leaf`, a demanded leaf's) has
    /// closed unrevealed: the market treats it as proven fraud, the sender as the disputer.
    SlashUnrevealed {
        lease: LeaseId,
        seq: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        leaf: Option<u64>,
    },
    /// The lease's tenant: demands leaf `leaf` of attestation `seq`, sampled or not. Its provider
    /// must reveal it (`reveal_leaf`) within `dispute.reveal_window_secs`, and the demand must
    /// leave that whole window inside the attestation's dispute window. At most
    /// `dispute.sample_size` demands per attestation.
    DemandLeaf { lease: LeaseId, seq: u64, leaf: u64 },
    /// The lease's provider: a demanded leaf's hash with its inclusion proof.
    RevealLeaf {
        lease: LeaseId,
        seq: u64,
        leaf: RevealedLeaf,
    },
    /// Anyone who knows it (the tenant): the secret (hex) whose sha256 deployment
    /// `owner`/`dseq` committed to. Its leases' samples can be drawn from then on; each
    /// sample's reveal window must still fit inside its attestation's dispute window.
    RevealSecret {
        owner: String,
        dseq: u64,
        secret: String,
    },
    /// Anyone: appends `chunk` to the sender's staged copy of the input file whose sha256 is
    /// `sha256`, for a dispute whose input does not fit one tx (`mlp-inference` weights past
    /// about 750 KB). The sender's next dispute of a job reading that file, sent without
    /// `input`, reads the staged copy and deletes it. At most [`MAX_STAGED_INPUT_BYTES`].
    StageInput { sha256: String, chunk: Binary },
    /// The sender deletes its staged copy of `sha256`.
    UnstageInput { sha256: String },
}

/// The largest input file a dispute can read from staging: the referee holds it in memory,
/// beside the job's working set, inside the VM's 32 MiB per instance (the kernels'
/// `mlp::MAX_WEIGHTS_BYTES`, the one kernel reading a file, is the same).
pub const MAX_STAGED_INPUT_BYTES: u64 = 6 * 1024 * 1024;

/// One sampled leaf as its provider reveals it.
#[cw_serde]
pub struct RevealedLeaf {
    pub index: u64,
    /// The leaf's hash (hex), as committed under the output root.
    pub hash: String,
    /// Its inclusion proof, leaf first (hex).
    pub proof: Vec<String>,
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    /// The sample of attestation `seq` of `lease`: drawn here, or computed from the chain.
    #[returns(SampleResponse)]
    Sample { lease: LeaseId, seq: u64 },
    /// What `owner` has staged of the input file whose sha256 is `sha256`.
    #[returns(StagedInputResponse)]
    StagedInput { owner: String, sha256: String },
    /// Leaf `leaf` of attestation `seq` as demanded: when, until when, what was revealed.
    #[returns(DemandResponse)]
    Demand { lease: LeaseId, seq: u64, leaf: u64 },
    /// The lease's demands still waiting for their reveal, by (seq, leaf): what its provider
    /// must answer.
    #[returns(DemandsResponse)]
    OpenDemands {
        lease: LeaseId,
        start_after: Option<DemandedLeaf>,
        limit: Option<u32>,
    },
    /// What leaf `leaf` of the job a manifest's group runs hashes to, recomputed as a dispute
    /// would: anyone can check a revealed leaf before paying for a dispute.
    #[returns(LeafHashResponse)]
    LeafHash {
        manifest: Binary,
        group: String,
        leaf: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        input: Option<Binary>,
    },
}

/// An attestation's sample as the referee holds it: fixed once drawn, with what was revealed.
#[cw_serde]
pub struct SampleResponse {
    pub lease: LeaseId,
    pub seq: u64,
    pub leaf_count: u64,
    /// The sampled leaf indices, increasing.
    pub leaves: Vec<u64>,
    /// The seed, hex.
    pub seed: String,
    /// When it was drawn here; `None`: not drawn, computed from the chain's block hashes.
    pub drawn_at: Option<u64>,
    /// When its provider must have revealed it (once drawn).
    pub reveal_deadline: Option<u64>,
    /// The revealed leaf hashes (hex), in the order of `leaves`.
    pub revealed: Option<Vec<String>>,
    /// The deployment committed a secret not revealed yet: no leaves (and no seed) until it is.
    /// Drawing meanwhile keeps the block hashes, so that the sample can be drawn later.
    #[serde(default)]
    pub awaiting_secret: bool,
}

#[cw_serde]
pub struct StagedInputResponse {
    pub owner: String,
    pub sha256: String,
    /// Bytes staged so far (0: nothing staged).
    pub bytes: u64,
    pub chunks: u32,
}

#[cw_serde]
pub struct DemandedLeaf {
    pub seq: u64,
    pub leaf: u64,
}

#[cw_serde]
pub struct DemandResponse {
    pub lease: LeaseId,
    pub seq: u64,
    pub leaf: u64,
    /// Leaves the attestation covers: the tree the leaf's proof is against.
    pub leaf_count: u64,
    pub demanded_at: u64,
    /// When its provider must have revealed it.
    pub reveal_deadline: u64,
    /// The revealed leaf hash (hex), once revealed.
    pub revealed: Option<String>,
}

#[cw_serde]
pub struct DemandsResponse {
    pub demands: Vec<DemandResponse>,
}

#[cw_serde]
pub struct ConfigResponse {
    pub market: String,
}

#[cw_serde]
pub struct LeafHashResponse {
    pub kernel: String,
    /// Leaves in the whole job.
    pub leaf_count: u64,
    /// `sha256(0x00 ‖ leaf bytes)`, hex: the leaf's hash in the output tree.
    pub leaf_hash: String,
}

#[cw_serde]
pub struct MigrateMsg {}
