//! Messages of the provider registry contract: providers, their bonds, auditors and the
//! attributes they sign, reputation counters and slashing.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Coin, Uint128};

use crate::attributes::{validate_attributes, Attribute, AuditorAttributes};
use crate::gpu::{validate_gpu_list, GpuSpec};
use crate::validation::{check_sha256_hex, check_text, ValidationError, MAX_TEXT_LEN};

/// Most auditors the registry trusts at once.
pub const MAX_AUDITORS: usize = 16;
/// Longest accepted `host_uri`.
pub const MAX_URI_LEN: usize = 512;

#[cw_serde]
pub struct RegistryParams {
    /// The only address that may change params, set auditors or slash besides the market (the
    /// governance contract once it exists).
    pub authority: String,
    /// The market contract, allowed to record lease events and slash. Unset until the market is
    /// instantiated (the two contracts name each other).
    pub market: Option<String>,
    /// Where slashed bonds go.
    pub community_pool: String,
    pub bond_denom: String,
    /// A provider is active (may bid) only with at least this much bonded.
    pub min_bond: Uint128,
    /// Seconds between `unbond` and the funds being claimable.
    pub unbonding_period_secs: u64,
    /// Most unbonding entries a provider may have in flight (bounds claim and slash work).
    pub max_unbonding_entries: u32,
}

/// A change of registry params: fields left out keep their value.
#[cw_serde]
#[derive(Default)]
pub struct RegistryParamsUpdate {
    pub authority: Option<String>,
    pub market: Option<String>,
    pub community_pool: Option<String>,
    pub min_bond: Option<Uint128>,
    pub unbonding_period_secs: Option<u64>,
    pub max_unbonding_entries: Option<u32>,
}

#[cw_serde]
pub struct InstantiateMsg {
    pub params: RegistryParams,
    #[serde(default)]
    pub auditors: Vec<String>,
}

/// Migrating the registry takes no arguments: the code version is checked and bumped.
#[cw_serde]
pub struct MigrateMsg {}

/// Contact details a provider publishes; free text, bounded.
#[cw_serde]
#[derive(Default, Eq)]
pub struct ProviderInfo {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub website: String,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Register the sender as a provider. Funds sent along are bonded.
    Register {
        host_uri: String,
        #[serde(default)]
        attributes: Vec<Attribute>,
        #[serde(default)]
        gpus: Vec<GpuSpec>,
        #[serde(default)]
        info: ProviderInfo,
        /// sha256 of the DER of the TLS certificate the provider serves at `host_uri`, as 64
        /// lowercase hex characters. Clients accept exactly that certificate on an `https://`
        /// endpoint (and refuse `https://` without one); see [`validate_tls_fingerprint`].
        /// Left out of the JSON when `None`, so a message without it is what it was before the
        /// field existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tls_fingerprint: Option<String>,
    },
    /// Change the sender's registration; fields left out keep their value.
    Update {
        host_uri: Option<String>,
        attributes: Option<Vec<Attribute>>,
        gpus: Option<Vec<GpuSpec>>,
        info: Option<ProviderInfo>,
        /// A new certificate fingerprint (e.g. after rotating the certificate); left out keeps
        /// the registered one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tls_fingerprint: Option<String>,
    },
    /// Add the attached funds (bond denom) to the sender's bond; un-jails once the bond is
    /// back at `min_bond`.
    Bond {},
    /// Start unbonding `amount`; claimable after the unbonding period.
    Unbond { amount: Uint128 },
    /// Pay out every matured unbonding entry.
    ClaimUnbonded {},
    /// Remove the sender's registration, returning the bond through unbonding. Refused while
    /// the provider has active leases.
    Deregister {},
    /// An auditor vouches for attributes of a provider (replaces what it signed before).
    SignAttributes {
        provider: String,
        attributes: Vec<Attribute>,
    },
    /// An auditor withdraws its signature from the given keys, or from all when `keys` is empty.
    RevokeAttributes {
        provider: String,
        #[serde(default)]
        keys: Vec<String>,
    },
    /// Market only: a lease event that moves the provider's counters.
    Record {
        provider: String,
        event: ProviderEvent,
        /// What the tenant paid over the lease (with `lease_completed`): completions count in
        /// the reputation by value, so a self-dealt lease at a token price earns nothing.
        #[serde(default)]
        paid: Uint128,
    },
    /// Market or authority only: take `fraction_bps` of the provider's bond (bonded and
    /// unbonding) to the community pool and jail the provider.
    Slash {
        provider: String,
        fraction_bps: u16,
        reason: String,
    },
    /// Market or authority: proven fraud. Takes `amount` (all there is when the bond and the
    /// unbonding entries hold less), the bond first and then the entries latest-released first;
    /// pays each award its `bps` of what was taken, burns the rest, and jails the provider.
    SlashForFraud {
        provider: String,
        amount: Uint128,
        awards: Vec<SlashAward>,
        reason: String,
    },
    /// Authority only: replace the set of trusted auditors.
    SetAuditors { auditors: Vec<String> },
    /// Authority only.
    UpdateParams(RegistryParamsUpdate),
}

/// A share of a fraud slash paid to someone (the disputer who proved it, the tenant it cheated).
#[cw_serde]
pub struct SlashAward {
    pub address: String,
    /// Of what the slash takes, in basis points; the awards of one slash sum to at most 10,000.
    pub bps: u16,
}

/// What the market reports about a provider's leases.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum ProviderEvent {
    LeaseStarted,
    /// Closed by the tenant or the network (not the provider's fault).
    LeaseCompleted,
    /// Closed by the provider, outside the manifest timeout.
    LeaseClosedByProvider,
    /// Closed by the provider because the tenant never sent the manifest: no penalty.
    LeaseReleased,
    AttestationMissed,
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(RegistryParams)]
    Params {},
    #[returns(ProviderResponse)]
    Provider { address: String },
    /// Providers by address; `attribute` narrows to those declaring it, `active` to those that
    /// may bid (or may not). With `active` and no `attribute` the order is the status index's:
    /// highest bond first (inactive: unjailed ones below `min_bond`, then jailed ones), and
    /// `start_after` must name a provider still registered. A provider whose bond or jail
    /// changes between pages may be seen twice or not at all.
    #[returns(ProvidersResponse)]
    Providers {
        active: Option<bool>,
        attribute: Option<Attribute>,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(AuditorsResponse)]
    Auditors {},
    #[returns(SignedAttributesResponse)]
    SignedAttributes { provider: String },
    #[returns(Reputation)]
    Reputation { provider: String },
    #[returns(UnbondingResponse)]
    Unbonding { provider: String },
}

/// Counters the market feeds; the auction breaks price ties on `score()`.
#[cw_serde]
#[derive(Default, Copy, Eq)]
pub struct Reputation {
    pub leases_started: u64,
    pub leases_completed: u64,
    pub leases_closed_by_provider: u64,
    pub leases_released: u64,
    pub missed_attestations: u64,
    pub slashes: u64,
    /// Leases running now; a provider may deregister only at zero, and keeps `min_bond`
    /// locked while any runs.
    pub active_leases: u64,
    /// Sum of what tenants paid over the leases counted in `leases_completed`.
    #[serde(default)]
    pub value_completed: Uint128,
}

/// Base units paid over completed leases that make one reputation point (1 TSR).
pub const REPUTATION_POINT_VALUE: u128 = 1_000_000;

impl Reputation {
    /// One number for tie-breaking: value served over completed leases counts for (a point per
    /// [`REPUTATION_POINT_VALUE`] paid, so that cheap self-dealt leases buy nothing), walk-aways,
    /// missed attestations and (heavily) slashes against.
    pub fn score(&self) -> i64 {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let points = self.value_completed.u128() / REPUTATION_POINT_VALUE;
        i64::try_from(points)
            .unwrap_or(i64::MAX)
            .saturating_sub(n(self.leases_closed_by_provider).saturating_mul(2))
            .saturating_sub(n(self.missed_attestations))
            .saturating_sub(n(self.slashes).saturating_mul(10))
    }
}

#[cw_serde]
pub struct ProviderResponse {
    pub address: String,
    pub host_uri: String,
    /// sha256 of the DER of the provider's TLS certificate (64 lowercase hex characters); the
    /// only certificate a client accepts from `host_uri`. `None` when never registered.
    #[serde(default)]
    pub tls_fingerprint: Option<String>,
    pub attributes: Vec<Attribute>,
    pub gpus: Vec<GpuSpec>,
    pub info: ProviderInfo,
    pub bond: Coin,
    /// Sum of unbonding entries not yet claimed.
    pub unbonding: Uint128,
    /// Bonded at least `min_bond` and not jailed: may bid.
    pub active: bool,
    pub jailed: bool,
    pub reputation: Reputation,
    /// Attributes signed by auditors the registry trusts now.
    pub signed: Vec<AuditorAttributes>,
    pub registered_at_height: u64,
}

#[cw_serde]
pub struct ProvidersResponse {
    pub providers: Vec<ProviderResponse>,
}

#[cw_serde]
pub struct AuditorsResponse {
    pub auditors: Vec<String>,
}

#[cw_serde]
pub struct SignedAttributesResponse {
    pub provider: String,
    pub signed: Vec<AuditorAttributes>,
}

#[cw_serde]
pub struct UnbondingEntry {
    pub amount: Uint128,
    /// Block time (seconds) from which it can be claimed.
    pub release_at: u64,
}

#[cw_serde]
pub struct UnbondingResponse {
    pub provider: String,
    pub entries: Vec<UnbondingEntry>,
}

/// Checks the stateless parts of a registration.
pub fn validate_registration(
    host_uri: &str,
    tls_fingerprint: Option<&str>,
    attributes: &[Attribute],
    gpus: &[GpuSpec],
    info: &ProviderInfo,
) -> Result<(), ValidationError> {
    validate_host_uri(host_uri)?;
    if let Some(fingerprint) = tls_fingerprint {
        validate_tls_fingerprint(fingerprint)?;
    }
    validate_attributes("provider attributes", attributes)?;
    validate_gpu_list("provider gpus", gpus)?;
    check_text("info.email", &info.email, MAX_TEXT_LEN)?;
    check_text("info.website", &info.website, MAX_TEXT_LEN)
}

/// The provider's gRPC endpoint: `http(s)://host:port`, bounded.
pub fn validate_host_uri(uri: &str) -> Result<(), ValidationError> {
    let rest = uri
        .strip_prefix("https://")
        .or_else(|| uri.strip_prefix("http://"))
        .ok_or_else(|| {
            ValidationError::new(
                "host_uri",
                format!("{uri:?} must start with http:// or https://"),
            )
        })?;
    if rest.is_empty() || uri.len() > MAX_URI_LEN || uri.chars().any(|c| !c.is_ascii_graphic()) {
        return Err(ValidationError::new(
            "host_uri",
            format!("{uri:?} is not a host address of at most {MAX_URI_LEN} printable characters"),
        ));
    }
    Ok(())
}

/// A TLS certificate fingerprint: the sha256 of the certificate's DER encoding, written as 64
/// lowercase hex characters (what `tessera_client::transport_identity::fingerprint` computes).
/// One spelling only, so that clients compare strings and the chain never holds two forms of
/// the same certificate.
pub fn validate_tls_fingerprint(fingerprint: &str) -> Result<(), ValidationError> {
    check_sha256_hex("tls_fingerprint", fingerprint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reputation_score_weighs_misconduct() {
        // Ten completions that paid 10.5 TSR in all: ten points (whole TSR only).
        let mut r = Reputation {
            leases_completed: 10,
            value_completed: Uint128::new(10 * REPUTATION_POINT_VALUE + 500_000),
            ..Default::default()
        };
        assert_eq!(r.score(), 10);
        r.leases_closed_by_provider = 1;
        r.missed_attestations = 2;
        r.slashes = 1;
        assert_eq!(r.score(), 10 - 2 - 2 - 10);
        r.value_completed = Uint128::MAX;
        assert_eq!(r.score(), i64::MAX - 14);
        // Completions that paid nothing earn nothing, however many.
        let free = Reputation {
            leases_completed: u64::MAX,
            ..Default::default()
        };
        assert_eq!(free.score(), 0);
    }

    #[test]
    fn host_uri_needs_a_scheme_and_a_host() {
        assert!(validate_host_uri("https://gpu.example.com:8443").is_ok());
        assert!(validate_host_uri("gpu.example.com").is_err());
        assert!(validate_host_uri("http://").is_err());
        assert!(validate_host_uri("http://a b").is_err());
    }

    #[test]
    fn tls_fingerprint_is_64_lowercase_hex_characters() {
        let good = "ab".repeat(32);
        assert!(validate_tls_fingerprint(&good).is_ok());
        for bad in [
            "",
            &"ab".repeat(31),
            &"AB".repeat(32),
            &"zz".repeat(32),
            &"ab".repeat(33),
        ] {
            let err = validate_tls_fingerprint(bad).unwrap_err();
            assert_eq!(err.what, "tls_fingerprint", "{bad:?}");
        }
        let refused = validate_registration(
            "https://gpu.example.com",
            Some("AB"),
            &[],
            &[],
            &ProviderInfo::default(),
        )
        .unwrap_err();
        assert_eq!(refused.what, "tls_fingerprint");
    }
}
