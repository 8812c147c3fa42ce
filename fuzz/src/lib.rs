//! What the fuzz targets share: the configurations they run the triggers under, the clock, and
//! the oracles, which say from the raw event alone what a response may claim.
//!
//! The oracles are written against the JSON, not the core's types, so a bug in how the core
//! reads an event cannot also hide itself from the check. They mirror
//! `crates/core/tests/fails_closed.rs` (same reasoning, a little stricter where noted).

use std::sync::OnceLock;

use serde_json::Value;
use tokio::runtime::Runtime;
use sms_otp_core::Config;
use sms_otp_core::challenge::ChallengeState;
use sms_otp_core::phone::PhoneNumber;

/// The clock every target uses (the sample events are written around it).
pub const NOW: u64 = 1_763_700_000;

/// The configurations each event is run under: the defaults, and one with an allow-list, a test
/// number, the smallest limits and no cooldown (so the other branches are reachable too).
pub fn configs() -> &'static [Config] {
    static CONFIGS: OnceLock<Vec<Config>> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        let custom = [
            ("ALLOWED_COUNTRY_CODES", "1,44"),
            ("TEST_PHONE_NUMBERS", "+15555550111=246810"),
            ("MAX_ATTEMPTS", "1"),
            ("MAX_SENDS", "1"),
            ("RESEND_COOLDOWN_SECONDS", "0"),
            ("OTP_TTL_SECONDS", "60"),
            ("AUTO_VERIFY_PHONE", "false"),
        ];
        let custom = Config::from_lookup(|name| custom.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
            .expect("the fuzz configuration is valid");
        vec![Config::default(), custom]
    })
}

/// Runs an async trigger to completion on one shared single-threaded runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a tokio runtime"))
        .block_on(future)
}

/// The fuzzer's bytes as a JSON event, if they are JSON at all.
pub fn event(data: &[u8]) -> Option<Value> {
    serde_json::from_slice(data).ok()
}

/// `clientMetadata.action` is absent (or `clientMetadata` is) or `answer`.
fn is_an_answer(request: &Value) -> bool {
    request["clientMetadata"].get("action").is_none_or(|a| a == "answer")
}

/// A session entry this product could have written: a `CUSTOM_CHALLENGE` with metadata that
/// parses.
fn ours(entry: &Value) -> bool {
    entry["challengeName"] == "CUSTOM_CHALLENGE"
        && entry["challengeMetadata"].as_str().is_some_and(|m| ChallengeState::parse(m).is_ok())
}

/// Whether define may answer `issueTokens: true` to `request`: a known user whose session ends in
/// a round of ours answered correctly. (Stricter than `fails_closed.rs`, which checks the last
/// entry only: here every entry must be ours and only the last one correct, as the spec says.)
pub fn define_may_issue_tokens(request: &Value) -> bool {
    let Some((last, earlier)) = request["session"].as_array().and_then(|s| s.split_last()) else {
        return false;
    };
    request["userNotFound"] != true
        && last["challengeResult"] == true
        && ours(last)
        && earlier.iter().all(|e| ours(e) && e["challengeResult"] != true)
}

/// Whether verify may answer `answerCorrect: true` to `request` at `now`: the private parameters
/// hold a well-formed code (4 to 10 digits) equal to the trimmed answer, an expiry after `now`
/// and `delivered: "true"` (no answer is correct in a round whose code was not delivered), the
/// user exists, has a proven (`phone_number_verified`) number `config` allows, and asked nothing
/// but an answer. (Whether the number is locked is the caller's to add: see the targets.)
pub fn verify_may_accept(request: &Value, config: &Config, now: u64) -> bool {
    let private = &request["privateChallengeParameters"];
    let Some(code) = private["code"].as_str() else { return false };
    let well_formed = (4..=10).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit());
    let matches = request["challengeAnswer"].as_str().map(str::trim) == Some(code);
    let unexpired = private["expiresAt"].as_str().and_then(|t| t.parse::<u64>().ok()).is_some_and(|t| now < t);
    let delivered = private["delivered"] == "true";
    let attributes = &request["userAttributes"];
    let proven = attributes["phone_number_verified"].as_str().is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let phone_allowed = attributes["phone_number"]
        .as_str()
        .and_then(|p| PhoneNumber::parse(p).ok())
        .is_some_and(|p| config.allowed_countries.allows(&p));
    well_formed
        && matches
        && unexpired
        && delivered
        && proven
        && request["userNotFound"] != true
        && is_an_answer(request)
        && phone_allowed
}

/// The number an event is about, as the triggers count it across sign-ins: the user's
/// `phone_number`, else the typed user name.
pub fn number_of(event: &Value) -> Option<PhoneNumber> {
    let raw = event["request"]["userAttributes"]["phone_number"].as_str().or(event["userName"].as_str())?;
    PhoneNumber::parse(raw).ok()
}

/// A code of the same length that is not `code`: its last digit moved on by one.
pub fn wrong_code(code: &str) -> String {
    let mut digits: Vec<u8> = code.bytes().collect();
    if let Some(last) = digits.last_mut() {
        *last = if *last == b'9' { b'0' } else { *last + 1 };
    }
    String::from_utf8(digits).unwrap_or_default()
}
