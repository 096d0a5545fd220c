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
        /// sha256 must be the one the manifest declares.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        input: Option<Binary>,
    },
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
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
