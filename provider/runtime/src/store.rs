//! Content-addressed storage under the data dir: `objects/<first 2 hex>/<sha256 hex>`.
//! Writing is idempotent (an object that exists is not rewritten) and atomic (temp file, then
//! rename), so a crash never leaves a truncated object under its hash.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Result, RuntimeError};

pub type Hash = [u8; 32];

#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    pub fn open(data_dir: &Path) -> Result<Store> {
        let root = data_dir.join("objects");
        std::fs::create_dir_all(&root).map_err(|e| RuntimeError::io(&root, e))?;
        Ok(Store { root })
    }

    pub fn path(&self, hash: &Hash) -> PathBuf {
        let hex = hex::encode(hash);
        self.root.join(&hex[..2]).join(hex)
    }

    /// Stores `bytes`, returning their sha256.
    pub fn put(&self, bytes: &[u8]) -> Result<Hash> {
        let hash: Hash = Sha256::digest(bytes).into();
        let path = self.path(&hash);
        if path.exists() {
            return Ok(hash);
        }
        let dir = path.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(dir).map_err(|e| RuntimeError::io(dir, e))?;
        let tmp = dir.join(format!(
            ".{}.{}.tmp",
            hex::encode(&hash[..8]),
            std::process::id()
        ));
        std::fs::write(&tmp, bytes).map_err(|e| RuntimeError::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| RuntimeError::io(&path, e))?;
        Ok(hash)
    }

    pub fn get(&self, hash: &Hash) -> Result<Vec<u8>> {
        let path = self.path(hash);
        std::fs::read(&path).map_err(|e| RuntimeError::io(&path, e))
    }
}
