//! What the daemon must not forget across a crash (redb, one file under the home): the last
//! block it processed, its bids and the capacity they reserve, and its leases with the work
//! done so far. Each change is one committed write transaction, made before the action it
//! records is taken, so a `kill -9` at any point restarts into a state the chain can settle.

use std::path::Path;

use anyhow::{Context as _, Result};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tessera_api::market::BidOffer;
use tessera_api::{LeaseId, OrderId};

use crate::capacity::Reservation;

const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const BIDS: TableDefinition<&str, &[u8]> = TableDefinition::new("bids");
const LEASES: TableDefinition<&str, &[u8]> = TableDefinition::new("leases");

const LAST_HEIGHT: &str = "last_height";

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BidPhase {
    /// Decided and recorded; the tx may or may not have landed (checked on chain on restart).
    Submitting,
    /// On chain, open.
    Open,
}

/// A bid of this provider that still holds capacity. Bids that won become leases; bids that
/// lost, closed or were withdrawn are removed with their reservation.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct BidRecord {
    pub order: OrderId,
    pub price: u128,
    pub offer: BidOffer,
    pub reservation: Reservation,
    pub phase: BidPhase,
    /// Unix seconds it was decided (for the bid timeout).
    pub placed_at: u64,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum WorkPhase {
    /// Won; no manifest yet.
    AwaitingManifest,
    Running,
    /// Stopped by the chain (lease out of funds); resumes on top-up.
    Paused,
    Done,
    Failed,
}

/// One finished work unit: where its leaves are and what they hash to.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct UnitRecord {
    /// The unit's leaves, concatenated, in the runtime's content-addressed store (hex).
    pub object: String,
    /// Length of each leaf, in order.
    pub leaf_lens: Vec<u32>,
    /// `merkle::leaf_hash` of each leaf (hex).
    pub leaf_hashes: Vec<String>,
    pub seconds: f64,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct LeaseRecord {
    pub id: LeaseId,
    pub reservation: Reservation,
    pub phase: WorkPhase,
    /// The manifest text the owner sent (it hashes to the deployment's on-chain hash).
    pub manifest: Option<String>,
    pub units_total: u64,
    /// Finished units in order; the work resumes after the last.
    pub units: Vec<UnitRecord>,
    /// Metered seconds not yet attested (attestations carry whole seconds).
    pub unattested_seconds: f64,
    pub message: String,
    /// Whether the manifest receipt is on chain.
    pub receipt_recorded: bool,
    /// Units already counted in an attestation (the next one counts those after).
    pub units_attested: u64,
    /// Unix seconds of the last withdrawal of earnings.
    pub last_withdraw: u64,
    /// Closed on chain (or stopped by the owner): its work is over, its outputs stay served.
    pub closed: bool,
    /// Attestations up to this one have their samples revealed (or had nothing to reveal).
    #[serde(default)]
    pub revealed_through: u64,
}

impl LeaseRecord {
    pub fn new(id: LeaseId, reservation: Reservation) -> Self {
        Self {
            id,
            reservation,
            phase: WorkPhase::AwaitingManifest,
            manifest: None,
            units_total: 0,
            units: Vec::new(),
            unattested_seconds: 0.0,
            message: String::new(),
            receipt_recorded: false,
            units_attested: 0,
            last_withdraw: 0,
            closed: false,
            revealed_through: 0,
        }
    }

    pub fn units_done(&self) -> u64 {
        self.units.len() as u64
    }

    /// Whether it still holds capacity: not closed and its work not over.
    pub fn holds_capacity(&self) -> bool {
        !self.closed && !matches!(self.phase, WorkPhase::Done | WorkPhase::Failed)
    }

    pub fn leaf_hashes(&self) -> anyhow::Result<Vec<[u8; 32]>> {
        self.units
            .iter()
            .flat_map(|u| u.leaf_hashes.iter())
            .map(|h| {
                let bytes = hex::decode(h)?;
                bytes
                    .try_into()
                    .map_err(|_| anyhow::anyhow!("stored leaf hash {h} is not 32 bytes"))
            })
            .collect()
    }

    pub fn leaf_count(&self) -> u64 {
        self.units.iter().map(|u| u.leaf_hashes.len() as u64).sum()
    }
}

pub struct Store {
    db: Database,
}

impl Store {
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let db = Database::create(path).with_context(|| {
            format!(
                "opening {} (is another tessera-provider running on this home?)",
                path.display()
            )
        })?;
        let tx = db.begin_write()?;
        tx.open_table(META)?;
        tx.open_table(BIDS)?;
        tx.open_table(LEASES)?;
        tx.commit()?;
        Ok(Store { db })
    }

    pub fn last_height(&self) -> Result<Option<u64>> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(META)?;
        Ok(table.get(LAST_HEIGHT)?.map(|v| v.value()))
    }

    pub fn set_last_height(&self, height: u64) -> Result<()> {
        let tx = self.db.begin_write()?;
        tx.open_table(META)?.insert(LAST_HEIGHT, height)?;
        tx.commit()?;
        Ok(())
    }

    pub fn bids(&self) -> Result<Vec<BidRecord>> {
        self.all(BIDS)
    }

    pub fn bid(&self, order: &OrderId) -> Result<Option<BidRecord>> {
        self.get(BIDS, &order.to_string())
    }

    pub fn put_bid(&self, bid: &BidRecord) -> Result<()> {
        self.put(BIDS, &bid.order.to_string(), bid)
    }

    pub fn remove_bid(&self, order: &OrderId) -> Result<()> {
        self.remove(BIDS, &order.to_string())
    }

    pub fn leases(&self) -> Result<Vec<LeaseRecord>> {
        self.all(LEASES)
    }

    pub fn lease(&self, id: &LeaseId) -> Result<Option<LeaseRecord>> {
        self.get(LEASES, &id.to_string())
    }

    /// Changes the stored lease `id` in one write transaction (read, change, write), so that
    /// concurrent updates (a finished unit, an attestation, a pause) never overwrite each
    /// other. Returns the updated record, or `None` when there is none.
    pub fn update_lease(
        &self,
        id: &LeaseId,
        change: impl FnOnce(&mut LeaseRecord),
    ) -> Result<Option<LeaseRecord>> {
        let key = id.to_string();
        let tx = self.db.begin_write()?;
        let updated = {
            let mut table = tx.open_table(LEASES)?;
            let current: Option<LeaseRecord> = match table.get(key.as_str())? {
                Some(v) => Some(
                    serde_json::from_slice(v.value())
                        .with_context(|| format!("store record {key:?} is corrupt"))?,
                ),
                None => None,
            };
            match current {
                Some(mut record) => {
                    change(&mut record);
                    table.insert(key.as_str(), to_json(&record)?.as_slice())?;
                    Some(record)
                }
                None => None,
            }
        };
        tx.commit()?;
        Ok(updated)
    }

    /// Records a won lease unless it is already recorded (the watcher and the API may both
    /// take it over); returns the stored record either way.
    pub fn adopt_lease(&self, lease: &LeaseRecord) -> Result<(LeaseRecord, bool)> {
        let key = lease.id.to_string();
        let tx = self.db.begin_write()?;
        let stored = {
            let mut leases = tx.open_table(LEASES)?;
            let existing: Option<LeaseRecord> = match leases.get(key.as_str())? {
                Some(v) => Some(serde_json::from_slice(v.value())?),
                None => None,
            };
            match existing {
                Some(record) => (record, false),
                None => {
                    leases.insert(key.as_str(), to_json(lease)?.as_slice())?;
                    let mut bids = tx.open_table(BIDS)?;
                    bids.remove(lease.id.order().to_string().as_str())?;
                    (lease.clone(), true)
                }
            }
        };
        tx.commit()?;
        Ok(stored)
    }

    fn all<T: DeserializeOwned>(&self, def: TableDefinition<&str, &[u8]>) -> Result<Vec<T>> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(def)?;
        let mut out = Vec::new();
        for item in table.iter()? {
            let (key, value) = item?;
            out.push(
                serde_json::from_slice(value.value())
                    .with_context(|| format!("store record {:?} is corrupt", key.value()))?,
            );
        }
        Ok(out)
    }

    fn get<T: DeserializeOwned>(
        &self,
        def: TableDefinition<&str, &[u8]>,
        key: &str,
    ) -> Result<Option<T>> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(def)?;
        let value = table.get(key)?;
        value
            .map(|v| {
                serde_json::from_slice(v.value())
                    .with_context(|| format!("store record {key:?} is corrupt"))
            })
            .transpose()
    }

    fn put<T: Serialize>(
        &self,
        def: TableDefinition<&str, &[u8]>,
        key: &str,
        value: &T,
    ) -> Result<()> {
        let bytes = to_json(value)?;
        let tx = self.db.begin_write()?;
        tx.open_table(def)?.insert(key, bytes.as_slice())?;
        tx.commit()?;
        Ok(())
    }

    fn remove(&self, def: TableDefinition<&str, &[u8]>, key: &str) -> Result<()> {
        let tx = self.db.begin_write()?;
        tx.open_table(def)?.remove(key)?;
        tx.commit()?;
        Ok(())
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    Ok(serde_json::to_vec(value)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> OrderId {
        tessera_api::DeploymentId::new("tessera1owner", 7).order(1, 1)
    }

    fn lease_id() -> LeaseId {
        order().bid("tessera1provider")
    }

    #[test]
    fn records_survive_reopening_and_a_won_bid_becomes_a_lease_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.redb");
        let reservation = Reservation {
            cpu_millis: 2000,
            memory_mib: 1024,
            storage_mib: 0,
            gpus: vec![],
        };
        {
            let store = Store::open(&path).unwrap();
            store.set_last_height(42).unwrap();
            store
                .put_bid(&BidRecord {
                    order: order(),
                    price: 10,
                    offer: BidOffer::default(),
                    reservation: reservation.clone(),
                    phase: BidPhase::Open,
                    placed_at: 1,
                })
                .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.last_height().unwrap(), Some(42));
        assert_eq!(store.bids().unwrap().len(), 1);
        let (_, new) = store
            .adopt_lease(&LeaseRecord::new(lease_id(), reservation.clone()))
            .unwrap();
        assert!(new);
        store
            .update_lease(&lease_id(), |l| l.phase = WorkPhase::Running)
            .unwrap();
        // Taking the same lease over again keeps what is stored.
        let (kept, new) = store
            .adopt_lease(&LeaseRecord::new(lease_id(), reservation))
            .unwrap();
        assert!(!new);
        assert_eq!(kept.phase, WorkPhase::Running);
        assert!(store.bids().unwrap().is_empty());
        assert_eq!(store.leases().unwrap().len(), 1);
        assert_eq!(
            store.lease(&lease_id()).unwrap().unwrap().phase,
            WorkPhase::Running
        );
    }
}
