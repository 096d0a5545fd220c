//! A short seeded run of every fuzz target in the test suite (the long campaign is the `fuzz`
//! binary): a panic on any of these inputs fails the test and prints the input.

use tessera_fuzz::{campaign, targets};

#[test]
fn every_target_survives_a_short_seeded_run_without_a_panic() {
    for target in targets() {
        let report = campaign(&target, 3_000, 2026);
        assert_eq!(report.executions, 3_000);
        assert_eq!(
            report.crash_count, 0,
            "{} panicked on inputs {:?}",
            target.name, report.crashes
        );
    }
}

#[test]
fn a_panicking_target_is_reported_as_a_crash() {
    let target = tessera_fuzz::Target {
        name: "always_panics_on_a_zero_byte",
        max_input: 8,
        run: |data| assert!(!data.contains(&0), "zero byte"),
    };
    let report = campaign(&target, 2_000, 1);
    assert!(report.crash_count > 0);
    assert!(!report.crashes.is_empty());
}
