use cosmwasm_std::Uint128;
use tessera_api::CommonError;
use thiserror::Error;

#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    /// Storage, validation, funds, sender and params failures, worded as in every contract.
    #[error(transparent)]
    Common(#[from] CommonError),

    #[error("denom {denom} is not accepted for deployments; accepted: {accepted}")]
    DenomNotAccepted { denom: String, accepted: String },

    #[error("deposit of {amount}{denom} is below the minimum of {min}{denom}")]
    DepositTooSmall {
        amount: Uint128,
        min: Uint128,
        denom: String,
    },

    #[error("a deployment needs 1 to {max} groups, got {got}")]
    GroupCount { got: usize, max: u32 },

    #[error("group name {name} appears more than once")]
    DuplicateGroup { name: String },

    #[error("bid window of {secs} s is outside {min}..={max} s")]
    BidWindowOutOfBounds { secs: u64, min: u64, max: u64 },

    #[error(
        "sample_size {k} is outside {min}..={max}: a deployment may ask for more leaves than the \
         market samples ({min}), not fewer"
    )]
    SampleSizeOutOfBounds { k: u64, min: u64, max: u64 },

    #[error("deployment {id} already exists")]
    DeploymentExists { id: String },

    #[error("deployment {id} not found")]
    DeploymentNotFound { id: String },

    #[error("deployment {id} is closed")]
    DeploymentClosed { id: String },

    #[error("dseq must be positive")]
    ZeroDseq {},

    #[error("order {id} not found")]
    OrderNotFound { id: String },

    #[error("order {id} is not open for bids (it is {state})")]
    OrderNotOpen { id: String, state: String },

    #[error("order {id} has {count} open bids, max {max}")]
    TooManyBids { id: String, count: u32, max: u32 },

    #[error("bid {id} not found")]
    BidNotFound { id: String },

    #[error("bid {id} already exists")]
    BidExists { id: String },

    #[error("bid {id} is not open (it is {state})")]
    BidNotOpen { id: String, state: String },

    #[error("bid price {price} exceeds the order's max price {max}")]
    PriceAboveMax { price: Uint128, max: Uint128 },

    #[error("bid price must be positive")]
    ZeroPrice {},

    #[error("bid deposit of {amount}{denom} is below the minimum of {min}{denom}")]
    BidDepositTooSmall {
        amount: Uint128,
        min: Uint128,
        denom: String,
    },

    #[error("provider {provider} is not registered")]
    ProviderNotRegistered { provider: String },

    #[error("provider {provider} is not active (jailed or bonded below the minimum)")]
    ProviderNotActive { provider: String },

    #[error("provider {provider} cannot bid on its own deployment")]
    SelfDealing { provider: String },

    #[error("provider {provider} does not meet the placement of order {order}: {reason}")]
    PlacementNotMet {
        provider: String,
        order: String,
        reason: String,
    },

    #[error("offer does not fit order {order}: {reason}")]
    OfferMismatch { order: String, reason: String },

    #[error("lease {id} not found")]
    LeaseNotFound { id: String },

    #[error("lease {id} is closed")]
    LeaseClosed { id: String },

    #[error(
        "provider {provider} has a bond of {bond}, and {required} must back its {leases} leases \
         and this one against a slash; bond more to bid"
    )]
    BondBelowCoverage {
        provider: String,
        bond: Uint128,
        required: Uint128,
        leases: u64,
    },

    #[error("fraud on lease {lease} was already proven (attestation {seq}): one slash per lease")]
    FraudAlreadyProven { lease: String, seq: u64 },

    #[error("close reason {reason} is not a {closer} reason (allowed {min}..{max})")]
    InvalidCloseReason {
        reason: u32,
        closer: String,
        min: u32,
        max: u32,
    },

    #[error("lease {id} may be released for a missing manifest only after {at} (now {now}) and before its first attestation")]
    ManifestTimeoutNotReached { id: String, at: u64, now: u64 },

    #[error("manifest receipt for lease {id} refused: {reason}")]
    ManifestReceiptInvalid { id: String, reason: String },

    #[error("lease {id} already has its manifest receipt (recorded at {at})")]
    ManifestReceiptRecorded { id: String, at: u64 },

    #[error("attestation for lease {id} must start at {expected}, got {got}")]
    AttestationNotContiguous { id: String, expected: u64, got: u64 },

    #[error(
        "attestation period {start}..{end} is empty or ends after the current block time {now}"
    )]
    AttestationPeriodInvalid { start: u64, end: u64, now: u64 },

    #[error("attestation claims {claimed} GPU-seconds, at most {max} fit in the period with {gpus} GPUs")]
    AttestationGpuSecondsExceeded { claimed: u64, max: u64, gpus: u64 },

    #[error(
        "an attestation's leaf_count must be positive: its output root covers at least one leaf"
    )]
    AttestationWithoutLeaves {},

    #[error("lease {lease} has no attestation {seq}")]
    AttestationNotFound { lease: String, seq: u64 },

    #[error("attestation {seq} of lease {lease} did not state its leaf count: it has no sample")]
    AttestationLeafCountUnknown { lease: String, seq: u64 },

    #[error("the sample of this attestation is drawn from blocks up to height {ready_at}; the chain is at {height}")]
    SampleNotYet { ready_at: u64, height: u64 },

    #[error("the sample of this attestation can no longer be drawn: {reason}")]
    SampleUnavailable { reason: String },
}

tessera_api::impl_from_common_error!(ContractError);
