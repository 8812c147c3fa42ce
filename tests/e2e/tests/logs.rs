//! The functions' logs for the whole end-to-end run hold no code and no full phone number.
//!
//! `make e2e` runs this after every other end-to-end test, so the logs it reads cover them all:
//! every number in the pool and in the emulator's SMS inbox, and every code in those SMS.

use e2e::Stack;
use signin_client::emulator;

#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`, after the other end-to-end tests"]
async fn function_logs_hold_no_code_and_no_phone_number() {
    let stack = Stack::connect().await;
    let lines = stack.function_logs().await;
    let ours: Vec<&String> = lines.iter().filter(|l| l.trim_start().starts_with('{')).collect();
    assert!(ours.len() >= 20, "expected the functions' JSON log lines of a whole run, found {}", ours.len());
    for line in &ours {
        let parsed: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(parsed["level"].is_string(), "{line}");
    }

    let mut secrets: Vec<String> = stack.user_phone_numbers().await;
    for (number, text) in stack.all_sms() {
        secrets.extend(emulator::code_in(&text, stack.config.otp_length));
        secrets.push(number);
    }
    if let Ok(test_number) = std::env::var("E2E_TEST_NUMBER") {
        secrets.extend(test_number.split('=').map(str::to_owned));
    }
    secrets.push("+33612345678".into());
    assert!(secrets.len() > 10, "expected the numbers and codes of a whole run, found {secrets:?}");

    for secret in &secrets {
        let needle = secret.trim_start_matches('+');
        for line in &lines {
            assert!(!line.contains(needle), "a log line holds {secret}: {line}");
        }
    }
    // The masked forms are there, so the search looked at real log lines.
    assert!(ours.iter().any(|l| l.contains("******")), "no masked number in the logs");
}
