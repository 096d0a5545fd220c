//! The guard every contract's `migrate` runs before it touches state: the code being migrated
//! to must be the same contract, at a release no older than the one that wrote the state.
//!
//! cw2 has the same check (`ensure_from_older_version`), but it parses releases with the
//! `semver` crate, which links about 8 KB of parsing and formatting into every contract that
//! calls it. The contracts record their crate version, always `MAJOR.MINOR.PATCH`, so a
//! three-number parse is all the check needs.

use core::fmt;

use cosmwasm_std::{StdError, StdResult, Storage};

/// A release number as the contracts record it: `MAJOR.MINOR.PATCH`, ordered by its numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Release {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

impl Release {
    /// Parses `MAJOR.MINOR.PATCH` (decimal numbers without signs). Pre-release and build
    /// suffixes are refused rather than ordered: no contract records one.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('.');
        let mut number = || {
            let part = parts.next()?;
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let release = Release {
            major: number()?,
            minor: number()?,
            patch: number()?,
        };
        parts.next().is_none().then_some(release)
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Checks that the state in `storage` was written by contract `name` at a release no newer than
/// `new_version`, records `new_version` (when it is newer), and returns the release found.
/// On any refusal nothing is written.
pub fn ensure_upgrade(
    storage: &mut dyn Storage,
    name: &str,
    new_version: &str,
) -> StdResult<Release> {
    let new = release(new_version, "the new code's")?;
    let stored = cw2::get_contract_version(storage)?;
    if stored.contract != name {
        return Err(StdError::msg(format!(
            "Cannot migrate from {} to {name}: a different contract",
            stored.contract
        )));
    }
    let old = release(&stored.version, "the stored")?;
    if old > new {
        return Err(StdError::msg(format!(
            "Cannot migrate from newer version ({old}) to older ({new})"
        )));
    }
    if old < new {
        cw2::set_contract_version(storage, name, new_version)?;
    }
    Ok(old)
}

fn release(text: &str, whose: &str) -> StdResult<Release> {
    Release::parse(text).ok_or_else(|| {
        StdError::msg(format!(
            "{whose} contract version '{text}' is not MAJOR.MINOR.PATCH"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;

    const NAME: &str = "crates.io:tessera-test";

    fn stored(version: &str) -> MockStorage {
        let mut storage = MockStorage::new();
        cw2::set_contract_version(&mut storage, NAME, version).unwrap();
        storage
    }

    #[test]
    fn releases_parse_and_order_by_their_numbers() {
        let r = |s| Release::parse(s).unwrap();
        assert_eq!(
            r("1.20.3"),
            Release {
                major: 1,
                minor: 20,
                patch: 3
            }
        );
        assert!(r("0.9.0") < r("0.10.0"));
        assert!(r("1.0.0") > r("0.99.99"));
        assert_eq!(r("0.1.0").to_string(), "0.1.0");
        for bad in [
            "",
            "1",
            "1.2",
            "1.2.3.4",
            "1.2.x",
            "1..3",
            "+1.2.3",
            "1.2.3-rc1",
            " 1.2.3",
        ] {
            assert_eq!(Release::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn an_older_release_is_bumped_and_returned() {
        let mut storage = stored("0.0.9");
        assert_eq!(
            ensure_upgrade(&mut storage, NAME, "0.1.0")
                .unwrap()
                .to_string(),
            "0.0.9"
        );
        assert_eq!(
            cw2::get_contract_version(&storage).unwrap().version,
            "0.1.0"
        );
    }

    #[test]
    fn the_same_release_passes_unchanged() {
        let mut storage = stored("0.1.0");
        assert_eq!(
            ensure_upgrade(&mut storage, NAME, "0.1.0")
                .unwrap()
                .to_string(),
            "0.1.0"
        );
    }

    #[test]
    fn refusals_name_the_reason_and_write_nothing() {
        let cases = [
            (
                "crates.io:other",
                "0.0.1",
                "0.1.0",
                "Cannot migrate from crates.io:other",
            ),
            (
                NAME,
                "0.2.0",
                "0.1.0",
                "Cannot migrate from newer version (0.2.0) to older (0.1.0)",
            ),
            (
                NAME,
                "0.1",
                "0.1.0",
                "the stored contract version '0.1' is not MAJOR.MINOR.PATCH",
            ),
            (
                NAME,
                "0.0.1",
                "next",
                "the new code's contract version 'next'",
            ),
        ];
        for (contract, version, new, reason) in cases {
            let mut storage = MockStorage::new();
            cw2::set_contract_version(&mut storage, contract, version).unwrap();
            let err = ensure_upgrade(&mut storage, NAME, new).unwrap_err();
            assert!(err.to_string().contains(reason), "{err} lacks {reason:?}");
            let kept = cw2::get_contract_version(&storage).unwrap();
            assert_eq!(
                (kept.contract.as_str(), kept.version.as_str()),
                (contract, version)
            );
        }
    }

    #[test]
    fn state_without_a_recorded_version_is_refused() {
        let mut storage = MockStorage::new();
        assert!(ensure_upgrade(&mut storage, NAME, "0.1.0").is_err());
    }
}
