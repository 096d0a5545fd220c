//! What a tenant's machine spends on outputs: verifying every leaf of a job against its root
//! (position, size, RFC 6962 proof) and assembling the files from the verified leaves, beside
//! plain sha256 of the same bytes. One core. `cargo bench -p tessera-client --bench outputs`.

use std::time::Instant;

use sha2::{Digest, Sha256};
use tessera_api::merkle;
use tessera_client::outputs::{verify_message, OutputJob};
use tessera_proto::provider::v1 as pb;
use tessera_runtime::kernels::{render, Spec};

fn main() {
    // Two 1080p frames at one sample a pixel: 2 × 17 × 30 tiles of 16 KiB.
    let spec = Spec::Render(render::Params {
        width: 1920,
        height: 1080,
        frames: 2,
        samples: 1,
        seed: 7,
    });
    let job = OutputJob::new(spec.clone()).expect("a valid job");
    let leaves: Vec<Vec<u8>> = (0..spec.leaf_count())
        .map(|i| spec.leaf(i, &[]).expect("a leaf"))
        .collect();
    let hashes: Vec<merkle::Hash> = leaves.iter().map(|l| merkle::leaf_hash(l)).collect();
    let root = merkle::root(&hashes);
    let bytes: usize = leaves.iter().map(Vec::len).sum();
    // As a provider batches them: about 1 MiB of leaves a message.
    let mut messages = Vec::new();
    for (start, chunk) in leaves.chunks(64).enumerate() {
        messages.push(pb::OutputLeaves {
            leaf_count: leaves.len() as u64,
            leaves: chunk
                .iter()
                .enumerate()
                .map(|(j, data)| {
                    let i = start * 64 + j;
                    pb::OutputLeaf {
                        index: i as u64,
                        data: data.clone(),
                        proof: merkle::proof(&hashes, i)
                            .iter()
                            .map(|h| h.to_vec())
                            .collect(),
                    }
                })
                .collect(),
        });
    }
    let mib = bytes as f64 / (1 << 20) as f64;
    let rounds = 5;

    let t = Instant::now();
    for _ in 0..rounds {
        let mut next = 0;
        for m in &messages {
            next += verify_message(m, &root, job.leaf_count(), next).expect("verifies");
        }
        assert_eq!(next, job.leaf_count());
    }
    let verify = t.elapsed().as_secs_f64() / rounds as f64;

    let t = Instant::now();
    for _ in 0..rounds {
        for l in &leaves {
            std::hint::black_box(Sha256::digest(l));
        }
    }
    let plain = t.elapsed().as_secs_f64() / rounds as f64;

    let t = Instant::now();
    let mut file_bytes = 0;
    for _ in 0..rounds {
        let mut collector = job.collector();
        for (i, l) in leaves.iter().enumerate() {
            collector.push(i as u64, l.clone()).expect("in order");
        }
        file_bytes = collector
            .assemble()
            .expect("assembles")
            .iter()
            .map(|(_, b)| b.len())
            .sum::<usize>();
    }
    let assemble = t.elapsed().as_secs_f64() / rounds as f64;

    println!(
        "render-tiles 1920x1080 x 2 frames: {} leaves, {mib:.1} MiB of leaves",
        leaves.len()
    );
    println!(
        "verify every leaf (index, size, proof):  {:.1} ms, {:.0} MiB/s, {:.0} leaves/s",
        verify * 1e3,
        mib / verify,
        leaves.len() as f64 / verify
    );
    println!(
        "plain sha256 of the same leaves:          {:.1} ms, {:.0} MiB/s (verifying runs at {:.0} % of it)",
        plain * 1e3,
        mib / plain,
        100.0 * plain / verify
    );
    println!(
        "collect + assemble {} bytes of PNG:    {:.1} ms, {:.0} MiB/s",
        file_bytes,
        assemble * 1e3,
        mib / assemble
    );
}
