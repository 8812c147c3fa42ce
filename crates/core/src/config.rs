//! Configuration: environment variables, parsed and checked once at start-up into [`Config`].
//!
//! Every variable is listed once, in [`SETTINGS`]: its name, the `template.yaml` parameter that
//! sets it, the triggers that read it, and for whole numbers the default and range. Each trigger
//! parses only the variables it reads ([`Config::for_trigger`]), and the template gives each
//! function only those (a test holds `template.yaml` to this table, and every value its
//! parameters accept to this parser), so a value meant for one trigger can never stop another.
//!
//! A bad value stops the function at init with a message that names the variable, the value and
//! what is allowed, so a wrong deployment fails loudly instead of signing people in wrongly.
//! Where two values the template accepts one by one do not fit together (an hourly SMS limit
//! above the daily one, a test number's code of another length than `OTP_LENGTH`), the function
//! still starts: the value is clamped or kept as it is, and [`Config::warnings`] says so.
//! An empty variable means "not set" (SAM passes optional parameters as empty strings).

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use crate::code::{self, Code};
use crate::lockout::LockoutPolicy;
use crate::message::{MessageTemplate, Templates};
use crate::phone::{CountryAllowList, PhoneNumber};
use crate::pumping::{BreakerPolicy, PoolCeiling};
use crate::send_limit::PerNumberLimits;

/// A configuration value that is not allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {var}={value:?} is not allowed; expected {expected}")]
pub struct ConfigError {
    pub var: &'static str,
    pub value: String,
    pub expected: String,
}

/// Values that are allowed one by one but not together, and what the function does instead;
/// logged at start-up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration adjusted: {var}: {message}")]
pub struct ConfigWarning {
    pub var: &'static str,
    pub message: String,
}

/// One of the four Lambda functions, by the configuration it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trigger {
    PreSignUp,
    DefineAuthChallenge,
    CreateAuthChallenge,
    VerifyAuthChallenge,
}

impl Trigger {
    pub const ALL: [Trigger; 4] =
        [Self::PreSignUp, Self::DefineAuthChallenge, Self::CreateAuthChallenge, Self::VerifyAuthChallenge];

    /// The binary's (and the crate's) name.
    pub fn binary(self) -> &'static str {
        match self {
            Self::PreSignUp => "pre-sign-up",
            Self::DefineAuthChallenge => "define-auth-challenge",
            Self::CreateAuthChallenge => "create-auth-challenge",
            Self::VerifyAuthChallenge => "verify-auth-challenge",
        }
    }

    /// The function's logical id in `template.yaml`.
    pub fn logical_id(self) -> &'static str {
        match self {
            Self::PreSignUp => "PreSignUpFunction",
            Self::DefineAuthChallenge => "DefineAuthChallengeFunction",
            Self::CreateAuthChallenge => "CreateAuthChallengeFunction",
            Self::VerifyAuthChallenge => "VerifyAuthChallengeFunction",
        }
    }

    /// Its slot in a user pool's `LambdaConfig`, as Cognito names it (`DescribeUserPool`,
    /// `UpdateUserPool`, and the template's `LambdaConfig` and custom resource).
    pub fn pool_slot(self) -> &'static str {
        match self {
            Self::PreSignUp => "PreSignUp",
            Self::DefineAuthChallenge => "DefineAuthChallenge",
            Self::CreateAuthChallenge => "CreateAuthChallenge",
            Self::VerifyAuthChallenge => "VerifyAuthChallengeResponse",
        }
    }

    /// Whether this trigger reads the variable `var`.
    pub fn reads(self, var: &str) -> bool {
        SETTINGS.iter().any(|s| s.var == var && s.read_by.contains(&self))
    }

    /// The variables this trigger reads, in [`SETTINGS`] order.
    pub fn variables(self) -> impl Iterator<Item = &'static str> {
        SETTINGS.iter().filter(move |s| s.read_by.contains(&self)).map(|s| s.var)
    }
}

/// One environment variable of the functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub var: &'static str,
    /// The `template.yaml` parameter it is set from; `None` when the template sets it itself
    /// (`SEND_LIMIT_TABLE`, the table's name; `APP_CLIENT_ID`, the stack's app client).
    pub parameter: Option<&'static str>,
    /// The triggers that read it; the template passes it to these functions only.
    pub read_by: &'static [Trigger],
    /// For whole numbers: the default and the inclusive range.
    pub whole: Option<Whole>,
}

/// A whole-number setting's default and inclusive range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Whole {
    pub default: u64,
    pub min: u64,
    pub max: u64,
}

impl Whole {
    /// What a value must be, as the refusal says it (the CDK construct refuses with the same words,
    /// `cargo xtask cdk`).
    pub fn expected(&self) -> String {
        format!("a whole number from {} to {}", self.min, self.max)
    }
}

impl Setting {
    const fn text(var: &'static str, parameter: &'static str, read_by: &'static [Trigger]) -> Self {
        Self { var, parameter: Some(parameter), read_by, whole: None }
    }

    const fn whole(
        var: &'static str,
        parameter: &'static str,
        read_by: &'static [Trigger],
        default: u64,
        min: u64,
        max: u64,
    ) -> Self {
        Self { var, parameter: Some(parameter), read_by, whole: Some(Whole { default, min, max }) }
    }
}

use Trigger::{
    CreateAuthChallenge as CREATE, DefineAuthChallenge as DEFINE, PreSignUp as PRE, VerifyAuthChallenge as VERIFY,
};

pub const OTP_LENGTH: Setting =
    Setting::whole("OTP_LENGTH", "OtpLength", &[CREATE], 6, code::MIN_LENGTH as u64, code::MAX_LENGTH as u64);
pub const OTP_TTL_SECONDS: Setting = Setting::whole("OTP_TTL_SECONDS", "OtpTtlSeconds", &[CREATE], 300, 60, 900);
/// Define ends the sign-in on it; create shows the attempts left.
pub const MAX_ATTEMPTS: Setting = Setting::whole("MAX_ATTEMPTS", "MaxAttempts", &[DEFINE, CREATE], 3, 1, 10);
pub const MAX_SENDS: Setting = Setting::whole("MAX_SENDS", "MaxSends", &[DEFINE, CREATE], 3, 1, 5);
pub const RESEND_COOLDOWN_SECONDS: Setting =
    Setting::whole("RESEND_COOLDOWN_SECONDS", "ResendCooldownSeconds", &[CREATE], 30, 0, 300);
/// At sign-up, before each send, and at each answer.
pub const ALLOWED_COUNTRY_CODES: Setting =
    Setting::text("ALLOWED_COUNTRY_CODES", "AllowedCountryCodes", &[PRE, CREATE, VERIFY]);
pub const SMS_MESSAGE: Setting = Setting::text("SMS_MESSAGE", "SmsMessage", &[CREATE]);
pub const APP_NAME: Setting = Setting::text("APP_NAME", "AppName", &[CREATE]);
pub const SMS_SENDER_ID: Setting = Setting::text("SMS_SENDER_ID", "SmsSenderId", &[CREATE]);
pub const SMS_ORIGINATION_NUMBER: Setting = Setting::text("SMS_ORIGINATION_NUMBER", "SmsOriginationNumber", &[CREATE]);
pub const WEBOTP_DOMAIN: Setting = Setting::text("WEBOTP_DOMAIN", "WebOtpDomain", &[CREATE]);
/// Create draws their fixed code; verify only sees the code create put in the round.
pub const TEST_PHONE_NUMBERS: Setting = Setting::text("TEST_PHONE_NUMBERS", "TestPhoneNumbers", &[CREATE]);
pub const AUTO_VERIFY_PHONE: Setting = Setting::text("AUTO_VERIFY_PHONE", "AutoVerifyPhone", &[PRE]);
/// The attributes a self-service sign-up may carry besides the phone number; anything else is
/// refused, so nobody can prepare an account (an email, a name) for a number before its owner
/// signs in.
pub const SIGN_UP_ATTRIBUTES: Setting = Setting::text("SIGN_UP_ATTRIBUTES", "SignUpAttributes", &[PRE]);
/// Set by the template to its own table (parameter `PerNumberSendLimit`), or empty.
pub const SEND_LIMIT_TABLE: Setting =
    Setting { var: "SEND_LIMIT_TABLE", parameter: None, read_by: &[CREATE, VERIFY], whole: None };
pub const MAX_SMS_PER_NUMBER_PER_HOUR: Setting =
    Setting::whole("MAX_SMS_PER_NUMBER_PER_HOUR", "MaxSmsPerNumberPerHour", &[CREATE], 5, 1, 100);
pub const MAX_SMS_PER_NUMBER_PER_DAY: Setting =
    Setting::whole("MAX_SMS_PER_NUMBER_PER_DAY", "MaxSmsPerNumberPerDay", &[CREATE], 10, 1, 1000);
/// NIST SP 800-63B (5.2.2) caps consecutive failed attempts at 100; 3 leaves room for typos.
/// Verify counts and locks; create reads whether a number is locked (a count at the limit is),
/// and how guessable the test numbers' codes are under the lock.
pub const MAX_FAILED_ANSWERS_PER_NUMBER: Setting =
    Setting::whole("MAX_FAILED_ANSWERS_PER_NUMBER", "MaxFailedAnswersPerNumber", &[CREATE, VERIFY], 10, 3, 100);
pub const LOCKOUT_SECONDS: Setting =
    Setting::whole("LOCKOUT_SECONDS", "LockoutSeconds", &[CREATE, VERIFY], 3600, 60, 86_400);
/// The SMS pumping breaker per destination prefix: create judges and pauses; verify counts a
/// correct answer in the window's bucket (it reads whether the breaker is on, and the window).
pub const PUMPING_BREAKER_MIN_SENDS: Setting =
    Setting::whole("PUMPING_BREAKER_MIN_SENDS", "PumpingBreakerMinSends", &[CREATE, VERIFY], 20, 0, 100_000);
pub const PUMPING_BREAKER_MIN_CONVERSION_PERCENT: Setting = Setting::whole(
    "PUMPING_BREAKER_MIN_CONVERSION_PERCENT",
    "PumpingBreakerMinConversionPercent",
    &[CREATE],
    10,
    1,
    100,
);
pub const PUMPING_BREAKER_PAUSE_SECONDS: Setting =
    Setting::whole("PUMPING_BREAKER_PAUSE_SECONDS", "PumpingBreakerPauseSeconds", &[CREATE], 1800, 60, 86_400);
pub const PUMPING_BREAKER_WINDOW_SECONDS: Setting = Setting::whole(
    "PUMPING_BREAKER_WINDOW_SECONDS",
    "PumpingBreakerWindowSeconds",
    &[CREATE, VERIFY],
    3600,
    600,
    86_400,
);
pub const PREFIX_SMS_BUDGET: Setting =
    Setting::whole("PREFIX_SMS_BUDGET", "PrefixSmsBudget", &[CREATE, VERIFY], 0, 0, 10_000_000);
/// The pool's ceiling: SMS per clock hour to every number, and to never-signed-in numbers (their
/// share); 0 turns either off. Sized for normal traffic: see the pumping docs.
pub const POOL_SMS_PER_HOUR: Setting =
    Setting::whole("POOL_SMS_PER_HOUR", "PoolSmsPerHour", &[CREATE], 600, 0, 10_000_000);
pub const POOL_SMS_PER_HOUR_NEW_NUMBERS: Setting =
    Setting::whole("POOL_SMS_PER_HOUR_NEW_NUMBERS", "PoolSmsPerHourNewNumbers", &[CREATE], 60, 0, 10_000_000);
pub const SMS_MAX_PRICE_USD: Setting = Setting::text("SMS_MAX_PRICE_USD", "SmsMaxPriceUsd", &[CREATE]);
pub const SMS_MESSAGE_BY_LOCALE: Setting = Setting::text("SMS_MESSAGE_BY_LOCALE", "SmsMessageByLocale", &[CREATE]);
/// Every trigger writes metrics.
pub const METRICS_NAMESPACE: Setting =
    Setting::text("METRICS_NAMESPACE", "MetricsNamespace", &[PRE, DEFINE, CREATE, VERIFY]);
/// Set by the template to the stack's own app client when it attaches to an existing pool
/// (parameter `ExistingUserPoolId`), so the triggers serve that client's sign-ins only and leave
/// the pool's other clients alone; empty with the stack's own pool, where every client is ours
/// (and naming the client there would make a dependency loop: pool, functions, client, pool).
pub const APP_CLIENT_ID: Setting =
    Setting { var: "APP_CLIENT_ID", parameter: None, read_by: &[PRE, DEFINE, CREATE, VERIFY], whole: None };
/// Set by the template to `true` when it attaches to an existing pool without its own
/// pre-sign-up: the pool's users proved their numbers through the pool's own sign-up, so a known
/// user with a verified number counts as established for the SMS pumping defences (a launch to
/// existing users does not meet the limits for new numbers). Never with the stack's own
/// pre-sign-up, which verifies any number a sign-up names.
pub const TRUST_POOL_VERIFIED_NUMBERS: Setting =
    Setting { var: "TRUST_POOL_VERIFIED_NUMBERS", parameter: None, read_by: &[CREATE, VERIFY], whole: None };

/// Every variable the functions read. A new one goes here, into the parser below, and into
/// `template.yaml` (a parameter, and the `Environment` of exactly the functions in `read_by`).
pub const SETTINGS: [Setting; 31] = [
    OTP_LENGTH,
    OTP_TTL_SECONDS,
    MAX_ATTEMPTS,
    MAX_SENDS,
    RESEND_COOLDOWN_SECONDS,
    ALLOWED_COUNTRY_CODES,
    SMS_MESSAGE,
    APP_NAME,
    SMS_SENDER_ID,
    SMS_ORIGINATION_NUMBER,
    WEBOTP_DOMAIN,
    TEST_PHONE_NUMBERS,
    AUTO_VERIFY_PHONE,
    SIGN_UP_ATTRIBUTES,
    SEND_LIMIT_TABLE,
    MAX_SMS_PER_NUMBER_PER_HOUR,
    MAX_SMS_PER_NUMBER_PER_DAY,
    MAX_FAILED_ANSWERS_PER_NUMBER,
    LOCKOUT_SECONDS,
    PUMPING_BREAKER_MIN_SENDS,
    PUMPING_BREAKER_MIN_CONVERSION_PERCENT,
    PUMPING_BREAKER_PAUSE_SECONDS,
    PUMPING_BREAKER_WINDOW_SECONDS,
    PREFIX_SMS_BUDGET,
    POOL_SMS_PER_HOUR,
    POOL_SMS_PER_HOUR_NEW_NUMBERS,
    SMS_MAX_PRICE_USD,
    SMS_MESSAGE_BY_LOCALE,
    METRICS_NAMESPACE,
    APP_CLIENT_ID,
    TRUST_POOL_VERIFIED_NUMBERS,
];

/// The longest `APP_NAME`, in characters: it goes into every SMS.
pub const APP_NAME_MAX_CHARS: usize = 40;

/// Everything the triggers can be told, checked.
///
/// Built by [`Config::for_trigger`], it holds the values that trigger reads; the others keep
/// their defaults. [`Config::from_lookup`] reads every variable (tests, tools).
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
    /// The attributes a sign-up may carry besides `phone_number` (`SIGN_UP_ATTRIBUTES`).
    pub sign_up_attributes: SignUpAttributes,
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
    /// The pool's SMS ceiling per hour (`POOL_SMS_PER_HOUR`, `POOL_SMS_PER_HOUR_NEW_NUMBERS`). Kept
    /// in `SEND_LIMIT_TABLE` too.
    pub pool_ceiling: PoolCeiling,
    /// CloudWatch namespace of the embedded metrics (`METRICS_NAMESPACE`).
    pub metrics_namespace: String,
    /// The only app client whose sign-ins the triggers serve (`APP_CLIENT_ID`); `None`: every
    /// client of the pool (the stack's own pool).
    pub app_client_id: Option<String>,
    /// Whether known users with a verified number count as established
    /// (`TRUST_POOL_VERIFIED_NUMBERS`).
    pub trust_pool_verified_numbers: bool,
    /// What was adjusted so the function could start; logged at start-up.
    pub warnings: Vec<ConfigWarning>,
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

    /// The length of the shortest test code, if any is configured.
    pub fn shortest_code(&self) -> Option<usize> {
        self.0.values().map(Code::len).min()
    }
}

/// The shortest code a test number may have. Test numbers get no SMS, so only the lock bounds
/// guessing their fixed code: at the defaults (10 wrong answers, then an hour's lock) some 87,600
/// guesses a year, which find an 8-digit code with a chance under 0.1% ([`guessing_chance`]).
pub const TEST_CODE_MIN_LENGTH: usize = 8;

/// The chance that `guesses_a_year` guesses find a code of `length` digits.
pub fn guessing_chance(guesses_a_year: f64, length: usize) -> f64 {
    (guesses_a_year / 10f64.powi(length as i32)).min(1.0)
}

/// Wrong answers a lock lets through in a year for one number: `max_failed_answers` each time
/// a lock of `lockout_seconds` ends.
pub fn guesses_a_year(lockout: &LockoutPolicy) -> f64 {
    const YEAR: f64 = 365.0 * 86_400.0;
    f64::from(lockout.max_failed_answers) * YEAR / lockout.lockout_seconds.max(1) as f64
}

/// The attributes a self-service sign-up (`PreSignUp_SignUp`) may carry besides `phone_number`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignUpAttributes(Vec<String>);

impl SignUpAttributes {
    /// What `SIGN_UP_ATTRIBUTES` is when it is not set.
    pub const DEFAULT: &str = "locale";

    /// Reads a comma-separated list of attribute names: standard ones (lower case and `_`) or
    /// `custom:` ones; never a `*_verified` flag, and `phone_number` is always allowed anyway.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut names = Vec::new();
        for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let standard = (1..=32).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
            let custom = name.strip_prefix("custom:").is_some_and(|rest| {
                (1..=20).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b))
            });
            if !(standard || custom) || name.ends_with("_verified") {
                return Err(format!(
                    "a comma-separated list of attribute names such as locale,name or custom:plan (no *_verified flag); {name:?} is not one"
                ));
            }
            names.push(name.to_owned());
        }
        Ok(Self(names))
    }

    /// Whether a sign-up may carry `attribute`.
    pub fn allows(&self, attribute: &str) -> bool {
        attribute == "phone_number" || self.0.iter().any(|a| a == attribute)
    }
}

impl std::fmt::Debug for TestNumbers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestNumbers({} configured)", self.0.len())
    }
}

impl Config {
    /// Reads every variable from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads, from `lookup`, only the variables `trigger` reads (see [`SETTINGS`]); every other
    /// field keeps its default, whatever the environment holds.
    pub fn for_trigger(trigger: Trigger, lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::from_lookup(|name| if trigger.reads(name) { lookup(name) } else { None })
    }

    /// Reads every variable through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |setting: &Setting| lookup(setting.var).filter(|v| !v.trim().is_empty());
        let mut warnings = Vec::new();

        let otp_length = whole(&get, &OTP_LENGTH)? as usize;
        let otp_ttl_seconds = whole(&get, &OTP_TTL_SECONDS)?;
        let max_attempts = whole(&get, &MAX_ATTEMPTS)? as u32;
        let max_sends = whole(&get, &MAX_SENDS)? as u32;
        let resend_cooldown_seconds = whole(&get, &RESEND_COOLDOWN_SECONDS)?;

        let allowed_countries = match get(&ALLOWED_COUNTRY_CODES) {
            None => CountryAllowList::default(),
            Some(raw) => {
                CountryAllowList::parse(&raw).map_err(|expected| invalid(ALLOWED_COUNTRY_CODES.var, &raw, expected))?
            }
        };

        let template = match get(&SMS_MESSAGE) {
            None => MessageTemplate::default(),
            Some(raw) => MessageTemplate::parse(&raw).map_err(|e| invalid(SMS_MESSAGE.var, &raw, e.to_string()))?,
        };
        let templates = Templates::parse(template, get(&SMS_MESSAGE_BY_LOCALE).as_deref()).map_err(|e| {
            invalid(SMS_MESSAGE_BY_LOCALE.var, &get(&SMS_MESSAGE_BY_LOCALE).unwrap_or_default(), e.to_string())
        })?;
        let max_price_usd = match get(&SMS_MAX_PRICE_USD) {
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
                        SMS_MAX_PRICE_USD.var,
                        &raw,
                        "a price in USD above 0 and at most 1000, like 0.05",
                    ));
                }
                Some(raw)
            }
        };
        let app_name = match get(&APP_NAME) {
            None => String::new(),
            Some(raw) => {
                let ok = raw.chars().count() <= APP_NAME_MAX_CHARS && !raw.chars().any(char::is_control);
                if !ok {
                    return Err(invalid(
                        APP_NAME.var,
                        &raw,
                        format!("at most {APP_NAME_MAX_CHARS} characters, no control characters"),
                    ));
                }
                raw.trim().to_owned()
            }
        };
        let sender_id = match get(&SMS_SENDER_ID) {
            None => None,
            Some(raw) => {
                // AWS rule for alphanumeric sender IDs: 1-11 letters and digits, at least one letter.
                let ok = (1..=11).contains(&raw.len())
                    && raw.bytes().all(|b| b.is_ascii_alphanumeric())
                    && raw.bytes().any(|b| b.is_ascii_alphabetic());
                if !ok {
                    return Err(invalid(SMS_SENDER_ID.var, &raw, "1 to 11 letters and digits, at least one letter"));
                }
                Some(raw)
            }
        };
        let origination_number = match get(&SMS_ORIGINATION_NUMBER) {
            None => None,
            Some(raw) => {
                Some(PhoneNumber::parse(&raw).map_err(|e| invalid(SMS_ORIGINATION_NUMBER.var, &raw, e.to_string()))?)
            }
        };
        let webotp_domain = match get(&WEBOTP_DOMAIN) {
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
                    return Err(invalid(
                        WEBOTP_DOMAIN.var,
                        &raw,
                        "a host name like example.com, without scheme or path",
                    ));
                }
                Some(raw.to_ascii_lowercase())
            }
        };

        let test_numbers = match get(&TEST_PHONE_NUMBERS) {
            None => TestNumbers::default(),
            Some(raw) => parse_test_numbers(&raw, &mut warnings)?,
        };

        let auto_verify_phone = match get(&AUTO_VERIFY_PHONE).as_deref().map(str::trim) {
            None => true,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) => return Err(invalid(AUTO_VERIFY_PHONE.var, v, "true or false")),
        };
        let sign_up_attributes = {
            let raw = get(&SIGN_UP_ATTRIBUTES).unwrap_or_else(|| SignUpAttributes::DEFAULT.to_owned());
            SignUpAttributes::parse(&raw).map_err(|expected| invalid(SIGN_UP_ATTRIBUTES.var, &raw, expected))?
        };

        let send_limit_table = match get(&SEND_LIMIT_TABLE) {
            None => None,
            Some(raw) => {
                // DynamoDB's rule for table names.
                let ok = (3..=255).contains(&raw.len())
                    && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
                if !ok {
                    return Err(invalid(
                        SEND_LIMIT_TABLE.var,
                        &raw,
                        "a DynamoDB table name: 3 to 255 of A-Z a-z 0-9 _ . -",
                    ));
                }
                Some(raw)
            }
        };
        let mut per_hour = whole(&get, &MAX_SMS_PER_NUMBER_PER_HOUR)? as u32;
        let per_day = whole(&get, &MAX_SMS_PER_NUMBER_PER_DAY)? as u32;
        // CloudFormation cannot compare two parameters, so both reach the function; an hourly
        // limit above the daily one could never be reached, so it is the daily one.
        if per_hour > per_day {
            warnings.push(ConfigWarning {
                var: MAX_SMS_PER_NUMBER_PER_HOUR.var,
                message: format!(
                    "{per_hour} is above {} ({per_day}); the hourly limit is {per_day}",
                    MAX_SMS_PER_NUMBER_PER_DAY.var
                ),
            });
            per_hour = per_day;
        }

        let max_failed_answers = whole(&get, &MAX_FAILED_ANSWERS_PER_NUMBER)? as u32;
        let lockout_seconds = whole(&get, &LOCKOUT_SECONDS)?;
        let lockout = LockoutPolicy { max_failed_answers, lockout_seconds };
        if let Some(shortest) = test_numbers.shortest_code() {
            let chance = guessing_chance(guesses_a_year(&lockout), shortest);
            if chance >= 0.001 {
                warnings.push(ConfigWarning {
                    var: TEST_PHONE_NUMBERS.var,
                    message: format!(
                        "with {}={max_failed_answers} and {}={lockout_seconds}, a {shortest}-digit test code can be guessed within a year with a chance of {:.2}%; use longer codes or a longer lockout",
                        MAX_FAILED_ANSWERS_PER_NUMBER.var,
                        LOCKOUT_SECONDS.var,
                        chance * 100.0
                    ),
                });
            }
        }

        let breaker = BreakerPolicy {
            min_sends: whole(&get, &PUMPING_BREAKER_MIN_SENDS)? as u32,
            min_conversion_percent: whole(&get, &PUMPING_BREAKER_MIN_CONVERSION_PERCENT)? as u32,
            pause_seconds: whole(&get, &PUMPING_BREAKER_PAUSE_SECONDS)?,
            window_seconds: whole(&get, &PUMPING_BREAKER_WINDOW_SECONDS)?,
            budget_per_window: whole(&get, &PREFIX_SMS_BUDGET)? as u32,
        };
        let pool_ceiling = PoolCeiling {
            per_hour: whole(&get, &POOL_SMS_PER_HOUR)? as u32,
            new_numbers_per_hour: whole(&get, &POOL_SMS_PER_HOUR_NEW_NUMBERS)? as u32,
        };

        let metrics_namespace = match get(&METRICS_NAMESPACE) {
            None => DEFAULT_METRICS_NAMESPACE.to_owned(),
            Some(raw) => {
                // CloudWatch's rule for namespaces; `AWS/` is AWS's own. The alarms watch the
                // parameter's value as it is, so it is not trimmed (the template allows no
                // leading or trailing space).
                let ok = raw.len() <= 255
                    && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-/#: ".contains(&b))
                    && !raw.starts_with("AWS/");
                if !ok {
                    return Err(invalid(
                        METRICS_NAMESPACE.var,
                        &raw,
                        "a CloudWatch namespace: up to 255 of A-Z a-z 0-9 . - _ / # : and space, not starting with AWS/",
                    ));
                }
                raw
            }
        };

        let app_client_id = match get(&APP_CLIENT_ID) {
            None => None,
            Some(raw) => {
                // Cognito's rule for app client ids.
                let ok = raw.len() <= 128 && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'+');
                if !ok {
                    return Err(invalid(
                        APP_CLIENT_ID.var,
                        &raw,
                        "a Cognito app client id: up to 128 of A-Z a-z 0-9 _ +",
                    ));
                }
                Some(raw)
            }
        };

        let trust_pool_verified_numbers = match get(&TRUST_POOL_VERIFIED_NUMBERS).as_deref().map(str::trim) {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) => return Err(invalid(TRUST_POOL_VERIFIED_NUMBERS.var, v, "true or false")),
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
            sign_up_attributes,
            send_limit_table,
            per_number: PerNumberLimits { per_hour, per_day },
            lockout,
            breaker,
            pool_ceiling,
            metrics_namespace,
            app_client_id,
            trust_pool_verified_numbers,
            warnings,
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

/// A whole-number setting: its default when unset, else a value in its range.
fn whole(get: &impl Fn(&Setting) -> Option<String>, setting: &Setting) -> Result<u64, ConfigError> {
    let Some(range @ Whole { default, min, max }) = setting.whole else {
        return Err(invalid(setting.var, "", "a whole-number setting (a bug: this one is text)"));
    };
    let Some(raw) = get(setting) else { return Ok(default) };
    match raw.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(invalid(setting.var, &raw, range.expected())),
    }
}

/// Parses `+15555550100=12345678,+15555550101=87654321`. Errors name the entry by position and
/// mask it: the variable may hold real numbers, and the error ends up in the logs. Codes have
/// [`TEST_CODE_MIN_LENGTH`] digits or more, whatever `OTP_LENGTH` is (the challenge shows the
/// code's own length).
///
/// A number listed twice, which the template's pattern cannot refuse, is accepted with a
/// warning (the first entry wins).
fn parse_test_numbers(raw: &str, warnings: &mut Vec<ConfigWarning>) -> Result<TestNumbers, ConfigError> {
    let mut numbers = HashMap::new();
    for (index, entry) in raw.split(',').map(str::trim).filter(|e| !e.is_empty()).enumerate() {
        // The masked number only: the mask keeps the last four characters, which after the
        // `=` would be the test code.
        let number_part = entry.split_once('=').map_or(entry, |(phone, _)| phone);
        let name = || format!("entry {} ({})", index + 1, crate::phone::mask(number_part));
        let bad = |why: &str| ConfigError {
            var: TEST_PHONE_NUMBERS.var,
            value: name(),
            expected: format!("a comma-separated list of phone=code pairs like +15555550100=12345678; {why}"),
        };
        let (phone, code) = entry.split_once('=').ok_or_else(|| bad("the entry has no `=`"))?;
        let phone = PhoneNumber::parse(phone.trim()).map_err(|_| bad("the number is not E.164"))?;
        let code = Code::parse(code.trim())
            .ok()
            .filter(|c| c.len() >= TEST_CODE_MIN_LENGTH)
            .ok_or_else(|| bad(&format!("the code must be {TEST_CODE_MIN_LENGTH} to {} digits", code::MAX_LENGTH)))?;
        match numbers.entry(phone) {
            Entry::Vacant(slot) => {
                slot.insert(code);
            }
            Entry::Occupied(_) => warnings.push(ConfigWarning {
                var: TEST_PHONE_NUMBERS.var,
                message: format!("{}: the number is listed before; the first entry is kept", name()),
            }),
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
        assert_eq!(c.pool_ceiling, PoolCeiling { per_hour: 600, new_numbers_per_hour: 60 });
        assert_eq!(c.sign_up_attributes, SignUpAttributes::parse("locale").expect("the default"));
        assert!(c.sign_up_attributes.allows("phone_number") && !c.sign_up_attributes.allows("email"));
        assert_eq!(c.sms.max_price_usd, None);
        assert_eq!(c.sms.templates.locales(), 0);
        assert_eq!(c.metrics_namespace, "SmsPasswordless");
        assert_eq!(c.app_client_id, None);
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

        // Above the daily limit: the hourly one is clamped to it, and the function starts.
        let c = parse(&[("MAX_SMS_PER_NUMBER_PER_HOUR", "6"), ("MAX_SMS_PER_NUMBER_PER_DAY", "5")]).unwrap();
        assert_eq!(c.per_number, PerNumberLimits { per_hour: 5, per_day: 5 });
        assert_eq!(c.warnings.len(), 1);
        assert_eq!(c.warnings[0].var, "MAX_SMS_PER_NUMBER_PER_HOUR");
        assert!(c.warnings[0].to_string().contains("the hourly limit is 5"), "{}", c.warnings[0]);
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
    fn the_app_client_id_is_a_cognito_client_id() {
        let id = "4vjm7dk3n0q1r2s3t4u5v6w7x8";
        assert_eq!(parse(&[("APP_CLIENT_ID", id)]).unwrap().app_client_id.as_deref(), Some(id));
        assert_eq!(parse(&[("APP_CLIENT_ID", "")]).unwrap().app_client_id, None);
        for bad in ["client id", "abc/def", &"a".repeat(129)] {
            assert_eq!(parse(&[("APP_CLIENT_ID", bad)]).unwrap_err().var, "APP_CLIENT_ID", "{bad}");
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
            ("ALLOWED_COUNTRY_CODES", "4"),
            ("ALLOWED_COUNTRY_CODES", "1,999"),
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
    fn test_numbers_parse_with_codes_of_eight_digits_or_more() {
        let c = parse(&[("TEST_PHONE_NUMBERS", "+15555550100=12345678, +15555550101=0000000001")]).unwrap();
        let n = PhoneNumber::parse("+15555550101").unwrap();
        assert_eq!(c.test_numbers.code_for(&n).map(Code::expose), Some("0000000001"));
        assert_eq!(c.test_numbers.len(), 2);
        assert_eq!(c.test_numbers.shortest_code(), Some(8));

        for bad in [
            "+447700900123",
            "+447700900123=123",
            "+447700900123=1234567",
            "447700900123=12345678",
            "+447700900123=12345678901",
        ] {
            let err = parse(&[("TEST_PHONE_NUMBERS", bad)]).unwrap_err();
            assert_eq!(err.var, "TEST_PHONE_NUMBERS");
            assert!(!err.to_string().contains("7700900123"), "error leaks the number: {err}");
        }
        // A code longer than OTP_LENGTH is the rule, not a warning.
        let c = parse(&[("OTP_LENGTH", "4"), ("TEST_PHONE_NUMBERS", "+15555550100=12345678")]).unwrap();
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn test_numbers_the_template_cannot_refuse_start_with_a_warning() {
        let n = PhoneNumber::parse("+447700900123").unwrap();
        // A number listed twice: the first entry wins.
        let c = parse(&[("TEST_PHONE_NUMBERS", "+447700900123=12345678,+447700900123=87654321")]).unwrap();
        assert_eq!(c.test_numbers.code_for(&n).map(Code::expose), Some("12345678"));
        assert_eq!(c.test_numbers.len(), 1);
        assert!(c.warnings[0].to_string().contains("entry 2") && !c.warnings[0].to_string().contains("7700900123"));
    }

    #[test]
    fn each_trigger_reads_only_its_own_variables() {
        let vars: HashMap<&str, &str> = [
            ("SMS_MESSAGE", "no placeholder"),
            ("AUTO_VERIFY_PHONE", "maybe"),
            ("MAX_ATTEMPTS", "99"),
            ("LOCKOUT_SECONDS", "1"),
            ("OTP_LENGTH", "2"),
        ]
        .into_iter()
        .collect();
        let lookup = |name: &str| vars.get(name).map(|v| v.to_string());
        // Each bad value stops only the triggers that read it.
        let refused = |t: Trigger| Config::for_trigger(t, lookup).err().map(|e| e.var);
        assert_eq!(refused(Trigger::PreSignUp), Some("AUTO_VERIFY_PHONE"));
        assert_eq!(refused(Trigger::DefineAuthChallenge), Some("MAX_ATTEMPTS"));
        assert_eq!(refused(Trigger::CreateAuthChallenge), Some("OTP_LENGTH"));
        assert_eq!(refused(Trigger::VerifyAuthChallenge), Some("LOCKOUT_SECONDS"));
        // ... and a good one reaches only them.
        let c = Config::for_trigger(Trigger::DefineAuthChallenge, |name| {
            (name == "MAX_SENDS" || name == "OTP_LENGTH").then(|| "5".to_owned())
        })
        .unwrap();
        assert_eq!((c.max_sends, c.otp_length), (5, 6));
        assert!(Trigger::ALL.iter().all(|t| t.reads("METRICS_NAMESPACE")));
        assert_eq!(
            Trigger::PreSignUp.variables().collect::<Vec<_>>(),
            ["ALLOWED_COUNTRY_CODES", "AUTO_VERIFY_PHONE", "SIGN_UP_ATTRIBUTES", "METRICS_NAMESPACE", "APP_CLIENT_ID"]
        );
    }

    #[test]
    fn settings_are_listed_once_and_their_defaults_are_in_range() {
        for (i, s) in SETTINGS.iter().enumerate() {
            // Variables the template sets itself have no parameter (None), the others one each.
            let same_parameter = |t: &Setting| t.parameter.is_some() && t.parameter == s.parameter;
            assert!(SETTINGS[..i].iter().all(|t| t.var != s.var && !same_parameter(t)), "{} twice", s.var);
            assert!(!s.read_by.is_empty(), "{} is read by no trigger", s.var);
            if let Some(w) = s.whole {
                assert!(w.min <= w.default && w.default <= w.max, "{}", s.var);
            }
        }
    }

    #[test]
    fn debug_output_hides_test_codes() {
        let c = parse(&[("TEST_PHONE_NUMBERS", "+15555550100=12345678")]).unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("12345678") && !shown.contains("5555550100"), "{shown}");
    }
}
