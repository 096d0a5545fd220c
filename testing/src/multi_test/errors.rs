//! Contract errors as cw-multi-test reports them.

use cosmwasm_std::StdError;

/// The message carried by a failed contract call. cw-multi-test 3 turns a contract's error into
/// text wrapped in `StdError`s (`kind: Other, error: …`), so the contract's error type cannot be
/// downcast: its `Display` is the innermost message, which is what tests compare.
pub fn contract_message(err: &StdError) -> String {
    let text = err.to_string();
    match text.rsplit_once("kind: Other, error: ") {
        Some((_, inner)) => inner.to_string(),
        None => text,
    }
}

/// Asserts that a chain error carries the contract error whose text is `wanted`: as the
/// innermost error, or as a line of a submessage's error.
#[track_caller]
pub fn assert_error_text(err: &StdError, wanted: &str) {
    let text = err.to_string();
    assert!(
        contract_message(err) == wanted
            || text.ends_with(&format!("error: {wanted}"))
            || text.contains(&format!("{wanted}\n"))
            || text.ends_with(wanted),
        "expected error {wanted:?}, got {text:?}"
    );
}
