//! `template.yaml` against the configuration parser, so the two cannot drift: every value and
//! combination CloudFormation accepts for a parameter must start every function that reads it.
//!
//! For every parameter: it is either a variable of [`SETTINGS`] (then it goes to exactly the
//! functions that read it, its default is the parser's, and every value its `AllowedPattern`,
//! `AllowedValues`, `MinLength` and `MaxLength` admit parses: the edges listed below, values
//! generated from the pattern, and mutations of them), or it is listed in [`TEMPLATE_ONLY`].
//! Whole numbers must be `String` parameters whose pattern admits exactly the parser's range.
//! Then the parameters together: each trigger starts with all of them at their edges at once,
//! and with random mixes of accepted values. Every whole-number parameter, the template's own too
//! (token lifetimes, alarm thresholds), admits exactly the range its `ConstraintDescription`
//! states, each number in one spelling, and every condition compares a parameter with a value it
//! accepts.
//!
//! Also held here, where the emulator cannot show them: the alarm topic's key lets CloudWatch
//! publish, a protected pool's failed deletion leaves sign-in working, the outputs and the
//! Serverless Application Repository metadata.
//!
//! A new parameter: add it to SETTINGS (crates/core/src/config.rs) or to TEMPLATE_ONLY, and
//! give a text one its edges in [`edges`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use fancy_regex::Regex;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::{Map, Value};
use sms_otp_core::calling_codes::CALLING_CODES;
use sms_otp_core::config::{SETTINGS, Setting, Trigger};
use sms_otp_core::testkit::template::{self as cfn, resolve};
use sms_otp_core::{Config, config};

/// Parameters no function reads: CloudFormation and the services check them.
const TEMPLATE_ONLY: &[&str] = &[
    "PerNumberSendLimit", // creates the table; the functions get its name (SEND_LIMIT_TABLE)
    "DeletionProtection",
    "AuthSessionValidity",
    "AccessTokenValidity",
    "IdTokenValidity",
    "RefreshTokenValidity",
    "Architecture",
    "LogRetentionInDays",
    "LogLevel", // Lambda turns it into AWS_LAMBDA_LOG_LEVEL, which accepts anything
    "AlarmEmail",
    "SmsMonthlySpendAlarmUsd",
    "SmsFailureRateAlarmPercent",
    "TriggerErrorsAlarmThreshold",
    "LockoutsAlarmThreshold",
    "NumberLocksAlarmThreshold",
    "WrongAnswersPerHourAlarmThreshold",
    "PrefixPausesAlarmThreshold",
    "PoolCeilingAlarmThreshold",
    "WafRateLimitPer5Minutes", // the pool's WAF web ACL
    // An existing pool instead of the stack's own (docs/existing-pool.md): the custom resource
    // reads them; the functions get the stack's app client (APP_CLIENT_ID).
    "ExistingUserPoolId",
    "ExistingPoolReplaceTriggers",
    "ExistingPoolPreSignUp",
    "ExistingPoolSmsRoleArn",
    "ExistingPoolRevision",
];

fn repo() -> PathBuf {
    cfn::path().parent().expect("the template's folder").to_path_buf()
}

/// template.yaml as JSON (the test kit's reading: short tags written out).
fn template() -> Value {
    cfn::load()
}

/// The template as CloudFormation takes it with the stack's own pool (every parameter at its
/// default), or with an existing pool.
fn own_pool() -> Value {
    resolve(&template(), &BTreeMap::new())
}

const EXISTING: &str = "us-east-1_Existing1";

fn existing_pool(more: &[(&'static str, &'static str)]) -> Value {
    let mut parameters = BTreeMap::from([("ExistingUserPoolId", EXISTING)]);
    parameters.extend(more.iter().copied());
    resolve(&template(), &parameters)
}

fn parameters(t: &Value) -> &Map<String, Value> {
    t["Parameters"].as_object().expect("Parameters")
}

fn resources(t: &Value) -> &Map<String, Value> {
    t["Resources"].as_object().expect("Resources")
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// What CloudFormation checks of a parameter value.
struct Constraints {
    name: String,
    is_number: bool,
    pattern: Option<Regex>,
    allowed: Option<Vec<String>>,
    min_length: Option<usize>,
    max_length: Option<usize>,
    min_value: Option<f64>,
    max_value: Option<f64>,
}

impl Constraints {
    fn of(name: &str, p: &Value) -> Self {
        // CloudFormation matches the whole value (Java's String.matches).
        let pattern = p["AllowedPattern"].as_str().map(|pat| {
            Regex::new(&format!("^(?:{pat})$")).unwrap_or_else(|e| panic!("{name}: AllowedPattern {pat:?}: {e}"))
        });
        let number = |key: &str| p[key].as_f64().or_else(|| p[key].as_str().and_then(|s| s.parse().ok()));
        Self {
            name: name.to_owned(),
            is_number: p["Type"] == "Number",
            pattern,
            allowed: p["AllowedValues"].as_array().map(|a| a.iter().filter_map(scalar).collect()),
            min_length: p["MinLength"].as_u64().map(|n| n as usize),
            max_length: p["MaxLength"].as_u64().map(|n| n as usize),
            min_value: number("MinValue"),
            max_value: number("MaxValue"),
        }
    }

    /// Whether CloudFormation accepts `value` for this parameter.
    fn accepts(&self, value: &str) -> bool {
        // Java counts UTF-16 units.
        let len = value.encode_utf16().count();
        if self.min_length.is_some_and(|m| len < m) || self.max_length.is_some_and(|m| len > m) {
            return false;
        }
        if let Some(allowed) = &self.allowed
            && !allowed.iter().any(|a| a == value)
        {
            return false;
        }
        if let Some(re) = &self.pattern
            && !re.is_match(value).unwrap_or(false)
        {
            return false;
        }
        if self.is_number {
            let Ok(n) = value.trim().parse::<f64>() else { return false };
            if self.min_value.is_some_and(|m| n < m) || self.max_value.is_some_and(|m| n > m) {
                return false;
            }
        }
        true
    }
}

fn setting_of(parameter: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.parameter == Some(parameter))
}

/// The trigger's configuration with only `vars` set, as its function would read it.
fn start(trigger: Trigger, vars: &BTreeMap<&str, String>) -> Result<Config, config::ConfigError> {
    Config::for_trigger(trigger, |name| vars.get(name).cloned())
}

/// Values at the edges of each text parameter's rules: shortest, longest, odd characters, and
/// for lists, many entries. Each must be one the template accepts (so the list stays honest);
/// the test then checks that the parser accepts it too.
fn edges(parameter: &str) -> Option<Vec<String>> {
    let r = |s: &str, n: usize| s.repeat(n);
    let every_code = CALLING_CODES.iter().map(u16::to_string).collect::<Vec<_>>();
    Some(match parameter {
        "AllowedCountryCodes" => {
            let mut v = vec!["".into(), every_code.join(","), "1,1".into(), "998,1".into()];
            v.extend(every_code);
            v
        }
        "SmsMessage" => vec![
            "{code}".into(),
            format!("{{code}}{}", r("x", 994)),
            format!("{}{{code}}", r("é", 994)),
            format!("{{app}} {{minutes}}\n{{code}}{}", r("{app}", 190)),
            "{code} is your {app} sign-in code. It expires in {minutes} minutes.".into(),
        ],
        "AppName" => vec!["".into(), "A".into(), r("x", 40), r("é", 40), " Acme ".into(), r("漢", 40)],
        "SmsSenderId" => vec!["".into(), "A".into(), r("A", 11), "1234567890A".into(), "z0".into()],
        "SmsOriginationNumber" => vec!["".into(), "+12345678".into(), "+999999999999999".into()],
        "WebOtpDomain" => {
            let label = r("a", 63);
            let longest = format!("{label}.{label}.{label}.{}", r("b", 61));
            vec!["".into(), "a.b".into(), "A-1.example.COM".into(), longest, "xn--bcher-kva.example".into()]
        }
        "TestPhoneNumbers" => vec![
            "".into(),
            "+12345678=12345678".into(),
            "+999999999999999=0123456789".into(),
            // A number listed twice: starts, with a warning.
            "+15555550100=12345678,+15555550100=87654321".into(),
            (0..50).map(|i| format!("+1555555{i:04}=12345678")).collect::<Vec<_>>().join(","),
        ],
        "SignUpAttributes" => vec![
            "".into(),
            "locale".into(),
            "locale,name,email".into(),
            "custom:plan".into(),
            format!("custom:{}", r("x", 20)),
            r("a", 32),
            "zoneinfo,custom:A-1_b,given_name".into(),
        ],
        "AutoVerifyPhone" => vec!["true".into(), "false".into()],
        "MetricsNamespace" => vec!["a".into(), r("a", 255), "Acme/Sign-in #1:x_y.z".into(), "A W S/x".into()],
        "SmsMaxPriceUsd" => {
            ["", "0.00001", "0.1", "0.99999", "1", "999.99999", "1000", "1000.00000", "0.05"].map(String::from).to_vec()
        }
        "SmsMessageByLocale" => vec![
            "".into(),
            "{}".into(),
            " { } ".into(),
            r#"{"fr": "{code} est votre code {app}", "pt_BR": "{code}", "zh-Hant-TW": "验证码 {code}"}"#.into(),
            format!(r#"{{"fr":"{{code}}{}"}}"#, r("é", 1494)),
            "{\n\t\"de\" :\r\"{code}\"\n}".into(),
            format!("{{{}}}", (0..40).map(|i| format!(r#""xx-{i}": "{{code}} {i}""#)).collect::<Vec<_>>().join(",")),
        ],
        _ => return None,
    })
}

/// A pattern without anchors and look-around, for proptest's generator (which has neither).
fn generator_pattern(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let (mut i, mut in_class) = (0, false);
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            out.push(c);
            if let Some(&n) = chars.get(i + 1) {
                out.push(n);
            }
            i += 2;
            continue;
        }
        if in_class {
            in_class = c != ']';
            out.push(c);
        } else if c == '[' {
            in_class = true;
            out.push(c);
            // A leading ^ or ] belongs to the class.
            if chars.get(i + 1) == Some(&'^') {
                out.push('^');
                i += 1;
            }
        } else if c == '(' && chars.get(i + 1) == Some(&'?') && matches!(chars.get(i + 2), Some('=') | Some('!')) {
            // Skip the look-around group.
            let mut depth = 0;
            while i < chars.len() {
                match chars[i] {
                    '\\' => i += 1,
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        } else if c != '^' && c != '$' {
            out.push(c);
        }
        i += 1;
    }
    out
}

/// `count` strings the pattern accepts, generated from it, plus a mutation or two of each.
fn samples(c: &Constraints, raw_pattern: Option<&str>, count: usize) -> Vec<String> {
    let mut out = Vec::new();
    let Some(pattern) = raw_pattern else { return out };
    let strategy = proptest::string::string_regex(&generator_pattern(pattern))
        .unwrap_or_else(|e| panic!("{}: cannot generate from {pattern:?}: {e}", c.name));
    let mut runner = TestRunner::deterministic();
    let odd = [' ', '-', ',', '=', '+', '0', '9', 'é', '\n', '.', '{', '}', 'A', '/', '\u{7f}', '\u{85}'];
    for i in 0..count {
        let Ok(tree) = strategy.new_tree(&mut runner) else { continue };
        let s = tree.current();
        let chars: Vec<char> = s.chars().collect();
        let at = if chars.is_empty() { 0 } else { i % (chars.len() + 1) };
        let mut inserted = chars.clone();
        inserted.insert(at, odd[i % odd.len()]);
        let mut removed = chars.clone();
        if at < removed.len() {
            removed.remove(at);
        }
        // Stretched to the longest the template allows, by repeating its last character.
        if let (Some(max), Some(&last)) = (c.max_length, chars.last()) {
            let mut long = s.clone();
            while long.encode_utf16().count() + last.len_utf16() <= max {
                long.push(last);
            }
            out.push(long);
        }
        out.push(s);
        out.push(inserted.into_iter().collect());
        out.push(removed.into_iter().collect());
    }
    out
}

/// The template value of `var` in the function `logical_id`, if it gets it.
fn env_of<'a>(t: &'a Value, logical_id: &str) -> &'a Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    resources(t)[logical_id]["Properties"]["Environment"]["Variables"]
        .as_object()
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

#[test]
fn each_function_gets_exactly_the_variables_it_reads() {
    let t = template();
    assert!(
        t["Globals"]["Function"].get("Environment").is_none(),
        "Globals.Function.Environment would give every function every variable"
    );
    for trigger in Trigger::ALL {
        let env = env_of(&t, trigger.logical_id());
        // SSL_CERT_FILE: read by create's AWS clients themselves (crates/core/src/aws.rs), not a
        // parameter; an operator may add it to create's Environment (docs/deploy.md, TLS roots).
        let got: BTreeSet<&str> = env.keys().map(String::as_str).filter(|v| *v != "SSL_CERT_FILE").collect();
        let want: BTreeSet<&str> = trigger.variables().collect();
        assert_eq!(got, want, "{}: Environment.Variables", trigger.logical_id());
        for (var, value) in env.iter().filter(|(v, _)| v.as_str() != "SSL_CERT_FILE") {
            let setting = SETTINGS.iter().find(|s| s.var == var).expect("a known variable");
            match setting.parameter {
                Some(p) => assert_eq!(value, &serde_json::json!({"Ref": p}), "{var} in {}", trigger.logical_id()),
                None => assert_eq!(value, &set_by_template(var), "{var} in {}", trigger.logical_id()),
            }
        }
    }
}

/// The variables the template sets itself (SETTINGS without a parameter), as it sets them: the
/// per-number table, and the stack's app client and the trust in the pool's verified numbers only
/// with an existing pool (with the stack's own pool the variables are not there at all, as before
/// that mode existed).
fn set_by_template(var: &str) -> Value {
    match var {
        "SEND_LIMIT_TABLE" => serde_json::json!({"Fn::If": ["HasSendLimit", {"Ref": "SendLimitTable"}, ""]}),
        "APP_CLIENT_ID" => {
            serde_json::json!({"Fn::If": ["UsesExistingPool", {"Ref": "ExistingPoolClient"}, {"Ref": "AWS::NoValue"}]})
        }
        "TRUST_POOL_VERIFIED_NUMBERS" => {
            serde_json::json!({"Fn::If": ["TrustsPoolVerifiedNumbers", "true", {"Ref": "AWS::NoValue"}]})
        }
        other => panic!("{other} has no template parameter: say here how the template sets it"),
    }
}

#[test]
fn every_parameter_is_a_setting_or_template_only() {
    let t = template();
    for name in parameters(&t).keys() {
        assert!(
            setting_of(name).is_some() || TEMPLATE_ONLY.contains(&name.as_str()),
            "parameter {name} is neither in SETTINGS (crates/core/src/config.rs) nor in TEMPLATE_ONLY"
        );
    }
    for s in SETTINGS.iter().filter_map(|s| s.parameter) {
        assert!(parameters(&t).contains_key(s), "SETTINGS names parameter {s}, which the template lacks");
    }
}

/// A pattern for a whole-number range, to suggest in a failure message.
fn range_pattern(min: u64, max: u64) -> String {
    let alts: Vec<String> = (min..=max).map(|n| n.to_string()).collect();
    if alts.len() <= 12 {
        format!("^({})$", alts.join("|"))
    } else {
        format!("(a pattern that admits exactly {min} to {max})")
    }
}

#[test]
fn whole_number_parameters_admit_exactly_the_parsers_range() {
    let t = template();
    for (name, p) in parameters(&t) {
        let Some(setting) = setting_of(name) else { continue };
        let Some(w) = setting.whole else { continue };
        let c = Constraints::of(name, p);
        assert_eq!(
            p["Type"],
            "String",
            "{name}: a Number parameter also takes 6.5 or 6.0, which the function cannot read; use Type String with AllowedPattern {}",
            range_pattern(w.min, w.max)
        );
        assert_eq!(scalar(&p["Default"]), Some(w.default.to_string()), "{name}: Default");
        for n in 0..=(w.max + w.max / 10 + 10) {
            let value = n.to_string();
            assert_eq!(
                c.accepts(&value),
                (w.min..=w.max).contains(&n),
                "{name}={n}: the template and the parser ({} to {}) disagree",
                w.min,
                w.max
            );
        }
        for odd in ["", " ", "06", "6.0", "6.5", " 6", "6 ", "+6", "-1", "1e1", "0x10", "٦", &u64::MAX.to_string()] {
            if c.accepts(odd) {
                for &trigger in setting.read_by {
                    let vars = BTreeMap::from([(setting.var, odd.to_owned())]);
                    assert!(start(trigger, &vars).is_ok(), "{name}={odd:?} is accepted by the template only");
                }
            }
        }
    }
}

#[test]
fn every_text_value_the_template_accepts_starts_the_functions() {
    let t = template();
    let mut checked = 0;
    for (name, p) in parameters(&t) {
        let Some(setting) = setting_of(name) else { continue };
        if setting.whole.is_some() {
            continue;
        }
        let c = Constraints::of(name, p);
        let default = scalar(&p["Default"]).unwrap_or_default();
        assert!(c.accepts(&default), "{name}: the template refuses its own Default {default:?}");
        let edges = edges(name).unwrap_or_else(|| panic!("{name}: list its edge values in edges()"));
        let mut candidates = vec![default.clone()];
        for e in &edges {
            assert!(c.accepts(e), "{name}: the edge value {e:?} is not one the template accepts");
            candidates.push(e.clone());
        }
        candidates.extend(c.allowed.clone().unwrap_or_default());
        candidates.extend(samples(&c, p["AllowedPattern"].as_str(), 300));
        for value in candidates.iter().filter(|v| c.accepts(v)) {
            for &trigger in setting.read_by {
                let vars = BTreeMap::from([(setting.var, value.clone())]);
                if let Err(e) = start(trigger, &vars) {
                    panic!("{name}={value:?}: CloudFormation accepts it, {} refuses it: {e}", trigger.binary());
                }
                checked += 1;
            }
        }
        // The parser's defaults are the template's.
        let from_default = start(setting.read_by[0], &BTreeMap::from([(setting.var, default.clone())]));
        let unset = start(setting.read_by[0], &BTreeMap::new());
        assert_eq!(from_default.ok(), unset.ok(), "{name}: Default {default:?} is not the parser's default");
    }
    assert!(checked > 1000, "only {checked} values checked");
}

#[test]
fn values_the_parser_refuses_are_refused_by_the_template() {
    // A few the parser refuses, each of which an older template let through.
    let t = template();
    for (name, value) in [
        ("AllowedCountryCodes", "4"),
        ("AllowedCountryCodes", "1,999"),
        ("AppName", &"x".repeat(41)),
        ("AppName", "line\nbreak"),
        ("SmsSenderId", "MY-APP"),
        ("MetricsNamespace", " Acme"),
        ("MetricsNamespace", "AWS/Cognito"),
        ("OtpLength", "6.0"),
        ("MaxSmsPerNumberPerHour", "5.5"),
        ("PumpingBreakerMinSends", "20.0"),
        ("SmsMaxPriceUsd", "0"),
        ("SmsMaxPriceUsd", "0.00000"),
        ("SmsMaxPriceUsd", "1000.5"),
        ("SmsMessageByLocale", r#"{"fr": "pas de code"}"#),
        ("SmsMessageByLocale", r#"{"f": "{code}"}"#),
        ("SmsMessageByLocale", r#"{"fr": "{code}",}"#),
        ("SmsMessageByLocale", "{\"fr\": \"{code}\"}\u{b}"),
        ("TestPhoneNumbers", "+15555550100=123456"),
        ("TestPhoneNumbers", "+15555550100=1234567"),
        ("SignUpAttributes", "phone_number_verified"),
        ("SignUpAttributes", "locale,email_verified"),
        ("SignUpAttributes", "Locale"),
        ("SignUpAttributes", "locale, name"),
        ("SignUpAttributes", "custom:"),
        ("PoolSmsPerHour", "1.5"),
    ] {
        let c = Constraints::of(name, &parameters(&t)[name]);
        assert!(!c.accepts(value), "{name}={value:?} is still accepted by the template");
    }
}

/// Every trigger starts with all its parameters at their lowest or highest edge at once, and
/// with random mixes of accepted values: the combinations (an hourly SMS limit above the daily
/// one, test codes guessable under a short lock) start with a warning.
#[test]
fn every_combination_of_accepted_values_starts_every_function() {
    let t = template();
    let mut choices: Vec<(&str, Vec<String>)> = Vec::new();
    for (name, p) in parameters(&t) {
        let Some(setting) = setting_of(name) else { continue };
        let c = Constraints::of(name, p);
        let values: Vec<String> = match setting.whole {
            Some(w) => vec![w.min.to_string(), w.max.to_string(), w.default.to_string()],
            None => edges(name).unwrap_or_default().into_iter().filter(|v| c.accepts(v)).collect(),
        };
        choices.push((setting.var, values));
    }
    let table = format!("{}-SendLimitTable-ABCDEFGHIJKL", "s".repeat(128));
    choices.push(("SEND_LIMIT_TABLE", vec![String::new(), table]));
    // Either mode: no client (the stack's own pool), or the stack's client in an existing pool.
    choices.push(("APP_CLIENT_ID", vec![String::new(), "4vjm7dk3n0q1r2s3t4u5v6w7x8".to_owned()]));

    let pick = |index: &mut dyn FnMut(usize, usize) -> usize| -> BTreeMap<&str, String> {
        choices.iter().enumerate().map(|(i, (var, values))| (*var, values[index(i, values.len())].clone())).collect()
    };
    let mut runs = vec![pick(&mut |_, _| 0), pick(&mut |_, n| n.saturating_sub(1).min(1))];
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..300 {
        runs.push(pick(&mut |i, n| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed.wrapping_add(i as u64) % n as u64) as usize
        }));
    }
    for vars in &runs {
        for trigger in Trigger::ALL {
            if let Err(e) = start(trigger, vars) {
                panic!("{} does not start: {e}\nwith {vars:#?}", trigger.binary());
            }
        }
    }
    // The two combinations the template cannot refuse start, with a warning: an hourly limit
    // above the daily one (adjusted), and test codes guessable within a year under a short lock.
    let vars = BTreeMap::from([
        ("MAX_SMS_PER_NUMBER_PER_HOUR", "100".to_owned()),
        ("MAX_SMS_PER_NUMBER_PER_DAY", "1".to_owned()),
        ("OTP_LENGTH", "4".to_owned()),
        ("TEST_PHONE_NUMBERS", "+15555550100=12345678".to_owned()),
        ("LOCKOUT_SECONDS", "60".to_owned()),
    ]);
    let c = start(Trigger::CreateAuthChallenge, &vars).expect("create starts");
    assert_eq!((c.per_number.per_hour, c.per_number.per_day), (1, 1));
    assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
}

#[test]
fn allowed_country_codes_admit_exactly_the_assigned_codes() {
    let t = template();
    let c = Constraints::of("AllowedCountryCodes", &parameters(&t)["AllowedCountryCodes"]);
    for n in 0..=1000u16 {
        let code = n.to_string();
        let assigned = CALLING_CODES.contains(&n);
        assert_eq!(c.accepts(&code), assigned, "AllowedCountryCodes={code}");
        assert_eq!(c.accepts(&format!("44,{code}")), assigned, "AllowedCountryCodes=44,{code}");
        let parsed = start(Trigger::PreSignUp, &BTreeMap::from([("ALLOWED_COUNTRY_CODES", code.clone())]));
        assert_eq!(parsed.is_ok(), assigned, "the parser on {code}");
    }
    for odd in ["01", "1,", ",1", "1 ,44", "1;44", "+1"] {
        assert!(!c.accepts(odd), "{odd:?}");
    }
}

/// The range a parameter's `ConstraintDescription` promises, when it is "a whole number from A
/// to B": what CloudFormation shows on a refusal and the reference page (docs/configuration.md)
/// shows, so the pattern must admit exactly that.
fn promised_range(p: &Value) -> Option<(u64, u64)> {
    let text = p["ConstraintDescription"].as_str()?;
    let rest = text.split("a whole number from ").nth(1)?;
    let (min, rest) = rest.split_once(" to ")?;
    let max: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((min.parse().ok()?, max.parse().ok()?))
}

/// Every whole-number parameter, read by a function or by the template only (token lifetimes,
/// alarm thresholds), is a String with a pattern that admits exactly the range its
/// ConstraintDescription states, each number in one spelling only: conditions compare strings,
/// so `00` must not turn on an alarm that `0` turns off. A Number parameter would take `60.5`;
/// one is left only where AllowedValues lists every value.
#[test]
fn whole_numbers_are_exact_canonical_patterns() {
    let t = template();
    let mut checked = 0;
    for (name, p) in parameters(&t) {
        if p["Type"] == "Number" {
            assert!(
                p["AllowedValues"].is_array(),
                "{name}: a Number parameter takes 60.5; use Type String with AllowedPattern"
            );
            continue;
        }
        let Some((min, max)) = promised_range(p) else { continue };
        if let Some(w) = setting_of(name).and_then(|s| s.whole) {
            assert_eq!((min, max), (w.min, w.max), "{name}: ConstraintDescription and SETTINGS disagree");
        }
        let c = Constraints::of(name, p);
        assert!(c.pattern.is_some(), "{name}: no AllowedPattern");
        assert!(c.accepts(&scalar(&p["Default"]).unwrap_or_default()), "{name}: refuses its own Default");
        let near = |n: u64| n.saturating_sub(12)..=n.saturating_add(12);
        let numbers = (0..=max.min(20_000)).chain(near(min)).chain(near(max)).chain([max * 10, max * 10 + 9]);
        for n in numbers {
            assert_eq!(
                c.accepts(&n.to_string()),
                (min..=max).contains(&n),
                "{name}={n}: the pattern and \"{min} to {max}\" disagree"
            );
        }
        for odd in [
            format!("0{min}"),
            "00".into(),
            format!("{min}.0"),
            format!("{max}.5"),
            format!(" {min}"),
            format!("+{min}"),
            "-0".into(),
            "1e1".into(),
            String::new(),
        ] {
            assert!(!c.accepts(&odd), "{name}={odd:?}: accepted, but not a whole number written the one way");
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} whole-number parameters found");
}

/// A condition on a parameter compares it with a value the parameter accepts, written as a
/// string, so that it can hold.
#[test]
fn every_condition_compares_a_parameter_with_a_value_it_accepts() {
    fn equals<'a>(v: &'a Value, out: &mut Vec<&'a Vec<Value>>) {
        match v {
            Value::Object(map) => {
                for (key, inner) in map {
                    if let ("Fn::Equals", Value::Array(pair)) = (key.as_str(), inner) {
                        out.push(pair);
                    }
                    equals(inner, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| equals(i, out)),
            _ => {}
        }
    }
    let t = template();
    let mut pairs = Vec::new();
    equals(&t["Conditions"], &mut pairs);
    let mut checked = 0;
    for pair in pairs {
        let Some(name) = pair.iter().find_map(|v| v["Ref"].as_str()) else { continue };
        let Some(p) = parameters(&t).get(name) else { continue };
        let value = pair.iter().find(|v| v.get("Ref").is_none()).expect("a value to compare with");
        assert!(value.is_string(), "{name} is compared with {value}: write it as a string, as CloudFormation compares");
        let value = value.as_str().unwrap_or_default();
        assert!(Constraints::of(name, p).accepts(value), "{name} is compared with {value:?}, which it never takes");
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} conditions on parameters");
}

/// The USD spend threshold keeps its cents, each amount in one spelling, and 0 (off) only as `0`.
#[test]
fn the_spend_alarm_takes_cents_in_one_spelling() {
    let t = template();
    let c = Constraints::of("SmsMonthlySpendAlarmUsd", &parameters(&t)["SmsMonthlySpendAlarmUsd"]);
    for good in ["0", "1", "25", "12.5", "12.05", "0.75", "0.01", "999999999", "999999999.99"] {
        assert!(c.accepts(good), "{good}");
    }
    for bad in
        ["00", "0.0", "0.00", "01", "1.0", "1.50", "1.", ".5", "1.005", "-1", "1e3", " 1", "1,5", "1000000000", ""]
    {
        assert!(!c.accepts(bad), "{bad:?}");
    }
}

#[test]
fn alarms_publish_to_a_topic_cloudwatch_can_use() {
    let t = template();
    let r = resources(&t);
    let topic = &r["AlarmTopic"]["Properties"];
    let key_ref = &topic["KmsMasterKeyId"];
    assert_ne!(key_ref, "alias/aws/sns", "CloudWatch cannot publish to a topic under the AWS managed key");
    let key_id =
        key_ref["Fn::GetAtt"][0].as_str().or(key_ref["Ref"].as_str()).expect("the topic's key is in the stack");
    let key = &r[key_id];
    assert_eq!(key["Type"], "AWS::KMS::Key");
    assert_eq!(key["Properties"]["EnableKeyRotation"], true);
    let statements = key["Properties"]["KeyPolicy"]["Statement"].as_array().expect("a key policy");
    let cloudwatch = statements
        .iter()
        .find(|s| s["Effect"] == "Allow" && s["Principal"]["Service"] == "cloudwatch.amazonaws.com")
        .expect("the key policy lets cloudwatch.amazonaws.com use the key");
    let actions: Vec<&str> =
        cloudwatch["Action"].as_array().expect("actions").iter().filter_map(Value::as_str).collect();
    assert!(actions.contains(&"kms:Decrypt") && actions.contains(&"kms:GenerateDataKey*"), "{actions:?}");
    // ... for this account's alarms only (the emulator ignores key policies, so this is the test).
    assert_eq!(
        cloudwatch["Condition"],
        serde_json::json!({"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}),
        "the CloudWatch statement names the account it serves"
    );
    // Every alarm notifies that topic.
    for (id, res) in r.iter().filter(|(_, v)| v["Type"] == "AWS::CloudWatch::Alarm") {
        assert_eq!(
            res["Properties"]["AlarmActions"],
            serde_json::json!({"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopic"}], {"Ref": "AWS::NoValue"}]}),
            "{id}"
        );
    }
}

/// The logical ids a resource refers to (Ref, GetAtt, Sub, DependsOn).
fn refers_to(v: &Value, ids: &BTreeSet<String>, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("Ref", Value::String(id)) => {
                        out.insert(id.clone());
                    }
                    ("Fn::GetAtt", Value::Array(a)) => {
                        if let Some(id) = a.first().and_then(Value::as_str) {
                            out.insert(id.to_owned());
                        }
                    }
                    ("Fn::Sub", _) => {
                        let text = v.as_str().or_else(|| v[0].as_str()).unwrap_or_default();
                        for id in ids {
                            if text.contains(&format!("${{{id}}}")) || text.contains(&format!("${{{id}.")) {
                                out.insert(id.clone());
                            }
                        }
                        refers_to(v, ids, out);
                    }
                    ("DependsOn", Value::String(id)) => {
                        out.insert(id.clone());
                    }
                    _ => refers_to(v, ids, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| refers_to(v, ids, out)),
        _ => {}
    }
}

/// Deleting a stack whose pool is protected: CloudFormation deletes what depends on the pool
/// first, then fails on the pool. What sign-in needs among the first must be retained; the rest
/// of what it needs is something the pool depends on, and so is never reached.
#[test]
fn a_protected_pools_failed_deletion_leaves_sign_in_working() {
    let t = own_pool();
    let r = resources(&t);
    let ids: BTreeSet<String> = r.keys().cloned().collect();
    let deps: BTreeMap<&str, BTreeSet<String>> = r
        .iter()
        .map(|(id, v)| {
            let mut out = BTreeSet::new();
            refers_to(v, &ids, &mut out);
            out.retain(|d| ids.contains(d) && d != id);
            (id.as_str(), out)
        })
        .collect();
    let closure = |start: &str, forward: bool| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![start.to_owned()];
        while let Some(id) = todo.pop() {
            for (other, d) in &deps {
                let next = if forward {
                    if *other == id { d.iter().cloned().collect::<Vec<_>>() } else { vec![] }
                } else if d.contains(&id) {
                    vec![other.to_string()]
                } else {
                    vec![]
                };
                for n in next {
                    if seen.insert(n.clone()) {
                        todo.push(n);
                    }
                }
            }
        }
        seen
    };
    // Deleted before the pool: everything that depends on it.
    let before_pool = closure("UserPool", false);
    for id in &before_pool {
        let kind = r[id]["Type"].as_str().unwrap_or_default();
        // Alarms, and the WAF web ACL's association: sign-in works without them (docs/deploy.md,
        // Deleting the stack, says they go).
        let not_needed_for_sign_in = kind == "AWS::CloudWatch::Alarm" || kind == "AWS::WAFv2::WebACLAssociation";
        assert!(
            not_needed_for_sign_in || r[id]["DeletionPolicy"] == "Retain",
            "{id} ({kind}) is deleted before the protected pool refuses, and sign-in needs it: give it DeletionPolicy Retain"
        );
    }
    for needed in ["UserPoolClient"]
        .into_iter()
        .chain(Trigger::ALL.iter().map(|t| t.logical_id()))
        .map(str::to_owned)
        .chain(Trigger::ALL.iter().map(|t| t.logical_id().replace("Function", "InvokePermission")))
    {
        assert!(r.contains_key(&needed), "{needed}");
    }
    // Kept by the order: the pool depends on them (the functions' generated roles hang off the
    // functions), so they wait for the pool's deletion.
    let after_pool = closure("UserPool", true);
    for needed in Trigger::ALL
        .iter()
        .map(|t| t.logical_id().to_owned())
        .chain(Trigger::ALL.iter().map(|t| t.logical_id().replace("Function", "LogGroup")))
        .chain(["SendLimitTable".to_owned()])
    {
        assert!(after_pool.contains(&needed), "{needed} is not a dependency of the pool");
    }
    assert_eq!(r["UserPool"]["Properties"]["DeletionProtection"], serde_json::json!({"Ref": "DeletionProtection"}));
}

#[test]
fn outputs_for_backends_and_the_smoke_test() {
    let t = own_pool();
    let outputs = t["Outputs"].as_object().expect("Outputs");
    assert_eq!(outputs["UserPoolArn"]["Value"], serde_json::json!({"Fn::GetAtt": ["UserPool", "Arn"]}));
    assert_eq!(
        outputs["TokenIssuerUrl"]["Value"],
        serde_json::json!({"Fn::Sub": "https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}/${UserPool}"})
    );
    for trigger in Trigger::ALL {
        let id = trigger.logical_id();
        assert_eq!(outputs[&format!("{id}Name")]["Value"], serde_json::json!({"Ref": id}), "{id}Name");
    }
    for key in ["UserPoolId", "UserPoolClientId", "Region", "JwksUrl"] {
        assert!(outputs.contains_key(key), "{key}");
    }
}

#[test]
fn serverless_application_repository_metadata_is_complete() {
    let t = template();
    let sar = &t["Metadata"]["AWS::ServerlessRepo::Application"];
    for key in [
        "Name",
        "Description",
        "Author",
        "SpdxLicenseId",
        "LicenseUrl",
        "ReadmeUrl",
        "Labels",
        "HomePageUrl",
        "SemanticVersion",
        "SourceCodeUrl",
    ] {
        assert!(sar.get(key).is_some_and(|v| !v.is_null()), "AWS::ServerlessRepo::Application lacks {key}");
    }
    for file in ["LicenseUrl", "ReadmeUrl"] {
        let path = sar[file].as_str().expect("a path");
        assert!(repo().join(path).is_file(), "{file}: {path} is not a file next to the template");
    }
    let version = sar["SemanticVersion"].as_str().expect("a version");
    assert!(Regex::new(r"^\d+\.\d+\.\d+$").expect("regex").is_match(version).unwrap_or(false), "{version}");
    assert_eq!(version, env!("CARGO_PKG_VERSION"), "SemanticVersion follows the workspace version");
    let labels = sar["Labels"].as_array().expect("labels");
    let label = Regex::new(r"^[a-zA-Z0-9+\-_:/@]{1,127}$").expect("regex");
    assert!((1..=10).contains(&labels.len()));
    for l in labels {
        assert!(label.is_match(l.as_str().unwrap_or_default()).unwrap_or(false), "label {l}");
    }
    for url in ["HomePageUrl", "SourceCodeUrl"] {
        assert!(sar[url].as_str().is_some_and(|u| u.starts_with("https://")), "{url}");
    }
    // Placeholders, both the same: make publish (tools/publish.py) writes REPOSITORY_URL into both.
    assert_eq!(sar["HomePageUrl"], sar["SourceCodeUrl"], "HomePageUrl and SourceCodeUrl come from one setting");
    let name = sar["Name"].as_str().unwrap_or_default();
    assert!(Regex::new(r"^[a-zA-Z0-9-]{1,140}$").expect("regex").is_match(name).unwrap_or(false), "{name}");
}

#[test]
fn the_generator_pattern_drops_anchors_and_look_around_only() {
    assert_eq!(generator_pattern(r"^$|^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$"), r"|[A-Za-z0-9]{1,11}");
    assert_eq!(generator_pattern(r"^[^\x00-\x1F]*$"), r"[^\x00-\x1F]*");
    assert_eq!(generator_pattern(r"^(?!AWS/)[a\$]+\^$"), r"[a\$]+\^");
}

/// The policy scanner's suppressions (make template-lint): each one says why, next to its
/// resource.
#[test]
fn every_scanner_suppression_is_justified() {
    let t = template();
    let mut skipped = 0;
    for (id, resource) in resources(&t) {
        let Some(skips) = resource["Metadata"]["checkov"]["skip"].as_array() else { continue };
        for skip in skips {
            let check = skip["id"].as_str().unwrap_or_default();
            let why = skip["comment"].as_str().unwrap_or_default();
            assert!(check.starts_with("CKV_"), "{id}: a skip without a check id");
            assert!(why.split_whitespace().count() >= 8, "{id}: skipping {check} needs a reason, not {why:?}");
            skipped += 1;
        }
    }
    assert!(skipped > 0);
}

/// A signed-in user may not move their account onto another number (docs/operations.md, Account lifecycle).
#[test]
fn users_cannot_write_their_phone_number() {
    let t = template();
    for client in ["UserPoolClient", "ExistingPoolClient"] {
        let client = &resources(&t)[client]["Properties"];
        let writable: Vec<&str> =
            client["WriteAttributes"].as_array().expect("WriteAttributes").iter().filter_map(Value::as_str).collect();
        assert!(!writable.is_empty());
        assert!(!writable.iter().any(|a| a.starts_with("phone_number")), "{writable:?}");
    }
}

/// With the stack's own pool (`ExistingUserPoolId` empty) the template is what it was before the
/// existing-pool mode: nothing of the mode is left once CloudFormation has decided its
/// conditions, so no resource of an existing deployment changes or is replaced. (Compared with an
/// earlier template itself by `template_matches_the_baseline_with_its_own_pool`, on demand.)
#[test]
fn with_its_own_pool_nothing_of_the_existing_pool_mode_is_left() {
    let t = own_pool();
    let text = t["Resources"].to_string() + &t["Outputs"].to_string();
    for trace in [
        "ExistingUserPoolId",
        "ExistingPoolReplaceTriggers",
        "ExistingPoolPreSignUp",
        "ExistingPoolSmsRoleArn",
        "ExistingPoolRevision",
        "ExistingPoolClient",
        "AttachTriggers",
        "APP_CLIENT_ID",
        "CreatesPool",
        "UsesExistingPool",
        "AttachesPreSignUp",
        "AssociatesWaf",
    ] {
        assert!(!text.contains(trace), "{trace} is still in the template with the stack's own pool");
    }
    let r = resources(&t);
    assert_eq!(r["UserPoolClient"]["Properties"]["UserPoolId"], serde_json::json!({"Ref": "UserPool"}));
    for trigger in Trigger::ALL {
        let permission = trigger.logical_id().replace("Function", "InvokePermission");
        assert_eq!(r[&permission]["Properties"]["SourceArn"], serde_json::json!({"Fn::GetAtt": ["UserPool", "Arn"]}));
        let env = r[trigger.logical_id()]["Properties"]["Environment"]["Variables"].as_object().expect("variables");
        assert!(!env.contains_key("APP_CLIENT_ID"), "{}", trigger.logical_id());
    }
    // With a web ACL, it is associated with the stack's own pool as before.
    let waf = resolve(&template(), &BTreeMap::from([("WafRateLimitPer5Minutes", "100")]));
    assert!(resources(&waf).contains_key("WebAclAssociation"));
}

/// The processed resources and outputs with the stack's own pool against those of the template
/// at git revision `TEMPLATE_BASELINE` (for instance the last commit before the existing-pool
/// mode, or main before a merge): the same, resource by resource. Run on demand:
/// `TEMPLATE_BASELINE=<rev> cargo test -p sms-otp-core --test template -- --ignored baseline`.
#[test]
#[ignore = "needs TEMPLATE_BASELINE=<git revision> and git"]
fn template_matches_the_baseline_with_its_own_pool() {
    let rev = std::env::var("TEMPLATE_BASELINE").expect("TEMPLATE_BASELINE=<git revision>");
    let out = std::process::Command::new("git")
        .args(["show", &format!("{rev}:template.yaml")])
        .current_dir(repo())
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git show {rev}:template.yaml: {}", String::from_utf8_lossy(&out.stderr));
    let before = resolve(&cfn::parse(&String::from_utf8_lossy(&out.stdout)), &BTreeMap::new());
    let after = own_pool();
    for section in ["Resources", "Outputs"] {
        let (b, a) = (before[section].as_object().expect("a section"), after[section].as_object().expect("a section"));
        let names: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
        let changed: Vec<&&String> = names.iter().filter(|n| b.get(**n) != a.get(**n)).collect();
        assert!(changed.is_empty(), "{section} differ from {rev}: {changed:?}");
    }
}

/// With `ExistingUserPoolId` set: no pool of the stack's own, its own app client in the given
/// pool, the functions' invoke permissions and the custom resource's rights scoped to that pool.
#[test]
fn with_an_existing_pool_there_is_no_pool_and_everything_is_scoped_to_it() {
    let t = existing_pool(&[("WafRateLimitPer5Minutes", "100"), ("ExistingPoolPreSignUp", "true")]);
    let r = resources(&t);
    let pool_arn = serde_json::json!({"Fn::Sub":
        "arn:${AWS::Partition}:cognito-idp:${AWS::Region}:${AWS::AccountId}:userpool/${ExistingUserPoolId}"});
    for (id, resource) in r {
        assert_ne!(resource["Type"], "AWS::Cognito::UserPool", "{id}");
        let gone = BTreeSet::from(["UserPool".to_owned(), "UserPoolClient".to_owned()]);
        let mut refs = BTreeSet::new();
        refers_to(resource, &gone, &mut refs);
        refs.retain(|id| gone.contains(id));
        assert!(refs.is_empty(), "{id} refers to {refs:?}, which does not exist with an existing pool");
    }
    assert!(!r.contains_key("WebAclAssociation"), "a pool takes one web ACL: the customer's is never replaced");
    assert!(r.contains_key("WebAcl"));
    assert_eq!(r["ExistingPoolClient"]["Properties"]["UserPoolId"], serde_json::json!({"Ref": "ExistingUserPoolId"}));
    assert_eq!(r["ExistingPoolClient"]["DeletionPolicy"], "Delete", "nothing of the stack stays in the pool");
    for trigger in Trigger::ALL {
        let permission = &r[&trigger.logical_id().replace("Function", "InvokePermission")]["Properties"];
        assert_eq!(permission["SourceArn"], pool_arn, "{}", trigger.logical_id());
        assert_eq!(permission["Principal"], "cognito-idp.amazonaws.com");
        let env = &r[trigger.logical_id()]["Properties"]["Environment"]["Variables"];
        assert_eq!(env["APP_CLIENT_ID"], serde_json::json!({"Ref": "ExistingPoolClient"}), "{}", trigger.logical_id());
    }
    // The custom resource: every slot of the four triggers, after their permissions exist.
    let attach = &r["AttachTriggers"];
    let slots: BTreeSet<&str> =
        attach["Properties"]["Triggers"].as_object().expect("Triggers").keys().map(String::as_str).collect();
    assert_eq!(slots, Trigger::ALL.iter().map(|t| t.pool_slot()).collect());
    for trigger in Trigger::ALL {
        let permission = trigger.logical_id().replace("Function", "InvokePermission");
        assert!(
            attach["DependsOn"].as_array().expect("DependsOn").contains(&Value::String(permission.clone())),
            "{permission}"
        );
    }
    let timeout = attach["Properties"]["ServiceTimeout"].as_u64().expect("a ServiceTimeout");
    let function_timeout = r["AttachTriggersFunction"]["Properties"]["Timeout"].as_u64().expect("a Timeout");
    assert!(function_timeout < timeout && timeout <= 300, "ServiceTimeout {timeout}, function {function_timeout}");
    // Its rights: Cognito on this pool only, PassRole on the given role for Cognito only, its own stack.
    let statements =
        r["AttachTriggersFunction"]["Properties"]["Policies"][0]["Statement"].as_array().expect("statements");
    for statement in statements {
        let actions: Vec<&str> = match &statement["Action"] {
            Value::String(a) => vec![a.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            other => panic!("{other}"),
        };
        assert!(!actions.iter().any(|a| a.contains('*')), "{actions:?}");
        let resource = &statement["Resource"];
        assert_ne!(resource, "*", "{actions:?}");
        if actions.iter().all(|a| a.starts_with("cognito-idp:")) {
            assert_eq!(resource, &pool_arn, "{actions:?}");
        }
    }
    let all: Vec<&Value> = statements.iter().map(|s| &s["Action"]).collect();
    assert!(!serde_json::to_string(&all).expect("JSON").contains("iam:PassRole"), "PassRole without a role to pass");
    let with_role = existing_pool(&[("ExistingPoolSmsRoleArn", "arn:aws:iam::111122223333:role/sms")]);
    let statements = resources(&with_role)["AttachTriggersFunction"]["Properties"]["Policies"][0]["Statement"].clone();
    let pass =
        statements.as_array().expect("statements").iter().find(|s| s["Action"] == "iam:PassRole").expect("PassRole");
    assert_eq!(pass["Resource"], serde_json::json!({"Ref": "ExistingPoolSmsRoleArn"}));
    assert_eq!(pass["Condition"]["StringEquals"]["iam:PassedToService"], "cognito-idp.amazonaws.com");
    // The outputs: the given pool and the stack's client in it.
    let outputs = t["Outputs"].as_object().expect("Outputs");
    assert_eq!(outputs["UserPoolId"]["Value"], serde_json::json!({"Ref": "ExistingUserPoolId"}));
    assert_eq!(outputs["UserPoolClientId"]["Value"], serde_json::json!({"Ref": "ExistingPoolClient"}));
    assert_eq!(outputs["UserPoolArn"]["Value"], pool_arn);
    assert!(outputs.contains_key("ExistingPoolNotes"));
}

/// The stack's app client in an existing pool is the one it creates with its own pool, but for
/// the pool (written twice in the template; held the same here).
#[test]
fn the_existing_pools_client_is_the_stacks_own_but_for_the_pool() {
    let t = template();
    let mut own = resources(&t)["UserPoolClient"]["Properties"].clone();
    let mut existing = resources(&t)["ExistingPoolClient"]["Properties"].clone();
    for props in [&mut own, &mut existing] {
        props.as_object_mut().expect("properties").remove("UserPoolId");
    }
    assert_eq!(own, existing);
}

/// The existing pool's ARN is written the same wherever the template needs it.
#[test]
fn the_existing_pools_arn_is_written_one_way() {
    let text = std::fs::read_to_string(cfn::path()).expect("template.yaml");
    let arn = "arn:${AWS::Partition}:cognito-idp:${AWS::Region}:${AWS::AccountId}:userpool/${ExistingUserPoolId}";
    let written = text.matches("userpool/${ExistingUserPoolId}").count();
    assert!(written >= 6, "{written}");
    assert_eq!(text.matches(arn).count(), written, "every ARN of the existing pool is {arn}");
}

/// The password a SignUp carries never reaches the triggers; it is harmless only because no app
/// client of the pool can sign in with a password.
#[test]
fn no_app_client_allows_password_sign_in() {
    let t = template();
    let clients: Vec<(&String, &Value)> =
        resources(&t).iter().filter(|(_, r)| r["Type"] == "AWS::Cognito::UserPoolClient").collect();
    assert!(!clients.is_empty());
    for (id, client) in clients {
        let flows: Vec<&str> = client["Properties"]["ExplicitAuthFlows"]
            .as_array()
            .unwrap_or_else(|| panic!("{id}: ExplicitAuthFlows set (its default allows SRP)"))
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for flow in flows {
            assert!(
                ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"].contains(&flow),
                "{id} allows {flow}: a password chosen at SignUp would become a credential"
            );
        }
    }
}

/// The web ACL counts the three operations a bot uses, whatever case the client writes them in.
#[test]
fn the_web_acl_matches_the_operation_in_any_case() {
    let t = template();
    let acl = &resources(&t)["WebAcl"]["Properties"];
    let statements =
        acl["Rules"][0]["Statement"]["RateBasedStatement"]["ScopeDownStatement"]["OrStatement"]["Statements"]
            .as_array()
            .expect("the operations");
    assert_eq!(statements.len(), 3);
    for statement in statements {
        let m = &statement["ByteMatchStatement"];
        let target = m["SearchString"].as_str().expect("a target");
        assert_eq!(target, target.to_lowercase(), "the target is matched lower-cased");
        assert_eq!(m["TextTransformations"], serde_json::json!([{"Priority": 0, "Type": "LOWERCASE"}]));
    }
}
