//! Create on any JSON: no panic, and every round it makes is one the rest of the protocol can
//! read: its metadata parses back, the private code and expiry are the metadata's, the public
//! parameters are the six names, an SMS goes only to the user's own number (never for an unknown
//! user, never past the per-number limit, to a locked number or with either unknown) and carries
//! the code, verify refuses a wrong answer to it (and takes the right one after a real SMS), and
//! no answer at all, its own code included, wins a round whose code was not delivered or is
//! given for a locked number.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use sms_otp_core::Config;
use sms_otp_core::invocation::Invocation;
use sms_otp_core::lockout::{AnswerLedger, NoLockout};
use sms_otp_core::metrics::Metrics;
use sms_otp_core::pumping::NoBreaker;
use sms_otp_core::send_limit::{LimitError, NoLimit, PerNumberLimits, SendLimiter};
use sms_otp_core::sms::SendError;
use sms_otp_core::testkit::events::answer_to;
use sms_otp_core::testkit::lockout::InMemoryLockout;
use sms_otp_core::testkit::oracles::{created_round, number_of, wrong_code};
use sms_otp_core::testkit::send_limit::InMemoryLimiter;
use sms_otp_core::testkit::sms::{RecordingSender, SentSms};
use sms_otp_core::testkit::{NOW, block_on};
use sms_otp_core::triggers::create::{self, CreateContext};
use sms_otp_core::triggers::{from_json, verify};
use sms_otp_fuzz::{configs, event};

fuzz_target!(|data: &[u8]| {
    let Some(event) = event(data) else { return };
    for config in configs() {
        for sms_fails in [false, true] {
            run(&event, context(config, sms_fails, NoLimit, NoLockout), true);
        }
        // Past the per-number limit: a withheld round, no SMS.
        let limit_reached = InMemoryLimiter::new(PerNumberLimits { per_hour: 0, per_day: 0 });
        run(&event, context(config, false, limit_reached, NoLockout), false);
        // The limit cannot be checked: no SMS either (the round fails).
        let limit_unavailable = InMemoryLimiter::new(PerNumberLimits { per_hour: 10, per_day: 10 });
        limit_unavailable.fail_with(LimitError::Unreachable);
        run(&event, context(config, false, limit_unavailable, NoLockout), false);
        // The number is locked: a withheld round, no SMS, and no answer accepted.
        if let Some(number) = number_of(&event) {
            let locked = InMemoryLockout::new(config.lockout);
            locked.lock_until(&number, NOW + 1);
            run(&event, context(config, false, NoLimit, locked), false);
        }
    }
});

/// A fresh context each time: the sender records every message, so one shared across runs would
/// grow without end.
fn context<L: SendLimiter, A: AnswerLedger>(
    config: &Config,
    sms_fails: bool,
    limiter: L,
    ledger: A,
) -> CreateContext<RecordingSender, L, A> {
    let sender = RecordingSender::new();
    if sms_fails {
        sender.fail_with(SendError::Refused { code: "Throttling".into() });
    }
    CreateContext::with_decoy_delay(config.clone(), sender, Duration::ZERO)
        .with_send_limit(limiter)
        .with_lockout(ledger)
}

/// Runs create on `event`; when it makes a round, checks it. `may_send`: whether the context
/// lets any SMS out at all.
fn run<L: SendLimiter, A: AnswerLedger>(event: &Value, ctx: CreateContext<RecordingSender, L, A>, may_send: bool) {
    let Ok(created) = from_json(event.clone()) else { return };
    let result = block_on(create::handle(created, &ctx, &Invocation::at(NOW), &mut Metrics::default()));
    let sent = ctx.sender.sent();
    assert!(may_send || sent.is_empty(), "an SMS past a limit, to a locked number or unchecked, for {event}");
    let Ok(out) = result else { return };
    let out = serde_json::to_value(out).expect("events serialize");
    check(&event["userName"], &event["request"], &out["response"], &sent, &ctx.config, &ctx.ledger);
}

fn check<A: AnswerLedger>(
    user_name: &Value,
    request: &Value,
    response: &Value,
    sent: &[SentSms],
    config: &Config,
    ledger: &A,
) {
    let state = created_round(request, response, sent, config, NOW).unwrap_or_else(|broken| panic!("{broken}"));
    let code = state.code.expose();

    // The round, handed on to verify: a wrong answer is never correct; after a real SMS, the
    // right one is.
    let user_name = user_name.as_str().unwrap_or("u");
    let answer = |answer: String| {
        from_json(answer_to(user_name, request, response, &answer))
            .and_then(|e| {
                block_on(verify::handle(e, config, ledger, &NoBreaker, &Invocation::at(NOW), &mut Metrics::default()))
            })
            .map(|out| out.response.answer_correct)
    };
    assert!(!answer(wrong_code(code)).unwrap_or(false), "verify took a wrong answer to {request}");
    if !state.is_delivered() {
        assert!(!answer(code.to_owned()).unwrap_or(false), "a round whose code was not delivered was won: {request}");
    }
    if !sent.is_empty() {
        assert!(matches!(answer(code.to_owned()), Ok(true)), "verify refused the code just sent for {request}");
    }
}
