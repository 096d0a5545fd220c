//! Keyrings: where named keys live between commands, in the habits of the Cosmos SDK's
//! `--keyring-backend`: `file` seals each secret under a password (scrypt + XChaCha20-Poly1305),
//! `test` keeps secrets in plain files for dev chains and CI, `memory` keeps nothing on disk.
//! Each key is one JSON file `<dir>/<name>.json`, written atomically with mode 0600.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::key::{validate_key_name, Key, KeyError, KeyInfo, Secret, ADDRESS_PREFIX};
use super::sealed::{self, Sealed};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    File,
    Test,
    Memory,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::File => "file",
            Backend::Test => "test",
            Backend::Memory => "memory",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Backend {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "file" => Ok(Backend::File),
            "test" => Ok(Backend::Test),
            "memory" => Ok(Backend::Memory),
            other => Err(format!(
                "unknown keyring backend {other:?}; use file, test or memory"
            )),
        }
    }
}

/// Why a password is asked for: a new one is typed twice by interactive sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordPurpose {
    Unlock,
    New,
}

/// Supplies the `file` keyring's password: from the environment, a prompt, or a test's constant.
pub type PasswordSource =
    Box<dyn Fn(PasswordPurpose) -> Result<Zeroizing<String>, String> + Send + Sync>;

/// A key's file: public facts in the clear, the secret plain (`test`) or sealed (`file`).
#[derive(Serialize, Deserialize)]
struct Record {
    #[serde(flatten)]
    info: KeyInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed: Option<Sealed>,
}

/// The text `keys export` prints and `keys import` reads: the secret sealed under an export
/// passphrase, whatever backend it came from.
#[derive(Serialize, Deserialize)]
struct Export {
    #[serde(rename = "type")]
    kind: String,
    version: u32,
    name: String,
    address: String,
    sealed: Sealed,
}

const EXPORT_TYPE: &str = "tessera-key";

pub struct Keyring {
    backend: Backend,
    dir: PathBuf,
    password: Option<PasswordSource>,
    memory: BTreeMap<String, Key>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("backend", &self.backend)
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// The keyring of `backend` under `home` (`<home>/keyring-file`, `<home>/keyring-test`).
    /// `password` is needed by the `file` backend only, and only when a secret is touched.
    pub fn open(backend: Backend, home: &Path, password: Option<PasswordSource>) -> Self {
        Self {
            backend,
            dir: home.join(format!("keyring-{backend}")),
            password,
            memory: BTreeMap::new(),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stores `key` under its name; refuses to overwrite.
    pub fn add(&mut self, key: Key) -> Result<KeyInfo, KeyError> {
        validate_key_name(&key.name)?;
        if self.exists(&key.name) {
            return Err(KeyError::Exists(key.name.clone()));
        }
        let info = key.info();
        match self.backend {
            Backend::Memory => {
                self.memory.insert(key.name.clone(), key);
            }
            Backend::Test => self.write(&Record {
                info: info.clone(),
                secret: Some(key.secret().clone()),
                sealed: None,
            })?,
            Backend::File => {
                let password = self.password(PasswordPurpose::New)?;
                let plain = Zeroizing::new(secret_json(key.secret()));
                let sealed = sealed::seal(plain.as_bytes(), &password)?;
                self.write(&Record {
                    info: info.clone(),
                    secret: None,
                    sealed: Some(sealed),
                })?
            }
        }
        Ok(info)
    }

    fn exists(&self, name: &str) -> bool {
        match self.backend {
            Backend::Memory => self.memory.contains_key(name),
            _ => self.path_of(name).exists(),
        }
    }

    /// Every key's public facts, by name.
    pub fn list(&self) -> Result<Vec<KeyInfo>, KeyError> {
        if self.backend == Backend::Memory {
            return Ok(self.memory.values().map(Key::info).collect());
        }
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(file_error(&self.dir, e)),
        };
        let mut keys = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| file_error(&self.dir, e))?.path();
            if path.extension().is_some_and(|e| e == "json") {
                keys.push(read_record(&path)?.info);
            }
        }
        keys.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(keys)
    }

    /// A key's public facts; accepts a name or one of the keyring's addresses.
    pub fn show(&self, name_or_address: &str) -> Result<KeyInfo, KeyError> {
        if self.backend == Backend::Memory || !name_or_address.starts_with(ADDRESS_PREFIX) {
            if let Ok(record) = self.record(name_or_address) {
                return Ok(record);
            }
        }
        self.list()?
            .into_iter()
            .find(|k| k.address == name_or_address || k.name == name_or_address)
            .ok_or_else(|| KeyError::NotFound(name_or_address.to_string()))
    }

    fn record(&self, name: &str) -> Result<KeyInfo, KeyError> {
        validate_key_name(name).map_err(|_| KeyError::NotFound(name.to_string()))?;
        match self.backend {
            Backend::Memory => self
                .memory
                .get(name)
                .map(Key::info)
                .ok_or_else(|| KeyError::NotFound(name.to_string())),
            _ => self.read(name).map(|r| r.info),
        }
    }

    /// The usable key (unlocks a `file` key with the password).
    pub fn key(&self, name_or_address: &str) -> Result<Key, KeyError> {
        let name = self.show(name_or_address)?.name;
        match self.backend {
            Backend::Memory => {
                let key = &self.memory[&name];
                Key::from_secret(&name, key.secret().clone())
            }
            _ => {
                let record = self.read(&name)?;
                let secret = self.unseal(&record)?;
                let key = Key::from_secret(&name, secret)?;
                if key.address() != record.info.address {
                    return Err(KeyError::File {
                        path: self.path_of(&name).display().to_string(),
                        reason: format!(
                            "its secret gives {}, but the file says {}; the file was edited",
                            key.address(),
                            record.info.address
                        ),
                    });
                }
                Ok(key)
            }
        }
    }

    fn unseal(&self, record: &Record) -> Result<Secret, KeyError> {
        match (&record.secret, &record.sealed) {
            (Some(secret), _) => Ok(secret.clone()),
            (None, Some(sealed)) => {
                let password = self.password(PasswordPurpose::Unlock)?;
                let plain = sealed::open(sealed, &password)?;
                parse_secret(&plain)
            }
            (None, None) => Err(KeyError::File {
                path: self.path_of(&record.info.name).display().to_string(),
                reason: "holds no secret".into(),
            }),
        }
    }

    pub fn delete(&mut self, name: &str) -> Result<KeyInfo, KeyError> {
        let info = self.record(name)?;
        match self.backend {
            Backend::Memory => {
                self.memory.remove(name);
            }
            _ => {
                let path = self.path_of(name);
                std::fs::remove_file(&path).map_err(|e| file_error(&path, e))?;
            }
        }
        Ok(info)
    }

    /// The key's secret sealed under `passphrase`, as text for `import` on another machine.
    pub fn export(&self, name: &str, passphrase: &str) -> Result<String, KeyError> {
        let key = self.key(name)?;
        let plain = Zeroizing::new(secret_json(key.secret()));
        let export = Export {
            kind: EXPORT_TYPE.into(),
            version: 1,
            name: key.name.clone(),
            address: key.address(),
            sealed: sealed::seal(plain.as_bytes(), passphrase)?,
        };
        Ok(serde_json::to_string_pretty(&export).unwrap_or_default())
    }

    /// Stores under `name` a key exported by [`Keyring::export`].
    pub fn import(
        &mut self,
        name: &str,
        text: &str,
        passphrase: &str,
    ) -> Result<KeyInfo, KeyError> {
        let bad = |reason: String| KeyError::File {
            path: "(import)".into(),
            reason,
        };
        let export: Export = serde_json::from_str(text)
            .map_err(|e| bad(format!("not an exported Tessera key: {e}")))?;
        if export.kind != EXPORT_TYPE || export.version != 1 {
            return Err(bad(format!(
                "type {:?} version {} is not a Tessera key export (version 1)",
                export.kind, export.version
            )));
        }
        let plain = sealed::open(&export.sealed, passphrase)?;
        let key = Key::from_secret(name, parse_secret(&plain)?)?;
        if key.address() != export.address {
            return Err(bad(format!(
                "the secret gives {}, but the export says {}",
                key.address(),
                export.address
            )));
        }
        self.add(key)
    }

    fn password(&self, purpose: PasswordPurpose) -> Result<Zeroizing<String>, KeyError> {
        let source = self.password.as_ref().ok_or_else(|| KeyError::Password {
            backend: self.backend.as_str(),
            reason: "no password source was given".into(),
        })?;
        let password = source(purpose).map_err(|reason| KeyError::Password {
            backend: self.backend.as_str(),
            reason,
        })?;
        if password.is_empty() {
            return Err(KeyError::Password {
                backend: self.backend.as_str(),
                reason: "the password is empty".into(),
            });
        }
        Ok(password)
    }

    fn path_of(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    fn read(&self, name: &str) -> Result<Record, KeyError> {
        let path = self.path_of(name);
        if !path.exists() {
            return Err(KeyError::NotFound(name.to_string()));
        }
        read_record(&path)
    }

    fn write(&self, record: &Record) -> Result<(), KeyError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| file_error(&self.dir, e))?;
        restrict(&self.dir, 0o700);
        let path = self.path_of(&record.info.name);
        let tmp = path.with_extension("json.tmp");
        let text = Zeroizing::new(serde_json::to_string_pretty(record).unwrap_or_default());
        write_private(&tmp, text.as_bytes()).map_err(|e| file_error(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| file_error(&path, e))
    }
}

fn secret_json(secret: &Secret) -> String {
    serde_json::to_string(secret).unwrap_or_default()
}

fn parse_secret(plain: &[u8]) -> Result<Secret, KeyError> {
    serde_json::from_slice(plain).map_err(|e| KeyError::File {
        path: "(sealed secret)".into(),
        reason: format!("opened, but does not hold a key: {e}"),
    })
}

fn read_record(path: &Path) -> Result<Record, KeyError> {
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| file_error(path, e))?);
    serde_json::from_str(&text).map_err(|e| file_error(path, e))
}

fn file_error(path: &Path, e: impl fmt::Display) -> KeyError {
    KeyError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(unix)]
fn restrict(dir: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    // Best effort: a keyring in a directory we do not own keeps that directory's mode.
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode));
}

#[cfg(not(unix))]
fn restrict(_dir: &Path, _mode: u32) {}

#[cfg(test)]
mod tests {
    use super::super::key::{tests::dev_address, DEFAULT_HD_PATH};
    use super::*;

    const ALICE: &str = "fiscal switch exercise hire license hint hood zone secret drink grass choice design thunder grocery alarm kid dial face proof tide deny right fatigue";

    fn fixed(password: &'static str) -> Option<PasswordSource> {
        Some(Box::new(move |_| Ok(Zeroizing::new(password.to_string()))))
    }

    fn alice() -> Key {
        Key::from_mnemonic("alice", ALICE, DEFAULT_HD_PATH).unwrap()
    }

    #[test]
    fn a_file_keyring_seals_secrets_and_unlocks_them_with_the_password() {
        let home = tempfile::tempdir().unwrap();
        let mut ring = Keyring::open(Backend::File, home.path(), fixed("correct horse"));
        let info = ring.add(alice()).unwrap();
        assert_eq!(info.address, dev_address("alice"));
        let on_disk = std::fs::read_to_string(home.path().join("keyring-file/alice.json")).unwrap();
        assert!(
            !on_disk.contains("fiscal"),
            "the mnemonic is on disk in the clear"
        );
        assert!(on_disk.contains(&info.address));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(home.path().join("keyring-file/alice.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        let reopened = Keyring::open(Backend::File, home.path(), fixed("correct horse"));
        assert_eq!(reopened.key("alice").unwrap().address(), info.address);
        // Listing and showing need no password.
        let locked = Keyring::open(Backend::File, home.path(), None);
        assert_eq!(locked.list().unwrap(), vec![info.clone()]);
        assert_eq!(locked.show(&info.address).unwrap().name, "alice");
        let err = locked.key("alice").unwrap_err();
        assert!(err.to_string().contains("needs a password"), "{err}");

        let wrong = Keyring::open(Backend::File, home.path(), fixed("battery staple"));
        let err = wrong.key("alice").unwrap_err();
        assert_eq!(
            err.to_string(),
            "wrong password, or the sealed data was changed"
        );
    }

    #[test]
    fn the_test_keyring_needs_no_password_and_refuses_duplicates() {
        let home = tempfile::tempdir().unwrap();
        let mut ring = Keyring::open(Backend::Test, home.path(), None);
        ring.add(alice()).unwrap();
        let err = ring.add(alice()).unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        assert_eq!(ring.key("alice").unwrap().address(), dev_address("alice"));
        ring.delete("alice").unwrap();
        assert!(matches!(ring.key("alice"), Err(KeyError::NotFound(_))));
        assert!(matches!(ring.delete("alice"), Err(KeyError::NotFound(_))));
    }

    #[test]
    fn an_exported_key_imports_under_its_passphrase_into_another_keyring() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let mut from = Keyring::open(Backend::Test, a.path(), None);
        from.add(alice()).unwrap();
        let text = from.export("alice", "move me").unwrap();
        assert!(!text.contains("fiscal"));

        let mut to = Keyring::open(Backend::File, b.path(), fixed("pw"));
        let err = to.import("alice2", &text, "wrong").unwrap_err();
        assert!(err.to_string().contains("wrong password"), "{err}");
        assert!(
            to.list().unwrap().is_empty(),
            "a failed import left a key behind"
        );
        let info = to.import("alice2", &text, "move me").unwrap();
        assert_eq!(info.address, dev_address("alice"));
        assert_eq!(to.key("alice2").unwrap().address(), info.address);

        let err = to.import("x", "{\"type\":\"other\"}", "pw").unwrap_err();
        assert!(
            err.to_string().contains("not an exported Tessera key"),
            "{err}"
        );
    }

    #[test]
    fn an_edited_key_file_is_detected() {
        let home = tempfile::tempdir().unwrap();
        let mut ring = Keyring::open(Backend::Test, home.path(), None);
        ring.add(alice()).unwrap();
        let path = home.path().join("keyring-test/alice.json");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(
            &path,
            text.replace(&dev_address("alice"), &dev_address("bob")),
        )
        .unwrap();
        let err = ring.key("alice").unwrap_err();
        assert!(err.to_string().contains("the file was edited"), "{err}");
    }

    #[test]
    fn bad_key_names_are_refused_before_anything_is_written() {
        let home = tempfile::tempdir().unwrap();
        let mut ring = Keyring::open(Backend::Test, home.path(), None);
        let key = Key::from_mnemonic("../escape", ALICE, DEFAULT_HD_PATH).unwrap();
        assert!(matches!(ring.add(key), Err(KeyError::Name { .. })));
        assert!(!home.path().join("keyring-test").exists());
    }

    #[test]
    fn the_memory_keyring_keeps_nothing_on_disk() {
        let home = tempfile::tempdir().unwrap();
        let mut ring = Keyring::open(Backend::Memory, home.path(), None);
        ring.add(alice()).unwrap();
        assert_eq!(ring.list().unwrap().len(), 1);
        assert_eq!(ring.key("alice").unwrap().address(), dev_address("alice"));
        assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0);
    }
}
