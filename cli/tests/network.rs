//! A network of validators on loopback, as real processes: `tesserad testnet`, `tesserad start`
//! per node, crashes by SIGKILL, and nodes that join later by state sync or block sync.
//!
//! Blocks are made fast (a short `timeout_commit`) so that 100+ blocks fit in CI's time; the
//! networks take turns since each one keeps both cores busy.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::network::{exclusive, Network};

const MINUTE: Duration = Duration::from_secs(60);

/// The heights all running `nodes` have reached.
fn common_height(net: &Network, nodes: &[usize]) -> u64 {
    nodes.iter().map(|&i| net.height(i)).min().unwrap_or(0)
}

/// Every node in `nodes` has the same block (hence the same app hash) at `height`.
fn assert_same_block(net: &Network, nodes: &[usize], height: u64) -> (String, String) {
    let reference = net.block(nodes[0], height);
    for &i in &nodes[1..] {
        assert_eq!(
            net.block(i, height),
            reference,
            "{} and {} differ at height {height}",
            net.nodes[nodes[0]].name,
            net.nodes[i].name
        );
    }
    reference
}

/// A deployment by alice: a market tx through the whole app (contract, escrow, order).
fn create_deployment(net: &Network) -> (String, u64) {
    let created = net.json(
        0,
        &[
            "deployment",
            "create",
            &support::example("matmul.yaml"),
            "--deposit",
            "10tsr",
            "--bid-window",
            "3600",
            "--from",
            "alice",
        ],
    );
    let dseq = created["deployment"]["dseq"].as_u64().expect("dseq");
    let height = created["height"]
        .as_u64()
        .or_else(|| created["height"].as_str().and_then(|h| h.parse().ok()))
        .unwrap_or_else(|| panic!("no height in {created}"));
    (dseq.to_string(), height)
}

/// What node `i` says of alice's deployments and account: compared across nodes and restarts.
fn alice_view(net: &Network, i: usize) -> (Value, Value) {
    let deployments = net.json(i, &["deployment", "list", "--from", "alice"]);
    let account = net.json(i, &["query", "account", "alice"]);
    (deployments, account)
}

#[test]
fn four_validators_agree_keep_going_with_one_down_halt_without_two_and_survive_kill_9() {
    let _turn = exclusive();
    let mut net = Network::create(4, 0, "200ms", 0);
    net.start_all();
    let all = [0, 1, 2, 3];
    for i in all {
        net.wait_for_height(i, 3, 2 * MINUTE);
    }

    // A market tx commits; every node has the same result and the same app hash after it.
    net.add_dev_key("alice");
    let (dseq, tx_height) = create_deployment(&net);
    for i in all {
        net.wait_for_height(i, tx_height + 1, MINUTE);
    }
    assert_same_block(&net, &all, tx_height + 1);
    let view = alice_view(&net, 0);
    assert_eq!(
        view.0["deployments"].as_array().unwrap().len(),
        1,
        "{}",
        view.0
    );
    for i in 1..4 {
        assert_eq!(alice_view(&net, i), view, "node{i} answers differently");
    }
    let shown = net.json(3, &["deployment", "show", &dseq, "--from", "alice"]);
    assert_eq!(shown["escrow"]["balance"]["amount"], "10000000", "{shown}");

    // One validator down: the other three (30 of 40 power) keep producing blocks.
    net.kill(3);
    let down_at = common_height(&net, &[0, 1, 2]);
    for i in [0, 1, 2] {
        net.wait_for_height(i, down_at + 10, MINUTE);
    }
    // Restarted, it catches up by block sync and then follows consensus.
    net.start(3);
    let target = common_height(&net, &[0, 1, 2]) + 3;
    net.wait_for_height(3, target, 2 * MINUTE);
    assert_same_block(&net, &all, target);

    // Two of four down: 20 of 40 power cannot commit. The chain halts; nothing forks.
    net.kill(2);
    net.kill(3);
    std::thread::sleep(Duration::from_secs(2));
    let halted_at = net.height(0).max(net.height(1));
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(
        net.height(0).max(net.height(1)),
        halted_at,
        "blocks were committed without two thirds of the power"
    );
    let both = common_height(&net, &[0, 1]);
    assert_same_block(&net, &[0, 1], both);
    // Restarted, the four resume from where they stopped.
    net.start(2);
    net.start(3);
    for i in all {
        net.wait_for_height(i, halted_at + 5, 2 * MINUTE);
    }
    assert_same_block(&net, &all, halted_at + 5);

    // All four crash at once (SIGKILL, nothing flushed) and restart: the chain continues from
    // the same blocks, and the committed tx is there once — not lost, not replayed.
    let before_crash = common_height(&net, &all);
    let block_before = net.block(0, before_crash);
    for i in all {
        net.kill(i);
    }
    net.start_all();
    for i in all {
        net.wait_for_height(i, before_crash + 5, 2 * MINUTE);
    }
    for i in all {
        assert_eq!(
            net.block(i, before_crash),
            block_before,
            "node{i} rewrote history"
        );
    }
    assert_same_block(&net, &all, before_crash + 5);
    for i in all {
        assert_eq!(alice_view(&net, i), view, "node{i} after the crash");
    }
}

#[test]
fn full_nodes_join_by_state_sync_and_by_block_sync_and_answer_as_validators_do() {
    let _turn = exclusive();
    // Snapshots every 25 blocks, two kept.
    let mut net = Network::create(2, 0, "100ms", 25);
    net.start_all();
    net.wait_for_height(0, 3, 2 * MINUTE);
    net.add_dev_key("alice");
    create_deployment(&net);
    net.wait_for_height(0, 105, 3 * MINUTE);
    net.wait_for_height(1, 105, MINUTE);

    let synced = net.join("statesynced", true);
    let replayed = net.join("blocksynced", false);
    net.start(synced);
    net.start(replayed);
    let target = net.height(0) + 5;
    net.wait_for_height(synced, target, 2 * MINUTE);
    net.wait_for_height(replayed, target, 3 * MINUTE);

    // The state-synced node restored a snapshot (its block store starts past genesis); the
    // other replayed every block from 1.
    let earliest = |i: usize| {
        net.status(i).unwrap()["sync_info"]["earliest_block_height"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert!(
        earliest(synced) >= 75,
        "state sync started from {}",
        earliest(synced)
    );
    assert_eq!(earliest(replayed), 1);

    // Both follow the chain and agree with the validators, block for block and query for query.
    let later = net.height(0) + 5;
    for i in [synced, replayed] {
        net.wait_for_height(i, later, MINUTE);
    }
    assert_same_block(&net, &[0, 1, synced, replayed], later);
    let view = alice_view(&net, 0);
    assert_eq!(
        view.0["deployments"].as_array().unwrap().len(),
        1,
        "{}",
        view.0
    );
    for i in [synced, replayed] {
        assert_eq!(
            alice_view(&net, i),
            view,
            "{} answers differently",
            net.nodes[i].name
        );
    }
    // Over gRPC too, as cosmpy or `tessera --grpc` would ask a full node.
    for i in [synced, replayed] {
        let grpc = net.nodes[i].grpc();
        let over_grpc = net.json(
            i,
            &["deployment", "list", "--from", "alice", "--grpc", &grpc],
        );
        assert_eq!(over_grpc, view.0, "{} over gRPC", net.nodes[i].name);
    }
    let params = net.json(0, &["market", "params"]);
    assert_eq!(net.json(synced, &["market", "params"]), params);

    // A state-synced node is an ordinary node from then on: killed and restarted, it resumes
    // from its own store (which starts at the snapshot) and follows again.
    net.kill(synced);
    net.start(synced);
    let after_restart = net.height(0) + 5;
    net.wait_for_height(synced, after_restart, 2 * MINUTE);
    assert_same_block(&net, &[0, synced], after_restart);
    assert_eq!(alice_view(&net, synced), view);
}
