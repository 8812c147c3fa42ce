//! `template.yaml` as JSON, as written and as CloudFormation would take it for a set of
//! parameters: the template tests (`crates/core/tests/template.rs`) and the existing-pool custom
//! resource's tests read it through here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// The repository's `template.yaml`.
pub fn path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml")
}

/// `template.yaml` as JSON, the short tags written out (`!Ref X` -> `{"Ref": "X"}`,
/// `!If [...]` -> `{"Fn::If": [...]}`, `!GetAtt A.B` -> `{"Fn::GetAtt": ["A", "B"]}`).
pub fn load() -> Value {
    let text = std::fs::read_to_string(path()).expect("template.yaml is readable");
    parse(&text)
}

/// A template's YAML text as JSON (see [`load`]).
pub fn parse(text: &str) -> Value {
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).expect("the template is YAML");
    json(yaml)
}

fn json(v: serde_yaml_ng::Value) -> Value {
    use serde_yaml_ng::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(&n).expect("a YAML number is a JSON number"),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(json).collect()),
        Y::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k.as_str().map(str::to_owned).unwrap_or_else(|| format!("{k:?}")), json(v)))
                .collect(),
        ),
        Y::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let key = if name == "Ref" || name == "Condition" { name.to_owned() } else { format!("Fn::{name}") };
            let mut value = json(tagged.value);
            if name == "GetAtt"
                && let Value::String(s) = &value
            {
                value = Value::Array(s.splitn(2, '.').map(|p| Value::String(p.to_owned())).collect());
            }
            Value::Object(Map::from_iter([(key, value)]))
        }
    }
}

/// The template as CloudFormation takes it with `parameters` (the others at their defaults):
/// the conditions decided, the resources and outputs whose condition is false gone (and the
/// `Condition` of the others, which is then true), every `Fn::If` replaced by its branch, and
/// `AWS::NoValue` removed. References to parameters and resources stay as they are written.
pub fn resolve(template: &Value, parameters: &BTreeMap<&str, &str>) -> Value {
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    for (name, p) in template["Parameters"].as_object().into_iter().flatten() {
        let default = match &p["Default"] {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        values.insert(name.clone(), default);
    }
    for (name, value) in parameters {
        assert!(values.contains_key(*name), "the template has no parameter {name}");
        values.insert((*name).to_owned(), (*value).to_owned());
    }
    let conditions = template["Conditions"].as_object().cloned().unwrap_or_default();
    let mut decided = BTreeMap::new();
    for name in conditions.keys() {
        let value = condition(&conditions, &values, name);
        decided.insert(name.clone(), value);
    }
    let mut out = template.clone();
    for section in ["Resources", "Outputs"] {
        let Some(entries) = out[section].as_object_mut() else { continue };
        entries.retain(|_, v| v["Condition"].as_str().is_none_or(|c| decided[c]));
        for entry in entries.values_mut() {
            if let Some(e) = entry.as_object_mut() {
                e.remove("Condition");
            }
            *entry = branches(entry, &decided).unwrap_or(Value::Null);
        }
    }
    out
}

fn condition(conditions: &Map<String, Value>, values: &BTreeMap<String, String>, name: &str) -> bool {
    truth(&conditions[name], conditions, values)
}

fn truth(expr: &Value, conditions: &Map<String, Value>, values: &BTreeMap<String, String>) -> bool {
    let args = |f: &str| expr[f].as_array().cloned().unwrap_or_default();
    if let Some(name) = expr["Condition"].as_str() {
        return condition(conditions, values, name);
    }
    if expr.get("Fn::Equals").is_some() {
        let a = args("Fn::Equals");
        return scalar(&a[0], values) == scalar(&a[1], values);
    }
    if expr.get("Fn::Not").is_some() {
        return !truth(&args("Fn::Not")[0], conditions, values);
    }
    if expr.get("Fn::And").is_some() {
        return args("Fn::And").iter().all(|e| truth(e, conditions, values));
    }
    if expr.get("Fn::Or").is_some() {
        return args("Fn::Or").iter().any(|e| truth(e, conditions, values));
    }
    panic!("a condition the test kit cannot decide: {expr}")
}

fn scalar(v: &Value, values: &BTreeMap<String, String>) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(o) if o.contains_key("Ref") => {
            let name = o["Ref"].as_str().unwrap_or_default();
            values.get(name).cloned().unwrap_or_else(|| panic!("a condition refers to {name}, not a parameter"))
        }
        other => other.to_string(),
    }
}

/// `v` with every `Fn::If` decided; `None` for `AWS::NoValue`.
fn branches(v: &Value, decided: &BTreeMap<String, bool>) -> Option<Value> {
    match v {
        Value::Object(o) if o.len() == 1 && o.contains_key("Fn::If") => {
            let a = o["Fn::If"].as_array().expect("Fn::If takes a list");
            let name = a[0].as_str().expect("Fn::If names a condition");
            let chosen = if decided[name] { &a[1] } else { &a[2] };
            branches(chosen, decided)
        }
        Value::Object(o) if o.len() == 1 && o.get("Ref") == Some(&Value::String("AWS::NoValue".into())) => None,
        Value::Object(o) => {
            Some(Value::Object(o.iter().filter_map(|(k, v)| Some((k.clone(), branches(v, decided)?))).collect()))
        }
        Value::Array(items) => Some(Value::Array(items.iter().filter_map(|v| branches(v, decided)).collect())),
        other => Some(other.clone()),
    }
}

/// The actions the function `logical_id` of `resolved` (a [`resolve`]d template) may take: every
/// action of an `Allow` statement in its `Policies` (`sns:Publish`, `dynamodb:UpdateItem`).
pub fn allowed_actions(resolved: &Value, logical_id: &str) -> std::collections::BTreeSet<String> {
    let policies = resolved["Resources"][logical_id]["Properties"]["Policies"].as_array().cloned().unwrap_or_default();
    let mut allowed = std::collections::BTreeSet::new();
    for statement in policies.iter().flat_map(|p| p["Statement"].as_array().cloned().unwrap_or_default()) {
        if statement["Effect"] != "Allow" {
            continue;
        }
        match &statement["Action"] {
            Value::String(action) => {
                allowed.insert(action.clone());
            }
            Value::Array(actions) => allowed.extend(actions.iter().filter_map(Value::as_str).map(str::to_owned)),
            _ => {}
        }
    }
    allowed
}
