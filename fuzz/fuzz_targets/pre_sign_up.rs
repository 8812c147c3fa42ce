//! Pre-sign-up on any JSON: no panic, and a user is confirmed only with an E.164 number from an
//! allowed country.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sms_otp_core::metrics::Metrics;
use sms_otp_core::phone::PhoneNumber;
use sms_otp_core::triggers::{from_json, pre_sign_up};
use sms_otp_fuzz::{configs, event};

fuzz_target!(|data: &[u8]| {
    let Some(event) = event(data) else { return };
    for config in configs() {
        let Ok(out) = from_json(event.clone()).and_then(|e| pre_sign_up::handle(e, config, &mut Metrics::default()))
        else {
            continue;
        };
        let phone =
            event["request"]["userAttributes"]["phone_number"].as_str().and_then(|p| PhoneNumber::parse(p).ok());
        assert!(phone.is_some_and(|p| config.allowed_countries.allows(&p)), "confirmed {event}");
        assert!(out.response.auto_confirm_user);
        assert_eq!(out.response.auto_verify_phone, config.auto_verify_phone);
    }
});
