//! The book's reference parts, generated from the one place each fact lives, so that they cannot
//! drift from it (`tests/reference.rs` fails when a committed page differs):
//!
//! - `docs/configuration.md`: every `template.yaml` parameter, in the template's own
//!   `ParameterGroups`, with its `Default`, its `ConstraintDescription` (or `AllowedValues`) and its
//!   `Description`, and for a function's variable the name and the triggers that read it
//!   (`SETTINGS`, `crates/core/src/config.rs`);
//! - `docs/errors.md`: every error a trigger returns, its `errorType` and message
//!   (`TriggerError::examples`, `crates/core/src/triggers/error.rs`);
//! - `docs/operations.md`: every metric, who counts it and when (`Metric::ALL` and
//!   `Metric::about`, `crates/core/src/metrics.rs`).
//!
//! - `cdk/`'s settings and template data, whole files (`cargo xtask cdk`, the [`cdk`] module).
//!
//! Each part sits in its page between two marker lines; the prose around it is written by hand.
//! `cargo xtask docs` rewrites the parts, `cargo xtask docs --check` only compares. Nothing here
//! lists a parameter, a setting, an error or a metric: a new one shows up by running it again.

pub mod cdk;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_yaml_ng::{Mapping, Value};
use sms_otp_core::config::{SETTINGS, Trigger};
use sms_otp_core::metrics::Metric;
use sms_otp_core::triggers::TriggerError;

/// The command that regenerates the parts, for messages.
pub const COMMAND: &str = "cargo xtask docs";

/// One generated part of a page.
pub struct Part {
    /// The page, relative to the repository's root.
    pub page: &'static str,
    /// Its name in the page's marker lines.
    pub name: &'static str,
    pub text: String,
}

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `template.yaml` under `repo`, parsed.
pub fn template(repo: &Path) -> Result<Value, String> {
    let path = repo.join("template.yaml");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_yaml_ng::from_str(&text).map_err(|e| format!("template.yaml: {e}"))
}

/// Every generated part, from the code and `template.yaml` under `repo`.
pub fn parts(repo: &Path) -> Result<Vec<Part>, String> {
    let template = template(repo)?;
    Ok(vec![
        Part { page: "docs/configuration.md", name: "configuration", text: configuration(&template)? },
        Part { page: "docs/errors.md", name: "errors", text: errors() },
        Part { page: "docs/operations.md", name: "metrics", text: metrics() },
    ])
}

/// The marker lines around part `name`.
fn markers(name: &str) -> (String, String) {
    (
        format!("<!-- begin generated {name}: {COMMAND} writes this part from the code; edit the code, not it -->"),
        format!("<!-- end generated {name} -->"),
    )
}

/// `page` with the text between `part`'s marker lines replaced by the part.
pub fn fill(page: &str, part: &Part) -> Result<String, String> {
    let (begin, end) = markers(part.name);
    let missing = |line: &str| format!("{}: no line {line:?}", part.page);
    let start = page.find(&begin).ok_or_else(|| missing(&begin))? + begin.len();
    let stop = start + page[start..].find(&end).ok_or_else(|| missing(&end))?;
    Ok(format!("{}\n\n{}\n{}", &page[..start], part.text.trim_end(), &page[stop..]))
}

/// The pages whose parts differ from what the code generates.
pub fn stale(repo: &Path) -> Result<Vec<String>, String> {
    let mut stale = Vec::new();
    for part in parts(repo)? {
        let path = repo.join(part.page);
        let page = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        if fill(&page, &part)? != page {
            stale.push(format!("{} ({})", part.page, part.name));
        }
    }
    Ok(stale)
}

/// Rewrites every part in its page; returns the pages that changed.
pub fn write(repo: &Path) -> Result<Vec<&'static str>, String> {
    let mut changed = Vec::new();
    for part in parts(repo)? {
        let path = repo.join(part.page);
        let page = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let filled = fill(&page, &part)?;
        if filled != page {
            std::fs::write(&path, filled).map_err(|e| format!("{}: {e}", path.display()))?;
            changed.push(part.page);
        }
    }
    Ok(changed)
}

/// Plain text in a table cell: no column breaks, no line breaks, and angle brackets shown
/// rather than taken for HTML.
fn cell(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").replace('|', "\\|").replace('<', "&lt;").replace('>', "&gt;")
}

/// A scalar of the template as CloudFormation hands it over: a string (a number or a boolean as
/// YAML writes it).
pub(crate) fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) => serde_yaml_ng::to_string(v).ok().map(|s| s.trim().to_owned()),
        _ => None,
    }
}

fn binaries(triggers: &[Trigger]) -> String {
    triggers.iter().map(|t| t.binary()).collect::<Vec<_>>().join(", ")
}

/// The configuration reference: one table per parameter group of the template.
fn configuration(template: &Value) -> Result<String, String> {
    let parameters = template.get("Parameters").and_then(Value::as_mapping).ok_or("template.yaml has no Parameters")?;
    let groups = template
        .get("Metadata")
        .and_then(|m| m.get("AWS::CloudFormation::Interface"))
        .and_then(|m| m.get("ParameterGroups"))
        .and_then(Value::as_sequence)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    for group in groups {
        let label = group.get("Label").and_then(|l| l.get("default")).and_then(scalar).unwrap_or_default();
        let names = group
            .get("Parameters")
            .and_then(Value::as_sequence)
            .map(|names| names.iter().filter_map(scalar).collect())
            .unwrap_or_default();
        sections.push((label, names));
    }
    let grouped: Vec<&String> = sections.iter().flat_map(|(_, names)| names).collect();
    let others: Vec<String> = parameters.keys().filter_map(scalar).filter(|name| !grouped.contains(&name)).collect();
    if !others.is_empty() {
        sections.push(("Other parameters".into(), others));
    }

    let mut out = String::new();
    for (label, names) in &sections {
        let _ = writeln!(out, "## {label}\n");
        let _ = writeln!(out, "| parameter | variable | default | allowed | read by | what it does |");
        let _ = writeln!(out, "|---|---|---|---|---|---|");
        for name in names {
            let _ = writeln!(out, "{}", parameter_row(parameters, name)?);
        }
        out.push('\n');
    }
    for setting in SETTINGS.iter() {
        match setting.parameter {
            None => {
                let _ = writeln!(
                    out,
                    "`{}` is set by the template itself, from no parameter of its own; read by {}.\n",
                    setting.var,
                    binaries(setting.read_by)
                );
            }
            Some(p) if !parameters.contains_key(p) => {
                return Err(format!("SETTINGS names parameter {p} ({}), which template.yaml lacks", setting.var));
            }
            Some(_) => {}
        }
    }
    Ok(out)
}

/// One parameter's row: `| parameter | variable | default | allowed | read by | what it does |`.
fn parameter_row(parameters: &Mapping, name: &str) -> Result<String, String> {
    let p = parameters.get(name).ok_or_else(|| format!("ParameterGroups name {name}, which Parameters lacks"))?;
    let text = |key: &str| p.get(key).and_then(scalar);
    let setting = SETTINGS.iter().find(|s| s.parameter == Some(name));
    let default = match text("Default").unwrap_or_default() {
        d if d.is_empty() => "empty".to_owned(),
        d => format!("`{}`", d.replace('|', "\\|")),
    };
    let allowed = match (text("ConstraintDescription"), p.get("AllowedValues").and_then(Value::as_sequence)) {
        (Some(constraint), _) => cell(&constraint),
        (None, Some(values)) => {
            values.iter().filter_map(scalar).map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
        }
        (None, None) if p.get("AllowedPattern").is_some() => {
            return Err(format!(
                "{name}: give it a ConstraintDescription (the reference shows it, and so does CloudFormation)"
            ));
        }
        (None, None) => "any".to_owned(),
    };
    let mut description = text("Description").unwrap_or_default();
    if let Some(s) = setting {
        // The template's descriptions begin with the variable, for the console.
        if let Some(rest) = description.strip_prefix(s.var).and_then(|r| r.strip_prefix(". ")) {
            description = rest.to_owned();
        }
    }
    let (variable, read_by) = match setting {
        Some(s) => (format!("`{}`", s.var), binaries(s.read_by)),
        None => ("template only".to_owned(), "-".to_owned()),
    };
    Ok(format!("| `{name}` | {variable} | {default} | {allowed} | {read_by} | {} |", cell(&description)))
}

/// Every error a trigger returns, as Lambda reports it to Cognito.
fn errors() -> String {
    let mut out = String::from("| `errorType` | message |\n|---|---|\n");
    for e in TriggerError::examples() {
        let _ = writeln!(out, "| `{}` | {} |", e.kind(), cell(&e.to_string()));
    }
    out
}

/// Every metric, who counts it and when.
fn metrics() -> String {
    let mut out = String::from("| metric | counted by | when |\n|---|---|---|\n");
    for metric in Metric::ALL {
        let (counted_by, when) = metric.about();
        let _ = writeln!(out, "| `{}` | {} | {} |", metric.name(), binaries(counted_by), cell(when));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(text: &str) -> Part {
        Part { page: "docs/x.md", name: "x", text: text.into() }
    }

    #[test]
    fn fill_replaces_only_what_is_between_the_markers() {
        let (begin, end) = markers("x");
        let page = format!("# X\n\nby hand\n\n{begin}\n\nold\n{end}\n\nafter\n");
        let filled = fill(&page, &part("new\n")).expect("markers");
        assert_eq!(filled, format!("# X\n\nby hand\n\n{begin}\n\nnew\n{end}\n\nafter\n"));
        assert_eq!(fill(&filled, &part("new\n")).expect("markers"), filled, "filling twice changes nothing");
    }

    #[test]
    fn fill_names_a_missing_marker() {
        let e = fill("# X\n", &part("new")).expect_err("refused");
        assert!(e.contains("docs/x.md") && e.contains("begin generated x"), "{e}");
    }

    #[test]
    fn cells_keep_to_one_line_and_show_brackets() {
        assert_eq!(cell("a | b\n  <domain>"), "a \\| b &lt;domain&gt;");
    }
}
