//! No log line, at any level, holds a code or a full phone number.
//!
//! Whole sign-up and sign-in flows (right and wrong answers, resends, an SMS failure, an unknown
//! user, a test number, refused input) run under the production JSON subscriber at TRACE, and
//! the captured output is searched for every code drawn and every number used.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use sms_otp_core::Config;
use sms_otp_core::lambda::log_subscriber;
use sms_otp_core::sms::SendError;
use sms_otp_core::testkit::NOW;
use sms_otp_core::testkit::flows::Deployment;
use sms_otp_core::testkit::oracles::leaked_secret;
use sms_otp_core::testkit::sms::RecordingSender;
use sms_otp_core::triggers::create::CreateContext;

const USER: &str = "+15555550100";
const UNKNOWN: &str = "+15555550199";
const TEST_NUMBER: &str = "+15555550111";
const TEST_CODE: &str = "2468101214";
const FOREIGN: &str = "+33612345678";

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn whole_flows_log_no_code_and_no_number() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = log_subscriber(tracing::Level::TRACE, move || writer.clone());

    // 10-digit codes: a 10-digit run cannot turn up by chance in a timestamp.
    let config = Config::from_lookup(|name| match name {
        "OTP_LENGTH" => Some("10".into()),
        "ALLOWED_COUNTRY_CODES" => Some("1,44".into()),
        "TEST_PHONE_NUMBERS" => Some(format!("{TEST_NUMBER}={TEST_CODE}")),
        _ => None,
    })
    .expect("valid configuration");
    let deployment = Deployment::new(CreateContext::with_decoy_delay(config, RecordingSender::new(), Duration::ZERO));
    let ctx = &deployment.ctx;

    let mut codes = Vec::new();
    let mut errors = Vec::new();
    tracing::subscriber::with_default(subscriber, || {
        // Sign-ups: accepted, malformed, and from a country not allowed.
        assert!(deployment.sign_up(Some(USER)).is_ok());
        errors.push(deployment.sign_up(Some("5555550100")).unwrap_err());
        errors.push(deployment.sign_up(Some(FOREIGN)).unwrap_err());
        errors.push(deployment.sign_up(None).unwrap_err());

        // A wrong answer, a resend after the cooldown, then the right code.
        let mut flow = deployment.sign_in(USER, true);
        assert_eq!(flow.define(None)["challengeName"], "CUSTOM_CHALLENGE");
        assert_eq!(flow.round(None, Some("0000000000"), NOW), Ok(false));
        assert_eq!(flow.define(Some("resend"))["challengeName"], "CUSTOM_CHALLENGE");
        assert_eq!(flow.round(Some("resend"), None, NOW + 40), Ok(false), "a resend is never a right answer");
        assert_eq!(flow.define(None)["challengeName"], "CUSTOM_CHALLENGE");
        assert_eq!(flow.round(None, None, NOW + 41), Ok(true));
        assert_eq!(flow.define(None)["issueTokens"], true);
        codes.extend(flow.codes);

        // Three wrong answers lock the sign-in.
        let mut flow = deployment.sign_in(USER, true);
        for _ in 0..3 {
            assert_eq!(flow.round(None, Some("1111111111"), NOW), Ok(false));
        }
        assert_eq!(flow.define(None)["failAuthentication"], true);
        codes.extend(flow.codes);

        // An unknown user and a number from a country not allowed: decoy rounds, never right.
        for (phone, known) in [(UNKNOWN, false), (FOREIGN, true)] {
            let mut flow = deployment.sign_in(phone, known);
            assert_eq!(flow.round(None, None, NOW), Ok(false));
            codes.extend(flow.codes);
        }

        // A test number signs in with its fixed code.
        let mut flow = deployment.sign_in(TEST_NUMBER, true);
        assert_eq!(flow.round(None, Some(TEST_CODE), NOW), Ok(true));

        // SNS refuses: a clear error, no code left behind.
        ctx.sender.fail_with(SendError::Refused { code: "InvalidParameter".into() });
        let mut flow = deployment.sign_in(USER, true);
        errors.push(flow.round(None, None, NOW).unwrap_err());
        ctx.sender.succeed();
    });
    codes.push(TEST_CODE.into());
    assert_eq!(ctx.sender.sent().len(), 3, "two first sends and one resend went out");

    let logs = String::from_utf8(capture.0.lock().expect("capture").clone()).expect("UTF-8 logs");
    let lines: Vec<&str> = logs.lines().collect();
    assert!(lines.len() >= 20, "the flows should have logged; got {} lines", lines.len());
    for line in &lines {
        let parsed: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(parsed["level"].is_string() && parsed["message"].is_string(), "{line}");
    }
    // The masked forms are there, so the search below looks at real log lines.
    assert!(logs.contains("+1******0100") && logs.contains("+1******0199"), "{logs}");
    assert!(logs.contains("SMS not sent"), "{logs}");

    let numbers = [USER, UNKNOWN, TEST_NUMBER, FOREIGN, "5555550100"];
    let secrets: Vec<String> = numbers.iter().map(|n| (*n).to_owned()).chain(codes).collect();
    if let Some(leak) = leaked_secret(lines.iter().copied(), &secrets) {
        panic!("a log line holds {:?}: {}", leak.secret, leak.line);
    }
    if let Some(leak) = leaked_secret(errors.iter().map(String::as_str), &secrets) {
        panic!("an error message holds {:?}: {}", leak.secret, leak.line);
    }
}
