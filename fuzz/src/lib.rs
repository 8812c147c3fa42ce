//! What the fuzz targets share beyond the core's test kit (`sms_otp_core::testkit`, where the
//! clock, the fakes and the fail-closed oracles live, one copy for every test): the
//! configurations they run the triggers under, and reading the fuzzer's bytes as an event.

use std::sync::OnceLock;

use serde_json::Value;
use sms_otp_core::Config;

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

/// The fuzzer's bytes as a JSON event, if they are JSON at all.
pub fn event(data: &[u8]) -> Option<Value> {
    serde_json::from_slice(data).ok()
}
