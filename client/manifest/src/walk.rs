//! Reading the YAML tree as typed fields, collecting every problem instead of stopping at the
//! first, and remembering where each field sits so that later checks can point at it.

use std::collections::BTreeMap;

use tessera_api::validation::check_token;

use crate::error::ManifestError;
use crate::limits::MAX_NAME_LEN;
use crate::path;
use crate::yaml::{problem, Entry, Kind, Mark, Node, Resolved};

/// The problems found so far and the position of every field read.
pub(crate) struct Cx {
    pub errors: Vec<ManifestError>,
    positions: BTreeMap<String, Mark>,
}

impl Cx {
    pub fn new(errors: Vec<ManifestError>) -> Self {
        Self {
            errors,
            positions: BTreeMap::new(),
        }
    }

    pub fn error(&mut self, mark: Mark, path: &str, message: impl Into<String>) {
        self.errors.push(problem(mark, path, message));
    }

    /// A problem found after reading, placed at the field `path` (or the nearest enclosing
    /// field that was seen).
    pub fn error_at(&mut self, path: &str, message: impl Into<String>) {
        let mark = self.mark_of(path);
        self.error(mark, path, message);
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    fn record(&mut self, path: &str, mark: Mark) {
        self.positions.entry(path.to_string()).or_insert(mark);
    }

    fn mark_of(&self, path: &str) -> Mark {
        let mut at = Some(path);
        while let Some(p) = at {
            if let Some(mark) = self.positions.get(p) {
                return *mark;
            }
            at = path::parent(p);
        }
        Mark::START
    }
}

/// One field about to be read: its path, where to point when it is wrong as a whole (its key,
/// or the value for a scalar), and its value.
pub(crate) struct Field<'n> {
    pub path: String,
    pub mark: Mark,
    pub node: &'n Node,
}

impl<'n> Field<'n> {
    pub fn root(node: &'n Node) -> Self {
        Field {
            path: String::new(),
            mark: Mark::START,
            node,
        }
    }

    fn entry(cx: &mut Cx, parent: &str, entry: &'n Entry) -> Self {
        let path = path::child(parent, &entry.key);
        // Scalars are pointed at where the value is; collections at their key, which is
        // where a reader looks for "the gpu section".
        let mark = if entry.value.as_scalar().is_some() && !entry.value.is_null() {
            entry.value.mark
        } else {
            entry.key_mark
        };
        cx.record(&path, mark);
        Field {
            path,
            mark,
            node: &entry.value,
        }
    }

    fn item(cx: &mut Cx, parent: &str, i: usize, node: &'n Node) -> Self {
        let path = path::index(parent, i);
        cx.record(&path, node.mark);
        Field {
            path,
            mark: node.mark,
            node,
        }
    }

    pub fn error(&self, cx: &mut Cx, message: impl Into<String>) {
        cx.error(self.mark, &self.path, message);
    }

    /// The field's own path and position, for problems with the value itself.
    fn value_error(&self, cx: &mut Cx, message: impl Into<String>) {
        cx.error(self.node.mark, &self.path, message);
    }
}

/// A YAML mapping read as a record with a fixed set of keys.
pub(crate) struct Fields<'n> {
    path: String,
    mark: Mark,
    entries: &'n [Entry],
}

impl<'n> Fields<'n> {
    /// Reads `field` as a mapping whose keys are among `allowed`, reporting each other key.
    /// `reserved` keys get their own explanation instead of the generic one.
    pub fn read(
        cx: &mut Cx,
        field: &Field<'n>,
        allowed: &[&str],
        reserved: &[(&str, &str)],
    ) -> Option<Self> {
        let Kind::Map(entries) = &field.node.kind else {
            field.value_error(
                cx,
                format!(
                    "expected a mapping with keys {}, found {}",
                    allowed.join(", "),
                    field.node.describe()
                ),
            );
            return None;
        };
        for entry in entries {
            if allowed.contains(&entry.key.as_str()) {
                continue;
            }
            let path = path::child(&field.path, &entry.key);
            let message = match reserved.iter().find(|(key, _)| *key == entry.key) {
                Some((_, why)) => (*why).to_string(),
                None => format!(
                    "unknown key {:?}; allowed here: {}",
                    entry.key,
                    allowed.join(", ")
                ),
            };
            cx.error(entry.key_mark, &path, message);
        }
        Some(Fields {
            path: field.path.clone(),
            mark: field.mark,
            entries,
        })
    }

    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|e| e.key == key)
    }

    /// The field `key`, or `None` when it is absent or empty (`key:` with no value): both
    /// mean "use the default".
    pub fn get(&self, cx: &mut Cx, key: &str) -> Option<Field<'n>> {
        let entry = self.entries.iter().find(|e| e.key == key)?;
        let field = Field::entry(cx, &self.path, entry);
        (!entry.value.is_null()).then_some(field)
    }

    pub fn required(&self, cx: &mut Cx, key: &str) -> Option<Field<'n>> {
        let field = self.get(cx, key);
        if field.is_none() {
            let path = path::child(&self.path, key);
            match self.entries.iter().find(|e| e.key == key) {
                Some(entry) => cx.error(entry.key_mark, &path, "is required but empty"),
                None => cx.error(self.mark, &path, "is required but missing"),
            }
        }
        field
    }
}

/// The text of a scalar (a string, or a number or boolean as written), for fields whose values
/// are names and identifiers: `model: 4090` means the string "4090".
pub(crate) fn text<'n>(cx: &mut Cx, field: &Field<'n>) -> Option<&'n str> {
    match field.node.as_scalar() {
        Some(s) if !field.node.is_null() => Some(s.text.as_str()),
        _ => {
            field.value_error(
                cx,
                format!("expected a string, found {}", field.node.describe()),
            );
            None
        }
    }
}

/// A token as the chain checks it: non-empty printable ASCII without spaces, bounded.
pub(crate) fn token(cx: &mut Cx, field: &Field<'_>, what: &str) -> Option<String> {
    let value = text(cx, field)?;
    match check_token(what, value) {
        Ok(()) => Some(value.to_string()),
        Err(e) => {
            field.value_error(cx, e.reason);
            None
        }
    }
}

/// An integer written as a YAML integer (not quoted) within `min..=max`.
pub(crate) fn integer(cx: &mut Cx, field: &Field<'_>, min: u64, max: u64) -> Option<u64> {
    let resolved = field.node.as_scalar().map(|s| (s.plain, s.resolve()));
    match resolved {
        Some((_, Resolved::Int(Some(i)))) => {
            if i < i128::from(min) {
                field.value_error(cx, format!("must be at least {min}, found {i}"));
                None
            } else if i > i128::from(max) {
                field.value_error(cx, format!("must be at most {max}, found {i}"));
                None
            } else {
                u64::try_from(i).ok()
            }
        }
        Some((_, Resolved::Int(None))) => {
            field.value_error(cx, format!("must be at most {max}"));
            None
        }
        Some((false, Resolved::Str(t))) if t.parse::<i128>().is_ok() => {
            field.value_error(
                cx,
                format!("expected an integer, found the string {t:?}; remove the quotes"),
            );
            None
        }
        _ => {
            field.value_error(
                cx,
                format!("expected an integer, found {}", field.node.describe()),
            );
            None
        }
    }
}

/// A sequence of at most `max` items.
pub(crate) fn sequence<'n>(cx: &mut Cx, field: &Field<'n>, max: usize) -> Vec<Field<'n>> {
    let Kind::Seq(items) = &field.node.kind else {
        field.value_error(
            cx,
            format!("expected a sequence, found {}", field.node.describe()),
        );
        return Vec::new();
    };
    if items.len() > max {
        field.error(cx, format!("lists {} items, max {max}", items.len()));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, node)| Field::item(cx, &field.path, i, node))
        .collect()
}

/// The entries of a mapping whose keys are names the user chose (services, profiles,
/// placements), at most `max` of them. `defines` checks each name's spelling; references to
/// names (deployment, pricing) are checked against the definitions instead.
pub(crate) fn named<'n>(
    cx: &mut Cx,
    field: &Field<'n>,
    what: &str,
    max: usize,
    defines: bool,
) -> Vec<(&'n str, Field<'n>)> {
    let Kind::Map(entries) = &field.node.kind else {
        field.value_error(
            cx,
            format!(
                "expected a mapping of {what}, found {}",
                field.node.describe()
            ),
        );
        return Vec::new();
    };
    if entries.len() > max {
        field.error(cx, format!("has {} {what}, max {max}", entries.len()));
    }
    entries
        .iter()
        .map(|entry| {
            if defines {
                if let Err(why) = check_name(&entry.key) {
                    let path = path::child(&field.path, &entry.key);
                    cx.error(entry.key_mark, &path, why);
                }
            }
            (entry.key.as_str(), Field::entry(cx, &field.path, entry))
        })
        .collect()
}

/// Service, profile and placement names: they end up joined as `service.placement` in market
/// group names, so they may not hold the `.` that separates them.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    let ok = (1..=MAX_NAME_LEN).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a valid name; use 1 to {MAX_NAME_LEN} ASCII letters, digits, '-' \
             and '_', starting with a letter or a digit"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_letters_digits_dashes_and_underscores() {
        assert!(check_name("gpu-small_2").is_ok());
        assert!(check_name("7b").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("-x").is_err());
        assert!(check_name("a.b").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name(&"x".repeat(MAX_NAME_LEN + 1)).is_err());
    }
}
