//! `tessera job run` end to end on a real dev chain, with the stand-in provider (see
//! support/stand_in_provider.rs) bidding, running and attesting: the whole tenant flow in one
//! command, and its refusal of outputs that do not prove against the attested root.

mod support;

use serde_json::Value;
use support::stand_in_provider::StandInProvider;
use support::{dev_account, example, DevChain};

#[test]
fn job_run_takes_a_manifest_to_verified_outputs_and_refuses_tampered_ones() {
    let chain = DevChain::start();
    chain.add_dev_key("alice");
    let provider_address = chain.add_dev_key("provider");
    let provider = StandInProvider::start(
        &chain.rpc,
        dev_account("provider")["mnemonic"].as_str().unwrap(),
    );
    chain.json(&[
        "provider",
        "register",
        "--host-uri",
        &provider.uri,
        "--gpu",
        "nvidia:a100:40960:1",
        "--bond",
        "100tsr",
        "--from",
        "provider",
    ]);

    let out = tempfile::tempdir().unwrap();
    let manifest = example("render.yaml");
    let alice_before = chain.balance("alice");
    let summary = chain.json(&[
        "job",
        "run",
        &manifest,
        "--out",
        out.path().to_str().unwrap(),
        "--bid-window",
        "5",
        "--from",
        "alice",
    ]);
    assert_eq!(summary["failed_step"], Value::Null, "{summary}");
    assert_eq!(summary["closed"], true);
    assert_eq!(summary["leases"][0]["provider"], provider_address.as_str());
    let output = &summary["outputs"][0];
    assert_eq!(output["work_units"], 24, "{summary}");
    assert_eq!(output["files"].as_array().unwrap().len(), 24);
    // Unit 0 spans two 1 MiB leaves; the other 23 units one each.
    assert_eq!(output["leaves"], 25);
    let first = std::fs::read(out.path().join("unit-0000.bin")).unwrap();
    assert_eq!(first.len(), (1 << 20) + 4096);
    let spent = alice_before - chain.balance("alice");
    assert!(
        spent < 5_000_000,
        "the deposit was not refunded: spent {spent}"
    );

    // The outputs again, by hand: `lease output` verifies them against the chain too.
    let l = &summary["leases"][0];
    let lease = format!(
        "{}/{}/{}/{}/{}",
        l["owner"].as_str().unwrap(),
        l["dseq"],
        l["gseq"],
        l["oseq"],
        l["provider"].as_str().unwrap()
    );
    let again = tempfile::tempdir().unwrap();
    let fetched = chain.json(&[
        "lease",
        "output",
        &lease,
        "--out",
        again.path().to_str().unwrap(),
        "--from",
        "alice",
    ]);
    assert_eq!(fetched["files"].as_array().unwrap().len(), 24, "{fetched}");
    assert_eq!(
        std::fs::read(again.path().join("unit-0000.bin")).unwrap(),
        first
    );
    let status = chain.json(&["lease", "status", &lease, "--from", "alice"]);
    assert_eq!(status["work"]["state"], "WORK_STATE_DONE", "{status}");
    assert_eq!(status["attestations"].as_array().unwrap().len(), 1);

    // Step by step: create, let the auction award, send the manifest; only the owner may.
    chain.add_dev_key("bob");
    let created = chain.json(&[
        "deployment",
        "create",
        &manifest,
        "--bid-window",
        "5",
        "--from",
        "alice",
    ]);
    let dseq = created["deployment"]["dseq"].as_u64().unwrap();
    let lease = format!(
        "{}/{dseq}/1/1/{provider_address}",
        dev_account("alice")["address"].as_str().unwrap()
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !chain.tessera(&["lease", "show", &lease]).status.success() {
        assert!(
            std::time::Instant::now() < deadline,
            "the auction never awarded {lease}"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let err = chain.fails(&["lease", "send-manifest", &lease, &manifest, "--from", "bob"]);
    assert!(err.contains("does not own lease"), "{err}");
    let sent = chain.json(&[
        "lease",
        "send-manifest",
        &lease,
        &manifest,
        "--from",
        "alice",
    ]);
    assert_eq!(sent["work_units"], 24);
    chain.json(&["deployment", "close", &dseq.to_string(), "--from", "alice"]);

    // The same job from a provider that changes an output after attesting it: refused.
    provider
        .tamper
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let tampered = tempfile::tempdir().unwrap();
    let failed = chain.tessera(&[
        "job",
        "run",
        &manifest,
        "--out",
        tampered.path().to_str().unwrap(),
        "--bid-window",
        "5",
        "--from",
        "alice",
        "-o",
        "json",
    ]);
    assert!(!failed.status.success());
    let summary: Value = serde_json::from_slice(&failed.stdout).unwrap();
    assert_eq!(summary["failed_step"], "download", "{summary}");
    assert!(
        summary["error"]
            .as_str()
            .unwrap()
            .contains("does not prove against the attested output root"),
        "{summary}"
    );
    assert_eq!(
        summary["closed"], true,
        "a failed job left its deployment open"
    );
    assert!(
        !tampered.path().join("unit-0001.bin").exists(),
        "a file after the bad leaf was written"
    );
}
