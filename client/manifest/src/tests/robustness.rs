//! No input makes the parser panic: truncations and corruptions of valid manifests, and
//! hostile shapes, all come back as `Ok` or `Err`.

use std::path::Path;

use super::{parse, BASE};

fn examples() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut sources = vec![BASE.to_string()];
    for name in ["render.yaml", "matmul.yaml", "inference.yaml"] {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(src) => sources.push(src),
            Err(e) => panic!("cannot read example {name}: {e}"),
        }
    }
    sources
}

/// Parses and checks that a failure always explains itself.
fn parse_any(src: &str) {
    if let Err(errors) = parse(src) {
        assert!(!errors.is_empty(), "an Err with no error for {src:?}");
    }
}

#[test]
fn every_truncation_of_a_valid_manifest_parses_or_fails_cleanly() {
    for src in examples() {
        for (cut, _) in src.char_indices() {
            parse_any(&src[..cut]);
        }
    }
}

#[test]
fn corrupting_any_character_of_a_manifest_parses_or_fails_cleanly() {
    for (at, _) in BASE.char_indices() {
        for replacement in [
            ":", "-", "[", "{", "\"", "'", "&a", "*a", "\t", "!", "|", "?", "#", "%", "@", "\u{0}",
            "é",
        ] {
            let mut src = BASE.to_string();
            src.replace_range(at..at + 1, replacement);
            parse_any(&src);
        }
    }
}

#[test]
fn hostile_shapes_fail_cleanly() {
    let huge = "a".repeat(crate::limits::MAX_SOURCE_BYTES + 1);
    let deep_map = format!("{}x", "a:\n ".repeat(100));
    let inputs = [
        "",
        "---",
        "---\n...\n",
        "~",
        "[]",
        "{}",
        "\"just a string\"",
        "version: \"1.0\"\nservices: *nope\n",
        "a: &x [*x]\n",
        "version: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
        "version: \"1.0\"\nservices:\n  s:\n    kernel: k\n    params: {a: {b: {c: {d: [1, [2, [3, {e: 0.1}]]]}}}}\n",
        "\u{feff}version: \"1.0\"\n",
        "version: !!binary aGVsbG8=\n",
        "%YAML 1.2\n---\nversion: \"1.0\"\n",
        &huge,
        &deep_map,
    ];
    for src in inputs {
        let Err(errors) = parse(src) else {
            panic!("{src:?} should not parse")
        };
        assert!(!errors.is_empty());
    }
}
