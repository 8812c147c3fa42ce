//! The fail-closed rules, each written once, and judged from the raw JSON alone: an oracle reads
//! the event the way the spec describes it, not with the core's types, so a bug in how the core
//! reads an event cannot also hide itself from the check.
//!
//! - [`define_may_issue_tokens`], [`verify_may_accept`]: never `issueTokens` or `answerCorrect`
//!   from input the core did not create.
//! - [`created_round`]: every round create makes can be read back by the rest of the protocol,
//!   an SMS goes only to the user's own number, and a round that sent nothing keeps no code
//!   that could win it (the caller then asks verify: no answer wins an undelivered round).
//! - [`leaked_secret`]: no code or phone number in a log line.

use serde_json::Value;

use super::sms::SentSms;
use crate::Config;
use crate::challenge::ChallengeState;
use crate::code::Nonce;
use crate::phone::PhoneNumber;
use crate::triggers::public;

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

/// Whether define may answer `issueTokens: true` to `request`: a known user whose session is all
/// rounds of ours, and only the last of them answered correctly.
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
/// but an answer. (Whether the number is locked is the caller's to add.)
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

/// What must hold of a round create made at `now` for `request`, with `sent` the SMS that went
/// out: metadata that parses back; the private code, expiry and delivery the metadata's and a nonce; the seven
/// public parameters, the number only masked; at most one SMS, only to a known user's own number,
/// carrying the code, issued now and marked delivered; and a round that sent nothing winnable
/// only with the fixed code of a known user's proven, allowed test number, or by keeping an
/// earlier round's delivered code. Returns
/// the round's state, or what broke.
pub fn created_round(
    request: &Value,
    response: &Value,
    sent: &[SentSms],
    config: &Config,
    now: u64,
) -> Result<ChallengeState, String> {
    let metadata = response["challengeMetadata"].as_str().ok_or_else(|| format!("no metadata for {request}"))?;
    let state = ChallengeState::parse(metadata)
        .map_err(|e| format!("create wrote metadata it cannot read ({e}): {metadata:?} for {request}"))?;
    let code = state.code.expose();
    let broken = |what: &str| Err(format!("{what}: {request}"));

    let private = &response["privateChallengeParameters"];
    if private["code"].as_str() != Some(code) {
        return broken("the private code is not the metadata's");
    }
    let expires_at = state.issued_at.saturating_add(config.otp_ttl_seconds).to_string();
    if private["expiresAt"].as_str() != Some(expires_at.as_str()) {
        return broken("the private expiry is not the metadata's");
    }
    if private["delivered"].as_str() != Some(if state.is_delivered() { "true" } else { "false" }) {
        return broken("the private delivery flag is not the metadata's");
    }
    if private["nonce"].as_str().and_then(Nonce::parse).is_none() {
        return broken("no round nonce in the private parameters");
    }

    let Some(public_params) = response["publicChallengeParameters"].as_object() else {
        return broken("no public parameters");
    };
    let mut names: Vec<&str> = public_params.keys().map(String::as_str).collect();
    names.sort_unstable();
    let mut expected = public::ALL;
    expected.sort_unstable();
    if names != expected {
        return broken(&format!("public parameter names {names:?}"));
    }
    let phone = request["userAttributes"]["phone_number"].as_str();
    if let Some(phone) = phone.filter(|p| PhoneNumber::parse(p).is_ok()) {
        let masked = public_params[public::MASKED_PHONE_NUMBER].as_str().unwrap_or_default();
        if masked.contains(phone) {
            return broken("the full number in the public parameters");
        }
    }

    match sent {
        [] if state.is_delivered() => {
            // Sent nothing now: only a configured test number's fixed code, or a round that keeps
            // an earlier delivered code, may be won.
            let proven = request["userAttributes"]["phone_number_verified"]
                .as_str()
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
            let test_code = phone
                .and_then(|p| PhoneNumber::parse(p).ok())
                .filter(|p| proven && request["userNotFound"] != true && config.allowed_countries.allows(p))
                .and_then(|p| config.test_numbers.code_for(&p).cloned());
            if test_code.is_some_and(|fixed| fixed == state.code) {
                return Ok(state);
            }
            let previous = request["session"]
                .as_array()
                .and_then(|s| s.last())
                .and_then(|r| r["challengeMetadata"].as_str())
                .and_then(|m| ChallengeState::parse(m).ok());
            if !previous.is_some_and(|p| p.is_delivered() && p.code == state.code && p.issued_at == state.issued_at) {
                return broken("a round that sent nothing is winnable without an earlier delivered code");
            }
        }
        [] => {}
        [sms] => {
            if request["userNotFound"] == true {
                return broken("an SMS for an unknown user");
            }
            if Some(sms.to.as_str()) != phone {
                return broken("an SMS to another number than the user's");
            }
            if !sms.text.contains(code) {
                return broken("the SMS does not carry the round's code");
            }
            if state.issued_at != now {
                return broken("a code sent now, recorded as issued at another time");
            }
            if !state.is_delivered() {
                return broken("a code sent but not marked delivered");
            }
        }
        more => return broken(&format!("{} SMS for one round", more.len())),
    }
    Ok(state)
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

/// A log line that holds a secret: which secret, and the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leak {
    pub secret: String,
    pub line: String,
}

/// The first of `lines` that holds one of `secrets` (codes, and phone numbers, which are
/// searched without their `+` so a number logged in another form is found too), if any.
pub fn leaked_secret<'a>(lines: impl IntoIterator<Item = &'a str>, secrets: &[String]) -> Option<Leak> {
    let lines: Vec<&str> = lines.into_iter().collect();
    secrets.iter().find_map(|secret| {
        let needle = secret.trim_start_matches('+');
        lines
            .iter()
            .find(|line| line.contains(needle))
            .map(|line| Leak { secret: secret.clone(), line: (*line).to_owned() })
    })
}

/// Of one log line, what the function chose to write: a JSON line without the logger's
/// `timestamp`, the runtime's `span` (its request id) and the metric line's `_aws` block, which
/// are digit and hex runs that can hold any 6 digits by chance. Other lines are kept whole.
pub fn written_fields(line: &str) -> String {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(mut fields)) => {
            for generated in ["timestamp", "span", "_aws"] {
                fields.remove(generated);
            }
            Value::Object(fields).to_string()
        }
        _ => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tokens_only_after_a_last_round_of_ours_answered_correctly() {
        let ours = |ok| json!({"challengeName": "CUSTOM_CHALLENGE", "challengeResult": ok, "challengeMetadata": "SMSOTP2:123456:1:1:0:1"});
        let foreign = json!({"challengeName": "SMS_MFA", "challengeResult": true});
        assert!(define_may_issue_tokens(&json!({"session": [ours(false), ours(true)]})));
        assert!(!define_may_issue_tokens(&json!({"session": [ours(false), ours(true)], "userNotFound": true})));
        assert!(!define_may_issue_tokens(&json!({"session": [ours(true), ours(true)]})));
        assert!(!define_may_issue_tokens(&json!({"session": [foreign.clone(), ours(true)]})));
        assert!(!define_may_issue_tokens(&json!({"session": [foreign]})));
        assert!(!define_may_issue_tokens(&json!({"session": []})));
    }

    #[test]
    fn an_answer_only_for_a_delivered_unexpired_matching_code_of_a_proven_number() {
        let config = Config::default();
        let request = |delivered: &str, verified: &str| {
            json!({"userAttributes": {"phone_number": "+15555550100", "phone_number_verified": verified},
                "privateChallengeParameters": {"code": "482913", "expiresAt": "200", "delivered": delivered},
                "challengeAnswer": " 482913 "})
        };
        assert!(verify_may_accept(&request("true", "true"), &config, 100));
        assert!(!verify_may_accept(&request("true", "true"), &config, 200), "expired");
        assert!(!verify_may_accept(&request("false", "true"), &config, 100), "undelivered");
        assert!(!verify_may_accept(&request("true", "false"), &config, 100), "unproven");
    }

    #[test]
    fn a_secret_is_found_in_any_form_and_generated_fields_are_left_out() {
        let secrets = ["+15555550100".to_owned(), "482913".to_owned()];
        let leak = leaked_secret(["{\"msg\":\"to 15555550100\"}", "ok"], &secrets).expect("a leak");
        assert_eq!(leak.secret, "+15555550100");
        assert_eq!(leaked_secret(["code 4829 13", "+1******0100"], &secrets), None);
        let line = r#"{"timestamp":"2025-11-21T04:48:29.13Z","span":{"requestId":"482913"},"message":"hi"}"#;
        assert_eq!(written_fields(line), r#"{"message":"hi"}"#);
        assert_eq!(written_fields("START RequestId: 482913"), "START RequestId: 482913");
    }

    #[test]
    fn a_round_that_sent_nothing_is_winnable_only_with_a_test_code_or_an_earlier_delivered_one() {
        let config = Config::from_lookup(|v| (v == "TEST_PHONE_NUMBERS").then(|| "+15555550111=24681012".to_owned()))
            .expect("valid");
        let request = |phone: &str, session: Value| json!({"userAttributes": {"phone_number": phone, "phone_number_verified": "true"}, "session": session});
        let response = |meta: &str, code: &str, delivered: &str| {
            json!({"challengeMetadata": meta,
                "privateChallengeParameters": {"code": code, "expiresAt": "1763700300", "delivered": delivered,
                    "nonce": "0000000000000000000000000000002a"},
                "publicChallengeParameters": {"maskedPhoneNumber": "+1******0111", "codeLength": "8",
                    "expiresInSeconds": "300", "attemptsLeft": "3", "resendInSeconds": "30", "sendsLeft": "2",
                    "codeSent": "true"}})
        };
        let test_round = response("SMSOTP2:24681012:1763700000:1:0:1", "24681012", "true");
        let judged = created_round(&request("+15555550111", json!([])), &test_round, &[], &config, 1_763_700_000);
        assert!(judged.is_ok(), "{judged:?}");
        let other = request("+15555550100", json!([]));
        let forged = response("SMSOTP2:24681012:1763700000:1:0:1", "24681012", "true");
        assert!(created_round(&other, &forged, &[], &config, 1_763_700_000).is_err(), "delivered, yet nothing sent");
        let unproven = json!({"userAttributes": {"phone_number": "+15555550111", "phone_number_verified": "false"},
            "session": []});
        assert!(created_round(&unproven, &test_round, &[], &config, 1_763_700_000).is_err(), "an unproven test number");
        let kept = request(
            "+15555550100",
            json!([{"challengeName": "CUSTOM_CHALLENGE", "challengeResult": false,
            "challengeMetadata": "SMSOTP2:24681012:1763700000:1:0:1"}]),
        );
        let next = response("SMSOTP2:24681012:1763700000:1:1:1", "24681012", "true");
        let judged = created_round(&kept, &next, &[], &config, 1_763_700_000);
        assert!(judged.is_ok(), "the earlier delivered code: {judged:?}");
    }

    #[test]
    fn a_wrong_code_differs_in_its_last_digit_only() {
        assert_eq!(wrong_code("123456"), "123457");
        assert_eq!(wrong_code("000009"), "000000");
    }
}
