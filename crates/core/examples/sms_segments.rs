//! How many segments the configured SMS texts take: the same environment variables as the
//! functions (`SMS_MESSAGE`, `SMS_MESSAGE_BY_LOCALE`, `APP_NAME`, `OTP_LENGTH`, ...), the same
//! rendering and the same count create-auth-challenge logs at start-up. One line per template on
//! stderr; the largest count alone on stdout, for `make cost`.
//!
//!     SMS_MESSAGE='{code} est votre code' cargo run -q -p sms-otp-core --example sms_segments

use sms_otp_core::Config;
use sms_otp_core::message;
use sms_otp_core::sms::segments;

fn main() -> Result<(), sms_otp_core::config::ConfigError> {
    let config = Config::from_env()?;
    let sms = &config.sms;
    let mut most = 1;
    for (locale, template) in sms.templates.all() {
        let text = message::longest(
            template,
            &sms.app_name,
            config.otp_length,
            config.otp_ttl_seconds,
            sms.webotp_domain.as_deref(),
        );
        let s = segments::of(&text);
        eprintln!("{}: {}, {} units, {} segment(s)", locale.unwrap_or("default"), s.encoding.name(), s.units, s.count);
        most = most.max(s.count);
    }
    println!("{most}");
    Ok(())
}
