//! What a manifest can get wrong, told the way a compiler would: `file:line:column: field: what`.

use std::fmt;

use thiserror::Error;

/// One problem in a manifest.
///
/// `line` and `column` are 1-based (columns count characters); both are 0 when the problem has
/// no place in the text (the file could not be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    pub line: usize,
    pub column: usize,
    /// Dotted path of the field, e.g. `profiles.compute.gpu-small.memory` or
    /// `services.render.inputs[0].sha256`; empty for problems of the whole file (syntax, I/O).
    pub path: String,
    pub message: String,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: ", self.line, self.column)?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

/// Every problem found in one manifest, in the order they appear in the file.
///
/// Displayed one per line as `origin:line:column: path: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestErrors {
    origin: String,
    errors: Vec<ManifestError>,
}

impl ManifestErrors {
    /// `origin` names the file in messages (a path, or `<stdin>`).
    pub fn new(origin: impl Into<String>, mut errors: Vec<ManifestError>) -> Self {
        // Stable: problems found at one place keep the order they were found in.
        errors.sort_by_key(|e| (e.line, e.column));
        Self {
            origin: origin.into(),
            errors,
        }
    }

    /// A problem of the whole file, with no line (the file could not be read).
    pub fn whole_file(origin: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(
            origin,
            vec![ManifestError {
                line: 0,
                column: 0,
                path: String::new(),
                message: message.into(),
            }],
        )
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn errors(&self) -> &[ManifestError] {
        &self.errors
    }

    pub fn len(&self) -> usize {
        self.errors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, ManifestError> {
        self.errors.iter()
    }
}

impl<'a> IntoIterator for &'a ManifestErrors {
    type Item = &'a ManifestError;
    type IntoIter = std::slice::Iter<'a, ManifestError>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.iter()
    }
}

// Written by hand rather than with thiserror: the message is a list, one line per problem.
impl fmt::Display for ManifestErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            let separator = if error.line > 0 { ":" } else { ": " };
            write!(f, "{}{separator}{error}", self.origin)?;
        }
        Ok(())
    }
}

impl std::error::Error for ManifestErrors {}

/// A manifest does not hash to the value it was checked against (e.g. the on-chain hash).
#[derive(Error, Debug, Clone, PartialEq, Eq)]
#[error("manifest hash mismatch: expected {expected}, the manifest hashes to {actual}")]
pub struct HashMismatch {
    pub expected: String,
    pub actual: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(line: usize, column: usize, path: &str, message: &str) -> ManifestError {
        ManifestError {
            line,
            column,
            path: path.into(),
            message: message.into(),
        }
    }

    #[test]
    fn errors_print_one_per_line_sorted_by_position() {
        let errors = ManifestErrors::new(
            "render.yaml",
            vec![
                error(31, 15, "deployment.render.anywhere.profile", "unknown"),
                error(14, 9, "profiles.compute.gpu-small.memory", "not a size"),
                error(2, 1, "", "syntax"),
            ],
        );
        assert_eq!(
            errors.to_string(),
            "render.yaml:2:1: syntax\n\
             render.yaml:14:9: profiles.compute.gpu-small.memory: not a size\n\
             render.yaml:31:15: deployment.render.anywhere.profile: unknown"
        );
        assert_eq!(errors.len(), 3);
        assert_eq!(errors.errors()[0].line, 2);
    }

    #[test]
    fn errors_without_a_place_print_the_origin_alone() {
        let errors = ManifestErrors::whole_file("missing.yaml", "cannot read the file");
        assert_eq!(errors.to_string(), "missing.yaml: cannot read the file");
    }
}
