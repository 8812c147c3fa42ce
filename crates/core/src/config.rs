//! Configuration: environment variables, parsed and checked once at start-up into [`Config`].
//!
//! A bad value stops the function at init with a message that names the variable, the value and
//! what is allowed, so a wrong deployment fails loudly instead of signing people in wrongly.
//! An empty variable means "not set" (SAM passes optional parameters as empty strings).

use std::collections::HashMap;
use std::ops::RangeInclusive;

use crate::code::{self, Code};
use crate::lockout::LockoutPolicy;
use crate::message::{MessageTemplate, Templates};
use crate::phone::{CountryAllowList, PhoneNumber};
use crate::pumping::BreakerPolicy;
use crate::send_limit::PerNumberLimits;

/// A configuration value that is not allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {var}={value:?} is not allowed; expected {expected}")]
pub struct ConfigError {
    pub var: &'static str,
    pub value: String,
    pub expected: String,
}

/// Everything the triggers can be told, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Digits in a code (`OTP_LENGTH`).
    pub otp_length: usize,
    /// Seconds a code stays valid after it was sent (`OTP_TTL_SECONDS`).
    pub otp_ttl_seconds: u64,
    /// Wrong answers that end a sign-in (`MAX_ATTEMPTS`).
    pub max_attempts: u32,
    /// SMS per sign-in, the first included (`MAX_SENDS`).
    pub max_sends: u32,
    /// Seconds between two sends in one sign-in (`RESEND_COOLDOWN_SECONDS`).
    pub resend_cooldown_seconds: u64,
    /// Countries that may sign up and receive codes (`ALLOWED_COUNTRY_CODES`).
    pub allowed_countries: CountryAllowList,
    pub sms: SmsSettings,
    /// Numbers that never get an SMS and accept a fixed code (`TEST_PHONE_NUMBERS`).
    pub test_numbers: TestNumbers,
    /// Whether pre-sign-up marks `phone_number_verified` (`AUTO_VERIFY_PHONE`).
    pub auto_verify_phone: bool,
    /// The DynamoDB table that counts SMS per number across sign-ins (`SEND_LIMIT_TABLE`);
    /// `None` turns the per-number limit off.
    pub send_limit_table: Option<String>,
    /// SMS per number per hour and per day (`MAX_SMS_PER_NUMBER_PER_HOUR`, `..._PER_DAY`).
    pub per_number: PerNumberLimits,
    /// Consecutive wrong answers per number across sign-ins before a lock, and the lock's length
    /// (`MAX_FAILED_ANSWERS_PER_NUMBER`, `LOCKOUT_SECONDS`). Kept in `SEND_LIMIT_TABLE` too.
    pub lockout: LockoutPolicy,
    /// The SMS pumping breaker and budget per destination prefix (`PUMPING_BREAKER_*`,
    /// `PREFIX_SMS_BUDGET`). Kept in `SEND_LIMIT_TABLE` too.
    pub breaker: BreakerPolicy,
    /// CloudWatch namespace of the embedded metrics (`METRICS_NAMESPACE`).
    pub metrics_namespace: String,
}

/// What goes into, and onto, each SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsSettings {
    /// `SMS_MESSAGE`, and one per locale from `SMS_MESSAGE_BY_LOCALE`.
    pub templates: Templates,
    pub app_name: String,
    pub sender_id: Option<String>,
    pub origination_number: Option<PhoneNumber>,
    pub webotp_domain: Option<String>,
    /// The most one SMS may cost, in USD (`SMS_MAX_PRICE_USD`, SNS's `AWS.SNS.SMS.MaxPrice`): a
    /// plain decimal, as SNS takes it.
    pub max_price_usd: Option<String>,
}

/// Fixed codes for numbers that must never receive an SMS (store reviewers, automated tests).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TestNumbers(HashMap<PhoneNumber, Code>);

impl TestNumbers {
    pub fn code_for(&self, number: &PhoneNumber) -> Option<&Code> {
        self.0.get(number)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for TestNumbers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestNumbers({} configured)", self.0.len())
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let otp_length = number(&get, "OTP_LENGTH", 6, code::MIN_LENGTH as u64..=code::MAX_LENGTH as u64)? as usize;
        let otp_ttl_seconds = number(&get, "OTP_TTL_SECONDS", 300, 60..=900)?;
        let max_attempts = number(&get, "MAX_ATTEMPTS", 3, 1..=10)? as u32;
        let max_sends = number(&get, "MAX_SENDS", 3, 1..=5)? as u32;
        let resend_cooldown_seconds = number(&get, "RESEND_COOLDOWN_SECONDS", 30, 0..=300)?;

        let allowed_countries = match get("ALLOWED_COUNTRY_CODES") {
            None => CountryAllowList::default(),
            Some(raw) => {
                CountryAllowList::parse(&raw).map_err(|expected| invalid("ALLOWED_COUNTRY_CODES", &raw, expected))?
            }
        };

        let template = match get("SMS_MESSAGE") {
            None => MessageTemplate::default(),
            Some(raw) => MessageTemplate::parse(&raw).map_err(|e| invalid("SMS_MESSAGE", &raw, e.to_string()))?,
        };
        let templates = Templates::parse(template, get("SMS_MESSAGE_BY_LOCALE").as_deref()).map_err(|e| {
            invalid("SMS_MESSAGE_BY_LOCALE", &get("SMS_MESSAGE_BY_LOCALE").unwrap_or_default(), e.to_string())
        })?;
        let max_price_usd = match get("SMS_MAX_PRICE_USD") {
            None => None,
            Some(raw) => {
                let raw = raw.trim().to_owned();
                // Digits, then at most five decimals; more than 0 and at most 1000 USD.
                let (whole, fraction) = raw.split_once('.').unwrap_or((&raw, ""));
                let digits = |s: &str, max: usize| s.len() <= max && s.bytes().all(|b| b.is_ascii_digit());
                let shape =
                    (1..=4).contains(&whole.len()) && digits(whole, 4) && digits(fraction, 5) && !raw.ends_with('.');
                let value = raw.parse::<f64>().ok().filter(|v| shape && *v > 0.0 && *v <= 1000.0);
                if value.is_none() {
                    return Err(invalid(
                        "SMS_MAX_PRICE_USD",
                        &raw,
                        "a price in USD above 0 and at most 1000, like 0.05",
                    ));
                }
                Some(raw)
            }
        };
        let app_name = match get("APP_NAME") {
            None => String::new(),
            Some(raw) => {
                let ok = raw.chars().count() <= 40 && !raw.chars().any(char::is_control);
                if !ok {
                    return Err(invalid("APP_NAME", &raw, "at most 40 characters, no control characters"));
                }
                raw.trim().to_owned()
            }
        };
        let sender_id = match get("SMS_SENDER_ID") {
            None => None,
            Some(raw) => {
                // AWS rule for alphanumeric sender IDs: 1-11 letters and digits, at least one letter.
                let ok = (1..=11).contains(&raw.len())
                    && raw.bytes().all(|b| b.is_ascii_alphanumeric())
                    && raw.bytes().any(|b| b.is_ascii_alphabetic());
                if !ok {
                    return Err(invalid("SMS_SENDER_ID", &raw, "1 to 11 letters and digits, at least one letter"));
                }
                Some(raw)
            }
        };
        let origination_number = match get("SMS_ORIGINATION_NUMBER") {
            None => None,
            Some(raw) => {
                Some(PhoneNumber::parse(&raw).map_err(|e| invalid("SMS_ORIGINATION_NUMBER", &raw, e.to_string()))?)
            }
        };
        let webotp_domain = match get("WEBOTP_DOMAIN") {
            None => None,
            Some(raw) => {
                let ok = raw.len() <= 253
                    && raw.contains('.')
                    && raw.split('.').all(|label| {
                        (1..=63).contains(&label.len())
                            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                            && !label.starts_with('-')
                            && !label.ends_with('-')
                    });
                if !ok {
                    return Err(invalid("WEBOTP_DOMAIN", &raw, "a host name like example.com, without scheme or path"));
                }
                Some(raw.to_ascii_lowercase())
            }
        };

        let test_numbers = match get("TEST_PHONE_NUMBERS") {
            None => TestNumbers::default(),
            Some(raw) => parse_test_numbers(&raw, otp_length)?,
        };

        let auto_verify_phone = match get("AUTO_VERIFY_PHONE").as_deref().map(str::trim) {
            None => true,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) => return Err(invalid("AUTO_VERIFY_PHONE", v, "true or false")),
        };

        let send_limit_table = match get("SEND_LIMIT_TABLE") {
            None => None,
            Some(raw) => {
                // DynamoDB's rule for table names.
                let ok = (3..=255).contains(&raw.len())
                    && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
                if !ok {
                    return Err(invalid(
                        "SEND_LIMIT_TABLE",
                        &raw,
                        "a DynamoDB table name: 3 to 255 of A-Z a-z 0-9 _ . -",
                    ));
                }
                Some(raw)
            }
        };
        let per_hour = number(&get, "MAX_SMS_PER_NUMBER_PER_HOUR", 5, 1..=100)? as u32;
        let per_day = number(&get, "MAX_SMS_PER_NUMBER_PER_DAY", 10, 1..=1000)? as u32;
        if per_day < per_hour {
            let raw = get("MAX_SMS_PER_NUMBER_PER_DAY").unwrap_or_default();
            return Err(invalid(
                "MAX_SMS_PER_NUMBER_PER_DAY",
                &raw,
                format!("at least MAX_SMS_PER_NUMBER_PER_HOUR ({per_hour})"),
            ));
        }

        // NIST SP 800-63B (5.2.2) caps consecutive failed attempts at 100; 3 leaves room for typos.
        let max_failed_answers = number(&get, "MAX_FAILED_ANSWERS_PER_NUMBER", 10, 3..=100)? as u32;
        let lockout_seconds = number(&get, "LOCKOUT_SECONDS", 3600, 60..=86_400)?;

        let breaker = BreakerPolicy {
            min_sends: number(&get, "PUMPING_BREAKER_MIN_SENDS", 20, 0..=100_000)? as u32,
            min_conversion_percent: number(&get, "PUMPING_BREAKER_MIN_CONVERSION_PERCENT", 10, 1..=100)? as u32,
            pause_seconds: number(&get, "PUMPING_BREAKER_PAUSE_SECONDS", 1800, 60..=86_400)?,
            window_seconds: number(&get, "PUMPING_BREAKER_WINDOW_SECONDS", 3600, 600..=86_400)?,
            budget_per_window: number(&get, "PREFIX_SMS_BUDGET", 0, 0..=10_000_000)? as u32,
        };

        let metrics_namespace = match get("METRICS_NAMESPACE") {
            None => DEFAULT_METRICS_NAMESPACE.to_owned(),
            Some(raw) => {
                // CloudWatch's rule for namespaces; `AWS/` is AWS's own.
                let ok = raw.len() <= 255
                    && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-/#: ".contains(&b))
                    && !raw.starts_with("AWS/");
                if !ok {
                    return Err(invalid(
                        "METRICS_NAMESPACE",
                        &raw,
                        "a CloudWatch namespace: up to 255 of A-Z a-z 0-9 . - _ / # : and space, not starting with AWS/",
                    ));
                }
                raw.trim().to_owned()
            }
        };

        Ok(Self {
            otp_length,
            otp_ttl_seconds,
            max_attempts,
            max_sends,
            resend_cooldown_seconds,
            allowed_countries,
            sms: SmsSettings { templates, app_name, sender_id, origination_number, webotp_domain, max_price_usd },
            test_numbers,
            auto_verify_phone,
            send_limit_table,
            per_number: PerNumberLimits { per_hour, per_day },
            lockout: LockoutPolicy { max_failed_answers, lockout_seconds },
            breaker,
            metrics_namespace,
        })
    }
}

/// The metrics' namespace when `METRICS_NAMESPACE` is not set.
pub const DEFAULT_METRICS_NAMESPACE: &str = "SmsPasswordless";

impl Default for Config {
    /// The defaults of the spec, as if no variable were set.
    fn default() -> Self {
        match Self::from_lookup(|_| None) {
            Ok(config) => config,
            Err(e) => unreachable!("the built-in defaults are valid: {e}"),
        }
    }
}

fn invalid(var: &'static str, value: &str, expected: impl Into<String>) -> ConfigError {
    ConfigError { var, value: value.to_owned(), expected: expected.into() }
}

fn number(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: u64,
    range: RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let Some(raw) = get(var) else { return Ok(default) };
    match raw.trim().parse::<u64>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(invalid(var, &raw, format!("a whole number from {} to {}", range.start(), range.end()))),
    }
}

/// Parses `+15555550100=123456,+15555550101=654321`. Errors name the entry by position and
/// mask it: the variable may hold real numbers, and the error ends up in the logs.
fn parse_test_numbers(raw: &str, otp_length: usize) -> Result<TestNumbers, ConfigError> {
    let mut numbers = HashMap::new();
    for (index, entry) in raw.split(',').map(str::trim).filter(|e| !e.is_empty()).enumerate() {
        let bad = |why: &str| ConfigError {
            var: "TEST_PHONE_NUMBERS",
            value: format!("entry {} ({})", index + 1, crate::phone::mask(entry)),
            expected: format!("a comma-separated list of phone=code pairs like +15555550100=123456; {why}"),
        };
        let (phone, code) = entry.split_once('=').ok_or_else(|| bad("the entry has no `=`"))?;
        let phone = PhoneNumber::parse(phone.trim()).map_err(|_| bad("the number is not E.164"))?;
        let code = Code::parse(code.trim())
            .ok()
            .filter(|c| c.len() == otp_length)
            .ok_or_else(|| bad(&format!("the code must be {otp_length} digits (OTP_LENGTH)")))?;
        if numbers.insert(phone, code).is_some() {
            return Err(bad("the number is listed twice"));
        }
    }
    Ok(TestNumbers(numbers))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_are_the_specs() {
        let c = Config::default();
        assert_eq!(
            (c.otp_length, c.otp_ttl_seconds, c.max_attempts, c.max_sends, c.resend_cooldown_seconds),
            (6, 300, 3, 3, 30)
        );
        assert!(c.auto_verify_phone);
        assert!(c.test_numbers.is_empty());
        assert_eq!(c.allowed_countries, CountryAllowList::default());
        assert_eq!(c.sms.sender_id, None);
        assert_eq!(c.sms.webotp_domain, None);
        assert_eq!(c.send_limit_table, None);
        assert_eq!(c.per_number, PerNumberLimits { per_hour: 5, per_day: 10 });
        assert_eq!(c.lockout, LockoutPolicy { max_failed_answers: 10, lockout_seconds: 3600 });
        assert_eq!(
            c.breaker,
            BreakerPolicy {
                min_sends: 20,
                min_conversion_percent: 10,
                pause_seconds: 1800,
                window_seconds: 3600,
                budget_per_window: 0
            }
        );
        assert_eq!(c.sms.max_price_usd, None);
        assert_eq!(c.sms.templates.locales(), 0);
        assert_eq!(c.metrics_namespace, "SmsPasswordless");
    }

    #[test]
    fn per_number_limits_and_their_table() {
        let c = parse(&[
            ("SEND_LIMIT_TABLE", "sms-passwordless-SendLimits-1A2B"),
            ("MAX_SMS_PER_NUMBER_PER_HOUR", "3"),
            ("MAX_SMS_PER_NUMBER_PER_DAY", "3"),
        ])
        .unwrap();
        assert_eq!(c.send_limit_table.as_deref(), Some("sms-passwordless-SendLimits-1A2B"));
        assert_eq!(c.per_number, PerNumberLimits { per_hour: 3, per_day: 3 });

        let err = parse(&[("MAX_SMS_PER_NUMBER_PER_HOUR", "6"), ("MAX_SMS_PER_NUMBER_PER_DAY", "5")]).unwrap_err();
        assert_eq!(err.var, "MAX_SMS_PER_NUMBER_PER_DAY");
        assert!(err.to_string().contains("at least MAX_SMS_PER_NUMBER_PER_HOUR (6)"), "{err}");
        assert_eq!(parse(&[("MAX_SMS_PER_NUMBER_PER_HOUR", "6")]).unwrap().per_number.per_day, 10);
        for (var, value) in [
            ("SEND_LIMIT_TABLE", "ab"),
            ("SEND_LIMIT_TABLE", "my table"),
            ("MAX_SMS_PER_NUMBER_PER_HOUR", "0"),
            ("MAX_SMS_PER_NUMBER_PER_DAY", "1001"),
        ] {
            assert_eq!(parse(&[(var, value)]).unwrap_err().var, var, "{var}={value}");
        }
    }

    #[test]
    fn the_metrics_namespace_follows_cloudwatch_rules() {
        assert_eq!(parse(&[("METRICS_NAMESPACE", "Acme/Sign-in #1")]).unwrap().metrics_namespace, "Acme/Sign-in #1");
        for bad in ["AWS/Cognito", "Acme\\SignIn", "é"] {
            assert_eq!(parse(&[("METRICS_NAMESPACE", bad)]).unwrap_err().var, "METRICS_NAMESPACE", "{bad}");
        }
    }

    #[test]
    fn empty_values_mean_unset() {
        assert_eq!(parse(&[("OTP_LENGTH", ""), ("SMS_SENDER_ID", " ")]).unwrap(), Config::default());
    }

    #[test]
    fn numbers_out_of_range_name_the_variable_value_and_range() {
        let cases = [
            ("OTP_LENGTH", "3", "from 4 to 10"),
            ("OTP_LENGTH", "11", "from 4 to 10"),
            ("OTP_TTL_SECONDS", "59", "from 60 to 900"),
            ("OTP_TTL_SECONDS", "901", "from 60 to 900"),
            ("MAX_ATTEMPTS", "0", "from 1 to 10"),
            ("MAX_SENDS", "6", "from 1 to 5"),
            ("RESEND_COOLDOWN_SECONDS", "301", "from 0 to 300"),
            ("MAX_FAILED_ANSWERS_PER_NUMBER", "2", "from 3 to 100"),
            ("MAX_FAILED_ANSWERS_PER_NUMBER", "101", "from 3 to 100"),
            ("LOCKOUT_SECONDS", "59", "from 60 to 86400"),
            ("LOCKOUT_SECONDS", "86401", "from 60 to 86400"),
            ("PUMPING_BREAKER_MIN_CONVERSION_PERCENT", "0", "from 1 to 100"),
            ("PUMPING_BREAKER_PAUSE_SECONDS", "59", "from 60 to 86400"),
            ("PUMPING_BREAKER_WINDOW_SECONDS", "599", "from 600 to 86400"),
            ("MAX_ATTEMPTS", "three", "from 1 to 10"),
            ("MAX_ATTEMPTS", "-1", "from 1 to 10"),
        ];
        for (var, value, range) in cases {
            let err = parse(&[(var, value)]).unwrap_err();
            assert_eq!(err.var, var);
            let msg = err.to_string();
            assert!(msg.contains(&format!("{var}=\"{value}\"")) && msg.contains(range), "{msg}");
        }
    }

    #[test]
    fn bounds_are_inclusive() {
        let c = parse(&[
            ("OTP_LENGTH", "10"),
            ("OTP_TTL_SECONDS", "60"),
            ("MAX_ATTEMPTS", "10"),
            ("MAX_SENDS", "1"),
            ("RESEND_COOLDOWN_SECONDS", "0"),
        ])
        .unwrap();
        assert_eq!((c.otp_length, c.otp_ttl_seconds, c.max_attempts, c.max_sends), (10, 60, 10, 1));
    }

    #[test]
    fn text_settings_are_checked() {
        for (var, value) in [
            ("SMS_MESSAGE", "Your code is ready"),
            ("SMS_SENDER_ID", "TOO-LONG-SENDER"),
            ("SMS_SENDER_ID", "12345"),
            ("SMS_ORIGINATION_NUMBER", "555-0100"),
            ("WEBOTP_DOMAIN", "https://example.com"),
            ("WEBOTP_DOMAIN", "localhost"),
            ("ALLOWED_COUNTRY_CODES", "US"),
            ("AUTO_VERIFY_PHONE", "yes"),
            ("APP_NAME", "line\nbreak"),
            ("SMS_MAX_PRICE_USD", "0"),
            ("SMS_MAX_PRICE_USD", "-1"),
            ("SMS_MAX_PRICE_USD", "0.123456"),
            ("SMS_MAX_PRICE_USD", "1e3"),
            ("SMS_MAX_PRICE_USD", "1000.01"),
            ("SMS_MESSAGE_BY_LOCALE", "{\"fr\": \"pas de code\"}"),
            ("SMS_MESSAGE_BY_LOCALE", "fr={code}"),
        ] {
            assert_eq!(parse(&[(var, value)]).unwrap_err().var, var, "{var}={value}");
        }
        let c = parse(&[
            ("SMS_SENDER_ID", "MyApp"),
            ("SMS_ORIGINATION_NUMBER", "+18005550100"),
            ("WEBOTP_DOMAIN", "Example.com"),
            ("AUTO_VERIFY_PHONE", "FALSE"),
            ("APP_NAME", " Acme "),
            ("SMS_MAX_PRICE_USD", "0.05"),
            ("SMS_MESSAGE_BY_LOCALE", "{\"fr\": \"{code} est votre code\"}"),
        ])
        .unwrap();
        assert_eq!(c.sms.max_price_usd.as_deref(), Some("0.05"));
        assert_eq!(c.sms.templates.locales(), 1);
        assert_eq!(c.sms.sender_id.as_deref(), Some("MyApp"));
        assert_eq!(c.sms.webotp_domain.as_deref(), Some("example.com"));
        assert_eq!(c.sms.app_name, "Acme");
        assert!(!c.auto_verify_phone);
    }

    #[test]
    fn test_numbers_parse_and_must_match_the_code_length() {
        let c = parse(&[("TEST_PHONE_NUMBERS", "+15555550100=123456, +15555550101=000001")]).unwrap();
        let n = PhoneNumber::parse("+15555550101").unwrap();
        assert_eq!(c.test_numbers.code_for(&n).map(Code::expose), Some("000001"));
        assert_eq!(c.test_numbers.len(), 2);

        for bad in
            ["+447700900123", "+447700900123=1234", "447700900123=123456", "+447700900123=123456,+447700900123=654321"]
        {
            let err = parse(&[("TEST_PHONE_NUMBERS", bad)]).unwrap_err();
            assert_eq!(err.var, "TEST_PHONE_NUMBERS");
            assert!(!err.to_string().contains("7700900123"), "error leaks the number: {err}");
        }
        assert!(parse(&[("OTP_LENGTH", "4"), ("TEST_PHONE_NUMBERS", "+15555550100=1234")]).is_ok());
    }

    #[test]
    fn debug_output_hides_test_codes() {
        let c = parse(&[("TEST_PHONE_NUMBERS", "+15555550100=123456")]).unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("123456") && !shown.contains("5555550100"), "{shown}");
    }
}
