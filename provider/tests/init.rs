//! `tessera-provider init` as an operator runs it: the binary, a fresh home, the files it writes.
//! (Being an integration test also makes `cargo test --workspace` build the binary that the
//! CLI's end-to-end tests spawn.)

use std::path::Path;
use std::process::{Command, Output};

fn provider(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tessera-provider"))
        .arg("--home")
        .arg(home)
        .args(args)
        .env_remove("TESSERA_PROVIDER_HOME")
        .output()
        .expect("spawn tessera-provider")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn init_writes_a_config_and_a_private_key_only_the_owner_reads() {
    let home = tempfile::tempdir().unwrap();
    let out = provider(home.path(), &["init", "--gpu-price", "7000"]);
    assert!(out.status.success(), "init failed: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("sha256 "),
        "no fingerprint printed: {stdout}"
    );

    let config = std::fs::read_to_string(home.path().join("config.toml")).unwrap();
    assert!(config.contains("gpu = 7000"), "price not written: {config}");

    let key = std::fs::read_dir(home.path().join("tls"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| text(&std::fs::read(p).unwrap()).contains("PRIVATE KEY"))
        .expect("a TLS private key under tls/");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{} is readable by others", key.display());
}

#[test]
fn init_over_an_existing_home_refuses_and_keeps_the_config() {
    let home = tempfile::tempdir().unwrap();
    assert!(provider(home.path(), &["init", "--gpu-price", "7000"])
        .status
        .success());
    let before = std::fs::read(home.path().join("config.toml")).unwrap();

    let again = provider(home.path(), &["init", "--gpu-price", "1"]);
    assert!(!again.status.success(), "a second init overwrote the home");
    assert!(
        text(&again.stderr).contains("--force"),
        "the refusal does not say how to overwrite: {}",
        text(&again.stderr)
    );
    assert_eq!(
        std::fs::read(home.path().join("config.toml")).unwrap(),
        before
    );
}

#[test]
fn init_rejects_a_listen_address_that_is_not_one() {
    let home = tempfile::tempdir().unwrap();
    let out = provider(home.path(), &["init", "--listen", "not-an-address"]);
    assert!(!out.status.success(), "a bad listen address was accepted");
    assert!(
        !home.path().join("config.toml").exists(),
        "a refused init still wrote a config"
    );
}
