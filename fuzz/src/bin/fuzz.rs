//! The fuzzing campaign: `cargo run --release -p tessera-fuzz --bin fuzz -- [ITERATIONS]
//! [TARGET]` (default 10,000,000 per target, every target). Prints executions, rate and
//! crashes per target; exits 1 if any input panicked.

use std::time::Instant;

use tessera_fuzz::{campaign, targets};

fn main() {
    let mut args = std::env::args().skip(1);
    let iterations: u64 = match args.next() {
        None => 10_000_000,
        Some(n) => match n.parse() {
            Ok(n) => n,
            Err(_) => {
                eprintln!("usage: fuzz [ITERATIONS] [TARGET]; {n:?} is not a number");
                std::process::exit(2);
            }
        },
    };
    let only = args.next();
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x07E5_5E2A);
    let mut crashed = false;
    println!("fuzz: {iterations} inputs per target, seed {seed}");
    for target in targets() {
        if only.as_deref().is_some_and(|o| o != target.name) {
            continue;
        }
        let began = Instant::now();
        let report = campaign(&target, iterations, seed);
        let secs = began.elapsed().as_secs_f64();
        println!(
            "  {:<22} {:>11} executions  {:>10.0}/s  {} crashes",
            target.name,
            report.executions,
            report.executions as f64 / secs.max(1e-9),
            report.crash_count
        );
        for input in &report.crashes {
            println!("    crash input (hex): {input}");
        }
        crashed |= report.crash_count > 0;
    }
    if crashed {
        std::process::exit(1);
    }
}
