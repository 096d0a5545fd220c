//! Which leaves of an attested output a provider must reveal: a sample the provider cannot know
//! when it attests.
//!
//! The seed binds the attestation to the hashes of the three blocks after the one that committed
//! it (none of which exists when the provider signs) and, if the tenant committed one when
//! creating the deployment, to the tenant's revealed secret:
//!
//! ```text
//! seed = sha256(DOMAIN ‖ len ‖ attestation id ‖ H(h+1) ‖ H(h+2) ‖ H(h+3) ‖ len ‖ secret)
//! ```
//!
//! (`len` is a big-endian u32 byte count, so that no two inputs share an encoding.) The seed
//! picks `k` distinct leaves out of `n` with Floyd's algorithm: exactly `k` uniform draws, each
//! the next 8 bytes of `sha256(seed ‖ counter)`, reduced without modulo bias by rejection, and
//! every `k`-subset equally likely. Everyone with the same inputs (the contract, the tenant's
//! tools, a third party) computes the same sample; the contract, the CLI and the provider all
//! call this one function.

use std::collections::BTreeSet;

use cosmwasm_std::{Binary, QuerierWrapper, StdError, StdResult};
use sha2::{Digest, Sha256};

/// Separates these seeds from every other sha256 in Tessera.
pub const DOMAIN: &[u8] = b"tessera/verification/sample/v1";

/// Blocks after the attestation's whose hashes go into the seed: the sample exists from height
/// `h + BLOCKS_AFTER_ATTESTATION` on.
pub const BLOCKS_AFTER_ATTESTATION: u64 = 3;

/// Leaves sampled per attestation (DESIGN §4.1; to become a governance parameter with the
/// dispute rules).
pub const DEFAULT_SAMPLE_SIZE: u64 = 50;

/// The id of attestation `seq` of a lease, as the seed binds it: `<lease id>/<seq>`.
pub fn attestation_id(lease: &crate::LeaseId, seq: u64) -> String {
    format!("{lease}/{seq}")
}

/// A block hash as CometBFT computes it.
pub type BlockHash = [u8; 32];

/// What picks a sample.
pub type Seed = [u8; 32];

/// The seed of the sample of attestation `attestation_id`, committed at height `h`, from the
/// hashes of blocks `h+1`, `h+2` and `h+3` and the tenant's secret, if it committed one.
pub fn seed(
    attestation_id: &str,
    following_blocks: &[BlockHash; BLOCKS_AFTER_ATTESTATION as usize],
    tenant_secret: Option<&[u8]>,
) -> Seed {
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN);
    length_prefixed(&mut hasher, attestation_id.as_bytes());
    for hash in following_blocks {
        hasher.update(hash);
    }
    // No secret and an empty secret hash alike: both mean the tenant added nothing.
    length_prefixed(&mut hasher, tenant_secret.unwrap_or_default());
    hasher.finalize().into()
}

fn length_prefixed(hasher: &mut Sha256, bytes: &[u8]) {
    // Ids and secrets are short; a longer input is cut off at u32::MAX in the prefix only, and
    // none reaches that size inside a transaction.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    hasher.update(len.to_be_bytes());
    hasher.update(bytes);
}

/// The gRPC path a contract queries for a block hash (`QueryRequest::Grpc`); the chain keeps the
/// hashes of its last 256 blocks.
pub const BLOCK_HASH_PATH: &str = "/tessera.chain.v1.Query/BlockHash";

/// The hash of block `height` as the chain kept it: protobuf
/// `QueryBlockHashRequest { uint64 height = 1; }` out, `QueryBlockHashResponse { bytes hash = 1; }`
/// in, encoded here by hand so that contracts need no protobuf library for two fields.
pub fn query_block_hash(querier: &QuerierWrapper, height: u64) -> StdResult<BlockHash> {
    let answer = querier.query_grpc(
        BLOCK_HASH_PATH.to_string(),
        Binary::new(block_hash_request(height)),
    )?;
    block_hash_of(answer.as_slice())
}

/// `{ uint64 height = 1; }` (proto3: a zero height is left out).
pub fn block_hash_request(height: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(11);
    if height != 0 {
        out.push(0x08); // field 1, varint
        let mut v = height;
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    out
}

/// The 32-byte hash of a `{ bytes hash = 1; }` answer; anything else is an error.
pub fn block_hash_of(answer: &[u8]) -> StdResult<BlockHash> {
    match answer {
        // Field 1, length-delimited, length 32 (one varint byte), then the hash and nothing else.
        [0x0a, 32, hash @ ..] if hash.len() == 32 => {
            let mut out = [0u8; 32];
            out.copy_from_slice(hash);
            Ok(out)
        }
        _ => Err(StdError::msg(format!(
            "{BLOCK_HASH_PATH}: expected a 32-byte hash, got {} bytes of answer",
            answer.len()
        ))),
    }
}

/// The `k` distinct leaf indices in `0..leaf_count` that `seed` picks, in increasing order; all
/// of them when `k >= leaf_count`.
pub fn sample(seed: &Seed, leaf_count: u64, k: u64) -> Vec<u64> {
    if k >= leaf_count {
        return (0..leaf_count).collect();
    }
    let mut draws = Draws::new(seed);
    let mut picked = BTreeSet::new();
    // Floyd: for each j in n-k..n, draw t in 0..=j; take t, or j if t is already taken. Each
    // k-subset comes out with the same probability, with exactly k draws.
    for j in leaf_count - k..leaf_count {
        let t = draws.below(j + 1);
        if !picked.insert(t) {
            picked.insert(j);
        }
    }
    picked.into_iter().collect()
}

/// The chance that a sample of `k` out of `leaf_count` leaves holds at least one of `faked`
/// faked leaves: 1 − C(n − faked, k) / C(n, k) (hypergeometric). Off-chain only (it computes in
/// floating point, which contracts may not): the CLI, the docs' numbers and the tests use it.
#[cfg(not(target_arch = "wasm32"))]
pub fn detection_probability(leaf_count: u64, faked: u64, k: u64) -> f64 {
    let faked = faked.min(leaf_count);
    let k = k.min(leaf_count);
    if faked == 0 {
        return 0.0;
    }
    let honest = leaf_count - faked;
    if k > honest {
        return 1.0;
    }
    // C(honest, k) / C(n, k) = Π_{i<k} (honest − i) / (n − i)
    let missed: f64 = (0..k)
        .map(|i| (honest - i) as f64 / (leaf_count - i) as f64)
        .product();
    1.0 - missed
}

/// A stream of uniform numbers from a seed: block `i` is `sha256(seed ‖ i)`, read 8 bytes at a
/// time.
struct Draws {
    seed: Seed,
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl Draws {
    fn new(seed: &Seed) -> Self {
        Self {
            seed: *seed,
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }

    fn next_u64(&mut self) -> u64 {
        if self.used == self.block.len() {
            let mut hasher = Sha256::new();
            hasher.update(self.seed);
            hasher.update(self.counter.to_be_bytes());
            self.block = hasher.finalize().into();
            self.counter += 1;
            self.used = 0;
        }
        let mut word = [0u8; 8];
        word.copy_from_slice(&self.block[self.used..self.used + 8]);
        self.used += 8;
        u64::from_be_bytes(word)
    }

    /// Uniform in `0..bound` (`bound > 0`): values from the incomplete last stretch of the u64
    /// range are drawn again, so every result is equally likely.
    fn below(&mut self, bound: u64) -> u64 {
        debug_assert!(bound > 0);
        let usable = u64::MAX - (u64::MAX % bound);
        loop {
            let x = self.next_u64();
            if x < usable {
                return x % bound;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashes(tag: u8) -> [BlockHash; 3] {
        [
            [tag; 32],
            [tag.wrapping_add(1); 32],
            [tag.wrapping_add(2); 32],
        ]
    }

    fn seed_of(i: u64) -> Seed {
        seed(&format!("lease-{i}/600"), &hashes(7), None)
    }

    #[test]
    fn the_same_inputs_give_the_same_sample() {
        let s = seed("t/1/1/1/p/600", &hashes(1), Some(b"secret"));
        assert_eq!(s, seed("t/1/1/1/p/600", &hashes(1), Some(b"secret")));
        assert_eq!(sample(&s, 10_000, 50), sample(&s, 10_000, 50));
    }

    #[test]
    fn a_sample_has_k_distinct_leaves_in_range_in_order() {
        for i in 0..200 {
            let leaves = sample(&seed_of(i), 1_000, 50);
            assert_eq!(leaves.len(), 50);
            assert!(
                leaves.windows(2).all(|w| w[0] < w[1]),
                "sorted and distinct"
            );
            assert!(leaves.iter().all(|&l| l < 1_000));
        }
    }

    #[test]
    fn asking_for_as_many_leaves_as_there_are_takes_them_all() {
        let s = seed_of(1);
        assert_eq!(sample(&s, 5, 5), vec![0, 1, 2, 3, 4]);
        assert_eq!(sample(&s, 5, 50), vec![0, 1, 2, 3, 4]);
        assert_eq!(sample(&s, 0, 50), Vec::<u64>::new());
        assert_eq!(sample(&s, 1_000, 0), Vec::<u64>::new());
        let almost_all = sample(&s, 100, 99);
        assert_eq!(almost_all.len(), 99);
    }

    #[test]
    fn any_change_of_a_block_hash_the_id_or_the_secret_changes_the_sample() {
        let base = hashes(1);
        let reference = sample(&seed("a", &base, Some(b"s")), 1 << 20, 50);
        for block in 0..3 {
            for byte in [0, 17, 31] {
                let mut changed = base;
                changed[block][byte] ^= 1;
                let other = sample(&seed("a", &changed, Some(b"s")), 1 << 20, 50);
                assert_ne!(other, reference, "block {block} byte {byte}");
            }
        }
        assert_ne!(
            sample(&seed("b", &base, Some(b"s")), 1 << 20, 50),
            reference
        );
        assert_ne!(
            sample(&seed("a", &base, Some(b"t")), 1 << 20, 50),
            reference
        );
        assert_ne!(sample(&seed("a", &base, None), 1 << 20, 50), reference);
    }

    #[test]
    fn the_encoding_is_unambiguous() {
        // The id's length is part of the seed: moving a byte between the id and the secret
        // changes it.
        let h = hashes(3);
        assert_ne!(seed("ab", &h, Some(b"c")), seed("a", &h, Some(b"bc")));
        assert_eq!(seed("a", &h, None), seed("a", &h, Some(b"")));
    }

    /// Every leaf is picked equally often over many seeds: a chi-square test with 99 degrees of
    /// freedom, at a critical value (148.23) that a uniform sampler exceeds one time in 1,000.
    #[test]
    fn leaves_are_picked_uniformly() {
        let (n, k, seeds) = (100u64, 10u64, 4_000u64);
        let mut hits = vec![0u64; n as usize];
        for i in 0..seeds {
            for leaf in sample(&seed_of(i), n, k) {
                hits[leaf as usize] += 1;
            }
        }
        let expected = (seeds * k) as f64 / n as f64;
        let chi_square: f64 = hits
            .iter()
            .map(|&h| (h as f64 - expected).powi(2) / expected)
            .sum();
        assert!(chi_square < 148.23, "chi-square {chi_square:.1} over 99 df");
    }

    /// Pairs of leaves are as likely as any other pair (Floyd's subsets are uniform, not only
    /// its marginals): over 5 leaves and samples of 2, each of the 10 pairs comes out about
    /// equally often (chi-square, 9 degrees of freedom, critical value 27.88 at p = 0.001).
    #[test]
    fn every_subset_is_equally_likely() {
        let seeds = 20_000u64;
        let mut counts = std::collections::BTreeMap::new();
        for i in 0..seeds {
            *counts.entry(sample(&seed_of(i), 5, 2)).or_insert(0u64) += 1;
        }
        assert_eq!(counts.len(), 10);
        let expected = seeds as f64 / 10.0;
        let chi_square: f64 = counts
            .values()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum();
        assert!(chi_square < 27.88, "chi-square {chi_square:.1} over 9 df");
    }

    #[test]
    fn block_hash_requests_and_answers_have_their_protobuf_encoding() {
        assert_eq!(block_hash_request(0), Vec::<u8>::new());
        assert_eq!(block_hash_request(1), vec![0x08, 0x01]);
        assert_eq!(block_hash_request(300), vec![0x08, 0xac, 0x02]);
        let max = block_hash_request(u64::MAX);
        assert_eq!(max.len(), 11);
        assert_eq!(max[10], 0x01);

        let mut answer = vec![0x0a, 32];
        answer.extend_from_slice(&[9u8; 32]);
        assert_eq!(block_hash_of(&answer).unwrap(), [9u8; 32]);
        for bad in [&answer[..33], &[0x0a, 31][..], &[][..], &[0x12, 32][..]] {
            assert!(block_hash_of(bad).is_err(), "{bad:?}");
        }
        let mut longer = answer.clone();
        longer.push(0);
        assert!(block_hash_of(&longer).is_err());
    }

    #[test]
    fn a_contract_asks_the_chain_for_a_block_hash() {
        use cosmwasm_std::{
            from_json, ContractResult, Empty, Querier, QuerierResult, QueryRequest, SystemResult,
        };

        /// A chain that knows the hash of block 7 only, answering as the node does.
        struct Chain;
        impl Querier for Chain {
            fn raw_query(&self, bin_request: &[u8]) -> QuerierResult {
                let QueryRequest::<Empty>::Grpc(q) = from_json(bin_request).unwrap() else {
                    panic!("a gRPC query");
                };
                assert_eq!(q.path, BLOCK_HASH_PATH);
                if q.data.as_slice() == block_hash_request(7).as_slice() {
                    let mut answer = vec![0x0a, 32];
                    answer.extend_from_slice(&[7u8; 32]);
                    SystemResult::Ok(ContractResult::Ok(Binary::new(answer)))
                } else {
                    SystemResult::Ok(ContractResult::Err("no block hash".into()))
                }
            }
        }
        let chain = Chain;
        let querier = QuerierWrapper::<Empty>::new(&chain);
        assert_eq!(query_block_hash(&querier, 7).unwrap(), [7u8; 32]);
        assert!(query_block_hash(&querier, 8).is_err());
    }

    #[test]
    fn detection_probability_has_its_limits_right() {
        assert_eq!(detection_probability(1_000, 0, 50), 0.0);
        assert_eq!(detection_probability(1_000, 1_000, 1), 1.0);
        // More faked leaves than honest ones left to sample around: always caught.
        assert_eq!(detection_probability(100, 60, 50), 1.0);
        // One leaf sampled: the faked fraction itself.
        assert!((detection_probability(1_000, 100, 1) - 0.1).abs() < 1e-12);
        // The figures docs/verification.md quotes.
        assert!((detection_probability(1_000, 10, 50) - 0.4027).abs() < 1e-3);
        assert!((detection_probability(1_000, 100, 50) - 0.9955).abs() < 1e-3);
    }

    /// A provider faking 10 % of 1,000 leaves is caught by a sample of 50 (at least one faked
    /// leaf sampled) as often as the hypergeometric law says: the observed rate over 2,000 seeds
    /// is within 3 σ of 1 − C(900, 50) / C(1000, 50) ≈ 99.55 %.
    #[test]
    fn a_tenth_faked_is_caught_at_the_hypergeometric_rate() {
        let (n, k, faked, runs) = (1_000u64, 50u64, 100u64, 2_000u64);
        let mut caught = 0u64;
        for run in 0..runs {
            // The cheater's choice of leaves, independent of the sample's seed.
            let cheat_seed = seed(&format!("cheater-{run}"), &hashes(99), None);
            let fakes: BTreeSet<u64> = sample(&cheat_seed, n, faked).into_iter().collect();
            if sample(&seed_of(run), n, k)
                .iter()
                .any(|l| fakes.contains(l))
            {
                caught += 1;
            }
        }
        let p = detection_probability(n, faked, k);
        let sigma = (p * (1.0 - p) / runs as f64).sqrt();
        let observed = caught as f64 / runs as f64;
        assert!(p > 0.99, "prediction {p}");
        assert!(
            (observed - p).abs() <= 3.0 * sigma,
            "caught {observed:.4}, predicted {p:.4} ± {:.4}",
            3.0 * sigma
        );
    }
}
