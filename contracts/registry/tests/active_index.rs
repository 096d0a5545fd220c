//! `providers {active}` through the status index: only what it returns is read, the order is
//! highest bond first, pages follow one another, and the index agrees with `is_active` after
//! any sequence of registrations, bonds, unbonds, slashes, deregistrations and `min_bond`
//! changes.

mod common;

use common::*;
use cosmwasm_std::{Addr, StdResult, Uint128};
use tessera_api::registry::{
    ExecuteMsg, ProviderResponse, ProvidersResponse, QueryMsg, RegistryParamsUpdate,
};
use tessera_registry::ContractError;

type TestResult = StdResult<()>;

fn page(
    suite: &Suite,
    active: Option<bool>,
    start_after: Option<&Addr>,
    limit: u32,
) -> StdResult<Vec<ProviderResponse>> {
    let res: ProvidersResponse = suite.query(&QueryMsg::Providers {
        active,
        attribute: None,
        start_after: start_after.map(Addr::to_string),
        limit: Some(limit),
    })?;
    Ok(res.providers)
}

/// Every provider the query returns for `active`, read `limit` at a time.
fn all_pages(suite: &Suite, active: Option<bool>, limit: u32) -> StdResult<Vec<ProviderResponse>> {
    let mut all: Vec<ProviderResponse> = Vec::new();
    loop {
        let after = all.last().map(|p| Addr::unchecked(&p.address));
        let next = page(suite, active, after.as_ref(), limit)?;
        let done = next.len() < limit as usize;
        all.extend(next);
        if done {
            return Ok(all);
        }
    }
}

fn addresses(providers: &[ProviderResponse]) -> Vec<String> {
    providers.iter().map(|p| p.address.clone()).collect()
}

fn set_min_bond(suite: &mut Suite, min_bond: u128) -> StdResult<()> {
    let gov = suite.authority.clone();
    suite.execute(
        &gov,
        &ExecuteMsg::UpdateParams(RegistryParamsUpdate {
            min_bond: Some(Uint128::new(min_bond)),
            ..Default::default()
        }),
        &[],
    )?;
    Ok(())
}

#[test]
fn active_providers_come_highest_bond_first_past_any_number_of_inactive_ones() -> TestResult {
    let mut suite = Suite::new();
    // Inactive registrations (no bond) that a scan by address would have to walk past.
    for i in 0..200 {
        suite.register(&addr(&format!("idle{i:03}")), 0, vec![])?;
    }
    let (p1, p2, p3) = (
        suite.provider.clone(),
        suite.provider2.clone(),
        addr("provider3"),
    );
    suite.register(&p1, MIN_BOND, vec![])?;
    suite.register(&p2, MIN_BOND * 3, vec![])?;
    suite.register(&p3, MIN_BOND * 2, vec![])?;

    let active = page(&suite, Some(true), None, 10)?;
    assert_eq!(
        addresses(&active),
        vec![p2.to_string(), p3.to_string(), p1.to_string()]
    );
    assert!(active.iter().all(|p| p.active));

    // Pages of one follow one another.
    let first = page(&suite, Some(true), None, 1)?;
    let second = page(&suite, Some(true), Some(&p2), 1)?;
    let third = page(&suite, Some(true), Some(&p3), 1)?;
    let past_end = page(&suite, Some(true), Some(&p1), 1)?;
    assert_eq!(addresses(&first), vec![p2.to_string()]);
    assert_eq!(addresses(&second), vec![p3.to_string()]);
    assert_eq!(addresses(&third), vec![p1.to_string()]);
    assert!(past_end.is_empty());

    let inactive = all_pages(&suite, Some(false), 7)?;
    assert_eq!(inactive.len(), 200);
    assert!(inactive.iter().all(|p| !p.active));
    Ok(())
}

#[test]
fn activity_follows_min_bond_slashes_unbonds_and_deregistration() -> TestResult {
    let mut suite = Suite::new();
    let (p1, p2) = (suite.provider.clone(), suite.provider2.clone());
    suite.register(&p1, MIN_BOND, vec![])?;
    suite.register(&p2, MIN_BOND * 2, vec![])?;
    assert_eq!(all_pages(&suite, Some(true), 10)?.len(), 2);

    // Raising min_bond deactivates p1 without touching its entry.
    set_min_bond(&mut suite, MIN_BOND + 1)?;
    assert_eq!(
        addresses(&all_pages(&suite, Some(true), 10)?),
        vec![p2.to_string()]
    );
    assert_eq!(
        addresses(&all_pages(&suite, Some(false), 10)?),
        vec![p1.to_string()]
    );
    set_min_bond(&mut suite, MIN_BOND)?;

    // A slash jails p2: inactive whatever its bond.
    let gov = suite.authority.clone();
    suite.execute(
        &gov,
        &ExecuteMsg::Slash {
            provider: p2.to_string(),
            fraction_bps: 100,
            reason: "double signing".into(),
        },
        &[],
    )?;
    assert_eq!(
        addresses(&all_pages(&suite, Some(true), 10)?),
        vec![p1.to_string()]
    );
    // Bonding back up to min_bond unjails it.
    suite.execute(&p2, &ExecuteMsg::Bond {}, &utsr(10))?;
    assert_eq!(
        addresses(&all_pages(&suite, Some(true), 10)?),
        vec![p2.to_string(), p1.to_string()]
    );

    // Unbonding below min_bond, then deregistering.
    suite.execute(
        &p1,
        &ExecuteMsg::Unbond {
            amount: Uint128::new(1),
        },
        &[],
    )?;
    assert_eq!(
        addresses(&all_pages(&suite, Some(false), 10)?),
        vec![p1.to_string()]
    );
    suite.execute(&p1, &ExecuteMsg::Deregister {}, &[])?;
    assert!(all_pages(&suite, Some(false), 10)?.is_empty());
    Ok(())
}

#[test]
fn a_start_after_that_is_not_registered_is_named() -> TestResult {
    let mut suite = Suite::new();
    suite.register(&suite.provider.clone(), MIN_BOND, vec![])?;
    let stranger = suite.stranger.clone();
    let err = page(&suite, Some(true), Some(&stranger), 10).expect_err("unknown cursor");
    assert_eq!(
        contract_message(&err),
        ContractError::ProviderNotFound {
            provider: stranger.to_string()
        }
        .to_string()
    );
    Ok(())
}

#[test]
fn migrating_rebuilds_the_index_without_changing_it() -> TestResult {
    let mut suite = Suite::new();
    suite.register(&suite.provider.clone(), MIN_BOND, vec![])?;
    suite.register(&suite.provider2.clone(), 0, vec![])?;
    let before = (
        all_pages(&suite, Some(true), 10)?,
        all_pages(&suite, Some(false), 10)?,
    );
    let res = suite.migrate()?;
    assert_eq!(wasm_attr(&res, "providers_indexed").as_deref(), Some("2"));
    let after = (
        all_pages(&suite, Some(true), 10)?,
        all_pages(&suite, Some(false), 10)?,
    );
    assert_eq!(before, after);
    Ok(())
}

/// A small deterministic generator: the sequence is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

#[test]
fn the_index_agrees_with_is_active_after_any_sequence_of_changes() -> TestResult {
    let mut suite = Suite::new();
    let providers = [
        suite.provider.clone(),
        suite.provider2.clone(),
        addr("provider3"),
        suite.stranger.clone(),
    ];
    let gov = suite.authority.clone();
    let mut rng = Lcg(7);
    let (mut steps_with_active, mut steps_with_inactive) = (0, 0);
    for step in 0..400 {
        let who = &providers[rng.next(providers.len() as u64) as usize];
        let amount = 1 + rng.next(MIN_BOND as u64 * 2) as u128;
        // Failures (unregistered, nothing to unbond, entry cap) change nothing and are fine.
        let _ = match rng.next(6) {
            0 => suite.register(who, amount, vec![]),
            1 => suite.execute(who, &ExecuteMsg::Bond {}, &utsr(amount)),
            2 => suite.execute(
                who,
                &ExecuteMsg::Unbond {
                    amount: Uint128::new(amount),
                },
                &[],
            ),
            3 => suite.execute(
                &gov,
                &ExecuteMsg::Slash {
                    provider: who.to_string(),
                    fraction_bps: 2_500,
                    reason: "test".into(),
                },
                &[],
            ),
            4 => suite.execute(who, &ExecuteMsg::Deregister {}, &[]),
            _ => set_min_bond(&mut suite, 1 + amount).map(|()| Default::default()),
        };
        if step % 8 == 0 {
            // Claiming keeps the unbonding-entries cap from freezing the sequence.
            suite.advance(UNBONDING_SECS);
            for p in &providers {
                let _ = suite.execute(p, &ExecuteMsg::ClaimUnbonded {}, &[]);
            }
        }

        let everyone = all_pages(&suite, None, 3)?;
        let mut want_active: Vec<_> = everyone.iter().filter(|p| p.active).cloned().collect();
        want_active.sort_by_key(|p| std::cmp::Reverse(p.bond.amount));
        let got_active = all_pages(&suite, Some(true), 2)?;
        assert_eq!(
            got_active.iter().map(|p| p.bond.amount).collect::<Vec<_>>(),
            want_active
                .iter()
                .map(|p| p.bond.amount)
                .collect::<Vec<_>>(),
            "step {step}: active providers, highest bond first"
        );
        let mut got: Vec<_> = addresses(&got_active);
        let mut want = addresses(&want_active);
        got.sort();
        want.sort();
        assert_eq!(got, want, "step {step}: active set");

        let mut got_inactive = addresses(&all_pages(&suite, Some(false), 2)?);
        let mut want_inactive: Vec<_> = everyone
            .iter()
            .filter(|p| !p.active)
            .map(|p| p.address.clone())
            .collect();
        got_inactive.sort();
        want_inactive.sort();
        assert_eq!(got_inactive, want_inactive, "step {step}: inactive set");
        steps_with_active += usize::from(!got.is_empty());
        steps_with_inactive += usize::from(!got_inactive.is_empty());
    }
    // The sequence reaches both sides, or the comparison above would prove little.
    assert!(steps_with_active > 50 && steps_with_inactive > 50);
    Ok(())
}
