//! Storage of the governance contract.

use cosmwasm_std::{Addr, Coin, Uint128};
use cw_storage_plus::{Item, Map, SnapshotItem, SnapshotMap, Strategy};
use serde::{Deserialize, Serialize};
use tessera_api::governance::{
    GovernanceParams, ProposalAction, ProposalStatus, Tally, UnstakingEntry, VoteOption,
};

pub const PARAMS: Item<GovernanceParams> = Item::new("params");

/// Staked amount per address, snapshotted every block so that voting power can be read as of
/// a proposal's start height: stake moved after a proposal opens cannot vote on it twice.
pub const STAKES: SnapshotMap<&Addr, Uint128> = SnapshotMap::new(
    "stakes",
    "stakes__checkpoints",
    "stakes__changelog",
    Strategy::EveryBlock,
);

/// Sum of all stakes, snapshotted like `STAKES`: the quorum's base at a proposal's start.
pub const TOTAL_STAKED: SnapshotItem<Uint128> = SnapshotItem::new(
    "total_staked",
    "total_staked__checkpoints",
    "total_staked__changelog",
    Strategy::EveryBlock,
);

/// Unstaking entries per address (bounded by `max_unstaking_entries`).
pub const UNSTAKING: Map<&Addr, Vec<UnstakingEntry>> = Map::new("unstaking");
/// Sum of all unstaking entries.
pub const TOTAL_UNSTAKING: Item<Uint128> = Item::new("total_unstaking");
/// Deposits of proposals still open: part of the contract's balance that is not the pool.
pub const DEPOSITS_HELD: Item<Uint128> = Item::new("deposits_held");

pub const LAST_PROPOSAL_ID: Item<u64> = Item::new("last_proposal_id");

/// Id of the newest proposal whose actions ran. A passed proposal with a lower id is
/// `superseded` instead of run: decisions apply in the order they were proposed, so a stale
/// one can never silently undo a newer one.
pub const LAST_APPLIED_ID: Item<u64> = Item::new("last_applied_id");
pub const PROPOSALS: Map<u64, Proposal> = Map::new("proposals");
/// Votes by (proposal, voter); the power is the voter's at the proposal's start height.
pub const VOTES: Map<(u64, &Addr), Ballot> = Map::new("votes");

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Proposal {
    pub id: u64,
    pub proposer: Addr,
    pub title: String,
    pub description: String,
    pub actions: Vec<ProposalAction>,
    pub status: ProposalStatus,
    pub deposit: Coin,
    pub start_height: u64,
    pub voting_ends_at: u64,
    pub tally: Tally,
    pub total_power: Uint128,
    pub execution_error: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Ballot {
    pub option: VoteOption,
    pub power: Uint128,
}
