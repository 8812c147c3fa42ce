//! `cargo xtask cdk`: the CDK construct's (`cdk/`) view of `template.yaml` and [`SETTINGS`], so
//! that the construct restates no parameter, default, range or variable by hand:
//!
//! - `cdk/src/settings.generated.ts`: the construct's settings, one prop per template parameter
//!   (its name in camelCase), typed from the parameter (a whole number, a boolean, an enum of its
//!   `AllowedValues`, or text), documented with its `Description`, what it allows and its
//!   `Default`;
//! - `cdk/src/template.generated.ts`: what the construct checks and passes on: each parameter's
//!   default, `AllowedPattern`, `AllowedValues`, lengths and the words of its refusal (a function's
//!   own, [`Whole::expected`], where it reads the value), whether a condition of the template reads
//!   it, each variable with the functions that read it, and the template's functions (binary,
//!   logical id, description, a trigger's pool slot).
//!
//! `cargo xtask cdk --check` (and `tests/reference.rs`) fails when a committed file differs.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value as Json, json};
use serde_yaml_ng::Value;
use sms_otp_core::config::{SETTINGS, Setting, Trigger, Whole};

use crate::scalar;

/// The command that regenerates the files, for messages.
pub const COMMAND: &str = "cargo xtask cdk";

/// One generated file, relative to the repository's root, and its text.
pub struct File {
    pub path: &'static str,
    pub text: String,
}

/// How a parameter's value is typed as a prop of the construct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A whole number (a `String` parameter whose pattern admits digits only).
    Whole,
    /// A `Number` parameter (its `AllowedValues`).
    Number,
    /// `AllowedValues` of `true` and `false`.
    Boolean,
    /// Other `AllowedValues`: a TypeScript enum named after the parameter (jsii: no string-literal
    /// unions).
    Enum,
    Text,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Whole => "whole",
            Self::Number => "number",
            Self::Boolean => "boolean",
            Self::Enum => "enum",
            Self::Text => "text",
        }
    }
}

/// A parameter as the construct sees it.
struct Parameter<'a> {
    name: String,
    spec: &'a Value,
    kind: Kind,
    setting: Option<&'static Setting>,
}

/// Both files, from `template.yaml` (parsed) and [`SETTINGS`].
pub fn files(template: &Value) -> Result<Vec<File>, String> {
    let parameters = template.get("Parameters").and_then(Value::as_mapping).ok_or("template.yaml has no Parameters")?;
    let decides = condition_parameters(template);
    let mut all = Vec::new();
    for (name, spec) in parameters {
        let name = scalar(name).ok_or("a parameter name that is not text")?;
        let setting = SETTINGS.iter().find(|s| s.parameter == Some(name.as_str()));
        all.push(Parameter { kind: kind(&name, spec, setting)?, name, spec, setting });
    }
    Ok(vec![
        File { path: "cdk/src/settings.generated.ts", text: settings(&all)? },
        File { path: "cdk/src/template.generated.ts", text: data(template, &all, &decides)? },
    ])
}

/// The files whose committed text differs from what the code generates.
pub fn stale(repo: &Path, template: &Value) -> Result<Vec<&'static str>, String> {
    let mut stale = Vec::new();
    for file in files(template)? {
        if std::fs::read_to_string(repo.join(file.path)).ok().as_deref() != Some(file.text.as_str()) {
            stale.push(file.path);
        }
    }
    Ok(stale)
}

/// Writes the files that differ; returns them.
pub fn write(repo: &Path, template: &Value) -> Result<Vec<&'static str>, String> {
    let changed = stale(repo, template)?;
    for file in files(template)? {
        if changed.contains(&file.path) {
            let path = repo.join(file.path);
            std::fs::write(&path, &file.text).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(changed)
}

fn kind(name: &str, p: &Value, setting: Option<&Setting>) -> Result<Kind, String> {
    if let Some(values) = p.get("AllowedValues").and_then(Value::as_sequence) {
        let mut values: Vec<String> = values.iter().filter_map(scalar).collect();
        values.sort();
        return Ok(if values == ["false", "true"] {
            Kind::Boolean
        } else if p.get("Type").and_then(scalar).as_deref() == Some("Number") {
            Kind::Number
        } else {
            Kind::Enum
        });
    }
    if p.get("Type").and_then(scalar).as_deref() == Some("Number") {
        return Err(format!(
            "{name}: a Number parameter without AllowedValues (crates/core/tests/template.rs refuses it)"
        ));
    }
    // A pattern of digits and regex syntax only (`^([4-9]|10)$`; no `*` or `+`, so no lists) with
    // a whole number for its default admits whole numbers: the template's own (token lifetimes,
    // alarm thresholds) as well as the functions' (SETTINGS).
    let digits_only = p
        .get("AllowedPattern")
        .and_then(scalar)
        .is_some_and(|pattern| pattern.chars().all(|c| c.is_ascii_digit() || "^$()|[]{},-?:".contains(c)));
    let whole_default = text(p, "Default").is_some_and(|d| d.parse::<u64>().is_ok());
    let whole = setting.is_some_and(|s| s.whole.is_some()) || (digits_only && whole_default);
    Ok(if whole { Kind::Whole } else { Kind::Text })
}

/// `OtpLength` -> `otpLength`.
fn prop(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|c| c.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default()
}

/// An enum member for an allowed value: `x86_64` -> `X86_64`, `Enabled` -> `ENABLED`.
fn member(value: &str) -> String {
    value.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}

fn text(p: &Value, key: &str) -> Option<String> {
    p.get(key).and_then(scalar)
}

fn allowed_values(p: &Value) -> Option<Vec<String>> {
    p.get("AllowedValues").and_then(Value::as_sequence).map(|v| v.iter().filter_map(scalar).collect())
}

/// What a value must be, in words: the function's own where one reads a whole number, else
/// the template's `ConstraintDescription`, else its `AllowedValues`.
fn expected(p: &Parameter) -> String {
    if let Some(whole) = p.setting.and_then(|s| s.whole) {
        return Whole::expected(&whole);
    }
    match (text(p.spec, "ConstraintDescription"), allowed_values(p.spec)) {
        (Some(c), _) => c.split_whitespace().collect::<Vec<_>>().join(" "),
        (None, Some(values)) => format!("one of {}", values.join(", ")),
        (None, None) => "any text".to_owned(),
    }
}

/// A TSDoc block at `indent`: the lines, then the tags.
fn doc(out: &mut String, indent: &str, paragraphs: &[String], tags: &[String]) {
    let _ = writeln!(out, "{indent}/**");
    let mut first = true;
    for paragraph in paragraphs {
        if !first {
            let _ = writeln!(out, "{indent} *");
        }
        first = false;
        for line in wrap(&paragraph.replace("*/", "*\\/"), 96 - indent.len()) {
            let _ = writeln!(out, "{indent} * {line}");
        }
    }
    for tag in tags {
        let _ = writeln!(out, "{indent} *");
        let _ = writeln!(out, "{indent} * {tag}");
    }
    let _ = writeln!(out, "{indent} */");
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(word.to_owned());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

const HEADER: &str = "// Generated by `cargo xtask cdk` from template.yaml's Parameters and crates/core/src/config.rs\n\
                      // (SETTINGS): edit those, not this file. xtask/tests/reference.rs fails when it is out of date.\n";

/// The construct's settings: the enums, then the props interface.
fn settings(parameters: &[Parameter]) -> Result<String, String> {
    let mut out = String::from(HEADER);
    for p in parameters.iter().filter(|p| p.kind == Kind::Enum) {
        out.push('\n');
        let description = text(p.spec, "Description").unwrap_or_default();
        doc(&mut out, "", &[format!("The values of `{}`: {description}", prop(&p.name))], &[]);
        let _ = writeln!(out, "export enum {} {{", p.name);
        for value in allowed_values(p.spec).unwrap_or_default() {
            let _ = writeln!(out, "  {} = {},", member(&value), json!(value));
        }
        out.push_str("}\n");
    }
    out.push('\n');
    doc(
        &mut out,
        "",
        &["The sign-in's settings: one per parameter of `template.yaml` (the parameter's name in camelCase), \
           with its default and what it allows. A value the template (and so the functions) would refuse \
           is refused at synth time, with the function's own message where a function reads it. Every \
           parameter: docs/configuration.md."
            .to_owned()],
        &[],
    );
    out.push_str("export interface SmsPasswordlessSettings {\n");
    for p in parameters {
        let description = text(p.spec, "Description").unwrap_or_default();
        let default = text(p.spec, "Default").unwrap_or_default();
        let (ts_type, default_tag) = match p.kind {
            Kind::Whole | Kind::Number => ("number".to_owned(), default.clone()),
            Kind::Boolean => ("boolean".to_owned(), default.clone()),
            Kind::Enum => (p.name.clone(), format!("{}.{}", p.name, member(&default))),
            Kind::Text if default.is_empty() => ("string".to_owned(), "- empty: not set".to_owned()),
            Kind::Text => ("string".to_owned(), json!(default).to_string()),
        };
        doc(
            &mut out,
            "  ",
            &[description, format!("Allowed: {}. Template parameter `{}`.", expected(p), p.name)],
            &[format!("@default {default_tag}")],
        );
        let _ = writeln!(out, "  readonly {}?: {ts_type};", prop(&p.name));
    }
    out.push_str("}\n");
    Ok(out)
}

/// The parameters the conditions of the template's resources read (a resource's `Condition`, an
/// `!If` in its properties, and the conditions those name in turn): they decide which resources
/// exist and what they hold. A condition only an output reads decides nothing the construct makes.
fn condition_parameters(template: &Value) -> Vec<String> {
    /// Adds the names `v` refers to: parameters (`!Ref`) and conditions (`!If`, `!Condition`, a
    /// `Condition:` key with a name).
    fn walk(v: &Value, refs: &mut Vec<String>, conditions: &mut Vec<String>) {
        match v {
            Value::Tagged(t) if t.tag == "Ref" => refs.extend(scalar(&t.value)),
            Value::Tagged(t) if t.tag == "Condition" => conditions.extend(scalar(&t.value)),
            Value::Tagged(t) if t.tag == "If" => {
                conditions.extend(t.value.as_sequence().and_then(|a| a.first()).and_then(scalar));
                walk(&t.value, refs, conditions);
            }
            Value::Tagged(t) => walk(&t.value, refs, conditions),
            Value::Mapping(m) => {
                for (k, v) in m {
                    match k.as_str() {
                        Some("Ref") => refs.extend(scalar(v)),
                        Some("Condition") => conditions.extend(scalar(v)),
                        Some("Fn::If") => conditions.extend(v.as_sequence().and_then(|a| a.first()).and_then(scalar)),
                        _ => {}
                    }
                    walk(v, refs, conditions);
                }
            }
            Value::Sequence(items) => items.iter().for_each(|i| walk(i, refs, conditions)),
            _ => {}
        }
    }
    let mut conditions = Vec::new();
    if let Some(resources) = template.get("Resources") {
        walk(resources, &mut Vec::new(), &mut conditions);
    }
    let definitions = template.get("Conditions");
    let mut parameters = Vec::new();
    let mut i = 0;
    while let Some(name) = conditions.get(i).cloned() {
        if let Some(definition) = definitions.and_then(|d| d.get(name.as_str())) {
            let mut named = Vec::new();
            walk(definition, &mut parameters, &mut named);
            conditions.extend(named.into_iter().filter(|n| !conditions.contains(n)).collect::<Vec<_>>());
        }
        i += 1;
    }
    parameters.sort();
    parameters.dedup();
    parameters
}

/// `value` with every object's keys in sorted order, whichever way `serde_json` keeps maps: with
/// its `preserve_order` feature (which another crate of the workspace turns on under
/// `cargo test --workspace`) they keep insertion order, without it they are sorted; the file must
/// be the same either way.
fn sorted(value: &Json) -> Json {
    match value {
        Json::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Json::Object(keys.into_iter().map(|k| (k.clone(), sorted(&map[k]))).collect())
        }
        Json::Array(items) => Json::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// The data the construct checks values against and builds the environments from.
fn data(template: &Value, parameters: &[Parameter], decides: &[String]) -> Result<String, String> {
    let mut out = String::from(HEADER);
    out.push_str("import type { FunctionSpec, Parameter, Variable } from './template';\n\n");
    let mut list = Vec::new();
    for p in parameters {
        let mut entry = json!({
            "name": p.name,
            "prop": prop(&p.name),
            "kind": p.kind.name(),
            "default": text(p.spec, "Default").unwrap_or_default(),
            "expected": expected(p),
            "decides": decides.contains(&p.name),
        });
        let fields: [(&str, Option<Json>); 4] = [
            ("allowedPattern", text(p.spec, "AllowedPattern").map(Json::from)),
            ("allowedValues", allowed_values(p.spec).map(Json::from)),
            ("minLength", p.spec.get("MinLength").and_then(Value::as_u64).map(Json::from)),
            ("maxLength", p.spec.get("MaxLength").and_then(Value::as_u64).map(Json::from)),
        ];
        for (key, value) in fields {
            if let Some(value) = value {
                entry[key] = value;
            }
        }
        if let Some(s) = p.setting {
            entry["variable"] = json!(s.var);
        }
        list.push(entry);
    }
    let pretty = |v: &Json| serde_json::to_string_pretty(&sorted(v)).map_err(|e| e.to_string());
    let _ = writeln!(out, "/** Every parameter of template.yaml, in its order. */");
    let _ = writeln!(out, "export const PARAMETERS: readonly Parameter[] = {};\n", pretty(&Json::from(list))?);

    let variables: Vec<Json> = SETTINGS
        .iter()
        .map(|s| {
            let mut v = json!({"variable": s.var, "readBy": s.read_by.iter().map(|t| t.binary()).collect::<Vec<_>>()});
            if let Some(parameter) = s.parameter {
                v["parameter"] = json!(parameter);
            }
            v
        })
        .collect();
    let _ = writeln!(
        out,
        "/** Every variable the functions read, the parameter that sets it (none: the stack sets it) and the\n * functions that read it, which alone get it. */"
    );
    let _ = writeln!(out, "export const VARIABLES: readonly Variable[] = {};\n", pretty(&Json::from(variables))?);

    let _ = writeln!(
        out,
        "/** The template's functions: logical id, binary, description, and a trigger's user pool slot. */"
    );
    let _ = writeln!(
        out,
        "export const FUNCTIONS: readonly FunctionSpec[] = {};",
        pretty(&Json::from(functions(template)?))?
    );
    Ok(out)
}

/// Every `AWS::Serverless::Function` of the template; the four triggers with their pool slots.
fn functions(template: &Value) -> Result<Vec<Json>, String> {
    let resources = template.get("Resources").and_then(Value::as_mapping).ok_or("template.yaml has no Resources")?;
    let mut out = Vec::new();
    for (id, r) in resources {
        if r.get("Type").and_then(scalar).as_deref() != Some("AWS::Serverless::Function") {
            continue;
        }
        let id = scalar(id).unwrap_or_default();
        let binary = r
            .get("Metadata")
            .and_then(|m| m.get("BuildProperties"))
            .and_then(|b| b.get("Binary"))
            .and_then(scalar)
            .ok_or_else(|| format!("{id}: no Metadata.BuildProperties.Binary"))?;
        let description = r.get("Properties").and_then(|p| p.get("Description")).and_then(scalar).unwrap_or_default();
        let mut f = json!({"logicalId": id, "binary": binary, "description": description.trim()});
        if let Some(t) = Trigger::ALL.iter().find(|t| t.binary() == binary) {
            if t.logical_id() != id {
                return Err(format!("{id} builds {binary}, whose logical id is {}", t.logical_id()));
            }
            f["poolSlot"] = json!(t.pool_slot());
        }
        out.push(f);
    }
    for t in Trigger::ALL {
        if !out.iter().any(|f| f["binary"] == t.binary()) {
            return Err(format!("template.yaml has no function for {}", t.binary()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_typescript_conventions() {
        assert_eq!(prop("OtpLength"), "otpLength");
        assert_eq!(prop("WafRateLimitPer5Minutes"), "wafRateLimitPer5Minutes");
        assert_eq!(member("x86_64"), "X86_64");
        assert_eq!(member("Enabled"), "ENABLED");
    }

    #[test]
    fn kinds_follow_the_parameter() {
        let p = |yaml: &str| serde_yaml_ng::from_str::<Value>(yaml).expect("yaml");
        assert_eq!(kind("X", &p("{Type: String, AllowedValues: ['false', 'true']}"), None), Ok(Kind::Boolean));
        assert_eq!(kind("X", &p("{Type: String, AllowedValues: [arm64, x86_64]}"), None), Ok(Kind::Enum));
        assert_eq!(kind("X", &p("{Type: Number, AllowedValues: [1, 3]}"), None), Ok(Kind::Number));
        assert_eq!(
            kind("X", &p("{Type: String, Default: '0', AllowedPattern: '^(0|[1-9][0-9]{1,8})$'}"), None),
            Ok(Kind::Whole)
        );
        assert_eq!(kind("X", &p("{Type: String, Default: '', AllowedPattern: '^$|^[1-9]$'}"), None), Ok(Kind::Text));
        assert_eq!(kind("X", &p("{Type: String, AllowedPattern: '^(0|[1-9])\\.[0-9]$'}"), None), Ok(Kind::Text));
        assert!(kind("X", &p("{Type: Number}"), None).is_err());
    }

    #[test]
    fn only_the_conditions_of_resources_decide() {
        let template: Value = serde_yaml_ng::from_str(
            "Conditions:\n  A: !Equals [!Ref P, x]\n  B: !And [!Condition A, !Not [!Equals [!Ref Q, '']]]\n  O: !Equals [!Ref R, '']\n\
             Resources:\n  X: {Type: T, Condition: B, Properties: {V: !If [A, 1, 2], Condition: {StringEquals: {k: v}}}}\n\
             Outputs:\n  Y: {Condition: O, Value: !Ref S}\n",
        )
        .expect("yaml");
        assert_eq!(condition_parameters(&template), ["P", "Q"]);
    }

    #[test]
    fn docs_wrap_and_never_close_early() {
        let mut out = String::new();
        doc(&mut out, "  ", &["a */ b ".repeat(30)], &["@default 1".to_owned()]);
        assert!(out.lines().all(|l| l.len() <= 100), "{out}");
        assert_eq!(out.matches("*/").count(), 1, "{out}");
    }
}
