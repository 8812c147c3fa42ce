//! Property tests: generated and mutated events never panic a trigger, and never yield
//! `answerCorrect: true` or `issueTokens: true` from input the core did not create.
//!
//! Create is driven too: whatever it is given, a round it makes has metadata that parses back,
//! verify refuses a wrong answer to it, no answer at all wins a round whose code was not
//! delivered, and no answer at all is accepted for a locked number. (`fuzz/` has the unbounded
//! versions of these.)
//!
//! Bounded (a fixed number of cases each) so they run in the normal test run.

use std::time::Duration;

use proptest::prelude::*;
use serde_json::{Value, json};
use sms_otp_core::Config;
use sms_otp_core::challenge::ChallengeState;
use sms_otp_core::invocation::Invocation;
use sms_otp_core::lockout::{AnswerLedger, NoLockout};
use sms_otp_core::metrics::Metrics;
use sms_otp_core::phone::PhoneNumber;
use sms_otp_core::pumping::NoBreaker;
use sms_otp_core::testkit::events::{self, answer_to};
use sms_otp_core::testkit::lockout::InMemoryLockout;
use sms_otp_core::testkit::oracles::{created_round, define_may_issue_tokens, verify_may_accept};
use sms_otp_core::testkit::sms::{RecordingSender, SentSms};
use sms_otp_core::testkit::{NOW, block_on};
use sms_otp_core::triggers::create::{self, CreateContext};
use sms_otp_core::triggers::{define, from_json, pre_sign_up, verify};

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
        "SMSOTP[0-9]:[0-9]{0,11}:[0-9+-]{0,12}:[0-9]{0,2}:[0-9-]{0,2}(:[0-9]{0,2})?".prop_map(Value::from),
        ("[0-9]{6}", 0u64..2_000_000_000, 0u32..8, 0u32..12, 0u8..2)
            .prop_map(|(c, t, s, f, d)| Value::from(format!("SMSOTP2:{c}:{t}:{s}:{f}:{d}"))),
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

/// A session entry as create writes it, answered wrongly: recent, within the default limits,
/// its code delivered or not.
fn round_of_ours() -> impl Strategy<Value = Value> {
    ("[0-9]{6}", NOW - 400..NOW + 10, 1u32..4, 0u32..3, any::<bool>()).prop_map(
        |(code, issued_at, sends, failures, delivered)| {
            events::round(&code, issued_at, sends, failures, delivered, false)
        },
    )
}

/// Verify with the defaults and no count across sign-ins.
fn verify_default(event: Value) -> Result<bool, sms_otp_core::triggers::TriggerError> {
    from_json(event)
        .and_then(|e| {
            block_on(verify::handle(
                e,
                &Config::default(),
                &NoLockout,
                &NoBreaker,
                &Invocation::at(NOW),
                &mut Metrics::default(),
            ))
        })
        .map(|out| out.response.answer_correct)
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

/// An event of `trigger` for the user `+15555550100`, its request filled in later.
fn header(trigger: &str) -> Value {
    events::event(trigger, "+15555550100", Value::Null)
}

/// Runs create on `event` (the defaults, a recording sender, withheld rounds without a wait,
/// `ledger` for the lock) on this thread's runtime. Returns the response, or `None` when create
/// refused the event, and the SMS sent.
fn create_round<A: AnswerLedger>(event: Value, ledger: A) -> (Option<Value>, Vec<SentSms>) {
    let ctx =
        CreateContext::with_decoy_delay(Config::default(), RecordingSender::new(), Duration::ZERO).with_lockout(ledger);
    let out = from_json(event)
        .ok()
        .and_then(|e| block_on(create::handle(e, &ctx, &Invocation::at(NOW), &mut Metrics::default())).ok());
    (out.map(|out| serde_json::to_value(out).expect("events serialize")["response"].take()), ctx.sender.sent())
}

/// What every round create makes must hold ([`created_round`]), as a property test failure.
fn check_round(request: &Value, response: &Value, sms: &[SentSms]) -> Result<ChallengeState, TestCaseError> {
    created_round(request, response, sms, &Config::default(), NOW).map_err(TestCaseError::fail)
}

/// Verify's answer to `answer` for the round create made for `request`, with `ledger`.
fn verify_with<A: AnswerLedger>(request: &Value, response: &Value, answer: &str, ledger: &A) -> bool {
    from_json(answer_to("+15555550100", request, response, answer))
        .and_then(|e| {
            block_on(verify::handle(
                e,
                &Config::default(),
                ledger,
                &NoBreaker,
                &Invocation::at(NOW),
                &mut Metrics::default(),
            ))
        })
        .is_ok_and(|out| out.response.answer_correct)
}

fn verify_answer(request: &Value, response: &Value, answer: &str) -> bool {
    verify_with(request, response, answer, &NoLockout)
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
        let mut event = header(events::DEFINE);
        event["request"] = json!({"userAttributes": attributes, "session": session, "userNotFound": user_not_found, "clientMetadata": metadata});
        let request = event["request"].clone();
        if let Ok(out) = from_json(event).and_then(|e| define::handle(e, &Config::default(), &mut Metrics::default())) {
            let response = &out.response;
            if response.issue_tokens {
                prop_assert!(!user_not_found, "tokens for an unknown user");
                prop_assert!(define_may_issue_tokens(&request), "tokens after {request}");
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
        verified in prop_oneof![Just(Value::from("true")), any_json()],
        delivered in prop_oneof![Just(Value::from("true")), Just(Value::from("false")), any_json()],
    ) {
        let mut event = header(events::VERIFY);
        event["request"] = json!({"userAttributes": {"phone_number": phone.clone(), "phone_number_verified": verified.clone()},
            "privateChallengeParameters": {"code": code.clone(), "expiresAt": expires_at.clone(), "delivered": delivered.clone()},
            "challengeAnswer": answer.clone(), "userNotFound": user_not_found, "clientMetadata": metadata.clone()});
        event["response"] = json!({"answerCorrect": null});
        let request = event["request"].clone();
        if verify_default(event).is_ok_and(|correct| correct) {
            prop_assert!(verify_may_accept(&request, &Config::default(), NOW), "answerCorrect for {request}");
            prop_assert_eq!(delivered.as_str(), Some("true"), "a round whose code was not delivered");
            prop_assert!(verified.as_str().is_some_and(|v| v.eq_ignore_ascii_case("true")), "an unproven number");
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
            let _ = verify_default(e.clone());
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
                let request = event["request"].clone();
                let out = from_json(event).and_then(|e| define::handle(e, &Config::default(), &mut Metrics::default()));
                if out.is_ok_and(|out| out.response.issue_tokens) {
                    prop_assert!(define_may_issue_tokens(&request), "tokens after {request}");
                }
            }
            "verify-auth-challenge" => {
                let request = event["request"].clone();
                if verify_default(event).is_ok_and(|correct| correct) {
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

    /// Create on generated events: no panic, and every round it makes parses back and is one
    /// verify reads: a wrong answer to it is never correct, the code just sent always is.
    #[test]
    fn create_rounds_parse_back_and_refuse_wrong_answers(
        challenge_name in prop_oneof![4 => Just(Value::from("CUSTOM_CHALLENGE")), 1 => any_json()],
        session in prop::collection::vec(prop_oneof![6 => round_of_ours(), 1 => session_entry()], 0..4),
        user_not_found in any::<bool>(),
        metadata in prop_oneof![
            3 => Just(Value::Null),
            2 => Just(json!({"action": "resend"})),
            1 => client_metadata(),
        ],
        phone in prop_oneof![
            3 => Just(Value::from("+15555550100")),
            2 => "\\+[0-9]{6,16}".prop_map(Value::from),
            1 => any_json(),
        ],
        user_name in prop_oneof![3 => Just(Value::from("+15555550100")), 1 => ".{0,24}".prop_map(Value::from), 1 => any_json()],
        wrong in prop_oneof!["[0-9]{4,10}", ".{0,12}"],
        verified in prop_oneof![4 => Just(Value::from("true")), 1 => any_json()],
    ) {
        let mut event = header(events::CREATE);
        event["userName"] = user_name;
        event["request"] = json!({"userAttributes": {"phone_number": phone}, "challengeName": challenge_name,
            "session": session, "userNotFound": user_not_found, "clientMetadata": metadata});
        event["request"]["userAttributes"]["phone_number_verified"] = verified;
        let request = event["request"].clone();
        let (out, sms) = create_round(event, NoLockout);
        if let Some(response) = out {
            let state = check_round(&request, &response, &sms)?;
            let code = state.code.expose();
            if wrong.trim() != code {
                prop_assert!(!verify_answer(&request, &response, &wrong), "verify took {wrong:?} for {code:?}");
            }
            if !sms.is_empty() {
                prop_assert!(verify_answer(&request, &response, code), "verify refused the code just sent");
            }
            // The one rule: a round whose code was not delivered is never won, by any answer.
            if !state.is_delivered() {
                for answer in [code, wrong.as_str(), ""] {
                    prop_assert!(!verify_answer(&request, &response, answer), "undelivered round won by {answer:?}");
                }
            }
        }
    }

    /// While a number is locked, create sends it nothing and verify accepts no answer for it:
    /// not the code of the round just made, not the code of a round sent before the lock.
    #[test]
    fn no_answer_is_correct_for_a_locked_number(
        session in prop::collection::vec(round_of_ours(), 0..3),
        user_not_found in any::<bool>(),
        resend in any::<bool>(),
        answer in prop_oneof!["[0-9]{6}", ".{0,12}"],
    ) {
        let phone = PhoneNumber::parse("+15555550100").expect("a number");
        let locked = || {
            let ledger = InMemoryLockout::new(Config::default().lockout);
            ledger.lock_until(&phone, NOW + 1);
            ledger
        };
        let mut event = header(events::CREATE);
        event["request"] = json!({"userAttributes": {"phone_number": "+15555550100", "phone_number_verified": "true"},
            "challengeName": "CUSTOM_CHALLENGE", "session": session, "userNotFound": user_not_found,
            "clientMetadata": if resend { json!({"action": "resend"}) } else { json!({}) }});
        let request = event["request"].clone();
        let (out, sms) = create_round(event, locked());
        prop_assert!(sms.is_empty(), "an SMS to a locked number");
        if let Some(response) = out {
            let state = check_round(&request, &response, &sms)?;
            for answer in [state.code.expose(), answer.as_str()] {
                prop_assert!(!verify_with(&request, &response, answer, &locked()), "accepted {answer:?} while locked");
            }
        }
    }

    /// Mutations of the real create samples: replace one field of the request (or the username)
    /// with anything. No panic; a round, if made, parses back and refuses a wrong answer.
    #[test]
    fn mutated_create_events_never_panic_or_break_the_round(
        field in prop_oneof!["[a-zA-Z]{1,24}", Just("session".to_owned()), Just("userAttributes".to_owned()),
            Just("clientMetadata".to_owned()), Just("userNotFound".to_owned()), Just("challengeName".to_owned())],
        value in any_json(),
        in_header in prop::bool::weighted(0.1),
        pick in 0usize..6,
    ) {
        let samples = ["first-call.json", "wrong-answer-keeps-code.json", "resend-after-cooldown.json",
            "resend-no-sends-left.json", "unknown-user.json", "test-number.json"];
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/create-auth-challenge").join(samples[pick]);
        let mut event: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("sample")).expect("JSON");
        if in_header {
            event["userName"] = value;
        } else {
            event["request"][field.as_str()] = value;
        }
        let request = event["request"].clone();
        let (out, sms) = create_round(event, NoLockout);
        if let Some(response) = out {
            let state = check_round(&request, &response, &sms)?;
            let wrong = format!("{}0", state.code.expose());
            prop_assert!(!verify_answer(&request, &response, &wrong));
        }
    }
}
