//! The embedded-metric lines of a scripted run: each is valid CloudWatch EMF, and together they
//! count exactly what happened.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use sms_otp_core::Config;
use sms_otp_core::lockout::LockoutPolicy;
use sms_otp_core::send_limit::PerNumberLimits;
use sms_otp_core::sms::SendError;
use sms_otp_core::testkit::NOW;
use sms_otp_core::testkit::events::USER_POOL_ID;
use sms_otp_core::testkit::flows::Deployment;
use sms_otp_core::testkit::lockout::InMemoryLockout;
use sms_otp_core::testkit::send_limit::InMemoryLimiter;
use sms_otp_core::testkit::sms::RecordingSender;
use sms_otp_core::triggers::create::CreateContext;

const USER: &str = "+15555550100";
const SNS_REFUSES: &str = "+15555550102";
const LOCKED_OUT: &str = "+15555550103";
const UNKNOWN: &str = "+15555550199";
const TEST_NUMBER: &str = "+15555550111";
const FOREIGN: &str = "+33612345678";

/// Checks `line` against the EMF specification and returns its metric values.
fn parse_emf(line: &str) -> BTreeMap<String, u64> {
    let doc: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    let aws = doc["_aws"].as_object().unwrap_or_else(|| panic!("no _aws object: {line}"));
    assert!(aws["Timestamp"].is_u64(), "_aws.Timestamp must be milliseconds since the epoch: {line}");
    let directives = aws["CloudWatchMetrics"].as_array().expect("CloudWatchMetrics is an array");
    assert_eq!(directives.len(), 1, "{line}");
    let mut values = BTreeMap::new();
    for directive in directives {
        assert_eq!(directive["Namespace"], "Acme/SignIn", "{line}");
        for set in directive["Dimensions"].as_array().expect("Dimensions is an array") {
            for name in set.as_array().expect("a dimension set is an array") {
                let name = name.as_str().expect("dimension names are strings");
                assert!(doc[name].is_string(), "dimension {name} has no string value: {line}");
            }
        }
        let metrics = directive["Metrics"].as_array().expect("Metrics is an array");
        assert!(!metrics.is_empty() && metrics.len() <= 100, "{line}");
        for metric in metrics {
            let name = metric["Name"].as_str().expect("a metric has a Name");
            assert_eq!(metric["Unit"], "Count", "{line}");
            let value = doc[name].as_u64().unwrap_or_else(|| panic!("metric {name} has no number: {line}"));
            assert!(value > 0, "zero counts are left out: {line}");
            assert!(values.insert(name.to_owned(), value).is_none(), "{name} declared twice: {line}");
        }
    }
    assert_eq!(doc["UserPoolId"], USER_POOL_ID);
    values
}

#[test]
fn a_scripted_run_counts_right() {
    let config = Config::from_lookup(|name| match name {
        "ALLOWED_COUNTRY_CODES" => Some("1,44".into()),
        "TEST_PHONE_NUMBERS" => Some(format!("{TEST_NUMBER}=12345678")),
        "RESEND_COOLDOWN_SECONDS" => Some("30".into()),
        "METRICS_NAMESPACE" => Some("Acme/SignIn".into()),
        _ => None,
    })
    .expect("valid configuration");
    let limiter = InMemoryLimiter::new(PerNumberLimits { per_hour: 2, per_day: 10 });
    let ledger = InMemoryLockout::new(LockoutPolicy { max_failed_answers: 4, lockout_seconds: 3600 });
    let ctx = CreateContext::with_decoy_delay(config, RecordingSender::new(), Duration::ZERO)
        .with_send_limit(limiter)
        .with_lockout(ledger);
    let d = Deployment::new(ctx);

    // Sign-ups: one accepted, one from a country not allowed.
    assert!(d.sign_up(Some(USER)).is_ok());
    assert!(d.sign_up(Some(FOREIGN)).is_err());

    // A wrong answer, a resend, the right code (the resend a day later).
    let mut flow = d.sign_in(USER, true);
    assert_eq!(flow.round(None, Some("000000"), NOW), Ok(false));
    assert_eq!(flow.round(Some("resend"), None, NOW + 86_400), Ok(false));
    assert_eq!(flow.round(None, None, NOW + 86_401), Ok(true));

    // USER again in the first hour: the second SMS of the hour, the right code; then a third
    // sign-in, past the limit of 2 an hour: no SMS, and its code (never sent) does not win it.
    assert_eq!(d.sign_in(USER, true).round(None, None, NOW + 30), Ok(true));
    assert_eq!(d.sign_in(USER, true).round(None, None, NOW + 40), Ok(false));

    // Three wrong answers lock the sign-in.
    let mut flow = d.sign_in(LOCKED_OUT, true);
    for _ in 0..3 {
        assert_eq!(flow.round(None, Some("111111"), NOW), Ok(false));
    }
    assert_eq!(flow.define(None)["failAuthentication"], true);

    // A second sign-in for the same number: its wrong answer is the number's fourth in a row, and
    // locks the number.
    let mut flow = d.sign_in(LOCKED_OUT, true);
    assert_eq!(flow.round(None, Some("222222"), NOW + 60), Ok(false));
    assert_eq!(d.ctx.sender.sent().len(), 5);

    // A third: the number is locked, so nothing is sent and nothing is accepted (its answer, to a
    // round never delivered, is not counted).
    let mut flow = d.sign_in(LOCKED_OUT, true);
    assert_eq!(flow.round(None, None, NOW + 120), Ok(false));

    // An unknown user, a user whose country is no longer allowed, a test number.
    assert_eq!(d.sign_in(UNKNOWN, false).round(None, None, NOW), Ok(false));
    assert_eq!(d.sign_in(FOREIGN, true).round(None, None, NOW), Ok(false));
    assert_eq!(d.sign_in(TEST_NUMBER, true).round(None, Some("12345678"), NOW), Ok(true));

    // SNS refuses one send.
    d.ctx.sender.fail_with(SendError::Refused { code: "Throttling".into() });
    assert!(d.sign_in(SNS_REFUSES, true).round(None, None, NOW).is_err());

    let mut totals: BTreeMap<String, u64> = BTreeMap::new();
    for line in d.metric_lines.borrow().iter() {
        for (name, value) in parse_emf(line) {
            *totals.entry(name).or_default() += value;
        }
    }
    let expected: BTreeMap<String, u64> = [
        ("SmsSent", 5),
        ("SmsFailed", 1),
        // USER twice, the test number.
        ("AnswerCorrect", 3),
        // USER twice, LOCKED_OUT three times and twice more, UNKNOWN, FOREIGN.
        ("AnswerWrong", 9),
        ("SignInLockedOut", 1),
        ("ResendRequested", 1),
        ("SendRefusedByLimit", 1),
        // FOREIGN's sign-up and FOREIGN's sign-in.
        ("CountryBlocked", 2),
        ("UnknownUser", 1),
        ("NumberLocked", 1),
        // LOCKED_OUT's third sign-in: its send.
        ("RefusedWhileLocked", 1),
    ]
    .into_iter()
    .map(|(name, n)| (name.to_owned(), n))
    .collect();
    assert_eq!(totals, expected);
}
