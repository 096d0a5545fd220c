//! Stateless validation shared by the contracts and the off-chain tools, so that the CLI rejects
//! what the chain would reject, with the same words, before a fee is spent.

use thiserror::Error;

/// Something in a message is malformed: `what` names the field, `reason` says what is wrong.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
#[error("invalid {what}: {reason}")]
pub struct ValidationError {
    pub what: String,
    pub reason: String,
}

impl ValidationError {
    pub fn new(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            reason: reason.into(),
        }
    }
}

/// Longest accepted free-text field (names, models, attribute values, URIs).
pub const MAX_TEXT_LEN: usize = 256;

/// A short identifier-like string: non-empty, bounded, printable ASCII without whitespace.
pub fn check_token(what: &str, value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new(what, "must not be empty"));
    }
    if value.len() > MAX_TEXT_LEN {
        return Err(ValidationError::new(
            what,
            format!("is {} bytes long, max {MAX_TEXT_LEN}", value.len()),
        ));
    }
    if let Some(c) = value.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(ValidationError::new(
            what,
            format!("{value:?} contains the character {c:?}; use printable ASCII without spaces"),
        ));
    }
    Ok(())
}

/// Free text (descriptions): bounded, no control characters.
pub fn check_text(what: &str, value: &str, max_len: usize) -> Result<(), ValidationError> {
    if value.len() > max_len {
        return Err(ValidationError::new(
            what,
            format!("is {} bytes long, max {max_len}", value.len()),
        ));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(ValidationError::new(what, "contains control characters"));
    }
    Ok(())
}

/// A sha256 digest written as 64 lowercase hex characters.
pub fn check_sha256_hex(what: &str, value: &str) -> Result<(), ValidationError> {
    let ok = value.len() == 64
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new(
            what,
            format!("{value:?} is not a sha256 digest (64 lowercase hex characters)"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_reject_empty_long_and_spaced_values() {
        assert!(check_token("model", "H100").is_ok());
        assert_eq!(
            check_token("model", "").unwrap_err().to_string(),
            "invalid model: must not be empty"
        );
        assert!(check_token("model", "a b").is_err());
        assert!(check_token("model", &"x".repeat(MAX_TEXT_LEN + 1)).is_err());
    }

    #[test]
    fn sha256_digests_must_be_lowercase_hex_of_the_right_length() {
        assert!(check_sha256_hex("hash", &"ab".repeat(32)).is_ok());
        assert!(check_sha256_hex("hash", &"AB".repeat(32)).is_err());
        assert!(check_sha256_hex("hash", "abc").is_err());
    }
}
