//! The committed, versioned Merkle store: a Jellyfish Merkle Tree (jmt 0.12, SHA-256) over one
//! redb file. Version = block height; its JMT root is the app hash.
//!
//! A commit writes everything of a version (tree nodes, versioned values, key preimages, the
//! flat latest state, the stale-node index, the root and the metadata) in one redb write
//! transaction, which redb makes durable (fsync) before `commit` returns. A process killed at
//! any instant therefore reopens at the last committed version with the same app hash.
//!
#![doc = include_str!("../README.md")]

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use jmt::storage::{Node, TreeUpdateBatch};
use jmt::{KeyHash, RootHash, Sha256Jmt};
use redb::{Database, ReadableDatabase, ReadableTable, Table};
use sha2::Sha256;

use crate::hash_cache::{LearnInto, Learned, NodeHashCache};
use crate::node_codec::{encode_node, encode_node_key, stored_hash};
use crate::packing::{append_all, repack_slice};
use crate::snapshot::Snapshot;
use crate::state::StoreError;
use crate::tables::{
    backend, be_version, encode_latest, encode_value, from_jmt, hash32, latest_entry,
    newest_value_presence, parse_stale_value, root_node_key, stale_node_key, stale_node_target,
    stale_upper_bound, stale_value_key, value_at, value_key, ReadTables, TreeView, FLAT, FORMAT,
    META, META_FORMAT, META_LATEST_ROOT, META_LATEST_VERSION, META_PRUNED_BELOW, META_REPACK_STATE,
    NODES, PREIMAGES, ROOTS, STALE_NODES, STALE_VALUES, VALUES,
};

/// The root of the empty tree, and so the app hash of version 0 (nothing committed yet).
///
/// jmt hashes an empty (`Null`) node to its sparse-Merkle placeholder, these 32 ASCII bytes;
/// it is also the `empty_child` of [`jmt::ics23_spec`]. A tree whose keys were all deleted has
/// this root again.
pub const EMPTY_ROOT: [u8; 32] = *b"SPARSE_MERKLE_PLACEHOLDER_HASH__";

/// How many versions stay readable (historical reads, proofs) unless configured otherwise.
pub const DEFAULT_KEEP_VERSIONS: u64 = 100;

/// Each commit rewrites at least this many entries of the `state` table, packed into full pages
/// (as many as the block's changes when that is more).
const REPACK_PER_COMMIT: usize = 500;

/// Pruning removes at least this many stale entries of each kind per commit (more when the
/// commit itself made more stale), so a backlog (e.g. after lowering `keep_versions`) drains
/// over a few blocks instead of stalling one.
const MIN_PRUNE_PER_COMMIT: usize = 10_000;

/// How many node hashes the store keeps in memory unless configured otherwise (about 90 bytes
/// each: some 23 MiB): every node of the top three levels' children and then some.
pub const DEFAULT_NODE_HASH_CACHE: usize = 1 << 18;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// How many of the latest versions stay readable by [`Store::get_at`],
    /// [`Store::get_with_proof`] and [`Store::root_hash`]; at least 1 (the latest).
    pub keep_versions: u64,
    /// How many JMT node hashes stay in memory, so that loading a node (a block's tree update,
    /// a proof) does not read its children's records for their hashes; 0 turns it off.
    pub node_hash_cache: usize,
}

impl StoreOptions {
    /// The defaults, keeping `keep_versions` versions readable.
    pub fn keeping(keep_versions: u64) -> Self {
        Self {
            keep_versions,
            ..Self::default()
        }
    }
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            keep_versions: DEFAULT_KEEP_VERSIONS,
            node_hash_cache: DEFAULT_NODE_HASH_CACHE,
        }
    }
}

/// The store file's space, from redb's own accounting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskUsage {
    /// Pages in use (data, tree metadata and the pages freed but not yet reusable).
    pub allocated_bytes: u64,
    /// Keys and values.
    pub stored_bytes: u64,
    /// Unused space inside allocated pages, plus free pages.
    pub fragmented_bytes: u64,
    /// Per table (the latest state, the tree's nodes, the superseded values, key preimages,
    /// the stale indexes, the roots).
    pub tables: Vec<TableUsage>,
}

/// One table's share of [`DiskUsage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableUsage {
    pub name: &'static str,
    /// Keys and values.
    pub stored_bytes: u64,
    /// The bytes of its pages: keys and values, the B-tree's branch keys and page headers, and
    /// the unused space inside its pages.
    pub page_bytes: u64,
}

/// What the metadata says about the latest committed version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Head {
    version: u64,
    root: [u8; 32],
    /// Versions below this are pruned or being pruned.
    pruned_below: u64,
}

/// The versioned Merkle store. All methods take `&self`: share it in an `Arc` between the
/// block executor (which commits) and query handlers (which read snapshots and old versions).
pub struct Store {
    db: Database,
    keep_versions: u64,
    /// A cache of the committed head, for `latest_version`/`app_hash` without a transaction.
    head: RwLock<Head>,
    /// The next version, written but not committed by [`Store::stage`], so that the commit
    /// that follows a block's finalize does not redo the tree update.
    staged: Mutex<Option<Staged>>,
    /// Hashes of committed nodes, by node key (see `hash_cache`).
    node_hashes: NodeHashCache,
}

/// An uncommitted write transaction holding a whole next version.
struct Staged {
    version: u64,
    digest: [u8; 32],
    head: Head,
    txn: redb::WriteTransaction,
    /// Hashes of the nodes this version wrote; they join the cache when it commits.
    learned: Learned,
}

/// A digest of a change set, to recognise the staged one at commit.
fn changes_digest(changes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>) -> [u8; 32] {
    use sha2::Digest;
    let mut h = Sha256::new();
    for (key, value) in changes {
        h.update((key.len() as u64).to_be_bytes());
        h.update(key);
        match value {
            Some(v) => {
                h.update([1]);
                h.update((v.len() as u64).to_be_bytes());
                h.update(v);
            }
            None => h.update([0]),
        }
    }
    h.finalize().into()
}

impl Store {
    /// Opens (or creates) the store in the redb file at `path`, keeping
    /// [`DEFAULT_KEEP_VERSIONS`] versions.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        Self::open_with(path, StoreOptions::default())
    }

    pub fn open_with(path: impl AsRef<Path>, options: StoreOptions) -> Result<Store, StoreError> {
        let db = Database::create(path.as_ref()).map_err(backend("opening the store file"))?;
        initialize(&db)?;

        let txn = db.begin_read().map_err(backend("beginning a read"))?;
        let head = {
            let meta = txn.open_table(META).map_err(backend("opening meta"))?;
            read_head(&meta)?
        };
        // Check that the metadata, the roots table and the tree agree before serving anything.
        let roots = txn.open_table(ROOTS).map_err(backend("opening roots"))?;
        let recorded = read_root(&roots, head.version)?;
        if recorded != head.root {
            return Err(StoreError::Corrupt(format!(
                "metadata root of version {} differs from the roots table",
                head.version
            )));
        }
        let node_hashes = NodeHashCache::new(options.node_hash_cache);
        let tables = ReadTables::open(&txn)?;
        let tree_root = Sha256Jmt::new(&tables.view(&node_hashes))
            .get_root_hash(head.version)
            .map_err(|e| from_jmt("reading the latest tree root", e))?;
        if tree_root.0 != head.root {
            return Err(StoreError::Corrupt(format!(
                "the tree root of version {} does not match its recorded app hash",
                head.version
            )));
        }

        Ok(Store {
            db,
            keep_versions: options.keep_versions.max(1),
            head: RwLock::new(head),
            staged: Mutex::new(None),
            node_hashes,
        })
    }

    pub fn keep_versions(&self) -> u64 {
        self.keep_versions
    }

    /// Rewrites the store file at `path` so that it ends at the last page in use (redb's
    /// compaction: live pages move down into free ones, then the file is truncated). It needs
    /// the file to itself, so run it with the node stopped. Returns the file's length before
    /// and after.
    pub fn compact_file(path: impl AsRef<Path>) -> Result<(u64, u64), StoreError> {
        let path = path.as_ref();
        let len = |what| {
            std::fs::metadata(path)
                .map(|m| m.len())
                .map_err(|e| StoreError::Backend(format!("{what} {}: {e}", path.display())))
        };
        let before = len("reading the size of")?;
        let mut db = Database::open(path).map_err(backend("opening the store file"))?;
        while db
            .compact()
            .map_err(|e| StoreError::Backend(format!("compacting the store: {e}")))?
        {}
        drop(db);
        Ok((before, len("reading the size of")?))
    }

    /// How the store file's space is used. redb grows the file in large steps and reuses freed
    /// pages before growing again, so the file's length says little: `allocated_bytes` is what
    /// the data takes now.
    pub fn disk_usage(&self) -> Result<DiskUsage, StoreError> {
        use redb::ReadableTableMetadata;
        let txn = self
            .db
            .begin_write()
            .map_err(backend("beginning a write"))?;
        let stats = txn.stats().map_err(backend("reading the store's stats"))?;
        let mut tables = Vec::new();
        {
            let mut stored = |name: &'static str, t: redb::Result<redb::TableStats>| {
                let t = t.map_err(backend("reading a table's stats"))?;
                tables.push(TableUsage {
                    name,
                    stored_bytes: t.stored_bytes(),
                    page_bytes: t.stored_bytes() + t.metadata_bytes() + t.fragmented_bytes(),
                });
                Ok::<_, StoreError>(())
            };
            let open = |e| backend("opening a table")(e);
            stored("state", txn.open_table(FLAT).map_err(open)?.stats())?;
            stored("tree_nodes", txn.open_table(NODES).map_err(open)?.stats())?;
            stored("jmt_values", txn.open_table(VALUES).map_err(open)?.stats())?;
            stored(
                "preimages",
                txn.open_table(PREIMAGES).map_err(open)?.stats(),
            )?;
            stored(
                "stale_tree_nodes",
                txn.open_table(STALE_NODES).map_err(open)?.stats(),
            )?;
            stored(
                "stale_values",
                txn.open_table(STALE_VALUES).map_err(open)?.stats(),
            )?;
            stored("roots", txn.open_table(ROOTS).map_err(open)?.stats())?;
        }
        txn.abort().map_err(backend("ending a write"))?;
        Ok(DiskUsage {
            allocated_bytes: stats.allocated_pages() * stats.page_size() as u64,
            stored_bytes: stats.stored_bytes(),
            fragmented_bytes: stats.fragmented_bytes(),
            tables,
        })
    }

    /// The last committed version (block height); 0 before the first commit.
    pub fn latest_version(&self) -> u64 {
        self.cached_head().version
    }

    /// The JMT root of the latest version; [`EMPTY_ROOT`] at version 0.
    pub fn app_hash(&self) -> [u8; 32] {
        self.cached_head().root
    }

    /// The oldest version still readable by historical reads and proofs.
    pub fn oldest_version(&self) -> u64 {
        floor(&self.cached_head(), self.keep_versions)
    }

    /// The root of `version`, which must be within the kept versions.
    pub fn root_hash(&self, version: u64) -> Result<[u8; 32], StoreError> {
        let txn = self.db.begin_read().map_err(backend("beginning a read"))?;
        let head = read_head(&txn.open_table(META).map_err(backend("opening meta"))?)?;
        self.check_available(&head, version)?;
        let roots = txn.open_table(ROOTS).map_err(backend("opening roots"))?;
        read_root(&roots, version)
    }

    /// Commits `changes` (`Some` = write, `None` = delete) as `version`, which must be the
    /// latest version + 1, and returns the new app hash. Either all of it is durable when this
    /// returns `Ok`, or none of it is.
    ///
    /// Empty keys and empty values are refused (nothing is written): ics23 can prove neither,
    /// and an unprovable leaf would also break the absence proofs of its neighbours. The app
    /// must keep them out of its writes (CosmWasm already forbids empty values).
    pub fn commit(
        &self,
        version: u64,
        changes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    ) -> Result<[u8; 32], StoreError> {
        if let Some(staged) = self.take_staged() {
            if staged.version == version && staged.digest == changes_digest(changes) {
                staged.txn.commit().map_err(backend("committing"))?;
                self.node_hashes.extend(staged.learned.into_inner());
                self.advance_head(staged.head);
                return Ok(staged.head.root);
            }
            staged
                .txn
                .abort()
                .map_err(backend("discarding a stale stage"))?;
        }
        self.commit_inner(version, changes, Finish::Durable)
    }

    /// Computes and writes `changes` as `version` without committing, and returns its root.
    /// A following [`Store::commit`] of the same version and changes only makes it durable; a
    /// different commit, a new stage or a crash drops it. (The block's finalize stages, its
    /// commit commits: the tree update runs once per block.)
    pub fn stage(
        &self,
        version: u64,
        changes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    ) -> Result<[u8; 32], StoreError> {
        if let Some(old) = self.take_staged() {
            old.txn
                .abort()
                .map_err(backend("discarding a stale stage"))?;
        }
        let learned = Learned::default();
        let (txn, head) = self.write_next(version, changes, &learned)?;
        let mut slot = self.staged.lock().unwrap_or_else(|p| p.into_inner());
        *slot = Some(Staged {
            version,
            digest: changes_digest(changes),
            head,
            txn,
            learned,
        });
        Ok(head.root)
    }

    fn take_staged(&self) -> Option<Staged> {
        self.staged.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    fn advance_head(&self, head: Head) {
        let mut cached = self.head.write().unwrap_or_else(|p| p.into_inner());
        // Another commit may have finished in between; never move the cache backwards.
        if head.version > cached.version {
            *cached = head;
        }
    }

    /// The app hash that committing `changes` as the next version would give, without
    /// committing anything (the Cosmos "working hash", e.g. for `InitChain`'s answer). Costs
    /// about as much as a commit, less the disk flush.
    pub fn working_hash(
        &self,
        changes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    ) -> Result<[u8; 32], StoreError> {
        let next = self
            .latest_version()
            .checked_add(1)
            .ok_or_else(|| StoreError::Backend("the version counter is exhausted".into()))?;
        if let Some(old) = self.take_staged() {
            old.txn
                .abort()
                .map_err(backend("discarding a stale stage"))?;
        }
        self.commit_inner(next, changes, Finish::Discard)
    }

    /// Fills an empty store (version 0) with the whole state of `version`, as state sync
    /// restores it, and commits it only if the tree's root equals `expected_root` (the app
    /// hash the light client trusts for that height). On a mismatch nothing is written and
    /// the computed root is in the error. Versions below `version` never existed here: they
    /// count as pruned.
    pub fn restore(
        &self,
        version: u64,
        state: BTreeMap<Vec<u8>, Vec<u8>>,
        expected_root: [u8; 32],
    ) -> Result<[u8; 32], StoreError> {
        if version == 0 {
            return Err(StoreError::Backend("cannot restore version 0".into()));
        }
        if let Some(old) = self.take_staged() {
            old.txn
                .abort()
                .map_err(backend("discarding a stale stage"))?;
        }
        let changes: BTreeMap<Vec<u8>, Option<Vec<u8>>> =
            state.into_iter().map(|(k, v)| (k, Some(v))).collect();
        let txn = self
            .db
            .begin_write()
            .map_err(backend("beginning a restore"))?;
        let learned = Learned::default();
        let head = {
            let mut t = WriteTables::open(&txn, &self.node_hashes, &learned)?;
            let head = read_head(&t.meta)?;
            let has_state = t.flat.first().map_err(backend("reading state"))?.is_some();
            if head.version != 0 || has_state {
                return Err(StoreError::Backend(format!(
                    "restoring version {version} needs an empty store; this one is at version {}",
                    head.version
                )));
            }
            // jmt builds `version` on the root of `version - 1`: an empty one, as at version 0.
            let base = version - 1;
            if base > 0 {
                let root_key = encode_node_key(&root_node_key(base))?;
                t.nodes
                    .insert(
                        root_key.as_slice(),
                        encode_node(base, &Node::Null)?.as_slice(),
                    )
                    .map_err(backend("writing the empty base root"))?;
            }
            let base_head = Head {
                version: base,
                root: EMPTY_ROOT,
                pruned_below: 0,
            };
            // The base root above is in this transaction only: the tree reads it from here.
            let mut new_head = t.write_version(
                base_head,
                version,
                &changes,
                self.keep_versions,
                TreeBase::ThisTransaction,
            )?;
            new_head.pruned_below = version;
            write_head(&mut t.meta, &new_head)?;
            new_head
        };
        if head.root != expected_root {
            txn.abort().map_err(backend("discarding a restore"))?;
            return Err(StoreError::Corrupt(format!(
                "the restored state of version {version} has root {}, not the trusted app hash {}",
                hex::encode(head.root),
                hex::encode(expected_root)
            )));
        }
        txn.commit().map_err(backend("committing a restore"))?;
        self.node_hashes.extend(learned.into_inner());
        self.advance_head(head);
        Ok(head.root)
    }

    /// A snapshot of the latest committed state: the base of the next block's `Overlay`.
    pub fn snapshot(&self) -> Result<Arc<Snapshot>, StoreError> {
        let txn = self.db.begin_read().map_err(backend("beginning a read"))?;
        let head = read_head(&txn.open_table(META).map_err(backend("opening meta"))?)?;
        Ok(Arc::new(Snapshot::new(txn, head.version, head.root)?))
    }

    /// The value of `key` at `version`, one of the kept versions.
    pub fn get_at(&self, version: u64, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(backend("beginning a read"))?;
        let head = read_head(&txn.open_table(META).map_err(backend("opening meta"))?)?;
        self.check_available(&head, version)?;
        let values = txn
            .open_table(VALUES)
            .map_err(backend("opening jmt values"))?;
        let flat = txn.open_table(FLAT).map_err(backend("opening state"))?;
        let key_hash = KeyHash::with::<Sha256>(key);
        value_at(&flat, &values, key, &key_hash, version)
    }

    /// The value of `key` at `version` with an ics23 proof against [`Store::root_hash`] of that
    /// version: an existence proof when the key is present, a non-existence proof otherwise.
    /// Check it with [`verify_proof`].
    ///
    /// Fails for an empty key, and for a version whose tree is empty (ics23 cannot express
    /// absence without a neighbour).
    pub fn get_with_proof(
        &self,
        version: u64,
        key: &[u8],
    ) -> Result<(Option<Vec<u8>>, ics23::CommitmentProof), StoreError> {
        if key.is_empty() {
            return Err(StoreError::Backend(
                "no ics23 proof exists for an empty key".into(),
            ));
        }
        let txn = self.db.begin_read().map_err(backend("beginning a read"))?;
        let head = read_head(&txn.open_table(META).map_err(backend("opening meta"))?)?;
        self.check_available(&head, version)?;
        let roots = txn.open_table(ROOTS).map_err(backend("opening roots"))?;
        if read_root(&roots, version)? == EMPTY_ROOT {
            return Err(StoreError::Backend(format!(
                "version {version} has an empty tree: ics23 cannot prove absence in it"
            )));
        }
        let tables = ReadTables::open(&txn)?;
        Sha256Jmt::new(&tables.view(&self.node_hashes))
            .get_with_ics23_proof(key.to_vec(), version)
            .map_err(|e| from_jmt("building an ics23 proof", e))
    }

    fn cached_head(&self) -> Head {
        // A poisoned lock still holds a head that was only ever replaced whole.
        *self
            .head
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn check_available(&self, head: &Head, version: u64) -> Result<(), StoreError> {
        let oldest = floor(head, self.keep_versions);
        if version < oldest || version > head.version {
            return Err(StoreError::VersionUnavailable {
                version,
                oldest,
                latest: head.version,
            });
        }
        Ok(())
    }

    fn commit_inner(
        &self,
        version: u64,
        changes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
        finish: Finish,
    ) -> Result<[u8; 32], StoreError> {
        let learned = Learned::default();
        let (txn, head) = self.write_next(version, changes, &learned)?;
        match finish {
            Finish::Durable => {
                txn.commit().map_err(backend("committing"))?;
                self.node_hashes.extend(learned.into_inner());
            }
            Finish::Discard => {
                txn.abort().map_err(backend("discarding a preview"))?;
                return Ok(head.root);
            }
            #[cfg(test)]
            Finish::AbortBeforeCommit => {
                // Everything was computed and written into the transaction; dropping it here is
                // what a crash before redb's commit leaves on disk.
                txn.abort().map_err(backend("aborting"))?;
                return Err(StoreError::Backend("commit aborted by a test hook".into()));
            }
        }
        self.advance_head(head);
        Ok(head.root)
    }

    /// Opens a write transaction and writes `changes` as `version` into it (uncommitted).
    /// The hashes of the nodes it writes go into `learned`, for the cache once committed (the
    /// child hashes the tree update reads are committed data and go straight into the cache).
    fn write_next(
        &self,
        version: u64,
        changes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
        learned: &Learned,
    ) -> Result<(redb::WriteTransaction, Head), StoreError> {
        // ics23 proofs need non-empty keys and values, and an unprovable leaf would also break
        // the absence proofs of its neighbours: refuse them rather than store them.
        for (key, value) in changes {
            if key.is_empty() {
                return Err(StoreError::Backend(
                    "an empty key cannot be stored: ics23 cannot prove it".into(),
                ));
            }
            if value.as_ref().is_some_and(|v| v.is_empty()) {
                return Err(StoreError::Backend(format!(
                    "key {key:02x?} has an empty value, which ics23 cannot prove: \
                     delete the key or store a marker byte"
                )));
            }
        }
        let txn = self
            .db
            .begin_write()
            .map_err(backend("beginning a commit"))?;
        let head = {
            let mut t = WriteTables::open(&txn, &self.node_hashes, learned)?;
            let head = read_head(&t.meta)?;
            if head.version.checked_add(1) != Some(version) {
                return Err(StoreError::Backend(format!(
                    "commit of version {version} after version {}: versions must follow each other",
                    head.version
                )));
            }
            t.write_version(
                head,
                version,
                changes,
                self.keep_versions,
                TreeBase::LastCommit(&self.db),
            )?
        };
        Ok((txn, head))
    }

    /// Entry counts of every table, to check that pruning leaves nothing behind.
    #[cfg(test)]
    fn table_lens(&self) -> Result<BTreeMap<&'static str, u64>, StoreError> {
        use redb::ReadableTableMetadata;
        let txn = self.db.begin_read().map_err(backend("beginning a read"))?;
        let mut out = BTreeMap::new();
        for (name, def) in [
            ("nodes", NODES),
            ("values", VALUES),
            ("preimages", PREIMAGES),
            ("state", FLAT),
        ] {
            let t = txn.open_table(def).map_err(backend("opening a table"))?;
            out.insert(name, t.len().map_err(backend("counting"))?);
        }
        for (name, def) in [("stale_nodes", STALE_NODES), ("stale_values", STALE_VALUES)] {
            let t = txn.open_table(def).map_err(backend("opening a table"))?;
            out.insert(name, t.len().map_err(backend("counting"))?);
        }
        let t = txn.open_table(ROOTS).map_err(backend("opening a table"))?;
        out.insert("roots", t.len().map_err(backend("counting"))?);
        Ok(out)
    }
}

/// Checks an ics23 proof from [`Store::get_with_proof`]: membership of `key = value` when
/// `value` is `Some`, absence of `key` when it is `None`, against `root`.
pub fn verify_proof(
    root: &[u8; 32],
    key: &[u8],
    value: Option<&[u8]>,
    proof: &ics23::CommitmentProof,
) -> bool {
    let spec = jmt::ics23_spec();
    let root = root.to_vec();
    match value {
        Some(value) => {
            ics23::verify_membership::<ics23::HostFunctionsManager>(proof, &spec, &root, key, value)
        }
        None => {
            ics23::verify_non_membership::<ics23::HostFunctionsManager>(proof, &spec, &root, key)
        }
    }
}

/// How a commit ends: durably; discarded after computing the root (a preview); or (tests
/// only) aborted with an error after everything was written into the transaction, as a crash
/// just before redb's commit would leave it.
#[derive(Clone, Copy)]
enum Finish {
    Durable,
    Discard,
    #[cfg(test)]
    AbortBeforeCommit,
}

/// The oldest readable version: `keep` versions up to the latest, never below what was pruned.
fn floor(head: &Head, keep: u64) -> u64 {
    head.version
        .saturating_sub(keep.saturating_sub(1))
        .max(head.pruned_below)
}

/// Creates the tables and the version-0 state of a new file; checks the layout of an old one.
fn initialize(db: &Database) -> Result<(), StoreError> {
    let txn = db.begin_write().map_err(backend("beginning setup"))?;
    let format = txn
        .open_table(META)
        .map_err(backend("opening meta"))?
        .get(META_FORMAT)
        .map_err(backend("reading meta"))?
        .map(|g| g.value().to_vec());
    {
        match format.as_deref() {
            Some([f]) if *f == FORMAT => {}
            Some([1]) => {
                tracing::warn!(
                    "upgrading the state file from store layout 1 to {FORMAT} (once; an \
                     interrupted upgrade leaves the file as it was and starts over)"
                );
                let done = crate::migrate::layout_1_to_2(&txn)?;
                let mut meta = txn.open_table(META).map_err(backend("opening meta"))?;
                meta.insert(META_FORMAT, &[FORMAT][..])
                    .map_err(backend("writing meta"))?;
                tracing::warn!(
                    nodes = done.nodes,
                    latest_values = done.latest_values,
                    "state file upgraded to store layout {FORMAT}"
                );
            }
            Some(other) => {
                return Err(StoreError::Corrupt(format!(
                    "store layout {other:?}, this build reads [{FORMAT}]"
                )))
            }
            None => {
                // Setup reads no nodes: an off cache and an unused list.
                let (no_cache, unused) = (NodeHashCache::new(0), Learned::default());
                let mut t = WriteTables::open(&txn, &no_cache, &unused)?;
                // Version 0 is the empty tree. jmt builds version v on the root of v-1, so the
                // first commit needs a root node at version 0: an empty (`Null`) one.
                let root_key = encode_node_key(&root_node_key(0))?;
                t.nodes
                    .insert(root_key.as_slice(), encode_node(0, &Node::Null)?.as_slice())
                    .map_err(backend("writing the empty root"))?;
                t.roots
                    .insert(0, &EMPTY_ROOT[..])
                    .map_err(backend("writing the empty root"))?;
                let head = Head {
                    version: 0,
                    root: EMPTY_ROOT,
                    pruned_below: 0,
                };
                write_head(&mut t.meta, &head)?;
                t.meta
                    .insert(META_FORMAT, &[FORMAT][..])
                    .map_err(backend("writing meta"))?;
            }
        }
    }
    txn.commit().map_err(backend("committing setup"))
}

fn read_head<M>(meta: &M) -> Result<Head, StoreError>
where
    M: ReadableTable<&'static str, &'static [u8]>,
{
    let get = |name: &'static str| -> Result<Vec<u8>, StoreError> {
        meta.get(name)
            .map_err(backend("reading meta"))?
            .map(|g| g.value().to_vec())
            .ok_or_else(|| StoreError::Corrupt(format!("meta entry {name} is missing")))
    };
    Ok(Head {
        version: be_version(&get(META_LATEST_VERSION)?, META_LATEST_VERSION)?,
        root: hash32(&get(META_LATEST_ROOT)?, META_LATEST_ROOT)?,
        pruned_below: be_version(&get(META_PRUNED_BELOW)?, META_PRUNED_BELOW)?,
    })
}

fn write_head(meta: &mut Table<&str, &[u8]>, head: &Head) -> Result<(), StoreError> {
    meta.insert(META_LATEST_VERSION, &head.version.to_be_bytes()[..])
        .map_err(backend("writing meta"))?;
    meta.insert(META_LATEST_ROOT, &head.root[..])
        .map_err(backend("writing meta"))?;
    meta.insert(META_PRUNED_BELOW, &head.pruned_below.to_be_bytes()[..])
        .map_err(backend("writing meta"))?;
    Ok(())
}

fn read_root<T>(roots: &T, version: u64) -> Result<[u8; 32], StoreError>
where
    T: ReadableTable<u64, &'static [u8]>,
{
    let bytes = roots
        .get(version)
        .map_err(backend("reading roots"))?
        .ok_or_else(|| StoreError::Corrupt(format!("no root recorded for version {version}")))?;
    hash32(bytes.value(), "root")
}

/// Where a commit's tree update reads the version it builds on.
#[derive(Clone, Copy)]
enum TreeBase<'a> {
    /// The write transaction itself (a restore writes its empty base root there first).
    ThisTransaction,
    /// A read transaction of the last commit, which is that version: the write transaction
    /// that is open holds redb's only writer lock, so nothing commits in between.
    LastCommit(&'a Database),
}

/// jmt's update of the tree to `version` with `changes` (`hashes` are their keys' hashes).
///
/// A version that only writes goes through jmt's batch insert, which builds each internal node
/// it touches once, where inserting key by key rebuilds the path from the root for every key
/// (a block of 1,000 bids writes 5,000 keys: its tree update went from 73 to 21-26 ms). The
/// tree is canonical in its keys, so both ways give the same nodes, stale entries and root
/// (`batched_and_key_by_key_updates_are_identical` below). jmt's batch insert cannot delete, so
/// a version that deletes anything goes key by key.
fn update_tree<T>(
    view: &TreeView<'_, T>,
    version: u64,
    changes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    hashes: &[KeyHash],
) -> Result<(RootHash, TreeUpdateBatch), StoreError>
where
    T: ReadableTable<&'static [u8], &'static [u8]>,
{
    update_tree_by(
        view,
        version,
        changes,
        hashes,
        Insertion::BatchedIfOnlyWrites,
    )
}

/// How [`update_tree_by`] inserts.
#[derive(Clone, Copy)]
enum Insertion {
    BatchedIfOnlyWrites,
    /// The other way, for the test that both agree.
    #[cfg(test)]
    KeyByKey,
}

fn update_tree_by<T>(
    view: &TreeView<'_, T>,
    version: u64,
    changes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    hashes: &[KeyHash],
    insertion: Insertion,
) -> Result<(RootHash, TreeUpdateBatch), StoreError>
where
    T: ReadableTable<&'static [u8], &'static [u8]>,
{
    let tree = Sha256Jmt::new(view);
    let batched = match insertion {
        // jmt asserts that a batch is not empty.
        Insertion::BatchedIfOnlyWrites => {
            !changes.is_empty() && changes.values().all(Option::is_some)
        }
        #[cfg(test)]
        Insertion::KeyByKey => false,
    };
    if batched {
        // Every change is a write, so the flattened values line up with the hashes.
        let writes = hashes
            .iter()
            .copied()
            .zip(changes.values().flatten().cloned())
            .collect();
        let (roots, batch) = tree
            .batch_put_value_sets(vec![writes], None, version)
            .map_err(|e| from_jmt("computing the tree update", e))?;
        let root = roots
            .first()
            .copied()
            .ok_or_else(|| StoreError::Backend("jmt's batch insert returned no root".into()))?;
        return Ok((root, batch));
    }
    tree.put_value_set(
        hashes.iter().copied().zip(changes.values().cloned()),
        version,
    )
    .map_err(|e| from_jmt("computing the tree update", e))
}

/// [`update_tree`] over a read transaction of the last commit (see [`TreeBase::LastCommit`]).
/// What it reads is committed, so the child hashes it learns go straight into the cache.
fn update_tree_from_last_commit(
    db: &Database,
    cache: &NodeHashCache,
    version: u64,
    changes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    hashes: &[KeyHash],
) -> Result<(RootHash, TreeUpdateBatch), StoreError> {
    let txn = db.begin_read().map_err(backend("beginning a read"))?;
    let head = read_head(&txn.open_table(META).map_err(backend("opening meta"))?)?;
    if head.version.checked_add(1) != Some(version) {
        return Err(StoreError::Backend(format!(
            "the tree update for version {version} found version {} committed",
            head.version
        )));
    }
    let tables = ReadTables::open(&txn)?;
    update_tree(&tables.view(cache), version, changes, hashes)
}

/// Every table, opened in one write transaction.
struct WriteTables<'txn> {
    node_hashes: &'txn NodeHashCache,
    learned: &'txn Learned,
    meta: Table<'txn, &'static str, &'static [u8]>,
    roots: Table<'txn, u64, &'static [u8]>,
    nodes: Table<'txn, &'static [u8], &'static [u8]>,
    values: Table<'txn, &'static [u8], &'static [u8]>,
    preimages: Table<'txn, &'static [u8], &'static [u8]>,
    flat: Table<'txn, &'static [u8], &'static [u8]>,
    stale_nodes: Table<'txn, &'static [u8], ()>,
    stale_values: Table<'txn, &'static [u8], ()>,
}

impl<'txn> WriteTables<'txn> {
    fn open(
        txn: &'txn redb::WriteTransaction,
        node_hashes: &'txn NodeHashCache,
        learned: &'txn Learned,
    ) -> Result<Self, StoreError> {
        Ok(Self {
            node_hashes,
            learned,
            meta: txn.open_table(META).map_err(backend("opening meta"))?,
            roots: txn.open_table(ROOTS).map_err(backend("opening roots"))?,
            nodes: txn
                .open_table(NODES)
                .map_err(backend("opening jmt nodes"))?,
            values: txn
                .open_table(VALUES)
                .map_err(backend("opening jmt values"))?,
            preimages: txn
                .open_table(PREIMAGES)
                .map_err(backend("opening preimages"))?,
            flat: txn.open_table(FLAT).map_err(backend("opening state"))?,
            stale_nodes: txn
                .open_table(STALE_NODES)
                .map_err(backend("opening stale nodes"))?,
            stale_values: txn
                .open_table(STALE_VALUES)
                .map_err(backend("opening stale values"))?,
        })
    }

    /// Computes the tree of `version` and writes all of it; returns the new head.
    fn write_version(
        &mut self,
        head: Head,
        version: u64,
        changes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
        keep_versions: u64,
        base: TreeBase<'_>,
    ) -> Result<Head, StoreError> {
        let hashes: Vec<KeyHash> = changes.keys().map(KeyHash::with::<Sha256>).collect();
        let ((root, batch), stale_values) = match base {
            TreeBase::ThisTransaction => {
                let view = TreeView {
                    nodes: &self.nodes,
                    values: &self.values,
                    preimages: &self.preimages,
                    flat: &self.flat,
                    hashes: self.node_hashes,
                    learn: LearnInto::Pending(self.learned),
                };
                let update = update_tree(&view, version, changes, &hashes)?;
                (update, self.write_values(version, changes, &hashes)?)
            }
            // The tree update only reads nodes of versions before `version`, all committed, and
            // is most of a commit's CPU: it runs on a second thread over a read transaction
            // while this one writes the values into the write transaction.
            TreeBase::LastCommit(db) => {
                let cache = self.node_hashes;
                std::thread::scope(|scope| {
                    let tree = scope.spawn(|| {
                        update_tree_from_last_commit(db, cache, version, changes, &hashes)
                    });
                    let written = self.write_values(version, changes, &hashes);
                    let update = tree
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                    Ok::<_, StoreError>((update?, written?))
                })?
            }
        };

        let nodes: Vec<(Vec<u8>, Vec<u8>)> = batch
            .node_batch
            .nodes()
            .iter()
            .map(|(key, node)| Ok((encode_node_key(key)?, encode_node(key.version(), node)?)))
            .collect::<Result<_, StoreError>>()?;
        // The next block's update loads these nodes' parents, which need their hashes. (A
        // `Null` node is only ever an empty root, nobody's child.)
        for ((key, bytes), (_, node)) in nodes.iter().zip(batch.node_batch.nodes()) {
            if !matches!(node, Node::Null) {
                self.learned
                    .push(key.clone().into_boxed_slice(), stored_hash(bytes)?);
            }
        }
        append_all(
            &mut self.nodes,
            nodes
                .iter()
                .map(|(k, v)| (k.as_slice(), v.as_slice()))
                .collect(),
            "writing jmt nodes",
        )?;
        // jmt does not always list the previous root as stale (it copies the root of a version
        // without changes, and keeps an old empty root), yet no later version uses it.
        let previous_root = encode_node_key(&root_node_key(version - 1))?;
        let mut stale_nodes = vec![stale_node_key(version, &previous_root)];
        for index in &batch.stale_node_index_batch {
            let node_key = encode_node_key(&index.node_key)?;
            stale_nodes.push(stale_node_key(index.stale_since_version, &node_key));
        }
        // jmt may list the previous root itself: one index entry is enough.
        stale_nodes.sort();
        stale_nodes.dedup();
        let made_stale = stale_values.len() + stale_nodes.len() - 1;
        append_all(
            &mut self.stale_values,
            stale_values.iter().map(|k| (&k[..], ())).collect(),
            "indexing stale values",
        )?;
        append_all(
            &mut self.stale_nodes,
            stale_nodes.iter().map(|k| (k.as_slice(), ())).collect(),
            "indexing stale nodes",
        )?;

        self.roots
            .insert(version, &root.0[..])
            .map_err(backend("writing the root"))?;
        let mut new_head = Head {
            version,
            root: root.0,
            pruned_below: head.pruned_below,
        };
        new_head.pruned_below = floor(&new_head, keep_versions);
        write_head(&mut self.meta, &new_head)?;

        self.prune(
            new_head.pruned_below,
            MIN_PRUNE_PER_COMMIT.max(2 * made_stale),
        )?;
        Ok(new_head)
    }

    /// Writes the latest values of `changes` into `state` (moving what they replace into the
    /// history) and repacks the next slice of `state`. Returns the stale-value index entries,
    /// whose keys start with `version`: the caller appends them as one run.
    fn write_values(
        &mut self,
        version: u64,
        changes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
        hashes: &[KeyHash],
    ) -> Result<Vec<[u8; 48]>, StoreError> {
        let mut stale_values: Vec<[u8; 48]> = Vec::new();

        // `hashes` follows `changes` key by key.
        for ((key, value), key_hash) in changes.iter().zip(hashes) {
            // The latest value this one replaces (or deletes) moves to the history, where it
            // serves only versions before `version`.
            let previous = latest_entry(&self.flat, key)?;
            let Some((prev_version, prev_value)) = &previous else {
                if let Some(value) = value {
                    // A key that was absent: its preimage may have gone with its history.
                    self.preimages
                        .insert(&key_hash.0[..], key.as_slice())
                        .map_err(backend("writing a key preimage"))?;
                    self.flat
                        .insert(key.as_slice(), encode_latest(version, value).as_slice())
                        .map_err(backend("writing state"))?;
                }
                // Deleting an absent key changes no version's answer: nothing to record.
                continue;
            };
            self.values
                .insert(
                    &value_key(key_hash, *prev_version)[..],
                    encode_value(Some(prev_value)).as_slice(),
                )
                .map_err(backend("writing a jmt value"))?;
            stale_values.push(stale_value_key(version, key_hash, *prev_version));
            match value {
                Some(value) => {
                    self.flat
                        .insert(key.as_slice(), encode_latest(version, value).as_slice())
                        .map_err(backend("writing state"))?;
                }
                None => {
                    // A deletion marker only hides the older entries; once they are pruned
                    // (same `stale_since`), "no entry" answers the same, so it goes with them.
                    self.values
                        .insert(
                            &value_key(key_hash, version)[..],
                            encode_value(None).as_slice(),
                        )
                        .map_err(backend("writing a jmt value"))?;
                    stale_values.push(stale_value_key(version, key_hash, version));
                    self.flat
                        .remove(key.as_slice())
                        .map_err(backend("deleting state"))?;
                }
            }
        }

        self.repack_state(REPACK_PER_COMMIT.max(changes.len()))?;
        Ok(stale_values)
    }

    /// Rewrites the next slice of the `state` table (see [`repack_slice`]); where it stopped
    /// is kept in `meta`, so the slices go round the table. Only `state`: the tables keyed by
    /// hashes take inserts everywhere, which split packed pages right away (repacking them
    /// too changed nothing in the disk bench).
    fn repack_state(&mut self, budget: usize) -> Result<(), StoreError> {
        let from = self
            .meta
            .get(META_REPACK_STATE)
            .map_err(backend("reading meta"))?
            .map(|g| g.value().to_vec());
        let next = repack_slice(&mut self.flat, from.as_deref(), budget, "repacking state")?;
        match next {
            Some(key) => self.meta.insert(META_REPACK_STATE, key.as_slice()),
            None => self.meta.remove(META_REPACK_STATE),
        }
        .map_err(backend("writing meta"))?;
        Ok(())
    }

    /// Deletes what only versions below `oldest` used: nodes and values that became stale at
    /// or before `oldest`, and roots below it. At most `budget` entries of each kind; the rest
    /// waits for the next commit (the stale indexes are ordered by version, so the oldest go
    /// first and a deletion marker never outlives the entries it hides).
    fn prune(&mut self, oldest: u64, budget: usize) -> Result<(), StoreError> {
        let upper = stale_upper_bound(oldest);
        let bounds = (Bound::Unbounded, Bound::Excluded(&upper[..]));

        let stale: Vec<Vec<u8>> = self
            .stale_nodes
            .range::<&[u8]>(bounds)
            .map_err(backend("reading stale nodes"))?
            .take(budget)
            .map(|e| e.map(|(k, _)| k.value().to_vec()))
            .collect::<Result<_, _>>()
            .map_err(backend("reading stale nodes"))?;
        for index_key in &stale {
            self.nodes
                .remove(stale_node_target(index_key)?)
                .map_err(backend("pruning a jmt node"))?;
            self.stale_nodes
                .remove(index_key.as_slice())
                .map_err(backend("pruning a stale index"))?;
        }

        let stale: Vec<Vec<u8>> = self
            .stale_values
            .range::<&[u8]>(bounds)
            .map_err(backend("reading stale values"))?
            .take(budget)
            .map(|e| e.map(|(k, _)| k.value().to_vec()))
            .collect::<Result<_, _>>()
            .map_err(backend("reading stale values"))?;
        for index_key in &stale {
            let entry = parse_stale_value(index_key)?;
            self.values
                .remove(entry.target)
                .map_err(backend("pruning a jmt value"))?;
            self.stale_values
                .remove(index_key.as_slice())
                .map_err(backend("pruning a stale index"))?;
            // With no entry left, the key is absent from every kept version: proofs no longer
            // name it, so its preimage can go too. Only retiring a deletion marker can leave a
            // key without entries (a superseded entry leaves its successor), so only then look.
            if entry.is_own_marker
                && newest_value_presence(&self.values, &entry.key_hash, u64::MAX)?.is_none()
            {
                let live = match self
                    .preimages
                    .get(&entry.key_hash.0[..])
                    .map_err(backend("reading a key preimage"))?
                {
                    Some(key) => self
                        .flat
                        .get(key.value())
                        .map_err(backend("reading state"))?
                        .is_some(),
                    None => false,
                };
                if !live {
                    self.preimages
                        .remove(&entry.key_hash.0[..])
                        .map_err(backend("pruning a preimage"))?;
                }
            }
        }

        let old_roots: Vec<u64> = self
            .roots
            .range(..oldest)
            .map_err(backend("reading roots"))?
            .take(budget)
            .map(|e| e.map(|(k, _)| k.value()))
            .collect::<Result<_, _>>()
            .map_err(backend("reading roots"))?;
        for version in old_roots {
            self.roots
                .remove(version)
                .map_err(backend("pruning a root"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::StateRead;

    type Changes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

    fn changes(entries: &[(&str, Option<&str>)]) -> Changes {
        entries
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec())))
            .collect()
    }

    fn block(version: u64) -> Changes {
        // Overwrites, inserts and deletes, so every kind of stale entry appears.
        let mut c = Changes::new();
        for i in 0..20u64 {
            let key = format!("k{}", (i * 7 + version * 3) % 50).into_bytes();
            let value = !(version + i).is_multiple_of(5);
            c.insert(key, value.then(|| format!("v{version}-{i}").into_bytes()));
        }
        c
    }

    /// Both ways of inserting into the tree, on the same committed tree, give the same root,
    /// nodes and stale entries: the store may use either for any version that only writes.
    #[test]
    fn batched_and_key_by_key_updates_are_identical() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(backend("tempdir"))?;
        let store = Store::open(dir.path().join("state.redb"))?;
        let mut compared = 0;
        for version in 1..=12u64 {
            // Version 1 fills an empty tree; later ones overwrite, insert beside existing
            // leaves (splitting them) and, every third, delete as well (key by key then).
            let mut next = Changes::new();
            for i in 0..(40 + version * 17) {
                let key = format!("key-{}", (i * 13 + version * 7) % 400).into_bytes();
                next.insert(key, Some(format!("value-{version}-{i}").into_bytes()));
            }
            if version % 3 == 0 {
                for i in 0..10u64 {
                    next.insert(format!("key-{}", i * 31 % 400).into_bytes(), None);
                }
            }
            let hashes: Vec<KeyHash> = next.keys().map(KeyHash::with::<Sha256>).collect();
            let txn = store.db.begin_read().map_err(backend("beginning a read"))?;
            let tables = ReadTables::open(&txn)?;
            let view = tables.view(&store.node_hashes);
            let batched = update_tree_by(
                &view,
                version,
                &next,
                &hashes,
                Insertion::BatchedIfOnlyWrites,
            )?;
            let key_by_key = update_tree_by(&view, version, &next, &hashes, Insertion::KeyByKey)?;
            assert_eq!(batched.0, key_by_key.0, "root of version {version}");
            assert_eq!(
                batched.1.node_batch.nodes(),
                key_by_key.1.node_batch.nodes(),
                "nodes of version {version}"
            );
            assert_eq!(
                batched.1.stale_node_index_batch, key_by_key.1.stale_node_index_batch,
                "stale nodes of version {version}"
            );
            compared += 1;
            drop(tables);
            drop(txn);
            assert_eq!(store.commit(version, &next)?, batched.0 .0);
        }
        assert_eq!(compared, 12);
        Ok(())
    }

    #[test]
    fn a_new_store_is_at_version_zero_with_the_empty_root() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(backend("tempdir"))?;
        let store = Store::open(dir.path().join("state.redb"))?;
        assert_eq!(store.latest_version(), 0);
        assert_eq!(store.app_hash(), EMPTY_ROOT);
        assert_eq!(store.root_hash(0)?, EMPTY_ROOT);
        assert_eq!(store.snapshot()?.get(b"a")?, None);
        Ok(())
    }

    #[test]
    fn deleting_every_key_brings_back_the_empty_root() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(backend("tempdir"))?;
        let store = Store::open(dir.path().join("state.redb"))?;
        let root1 = store.commit(1, &changes(&[("a", Some("1")), ("b", Some("2"))]))?;
        assert_ne!(root1, EMPTY_ROOT);
        let root2 = store.commit(2, &changes(&[("a", None), ("b", None)]))?;
        assert_eq!(root2, EMPTY_ROOT);
        // And an empty tree can grow again.
        let root3 = store.commit(3, &changes(&[("a", Some("1")), ("b", Some("2"))]))?;
        assert_eq!(root3, root1);
        Ok(())
    }

    #[test]
    fn an_aborted_commit_leaves_the_previous_version_and_a_retry_matches_an_uninterrupted_run(
    ) -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(backend("tempdir"))?;
        let path = dir.path().join("state.redb");
        let reference = Store::open(dir.path().join("reference.redb"))?;
        let store = Store::open(&path)?;
        for v in 1..=3 {
            reference.commit(v, &block(v))?;
            store.commit(v, &block(v))?;
        }
        let root3 = store.app_hash();
        let reference_root4 = reference.commit(4, &block(4))?;

        let err = store.commit_inner(4, &block(4), Finish::AbortBeforeCommit);
        assert!(err.is_err());
        assert_eq!(store.latest_version(), 3);
        drop(store);

        let store = Store::open(&path)?;
        assert_eq!(store.latest_version(), 3);
        assert_eq!(store.app_hash(), root3);
        assert_eq!(store.snapshot()?.get(b"k4")?, reference.get_at(3, b"k4")?);
        assert_eq!(store.commit(4, &block(4))?, reference_root4);
        Ok(())
    }

    #[test]
    fn compaction_shrinks_the_file_and_keeps_every_kept_version() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(backend("tempdir"))?;
        let path = dir.path().join("state.redb");
        let big = "v".repeat(2_000);
        {
            let store = Store::open_with(&path, StoreOptions::keeping(2))?;
            // Many large values, then all deleted: their pages are freed, the file stays.
            let fill: Changes = (0..2_000)
                .map(|i| {
                    (
                        format!("k{i:05}").into_bytes(),
                        Some(big.clone().into_bytes()),
                    )
                })
                .collect();
            store.commit(1, &fill)?;
            let clear: Changes = fill.keys().map(|k| (k.clone(), None)).collect();
            store.commit(2, &clear)?;
            for v in 3..=6 {
                store.commit(v, &changes(&[("kept", Some(&format!("{v}")))]))?;
            }
            let usage = store.disk_usage()?;
            assert!(usage.allocated_bytes > 0 && usage.stored_bytes > 0);
            assert!(usage.tables.iter().any(|t| t.name == "tree_nodes"));
        }
        let reference = Store::open_with(&path, StoreOptions::keeping(2))?;
        let (root, old_value) = (reference.app_hash(), reference.get_at(5, b"kept")?);
        drop(reference);

        let (before, after) = Store::compact_file(&path)?;
        assert!(after < before, "{before} → {after}");
        let store = Store::open_with(&path, StoreOptions::keeping(2))?;
        assert_eq!(store.app_hash(), root);
        assert_eq!(store.get_at(5, b"kept")?, old_value);
        assert_eq!(store.snapshot()?.get(b"kept")?, Some(b"6".to_vec()));
        assert_eq!(store.commit(7, &block(7))?, store.app_hash());
        Ok(())
    }

    #[test]
    fn the_working_hash_previews_the_next_root_without_committing() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(backend("tempdir"))?;
        let store = Store::open(dir.path().join("state.redb"))?;
        store.commit(1, &block(1))?;
        let preview = store.working_hash(&block(2))?;
        assert_eq!(store.latest_version(), 1);
        assert_eq!(store.snapshot()?.version(), 1);
        assert_eq!(store.commit(2, &block(2))?, preview);
        Ok(())
    }

    #[test]
    fn commits_out_of_order_or_with_empty_keys_or_values_are_refused() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(backend("tempdir"))?;
        let store = Store::open(dir.path().join("state.redb"))?;
        assert!(store.commit(2, &block(2)).is_err());
        assert!(store.commit(0, &block(0)).is_err());
        assert!(store.commit(1, &changes(&[("", Some("x"))])).is_err());
        assert!(store
            .commit(1, &changes(&[("a", Some("x")), ("b", Some(""))]))
            .is_err());
        assert_eq!(store.latest_version(), 0);
        store.commit(1, &block(1))?;
        assert!(store.commit(1, &block(1)).is_err());
        assert_eq!(store.latest_version(), 1);
        Ok(())
    }

    /// With one kept version, pruning must leave exactly what a store holding only the final
    /// state has: no leaked nodes, values, preimages or index entries.
    #[test]
    fn pruning_leaves_exactly_the_latest_tree() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(backend("tempdir"))?;
        let long = Store::open_with(dir.path().join("long.redb"), StoreOptions::keeping(1))?;
        let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for v in 1..=30 {
            let c = block(v);
            // Every few blocks, one without changes (jmt copies the root then).
            let c = if v % 7 == 0 { Changes::new() } else { c };
            for (k, val) in &c {
                match val {
                    Some(val) => model.insert(k.clone(), val.clone()),
                    None => model.remove(k),
                };
            }
            long.commit(v, &c)?;
        }
        let fresh = Store::open_with(dir.path().join("fresh.redb"), StoreOptions::keeping(1))?;
        let all: Changes = model
            .iter()
            .map(|(k, v)| (k.clone(), Some(v.clone())))
            .collect();
        assert_eq!(fresh.commit(1, &all)?, long.app_hash());

        let lens = long.table_lens()?;
        assert_eq!(lens, fresh.table_lens()?);
        assert_eq!(lens["state"], model.len() as u64);
        // Latest values live in `state` only; with one kept version there is no history.
        assert_eq!(lens["values"], 0);
        assert_eq!(lens["preimages"], model.len() as u64);
        assert_eq!(lens["stale_nodes"], 0);
        assert_eq!(lens["stale_values"], 0);
        assert_eq!(lens["roots"], 1);
        Ok(())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 32, ..Default::default() })]

        /// The same as above over random blocks (deletes of absent keys, re-inserts after
        /// deletes, empty blocks), with one kept version.
        #[test]
        fn pruning_leaves_nothing_behind_for_random_blocks(
            blocks in proptest::collection::vec(
                proptest::collection::btree_map(
                    proptest::collection::vec(0u8..8, 1..3),
                    proptest::option::of(proptest::collection::vec(1u8..4, 1..3)),
                    0..12,
                ),
                1..10,
            ),
        ) {
            let dir = tempfile::tempdir().map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            let fail = |e: StoreError| proptest::test_runner::TestCaseError::fail(e.to_string());
            let one = StoreOptions::keeping(1);
            let long = Store::open_with(dir.path().join("long.redb"), one.clone()).map_err(fail)?;
            let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
            for (i, c) in blocks.iter().enumerate() {
                for (k, v) in c {
                    match v {
                        Some(v) => model.insert(k.clone(), v.clone()),
                        None => model.remove(k),
                    };
                }
                long.commit(i as u64 + 1, c).map_err(fail)?;
            }
            let fresh = Store::open_with(dir.path().join("fresh.redb"), one).map_err(fail)?;
            let all: Changes = model.iter().map(|(k, v)| (k.clone(), Some(v.clone()))).collect();
            proptest::prop_assert_eq!(fresh.commit(1, &all).map_err(fail)?, long.app_hash());
            let lens = long.table_lens().map_err(fail)?;
            proptest::prop_assert_eq!(&lens, &fresh.table_lens().map_err(fail)?);
            proptest::prop_assert_eq!(lens["preimages"], model.len() as u64);
            proptest::prop_assert_eq!(lens["stale_values"] + lens["stale_nodes"], 0);
        }
    }
}
