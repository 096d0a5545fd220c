//! Fuzzing on stable Rust, without a nightly toolchain or libFuzzer: each target turns bytes
//! into a structured input through `arbitrary::Unstructured` (so most inputs get past the
//! first parse and reach the code behind it) and runs it under `catch_unwind`. A panic is a
//! crash: input from outside the process must never panic the node or the tools.
//!
//! `cargo run --release -p tessera-fuzz --bin fuzz -- [ITERATIONS] [TARGET]` runs the long
//! campaign; `tests/seeded.rs` keeps a short seeded run in the test suite.

mod generate;
mod targets;

use std::panic::{self, AssertUnwindSafe};

pub use targets::{targets, Target};

/// SplitMix64: the input generator's randomness, seeded, so every run is reproducible.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Random bytes of a random length up to `max`, biased towards short inputs.
    pub fn bytes(&mut self, max: usize) -> Vec<u8> {
        let len = self.below(max + 1).min(self.below(max + 1));
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

/// What one campaign on one target found.
#[derive(Debug, Default)]
pub struct Report {
    pub executions: u64,
    /// Inputs that panicked (hex), the first few kept.
    pub crashes: Vec<String>,
    pub crash_count: u64,
}

/// Runs `target` on `iterations` inputs from `seed`, catching panics.
pub fn campaign(target: &Target, iterations: u64, seed: u64) -> Report {
    let mut rng = Rng::new(seed ^ fnv(target.name));
    let mut report = Report::default();
    // The default hook would print every caught panic; crashes are reported at the end.
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    for _ in 0..iterations {
        let input = rng.bytes(target.max_input);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| (target.run)(&input)));
        report.executions += 1;
        if outcome.is_err() {
            report.crash_count += 1;
            if report.crashes.len() < 5 {
                report.crashes.push(hex(&input));
            }
        }
    }
    panic::set_hook(hook);
    report
}

fn fnv(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
