//! `tessera job run` end to end on a real dev chain, with a real `tessera-provider` bidding,
//! running real kernels on tessera-runtime's cpu backend and attesting: the whole tenant flow in
//! one command, files assembled from verified leaves, and its refusal of outputs that do not
//! prove against the attested root (from a provider started in its test-only tampering mode).

mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use prost::Message;
use serde_json::Value;
use support::provider_process::ProviderProcess;
use support::{dev_account, root, DevChain};
use tessera_client::keys::{Key, DEFAULT_HD_PATH};
use tessera_client::provider_api::method_path;
use tessera_client::provider_auth::{self, Audience};
use tessera_proto::provider::v1 as pb;
use tessera_proto::provider::v1::provider_client::ProviderClient;
use tessera_runtime::kernels::Spec;

fn fixture(name: &str) -> String {
    root()
        .join("cli/tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

/// The files of a job as the reference computes them, leaf by leaf, without the network.
fn reference_files(kernel: &str, params: Value) -> Vec<(String, Vec<u8>)> {
    let spec: Spec = tessera_runtime::spec_of(kernel, &params).unwrap();
    let leaves: Vec<Vec<u8>> = (0..spec.leaf_count())
        .map(|i| spec.leaf(i, &[]).unwrap())
        .collect();
    let refs: Vec<&[u8]> = leaves.iter().map(Vec::as_slice).collect();
    spec.assemble(&refs).unwrap()
}

/// Width and height from a PNG's IHDR.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn job_run_takes_a_manifest_to_verified_outputs_and_refuses_tampered_ones() {
    let chain = DevChain::start();
    chain.add_dev_key("alice");
    let provider_address = chain.add_dev_key("provider");
    let mut provider = ProviderProcess::new(&chain, "provider", 100_000);
    provider.register(&chain, "provider");
    provider.spawn();

    // A job whose params the client cannot read is refused before anything is paid for: its
    // outputs could never be assembled and checked here.
    let bad = tempfile::tempdir().unwrap();
    let bad_manifest = bad.path().join("bad.yaml");
    std::fs::write(
        &bad_manifest,
        std::fs::read_to_string(fixture("matmul-cpu.yaml"))
            .unwrap()
            .replace("n: 130", "n: 0"),
    )
    .unwrap();
    let err = chain.fails(&[
        "job",
        "run",
        bad_manifest.to_str().unwrap(),
        "--out",
        bad.path().join("out").to_str().unwrap(),
        "--from",
        "alice",
    ]);
    assert!(
        err.contains("step manifest: service matmul")
            && err.contains("params.n: expected an integer in 1..=16384, got 0"),
        "{err}"
    );
    assert!(
        !bad.path().join("out").exists(),
        "job run went past the manifest"
    );

    let out = tempfile::tempdir().unwrap();
    let manifest = fixture("render-cpu.yaml");
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
    assert_eq!(output["work_units"], 3, "{summary}");
    // 3 frames of 2 x 2 tiles (100 x 70: three tiles of each frame are ragged).
    assert_eq!(output["leaves"], 12);
    assert_eq!(output["bytes"], 3 * 100 * 70 * 4);
    // The frames the tenant gets are the reference's, assembled from verified leaves.
    let expected = reference_files(
        "render-tiles",
        serde_json::json!({"scene": "cornell-box", "width": 100, "height": 70, "frames": 3, "samples": 2, "seed": 7}),
    );
    let names: Vec<&str> = expected.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["frame-00000.png", "frame-00001.png", "frame-00002.png"]
    );
    assert_eq!(output["files"].as_array().unwrap().len(), 3, "{summary}");
    for (i, (name, bytes)) in expected.iter().enumerate() {
        let got = std::fs::read(out.path().join(name)).unwrap();
        assert_eq!(png_size(&got), (100, 70));
        assert!(&got == bytes, "{name} differs from the reference");
        assert_eq!(output["files"][i]["name"], name.as_str());
        assert_eq!(output["files"][i]["size"], bytes.len() as u64);
    }
    let mut written: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    written.sort();
    assert_eq!(written, names, "leftover .part files or extra files");
    let spent = alice_before - chain.balance("alice");
    assert!(
        spent < 5_000_000,
        "the deposit was not refunded: spent {spent}"
    );

    // The outputs again, by hand: `lease output` verifies them against the chain too, and
    // needs the deployment's own manifest to assemble them.
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
        "--manifest",
        &manifest,
        "--out",
        again.path().to_str().unwrap(),
        "--from",
        "alice",
    ]);
    assert_eq!(fetched["files"].as_array().unwrap().len(), 3, "{fetched}");
    for (name, bytes) in &expected {
        assert!(&std::fs::read(again.path().join(name)).unwrap() == bytes);
    }
    let err = chain.fails(&[
        "lease",
        "output",
        &lease,
        "--manifest",
        &fixture("matmul-cpu.yaml"),
        "--out",
        again.path().to_str().unwrap(),
        "--from",
        "alice",
    ]);
    assert!(err.contains("is not the manifest of deployment"), "{err}");
    let status = chain.json(&["lease", "status", &lease, "--from", "alice"]);
    // The sample of the last attestation, drawn on chain once three blocks follow it: with 12
    // leaves and k = 50, all of them.
    let last = status["attestations"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let seq = last["seq"].to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let sample: Value = loop {
        let out = chain.tessera(&["lease", "sample", &lease, &seq, "-o", "json"]);
        if out.status.success() {
            break serde_json::from_slice(&out.stdout).unwrap();
        }
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(err.contains("drawn from blocks up to height"), "{err}");
        assert!(std::time::Instant::now() < deadline, "no sample: {err}");
        std::thread::sleep(std::time::Duration::from_millis(500));
    };
    assert_eq!(sample["leaf_count"], 12, "{sample}");
    assert_eq!(sample["leaf_count"], last["leaf_count"]);
    assert_eq!(
        sample["leaves"],
        serde_json::json!((0..12).collect::<Vec<u64>>())
    );
    // The provider reveals the sampled leaves on its own once the chain can draw them.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let revealed: Value = loop {
        let sample = chain.json(&["lease", "sample", &lease, &seq]);
        if sample["revealed"].is_array() {
            break sample;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never revealed: {sample}"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    };
    assert_eq!(
        revealed["revealed"].as_array().unwrap().len(),
        12,
        "{revealed}"
    );
    // A leaf the tenant demands is revealed by the provider on its own, with its proof.
    let demand = chain.json(&["lease", "demand", &lease, &seq, "5", "--from", "alice"]);
    assert_eq!(demand["demand"]["leaf"], 5, "{demand}");
    assert!(demand["demand"]["revealed"].is_null(), "{demand}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let open = chain.json(&["lease", "demands", &lease]);
        if open["demands"].as_array().unwrap().is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "demand never answered: {open}"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    // All the work was done, and `job run` closed the lease when it had the outputs.
    assert_eq!(status["work"]["work_units_done"], 3, "{status}");
    assert_eq!(status["work"]["work_units_total"], 3, "{status}");
    assert_eq!(status["work"]["state"], "WORK_STATE_CLOSED", "{status}");
    // The provider attests each interval while it works and once more when done.
    assert!(
        !status["attestations"].as_array().unwrap().is_empty(),
        "{status}"
    );
    signed_requests_are_good_once_and_for_this_provider_and_chain_only(
        &provider.uri,
        chain.json(&["status"])["chain_id"].as_str().unwrap(),
        l,
    );

    // Step by step: create, let the auction award, send the manifest; only the owner may.
    chain.add_dev_key("bob");
    let matmul = fixture("matmul-cpu.yaml");
    let created = chain.json(&[
        "deployment",
        "create",
        &matmul,
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
    let err = chain.fails(&["lease", "send-manifest", &lease, &matmul, "--from", "bob"]);
    assert!(err.contains("does not own lease"), "{err}");
    let sent = chain.json(&["lease", "send-manifest", &lease, &matmul, "--from", "alice"]);
    assert_eq!(sent["work_units"], 3);
    // Once the provider has attested, `lease output` verifies the 9 leaves (3 x 3 tiles of C)
    // and assembles C.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let status = chain.json(&["lease", "status", &lease, "--from", "alice"]);
        if status["attestations"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the matmul was never attested: {status}"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let c_dir = tempfile::tempdir().unwrap();
    let fetched = chain.json(&[
        "lease",
        "output",
        &lease,
        "--manifest",
        &matmul,
        "--out",
        c_dir.path().to_str().unwrap(),
        "--from",
        "alice",
    ]);
    assert_eq!(fetched["bytes"], 130 * 130 * 4, "{fetched}");
    let c = reference_files(
        "matmul",
        serde_json::json!({"n": 130, "dtype": "f32", "seed": 42}),
    );
    assert_eq!(c[0].0, "c.f32");
    assert!(std::fs::read(c_dir.path().join("c.f32")).unwrap() == c[0].1);
    chain.json(&["deployment", "close", &dseq.to_string(), "--from", "alice"]);

    // The same job from a provider that changes an output after attesting it: refused. The
    // honest provider stops, so that the tampering one (test-only config) wins the auction.
    drop(provider);
    let tamperer_key = chain.funded_key("tamperer");
    let mut tamperer = ProviderProcess::new(&chain, "tamperer", 100_000);
    tamperer.add_config("[testing]\ntamper_served_leaves = [1]");
    tamperer.register(&chain, "tamperer");
    tamperer.spawn();
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
    let error = summary["error"].as_str().unwrap();
    assert!(
        error.contains("output leaf 1: does not prove against the attested output root"),
        "{summary}"
    );
    assert_eq!(
        summary["closed"], true,
        "a failed job left its deployment open"
    );
    assert_eq!(
        std::fs::read_dir(tampered.path()).unwrap().count(),
        0,
        "a file was written although a leaf failed its proof"
    );
    assert_eq!(summary["leases"][0]["provider"], tamperer_key.as_str());
}

#[test]
fn a_provider_faking_leaves_is_caught_by_job_run_slashed_jailed_and_the_tenant_refunded() {
    let chain = DevChain::start();
    chain.add_dev_key("alice");
    // A provider in its test-only cheating mode: every tenth leaf computed wrong, then attested
    // and served as if right, so every proof checks out and only recomputing shows it.
    let faker_key = chain.add_dev_key("provider");
    let mut faker = ProviderProcess::new(&chain, "provider", 100_000);
    faker.add_config("[testing]\nfake_every_nth_leaf = 10");
    faker.register(&chain, "provider");
    faker.spawn();
    let bond_before = provider_bond(&chain, &faker_key);
    let alice_before = chain.balance("alice");

    // The tenant commits to a sampling secret, so the sample is fixed only once job run
    // reveals it, after the provider attested.
    let out = tempfile::tempdir().unwrap();
    let run = chain.tessera(&[
        "job",
        "run",
        &fixture("render-cpu.yaml"),
        "--out",
        out.path().to_str().unwrap(),
        "--bid-window",
        "5",
        "--commit-secret",
        "--from",
        "alice",
        "-o",
        "json",
    ]);
    assert!(!run.status.success(), "job run accepted faked work");
    let summary: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(summary["failed_step"], "check", "{summary}");
    let error = summary["error"].as_str().unwrap();
    // Leaves 0 and 10 of 12 are faked; the sample (k = 50) holds all 12, the first is disputed.
    assert!(
        error.contains("leaf 0 of attestation") && error.contains("(verdict: fraud)"),
        "{summary}"
    );
    assert_eq!(summary["closed"], true, "{summary}");
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        0,
        "files were written from faked leaves"
    );

    // The referee proved it on chain: the lease closed for fraud, the provider jailed and
    // 10 TSR (the minimum slash) poorer.
    let lease_id = lease_path(&summary["leases"][0]);
    let lease = chain.json(&["lease", "show", &lease_id]);
    assert_eq!(lease["close_reason"], 20_002, "{lease}");
    // The sample came from the secret as well as the block hashes: the deployment committed to
    // it, job run revealed it, and the referee drew with it.
    let dseq = summary["deployment"]["dseq"].as_u64().unwrap().to_string();
    let deployment = chain.json(&["deployment", "show", &dseq, "--from", "alice"]);
    assert!(
        deployment["deployment"]["secret_hash"].is_string(),
        "{deployment}"
    );
    let drawn = chain.json(&["lease", "draw", &lease_id, "1", "--from", "alice"]);
    assert!(drawn["sample"]["drawn_at"].is_u64(), "{drawn}");
    let sample = chain.json(&["lease", "sample", &lease_id, "1"]);
    assert_eq!(sample["awaiting_secret"], false, "{sample}");
    assert_eq!(sample["leaves"], drawn["sample"]["leaves"], "{sample}");
    assert_eq!(
        sample["leaves"].as_array().map(Vec::len),
        Some(12),
        "{sample}"
    );
    let provider = chain.json(&["provider", "show", &faker_key]);
    assert_eq!(provider["jailed"], true, "{provider}");
    assert_eq!(provider_bond(&chain, &faker_key), bond_before - 10_000_000);
    // The tenant: its deposit back but what the provider was paid before the fraud, the
    // dispute deposit back, a quarter of the slash (2.5 TSR), less the fees of its txs.
    let alice_after = chain.balance("alice");
    assert!(
        alice_after > alice_before + 2_000_000,
        "alice had {alice_before}, now {alice_after}"
    );
}

fn provider_bond(chain: &DevChain, address: &str) -> u128 {
    let provider = chain.json(&["provider", "show", address]);
    provider["bond"]["amount"]
        .as_str()
        .expect("bond amount")
        .parse()
        .expect("a number")
}

/// `owner/dseq/gseq/oseq/provider` of a lease id as JSON.
fn lease_path(id: &Value) -> String {
    format!(
        "{}/{}/{}/{}/{}",
        id["owner"].as_str().unwrap(),
        id["dseq"],
        id["gseq"],
        id["oseq"],
        id["provider"].as_str().unwrap()
    )
}

/// Requests built and signed by hand and sent over gRPC as they are, the way someone who captured
/// one would: the provider takes a signed request once, and only if it was signed for it and
/// its chain.
fn signed_requests_are_good_once_and_for_this_provider_and_chain_only(
    uri: &str,
    chain_id: &str,
    lease: &Value,
) {
    let alice = Key::from_mnemonic(
        "alice",
        dev_account("alice")["mnemonic"].as_str().unwrap(),
        DEFAULT_HD_PATH,
    )
    .unwrap();
    let provider = lease["provider"].as_str().unwrap();
    let lease = pb::LeaseId {
        owner: lease["owner"].as_str().unwrap().into(),
        dseq: lease["dseq"].as_u64().unwrap(),
        gseq: u32::try_from(lease["gseq"].as_u64().unwrap()).unwrap(),
        oseq: u32::try_from(lease["oseq"].as_u64().unwrap()).unwrap(),
        provider: provider.into(),
    };
    let signed = |audience: Audience<'_>| {
        let mut request = pb::LeaseRequest {
            lease: Some(lease.clone()),
            auth: None,
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let auth = provider_auth::sign(
            &alice,
            audience,
            &method_path("LeaseStatus"),
            &request.encode_to_vec(),
            now,
        )
        .unwrap();
        request.auth = Some(pb::Auth {
            pubkey: auth.pubkey,
            timestamp: auth.timestamp,
            signature: auth.signature,
            nonce: auth.nonce,
            chain_id: auth.chain_id,
            provider: auth.provider,
        });
        request
    };
    let here = Audience { chain_id, provider };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let channel = tonic::transport::Endpoint::from_shared(uri.to_string())
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut client = ProviderClient::new(channel);
        let fresh = signed(here);
        let status = client.lease_status(fresh.clone()).await.unwrap();
        // `job run` closed the lease once it had the outputs.
        assert_eq!(status.into_inner().state(), pb::WorkState::Closed);

        let replayed = client.lease_status(fresh).await.unwrap_err();
        assert_eq!(replayed.code(), tonic::Code::Unauthenticated);
        assert!(replayed.message().contains("already used"), "{replayed:?}");

        let elsewhere = Audience {
            chain_id: "tessera-other-1",
            ..here
        };
        let err = client.lease_status(signed(elsewhere)).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::Unauthenticated);
        assert!(
            err.message()
                .contains("signed for chain \"tessera-other-1\""),
            "{err:?}"
        );

        let other = dev_account("bob")["address"].as_str().unwrap().to_string();
        let for_bob = Audience {
            provider: &other,
            ..here
        };
        let err = client.lease_status(signed(for_bob)).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::Unauthenticated);
        assert!(err.message().contains("signed for provider"), "{err:?}");

        // A fresh signature over the same request still passes.
        assert!(client.lease_status(signed(here)).await.is_ok());
    });
}
