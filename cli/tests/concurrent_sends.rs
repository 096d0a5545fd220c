//! Ten `tessera tx bank send` processes from one key at once: they collide on the account
//! sequence, the losers re-sign with the sequence the node expects, and every send lands.

mod support;

use std::process::{Command, Stdio};

use support::DevChain;

#[test]
fn ten_concurrent_sends_from_one_key_all_land_and_the_collisions_are_retried() {
    let chain = DevChain::start();
    let alice = chain.add_dev_key("alice");
    let bob = chain.add_dev_key("bob");
    let before = chain.balance(&bob);

    let senders: Vec<_> = (1..=10u128)
        .map(|i| {
            let amount = format!("{i}utsr");
            Command::new(env!("CARGO_BIN_EXE_tessera"))
                .args(["tx", "bank", "send", "alice", &bob, &amount, "-o", "json"])
                .env("TESSERA_NODE", &chain.rpc)
                .env("TESSERA_HOME", chain.home.path().join("cli"))
                .env("TESSERA_KEYRING_BACKEND", "test")
                .env_remove("TESSERA_FROM")
                .env_remove("TESSERA_OUTPUT")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("run tessera")
        })
        .collect();

    let mut retried = 0;
    let mut heights = Vec::new();
    for (i, sender) in senders.into_iter().enumerate() {
        let out = sender.wait_with_output().expect("wait for tessera");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "send {} failed:\n{stderr}", i + 1);
        // stdout is the result alone, even when the send was retried.
        let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "send {}: stdout is not one JSON value ({e}): {}",
                i + 1,
                String::from_utf8_lossy(&out.stdout)
            )
        });
        heights.push(result["height"].as_u64().expect("a committed height"));
        if stderr.contains("retrying") && stderr.contains("account sequence mismatch") {
            retried += 1;
        }
    }

    assert_eq!(chain.balance(&bob), before + (1..=10).sum::<u128>());
    assert!(
        retried > 0,
        "ten sends at once from {alice} and none said it retried a sequence mismatch (heights {heights:?})"
    );
}
