//! `tessera keys` end to end through the binary: the encrypted file keyring, recovery from a
//! mnemonic, export and import, and the refusals that protect a user's keys.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const ALICE: &str = "fiscal switch exercise hire license hint hood zone secret drink grass choice design thunder grocery alarm kid dial face proof tide deny right fatigue";
const ALICE_ADDRESS: &str = "tessera1qhkvyy9sd9w42cqdqvu9wtcu6swj59gwrre43q";

fn tessera(home: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tessera"));
    cmd.args(args)
        .env("TESSERA_HOME", home)
        .env_remove("TESSERA_KEYRING_PASSWORD")
        .env_remove("TESSERA_EXPORT_PASSPHRASE")
        .env_remove("TESSERA_KEYRING_BACKEND")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run tessera");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr_of_failure(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_recovered_key_is_sealed_in_the_file_keyring_and_moves_by_export_and_import() {
    let home = tempfile::tempdir().unwrap();
    let pw = [("TESSERA_KEYRING_PASSWORD", "correct horse battery")];

    let out = tessera(
        home.path(),
        &["keys", "add", "alice", "--recover"],
        ALICE,
        &pw,
    );
    assert!(stdout(&out).contains(ALICE_ADDRESS));
    let file = std::fs::read_to_string(home.path().join("keyring-file/alice.json")).unwrap();
    assert!(
        !file.contains("fiscal"),
        "the mnemonic is stored in the clear"
    );

    // Without a password and without a terminal: a clear refusal, not a hang.
    let out = tessera(
        home.path(),
        &["keys", "export", "alice"],
        "",
        &[("TESSERA_EXPORT_PASSPHRASE", "x")],
    );
    let err = stderr_of_failure(&out);
    assert!(err.contains("TESSERA_KEYRING_PASSWORD"), "{err}");

    let out = tessera(
        home.path(),
        &["keys", "export", "alice"],
        "",
        &[pw[0], ("TESSERA_EXPORT_PASSPHRASE", "travel")],
    );
    let exported = stdout(&out);
    assert!(!exported.contains("fiscal"));

    let other = tempfile::tempdir().unwrap();
    let out = tessera(
        other.path(),
        &["keys", "import", "alice2", "-", "--keyring-backend", "test"],
        &exported,
        &[("TESSERA_EXPORT_PASSPHRASE", "wrong")],
    );
    assert!(stderr_of_failure(&out).contains("wrong password"));
    let out = tessera(
        other.path(),
        &["keys", "import", "alice2", "-", "--keyring-backend", "test"],
        &exported,
        &[("TESSERA_EXPORT_PASSPHRASE", "travel")],
    );
    assert!(stdout(&out).contains(ALICE_ADDRESS));
    let out = tessera(
        other.path(),
        &["keys", "show", "alice2", "-a", "--keyring-backend", "test"],
        "",
        &[],
    );
    assert_eq!(stdout(&out).trim(), ALICE_ADDRESS);
}

#[test]
fn a_new_key_prints_its_mnemonic_once_and_deleting_needs_yes() {
    let home = tempfile::tempdir().unwrap();
    let test = ["--keyring-backend", "test"];
    let out = tessera(
        home.path(),
        &["keys", "add", "ci", test[0], test[1], "-o", "json"],
        "",
        &[],
    );
    let added: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let mnemonic = added["mnemonic"].as_str().unwrap();
    assert_eq!(mnemonic.split(' ').count(), 24);

    // The mnemonic recovers the same address under another name.
    let out = tessera(
        home.path(),
        &[
            "keys",
            "add",
            "ci2",
            "--recover",
            test[0],
            test[1],
            "-o",
            "json",
        ],
        mnemonic,
        &[],
    );
    let recovered: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(recovered["address"], added["address"]);

    let out = tessera(
        home.path(),
        &["keys", "add", "ci", test[0], test[1]],
        "",
        &[],
    );
    assert!(stderr_of_failure(&out).contains("already exists"));
    let out = tessera(
        home.path(),
        &["keys", "add", "bad name", test[0], test[1]],
        "",
        &[],
    );
    assert!(stderr_of_failure(&out).contains("is not valid"));
    let out = tessera(
        home.path(),
        &["keys", "add", "x", "--recover", test[0], test[1]],
        "not a mnemonic",
        &[],
    );
    assert!(stderr_of_failure(&out).contains("invalid mnemonic"));

    let out = tessera(
        home.path(),
        &["keys", "delete", "ci", test[0], test[1]],
        "",
        &[],
    );
    assert!(stderr_of_failure(&out).contains("--yes"));
    stdout(&tessera(
        home.path(),
        &["keys", "delete", "ci", "--yes", test[0], test[1]],
        "",
        &[],
    ));
    let out = tessera(
        home.path(),
        &["keys", "list", test[0], test[1], "-o", "json"],
        "",
        &[],
    );
    let list: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[test]
fn completions_and_help_are_there_for_people() {
    let home = tempfile::tempdir().unwrap();
    let out = tessera(home.path(), &["completions", "bash"], "", &[]);
    assert!(stdout(&out).contains("tessera"));
    let out = tessera(home.path(), &["job", "run", "--help"], "", &[]);
    let help = stdout(&out);
    assert!(help.contains("--out") && help.contains("Example"), "{help}");
    let out = tessera(home.path(), &["-o", "yaml", "status"], "", &[]);
    assert!(stderr_of_failure(&out).contains("use text or json"));
}
