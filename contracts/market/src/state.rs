//! Storage of the market contract.
//!
//! Objects are keyed by compact numeric ids (an order's `uid`; a lease reuses its order's uid,
//! since an order leads to at most one lease) with maps from the public ids to them. Work that
//! falls due at a time (auction ends, settlements, grace periods, attestation deadlines) sits in
//! time-ordered queues keyed `(time, uid)`, so the end-block hook touches only what is due.

use cosmwasm_std::{Addr, Coin, Order as IterOrder, StdResult, Storage, Uint128};
use cw_storage_plus::{Bound, Index, IndexList, IndexedMap, Item, Map, MultiIndex};
use serde::{Deserialize, Serialize};
use tessera_api::market::{
    BidOffer, BidState, DeploymentState, GroupSpec, LeaseState, MarketParams, OrderState,
};
use tessera_api::{BidId, DeploymentId, OrderId};

use crate::escrow::TakeCarry;

/// Market parameters; only `params.authority` changes them.
pub const PARAMS: Item<MarketParams> = Item::new("params");

/// Last order uid handed out; uids start at 1.
pub const LAST_ORDER_UID: Item<u64> = Item::new("last_order_uid");

/// Deployments by (owner, dseq).
pub const DEPLOYMENTS: Map<(&Addr, u64), Deployment> = Map::new("deployments");

/// Public order id (owner, dseq, gseq) → uid. `oseq` is always 1: an order is never reopened
/// (a tenant who wants a new provider creates a new deployment), and it is stored in the order.
pub const ORDER_UIDS: Map<(&Addr, u64, u32), u64> = Map::new("order_uids");

/// Bids by (order uid, provider). Withdrawn bids are removed, so the bids under one order are
/// at most `max_bids_per_order` open ones plus those that lost or won when it was awarded.
pub const BIDS: Map<(u64, &Addr), Bid> = Map::new("bids");

/// What each bid offers, by (order uid, provider): written once when the bid is placed and
/// removed with it, so that the bid's state changes (lost, won, closed) and its lease's
/// settlements never rewrite an offer that may be kilobytes long.
pub const BID_OFFERS: Map<(u64, &Addr), BidOffer> = Map::new("bid_offers");

/// End-block items that failed, by (uid, queue name): taken off their queue so they cannot
/// stall the hook, and kept here (with the error) for operators and governance to look into.
/// The objects they concern keep their state; their owners can still close them.
pub const QUARANTINE: Map<(u64, &str), QuarantinedItem> = Map::new("quarantine");

/// Attestations by (lease uid, seq).
pub const ATTESTATIONS: Map<(u64, u64), Attestation> = Map::new("attestations");

/// Orders whose auction window ends at a time: (window end, uid).
pub const AUCTION_QUEUE: Map<(u64, u64), ()> = Map::new("q_auction");
/// Leases to pay out at a time: (due, uid).
pub const SETTLE_QUEUE: Map<(u64, u64), ()> = Map::new("q_settle");
/// Leases out of funds whose grace period ends at a time: (end, uid).
pub const GRACE_QUEUE: Map<(u64, u64), ()> = Map::new("q_grace");
/// Leases whose next attestation is due at a time: (deadline, uid).
pub const ATTEST_QUEUE: Map<(u64, u64), ()> = Map::new("q_attest");
/// Leases with an attested period whose dispute window closes at a time: (release, uid).
pub const RELEASE_QUEUE: Map<(u64, u64), ()> = Map::new("q_release");
/// Provider → when the last dispute window over one of its held payments closes. Only ever
/// raised: a window that has closed, or a payment voided by proven fraud, simply lies in the
/// past, so nothing has to clean it up.
pub const PENDING_UNTIL: Map<&Addr, u64> = Map::new("pending_until");

/// A deployment: its orders and the escrow they draw from.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Deployment {
    pub owner: Addr,
    pub dseq: u64,
    pub state: DeploymentState,
    /// sha256 (hex) of the canonical manifest; providers check what tenants send against it.
    pub manifest_hash: String,
    /// The one denom the deposit, the prices and the payouts of this deployment use.
    pub denom: String,
    /// Uids of its orders, in gseq order (gseq = index + 1).
    pub order_uids: Vec<u64>,
    /// Orders not yet closed; when it reaches zero the deployment closes and refunds itself.
    pub live_orders: u32,
    pub bid_window_secs: u64,
    pub created_at: u64,
    pub closed_at: Option<u64>,
    pub escrow: Escrow,
    /// The tenant's own `k` (more than the market's `dispute.sample_size`), if it asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_size: Option<u64>,
    /// sha256 (hex) of the tenant's sampling secret, if it committed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hash: Option<String>,
}

/// Funds held for a deployment. Invariant: `total_deposited = balance + total_spent + refunded`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Escrow {
    pub balance: Uint128,
    pub total_deposited: Uint128,
    /// Paid out to leases (provider share and take together).
    pub total_spent: Uint128,
    /// Returned to the owner when the deployment closed.
    pub refunded: Uint128,
    /// Sum of the hourly prices of leases that accrue charges (active or out of funds).
    pub drawing_rate: Uint128,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Order {
    pub uid: u64,
    pub owner: Addr,
    pub dseq: u64,
    pub gseq: u32,
    pub oseq: u32,
    pub state: OrderState,
    pub spec: GroupSpec,
    pub denom: String,
    pub created_at: u64,
    /// When the auction closes; `None` while an order that drew no bids waits for its first
    /// one, whose arrival restarts the window. Stored in [`ORDER_AUCTIONS`], not in the record.
    #[serde(skip)]
    pub window_ends_at: Option<u64>,
    pub bid_window_secs: u64,
    /// Stored in [`ORDER_AUCTIONS`], not in the record.
    #[serde(skip)]
    pub open_bids: u32,
}

impl Order {
    fn auction(&self) -> OrderAuction {
        OrderAuction {
            window_ends_at: self.window_ends_at,
            open_bids: self.open_bids,
        }
    }

    /// The auction of an order as created: its window runs from creation, no bids yet.
    fn initial_auction(&self) -> OrderAuction {
        OrderAuction {
            window_ends_at: Some(self.created_at.saturating_add(self.bid_window_secs)),
            open_bids: 0,
        }
    }

    /// Whether the two have the same record (every field but the auction's, which are not
    /// serialized). The destructuring names every field, so a new one cannot be forgotten here.
    fn same_record(&self, other: &Order) -> bool {
        let Order {
            uid,
            owner,
            dseq,
            gseq,
            oseq,
            state,
            spec,
            denom,
            created_at,
            window_ends_at: _,
            bid_window_secs,
            open_bids: _,
        } = self;
        (uid, owner, dseq, gseq, oseq, state)
            == (
                &other.uid,
                &other.owner,
                &other.dseq,
                &other.gseq,
                &other.oseq,
                &other.state,
            )
            && (spec, denom, created_at, bid_window_secs)
                == (
                    &other.spec,
                    &other.denom,
                    &other.created_at,
                    &other.bid_window_secs,
                )
    }

    pub fn id(&self) -> OrderId {
        OrderId {
            owner: self.owner.to_string(),
            dseq: self.dseq,
            gseq: self.gseq,
            oseq: self.oseq,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Bid {
    pub order_uid: u64,
    pub provider: Addr,
    pub state: BidState,
    /// Per hour for the whole group, in the deployment's denom.
    pub price: Uint128,
    pub deposit: Coin,
    pub created_at: u64,
    /// The provider's reputation score when it bid: breaks price ties at the award.
    pub reputation_score: i64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Lease {
    /// The uid of the order it fills.
    pub uid: u64,
    pub owner: Addr,
    pub dseq: u64,
    pub gseq: u32,
    pub oseq: u32,
    pub provider: Addr,
    pub state: LeaseState,
    pub price: Uint128,
    pub denom: String,
    /// GPUs the winning offer promises (the offer itself stays in `BID_OFFERS`): bounds the
    /// GPU-seconds an attestation may claim.
    pub offered_gpus: u64,
    pub created_at: u64,
    /// Charges are settled up to this block time.
    pub settled_to: u64,
    /// Carried remainder of `price × seconds` not yet a whole unit, in units of 1/3600: adding
    /// it to the next accrual means rounding never loses or creates funds.
    pub remainder: u64,
    /// Owed but not covered while the escrow is empty; paid first from the next top-up,
    /// forgiven if the lease closes unpaid.
    pub debt: Uint128,
    /// Paid out for this lease (provider share and take together).
    pub total_paid: Uint128,
    /// Fractions of take and burn carried between payouts.
    pub take_carry: TakeCarry,
    pub insufficient_since: Option<u64>,
    pub closed_at: Option<u64>,
    pub close_reason: Option<u32>,
    /// End of the last attested period; the lease start before the first attestation.
    pub attested_to: u64,
    pub attestations: u64,
    pub missed_attestations: u64,
    /// When the provider's receipt of the manifest was recorded; from then on the provider
    /// cannot release the lease as "manifest never arrived".
    #[serde(default)]
    pub manifest_received_at: Option<u64>,
    /// With disputes on: drawn from the escrow since the last attestation, owed to no attested
    /// period yet (the next attestation takes it; closing returns it to the escrow).
    #[serde(default)]
    pub unattested: Uint128,
    /// With disputes on: owed for attested periods whose dispute windows are still open.
    #[serde(default)]
    pub held: Uint128,
    /// Attestations up to this one are paid out (or voided).
    #[serde(default)]
    pub released_through: u64,
    /// Queue positions, kept so the entries can be removed when the lease moves on.
    pub settle_at: Option<u64>,
    pub grace_ends_at: Option<u64>,
    pub attestation_due_at: Option<u64>,
}

impl Lease {
    pub fn id(&self) -> BidId {
        DeploymentId::new(self.owner.to_string(), self.dseq)
            .order(self.gseq, self.oseq)
            .bid(self.provider.to_string())
    }
}

/// An end-block item that failed instead of completing.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct QuarantinedItem {
    /// When it was due (its queue key).
    pub due_at: u64,
    /// Block time of the failure.
    pub failed_at: u64,
    pub error: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Attestation {
    pub period_start: u64,
    pub period_end: u64,
    pub gpu_seconds: u64,
    pub work_units: u64,
    pub output_root: String,
    pub inventory_hash: String,
    pub submitted_at_height: u64,
    /// How many leaves `output_root` covers, when the provider said (older records: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaf_count: Option<u64>,
    /// What the period paid, held back until `release_at` (disputes on; zero otherwise).
    #[serde(default, skip_serializing_if = "Uint128::is_zero")]
    pub payment: Uint128,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_at: Option<u64>,
}

/// Secondary indexes of orders: by state, for providers polling open orders.
pub struct OrderIndexes<'a> {
    pub state: MultiIndex<'a, u8, Order, u64>,
}

impl IndexList<Order> for OrderIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<Order>> + '_> {
        Box::new(std::iter::once(&self.state as &dyn Index<Order>))
    }
}

/// The orders' records, indexed by state. Their auction fields are not in them: read orders with
/// [`load_order_by_uid`] (or pass a ranged one through [`with_auction`]) and write them with
/// [`create_order`] and [`save_order`].
pub fn orders<'a>() -> IndexedMap<u64, Order, OrderIndexes<'a>> {
    IndexedMap::new(
        "orders",
        OrderIndexes {
            state: MultiIndex::new(|_, o| order_state_key(o.state), "orders", "orders__state"),
        },
    )
}

/// The orders' records without their index: for saving an order whose state did not change.
const ORDER_RECORDS: Map<u64, Order> = Map::new("orders");

/// The auction of each open order (its window and bid count), by order uid. It lives apart from
/// the order's record, which holds the whole group spec, so that a bid rewrites a few bytes and no
/// index entry. An open order has an entry only while its auction differs from the one it was
/// created with ([`Order::initial_auction`]), so creating one writes nothing here; an order that
/// is no longer open has none (no window, no open bids).
const ORDER_AUCTIONS: Map<u64, OrderAuction> = Map::new("order_auctions");

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
struct OrderAuction {
    window_ends_at: Option<u64>,
    open_bids: u32,
}

impl OrderAuction {
    /// The auction of an order that is no longer open.
    const CLOSED: OrderAuction = OrderAuction {
        window_ends_at: None,
        open_bids: 0,
    };
}

/// Writes (or removes) the auction entry of an order whose auction was `loaded` and is `order`'s
/// now, keeping [`ORDER_AUCTIONS`]'s rule: an entry only for an open order whose auction is not
/// the initial one.
fn save_auction(storage: &mut dyn Storage, order: &Order, loaded: &Order) -> StdResult<()> {
    let had_entry =
        loaded.state == OrderState::Open && loaded.auction() != loaded.initial_auction();
    let needs_entry = order.state == OrderState::Open && order.auction() != order.initial_auction();
    if needs_entry {
        if order.auction() != loaded.auction() || !had_entry {
            ORDER_AUCTIONS.save(storage, order.uid, &order.auction())?;
        }
    } else if had_entry {
        ORDER_AUCTIONS.remove(storage, order.uid);
    }
    Ok(())
}

/// Fills in the auction fields of an order read from [`orders`].
pub fn with_auction(storage: &dyn Storage, mut order: Order) -> StdResult<Order> {
    let auction = if order.state == OrderState::Open {
        ORDER_AUCTIONS
            .may_load(storage, order.uid)?
            .unwrap_or_else(|| order.initial_auction())
    } else {
        OrderAuction::CLOSED
    };
    order.window_ends_at = auction.window_ends_at;
    order.open_bids = auction.open_bids;
    Ok(order)
}

pub fn load_order_by_uid(storage: &dyn Storage, uid: u64) -> StdResult<Order> {
    with_auction(storage, orders().load(storage, uid)?)
}

/// Saves a new order.
pub fn create_order(storage: &mut dyn Storage, order: &Order) -> StdResult<()> {
    // The auction fields are not serialized: this writes the record alone.
    orders().save(storage, order.uid, order)?;
    if order.state == OrderState::Open && order.auction() != order.initial_auction() {
        ORDER_AUCTIONS.save(storage, order.uid, &order.auction())?;
    }
    Ok(())
}

/// Saves what changed in `order` since it was loaded as `loaded`: its auction fields, its record,
/// and the state index only when the state changed (the old entry is known, so nothing is read).
pub fn save_order(storage: &mut dyn Storage, order: &Order, loaded: &Order) -> StdResult<()> {
    if order.state != loaded.state {
        orders().replace(storage, order.uid, Some(order), Some(loaded))?;
    } else if !order.same_record(loaded) {
        ORDER_RECORDS.save(storage, order.uid, order)?;
    }
    save_auction(storage, order, loaded)
}

/// Moves the auction fields that earlier versions kept in the order records into
/// [`ORDER_AUCTIONS`] (and out of the records). Records already in the new form are left alone,
/// so running it twice changes nothing.
pub fn migrate_order_auctions(storage: &mut dyn Storage) -> StdResult<u64> {
    #[derive(Serialize, Deserialize)]
    struct LegacyAuction {
        window_ends_at: Option<u64>,
        open_bids: Option<u32>,
    }
    const LEGACY: Map<u64, LegacyAuction> = Map::new("orders");
    let legacy: Vec<(u64, OrderAuction)> = LEGACY
        .range(storage, None, None, IterOrder::Ascending)
        .filter_map(|item| match item {
            Ok((
                uid,
                LegacyAuction {
                    window_ends_at,
                    open_bids: Some(open_bids),
                },
            )) => Some(Ok((
                uid,
                OrderAuction {
                    window_ends_at,
                    open_bids,
                },
            ))),
            Ok(_) => None,
            Err(err) => Some(Err(err)),
        })
        .collect::<StdResult<_>>()?;
    for (uid, auction) in &legacy {
        let mut order = orders().load(storage, *uid)?;
        ORDER_RECORDS.save(storage, *uid, &order)?;
        order.window_ends_at = auction.window_ends_at;
        order.open_bids = auction.open_bids;
        if order.state == OrderState::Open && order.auction() != order.initial_auction() {
            ORDER_AUCTIONS.save(storage, *uid, auction)?;
        }
    }
    Ok(legacy.len() as u64)
}

/// Secondary indexes of leases: by provider, by tenant, by state.
pub struct LeaseIndexes<'a> {
    pub provider: MultiIndex<'a, Addr, Lease, u64>,
    pub tenant: MultiIndex<'a, Addr, Lease, u64>,
    pub state: MultiIndex<'a, u8, Lease, u64>,
}

impl IndexList<Lease> for LeaseIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<Lease>> + '_> {
        let v: [&dyn Index<Lease>; 3] = [&self.provider, &self.tenant, &self.state];
        Box::new(v.into_iter())
    }
}

/// The leases' primary records without their indexes: for saving a lease whose indexed fields
/// (provider, tenant, state) did not change, which skips rewriting three index entries.
const LEASE_RECORDS: Map<u64, Lease> = Map::new("leases");

/// Saves `lease`, updating the indexes only when its state changed from `loaded_state` (provider
/// and tenant never change).
pub fn save_lease(
    storage: &mut dyn Storage,
    lease: &Lease,
    loaded_state: LeaseState,
) -> StdResult<()> {
    if lease.state == loaded_state {
        LEASE_RECORDS.save(storage, lease.uid, lease)
    } else {
        leases().save(storage, lease.uid, lease)
    }
}

pub fn leases<'a>() -> IndexedMap<u64, Lease, LeaseIndexes<'a>> {
    IndexedMap::new(
        "leases",
        LeaseIndexes {
            provider: MultiIndex::new(|_, l| l.provider.clone(), "leases", "leases__provider"),
            tenant: MultiIndex::new(|_, l| l.owner.clone(), "leases", "leases__tenant"),
            state: MultiIndex::new(|_, l| lease_state_key(l.state), "leases", "leases__state"),
        },
    )
}

pub fn order_state_key(state: OrderState) -> u8 {
    match state {
        OrderState::Open => 0,
        OrderState::Matched => 1,
        OrderState::Closed => 2,
    }
}

pub fn lease_state_key(state: LeaseState) -> u8 {
    match state {
        LeaseState::Active => 0,
        LeaseState::InsufficientFunds => 1,
        LeaseState::Closed => 2,
    }
}

/// Hands out the next order uid.
pub fn next_order_uid(storage: &mut dyn Storage) -> StdResult<u64> {
    let uid = LAST_ORDER_UID.may_load(storage)?.unwrap_or(0) + 1;
    LAST_ORDER_UID.save(storage, &uid)?;
    Ok(uid)
}

/// The keys of up to `limit` queue entries due at or before `now`, earliest first.
pub fn due_entries(
    storage: &dyn Storage,
    queue: &Map<(u64, u64), ()>,
    now: u64,
    limit: usize,
) -> StdResult<Vec<(u64, u64)>> {
    queue
        .keys(
            storage,
            None,
            Some(Bound::inclusive((now, u64::MAX))),
            IterOrder::Ascending,
        )
        .take(limit)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;
    use cosmwasm_std::to_json_vec;
    use tessera_api::gpu::Resources;

    fn order(uid: u64) -> Order {
        Order {
            uid,
            owner: Addr::unchecked("tenant"),
            dseq: 7,
            gseq: 1,
            oseq: 1,
            state: OrderState::Open,
            spec: GroupSpec {
                name: "train".into(),
                requirements: Default::default(),
                resources: Resources {
                    cpu_millis: 4000,
                    memory_mib: 16384,
                    ..Default::default()
                },
                count: 1,
                max_price: Uint128::new(4_000_000),
            },
            denom: "utsr".into(),
            created_at: 1_000,
            window_ends_at: Some(1_030),
            bid_window_secs: 30,
            open_bids: 0,
        }
    }

    fn raw_record(storage: &dyn Storage, uid: u64) -> Vec<u8> {
        storage.get(&ORDER_RECORDS.key(uid)).expect("a record")
    }

    #[test]
    fn a_new_order_writes_no_auction_entry_and_reads_back_whole() {
        let mut storage = MockStorage::new();
        create_order(&mut storage, &order(1)).unwrap();
        assert!(ORDER_AUCTIONS.may_load(&storage, 1).unwrap().is_none());
        assert_eq!(load_order_by_uid(&storage, 1).unwrap(), order(1));
    }

    #[test]
    fn a_bid_rewrites_the_auction_entry_only() {
        let mut storage = MockStorage::new();
        create_order(&mut storage, &order(1)).unwrap();
        let record = raw_record(&storage, 1);
        let loaded = load_order_by_uid(&storage, 1).unwrap();
        let mut bid_on = loaded.clone();
        bid_on.open_bids = 1;
        save_order(&mut storage, &bid_on, &loaded).unwrap();
        assert_eq!(raw_record(&storage, 1), record);
        assert_eq!(load_order_by_uid(&storage, 1).unwrap(), bid_on);

        // A state change moves the index entry.
        let mut matched = bid_on.clone();
        matched.state = OrderState::Matched;
        matched.open_bids = 0;
        matched.window_ends_at = None;
        save_order(&mut storage, &matched, &bid_on).unwrap();
        assert_eq!(load_order_by_uid(&storage, 1).unwrap(), matched);
        // An order that is no longer open keeps no auction entry.
        assert!(ORDER_AUCTIONS.may_load(&storage, 1).unwrap().is_none());
        let by_state = |state| {
            orders()
                .idx
                .state
                .prefix(order_state_key(state))
                .keys(&storage, None, None, IterOrder::Ascending)
                .collect::<StdResult<Vec<_>>>()
                .unwrap()
        };
        assert!(by_state(OrderState::Open).is_empty());
        assert_eq!(by_state(OrderState::Matched), vec![1]);
    }

    #[test]
    fn migration_moves_legacy_auction_fields_once() {
        let mut storage = MockStorage::new();
        let legacy_fields = [
            (1, Some(1_030), 0),
            (2, None, 0),
            (3, Some(2_000), 4),
            (4, None, 0),
        ];
        for (uid, window, bids) in legacy_fields {
            // An earlier version's record: the auction fields inside it. Order 4 was awarded.
            let mut legacy = order(uid);
            if uid == 4 {
                legacy.state = OrderState::Matched;
            }
            let mut json = to_json_vec(&legacy).unwrap();
            json.pop();
            let window = window.map_or("null".to_string(), |w: u64| w.to_string());
            json.extend(format!(r#","window_ends_at":{window},"open_bids":{bids}}}"#).bytes());
            storage.set(&ORDER_RECORDS.key(uid), &json);
        }
        assert_eq!(migrate_order_auctions(&mut storage).unwrap(), 4);
        assert_eq!(migrate_order_auctions(&mut storage).unwrap(), 0);
        for (uid, window, bids) in legacy_fields {
            let loaded = load_order_by_uid(&storage, uid).unwrap();
            assert_eq!((loaded.window_ends_at, loaded.open_bids), (window, bids));
            let record = String::from_utf8(raw_record(&storage, uid)).unwrap();
            assert!(!record.contains("open_bids"), "{record}");
        }
        // The one still as created and the awarded one need no entry.
        assert!(ORDER_AUCTIONS.may_load(&storage, 1).unwrap().is_none());
        assert!(ORDER_AUCTIONS.may_load(&storage, 4).unwrap().is_none());
    }
}
