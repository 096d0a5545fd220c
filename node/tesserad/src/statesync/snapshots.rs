//! The snapshots this node takes and serves: one every `interval` blocks, written by a
//! background thread from a read view of the just-committed version (redb keeps that version
//! readable while blocks go on), the newest `keep_recent` kept.
//!
//! ```text
//! DATA/snapshots/<height>/metadata     the chunks' hashes (format::Metadata)
//! DATA/snapshots/<height>/<index>      chunk files
//! DATA/snapshots/<height>.partial/     a snapshot being written (ignored, removed on start)
//! ```

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tessera_store::{Snapshot, StateRead};

use super::format::{self, ChunkWriter, Metadata, SnapshotInfo, FORMAT};

/// `[state_sync]` of app.toml, as the snapshot taker needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotSettings {
    /// Take a snapshot at every height divisible by this; 0 takes none.
    pub interval: u64,
    /// Snapshots kept (older ones are deleted when a new one is complete).
    pub keep_recent: u32,
    pub chunk_bytes: usize,
}

pub struct Snapshots {
    dir: PathBuf,
    settings: SnapshotSettings,
    /// One snapshot is written at a time; a due height that finds one running is skipped.
    busy: Arc<AtomicBool>,
}

impl Snapshots {
    /// Opens `dir`, dropping snapshots left half-written by a crash.
    pub fn open(dir: impl Into<PathBuf>, settings: SnapshotSettings) -> Result<Self, String> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.extension().is_some_and(|e| e == "partial") {
                let _ = std::fs::remove_dir_all(&path);
            }
        }
        Ok(Self {
            dir,
            settings,
            busy: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Whether a snapshot is due at this freshly committed height.
    pub fn is_due(&self, height: u64) -> bool {
        self.settings.interval > 0 && height > 0 && height.is_multiple_of(self.settings.interval)
    }

    /// Writes a snapshot of `state` on a background thread; skipped (with a log line) while
    /// another is being written.
    pub fn take_in_background(&self, state: Arc<Snapshot>) {
        if self.busy.swap(true, Ordering::AcqRel) {
            tracing::warn!(
                height = state.version(),
                "a snapshot is still being written; this height is skipped"
            );
            return;
        }
        let dir = self.dir.clone();
        let settings = self.settings.clone();
        let busy = self.busy.clone();
        let spawned = std::thread::Builder::new()
            .name("snapshot".into())
            .spawn(move || {
                let started = std::time::Instant::now();
                match write_snapshot(&dir, &settings, &state) {
                    Ok(info) => tracing::info!(
                        height = info.height,
                        chunks = info.chunks,
                        took_ms = started.elapsed().as_millis() as u64,
                        "snapshot taken"
                    ),
                    Err(e) => {
                        tracing::error!(height = state.version(), error = %e, "snapshot failed")
                    }
                }
                busy.store(false, Ordering::Release);
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "starting the snapshot thread");
            self.busy.store(false, Ordering::Release);
        }
    }

    /// Writes a snapshot of `state` now (tests, and `tesserad snapshot`-style tools).
    pub fn take(&self, state: &Snapshot) -> Result<SnapshotInfo, String> {
        write_snapshot(&self.dir, &self.settings, state)
    }

    /// The complete snapshots, newest first.
    pub fn list(&self) -> Result<Vec<SnapshotInfo>, String> {
        let mut heights = complete_heights(&self.dir)?;
        heights.sort_unstable_by(|a, b| b.cmp(a));
        heights
            .into_iter()
            .map(|h| read_info(&self.dir, h))
            .collect()
    }

    /// One chunk of a kept snapshot; `None` if there is no such snapshot or chunk.
    pub fn load_chunk(&self, height: u64, format: u32, index: u32) -> Option<Vec<u8>> {
        if format != FORMAT {
            return None;
        }
        std::fs::read(snapshot_dir(&self.dir, height).join(index.to_string())).ok()
    }
}

fn snapshot_dir(dir: &Path, height: u64) -> PathBuf {
    dir.join(height.to_string())
}

fn complete_heights(dir: &Path) -> Result<Vec<u64>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.parse::<u64>().ok())
        .collect())
}

fn read_info(dir: &Path, height: u64) -> Result<SnapshotInfo, String> {
    let path = snapshot_dir(dir, height).join("metadata");
    let metadata = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let decoded = Metadata::decode(&metadata).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(SnapshotInfo {
        height,
        format: FORMAT,
        chunks: decoded.chunk_hashes.len() as u32,
        hash: decoded.hash().to_vec(),
        metadata,
    })
}

fn write_snapshot(
    dir: &Path,
    settings: &SnapshotSettings,
    state: &Snapshot,
) -> Result<SnapshotInfo, String> {
    let height = state.version();
    let partial = dir.join(format!("{height}.partial"));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial).map_err(|e| format!("{}: {e}", partial.display()))?;
    let mut hashes = Vec::new();
    let mut save = |chunk: Vec<u8>| -> Result<(), String> {
        let path = partial.join(hashes.len().to_string());
        std::fs::write(&path, &chunk).map_err(|e| format!("{}: {e}", path.display()))?;
        hashes.push(format::sha256(&chunk));
        Ok(())
    };
    let mut writer = ChunkWriter::new(settings.chunk_bytes);
    let entries = state
        .range(Bound::Unbounded, Bound::Unbounded, false)
        .map_err(|e| e.to_string())?;
    for entry in entries {
        let (key, value) = entry.map_err(|e| e.to_string())?;
        if let Some(chunk) = writer.push(&key, &value) {
            save(chunk)?;
        }
    }
    if let Some(chunk) = writer.finish() {
        save(chunk)?;
    }
    let metadata = Metadata {
        chunk_hashes: hashes,
    };
    let info = SnapshotInfo {
        height,
        format: FORMAT,
        chunks: metadata.chunk_hashes.len() as u32,
        hash: metadata.hash().to_vec(),
        metadata: metadata.encode(),
    };
    let path = partial.join("metadata");
    std::fs::write(&path, &info.metadata).map_err(|e| format!("{}: {e}", path.display()))?;
    let done = snapshot_dir(dir, height);
    let _ = std::fs::remove_dir_all(&done);
    std::fs::rename(&partial, &done).map_err(|e| format!("{}: {e}", done.display()))?;
    prune(dir, settings.keep_recent)?;
    Ok(info)
}

/// Deletes all but the newest `keep` snapshots (at least one is kept).
fn prune(dir: &Path, keep: u32) -> Result<(), String> {
    let mut heights = complete_heights(dir)?;
    heights.sort_unstable_by(|a, b| b.cmp(a));
    for old in heights.into_iter().skip(keep.max(1) as usize) {
        let path = snapshot_dir(dir, old);
        std::fs::remove_dir_all(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}
