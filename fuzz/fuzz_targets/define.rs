//! Define on any JSON: no panic, and `issueTokens: true` only after a correct round of ours for
//! a known user (see `define_may_issue_tokens`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sms_otp_core::metrics::Metrics;
use sms_otp_core::testkit::oracles::define_may_issue_tokens;
use sms_otp_core::triggers::{define, from_json};
use sms_otp_fuzz::{configs, event};

fuzz_target!(|data: &[u8]| {
    let Some(event) = event(data) else { return };
    for config in configs() {
        let Ok(out) = from_json(event.clone()).and_then(|e| define::handle(e, config, &mut Metrics::default())) else {
            continue;
        };
        let response = &out.response;
        if response.issue_tokens {
            assert!(define_may_issue_tokens(&event["request"]), "issueTokens for {event}");
        }
        assert!(!(response.issue_tokens && response.fail_authentication), "tokens and failure for {event}");
        assert_eq!(
            response.challenge_name.is_some(),
            !response.issue_tokens && !response.fail_authentication,
            "a challenge name only when the sign-in goes on: {event}"
        );
    }
});
