use tessera_api::CommonError;
use thiserror::Error;

/// Everything the referee refuses, naming the lease, the leaf and the values involved.
#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error(transparent)]
    Common(#[from] CommonError),

    #[error("disputes are off: the market names no referee")]
    DisputesOff {},

    #[error("the market's referee is {referee}, not this contract")]
    NotTheMarketsReferee { referee: String },

    #[error("attestation {seq} of lease {lease} does not exist")]
    AttestationNotFound { lease: String, seq: u64 },

    #[error(
        "attestation {seq} of lease {lease} states no leaf count, so no leaf of it can be disputed"
    )]
    LeafCountUnknown { lease: String, seq: u64 },

    #[error(
        "the dispute window of attestation {seq} of lease {lease} closed at {deadline} (now {now})"
    )]
    DisputeTooLate {
        lease: String,
        seq: u64,
        deadline: u64,
        now: u64,
    },

    #[error("leaf {leaf} is out of range: the attestation covers {leaf_count} leaves")]
    LeafOutOfRange { leaf: u64, leaf_count: u64 },

    #[error("{field} is not a 32-byte hex hash: {value:?}")]
    BadHash { field: String, value: String },

    #[error(
        "the proof does not show leaf hash {leaf_hash} as leaf {leaf} under output root {root}"
    )]
    ProofInvalid {
        leaf: u64,
        leaf_hash: String,
        root: String,
    },

    #[error("the manifest's sha256 is {got}; the deployment's manifest_hash is {expected}")]
    ManifestMismatch { expected: String, got: String },

    #[error("manifest: {reason}")]
    Manifest { reason: String },

    #[error("input {name:?}: {reason}")]
    Input { name: String, reason: String },

    #[error("leaf {leaf}: {reason}")]
    Kernel { leaf: u64, reason: String },

    #[error("the sample of attestation {seq} of lease {lease} was already revealed")]
    SampleAlreadyRevealed { lease: String, seq: u64 },

    #[error("the sample of attestation {seq} of lease {lease} was never drawn, so nothing had to be revealed")]
    SampleNotDrawn { lease: String, seq: u64 },

    #[error("a staged chunk must hold at least one byte")]
    StagedChunkEmpty {},

    #[error("staging {bytes} bytes of input {sha256} is more than the {max} a dispute can read")]
    StagedInputTooLarge {
        sha256: String,
        bytes: u64,
        max: u64,
    },

    #[error("{owner} has staged nothing of input {sha256}")]
    NothingStaged { owner: String, sha256: String },

    #[error("deployment {deployment} committed no secret, so there is none to reveal")]
    NoSecretCommitted { deployment: String },

    #[error("the secret of deployment {deployment} was already revealed")]
    SecretAlreadyRevealed { deployment: String },

    #[error("the secret's sha256 is {got}, but deployment {deployment} committed to {committed}")]
    SecretMismatch {
        deployment: String,
        committed: String,
        got: String,
    },

    #[error(
        "the sample of attestation {seq} of lease {lease} waits for the tenant's secret: nothing \
         to reveal until the tenant reveals it"
    )]
    SampleAwaitsSecret { lease: String, seq: u64 },

    #[error(
        "too late to draw the sample of attestation {seq} of lease {lease}: a reveal window \
         opened now would end at {reveal_by}, after its dispute window closes at {closes}; that \
         sample lapses"
    )]
    SecretTooLate {
        lease: String,
        seq: u64,
        reveal_by: u64,
        closes: u64,
    },

    #[error("the provider may reveal the sample until {deadline} (now {now})")]
    RevealWindowOpen { deadline: u64, now: u64 },

    #[error("revealed leaf {position}: {reason}")]
    RevealInvalid { position: usize, reason: String },

    #[error(
        "leaf demands of attestation {seq} of lease {lease} closed at {latest} (now {now}): the \
         provider's whole reveal window must fit in the dispute window"
    )]
    DemandTooLate {
        lease: String,
        seq: u64,
        latest: u64,
        now: u64,
    },

    #[error("leaf {leaf} of attestation {seq} of lease {lease} was already demanded")]
    AlreadyDemanded { lease: String, seq: u64, leaf: u64 },

    #[error(
        "attestation {seq} of lease {lease} already has {max} demanded leaves, the most allowed"
    )]
    TooManyDemands { lease: String, seq: u64, max: u64 },

    #[error("leaf {leaf} of attestation {seq} of lease {lease} was never demanded")]
    NotDemanded { lease: String, seq: u64, leaf: u64 },

    #[error("leaf {leaf} of attestation {seq} of lease {lease} was already revealed")]
    LeafAlreadyRevealed { lease: String, seq: u64, leaf: u64 },
}

tessera_api::impl_from_common_error!(ContractError);

impl ContractError {
    pub fn manifest(reason: impl Into<String>) -> Self {
        ContractError::Manifest {
            reason: reason.into(),
        }
    }
}
