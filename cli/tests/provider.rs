//! The real provider daemon (`tessera-provider` processes) against a real dev chain: two
//! providers bid, the cheaper wins and the loser lets go; the winner refuses manifests and
//! requests it must refuse, runs the work, attests, and `job run` gets outputs that verify; a
//! provider killed with `kill -9` mid-lease restarts and finishes without a double bid or a
//! gap in its attestations.

mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::provider_process::ProviderProcess;
use support::*;

fn fixture(name: &str) -> String {
    root()
        .join("cli/tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn wait_until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    wait_until_or(what, within, &done_nothing, &mut done)
}

fn done_nothing() -> String {
    String::new()
}

/// Waits for `done`; on timeout the panic shows `context` (a provider's log).
fn wait_until_or(
    what: &str,
    within: Duration,
    context: &dyn Fn() -> String,
    done: &mut dyn FnMut() -> bool,
) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen in {within:?}\n{}",
            context()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// The render fixture at 640 x 360 with `frames` frames (one unit each) of `samples` spp.
fn render_manifest(dir: &std::path::Path, frames: u32, samples: u32) -> String {
    let text = std::fs::read_to_string(fixture("render-cpu.yaml"))
        .unwrap()
        .replace("width: 100", "width: 640")
        .replace("height: 70", "height: 360")
        .replace("frames: 3", &format!("frames: {frames}"))
        .replace("samples: 2", &format!("samples: {samples}"))
        .replace("work_units: 3", &format!("work_units: {frames}"));
    let path = dir.join(format!("render-{frames}-{samples}.yaml"));
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn providers_compete_the_winner_runs_and_attests_and_survives_kill_9() {
    let chain = DevChain::start();
    chain.add_dev_key("alice");
    chain.add_dev_key("bob");
    let expensive_address = chain.add_dev_key("provider");
    let cheap_address = chain.funded_key("provider2");
    let mut expensive = ProviderProcess::new(&chain, "provider", 300_000);
    let mut cheap = ProviderProcess::new(&chain, "provider2", 100_000);
    expensive.register(&chain, "provider");
    cheap.register(&chain, "provider2");
    expensive.spawn();
    cheap.spawn();

    // --- Two bids; the cheaper wins; `job run` gets outputs that verify. ---
    let out = tempfile::tempdir().unwrap();
    let summary = chain.json(&[
        "job",
        "run",
        &fixture("render-cpu.yaml"),
        "--out",
        out.path().to_str().unwrap(),
        "--bid-window",
        "5",
        "--from",
        "alice",
    ]);
    assert_eq!(
        summary["failed_step"],
        Value::Null,
        "{summary}\n{}",
        cheap.log()
    );
    assert_eq!(summary["leases"][0]["provider"], cheap_address.as_str());
    assert_eq!(summary["outputs"][0]["leaves"], 12, "{summary}");
    for frame in 0..3 {
        let png = std::fs::read(out.path().join(format!("frame-0000{frame}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
    }
    let lease: String = summary["leases"][0]["id"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| {
            let l = &summary["leases"][0];
            format!(
                "{}/{}/{}/{}/{}",
                l["owner"].as_str().unwrap(),
                l["dseq"],
                l["gseq"],
                l["oseq"],
                l["provider"].as_str().unwrap()
            )
        });
    let order = lease.rsplit_once('/').unwrap().0.to_string();
    let bids = chain.json(&["market", "bids", &order]);
    let state_of = |provider: &str| {
        bids["bids"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["id"]["provider"] == provider)
            .map(|b| b["state"].clone())
    };
    // The winning bid is closed with its lease (`job run` closes the deployment at the end).
    assert_eq!(
        state_of(&cheap_address),
        Some(Value::from("closed")),
        "{bids}"
    );
    assert_eq!(
        state_of(&expensive_address),
        Some(Value::from("lost")),
        "{bids}"
    );
    // The loser releases what its bid reserved.
    wait_until("the losing bid's release", Duration::from_secs(30), || {
        expensive.status()["bids"]
            .as_array()
            .is_some_and(|b| b.is_empty())
    });
    assert!(expensive.metric("bids_lost_total") >= 1.0);
    assert!(cheap.metric("attestations_total") >= 1.0);

    // --- The winner refuses a wrong manifest and a stranger's request. ---
    let scratch = tempfile::tempdir().unwrap();
    let long = render_manifest(scratch.path(), 16, 96);
    let created = chain.json(&[
        "deployment",
        "create",
        &long,
        "--bid-window",
        "5",
        "--from",
        "alice",
    ]);
    let dseq = created["deployment"]["dseq"].as_u64().unwrap();
    let alice = dev_account("alice")["address"]
        .as_str()
        .unwrap()
        .to_string();
    let lease = format!("{alice}/{dseq}/1/1/{cheap_address}");
    wait_until("the auction", Duration::from_secs(60), || {
        chain.tessera(&["lease", "show", &lease]).status.success()
    });
    let err = chain.fails(&[
        "lease",
        "send-manifest",
        &lease,
        &fixture("render-cpu.yaml"),
        "--from",
        "alice",
    ]);
    assert!(err.contains("hash"), "{err}");
    let err = chain.fails(&["lease", "send-manifest", &lease, &long, "--from", "bob"]);
    assert!(err.contains("does not own"), "{err}");
    let sent = chain.json(&["lease", "send-manifest", &lease, &long, "--from", "alice"]);
    assert_eq!(sent["work_units"], 16);

    // --- kill -9 mid-lease, restart, finish. ---
    let units_before = cheap.metric("work_units_total");
    cheap.wait_for_metric(
        "work_units_total",
        units_before + 1.0,
        Duration::from_secs(60),
    );
    cheap.kill_9();
    let done_at_kill = cheap_store_units(&cheap, &lease);
    cheap.spawn();
    wait_until_or(
        "the work to finish after the restart",
        Duration::from_secs(240),
        &|| cheap.log(),
        &mut || {
            let s = cheap.status();
            s["leases"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["lease"] == lease.as_str() && l["phase"] == "done")
        },
    );
    let status = chain.json(&["lease", "status", &lease]);
    let attestations = status["attestations"].as_array().unwrap().clone();
    wait_until("the final attestation", Duration::from_secs(60), || {
        let s = chain.json(&["lease", "status", &lease]);
        let a = s["attestations"].as_array().unwrap();
        a.iter()
            .map(|a| a["work_units"].as_u64().unwrap())
            .sum::<u64>()
            == 16
    });
    let status = chain.json(&["lease", "status", &lease]);
    let attestations = if attestations.len() < status["attestations"].as_array().unwrap().len() {
        status["attestations"].as_array().unwrap().clone()
    } else {
        attestations
    };
    // Contiguous periods from the lease start, none missed.
    let mut expected_start = status["lease"]["created_at"].as_u64().unwrap();
    for a in &attestations {
        assert_eq!(
            a["period_start"].as_u64().unwrap(),
            expected_start,
            "{status}"
        );
        expected_start = a["period_end"].as_u64().unwrap();
    }
    assert_eq!(status["lease"]["missed_attestations"], 0, "{status}");
    assert!(
        status["lease"]["manifest_received_at"].is_u64(),
        "{status}\n{}",
        cheap.log()
    );
    // One bid per order from this provider, across the restart.
    let bids = chain.json(&["market", "bids", &format!("{alice}/{dseq}/1/1")]);
    let mine = bids["bids"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["id"]["provider"] == cheap_address.as_str())
        .count();
    assert_eq!(mine, 1, "{bids}");
    // The outputs verify against the attested root.
    let c_dir = tempfile::tempdir().unwrap();
    let fetched = chain.json(&[
        "lease",
        "output",
        &lease,
        "--manifest",
        &long,
        "--out",
        c_dir.path().to_str().unwrap(),
        "--from",
        "alice",
    ]);
    assert_eq!(fetched["files"].as_array().unwrap().len(), 16, "{fetched}");
    assert!(
        done_at_kill < 16,
        "the work was over before the kill ({done_at_kill} units): the restart proved nothing"
    );
}

/// Units the stopped provider's store holds for `lease`.
fn cheap_store_units(provider: &ProviderProcess, lease: &str) -> u64 {
    provider.status()["leases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["lease"] == lease)
        .and_then(|l| l["units_done"].as_u64())
        .unwrap_or(0)
}

/// Lease state on chain (`active`, `insufficient_funds`, `closed`).
fn lease_state(chain: &DevChain, lease: &str) -> String {
    chain.json(&["lease", "show", lease])["state"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn provider_lease(provider: &ProviderProcess, lease: &str) -> Value {
    provider.status()["leases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["lease"] == lease)
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn escrow_running_dry_pauses_the_work_and_a_top_up_resumes_it() {
    let chain = DevChain::start();
    chain.add_dev_key("alice");
    let provider_address = chain.add_dev_key("provider");
    // 1.8e9 utsr per core-hour is 500_000 per second: the least deposit (5 TSR) lasts 10 s.
    // At 1,800 TSR an hour a slash is 900 TSR (three ten-minute periods): the bond must cover it.
    let mut provider = ProviderProcess::new(&chain, "provider", 1_800_000_000);
    provider.register_with_bond(&chain, "provider", "1000tsr");
    provider.spawn();

    let scratch = tempfile::tempdir().unwrap();
    // Enough work that it cannot finish before the escrow runs dry (withdrawals and the hook's
    // settlements find it dry some seconds after the 10 s it pays for), even on a fast machine.
    const FRAMES: u64 = 32;
    let manifest = render_manifest(scratch.path(), FRAMES as u32, 160);
    let text = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace("amount: 1000000", "amount: 2000000000");
    std::fs::write(&manifest, text).unwrap();
    let created = chain.json(&[
        "deployment",
        "create",
        &manifest,
        "--deposit",
        "5tsr",
        "--bid-window",
        "5",
        "--from",
        "alice",
    ]);
    let dseq = created["deployment"]["dseq"].as_u64().unwrap();
    let alice = dev_account("alice")["address"]
        .as_str()
        .unwrap()
        .to_string();
    let lease = format!("{alice}/{dseq}/1/1/{provider_address}");
    wait_until("the auction", Duration::from_secs(60), || {
        chain.tessera(&["lease", "show", &lease]).status.success()
    });
    chain.json(&[
        "lease",
        "send-manifest",
        &lease,
        &manifest,
        "--from",
        "alice",
    ]);

    // The provider's withdrawals settle the lease; once the escrow is dry it is out of funds
    // and the provider pauses the work.
    wait_until_or(
        "the lease running out of funds",
        Duration::from_secs(90),
        &|| provider.log(),
        &mut || lease_state(&chain, &lease) == "insufficient_funds",
    );
    wait_until_or(
        "the provider pausing the work",
        Duration::from_secs(30),
        &|| provider.log(),
        &mut || provider_lease(&provider, &lease)["phase"] == "paused",
    );
    // The unit in flight when the pause came finishes; no unit starts after it.
    std::thread::sleep(Duration::from_secs(6));
    let paused_at = provider_lease(&provider, &lease)["units_done"]
        .as_u64()
        .unwrap();
    assert!(
        paused_at < FRAMES,
        "the work was over before the escrow ran dry"
    );
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(
        provider_lease(&provider, &lease)["units_done"]
            .as_u64()
            .unwrap(),
        paused_at,
        "work went on while the lease was out of funds"
    );

    // A top-up within the grace period: the lease is active again and the work finishes.
    chain.json(&[
        "deployment",
        "deposit",
        &dseq.to_string(),
        "1000tsr",
        "--from",
        "alice",
    ]);
    assert_eq!(lease_state(&chain, &lease), "active");
    wait_until_or(
        "the work to finish after the top-up",
        Duration::from_secs(240),
        &|| provider.log(),
        &mut || provider_lease(&provider, &lease)["phase"] == "done",
    );
}

#[test]
fn a_provider_whose_certificate_differs_from_its_registry_record_is_refused() {
    let chain = DevChain::start();
    chain.add_dev_key("alice");
    let provider_address = chain.add_dev_key("provider");
    let mut provider = ProviderProcess::with_tls(&chain, "provider", 100_000, true);
    // Registered with another certificate than the one the daemon serves.
    let scratch = tempfile::tempdir().unwrap();
    let (other, _) =
        tessera_client::transport_identity::self_signed(&["127.0.0.1".to_string()]).unwrap();
    let other_cert = scratch.path().join("other.pem");
    std::fs::write(&other_cert, other).unwrap();
    chain.json(&[
        "provider",
        "register",
        "--host-uri",
        &provider.uri,
        "--tls-cert",
        other_cert.to_str().unwrap(),
        "--bond",
        "100tsr",
        "--from",
        "provider",
    ]);
    provider.spawn();
    let created = chain.json(&[
        "deployment",
        "create",
        &fixture("render-cpu.yaml"),
        "--bid-window",
        "5",
        "--from",
        "alice",
    ]);
    let dseq = created["deployment"]["dseq"].as_u64().unwrap();
    let alice = dev_account("alice")["address"]
        .as_str()
        .unwrap()
        .to_string();
    let lease = format!("{alice}/{dseq}/1/1/{provider_address}");
    wait_until("the auction", Duration::from_secs(60), || {
        chain.tessera(&["lease", "show", &lease]).status.success()
    });
    let manifest = fixture("render-cpu.yaml");
    let err = chain.fails(&[
        "lease",
        "send-manifest",
        &lease,
        &manifest,
        "--from",
        "alice",
    ]);
    let served = tessera_client::transport_identity::fingerprint_of_pem(
        &std::fs::read_to_string(provider.home.path().join("tls/cert.pem")).unwrap(),
    )
    .unwrap();
    assert!(
        err.contains(&served),
        "the error names the presented certificate: {err}"
    );

    // Publishing the certificate it serves makes it reachable over TLS.
    chain.json(&[
        "provider",
        "update",
        "--tls-cert",
        provider.home.path().join("tls/cert.pem").to_str().unwrap(),
        "--from",
        "provider",
    ]);
    let sent = chain.json(&[
        "lease",
        "send-manifest",
        &lease,
        &manifest,
        "--from",
        "alice",
    ]);
    assert_eq!(sent["work_units"], 3);
}
