//! A job's outputs as a tenant receives them: every leaf checked against the output root the
//! provider attested on chain, then the files a person opens (PNG frames, `c.f32`,
//! `outputs.f32`, `digests.txt`) assembled from the verified leaves by `tessera-kernels` — the
//! same code the provider assembled them with, so nothing but leaves needs to be trusted or sent.
//!
//! The job's kernel and params come from the manifest (whose hash is on chain), never from the
//! provider: they fix how many leaves there are, how big each may be and how files are cut
//! from them.

use tessera_api::merkle::{self, Hash};
use tessera_manifest::Service;
use tessera_proto::provider::v1 as pb;
use tessera_runtime::kernels::{Spec, MAX_LEAF_BYTES};

use crate::error::{Error, Result};

/// The most output bytes a client takes in: what the runtime lets one job produce.
pub const MAX_OUTPUT_BYTES: u64 = tessera_runtime::MAX_OUTPUT_BYTES;

/// The largest `GetOutput` message a client decodes: a provider sends about 1 MiB of leaves a
/// message; this leaves room for proofs and for providers that batch more.
pub const MAX_OUTPUT_MESSAGE_BYTES: usize = 4 << 20;

/// The job behind a lease's outputs, from its manifest service.
#[derive(Debug, Clone)]
pub struct OutputJob {
    spec: Spec,
    leaf_count: u64,
    bytes: u64,
}

impl OutputJob {
    /// Parses the service's kernel and params exactly as the provider's runtime does.
    pub fn of_service(service: &Service) -> Result<Self> {
        let spec = tessera_runtime::spec_of(&service.kernel, &service.params).map_err(|e| {
            Error::Outputs {
                reason: format!("the manifest's {} job: {e}", service.kernel),
            }
        })?;
        Self::new(spec)
    }

    pub fn new(spec: Spec) -> Result<Self> {
        spec.check().map_err(|e| Error::Outputs {
            reason: format!("the {} job: {e}", spec.kernel()),
        })?;
        let bytes = spec.leaves_bytes();
        if bytes > MAX_OUTPUT_BYTES {
            return Err(Error::Outputs {
                reason: format!(
                    "the {} job has {bytes} bytes of output, more than the {MAX_OUTPUT_BYTES} a client takes in",
                    spec.kernel()
                ),
            });
        }
        Ok(Self {
            leaf_count: spec.leaf_count(),
            bytes,
            spec,
        })
    }

    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// Leaves in the job's output tree.
    pub fn leaf_count(&self) -> u64 {
        self.leaf_count
    }

    /// Bytes of all leaves together.
    pub fn leaves_bytes(&self) -> u64 {
        self.bytes
    }

    /// Refuses a provider whose tree does not have the job's leaf count: its root cannot be
    /// the root of this job's outputs.
    pub fn check_leaf_count(&self, reported: u64) -> Result<()> {
        if reported != self.leaf_count {
            return Err(Error::Outputs {
                reason: format!(
                    "the provider reports {reported} output leaves, but the manifest's {} job has {}",
                    self.spec.kernel(),
                    self.leaf_count
                ),
            });
        }
        Ok(())
    }

    /// Collects verified leaves in tree order, then assembles the files.
    pub fn collector(&self) -> Collector<'_> {
        Collector {
            job: self,
            leaves: Vec::new(),
            bytes: 0,
        }
    }
}

/// Verified leaves of one job, in order, bounded by the job's size.
pub struct Collector<'a> {
    job: &'a OutputJob,
    leaves: Vec<Vec<u8>>,
    bytes: u64,
}

impl Collector<'_> {
    /// Takes leaf `index`, already verified (see [`verify_message`]); leaves come in order.
    pub fn push(&mut self, index: u64, data: Vec<u8>) -> Result<()> {
        let expected = self.leaves.len() as u64;
        if index != expected {
            return Err(Error::OutputLeaf {
                leaf: index,
                reason: format!("arrived out of order: expected leaf {expected}"),
            });
        }
        self.bytes += data.len() as u64;
        if self.bytes > self.job.bytes {
            return Err(Error::OutputLeaf {
                leaf: index,
                reason: format!(
                    "takes the outputs past the {} bytes the job produces",
                    self.job.bytes
                ),
            });
        }
        self.leaves.push(data);
        Ok(())
    }

    /// Leaves taken so far.
    pub fn len(&self) -> u64 {
        self.leaves.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.leaves.is_empty()
    }

    /// Bytes of the leaves taken so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The leaves taken so far, in tree order.
    pub fn leaves(&self) -> &[Vec<u8>] {
        &self.leaves
    }

    pub fn job(&self) -> &OutputJob {
        self.job
    }

    /// The files, named, from all leaves (tessera-kernels' `Spec::assemble`).
    pub fn assemble(&self) -> Result<Vec<(String, Vec<u8>)>> {
        if self.len() != self.job.leaf_count {
            return Err(Error::Outputs {
                reason: format!(
                    "{} of the job's {} leaves arrived",
                    self.len(),
                    self.job.leaf_count
                ),
            });
        }
        let refs: Vec<&[u8]> = self.leaves.iter().map(Vec::as_slice).collect();
        self.job.spec.assemble(&refs).map_err(|e| Error::Outputs {
            reason: format!("assembling the {} files: {e}", self.job.spec.kernel()),
        })
    }
}

/// Checks one `GetOutput` message: the tree size and every leaf, starting at leaf `next`.
/// Returns how many leaves it holds.
pub fn verify_message(
    message: &pb::OutputLeaves,
    root: &Hash,
    leaf_count: u64,
    next: u64,
) -> Result<u64> {
    if message.leaf_count != leaf_count {
        return Err(Error::Outputs {
            reason: format!(
                "the provider sent leaves of a tree of {} leaves, but the attested tree has {leaf_count}",
                message.leaf_count
            ),
        });
    }
    if message.leaves.is_empty() {
        // Empty messages carry nothing and could keep a client waiting forever.
        return Err(Error::Outputs {
            reason: format!("the provider sent a message with no leaves (at leaf {next})"),
        });
    }
    for (i, leaf) in message.leaves.iter().enumerate() {
        verify_leaf(leaf, root, leaf_count, next + i as u64)?;
    }
    Ok(message.leaves.len() as u64)
}

/// Checks one leaf: its position, its size and its inclusion proof against `root`.
pub fn verify_leaf(
    leaf: &pb::OutputLeaf,
    root: &Hash,
    leaf_count: u64,
    expected_index: u64,
) -> Result<()> {
    let fail = |reason: String| Error::OutputLeaf {
        leaf: leaf.index,
        reason,
    };
    if leaf.index != expected_index {
        return Err(fail(format!("arrived where leaf {expected_index} was due")));
    }
    if leaf.index >= leaf_count {
        return Err(fail(format!(
            "is beyond the attested tree of {leaf_count} leaves"
        )));
    }
    if leaf.data.len() > MAX_LEAF_BYTES {
        return Err(fail(format!(
            "has {} bytes, more than the {MAX_LEAF_BYTES} a leaf holds",
            leaf.data.len()
        )));
    }
    let mut proof = Vec::with_capacity(leaf.proof.len());
    for (step, hash) in leaf.proof.iter().enumerate() {
        let hash: Hash = hash.as_slice().try_into().map_err(|_| {
            fail(format!(
                "proof step {step} has {} bytes, not 32",
                hash.len()
            ))
        })?;
        proof.push(hash);
    }
    if !merkle::verify(
        root,
        leaf.index,
        leaf_count,
        &merkle::leaf_hash(&leaf.data),
        &proof,
    ) {
        return Err(fail(format!(
            "does not prove against the attested output root {}: the provider sent something it did not attest",
            merkle::to_hex(root)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_runtime::kernels::{matmul, render};

    /// A provider's side of a small job: every leaf by the reference, the tree over them.
    fn provide(spec: &Spec) -> (Vec<Vec<u8>>, Vec<Hash>, Hash) {
        let leaves: Vec<Vec<u8>> = (0..spec.leaf_count())
            .map(|i| spec.leaf(i, &[]).unwrap())
            .collect();
        let hashes: Vec<Hash> = leaves.iter().map(|l| merkle::leaf_hash(l)).collect();
        let root = merkle::root(&hashes);
        (leaves, hashes, root)
    }

    fn message(
        leaves: &[Vec<u8>],
        hashes: &[Hash],
        range: std::ops::Range<usize>,
    ) -> pb::OutputLeaves {
        pb::OutputLeaves {
            leaf_count: leaves.len() as u64,
            leaves: range
                .map(|i| pb::OutputLeaf {
                    index: i as u64,
                    data: leaves[i].clone(),
                    proof: merkle::proof(hashes, i)
                        .iter()
                        .map(|h| h.to_vec())
                        .collect(),
                })
                .collect(),
        }
    }

    fn ragged_matmul() -> Spec {
        // 70 x 70: four 64 x 64 tiles, three of them ragged.
        Spec::Matmul(matmul::Params { n: 70, seed: 9 })
    }

    #[test]
    fn verified_leaves_assemble_to_the_files_the_reference_makes() {
        let spec = Spec::Render(render::Params {
            width: 70,
            height: 65,
            frames: 2,
            samples: 1,
            seed: 3,
        });
        let job = OutputJob::new(spec.clone()).unwrap();
        let (leaves, hashes, root) = provide(&spec);
        assert_eq!(job.leaf_count(), 8);
        let mut got = job.collector();
        let mut next = 0;
        for batch in [0..3, 3..8] {
            let m = message(&leaves, &hashes, batch);
            next += verify_message(&m, &root, job.leaf_count(), next).unwrap();
            for l in m.leaves {
                got.push(l.index, l.data).unwrap();
            }
        }
        let files = got.assemble().unwrap();
        let refs: Vec<&[u8]> = leaves.iter().map(Vec::as_slice).collect();
        assert_eq!(files, spec.assemble(&refs).unwrap());
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["frame-00000.png", "frame-00001.png"]);
        assert!(files[0].1.starts_with(b"\x89PNG\r\n\x1a\n"));
    }

    #[test]
    fn a_changed_leaf_is_refused_by_its_index() {
        let spec = ragged_matmul();
        let (mut leaves, hashes, root) = provide(&spec);
        leaves[2][5] ^= 1;
        let m = message(&leaves, &hashes, 0..4);
        let err = verify_message(&m, &root, 4, 0).unwrap_err().to_string();
        assert!(
            err.starts_with("output leaf 2: does not prove against the attested output root"),
            "{err}"
        );
    }

    #[test]
    fn leaves_out_of_place_oversized_or_with_bad_proofs_are_refused() {
        let spec = ragged_matmul();
        let (leaves, hashes, root) = provide(&spec);
        let good = message(&leaves, &hashes, 0..4);

        let err = verify_message(&good, &root, 4, 1).unwrap_err().to_string();
        assert_eq!(err, "output leaf 0: arrived where leaf 1 was due");

        let mut short_proof = good.clone();
        short_proof.leaves[1].proof[0].pop();
        let err = verify_message(&short_proof, &root, 4, 0)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "output leaf 1: proof step 0 has 31 bytes, not 32");

        let mut swapped = good.clone();
        swapped.leaves[3].proof.reverse();
        let err = verify_message(&swapped, &root, 4, 0)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("output leaf 3: does not prove"), "{err}");

        let mut big = good.clone();
        big.leaves[0].data = vec![0; MAX_LEAF_BYTES + 1];
        let err = verify_message(&big, &root, 4, 0).unwrap_err().to_string();
        assert_eq!(
            err,
            "output leaf 0: has 65537 bytes, more than the 65536 a leaf holds"
        );

        let mut other_tree = good.clone();
        other_tree.leaf_count = 5;
        let err = verify_message(&other_tree, &root, 4, 0)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("a tree of 5 leaves, but the attested tree has 4"),
            "{err}"
        );

        let empty = pb::OutputLeaves {
            leaf_count: 4,
            leaves: vec![],
        };
        let err = verify_message(&empty, &root, 4, 2).unwrap_err().to_string();
        assert_eq!(
            err,
            "outputs: the provider sent a message with no leaves (at leaf 2)"
        );

        let beyond = pb::OutputLeaves {
            leaf_count: 4,
            leaves: vec![pb::OutputLeaf {
                index: 4,
                data: vec![],
                proof: vec![],
            }],
        };
        let err = verify_message(&beyond, &root, 4, 4)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "output leaf 4: is beyond the attested tree of 4 leaves"
        );
    }

    #[test]
    fn a_leaf_that_proves_but_has_the_wrong_size_fails_assembly_by_its_index() {
        // A provider that attested a wrong-sized leaf gets it past the proof, not past assembly.
        let spec = ragged_matmul();
        let (mut leaves, _, _) = provide(&spec);
        leaves[1].truncate(8);
        let job = OutputJob::new(spec).unwrap();
        let mut got = job.collector();
        for (i, l) in leaves.into_iter().enumerate() {
            got.push(i as u64, l).unwrap();
        }
        let err = got.assemble().unwrap_err().to_string();
        assert!(err.contains("leaf 1 should be"), "{err}");
    }

    #[test]
    fn the_collector_wants_every_leaf_in_order_and_no_more_bytes_than_the_job_has() {
        let spec = ragged_matmul();
        let (leaves, _, _) = provide(&spec);
        let job = OutputJob::new(spec).unwrap();
        let mut got = job.collector();
        let err = got.push(1, leaves[1].clone()).unwrap_err().to_string();
        assert_eq!(err, "output leaf 1: arrived out of order: expected leaf 0");
        got.push(0, leaves[0].clone()).unwrap();
        let err = got.assemble().unwrap_err().to_string();
        assert_eq!(err, "outputs: 1 of the job's 4 leaves arrived");
        let err = got.push(1, vec![0; 70 * 70 * 4]).unwrap_err().to_string();
        assert!(
            err.starts_with("output leaf 1: takes the outputs past the 19600 bytes"),
            "{err}"
        );
        assert_eq!(job.check_leaf_count(4).ok(), Some(()));
        let err = job.check_leaf_count(5).unwrap_err().to_string();
        assert_eq!(
            err,
            "outputs: the provider reports 5 output leaves, but the manifest's matmul job has 4"
        );
    }

    #[test]
    fn the_job_comes_from_the_manifest_params_as_the_provider_parses_them() {
        let service = Service {
            kernel: "matmul".into(),
            params: serde_json::json!({"n": 70, "dtype": "f32", "seed": 9}),
            inputs: vec![],
            work_units: 2,
        };
        let job = OutputJob::of_service(&service).unwrap();
        assert_eq!(job.spec(), &ragged_matmul());
        assert_eq!(job.leaves_bytes(), 70 * 70 * 4);
        let bad = Service {
            params: serde_json::json!({"n": 0}),
            ..service
        };
        let err = OutputJob::of_service(&bad).unwrap_err().to_string();
        assert_eq!(
            err,
            "outputs: the manifest's matmul job: params.n: expected an integer in 1..=16384, got 0"
        );
        let huge = OutputJob::new(Spec::Render(render::Params {
            width: 8192,
            height: 8192,
            frames: 17,
            samples: 1,
            seed: 0,
        }))
        .unwrap_err()
        .to_string();
        assert!(
            huge.contains("more than the 4294967296 a client takes in"),
            "{huge}"
        );
    }
}
