//! Field paths as errors print them: `profiles.compute.gpu-small.memory`, `inputs[0].name`.

/// Keys that print bare; anything else (dots, spaces, quotes) is quoted so the path stays
/// unambiguous.
fn is_plain_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub(crate) fn child(parent: &str, key: &str) -> String {
    let key = if is_plain_key(key) {
        key.to_string()
    } else {
        format!("{key:?}")
    };
    if parent.is_empty() {
        key
    } else {
        format!("{parent}.{key}")
    }
}

pub(crate) fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

/// The path one level up, `None` at the top. Quoted keys holding `.` or `[` cut in the wrong
/// place; that only makes an error point at an enclosing line, so it is not worth a parser.
pub(crate) fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    Some(path.rfind(['.', '[']).map_or("", |i| &path[..i]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_keys_with_dots_and_quote_odd_keys() {
        assert_eq!(child("", "services"), "services");
        assert_eq!(child("services", "render"), "services.render");
        assert_eq!(child("params", "a.b"), "params.\"a.b\"");
        assert_eq!(
            index("services.render.inputs", 2),
            "services.render.inputs[2]"
        );
    }

    #[test]
    fn parents_strip_one_level() {
        assert_eq!(parent("a.b[2]"), Some("a.b"));
        assert_eq!(parent("a.b"), Some("a"));
        assert_eq!(parent("a"), Some(""));
        assert_eq!(parent(""), None);
    }
}
