//! The functions' logs for the whole end-to-end run: no code and no full phone number in any
//! line, and the embedded-metric lines CloudWatch would turn into metrics.
//!
//! `make e2e` runs this after every other end-to-end test, so the logs it reads cover them all:
//! every number in the pool and in the emulator's SMS inbox, and every code in those SMS.

use std::collections::BTreeMap;

use e2e::Stack;
use serde_json::Value;
use signin_client::emulator;
use sms_otp_core::testkit::oracles::{leaked_secret, written_fields};

#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`, after the other end-to-end tests"]
async fn function_logs_hold_no_code_and_no_phone_number() {
    let stack = Stack::connect().await;
    let lines = stack.function_logs().await;
    let ours: Vec<&String> = lines.iter().filter(|l| l.trim_start().starts_with('{')).collect();
    assert!(ours.len() >= 20, "expected the functions' JSON log lines of a whole run, found {}", ours.len());
    // What the search below looks at: every line, but of our JSON lines only what the functions
    // chose to write (`written_fields`: the loggers' timestamps and the runtime's request ids are
    // digit and hex runs that can hold any 6 digits by chance).
    for line in &lines {
        if let Ok(parsed) = serde_json::from_str::<Value>(line) {
            assert!(parsed["level"].is_string() || parsed.get("_aws").is_some(), "neither a log line nor EMF: {line}");
        }
    }
    let searched: Vec<String> = lines.iter().map(|line| written_fields(line)).collect();

    let mut secrets: Vec<String> = stack.user_phone_numbers().await;
    for (number, text) in stack.all_sms() {
        secrets.extend(emulator::code_in(&text, stack.config.otp_length));
        secrets.push(number);
    }
    for (number, code) in e2e::test_numbers() {
        secrets.extend([number, code]);
    }
    secrets.push("+33612345678".into());
    assert!(secrets.len() > 10, "expected the numbers and codes of a whole run, found {secrets:?}");

    if let Some(leak) = leaked_secret(searched.iter().map(String::as_str), &secrets) {
        panic!("a log line holds {}: {}", leak.secret, leak.line);
    }
    // The masked forms are there, so the search looked at real log lines.
    assert!(ours.iter().any(|l| l.contains("******")), "no masked number in the logs");
}

#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`, after the other end-to-end tests"]
async fn function_logs_hold_the_embedded_metrics_of_the_run() {
    let stack = Stack::connect().await;
    let mut totals: BTreeMap<String, u64> = BTreeMap::new();
    for line in stack.function_logs().await {
        let Ok(doc) = serde_json::from_str::<Value>(&line) else { continue };
        let Some(aws) = doc.get("_aws") else { continue };
        assert!(aws["Timestamp"].is_u64(), "{line}");
        let directive = &aws["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"].as_str(), Some(stack.config.metrics_namespace.as_str()), "{line}");
        assert_eq!(directive["Dimensions"], serde_json::json!([["UserPoolId"]]), "{line}");
        assert!(doc["UserPoolId"].as_str().is_some_and(|id| id.contains('_')), "{line}");
        for metric in directive["Metrics"].as_array().expect("Metrics") {
            let name = metric["Name"].as_str().expect("a Name");
            *totals.entry(name.to_owned()).or_default() += doc[name].as_u64().expect("a count");
        }
    }
    // What the run did, at least once each: codes sent and refused, right and wrong answers, a
    // lockout, a resend, a send the per-number limit refused, a failed send (the fault tests).
    for name in [
        "SmsSent",
        "SmsFailed",
        "AnswerCorrect",
        "AnswerWrong",
        "SignInLockedOut",
        "ResendRequested",
        "SendRefusedByLimit",
        "CountryBlocked",
    ] {
        assert!(totals.get(name).is_some_and(|n| *n > 0), "no {name} in the run's metrics: {totals:?}");
    }
    // Every SMS the emulator holds for this pool's users was counted as sent.
    let users = stack.user_phone_numbers().await;
    let delivered = stack.all_sms().into_iter().filter(|(number, _)| users.contains(number)).count() as u64;
    assert!(totals["SmsSent"] >= delivered, "{} SmsSent for {delivered} SMS delivered", totals["SmsSent"]);
}
