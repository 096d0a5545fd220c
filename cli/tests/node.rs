//! The `tessera` binary against a real dev chain: keys, bank, deployments, the auction, leases,
//! providers, governance, and the errors users meet. One chain serves every step, in the order
//! a user would go.

mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::{dev_account, example, DevChain};

#[test]
fn a_tenant_a_provider_and_a_voter_use_the_cli_against_a_dev_chain() {
    let chain = DevChain::start();
    let alice = chain.add_dev_key("alice");
    let bob = chain.add_dev_key("bob");
    let provider = chain.add_dev_key("provider");
    assert_eq!(alice, dev_account("alice")["address"].as_str().unwrap());

    // keys list / show
    let keys = chain.json(&["keys", "list"]);
    assert_eq!(keys.as_array().unwrap().len(), 3);
    let shown = chain.tessera(&["keys", "show", "bob", "-a"]);
    assert_eq!(String::from_utf8_lossy(&shown.stdout).trim(), bob);

    // Governance first: its voting period (60 s on the dev chain) runs while the rest goes on.
    assert_eq!(chain.json(&["market", "params"])["take_rate_bps"], 200);
    let staked = chain.json(&["gov", "stake", "20tsr", "--from", "alice"]);
    assert!(staked["txhash"].as_str().is_some());
    chain.wait_for_height(chain.json(&["status"])["height"].as_u64().unwrap() + 1);
    let proposal = chain.json(&[
        "gov",
        "propose",
        "--title",
        "Lower the take rate",
        "--description",
        "Make the market cheaper for tenants.",
        "--take-rate-bps",
        "150",
        "--from",
        "alice",
    ]);
    let proposal_id = proposal["proposal_id"].as_u64().unwrap().to_string();
    chain.json(&["gov", "vote", &proposal_id, "yes", "--from", "alice"]);
    let tally = chain.json(&["gov", "tally", &proposal_id]);
    assert_eq!(tally["tally"]["yes"], "20000000", "{tally}");
    let listed = chain.json(&["gov", "list", "--status", "open"]);
    assert_eq!(listed["proposals"].as_array().unwrap().len(), 1);
    let err = chain.fails(&["gov", "execute", &proposal_id, "--from", "alice"]);
    assert!(err.contains("failed") && err.contains("code"), "{err}");

    // bank: an exact transfer, and what a user sees when it cannot work.
    let before = chain.balance(&bob);
    let sent = chain.json(&["tx", "bank", "send", "alice", &bob, "1234utsr"]);
    assert!(sent["gas_used"].as_u64().unwrap() > 0);
    let found = chain.json(&["query", "tx", sent["txhash"].as_str().unwrap()]);
    assert_eq!(found["height"], sent["height"]);
    assert!(
        found["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "transfer"),
        "{found}"
    );
    let err = chain.fails(&["query", "tx", &"AB".repeat(32)]);
    assert!(err.contains("no committed tx"), "{err}");
    assert_eq!(chain.balance("bob"), before + 1234);
    let err = chain.fails(&[
        "tx",
        "bank",
        "send",
        "alice",
        "tessera1notanaddress",
        "1utsr",
    ]);
    assert!(err.contains("invalid address"), "{err}");
    let err = chain.fails(&["tx", "bank", "send", "bob", &alice, "999999999tsr"]);
    assert!(
        err.contains("simulation failed, nothing was sent") && err.contains("insufficient"),
        "{err}"
    );
    let err = chain.fails(&["tx", "bank", "send", "nobody", &alice, "1utsr"]);
    assert!(err.contains("no key named \"nobody\""), "{err}");
    assert_eq!(
        chain.balance("bob"),
        before + 1234,
        "a failed command moved funds"
    );

    // The same over gRPC only: --node points nowhere, so every step must go through --grpc.
    let over_grpc = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend([
            "--grpc",
            chain.grpc.as_str(),
            "--node",
            "http://127.0.0.1:9",
            "-o",
            "json",
        ]);
        let out = chain.tessera(&all);
        assert!(
            out.status.success(),
            "tessera {}: {}",
            all.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let status = over_grpc(&["status"]);
    assert_eq!(status["chain_id"], "tessera-dev-1", "{status}");
    let sent = over_grpc(&["tx", "bank", "send", "alice", &bob, "766utsr"]);
    assert!(sent["height"].as_u64().unwrap() > 0, "{sent}");
    let balances = over_grpc(&["query", "bank", "balances", "bob", "--denom", "utsr"]);
    let amount: u128 = balances["balances"][0]["amount"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(amount, before + 2000);
    assert_eq!(over_grpc(&["market", "params"])["take_rate_bps"], 200);

    // provider: register with a bond and its TLS certificate, show, list.
    let (cert_pem, _key_pem) =
        tessera_client::transport_identity::self_signed(&["gpu.example.org".to_string()]).unwrap();
    let cert = chain.home.path().join("provider-cert.pem");
    std::fs::write(&cert, &cert_pem).unwrap();
    let cert = cert.to_str().unwrap();
    let fingerprint = tessera_client::transport_identity::fingerprint_of_pem(&cert_pem).unwrap();
    let registered = chain.json(&[
        "provider",
        "register",
        "--host-uri",
        "https://gpu.example.org:8443",
        "--tls-cert",
        cert,
        "--attribute",
        "region=eu-west",
        "--attribute",
        "tier=datacenter",
        "--gpu",
        "nvidia:a100:40960:4",
        "--bond",
        "100tsr",
        "--from",
        "provider",
    ]);
    assert_eq!(registered["active"], true, "{registered}");
    assert_eq!(registered["tls_fingerprint"], fingerprint.as_str());
    let shown = chain.json(&["provider", "show", "provider"]);
    assert_eq!(shown["host_uri"], "https://gpu.example.org:8443");
    assert_eq!(shown["tls_fingerprint"], fingerprint.as_str());
    let active = chain.json(&["provider", "list", "--active"]);
    assert_eq!(active["providers"].as_array().unwrap().len(), 1);
    let listed = chain.tessera(&["provider", "list"]);
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains(&format!("tls {fingerprint}")),
        "{}",
        String::from_utf8_lossy(&listed.stdout)
    );

    // A file that is not a certificate is refused before anything is sent.
    let not_a_cert = chain.home.path().join("not-a-cert.pem");
    std::fs::write(&not_a_cert, "hello").unwrap();
    let refused = chain.fails(&[
        "provider",
        "update",
        "--tls-cert",
        not_a_cert.to_str().unwrap(),
        "--from",
        "provider",
    ]);
    assert!(refused.contains("TLS certificate"), "{refused}");
    // Rotating the certificate publishes the new fingerprint; other fields stay.
    let (rotated_pem, _) =
        tessera_client::transport_identity::self_signed(&["gpu.example.org".to_string()]).unwrap();
    let rotated_path = chain.home.path().join("provider-cert-2.pem");
    std::fs::write(&rotated_path, &rotated_pem).unwrap();
    let rotated = tessera_client::transport_identity::fingerprint_of_pem(&rotated_pem).unwrap();
    let updated = chain.json(&[
        "provider",
        "update",
        "--tls-cert",
        rotated_path.to_str().unwrap(),
        "--from",
        "provider",
    ]);
    assert_eq!(updated["tls_fingerprint"], rotated.as_str(), "{updated}");
    let shown = chain.json(&["provider", "show", "provider"]);
    assert_eq!(shown["tls_fingerprint"], rotated.as_str());
    assert_eq!(shown["host_uri"], "https://gpu.example.org:8443");

    // deployment from a manifest; the order it opens; a bid; acceptance; the lease.
    let manifest = example("matmul.yaml");
    let check = chain.json(&["manifest", "check", &manifest]);
    let hash = check["hash"].as_str().unwrap().to_string();
    let created = chain.json(&[
        "deployment",
        "create",
        &manifest,
        "--deposit",
        "10tsr",
        "--bid-window",
        "600",
        "--from",
        "alice",
    ]);
    assert_eq!(created["manifest_hash"], hash.as_str());
    let dseq = created["deployment"]["dseq"].as_u64().unwrap().to_string();
    let shown = chain.json(&["deployment", "show", &dseq, "--from", "alice"]);
    assert_eq!(shown["deployment"]["manifest_hash"], hash.as_str());
    assert_eq!(shown["escrow"]["balance"]["amount"], "10000000");
    let order = format!("{alice}/{dseq}/1/1");
    let orders = chain.json(&["market", "orders"]);
    let open: Vec<&Value> = orders["orders"].as_array().unwrap().iter().collect();
    assert!(
        open.iter().any(|o| o["spec"]["name"].as_str().is_some()
            && format!(
                "{}/{}/{}/{}",
                o["id"]["owner"].as_str().unwrap(),
                o["id"]["dseq"],
                o["id"]["gseq"],
                o["id"]["oseq"]
            ) == order),
        "{orders}"
    );
    let max_price = shown["orders"][0]["spec"]["max_price"]
        .as_str()
        .unwrap()
        .parse::<u128>()
        .unwrap();
    let price = (max_price / 2).max(1).to_string();
    let err = chain.fails(&["market", "bid", &order, "--price", &price, "--from", "bob"]);
    assert!(err.contains("code"), "an unregistered bidder: {err}");
    chain.json(&[
        "market",
        "bid",
        &order,
        "--price",
        &price,
        "--gpu",
        "nvidia:a100:40960:1",
        "--from",
        "provider",
    ]);
    let bids = chain.json(&["market", "bids", &order]);
    assert_eq!(bids["bids"].as_array().unwrap().len(), 1, "{bids}");
    let lease = format!("{order}/{provider}");
    let err = chain.fails(&["market", "accept", &lease, "--from", "bob"]);
    assert!(
        err.contains("nothing was sent") && err.contains("deployment's owner"),
        "someone else accepted alice's bid: {err}"
    );
    chain.json(&["market", "accept", &lease, "--from", "alice"]);
    let shown = chain.json(&["lease", "show", &lease]);
    assert_eq!(shown["state"], "active");
    assert_eq!(shown["price"]["amount"], price.as_str());
    let listed = chain.json(&["lease", "list", "--provider", "provider"]);
    assert_eq!(listed["leases"].as_array().unwrap().len(), 1);
    let status = chain.json(&["lease", "status", &lease]);
    assert_eq!(status["escrow"]["rate_per_hour"], price.as_str());
    chain.json(&[
        "deployment",
        "deposit",
        &dseq,
        "1tsr",
        "--from",
        "bob",
        "--owner",
        "alice",
    ]);
    let escrow = chain.json(&["deployment", "show", &dseq, "--owner", "alice"])["escrow"].clone();
    assert_eq!(escrow["total_deposited"], "11000000", "{escrow}");
    let watch = chain.tessera(&["lease", "watch", &lease, "--blocks", "1"]);
    assert!(
        watch.status.success(),
        "{}",
        String::from_utf8_lossy(&watch.stderr)
    );
    let err = chain.fails(&["lease", "close", &lease, "--from", "bob"]);
    assert!(err.contains("neither the tenant nor the provider"), "{err}");
    // Closing the deployment closes its lease, settles it and refunds the rest of the escrow.
    let alice_before_close = chain.balance("alice");
    let closed = chain.json(&["deployment", "close", &dseq, "--from", "alice"]);
    let refunded: u128 = closed["escrow_released"]["amount"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(refunded > 0 && refunded <= 11_000_000, "{closed}");
    assert!(
        chain.balance("alice") > alice_before_close,
        "the refund did not reach alice"
    );
    assert_eq!(chain.json(&["lease", "show", &lease])["state"], "closed");
    let listed = chain.json(&["deployment", "list", "--owner", "alice"]);
    assert_eq!(listed["deployments"][0]["state"], "closed");

    // Governance: after the voting period, execute and see the new take rate.
    let proposal = chain.json(&["gov", "show", &proposal_id]);
    let ends = proposal["voting_ends_at"].as_u64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let now = chain.json(&["status"])["time"].as_u64().unwrap();
        if now > ends {
            break;
        }
        assert!(Instant::now() < deadline, "block time never passed {ends}");
        std::thread::sleep(Duration::from_millis(500));
    }
    let executed = chain.json(&["gov", "execute", &proposal_id, "--from", "bob"]);
    assert_eq!(executed["status"], "executed", "{executed}");
    assert_eq!(chain.json(&["market", "params"])["take_rate_bps"], 150);
}
