//! A market, registry and referee in cw-multi-test, and jobs to dispute: a manifest whose one
//! group runs a small job of some kernel, a lease on it, and the provider's output tree, honest
//! or with chosen leaves faked.

#![allow(dead_code)]

use cosmwasm_std::{coins, Addr, Binary, Coin, StdResult, Uint128};
use cw_multi_test::{App, AppResponse, Executor};
use serde_json::json;
use sha2::{Digest, Sha256};
use tessera_api::market::{
    ExecuteMsg as MarketExecuteMsg, LeaseResponse, MarketParams, QueryMsg as MarketQueryMsg,
    SudoMsg,
};
use tessera_api::merkle::{self, Hash};
use tessera_api::referee::ExecuteMsg;
use tessera_api::registry::{ProviderResponse, QueryMsg as RegistryQueryMsg};
use tessera_api::{DeploymentId, LeaseId, OrderId};
use tessera_kernels::{mlp, Spec};
use tessera_testing::amounts::{BID_DEPOSIT, DENOM, INVENTORY, MIN_BOND, TSR};
use tessera_testing::hardware::{gpu_group, h100, offer};
use tessera_testing::messages::register_msg;
use tessera_testing::multi_test::{
    self, add_referee, deploy_market_stack, ContractSuite, Ledger, MarketStack,
};

pub type TestResult = cosmwasm_std::StdResult<()>;

/// The group every test manifest deploys: service `job` on placement `anywhere`.
pub const GROUP: &str = "job.anywhere";
/// Price per hour of every lease; a 10-minute period pays a sixth of it.
pub const PRICE: u128 = 6 * TSR;
/// Seconds between the lease start and the end of the attested period.
pub const PERIOD: u64 = 600;

/// A small deterministic generator (splitmix64) for seeded runs.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n small: the modulo bias is far below what any test can see).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A job of one kernel: the canonical manifest deploying it, its spec, and its input file.
#[derive(Clone)]
pub struct TestJob {
    pub manifest: Vec<u8>,
    pub spec: Spec,
    pub input: Option<Vec<u8>>,
}

impl TestJob {
    fn new(kernel: &str, params: serde_json::Value, input: Option<Vec<u8>>) -> TestJob {
        let inputs: Vec<serde_json::Value> = input
            .iter()
            .map(|bytes| {
                json!({
                    "name": "weights.bin",
                    "sha256": hex(&Sha256::digest(bytes).into()),
                    "url": "https://example.com/weights.bin",
                    "size": bytes.len(),
                })
            })
            .collect();
        let doc = json!({
            "version": "1.0",
            "services": {"job": {"kernel": kernel, "params": params, "inputs": inputs, "work_units": 1}},
            "profiles": {"compute": {}, "placement": {}},
            "deployment": {"job": {"anywhere": {"profile": "gpu", "count": 1}}},
        });
        let parsed = tessera_kernels::params::parse(kernel, &doc["services"]["job"]["params"])
            .expect("test params parse");
        TestJob {
            manifest: serde_json::to_vec(&doc).expect("manifest"),
            spec: parsed.spec,
            input,
        }
    }

    pub fn matmul(n: u64, seed: u64) -> TestJob {
        TestJob::new("matmul", json!({"n": n, "seed": seed}), None)
    }

    pub fn render(width: u64, height: u64, samples: u64, seed: u64) -> TestJob {
        TestJob::new(
            "render-tiles",
            json!({"width": width, "height": height, "frames": 1, "samples": samples, "seed": seed}),
            None,
        )
    }

    pub fn sha256_batch(count: u64, size: u64, seed: u64) -> TestJob {
        TestJob::new(
            "sha256-batch",
            json!({"count": count, "size": size, "seed": seed}),
            None,
        )
    }

    /// An MLP whose weights (the input file) are seeded bytes of the right length.
    pub fn mlp(layers: &[u64], batch: u64, seed: u64) -> TestJob {
        let params = mlp::Params {
            layers: layers.to_vec(),
            batch,
            seed,
        };
        let mut rng = Rng(seed ^ 0x5eed);
        // Small finite floats, so activations stay finite.
        let weights: Vec<u8> = (0..params.weights_len() / 4)
            .flat_map(|_| (((rng.below(2001) as f32) - 1000.0) / 4000.0).to_le_bytes())
            .collect();
        TestJob::new(
            "mlp-inference",
            json!({"layers": layers, "batch": batch, "seed": seed, "weights": "weights.bin"}),
            Some(weights),
        )
    }

    /// A small job of a kernel picked by `rng`, params drawn by it too.
    pub fn random(rng: &mut Rng) -> TestJob {
        let seed = rng.next() >> 1;
        match rng.below(4) {
            0 => TestJob::matmul(1 + rng.below(130), seed),
            1 => TestJob::render(1 + rng.below(140), 1 + rng.below(70), 1, seed),
            2 => TestJob::sha256_batch(1 + rng.below(5_000), rng.below(100), seed),
            _ => {
                let layers = [1 + rng.below(8), 1 + rng.below(8), 1 + rng.below(4)];
                TestJob::mlp(&layers, 1 + rng.below(600), seed)
            }
        }
    }

    pub fn manifest_hash(&self) -> String {
        hex(&Sha256::digest(&self.manifest).into())
    }

    /// Every leaf's hash as the reference computes it.
    pub fn leaf_hashes(&self) -> Vec<Hash> {
        let input = self.input.as_deref().unwrap_or(&[]);
        (0..self.spec.leaf_count())
            .map(|i| merkle::leaf_hash(&self.spec.leaf(i, input).expect("leaf")))
            .collect()
    }
}

pub fn hex(hash: &Hash) -> String {
    merkle::to_hex(hash)
}

/// What a provider attested: the leaf hashes it committed and their tree.
#[derive(Clone)]
pub struct Committed {
    pub leaves: Vec<Hash>,
}

impl Committed {
    pub fn root(&self) -> Hash {
        merkle::root(&self.leaves)
    }

    pub fn proof(&self, leaf: u64) -> Vec<String> {
        merkle::proof_hex(&self.leaves, leaf as usize)
    }

    /// The honest tree with `faked` leaves replaced by hashes of garbage.
    pub fn faking(honest: &[Hash], faked: &[u64]) -> Committed {
        let mut leaves = honest.to_vec();
        for &i in faked {
            leaves[i as usize] = merkle::leaf_hash(format!("made up {i}").as_bytes());
        }
        Committed { leaves }
    }
}

pub struct Suite {
    pub app: App,
    pub ledger: Ledger,
    pub market: Addr,
    pub registry: Addr,
    pub referee: Addr,
    pub authority: Addr,
    pub pool: Addr,
    next_dseq: u64,
}

impl ContractSuite for Suite {
    type ExecuteMsg = ExecuteMsg;

    fn app_mut(&mut self) -> &mut App {
        &mut self.app
    }

    fn contract(&self) -> Addr {
        self.referee.clone()
    }
}

/// A lease running a job, and who is in it.
pub struct Lease {
    pub id: LeaseId,
    pub tenant: Addr,
    pub provider: Addr,
    pub job: TestJob,
}

impl Suite {
    pub fn new() -> Self {
        Self::with_params(|_| {})
    }

    pub fn with_params(adjust: impl FnOnce(&mut MarketParams)) -> Self {
        let mut app = multi_test::new_app();
        let authority = app.api().addr_make("governance");
        let pool = app.api().addr_make("community-pool");
        let admin = app.api().addr_make("admin");
        let stack = deploy_market_stack(&mut app, &admin, &authority, &pool, adjust);
        let referee = add_referee(&mut app, &admin, &authority, &stack);
        let MarketStack { registry, market } = stack;
        Suite {
            app,
            ledger: Ledger::knowing(vec![
                market.clone(),
                registry.clone(),
                referee.clone(),
                authority.clone(),
                pool.clone(),
            ]),
            market,
            registry,
            referee,
            authority,
            pool,
            next_dseq: 1,
        }
    }

    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    /// An account `name` holding `amount` utsr (minted now).
    pub fn account(&mut self, name: &str, amount: u128) -> Addr {
        let addr = self.addr(name);
        self.ledger.mint(&mut self.app, &addr, amount);
        addr
    }

    pub fn balance(&self, who: &Addr) -> u128 {
        multi_test::balance(&self.app, who)
    }

    pub fn now(&self) -> u64 {
        self.app.block_info().time.seconds()
    }

    pub fn advance(&mut self, secs: u64) {
        multi_test::advance(&mut self.app, secs);
    }

    pub fn end_block(&mut self) -> AppResponse {
        self.app
            .wasm_sudo(self.market.clone(), &SudoMsg::EndBlock {})
            .expect("end_block never fails")
    }

    /// A registered provider bonded at `bond` with 8 H100s and `spare` utsr besides.
    pub fn provider(&mut self, name: &str, bond: u128, spare: u128) -> Addr {
        let addr = self.account(name, bond + spare);
        self.app
            .execute_contract(
                addr.clone(),
                self.registry.clone(),
                &register_msg(name, vec![h100(8)], vec![]),
                &coins(bond, DENOM),
            )
            .expect("provider registers");
        addr
    }

    pub fn market_execute(
        &mut self,
        sender: &Addr,
        msg: &MarketExecuteMsg,
        funds: &[Coin],
    ) -> StdResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.market.clone(), msg, funds)
    }

    /// `tenant` deploys `job` (the next dseq), one group at [`PRICE`]; returns its order.
    pub fn deploy(&mut self, tenant: &Addr, job: &TestJob) -> OrderId {
        let dseq = self.next_dseq;
        self.next_dseq += 1;
        self.market_execute(
            tenant,
            &MarketExecuteMsg::CreateDeployment {
                dseq: Some(dseq),
                groups: vec![gpu_group(GROUP, 1, PRICE)],
                manifest_hash: job.manifest_hash(),
                bid_window_secs: None,
                sample_size: None,
                secret_hash: None,
            },
            &coins(10 * PRICE, DENOM),
        )
        .expect("deployment");
        DeploymentId::new(tenant.as_str(), dseq).order(1, 1)
    }

    /// `provider` bids [`PRICE`] for one GPU on `order`.
    pub fn bid(&mut self, provider: &Addr, order: &OrderId) -> StdResult<AppResponse> {
        self.market_execute(
            provider,
            &MarketExecuteMsg::PlaceBid {
                order: order.clone(),
                price: Uint128::new(PRICE),
                offer: offer(1),
            },
            &coins(BID_DEPOSIT, DENOM),
        )
    }

    /// `tenant` deploys `job`, `provider` wins the auction at [`PRICE`]; the lease is active.
    pub fn lease(&mut self, tenant: &Addr, provider: &Addr, job: TestJob) -> Lease {
        let order = self.deploy(tenant, &job);
        self.bid(provider, &order).expect("bid");
        self.advance(30);
        self.end_block();
        Lease {
            id: order.bid(provider.as_str()),
            tenant: tenant.clone(),
            provider: provider.clone(),
            job,
        }
    }

    /// The provider attests the lease's next [`PERIOD`] with `committed` as its output; returns
    /// its seq.
    pub fn attest(&mut self, lease: &Lease, committed: &Committed) -> u64 {
        let start = self.market_lease(&lease.id).attested_to;
        let end = start + PERIOD;
        if self.now() < end {
            let wait = end - self.now();
            self.advance(wait);
        }
        // The hook settles the lease first, so the period's pay is drawn when it is attested.
        self.end_block();
        self.market_execute(
            &lease.provider,
            &MarketExecuteMsg::SubmitAttestation {
                lease: lease.id.clone(),
                period_start: start,
                period_end: end,
                gpu_seconds: 0,
                work_units: 1,
                output_root: hex(&committed.root()),
                inventory_hash: INVENTORY.into(),
                leaf_count: Some(committed.leaves.len() as u64),
            },
            &[],
        )
        .expect("attestation");
        self.market_lease(&lease.id).attestations
    }

    /// A dispute of leaf `leaf` of attestation `seq`, as `committed` shows it.
    pub fn dispute_msg(lease: &Lease, seq: u64, committed: &Committed, leaf: u64) -> ExecuteMsg {
        ExecuteMsg::Dispute {
            lease: lease.id.clone(),
            seq,
            leaf,
            leaf_hash: hex(&committed.leaves[leaf as usize]),
            proof: committed.proof(leaf),
            manifest: Binary::from(lease.job.manifest.clone()),
            input: lease.job.input.clone().map(Binary::from),
        }
    }

    pub fn dispute(
        &mut self,
        disputer: &Addr,
        lease: &Lease,
        seq: u64,
        committed: &Committed,
        leaf: u64,
    ) -> StdResult<AppResponse> {
        let msg = Self::dispute_msg(lease, seq, committed, leaf);
        self.execute(disputer, &msg, &coins(TSR, DENOM))
    }

    pub fn market_lease(&self, id: &LeaseId) -> LeaseResponse {
        self.app
            .wrap()
            .query_wasm_smart(&self.market, &MarketQueryMsg::Lease { id: id.clone() })
            .expect("lease")
    }

    pub fn registered(&self, provider: &Addr) -> ProviderResponse {
        self.app
            .wrap()
            .query_wasm_smart(
                &self.registry,
                &RegistryQueryMsg::Provider {
                    address: provider.to_string(),
                },
            )
            .expect("provider")
    }

    pub fn bond(&self, provider: &Addr) -> u128 {
        Uint128::try_from(self.registered(provider).bond.amount)
            .expect("fits")
            .u128()
    }

    /// Closes the deployment of `lease` (the tenant), so finished runs leave the queues.
    pub fn close(&mut self, lease: &Lease) {
        let msg = MarketExecuteMsg::CloseDeployment {
            dseq: lease.id.dseq,
        };
        self.market_execute(&lease.tenant, &msg, &[])
            .expect("close deployment");
    }

    /// What attestation `seq` of `lease` paid, held until its release time.
    pub fn payment(&self, lease: &Lease, seq: u64) -> (u128, u64) {
        let page: tessera_api::market::AttestationsResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                &self.market,
                &MarketQueryMsg::Attestations {
                    lease: lease.id.clone(),
                    start_after: Some(seq - 1),
                    limit: Some(1),
                },
            )
            .expect("attestation");
        let a = &page.attestations[0];
        (a.payment.u128(), a.release_at.expect("disputes are on"))
    }

    /// Runs the hook until three blocks in a row release nothing (it takes a bounded number of
    /// items a block, other queues first).
    pub fn release_all(&mut self) {
        let mut idle = 0;
        while idle < 3 {
            let res = self.end_block();
            match multi_test::first_attr(&res, "released").as_deref() {
                Some("0") => idle += 1,
                _ => idle = 0,
            }
            self.advance(1);
        }
    }

    pub fn assert_conserved(&self) {
        self.ledger.assert_conserved(&self.app);
    }
}

/// The provider's part of a payout of `gross`: less the 2 % take (the test params), rounded as
/// the market rounds a lease's first payout.
pub fn provider_share(gross: u128) -> u128 {
    gross - gross * 200 / 10_000
}

/// The bond every test provider starts with.
pub const BOND: u128 = MIN_BOND;
