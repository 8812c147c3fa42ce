//! Property tests: generated and mutated events never panic a trigger, and never yield
//! `answerCorrect: true` or `issueTokens: true` from input the core did not create.
//!
//! Bounded (a fixed number of cases each) so they run in the normal test run.

use proptest::prelude::*;
use serde_json::{Value, json};
use sms_otp_core::Config;
use sms_otp_core::metadata::ChallengeState;
use sms_otp_core::metrics::Metrics;
use sms_otp_core::triggers::{define, from_json, pre_sign_up, verify};

const NOW: u64 = 1_763_700_000;

fn config() -> ProptestConfig {
    ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() }
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        "[0-9]{4,10}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::hash_map("[a-zA-Z]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Metadata strings: garbage, near-misses, and well-formed ones.
fn metadata() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        ".{0,40}".prop_map(Value::from),
        "SMSOTP[0-9]:[0-9]{0,11}:[0-9+-]{0,12}:[0-9]{0,2}:[0-9-]{0,2}".prop_map(Value::from),
        ("[0-9]{6}", 0u64..2_000_000_000, 0u32..8, 0u32..12)
            .prop_map(|(c, t, s, f)| Value::from(format!("SMSOTP1:{c}:{t}:{s}:{f}"))),
    ]
}

fn session_entry() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any_json(),
        8 => (prop_oneof![Just("CUSTOM_CHALLENGE".to_owned()), "[A-Z_]{0,12}"], any::<bool>(), metadata())
            .prop_map(|(name, result, meta)| json!({"challengeName": name, "challengeResult": result, "challengeMetadata": meta})),
    ]
}

fn client_metadata() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!({})),
        Just(json!({"action": "resend"})),
        Just(json!({"action": "answer"})),
        ".{0,8}".prop_map(|a| json!({"action": a})),
        any_json(),
    ]
}

fn header(trigger: &str) -> Value {
    json!({"version": "1", "region": "us-east-1", "userPoolId": "p", "userName": "+15555550100",
        "callerContext": {"awsSdkVersion": "x", "clientId": "c"}, "triggerSource": trigger})
}

/// Whether `session` ends in a round this product could have written, answered correctly.
fn ends_in_a_correct_round_of_ours(session: &Value) -> bool {
    let Some(last) = session.as_array().and_then(|s| s.last()) else { return false };
    last["challengeName"] == "CUSTOM_CHALLENGE"
        && last["challengeResult"] == true
        && last["challengeMetadata"].as_str().is_some_and(|m| ChallengeState::parse(m).is_ok())
}

proptest! {
    #![proptest_config(config())]

    /// Define issues tokens only after a correct round of ours, for a known user.
    #[test]
    fn define_issues_tokens_only_after_a_correct_round(
        session in prop::collection::vec(session_entry(), 0..6),
        user_not_found in any::<bool>(),
        metadata in client_metadata(),
        attributes in any_json(),
    ) {
        let mut event = header("DefineAuthChallenge_Authentication");
        event["request"] = json!({"userAttributes": attributes, "session": session, "userNotFound": user_not_found, "clientMetadata": metadata});
        event["response"] = json!({});
        let session = event["request"]["session"].clone();
        if let Ok(out) = from_json(event).and_then(|e| define::handle(e, &Config::default(), &mut Metrics::default())) {
            let response = &out.response;
            if response.issue_tokens {
                prop_assert!(!user_not_found, "tokens for an unknown user");
                prop_assert!(ends_in_a_correct_round_of_ours(&session), "tokens after {session}");
            }
            prop_assert!(!(response.issue_tokens && response.fail_authentication));
        }
    }

    /// Verify says correct only for the exact code, unexpired, for a known user, not a resend.
    #[test]
    fn verify_accepts_only_the_code_in_time(
        code in prop_oneof![Just(Value::from("482913")), any_json()],
        expires_at in prop_oneof![Just(Value::from((NOW + 60).to_string())), Just(Value::from((NOW - 1).to_string())), any_json()],
        answer in prop_oneof![Just(Value::from("482913")), Just(Value::from(" 482913 ")), any_json()],
        user_not_found in any::<bool>(),
        metadata in client_metadata(),
        phone in prop_oneof![Just(Value::from("+15555550100")), any_json()],
    ) {
        let mut event = header("VerifyAuthChallengeResponse_Authentication");
        event["request"] = json!({"userAttributes": {"phone_number": phone.clone()},
            "privateChallengeParameters": {"code": code.clone(), "expiresAt": expires_at.clone()},
            "challengeAnswer": answer.clone(), "userNotFound": user_not_found, "clientMetadata": metadata.clone()});
        event["response"] = json!({"answerCorrect": null});
        let out = from_json(event).and_then(|e| verify::handle(e, &Config::default(), NOW, &mut Metrics::default()));
        if out.is_ok_and(|out| out.response.answer_correct) {
            let code = code.as_str().unwrap_or_default();
            prop_assert_eq!(answer.as_str().map(str::trim), Some(code));
            prop_assert!(code.len() >= 4 && code.bytes().all(|b| b.is_ascii_digit()));
            prop_assert!(expires_at.as_str().and_then(|t| t.parse::<u64>().ok()).is_some_and(|t| NOW < t));
            prop_assert!(!user_not_found);
            prop_assert!(metadata.get("action").is_none_or(|a| a == "answer"));
            prop_assert_eq!(phone.as_str(), Some("+15555550100"));
        }
    }

    /// Any JSON at all: an answer or a clear error, never a panic.
    #[test]
    fn arbitrary_events_never_panic(event in any_json(), request in any_json()) {
        let mut with_request = event.clone();
        if let Value::Object(map) = &mut with_request {
            map.insert("request".into(), request);
        }
        for e in [event, with_request] {
            let _ = from_json(e.clone()).and_then(|e| define::handle(e, &Config::default(), &mut Metrics::default()));
            let _ = from_json(e.clone()).and_then(|e| verify::handle(e, &Config::default(), NOW, &mut Metrics::default()));
            let _ = from_json(e).and_then(|e| pre_sign_up::handle(e, &Config::default(), &mut Metrics::default()));
        }
    }

    /// Mutations of the real sample events: replace one field of the request with anything.
    #[test]
    fn mutated_sample_events_never_panic_or_succeed_wrongly(field in "[a-zA-Z]{1,24}", value in any_json(), pick in 0usize..4) {
        let samples = [
            ("define-auth-challenge", "correct-answer.json"),
            ("verify-auth-challenge", "correct.json"),
            ("pre-sign-up", "valid-number.json"),
            ("define-auth-challenge", "first-call.json"),
        ];
        let (trigger, file) = samples[pick];
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events").join(trigger).join(file);
        let mut event: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("sample")).expect("JSON");
        event["request"][field.as_str()] = value;
        match trigger {
            "define-auth-challenge" => {
                let session = event["request"]["session"].clone();
                let unknown = event["request"]["userNotFound"] == true;
                let out = from_json(event).and_then(|e| define::handle(e, &Config::default(), &mut Metrics::default()));
                if out.is_ok_and(|out| out.response.issue_tokens) {
                    prop_assert!(!unknown && ends_in_a_correct_round_of_ours(&session));
                }
            }
            "verify-auth-challenge" => {
                let request = event["request"].clone();
                let out = from_json(event).and_then(|e| verify::handle(e, &Config::default(), NOW, &mut Metrics::default()));
                if out.is_ok_and(|out| out.response.answer_correct) {
                    // Only the untouched fields can make it correct.
                    prop_assert_eq!(request["challengeAnswer"].as_str().map(str::trim), request["privateChallengeParameters"]["code"].as_str());
                    prop_assert!(request["userNotFound"] != true);
                }
            }
            _ => {
                let _ = from_json(event).and_then(|e| pre_sign_up::handle(e, &Config::default(), &mut Metrics::default()));
            }
        }
    }
}
