//! Messages of the market contract: deployments and their orders, the reverse auction of bids,
//! leases with streaming escrow, and usage attestations.
//!
//! Prices are per hour in the deployment's denom and settle by block time in seconds; times are
//! unix seconds of block time.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Coin, Uint128};

use crate::attributes::PlacementRequirements;
use crate::gpu::{GpuOffer, Resources};
use crate::ids::{BidId, DeploymentId, LeaseId, OrderId};
use crate::validation::{check_sha256_hex, check_token, ValidationError};

/// Seconds in the unit that prices are quoted per.
pub const SECONDS_PER_HOUR: u64 = 3600;
/// One hundred percent in basis points.
pub const BPS_DENOMINATOR: u16 = 10_000;
/// Most per-resource price lines in one offer.
pub const MAX_RESOURCE_PRICES: usize = 16;

/// Highest price per hour a group may offer or a bid may ask (10^24 base units, i.e. 10^18 TSR
/// per hour: far beyond any supply). Prices feed products and sums that settle escrow — a
/// deployment's drawing rate is the sum of up to [`MAX_GROUPS_LIMIT`] of them, an accrual is a
/// rate times elapsed seconds — and with this cap each fits `u128` over more than a thousand
/// years, so no settlement can overflow and stall the end-block hook.
pub const MAX_PRICE_PER_HOUR: u128 = 1_000_000_000_000_000_000_000_000;
/// Highest value governance may give `max_groups`: bounds a deployment's drawing rate to
/// `MAX_GROUPS_LIMIT × MAX_PRICE_PER_HOUR`.
pub const MAX_GROUPS_LIMIT: u32 = 100;
/// Default SDK gas the end-block hook plans to spend per block (see
/// `MarketParams::end_block_gas_budget`).
pub const DEFAULT_END_BLOCK_GAS_BUDGET: u64 = 25_000_000;

fn default_end_block_gas_budget() -> u64 {
    DEFAULT_END_BLOCK_GAS_BUDGET
}

/// Lease close reasons, grouped by who closed: tenant `1..10000`, provider `10000..20000`,
/// network `20000..`.
pub mod close_reason {
    pub const TENANT_CLOSED: u32 = 1;
    pub const TENANT_MIN: u32 = 1;
    pub const PROVIDER_MIN: u32 = 10_000;
    pub const PROVIDER_CLOSED: u32 = 10_000;
    /// The tenant never sent a manifest within `manifest_timeout_secs`: no penalty.
    pub const PROVIDER_MANIFEST_TIMEOUT: u32 = 10_001;
    pub const NETWORK_MIN: u32 = 20_000;
    /// Funds ran out and the grace period passed without a top-up.
    pub const NETWORK_INSUFFICIENT_FUNDS: u32 = 20_000;
    /// The deployment was closed, which closes its leases.
    pub const NETWORK_DEPLOYMENT_CLOSED: u32 = 20_001;
    /// The referee proved a leaf of one of its attestations wrong.
    pub const NETWORK_FRAUD_PROVEN: u32 = 20_002;
    /// The provider did not reveal a drawn sample, or a leaf its tenant demanded, within the
    /// reveal window.
    pub const NETWORK_SAMPLE_NOT_REVEALED: u32 = 20_003;
}

#[cw_serde]
pub struct MarketParams {
    /// The only address that may change params (the governance contract once it exists).
    pub authority: String,
    /// The provider registry: who may bid, with which attributes, and their reputation.
    pub registry: String,
    /// Where the non-burned share of the take rate goes.
    pub community_pool: String,
    /// Accepted deployment denoms, each with the least deposit a deployment must make.
    pub min_deposit: Vec<Coin>,
    /// Deposit each bid carries; refunded when the bid loses, is withdrawn, or its lease ends.
    pub bid_min_deposit: Coin,
    /// Share of every payout the network takes, in basis points.
    pub take_rate_bps: u16,
    /// Share of the take that is burned; the rest goes to the community pool.
    pub burn_bps: u16,
    pub max_bids_per_order: u32,
    /// Auction window of an order unless the tenant picks one within the bounds below.
    pub bid_window_secs: u64,
    pub min_bid_window_secs: u64,
    pub max_bid_window_secs: u64,
    /// How long a lease out of funds waits for a top-up before it closes.
    pub grace_period_secs: u64,
    /// How long a provider waits for the manifest before it may close without penalty.
    pub manifest_timeout_secs: u64,
    /// A lease must attest usage at least this often.
    pub attestation_interval_secs: u64,
    /// How often the end-block hook pays out each lease.
    pub settle_interval_secs: u64,
    /// Most groups (and so orders) in one deployment.
    pub max_groups: u32,
    /// Most due items (auctions, settlements, deadlines) the end-block hook handles per block;
    /// the rest wait for the next block.
    pub max_end_block_items: u32,
    /// SDK gas of storage work the end-block hook plans to spend per block: it stops taking
    /// items once its metered reads and writes reach this, and the rest wait a block. Must stay
    /// below the chain's gas limit for the hook with room for one item's worth of overshoot.
    #[serde(default = "default_end_block_gas_budget")]
    pub end_block_gas_budget: u64,
    /// Who decides disputes and what they cost (docs/verification.md).
    #[serde(default)]
    pub dispute: DisputeParams,
}

/// The terms of disputes: the referee that decides them, how long an attestation stays open to
/// one, what a rejected one costs the disputer, and what proven fraud costs the provider.
#[cw_serde]
pub struct DisputeParams {
    /// The referee contract, the only address that may report proven fraud; none: no disputes.
    pub referee: Option<String>,
    /// An attestation may be disputed until this long after its period ends.
    pub window_secs: u64,
    /// Leaves sampled from every attestation (`k`): 50 catch a provider faking a tenth of its
    /// leaves 99.5 % of the time.
    #[serde(default = "default_sample_size")]
    pub sample_size: u64,
    /// Once anyone has drawn an attestation's sample (the referee's `draw_sample`), its provider
    /// has this long (from the draw, or the period's end if later) to reveal the sampled leaves.
    #[serde(default = "default_reveal_window_secs")]
    pub reveal_window_secs: u64,
    /// Attached to every dispute; a rejected dispute pays half to the provider and burns half.
    pub deposit: Coin,
    /// The slash is `max(slash_multiplier × the disputed period's payment, min_slash)`.
    pub slash_multiplier: u16,
    pub min_slash: Uint128,
    /// The disputer's and the tenant's shares of the slash, in basis points; the rest is burned.
    pub disputer_bps: u16,
    pub tenant_bps: u16,
}

fn default_sample_size() -> u64 {
    crate::sampling::DEFAULT_SAMPLE_SIZE
}

fn default_reveal_window_secs() -> u64 {
    3_600
}

impl Default for DisputeParams {
    /// DESIGN §4.1: a day to dispute, 1 TSR to do it, three periods' pay (10 TSR at least) split
    /// 25 % disputer, 25 % tenant, 50 % burned.
    fn default() -> Self {
        DisputeParams {
            referee: None,
            window_secs: 86_400,
            sample_size: default_sample_size(),
            reveal_window_secs: default_reveal_window_secs(),
            deposit: Coin::new(1_000_000u128, "utsr"),
            slash_multiplier: 3,
            min_slash: Uint128::new(10_000_000),
            disputer_bps: 2_500,
            tenant_bps: 2_500,
        }
    }
}

/// A change of market params: fields left out keep their value.
#[cw_serde]
#[derive(Default)]
pub struct MarketParamsUpdate {
    pub authority: Option<String>,
    pub registry: Option<String>,
    pub community_pool: Option<String>,
    pub min_deposit: Option<Vec<Coin>>,
    pub bid_min_deposit: Option<Coin>,
    pub take_rate_bps: Option<u16>,
    pub burn_bps: Option<u16>,
    pub max_bids_per_order: Option<u32>,
    pub bid_window_secs: Option<u64>,
    pub min_bid_window_secs: Option<u64>,
    pub max_bid_window_secs: Option<u64>,
    pub grace_period_secs: Option<u64>,
    pub manifest_timeout_secs: Option<u64>,
    pub attestation_interval_secs: Option<u64>,
    pub settle_interval_secs: Option<u64>,
    pub max_groups: Option<u32>,
    pub max_end_block_items: Option<u32>,
    pub end_block_gas_budget: Option<u64>,
    /// Replaces the dispute terms as a whole.
    pub dispute: Option<DisputeParams>,
}

#[cw_serde]
pub struct InstantiateMsg {
    pub params: MarketParams,
}

/// One group of a deployment: `count` identical instances of `resources`, placed on a
/// provider meeting `requirements`, for at most `max_price` per hour for the whole group.
#[cw_serde]
#[derive(Eq)]
pub struct GroupSpec {
    pub name: String,
    #[serde(default)]
    pub requirements: PlacementRequirements,
    pub resources: Resources,
    pub count: u32,
    pub max_price: Uint128,
}

/// One line of a bid's price breakdown (e.g. `gpu:nvidia/h100` → 1_800_000 per hour).
#[cw_serde]
#[derive(Eq)]
pub struct ResourcePrice {
    pub resource: String,
    pub amount: Uint128,
}

/// What a bid promises: the concrete GPUs, and optionally how its price breaks down.
#[cw_serde]
#[derive(Default, Eq)]
pub struct BidOffer {
    #[serde(default)]
    pub gpus: Vec<GpuOffer>,
    #[serde(default)]
    pub resource_prices: Vec<ResourcePrice>,
}

// A message is deserialized once per call and never stored or moved in bulk, so the size of its
// largest variant (a params update) costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[cw_serde]
pub enum ExecuteMsg {
    /// Create a deployment with one order per group; the attached funds are its escrow deposit.
    /// `dseq` defaults to the block height.
    CreateDeployment {
        dseq: Option<u64>,
        groups: Vec<GroupSpec>,
        manifest_hash: String,
        bid_window_secs: Option<u64>,
        /// Leaves to sample from each of its leases' attestations when the tenant wants more than
        /// the market's `dispute.sample_size` (at most 1,000); the larger of the two applies.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sample_size: Option<u64>,
        /// sha256 (hex) of a secret the tenant keeps: its leases' samples then mix in the secret
        /// too, once the tenant reveals it to the referee (`reveal_secret`), so that not even a
        /// provider that produces blocks can know them beforehand.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        secret_hash: Option<String>,
    },
    UpdateManifest {
        dseq: u64,
        manifest_hash: String,
    },
    /// Top up a deployment's escrow; anyone may pay.
    Deposit {
        owner: String,
        dseq: u64,
    },
    /// Settle and close every lease and order of the deployment and refund what is left.
    CloseDeployment {
        dseq: u64,
    },
    /// A registered, bonded provider bids `price` per hour; attach the bid deposit.
    PlaceBid {
        order: OrderId,
        price: Uint128,
        offer: BidOffer,
    },
    WithdrawBid {
        order: OrderId,
    },
    /// The tenant picks a bid before the auction window ends.
    AcceptBid {
        bid: BidId,
    },
    /// Tenant or provider closes a lease; `reason` must fall in the closer's range.
    CloseLease {
        lease: LeaseId,
        reason: u32,
    },
    /// Settle a lease now and pay its provider.
    WithdrawLease {
        lease: LeaseId,
    },
    SubmitAttestation {
        lease: LeaseId,
        period_start: u64,
        period_end: u64,
        gpu_seconds: u64,
        work_units: u64,
        output_root: String,
        inventory_hash: String,
        /// How many leaves `output_root` is the Merkle root of: the sample that must be revealed
        /// is drawn among them (`attestation_sample`). Absent from providers that predate
        /// sampling; such an attestation has no sample.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        leaf_count: Option<u64>,
    },
    /// Referee only: a leaf of attestation `seq` did not match its recomputation. Closes the
    /// lease without paying what it had not paid yet, slashes the provider through the registry
    /// (awards to `disputer` and the tenant) and jails it. Once per lease.
    FraudProven {
        lease: LeaseId,
        seq: u64,
        disputer: String,
        /// The fraud is a drawn sample or a demanded leaf never revealed (close reason 20003),
        /// not a wrong leaf.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        unrevealed: bool,
    },
    /// Records on chain that the lease's provider received the manifest. The provider may send
    /// it itself (no signature needed), or anyone (the tenant) may send the provider's signed
    /// receipt: a secp256k1 signature of the provider's key over [`manifest_receipt_digest`].
    /// Once recorded, the provider can no longer release the lease as "manifest never arrived".
    RecordManifestReceipt {
        lease: LeaseId,
        /// The provider's compressed secp256k1 public key (33 bytes); empty when the provider
        /// sends this itself.
        #[serde(default)]
        provider_pubkey: cosmwasm_std::Binary,
        /// 64-byte `r ‖ s` signature; empty when the provider sends this itself.
        #[serde(default)]
        signature: cosmwasm_std::Binary,
    },
    /// Authority only.
    UpdateParams(MarketParamsUpdate),
}

/// Domain of the manifest receipt a provider signs when it accepts a manifest.
pub const MANIFEST_RECEIPT_DOMAIN: &str = "tessera/manifest-receipt/v1";

/// What a provider signs (sha256) to acknowledge the manifest of `lease` on `chain_id`:
/// `domain ‖ 0 ‖ chain_id ‖ 0 ‖ lease id ‖ 0 ‖ manifest_hash` (hex, as on chain).
pub fn manifest_receipt_digest(chain_id: &str, lease: &LeaseId, manifest_hash: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [
        MANIFEST_RECEIPT_DOMAIN,
        chain_id,
        &lease.to_string(),
        manifest_hash,
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.finalize().into()
}

#[cw_serde]
pub struct MigrateMsg {}

#[cw_serde]
pub enum SudoMsg {
    /// Called by the chain at the end of every block: closes auctions, settles escrow, enforces
    /// grace periods and attestation deadlines, bounded by `max_end_block_items` and
    /// `end_block_gas_budget`; an item that fails is set aside (`quarantined`), never retried.
    EndBlock {},
}

#[cw_serde]
#[derive(Copy, Eq, Hash, PartialOrd, Ord)]
pub enum DeploymentState {
    Active,
    Closed,
}

#[cw_serde]
#[derive(Copy, Eq, Hash, PartialOrd, Ord)]
pub enum OrderState {
    Open,
    Matched,
    Closed,
}

#[cw_serde]
#[derive(Copy, Eq, Hash, PartialOrd, Ord)]
pub enum BidState {
    Open,
    Won,
    Lost,
    Closed,
}

#[cw_serde]
#[derive(Copy, Eq, Hash, PartialOrd, Ord)]
pub enum LeaseState {
    Active,
    InsufficientFunds,
    Closed,
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(MarketParams)]
    Params {},
    #[returns(DeploymentResponse)]
    Deployment { owner: String, dseq: u64 },
    #[returns(DeploymentsResponse)]
    Deployments {
        owner: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(OrderResponse)]
    Order { id: OrderId },
    /// Orders in `state` (open orders by default): what providers poll.
    #[returns(OrdersResponse)]
    Orders {
        state: Option<OrderState>,
        start_after: Option<OrderId>,
        limit: Option<u32>,
    },
    #[returns(BidsResponse)]
    Bids {
        order: OrderId,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(BidResponse)]
    Bid { id: BidId },
    #[returns(LeaseResponse)]
    Lease { id: LeaseId },
    /// Leases of one provider, or one tenant, or in one state (exactly one filter).
    #[returns(LeasesResponse)]
    Leases {
        filter: LeaseFilter,
        start_after: Option<LeaseId>,
        limit: Option<u32>,
    },
    #[returns(EscrowResponse)]
    Escrow { owner: String, dseq: u64 },
    #[returns(AttestationsResponse)]
    Attestations {
        lease: LeaseId,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// The leaves attestation `seq` of `lease` must reveal (`tessera_api::sampling`): drawn from
    /// the hashes of the three blocks after the one that committed it, so it exists from that
    /// block's height + 3 on, and while the chain keeps those hashes (256 blocks).
    #[returns(AttestationSampleResponse)]
    AttestationSample { lease: LeaseId, seq: u64 },
    /// Until when `provider` has attested payments held for their dispute windows (the
    /// registry refuses to let it unbond before then).
    #[returns(PaymentsPendingResponse)]
    PaymentsPending { provider: String },
    /// End-block items that failed and were set aside, by order uid (a lease has its order's).
    #[returns(QuarantinedResponse)]
    Quarantined {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
}

#[cw_serde]
pub struct PaymentsPendingResponse {
    pub provider: String,
    /// When the last dispute window over one of its held payments closes; `None` when none is
    /// open now.
    pub until: Option<u64>,
}

/// An end-block item that failed: it left its queue so that the hook could go on.
#[cw_serde]
pub struct QuarantinedItemResponse {
    /// The order uid (for a lease, the uid of the order it fills).
    pub uid: u64,
    /// `auction`, `grace`, `attestation` or `settlement`.
    pub queue: String,
    pub due_at: u64,
    pub failed_at: u64,
    pub error: String,
}

#[cw_serde]
pub struct QuarantinedResponse {
    pub items: Vec<QuarantinedItemResponse>,
}

#[cw_serde]
pub enum LeaseFilter {
    Provider(String),
    Tenant(String),
    State(LeaseState),
}

#[cw_serde]
pub struct DeploymentResponse {
    pub id: DeploymentId,
    pub state: DeploymentState,
    pub manifest_hash: String,
    pub denom: String,
    pub groups: Vec<GroupSpec>,
    pub bid_window_secs: u64,
    pub created_at: u64,
    pub closed_at: Option<u64>,
    /// The tenant's own `k`, when it asked for more leaves than the market samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_size: Option<u64>,
    /// sha256 (hex) of the tenant's sampling secret, when it committed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hash: Option<String>,
}

#[cw_serde]
pub struct DeploymentsResponse {
    pub deployments: Vec<DeploymentResponse>,
}

#[cw_serde]
pub struct OrderResponse {
    pub id: OrderId,
    pub state: OrderState,
    pub spec: GroupSpec,
    pub denom: String,
    pub created_at: u64,
    /// When the auction closes; `None` while an order without bids waits for its first bid
    /// (whose arrival restarts the window).
    pub window_ends_at: Option<u64>,
    pub open_bids: u32,
}

#[cw_serde]
pub struct OrdersResponse {
    pub orders: Vec<OrderResponse>,
}

#[cw_serde]
pub struct BidResponse {
    pub id: BidId,
    pub state: BidState,
    pub price: Uint128,
    pub offer: BidOffer,
    pub deposit: Coin,
    pub created_at: u64,
    /// The provider's reputation score when it bid (breaks price ties).
    pub reputation_score: i64,
}

#[cw_serde]
pub struct BidsResponse {
    pub bids: Vec<BidResponse>,
}

#[cw_serde]
pub struct LeaseResponse {
    pub id: LeaseId,
    pub state: LeaseState,
    /// Per hour, in the deployment's denom.
    pub price: Coin,
    pub offer: BidOffer,
    pub created_at: u64,
    /// Escrow is settled up to this time.
    pub settled_to: u64,
    /// Paid to the provider so far, before the take rate.
    pub total_paid: Uint128,
    /// Owed but not covered by escrow while out of funds.
    pub debt: Uint128,
    pub insufficient_since: Option<u64>,
    pub closed_at: Option<u64>,
    pub close_reason: Option<u32>,
    /// End of the last attested period (the lease start before the first attestation).
    pub attested_to: u64,
    pub attestations: u64,
    pub missed_attestations: u64,
    /// When the provider's receipt of the manifest was recorded (`record_manifest_receipt`).
    #[serde(default)]
    pub manifest_received_at: Option<u64>,
    /// With disputes on: drawn from the escrow since the last attestation, not yet owed to an
    /// attested period (closing returns it to the escrow).
    #[serde(default)]
    pub unattested: Uint128,
    /// With disputes on: owed for attested periods whose dispute windows are open; paid out as
    /// each closes.
    #[serde(default)]
    pub held: Uint128,
}

#[cw_serde]
pub struct LeasesResponse {
    pub leases: Vec<LeaseResponse>,
}

#[cw_serde]
pub struct EscrowResponse {
    pub id: DeploymentId,
    pub balance: Coin,
    /// Sum of the prices of the deployment's leases that are drawing funds, per hour.
    pub rate_per_hour: Uint128,
    /// Block time (seconds) at which the balance runs out at the current rate, counting what the
    /// leases already owe; `None` when nothing draws.
    pub funds_last_until: Option<u64>,
    pub total_deposited: Uint128,
    pub total_spent: Uint128,
    /// Time the figures above are computed for (the current block).
    pub as_of: u64,
}

#[cw_serde]
pub struct AttestationResponse {
    pub lease: LeaseId,
    pub seq: u64,
    pub period_start: u64,
    pub period_end: u64,
    pub gpu_seconds: u64,
    pub work_units: u64,
    pub output_root: String,
    pub inventory_hash: String,
    pub submitted_at_height: u64,
    /// How many leaves the output root covers, when the provider said.
    pub leaf_count: Option<u64>,
    /// What the period paid, held until `release_at` (disputes on; zero otherwise).
    #[serde(default)]
    pub payment: Uint128,
    /// When the period's dispute window closes and its payment goes out.
    #[serde(default)]
    pub release_at: Option<u64>,
}

#[cw_serde]
pub struct AttestationSampleResponse {
    pub lease: LeaseId,
    pub seq: u64,
    /// The heights whose block hashes go into the seed.
    pub block_heights: Vec<u64>,
    /// Their hashes (hex), in the same order.
    #[serde(default)]
    pub block_hashes: Vec<String>,
    /// The seed (hex); empty while the sample waits for the tenant's secret.
    pub seed: String,
    pub leaf_count: u64,
    /// How many leaves the sample takes (`k`: the market's, or the tenant's when larger).
    #[serde(default)]
    pub sample_size: u64,
    /// The sampled leaf indices, increasing; empty while the sample waits for the tenant's
    /// secret (the referee draws it once the secret is revealed).
    pub leaves: Vec<u64>,
    /// sha256 (hex) of the tenant's secret, when the deployment committed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hash: Option<String>,
}

#[cw_serde]
pub struct AttestationsResponse {
    pub attestations: Vec<AttestationResponse>,
}

impl GroupSpec {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_token("group name", &self.name)?;
        self.requirements.validate()?;
        self.resources.validate()?;
        if self.count == 0 {
            return Err(ValidationError::new(
                format!("group {} count", self.name),
                "must be at least 1",
            ));
        }
        if self.max_price.is_zero() {
            return Err(ValidationError::new(
                format!("group {} max_price", self.name),
                "must be positive",
            ));
        }
        check_price(&format!("group {} max_price", self.name), self.max_price)
    }
}

/// Checks that a per-hour price stays within [`MAX_PRICE_PER_HOUR`].
pub fn check_price(what: &str, price: Uint128) -> Result<(), ValidationError> {
    if price.u128() > MAX_PRICE_PER_HOUR {
        return Err(ValidationError::new(
            what,
            format!("is {price} per hour, max {MAX_PRICE_PER_HOUR}"),
        ));
    }
    Ok(())
}

impl BidOffer {
    /// Checks the offer on its own and against the bid's total `price`.
    pub fn validate(&self, price: Uint128) -> Result<(), ValidationError> {
        check_price("bid price", price)?;
        crate::gpu::validate_gpu_list("offer gpus", &self.gpus)?;
        if self.resource_prices.len() > MAX_RESOURCE_PRICES {
            return Err(ValidationError::new(
                "offer resource_prices",
                format!(
                    "has {} lines, max {MAX_RESOURCE_PRICES}",
                    self.resource_prices.len()
                ),
            ));
        }
        if self.resource_prices.is_empty() {
            return Ok(());
        }
        let mut sum = Uint128::zero();
        for line in &self.resource_prices {
            check_token("offer resource name", &line.resource)?;
            sum = sum
                .checked_add(line.amount)
                .map_err(|_| ValidationError::new("offer resource_prices", "sum overflows"))?;
        }
        if sum != price {
            return Err(ValidationError::new(
                "offer resource_prices",
                format!("sum to {sum}, but the bid price is {price}"),
            ));
        }
        Ok(())
    }
}

/// Checks a manifest hash as the market stores it.
pub fn validate_manifest_hash(hash: &str) -> Result<(), ValidationError> {
    check_sha256_hex("manifest_hash", hash)
}

/// Checks an attestation's digests.
pub fn validate_attestation_digests(
    output_root: &str,
    inventory_hash: &str,
) -> Result<(), ValidationError> {
    check_sha256_hex("output_root", output_root)?;
    check_sha256_hex("inventory_hash", inventory_hash)
}

/// Checks a denom as the bank module would accept it (3–128 chars, starts with a letter).
pub fn validate_denom(denom: &str) -> Result<(), ValidationError> {
    check_token("denom", denom)?;
    if crate::denom::is_valid_denom(denom) {
        Ok(())
    } else {
        Err(ValidationError::new(
            "denom",
            format!("{denom:?} is not a valid denom"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offer_price_breakdown_must_sum_to_the_bid_price() {
        let offer = BidOffer {
            gpus: vec![],
            resource_prices: vec![
                ResourcePrice {
                    resource: "gpu".into(),
                    amount: Uint128::new(70),
                },
                ResourcePrice {
                    resource: "cpu".into(),
                    amount: Uint128::new(30),
                },
            ],
        };
        assert!(offer.validate(Uint128::new(100)).is_ok());
        assert_eq!(
            offer.validate(Uint128::new(90)).unwrap_err().to_string(),
            "invalid offer resource_prices: sum to 100, but the bid price is 90"
        );
    }

    #[test]
    fn denoms_follow_bank_rules() {
        assert!(validate_denom("utsr").is_ok());
        assert!(validate_denom("ibc/ABC123").is_ok());
        assert!(validate_denom("u").is_err());
        assert!(validate_denom("1abc").is_err());
    }
}
