//! Handler tests: every sample event in `events/` goes through its trigger's handler, and the
//! outcome is checked against the expectation kept beside it (`<name>.expected.json`):
//!
//! ```json
//! {
//!   "env": { "MAX_SENDS": "1" },          // configuration for this event (optional)
//!   "now": 1763700000,                    // the clock, in Unix seconds
//!   "smsFails": false,                    // create: the SMS sender fails (optional)
//!   "sendLimit": "reached",               // create: the per-number limit refuses, or is
//!                                         //   "unavailable" (optional; default: no limit)
//!   "lockout": "locked",                  // create, verify: the event's number is locked, or the
//!                                         //   store is "unavailable" (optional; default: open)
//!   "failuresAfter": 1,                   // verify: the number's wrong answers in a row after
//!   "prefix": {"sends": 19, "correct": 0, "pausedFor": 0, "budgetTaken": 0},
//!                                         // create, verify: the event's destination prefix
//!                                         //   before: its breaker counts, pause, and the SMS of
//!                                         //   its budget already taken in this window
//!                                         //   (optional; default: nothing counted)
//!   "prefixAfter": {"sends": 20, "correct": 0, "paused": true},
//!                                         // create, verify: ... and after (optional)
//!   "sms": 1,                             // create: how many SMS go out
//!   "metrics": { "SmsSent": 1 },          // what the invocation counts; unnamed ones stay 0
//!   "expect": {
//!     "response": { ... },                // a subset of the response; "<any>" matches any value
//!     "error": "substring",               // or: the handler refuses, with this in the message
//!     "codeReplaced": "482913",           // create: the new code is not this one
//!     "smsContains": ["..."]              // create: the SMS text holds these
//!   }
//! }
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use sms_otp_core::Config;
use sms_otp_core::invocation::Invocation;
use sms_otp_core::metrics::{Metric, Metrics};
use sms_otp_core::phone::PhoneNumber;
use sms_otp_core::pumping::{Area, Prefix, PumpingLedger};
use sms_otp_core::send_limit::{LimitError, PerNumberLimits};
use sms_otp_core::sms::SendError;
use sms_otp_core::testkit::block_on;
use sms_otp_core::testkit::expected::subset;
use sms_otp_core::testkit::lockout::InMemoryLockout;
use sms_otp_core::testkit::pumping::InMemoryPumpingLedger;
use sms_otp_core::testkit::send_limit::InMemoryLimiter;
use sms_otp_core::testkit::sms::{RecordingSender, SentSms};
use sms_otp_core::triggers::create::CreateContext;
use sms_otp_core::triggers::{create, define, from_json, pre_sign_up, verify};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Expectation {
    #[serde(default)]
    env: HashMap<String, String>,
    now: u64,
    #[serde(default)]
    sms_fails: bool,
    send_limit: Option<SendLimit>,
    lockout: Option<LockoutState>,
    failures_after: Option<u32>,
    prefix: Option<PrefixCounts>,
    prefix_after: Option<PrefixCounts>,
    sms: Option<usize>,
    metrics: Option<HashMap<String, u32>>,
    expect: Expect,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "camelCase")]
enum SendLimit {
    Reached,
    Unavailable,
}

/// A destination prefix's counts over the breaker's window, and whether it is paused.
#[derive(Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PrefixCounts {
    #[serde(default)]
    sends: u64,
    #[serde(default)]
    correct: u64,
    /// Before: seconds the prefix stays paused from `now` (0: not paused).
    #[serde(default)]
    paused_for: u64,
    /// After: whether the prefix is paused at `now`.
    #[serde(default)]
    paused: bool,
    /// Before: SMS of the prefix's budget already taken in the window of `now`.
    #[serde(default)]
    budget_taken: u32,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "camelCase")]
enum LockoutState {
    Locked,
    Unavailable,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Expect {
    response: Option<Value>,
    error: Option<String>,
    code_replaced: Option<String>,
    #[serde(default)]
    sms_contains: Vec<String>,
}

/// What a handler did with one event.
struct Outcome {
    result: Result<Value, String>,
    sms: Vec<SentSms>,
    metrics: Metrics,
    /// verify: the number's wrong answers in a row afterwards.
    failures_after: Option<u32>,
    /// create, verify: the event's prefix afterwards.
    prefix_after: Option<PrefixCounts>,
}

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events")
}

fn respond<T: serde::Serialize, E: std::fmt::Display>(result: Result<T, E>) -> Result<Value, String> {
    result.map(|event| serde_json::to_value(event).expect("events serialize")).map_err(|e| e.to_string())
}

/// The number an event is about: the user's `phone_number`, else the typed user name.
fn number_of(event: &Value) -> Option<PhoneNumber> {
    let raw = event["request"]["userAttributes"]["phone_number"].as_str().or(event["userName"].as_str())?;
    PhoneNumber::parse(raw).ok()
}

/// The wrong-answer store an expectation asks for.
fn ledger(config: &Config, exp: &Expectation, event: &Value) -> InMemoryLockout {
    let ledger = InMemoryLockout::new(config.lockout);
    match (exp.lockout, number_of(event)) {
        (Some(LockoutState::Locked), Some(number)) => ledger.lock_until(&number, exp.now + 60),
        (Some(LockoutState::Locked), None) => panic!("a locked expectation needs a number in the event"),
        (Some(LockoutState::Unavailable), _) => ledger.fail_with(LimitError::Unreachable),
        (None, _) => {}
    }
    ledger
}

/// The prefix store an expectation asks for, and the event's prefix.
fn prefixes(config: &Config, exp: &Expectation, event: &Value) -> (InMemoryPumpingLedger, Option<Area>) {
    let ledger = InMemoryPumpingLedger::with_ceiling(config.breaker, config.pool_ceiling);
    let prefix = number_of(event).map(|n| Area::Prefix(Prefix::of(&n)));
    if let (Some(before), Some(prefix)) = (exp.prefix, &prefix) {
        block_on(async {
            for _ in 0..before.sends {
                ledger.record_send(prefix, exp.now).await.expect("counted");
            }
            for _ in 0..before.correct {
                ledger.record_correct(prefix, exp.now).await.expect("counted");
            }
            if before.paused_for > 0 {
                ledger.pause(prefix, exp.now, exp.now + before.paused_for).await.expect("paused");
            }
            if let Area::Prefix(p) = prefix {
                for _ in 0..before.budget_taken {
                    ledger.take_prefix_budget(p, exp.now).await.expect("taken");
                }
            }
        });
    }
    (ledger, prefix)
}

/// What the prefix store holds for `prefix` at `now`, in an expectation's terms.
fn prefix_counts(ledger: &InMemoryPumpingLedger, prefix: &Area, now: u64) -> PrefixCounts {
    let state = block_on(ledger.state(prefix, now)).expect("a state");
    PrefixCounts {
        sends: state.window.sends,
        correct: state.window.correct,
        paused_for: 0,
        paused: state.paused_until > now,
        budget_taken: 0,
    }
}

/// Runs `event` through the handler of `trigger` (the folder name, which is the binary's name).
fn run(trigger: &str, event: Value, exp: &Expectation) -> Outcome {
    let config = Config::from_lookup(|name| exp.env.get(name).cloned()).expect("the expectation's env is valid");
    let mut sms = Vec::new();
    let mut metrics = Metrics::default();
    let mut failures_after = None;
    let mut prefix_after = None;
    let m = &mut metrics;
    let ledger = ledger(&config, exp, &event);
    let (prefix_ledger, prefix) = prefixes(&config, exp, &event);
    let number = number_of(&event);
    let result = match trigger {
        "pre-sign-up" => respond(from_json(event).and_then(|e| pre_sign_up::handle(e, &config, m))),
        "define-auth-challenge" => respond(from_json(event).and_then(|e| define::handle(e, &config, m))),
        "verify-auth-challenge" => {
            let result = match from_json(event) {
                Err(e) => Err(e.to_string()),
                Ok(e) => {
                    respond(block_on(verify::handle(e, &config, &ledger, &prefix_ledger, &Invocation::at(exp.now), m)))
                }
            };
            failures_after = number.map(|n| ledger.failures(&n));
            prefix_after = prefix.as_ref().map(|p| prefix_counts(&prefix_ledger, p, exp.now));
            result
        }
        "create-auth-challenge" => {
            let sender = RecordingSender::new();
            if exp.sms_fails {
                sender.fail_with(SendError::Refused { code: "Throttling".into() });
            }
            let limiter = match exp.send_limit {
                // Limits of 0: every reservation is refused, as for a number that has had its SMS.
                Some(SendLimit::Reached) => InMemoryLimiter::new(PerNumberLimits { per_hour: 0, per_day: 0 }),
                _ => InMemoryLimiter::new(config.per_number),
            };
            if let Some(SendLimit::Unavailable) = exp.send_limit {
                limiter.fail_with(LimitError::Timeout);
            }
            let ctx = CreateContext::with_decoy_delay(config, sender, Duration::ZERO)
                .with_send_limit(limiter)
                .with_lockout(ledger)
                .with_breaker(prefix_ledger);
            let result = match from_json(event) {
                Err(e) => Err(e.to_string()),
                Ok(e) => respond(block_on(create::handle(e, &ctx, &Invocation::at(exp.now), m))),
            };
            sms = ctx.sender.sent();
            prefix_after = prefix.as_ref().map(|p| prefix_counts(&ctx.pumping, p, exp.now));
            result
        }
        other => panic!("events/{other}: no trigger of that name"),
    };
    Outcome { result, sms, metrics, failures_after, prefix_after }
}

/// Checks one event; returns what is wrong with it.
fn check(trigger: &str, event: Value, exp: &Expectation) -> Vec<String> {
    let mut errors = Vec::new();
    let outcome = run(trigger, event, exp);
    match (&outcome.result, &exp.expect.error, &exp.expect.response) {
        (Err(got), Some(want), _) if got.contains(want.as_str()) => {}
        (Err(got), _, _) => errors.push(format!("error {got:?}, expected {:?}", exp.expect.error)),
        (Ok(_), Some(want), _) => errors.push(format!("succeeded, expected an error containing {want:?}")),
        (Ok(event), None, Some(want)) => subset(want, &event["response"], "response", &[], &mut errors),
        (Ok(_), None, None) => errors.push("the expectation names neither response nor error".into()),
    }
    if trigger == "create-auth-challenge" {
        check_create(&outcome, exp, &mut errors);
    }
    if let Some(want) = exp.failures_after
        && outcome.failures_after != Some(want)
    {
        errors.push(format!("wrong answers in a row afterwards: {:?}, expected {want}", outcome.failures_after));
    }
    if let Some(want) = exp.prefix_after
        && outcome.prefix_after != Some(want)
    {
        errors.push(format!("the prefix afterwards: {:?}, expected {want:?}", outcome.prefix_after));
    }
    let want = exp.metrics.clone().unwrap_or_default();
    for name in want.keys().filter(|name| !Metric::ALL.iter().any(|m| m.name() == name.as_str())) {
        errors.push(format!("the expectation names an unknown metric {name}"));
    }
    for metric in Metric::ALL {
        let (got, expected) = (outcome.metrics.get(metric), want.get(metric.name()).copied().unwrap_or(0));
        if got != expected {
            errors.push(format!("metric {}: counted {got}, expected {expected}", metric.name()));
        }
    }
    errors
}

/// The rules every create response keeps, beyond its own expectation.
fn check_create(outcome: &Outcome, exp: &Expectation, errors: &mut Vec<String>) {
    match exp.sms {
        Some(n) if n != outcome.sms.len() => errors.push(format!("{} SMS sent, expected {n}", outcome.sms.len())),
        None => errors.push("create expectations must say how many SMS go out".into()),
        _ => {}
    }
    let Ok(event) = &outcome.result else { return };
    let response = &event["response"];
    let code = response["privateChallengeParameters"]["code"].as_str().unwrap_or_default();
    let metadata = response["challengeMetadata"].as_str().unwrap_or_default();
    if code.is_empty() || !metadata.contains(&format!(":{code}:")) {
        errors.push(format!("the private code is not the one in the metadata ({metadata})"));
    }
    // The one rule: a round is winnable only if its code went out (or is a test number's).
    let delivered = response["privateChallengeParameters"]["delivered"].as_str() == Some("true");
    let test_number = exp.env.get("TEST_PHONE_NUMBERS").is_some_and(|t| t.contains(&format!("={code}")));
    let open_test_number = test_number && exp.lockout.is_none();
    // A round that keeps an earlier delivered code (a wrong answer, a resend inside the cooldown).
    let carried_over =
        exp.sms == Some(0) && !test_number && exp.lockout.is_none() && exp.send_limit.is_none() && exp.prefix.is_none();
    let may_be_delivered = !outcome.sms.is_empty() || open_test_number || carried_over;
    if (delivered && !may_be_delivered) || (!outcome.sms.is_empty() && !delivered) {
        errors.push(format!("delivered={delivered} but {} SMS went out ({metadata})", outcome.sms.len()));
    }
    if !metadata.ends_with(if delivered { ":1" } else { ":0" }) && !metadata.ends_with(":u") {
        errors.push(format!("the private parameters say delivered={delivered}, the metadata {metadata}"));
    }
    let public = response["publicChallengeParameters"].to_string();
    if public.contains(code) || public.contains("5555550") {
        errors.push(format!("public parameters show the code or the number: {public}"));
    }
    for sms in &outcome.sms {
        if !sms.text.contains(code) {
            errors.push("the SMS does not hold the code verify will expect".into());
        }
        for want in &exp.expect.sms_contains {
            if !sms.text.contains(want.as_str()) {
                errors.push(format!("the SMS {:?} does not contain {want:?}", sms.text));
            }
        }
    }
    if let Some(old) = &exp.expect.code_replaced
        && old == code
    {
        errors.push("a resend kept the old code".into());
    }
}

#[test]
fn every_sample_event_gives_its_expected_outcome() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for trigger in ["pre-sign-up", "define-auth-challenge", "create-auth-challenge", "verify-auth-challenge"] {
        let dir = events_dir().join(trigger);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.expect("a directory entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json") && !p.to_string_lossy().ends_with(".expected.json"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no events for {trigger}");
        for file in files {
            let name = format!("{trigger}/{}", file.file_name().unwrap_or_default().to_string_lossy());
            let expected_path = file.with_extension("expected.json");
            let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let event: Value = serde_json::from_str(&read(&file)).unwrap_or_else(|e| panic!("{name}: {e}"));
            let exp: Expectation =
                serde_json::from_str(&read(&expected_path)).unwrap_or_else(|e| panic!("{name} expectation: {e}"));
            for error in check(trigger, event, &exp) {
                failures.push(format!("{name}: {error}"));
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{} of {checked} events failed:\n{}", failures.len(), failures.join("\n"));
    assert!(checked >= 50, "only {checked} events checked");
}

/// Every event file has an expectation, and every expectation an event.
#[test]
fn events_and_expectations_pair_up() {
    for entry in walk(&events_dir()) {
        let name = entry.to_string_lossy().to_string();
        let partner = match name.strip_suffix(".expected.json") {
            Some(stem) => PathBuf::from(format!("{stem}.json")),
            None => PathBuf::from(name.replace(".json", ".expected.json")),
        };
        assert!(partner.exists(), "{name} has no partner {}", partner.display());
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("events/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    out
}
