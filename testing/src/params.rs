//! Each contract's params at the DESIGN §4.4 defaults (what `chain-config/genesis.template.json`
//! gives a fresh chain), given the addresses they name. Suites that test another value change
//! one field of these.

use cosmwasm_std::{coin, Decimal, Uint128};
use tessera_api::governance::{GovernanceParams, DEFAULT_EXECUTION_WINDOW_SECS};
use tessera_api::market::{DisputeParams, MarketParams, DEFAULT_END_BLOCK_GAS_BUDGET};
use tessera_api::registry::RegistryParams;

use crate::amounts::{BID_DEPOSIT, DENOM, MIN_BOND, MIN_DEPOSIT, TSR};

/// One week, the registry's unbonding period.
pub const UNBONDING_PERIOD_SECS: u64 = 7 * 24 * 3600;
/// Governance's voting period in the suites (short, so that proposals finish in a test).
pub const VOTING_PERIOD_SECS: u64 = 60;
/// Governance's unstaking period in the suites.
pub const UNSTAKING_PERIOD_SECS: u64 = 3600;
/// The deposit a proposal needs.
pub const MIN_PROPOSAL_DEPOSIT: u128 = 10 * TSR;

/// The registry's params; the market is learnt after it is instantiated.
pub fn registry_params(authority: &str, community_pool: &str) -> RegistryParams {
    RegistryParams {
        authority: authority.into(),
        market: None,
        community_pool: community_pool.into(),
        bond_denom: DENOM.into(),
        min_bond: Uint128::new(MIN_BOND),
        unbonding_period_secs: UNBONDING_PERIOD_SECS,
        max_unbonding_entries: 7,
    }
}

/// The market's params.
pub fn market_params(authority: &str, registry: &str, community_pool: &str) -> MarketParams {
    MarketParams {
        authority: authority.into(),
        registry: registry.into(),
        community_pool: community_pool.into(),
        min_deposit: vec![coin(MIN_DEPOSIT, DENOM)],
        bid_min_deposit: coin(BID_DEPOSIT, DENOM),
        take_rate_bps: 200,
        burn_bps: 5000,
        max_bids_per_order: 20,
        bid_window_secs: 30,
        min_bid_window_secs: 5,
        max_bid_window_secs: 3600,
        grace_period_secs: 600,
        manifest_timeout_secs: 300,
        attestation_interval_secs: 600,
        settle_interval_secs: 60,
        max_groups: 20,
        max_end_block_items: 200,
        end_block_gas_budget: DEFAULT_END_BLOCK_GAS_BUDGET,
        dispute: DisputeParams {
            deposit: coin(TSR, DENOM),
            ..DisputeParams::default()
        },
    }
}

/// Governance's params, with the voting and unstaking periods shortened for tests and no market
/// or registry to govern yet.
pub fn governance_params() -> GovernanceParams {
    GovernanceParams {
        denom: DENOM.into(),
        min_deposit: Uint128::new(MIN_PROPOSAL_DEPOSIT),
        voting_period_secs: VOTING_PERIOD_SECS,
        unstaking_period_secs: UNSTAKING_PERIOD_SECS,
        quorum: Decimal::permille(334),
        threshold: Decimal::percent(50),
        veto_threshold: Decimal::permille(334),
        market: None,
        registry: None,
        max_unstaking_entries: 7,
        execution_window_secs: DEFAULT_EXECUTION_WINDOW_SECS,
    }
}
