//! Results on stdout as JSON (`-o json`, for scripts and CI) or text (YAML-like, for people);
//! errors on stderr, as JSON too when asked, so a pipeline can read why a command failed.

use std::str::FromStr;

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            other => Err(format!("unknown output {other:?}; use text or json")),
        }
    }
}

pub struct Output {
    pub format: Format,
}

impl Output {
    pub fn new(format: Format) -> Self {
        Self { format }
    }

    pub fn is_json(&self) -> bool {
        self.format == Format::Json
    }

    /// Prints `value`: compact JSON, or YAML for people.
    pub fn value<T: Serialize>(&self, value: &T) {
        match self.format {
            Format::Json => println!("{}", serde_json::to_string(value).unwrap_or_default()),
            Format::Text => {
                let yaml = serde_yaml::to_string(value).unwrap_or_default();
                print!("{}", yaml.strip_prefix("---\n").unwrap_or(&yaml));
            }
        }
    }

    /// Prints `value` as JSON, or `text` for people.
    pub fn either<T: Serialize>(&self, value: &T, text: impl FnOnce() -> String) {
        match self.format {
            Format::Json => self.value(value),
            Format::Text => println!("{}", text()),
        }
    }

    /// A list for people: one line per item, or `empty` when there are none.
    pub fn lines<T>(items: &[T], empty: &str, line: impl Fn(&T) -> String) -> String {
        if items.is_empty() {
            return empty.to_string();
        }
        items.iter().map(line).collect::<Vec<_>>().join("\n")
    }

    /// A progress note for people (stderr, text mode only).
    pub fn note(&self, text: impl std::fmt::Display) {
        if self.format == Format::Text {
            eprintln!("{text}");
        }
    }

    /// Where the client says why it sends a tx again (stderr in both formats, so `-o json`
    /// stdout stays the result alone; one JSON object a line in JSON mode).
    pub fn retry_notice(&self) -> tessera_client::tx::Notice {
        let format = self.format;
        std::sync::Arc::new(move |line: &str| match format {
            Format::Json => eprintln!("{}", serde_json::json!({ "notice": line })),
            Format::Text => eprintln!("note: {line}"),
        })
    }

    pub fn error(&self, error: &anyhow::Error) {
        match self.format {
            Format::Json => eprintln!("{}", serde_json::json!({ "error": format!("{error:#}") })),
            Format::Text => eprintln!("Error: {error:#}"),
        }
    }
}
