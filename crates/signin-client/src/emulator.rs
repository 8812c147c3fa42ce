//! The local emulator's SMS inbox: every SMS that SNS "sent", readable over HTTP at
//! `GET /_ministack/sns/sms-messages?phoneNumber=...`. Only the local stack has it.

use serde_json::Value;

use crate::ClientError;

/// Every SMS text the emulator received for `phone`, oldest first.
pub fn sms_messages(endpoint: &str, phone: &str) -> Result<Vec<String>, ClientError> {
    let body = inbox(endpoint, &format!("?phoneNumber={}", phone.replace('+', "%2B")))?;
    let mut texts = Vec::new();
    collect_messages(&body, &mut texts);
    Ok(texts)
}

/// Every SMS the emulator received for `phone`, as SNS got it: `Message`, `MessageAttributes`
/// (`{"AWS.SNS.SMS.MaxPrice": {"DataType": "String", "StringValue": "0.05"}, ...}`), oldest first.
pub fn sms_records(endpoint: &str, phone: &str) -> Result<Vec<Value>, ClientError> {
    let body = inbox(endpoint, &format!("?phoneNumber={}", phone.replace('+', "%2B")))?;
    let records = body["sms_messages"].as_object().and_then(|numbers| numbers.get(phone)).or(body.get(phone));
    Ok(records.and_then(Value::as_array).cloned().unwrap_or_default())
}

/// Every SMS the emulator received, for every number: (number, text).
pub fn all_sms(endpoint: &str) -> Result<Vec<(String, String)>, ClientError> {
    let body = inbox(endpoint, "")?;
    let mut out = Vec::new();
    for (number, records) in body["sms_messages"].as_object().into_iter().flatten() {
        let mut texts = Vec::new();
        collect_messages(records, &mut texts);
        out.extend(texts.into_iter().map(|t| (number.clone(), t)));
    }
    Ok(out)
}

/// `GET /_ministack/sns/sms-messages{query}`: `{"sms_messages": {"+1555...": [{"Message": ...}]}}`.
fn inbox(endpoint: &str, query: &str) -> Result<Value, ClientError> {
    let url = format!("{}/_ministack/sns/sms-messages{query}", endpoint.trim_end_matches('/'));
    ureq::get(&url)
        .call()
        .map_err(|e| ClientError::Setup(format!("could not read the emulator's SMS inbox at {url}: {e}")))?
        .body_mut()
        .read_json()
        .map_err(|e| ClientError::Setup(format!("the emulator's SMS inbox is not JSON: {e}")))
}

/// Finds every `Message` string, wherever the inbox's JSON nests it.
fn collect_messages(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(text)) = map.get("Message") {
                out.push(text.clone());
            }
            map.values().filter(|v| v.is_array() || v.is_object()).for_each(|v| collect_messages(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_messages(v, out)),
        _ => {}
    }
}

/// The first run of exactly `length` digits in an SMS text: the code.
pub fn code_in(text: &str, length: usize) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit()).find(|run| run.len() == length).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_messages_however_nested() {
        let body = serde_json::json!({"messages": [{"PhoneNumber": "+1", "Message": "a"}, {"Message": "b"}]});
        let mut out = Vec::new();
        collect_messages(&body, &mut out);
        assert_eq!(out, ["a", "b"]);
    }

    #[test]
    fn finds_the_code() {
        assert_eq!(code_in("012345 is your sign-in code. It expires in 5 minutes.", 6).as_deref(), Some("012345"));
        assert_eq!(code_in("Code 12345678\n\n@example.com #12345678", 8).as_deref(), Some("12345678"));
        assert_eq!(code_in("no code", 6), None);
    }
}
