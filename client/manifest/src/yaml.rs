//! The YAML layer: saphyr's events become a small tree in which every node and every key knows
//! its line and column, so that later checks, even cross-references, can point at the text.
//!
//! It also refuses what a manifest has no use for and a hostile file could abuse: several
//! documents, duplicate keys (YAML forbids them; parsers silently keep one or the other),
//! non-string keys, custom tags, and nesting or alias expansion beyond fixed bounds.

use std::collections::BTreeMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use crate::error::ManifestError;
use crate::limits::{MAX_DEPTH, MAX_NODES};
use crate::path;

/// A place in the source: 1-based line, 1-based column in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Mark {
    pub line: usize,
    pub column: usize,
}

impl Mark {
    pub const START: Mark = Mark { line: 1, column: 1 };

    fn of(marker: &saphyr_parser::Marker) -> Mark {
        Mark {
            line: marker.line(),
            column: marker.col() + 1,
        }
    }
}

pub(crate) fn problem(mark: Mark, path: &str, message: impl Into<String>) -> ManifestError {
    ManifestError {
        line: mark.line,
        column: mark.column,
        path: path.to_string(),
        message: message.into(),
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub mark: Mark,
    pub kind: Kind,
    /// Nodes in this subtree, itself included: what copying it for an alias costs.
    size: usize,
    /// Levels of this subtree (1 for a scalar).
    depth: usize,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone)]
pub(crate) struct Scalar {
    pub text: String,
    /// Plain (unquoted, untagged) scalars are typed by the YAML 1.2 core schema; quoted, block
    /// and `!!str` scalars are always strings.
    pub plain: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub key: String,
    pub key_mark: Mark,
    pub value: Node,
}

/// A scalar's value under the YAML 1.2 core schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resolved<'a> {
    Null,
    Bool(bool),
    /// `None` when the integer does not fit in an `i128`.
    Int(Option<i128>),
    Float,
    Str(&'a str),
}

impl Scalar {
    pub fn resolve(&self) -> Resolved<'_> {
        let text = self.text.as_str();
        if !self.plain {
            return Resolved::Str(text);
        }
        match text {
            "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
            "true" | "True" | "TRUE" => return Resolved::Bool(true),
            "false" | "False" | "FALSE" => return Resolved::Bool(false),
            _ => {}
        }
        if let Some(int) = core_int(text) {
            return Resolved::Int(int);
        }
        if is_core_float(text) {
            return Resolved::Float;
        }
        Resolved::Str(text)
    }
}

/// `[-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+`; the inner `None` is a well-formed integer too
/// large for `i128`.
fn core_int(text: &str) -> Option<Option<i128>> {
    let radix_digits = |prefix: &str, radix: u32| {
        text.strip_prefix(prefix)
            .filter(|d| !d.is_empty() && d.chars().all(|c| c.is_digit(radix)))
            .map(|d| i128::from_str_radix(d, radix).ok())
    };
    if let Some(int) = radix_digits("0x", 16).or_else(|| radix_digits("0o", 8)) {
        return Some(int);
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(text.parse::<i128>().ok());
    }
    None
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?.inf`, `.nan` (core schema).
fn is_core_float(text: &str) -> bool {
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            all_digits(int) && all_digits(frac) && (!int.is_empty() || !frac.is_empty())
        }
        None => !mantissa.is_empty() && all_digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    mantissa_ok && exponent_ok
}

impl Node {
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            Kind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        self.as_scalar()
            .is_some_and(|s| s.resolve() == Resolved::Null)
    }

    /// What the node is, for "expected X, found Y" messages.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Seq(_) => "a sequence".into(),
            Kind::Map(_) => "a mapping".into(),
            Kind::Scalar(s) => match s.resolve() {
                Resolved::Null => "nothing".into(),
                Resolved::Bool(b) => format!("the boolean {b}"),
                Resolved::Int(_) => format!("the integer {}", s.text),
                Resolved::Float => format!("the float {}", s.text),
                Resolved::Str(t) => format!("the string {t:?}"),
            },
        }
    }
}

/// The tree of a manifest's one document, and the problems met while building it. `root` is
/// `None` when the text is empty or could not be parsed to the end.
pub(crate) struct Loaded {
    pub root: Option<Node>,
    pub problems: Vec<ManifestError>,
}

pub(crate) fn load(src: &str) -> Loaded {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(src);
    while let Some(next) = parser.next_event() {
        let step = match next {
            Ok((event, span)) => builder.event(event, span),
            Err(e) => {
                builder.problems.push(problem(
                    Mark::of(e.marker()),
                    "",
                    format!("YAML syntax error: {}", e.info()),
                ));
                Err(Fatal)
            }
        };
        if step.is_err() {
            return Loaded {
                root: None,
                problems: builder.problems,
            };
        }
    }
    Loaded {
        root: builder.root,
        problems: builder.problems,
    }
}

/// Building cannot go on; the reason is already among the problems.
struct Fatal;

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Node>,
    /// Completed anchored nodes by the parser's anchor id.
    anchors: BTreeMap<usize, Node>,
    nodes: usize,
    documents: usize,
    problems: Vec<ManifestError>,
}

struct Frame {
    mark: Mark,
    anchor: usize,
    size: usize,
    depth: usize,
    body: Body,
}

enum Body {
    Seq(Vec<Node>),
    Map {
        entries: Vec<Entry>,
        key: PendingKey,
    },
}

enum PendingKey {
    None,
    Key(String, Mark),
    /// The key was refused; its value is read and dropped.
    Skip,
}

fn tag_name(tag: &Tag) -> String {
    if tag.is_yaml_core_schema() {
        format!("!!{}", tag.suffix)
    } else {
        tag.to_string()
    }
}

fn is_core_tag(tag: &Tag, suffix: &str) -> bool {
    tag.is_yaml_core_schema() && tag.suffix == suffix
}

impl Builder {
    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), Fatal> {
        let mark = Mark::of(&span.start);
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => Ok(()),
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    self.problems.push(problem(
                        mark,
                        "",
                        "a manifest is a single YAML document; remove the second `---` and what follows",
                    ));
                    return Err(Fatal);
                }
                Ok(())
            }
            Event::Alias(id) => self.alias(id, mark),
            Event::Scalar(text, style, anchor, tag) => {
                let mut plain = style == ScalarStyle::Plain;
                if let Some(tag) = tag {
                    if is_core_tag(&tag, "str") {
                        plain = false;
                    } else {
                        self.unsupported_tag(mark, &tag);
                    }
                }
                self.count(1, mark)?;
                let node = Node {
                    mark,
                    kind: Kind::Scalar(Scalar {
                        text: text.into_owned(),
                        plain,
                    }),
                    size: 1,
                    depth: 1,
                };
                self.complete(node, anchor);
                Ok(())
            }
            Event::SequenceStart(anchor, tag) => {
                self.open(mark, anchor, tag.as_deref(), "seq", Body::Seq(Vec::new()))
            }
            Event::MappingStart(anchor, tag) => self.open(
                mark,
                anchor,
                tag.as_deref(),
                "map",
                Body::Map {
                    entries: Vec::new(),
                    key: PendingKey::None,
                },
            ),
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(frame) = self.stack.pop() {
                    let kind = match frame.body {
                        Body::Seq(items) => Kind::Seq(items),
                        Body::Map { entries, .. } => Kind::Map(entries),
                    };
                    let node = Node {
                        mark: frame.mark,
                        kind,
                        size: frame.size,
                        depth: frame.depth,
                    };
                    self.complete(node, frame.anchor);
                }
                Ok(())
            }
        }
    }

    fn open(
        &mut self,
        mark: Mark,
        anchor: usize,
        tag: Option<&Tag>,
        core_suffix: &str,
        body: Body,
    ) -> Result<(), Fatal> {
        if let Some(tag) = tag.filter(|t| !is_core_tag(t, core_suffix)) {
            self.unsupported_tag(mark, tag);
        }
        if self.stack.len() >= MAX_DEPTH {
            let path = self.path();
            self.problems.push(problem(
                mark,
                &path,
                format!("nested more than {MAX_DEPTH} levels deep"),
            ));
            return Err(Fatal);
        }
        self.count(1, mark)?;
        self.stack.push(Frame {
            mark,
            anchor,
            size: 1,
            depth: 1,
            body,
        });
        Ok(())
    }

    fn alias(&mut self, id: usize, mark: Mark) -> Result<(), Fatal> {
        let Some(anchored) = self.anchors.get(&id) else {
            // The parser refuses unknown anchors itself; what is left is an alias inside the
            // node it names, which would be infinite.
            let path = self.path();
            self.problems.push(problem(
                mark,
                &path,
                "this alias refers to a node that contains it",
            ));
            let null = Node {
                mark,
                kind: Kind::Scalar(Scalar {
                    text: String::new(),
                    plain: true,
                }),
                size: 1,
                depth: 1,
            };
            self.push(null);
            return Ok(());
        };
        let mut node = anchored.clone();
        node.mark = mark;
        if self.stack.len() + node.depth > MAX_DEPTH {
            let path = self.path();
            self.problems.push(problem(
                mark,
                &path,
                format!("nested more than {MAX_DEPTH} levels deep once the alias is expanded"),
            ));
            return Err(Fatal);
        }
        self.count(node.size, mark)?;
        self.push(node);
        Ok(())
    }

    fn unsupported_tag(&mut self, mark: Mark, tag: &Tag) {
        let path = self.path();
        self.problems.push(problem(
            mark,
            &path,
            format!(
                "the YAML tag {} is not supported; only !!str (to force a string) is",
                tag_name(tag)
            ),
        ));
    }

    /// Charges `n` nodes against the budget, so that aliases of aliases cannot blow up.
    fn count(&mut self, n: usize, mark: Mark) -> Result<(), Fatal> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            self.problems.push(problem(
                mark,
                "",
                format!(
                    "the manifest has more than {MAX_NODES} YAML nodes (aliases count as copies)"
                ),
            ));
            return Err(Fatal);
        }
        Ok(())
    }

    fn complete(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        self.push(node);
    }

    /// Path of the place the next node goes to.
    fn path(&self) -> String {
        let mut out = String::new();
        for frame in &self.stack {
            match &frame.body {
                Body::Seq(items) => out = path::index(&out, items.len()),
                Body::Map {
                    key: PendingKey::Key(key, _),
                    ..
                } => out = path::child(&out, key),
                Body::Map { .. } => {}
            }
        }
        out
    }

    /// Places a finished node into its parent: a sequence item, a mapping key or value, or the
    /// document root.
    fn push(&mut self, node: Node) {
        let Some(frame) = self.stack.last() else {
            if self.root.is_none() {
                self.root = Some(node);
            }
            return;
        };
        // Problems first, while the stack still shows where the node was going.
        if let Body::Map { entries, key } = &frame.body {
            match key {
                PendingKey::None if node.as_scalar().is_none() => {
                    let path = self.path();
                    self.problems.push(problem(
                        node.mark,
                        &path,
                        format!("mapping keys must be strings, found {}", node.describe()),
                    ));
                }
                PendingKey::Key(key, key_mark) => {
                    if let Some(first) = entries.iter().find(|e| &e.key == key) {
                        let message = format!(
                            "key {key:?} appears twice (first on line {})",
                            first.key_mark.line
                        );
                        let mark = *key_mark;
                        let path = self.path();
                        self.problems.push(problem(mark, &path, message));
                    }
                }
                _ => {}
            }
        }
        let Some(frame) = self.stack.last_mut() else {
            return;
        };
        frame.size = frame.size.saturating_add(node.size);
        frame.depth = frame.depth.max(node.depth + 1);
        match &mut frame.body {
            Body::Seq(items) => items.push(node),
            Body::Map { entries, key } => match std::mem::replace(key, PendingKey::None) {
                PendingKey::None => {
                    *key = match node.kind {
                        Kind::Scalar(s) => PendingKey::Key(s.text, node.mark),
                        _ => PendingKey::Skip,
                    }
                }
                PendingKey::Skip => {}
                PendingKey::Key(key, key_mark) => {
                    // A duplicate was reported above; the first value stands.
                    if !entries.iter().any(|e| e.key == key) {
                        entries.push(Entry {
                            key,
                            key_mark,
                            value: node,
                        });
                    }
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(src: &str) -> Node {
        let loaded = load(src);
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        loaded.root.expect("a document")
    }

    fn messages(src: &str) -> Vec<String> {
        load(src).problems.iter().map(ToString::to_string).collect()
    }

    fn plain(text: &str) -> Scalar {
        Scalar {
            text: text.into(),
            plain: true,
        }
    }

    #[test]
    fn nodes_and_keys_carry_their_line_and_column() {
        let node = root("a:\n  b: 1\n  c: [x, y]\n");
        let Kind::Map(top) = &node.kind else {
            panic!("a mapping")
        };
        assert_eq!(top[0].key_mark, Mark { line: 1, column: 1 });
        let Kind::Map(inner) = &top[0].value.kind else {
            panic!("a mapping")
        };
        assert_eq!(inner[1].key, "c");
        assert_eq!(inner[1].key_mark, Mark { line: 3, column: 3 });
        assert_eq!(inner[1].value.mark, Mark { line: 3, column: 6 });
    }

    #[test]
    fn plain_scalars_follow_the_core_schema() {
        assert_eq!(plain("~").resolve(), Resolved::Null);
        assert_eq!(plain("").resolve(), Resolved::Null);
        assert_eq!(plain("True").resolve(), Resolved::Bool(true));
        assert_eq!(plain("yes").resolve(), Resolved::Str("yes"));
        assert_eq!(plain("-42").resolve(), Resolved::Int(Some(-42)));
        assert_eq!(plain("0x1f").resolve(), Resolved::Int(Some(31)));
        assert_eq!(plain("0o17").resolve(), Resolved::Int(Some(15)));
        assert_eq!(plain("1_000").resolve(), Resolved::Str("1_000"));
        assert_eq!(
            plain("999999999999999999999999999999999999999999").resolve(),
            Resolved::Int(None)
        );
        for float in ["0.5", ".5", "1.", "1e3", "-2.5E-3", ".inf", "-.Inf", ".nan"] {
            assert_eq!(plain(float).resolve(), Resolved::Float, "{float}");
        }
        for text in ["1.0.0", "e3", ".", "1e", "8Gi", "500m"] {
            assert_eq!(plain(text).resolve(), Resolved::Str(text), "{text}");
        }
        let quoted = Scalar {
            text: "42".into(),
            plain: false,
        };
        assert_eq!(quoted.resolve(), Resolved::Str("42"));
    }

    #[test]
    fn str_tags_force_strings_and_other_tags_are_refused() {
        let node = root("a: !!str 42\n");
        let Kind::Map(entries) = &node.kind else {
            panic!("a mapping")
        };
        assert_eq!(
            entries[0].value.as_scalar().map(Scalar::resolve),
            Some(Resolved::Str("42"))
        );
        assert_eq!(
            messages("a: !custom 42\n"),
            ["1:4: a: the YAML tag !custom is not supported; only !!str (to force a string) is"]
        );
    }

    #[test]
    fn duplicate_keys_are_refused_naming_the_first() {
        assert_eq!(
            messages("a:\n  b: 1\n  b: 2\n"),
            ["3:3: a.b: key \"b\" appears twice (first on line 2)"]
        );
    }

    #[test]
    fn non_string_keys_are_refused() {
        assert_eq!(
            messages("? [a, b]\n: 1\n"),
            ["1:3: mapping keys must be strings, found a sequence"]
        );
    }

    #[test]
    fn a_second_document_is_refused() {
        assert_eq!(
            messages("a: 1\n---\nb: 2\n"),
            ["2:1: a manifest is a single YAML document; remove the second `---` and what follows"]
        );
    }

    #[test]
    fn syntax_errors_stop_with_their_position() {
        let loaded = load("a: [1, 2\nb: 3\n");
        assert!(loaded.root.is_none());
        assert_eq!(loaded.problems.len(), 1);
        assert!(loaded.problems[0]
            .message
            .starts_with("YAML syntax error: "));
        assert!(loaded.problems[0].line >= 1);
    }

    #[test]
    fn aliases_expand_to_copies_of_their_anchor() {
        let node = root("a: &x {b: 1}\nc: *x\n");
        let Kind::Map(entries) = &node.kind else {
            panic!("a mapping")
        };
        assert!(matches!(&entries[1].value.kind, Kind::Map(inner) if inner[0].key == "b"));
        assert_eq!(entries[1].value.mark, Mark { line: 2, column: 4 });
    }

    #[test]
    fn alias_bombs_hit_the_node_budget() {
        let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            src.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let loaded = load(&src);
        assert!(loaded.root.is_none());
        assert!(loaded.problems[0]
            .message
            .contains("more than 100000 YAML nodes"));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let src = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let loaded = load(&src);
        assert!(loaded.root.is_none());
        assert!(loaded.problems[0]
            .message
            .contains("nested more than 32 levels"));
    }
}
