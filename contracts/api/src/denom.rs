//! The bank module's denom rule, written once: the contracts, the VM and the node all check
//! denoms with it, so a denom one of them accepts is never refused by another.

/// The Cosmos SDK's default denom rule: `[a-zA-Z][a-zA-Z0-9/:._-]{2,127}`.
pub fn is_valid_denom(denom: &str) -> bool {
    let bytes = denom.as_bytes();
    (3..=128).contains(&bytes.len())
        && bytes[0].is_ascii_alphabetic()
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b':' | b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdk_rule() {
        for ok in [
            "utsr",
            "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2",
            "a.b-c_d:e",
            &"x".repeat(128),
        ] {
            assert!(is_valid_denom(ok), "{ok}");
        }
        for bad in [
            "",
            "ab",
            "1abc",
            "/abc",
            "ab c",
            "utsr!",
            "ütsr",
            &"x".repeat(129),
        ] {
            assert!(!is_valid_denom(bad), "{bad}");
        }
    }
}
