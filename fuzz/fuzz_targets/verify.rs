//! Verify on any JSON: no panic, and `answerCorrect: true` only for a well-formed, unexpired code
//! equal to the answer, for a known user (see `verify_may_accept`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sms_otp_core::metrics::Metrics;
use sms_otp_core::triggers::{from_json, verify};
use sms_otp_fuzz::{NOW, configs, event, verify_may_accept};

fuzz_target!(|data: &[u8]| {
    let Some(event) = event(data) else { return };
    for config in configs() {
        let Ok(out) = from_json(event.clone()).and_then(|e| verify::handle(e, config, NOW, &mut Metrics::default()))
        else {
            continue;
        };
        if out.response.answer_correct {
            assert!(verify_may_accept(&event["request"], config, NOW), "answerCorrect for {event}");
        }
    }
});
