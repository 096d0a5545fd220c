//! The registry's storage that other contracts read by raw query, as cw4 publishes its
//! members: the market checks a bidder against these records directly instead of paying for a
//! second contract instance per bid. The registry writes them through these same declarations,
//! so the layout is one definition; changing a namespace or a record is a breaking change of
//! the registry's interface, like changing a message.
//!
//! Read remotely with `PROVIDERS.query(&querier, registry, &provider)` and friends.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Uint128};
use cw_storage_plus::{Item, Map};

use crate::attributes::Attribute;
use crate::gpu::GpuSpec;
use crate::registry::{ProviderInfo, RegistryParams, Reputation};

/// A registered provider.
#[cw_serde]
pub struct Provider {
    /// The provider's gRPC endpoint, where tenants send manifests.
    pub host_uri: String,
    /// sha256 of the DER of the TLS certificate served at `host_uri` (64 lowercase hex
    /// characters): the transport identity clients pin. Absent in records written before it
    /// existed, and for providers that serve plain `http://` on loopback only. Not written
    /// when `None`, so such a record has exactly the bytes it had before the field existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_fingerprint: Option<String>,
    /// Self-declared attributes (each key once); the registry mirrors them in an index.
    pub attributes: Vec<Attribute>,
    /// The GPUs the provider says it has; the market checks offers against them.
    pub gpus: Vec<GpuSpec>,
    pub info: ProviderInfo,
    /// Bonded amount of `params.bond_denom`; slashable, and `>= min_bond` is needed to bid.
    pub bond: Uint128,
    /// Block height of registration, so clients can tell long-standing providers from new ones.
    pub registered_at_height: u64,
}

/// How an address has behaved as a provider. Kept in [`STANDING`], outside the provider record,
/// and never removed: a slashed or badly-behaved provider that deregisters and registers again
/// gets its counters and its jail back instead of a clean slate.
#[cw_serde]
#[derive(Default)]
pub struct Standing {
    /// Counters the market feeds through `record`, and the number of slashes.
    pub reputation: Reputation,
    /// Set by a slash; cleared when bond added with `bond` or attached to `register` brings the
    /// bond back to `min_bond`. A jailed provider may not bid.
    pub jailed: bool,
}

/// Params, addresses already validated and stored in their canonical string form. The api type
/// is stored as is so the `params` query returns exactly what is in force.
pub const PARAMS: Item<RegistryParams> = Item::new("params");

/// Auditors the registry trusts now, in the order the authority gave them. At most
/// `MAX_AUDITORS`, so reading every auditor's signatures for a provider is bounded.
pub const AUDITORS: Item<Vec<Addr>> = Item::new("auditors");

/// Registered providers by address; the record goes away on deregistration (the standing in
/// [`STANDING`] does not).
pub const PROVIDERS: Map<&Addr, Provider> = Map::new("providers");

/// Reputation and jail by address, for every address that was ever recorded, slashed or
/// un-jailed; an address without an entry has the default (clean) standing. Survives
/// deregistration on purpose, see [`Standing`].
pub const STANDING: Map<&Addr, Standing> = Map::new("standing");

/// (provider, auditor) → attributes that auditor signed for that provider. Kept for auditors
/// who later leave the set (queries skip them, so they count again if the auditor is
/// re-appointed); removed with the provider on deregistration.
pub const SIGNED: Map<(&Addr, &Addr), Vec<Attribute>> = Map::new("signed");

impl Provider {
    /// May bid and take leases: bonded at least `min_bond` and not jailed.
    pub fn is_active(&self, params: &RegistryParams, standing: &Standing) -> bool {
        !standing.jailed && self.bond >= params.min_bond
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_written_before_tls_fingerprint_existed_still_loads() {
        let old = br#"{"host_uri":"https://gpu.example.com","attributes":[],"gpus":[],
            "info":{"email":"","website":""},"bond":"100","registered_at_height":7}"#;
        let provider: Provider = cosmwasm_std::from_json(old).expect("old record loads");
        assert_eq!(provider.tls_fingerprint, None);
        assert_eq!(provider.registered_at_height, 7);
        let written = cosmwasm_std::to_json_string(&provider).unwrap();
        assert!(!written.contains("tls_fingerprint"), "{written}");
    }
}
