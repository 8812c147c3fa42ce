//! Verify on any JSON: no panic, and `answerCorrect: true` only for a well-formed, unexpired,
//! delivered code equal to the answer, for a known user with a proven number (see
//! `verify_may_accept`), and never for a locked number.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sms_otp_core::invocation::Invocation;
use sms_otp_core::lockout::NoLockout;
use sms_otp_core::metrics::Metrics;
use sms_otp_core::pumping::NoBreaker;
use sms_otp_core::testkit::lockout::InMemoryLockout;
use sms_otp_core::testkit::oracles::{number_of, verify_may_accept};
use sms_otp_core::testkit::{NOW, block_on};
use sms_otp_core::triggers::{from_json, verify};
use sms_otp_fuzz::{configs, event};

fuzz_target!(|data: &[u8]| {
    let Some(event) = event(data) else { return };
    for config in configs() {
        let verified = from_json(event.clone()).and_then(|e| {
            block_on(verify::handle(e, config, &NoLockout, &NoBreaker, &Invocation::at(NOW), &mut Metrics::default()))
        });
        if verified.is_ok_and(|out| out.response.answer_correct) {
            assert!(verify_may_accept(&event["request"], config, NOW), "answerCorrect for {event}");
        }
        // The same event for a locked number: no answer is correct.
        if let Some(number) = number_of(&event) {
            let locked = InMemoryLockout::new(config.lockout);
            locked.lock_until(&number, NOW + 1);
            let verified = from_json(event.clone()).and_then(|e| {
                block_on(verify::handle(e, config, &locked, &NoBreaker, &Invocation::at(NOW), &mut Metrics::default()))
            });
            assert!(!verified.is_ok_and(|out| out.response.answer_correct), "answerCorrect while locked for {event}");
        }
    }
});
