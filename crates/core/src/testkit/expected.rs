//! Reading an outcome against the expectation kept beside each sample event in `events/`
//! (`<name>.expected.json`): the handler tests (`crates/core/tests/events.rs`) and the
//! benchmark's run of the built binaries (`bench run-events`) match a response the same way.

use serde_json::Value;

/// Checks that `actual` holds everything in `expected`, collecting mismatches into `errors`:
/// objects may hold more fields than expected, `"<any>"` matches any value but null, and the
/// fields named in `skip` are not compared (a real process cannot pin the clock they follow).
pub fn subset(expected: &Value, actual: &Value, path: &str, skip: &[&str], errors: &mut Vec<String>) {
    match expected {
        Value::String(s) if s == "<any>" && actual.is_null() => {
            errors.push(format!("{path}: expected a value, got null"))
        }
        Value::String(s) if s == "<any>" => {}
        Value::Object(fields) => {
            for (key, want) in fields.iter().filter(|(key, _)| !skip.contains(&key.as_str())) {
                subset(want, actual.get(key).unwrap_or(&Value::Null), &format!("{path}.{key}"), skip, errors);
            }
        }
        _ if expected != actual => errors.push(format!("{path}: expected {expected}, got {actual}")),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mismatches(expected: Value, actual: Value, skip: &[&str]) -> Vec<String> {
        let mut errors = Vec::new();
        subset(&expected, &actual, "response", skip, &mut errors);
        errors
    }

    #[test]
    fn more_fields_pass_other_values_and_nulls_for_any_do_not() {
        assert!(mismatches(json!({"a": 1}), json!({"a": 1, "b": 2}), &[]).is_empty());
        assert!(mismatches(json!({"a": "<any>"}), json!({"a": "x"}), &[]).is_empty());
        assert_eq!(mismatches(json!({"a": "<any>"}), json!({}), &[]), ["response.a: expected a value, got null"]);
        assert_eq!(
            mismatches(json!({"a": {"b": 1}}), json!({"a": {"b": 2}}), &[]),
            ["response.a.b: expected 1, got 2"]
        );
        assert!(mismatches(json!({"expiresAt": "1"}), json!({"expiresAt": "2"}), &["expiresAt"]).is_empty());
    }
}
