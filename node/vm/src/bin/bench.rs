//! VM-only throughput: the market's `place_bid` (an execute with funds that also queries the
//! registry) through the host, module cache warm, in-memory state, no consensus or signatures.
//!
//!   cargo run --release -p tessera-vm --bin tessera-vm-bench [ARTIFACTS_DIR] [N]
//!
//! Two runs: the same bid placed and reverted N times (constant state), and N bids on N
//! different orders kept in one block's overlay (state grows as in a busy block).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{json, Value};
use tessera_store::state::MemState;
use tessera_store::Overlay;
use tessera_vm::address::humanize;
use tessera_vm::testing::MemBank;
use tessera_vm::{
    lock_state, BlockEnv, CallEnv, Coin, GasMeter, MsgExecuteContract, MsgInstantiateContract,
    MsgStoreCode, SharedState, Timestamp, TxEnv, VmConfig, WasmHost,
};

const DENOM: &str = "utsr";
const TSR: u128 = 1_000_000;
const GAS: u64 = 10_000_000;

struct Bench {
    host: WasmHost,
    state: SharedState,
    block: BlockEnv,
}

fn addr(seed: u8) -> String {
    humanize("tessera", &[seed; 20]).unwrap_or_default()
}

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("{what}: {e}");
    std::process::exit(1)
}

impl Bench {
    fn call(&self) -> CallEnv {
        CallEnv::new(
            self.state.clone(),
            self.block.clone(),
            Some(TxEnv {
                index: 0,
                hash: vec![0; 32],
            }),
            GasMeter::new(GAS),
        )
    }

    fn store(&self, dir: &Path, name: &str) -> u64 {
        let path = dir.join(format!("{name}.wasm"));
        let wasm = std::fs::read(&path).unwrap_or_else(|e| {
            fail(
                &format!("{} (run scripts/build-contracts.sh)", path.display()),
                e,
            )
        });
        let msg = MsgStoreCode {
            sender: addr(1),
            wasm_byte_code: wasm,
            instantiate_permission: None,
        };
        match self.host.store_code(&self.call(), &msg) {
            Ok(r) => r.code_id,
            Err(e) => fail("store_code", e),
        }
    }

    fn instantiate(&self, code_id: u64, msg: Value, label: &str) -> String {
        let msg = MsgInstantiateContract {
            sender: addr(1),
            admin: String::new(),
            code_id,
            label: label.into(),
            msg: msg.to_string().into_bytes(),
            funds: vec![],
        };
        match self.host.instantiate(&self.call(), &msg) {
            Ok(r) => r.address,
            Err(e) => fail("instantiate", e),
        }
    }

    /// Runs an execute and returns the SDK gas it used.
    fn execute(&self, sender: &str, contract: &str, msg: &Value, funds: u128) -> u64 {
        let call = self.call();
        let msg = MsgExecuteContract {
            sender: sender.into(),
            contract: contract.into(),
            msg: msg.to_string().into_bytes(),
            funds: if funds == 0 {
                vec![]
            } else {
                vec![Coin::new(funds, DENOM)]
            },
        };
        if let Err(e) = self.host.execute(&call, &msg) {
            fail("execute", e);
        }
        call.gas.used()
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("artifacts"));
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(2000);
    let cache_dir = std::env::temp_dir().join(format!("tessera-vm-bench-{}", std::process::id()));
    let host = match WasmHost::new(VmConfig::new(&cache_dir), Arc::new(MemBank)) {
        Ok(h) => h,
        Err(e) => fail("opening the VM cache", e),
    };
    let bench = Bench {
        host,
        state: Arc::new(Mutex::new(Overlay::new(Arc::new(MemState::default())))),
        block: BlockEnv {
            height: 1,
            time: Timestamp::from_seconds(1_700_000_000),
            chain_id: "tessera-bench".into(),
        },
    };

    let t0 = Instant::now();
    let registry_code = bench.store(&dir, "registry");
    let market_code = bench.store(&dir, "market");
    println!("store_code (check + compile) x2: {:?}", t0.elapsed());

    let (authority, pool, provider, tenant) = (addr(2), addr(3), addr(4), addr(5));
    let registry = bench.instantiate(
        registry_code,
        json!({"params": {"authority": authority, "market": null, "community_pool": pool,
            "bond_denom": DENOM, "min_bond": (100 * TSR).to_string(),
            "unbonding_period_secs": 604800, "max_unbonding_entries": 7}, "auditors": []}),
        "registry",
    );
    let market = bench.instantiate(
        market_code,
        json!({"params": {"authority": authority, "registry": registry, "community_pool": pool,
            "min_deposit": [{"denom": DENOM, "amount": (5 * TSR).to_string()}],
            "bid_min_deposit": {"denom": DENOM, "amount": (TSR / 2).to_string()},
            "take_rate_bps": 200, "burn_bps": 5000, "max_bids_per_order": 20,
            "bid_window_secs": 30, "min_bid_window_secs": 5, "max_bid_window_secs": 3600,
            "grace_period_secs": 600, "manifest_timeout_secs": 300,
            "attestation_interval_secs": 600, "settle_interval_secs": 60, "max_groups": 20,
            "max_end_block_items": 200}}),
        "market",
    );
    bench.execute(
        &authority,
        &registry,
        &json!({"update_params": {"market": market}}),
        0,
    );
    {
        let mut s = lock_state(&bench.state);
        let minted = MemBank::mint(&mut *s, &provider, 1_000_000 * TSR, DENOM)
            .and_then(|()| MemBank::mint(&mut *s, &tenant, 1_000_000 * TSR, DENOM));
        if let Err(e) = minted {
            fail("mint", e);
        }
    }
    let h100 = |count: u32| json!({"vendor": "nvidia", "model": "h100", "vram_mib": 81920, "interface": "sxm", "count": count});
    bench.execute(
        &provider,
        &registry,
        &json!({"register": {"host_uri": "https://p.example.com:8443", "gpus": [h100(8)]}}),
        100 * TSR,
    );
    let deployment = |dseq: u64| {
        json!({"create_deployment": {"dseq": dseq, "manifest_hash": "00".repeat(32),
            "groups": [{"name": "train", "count": 1, "max_price": (4 * TSR).to_string(),
                "resources": {"cpu_millis": 4000, "memory_mib": 16384, "storage_mib": 10240,
                    "gpu": {"units": 2, "models": [{"vendor": "nvidia", "model": "h100"}]}}}]}})
    };
    let bid = |dseq: u64| {
        json!({"place_bid": {"order": {"owner": tenant, "dseq": dseq, "gseq": 1, "oseq": 1},
            "price": "3600000", "offer": {"gpus": [h100(2)]}}})
    };

    // 0. Queries: one instance each (the registry one is what place_bid asks).
    let provider_q = json!({"provider": {"address": provider}})
        .to_string()
        .into_bytes();
    let params_q = br#"{"params":{}}"#;
    for (name, contract, q) in [
        ("registry provider", &registry, provider_q.as_slice()),
        ("market params", &market, params_q.as_slice()),
    ] {
        let t = Instant::now();
        for _ in 0..n {
            if let Err(e) = bench
                .host
                .query_smart(&bench.state, &bench.block, contract, q)
            {
                fail("query", e);
            }
        }
        report(&format!("query {name}"), n, t.elapsed(), 0);
    }

    // 1. The same bid, placed and reverted: constant state, warm cache.
    bench.execute(&tenant, &market, &deployment(1), 10 * TSR);
    let mut gas = 0;
    for _ in 0..20 {
        lock_state(&bench.state).begin();
        gas = bench.execute(&provider, &market, &bid(1), TSR / 2);
        lock_state(&bench.state).discard();
    }
    let t = Instant::now();
    for _ in 0..n {
        lock_state(&bench.state).begin();
        bench.execute(&provider, &market, &bid(1), TSR / 2);
        lock_state(&bench.state).discard();
    }
    report("place_bid, reverted each time", n, t.elapsed(), gas);

    // 2. N deployments, then N bids on them, all kept in one overlay.
    let t = Instant::now();
    for dseq in 2..n + 2 {
        gas = bench.execute(&tenant, &market, &deployment(dseq), 10 * TSR);
    }
    report("create_deployment, kept", n, t.elapsed(), gas);
    let t = Instant::now();
    for dseq in 2..n + 2 {
        gas = bench.execute(&provider, &market, &bid(dseq), TSR / 2);
    }
    report("place_bid, kept", n, t.elapsed(), gas);

    let _ = std::fs::remove_dir_all(&cache_dir);
}

fn report(what: &str, n: u64, elapsed: std::time::Duration, gas: u64) {
    let secs = elapsed.as_secs_f64();
    println!(
        "{what}: {n} executes in {secs:.3} s = {:.0} executes/s ({:.0} µs each), {gas} SDK gas each",
        n as f64 / secs,
        secs * 1e6 / n as f64
    );
}
