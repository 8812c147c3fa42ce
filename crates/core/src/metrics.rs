//! Metrics without extra calls: each invocation counts what it did ([`Metrics`]) and writes one
//! line in CloudWatch's Embedded Metric Format (EMF) to its log. CloudWatch Logs turns the line
//! into metric data points; the function makes no `PutMetricData` call and waits for nothing.
//!
//! Every metric has one dimension, `UserPoolId`, so two deployments sharing a namespace stay
//! apart, and the template's alarms can name their own pool. A count that stayed 0 is left out
//! of the line (alarms treat missing data as 0), and an invocation that counted nothing writes
//! no line.

use serde_json::{Map, Value, json};

use crate::config::Trigger;
use crate::config::Trigger::{
    CreateAuthChallenge as CREATE, DefineAuthChallenge as DEFINE, PreSignUp as PRE, VerifyAuthChallenge as VERIFY,
};

/// What operators watch. The variant names are the metric names; [`Metric::about`] says who
/// counts each and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(strum::EnumCount))]
pub enum Metric {
    SmsSent,
    SmsFailed,
    AnswerCorrect,
    AnswerWrong,
    SignInLockedOut,
    ResendRequested,
    SendRefusedByLimit,
    CountryBlocked,
    UnknownUser,
    NumberLocked,
    RefusedWhileLocked,
    PrefixPaused,
    SendRefusedByPrefix,
    RegionPaused,
    SendRefusedByRegion,
    PoolCeilingReached,
    RetryNotResent,
    AnswerRepeated,
    SignUpAttributeRefused,
}

impl Metric {
    pub const ALL: [Metric; 19] = [
        Metric::SmsSent,
        Metric::SmsFailed,
        Metric::AnswerCorrect,
        Metric::AnswerWrong,
        Metric::SignInLockedOut,
        Metric::ResendRequested,
        Metric::SendRefusedByLimit,
        Metric::CountryBlocked,
        Metric::UnknownUser,
        Metric::NumberLocked,
        Metric::RefusedWhileLocked,
        Metric::PrefixPaused,
        Metric::SendRefusedByPrefix,
        Metric::RegionPaused,
        Metric::SendRefusedByRegion,
        Metric::PoolCeilingReached,
        Metric::RetryNotResent,
        Metric::AnswerRepeated,
        Metric::SignUpAttributeRefused,
    ];

    /// The triggers that count it, and when: the generated table of `docs/operations.md`
    /// (`cargo xtask docs`).
    pub fn about(self) -> (&'static [Trigger], &'static str) {
        match self {
            Self::SmsSent => (&[CREATE], "SNS took an SMS"),
            Self::SmsFailed => (&[CREATE], "SNS refused, throttled, could not be reached or did not answer in time"),
            Self::AnswerCorrect => (&[VERIFY], "a right code, in time"),
            Self::AnswerWrong => (
                &[VERIFY],
                "a wrong or expired code (also every answer to a round whose code was not delivered, such as an \
                 unknown number's; those are not counted toward the number's lock)",
            ),
            Self::SignInLockedOut => (&[DEFINE], "a sign-in ended for too many wrong answers, resends or rounds"),
            Self::ResendRequested => (&[CREATE], "the client asked for a new code (sent or not)"),
            Self::SendRefusedByLimit => (&[CREATE], "the per-number limit withheld an SMS"),
            Self::CountryBlocked => {
                (&[PRE, CREATE], "a sign-up or a send for a country outside `ALLOWED_COUNTRY_CODES`")
            }
            Self::UnknownUser => (&[CREATE], "a sign-in round for a number the pool does not have"),
            Self::NumberLocked => (
                &[VERIFY],
                "a number reached `MAX_FAILED_ANSWERS_PER_NUMBER` wrong answers in a row and is locked for \
                 `LOCKOUT_SECONDS`",
            ),
            Self::RefusedWhileLocked => (
                &[CREATE, VERIFY],
                "a send withheld, or a right code to a delivered round refused, because the number is locked",
            ),
            Self::PrefixPaused => (
                &[CREATE],
                "the pumping breaker paused a destination prefix for never-signed-in numbers: many codes, few \
                 answered (logged with the prefix, never a number)",
            ),
            Self::SendRefusedByPrefix => (
                &[CREATE],
                "a send to a never-signed-in number withheld because its prefix is paused or had its budget",
            ),
            Self::RegionPaused => (
                &[CREATE],
                "the pumping breaker paused a region (a country or territory) for never-signed-in numbers: many \
                 codes, few answered (logged with the region)",
            ),
            Self::SendRefusedByRegion => {
                (&[CREATE], "a send to a never-signed-in number withheld because its region is paused")
            }
            Self::PoolCeilingReached => (
                &[CREATE],
                "a send withheld because the pool's SMS ceiling for the hour (`POOL_SMS_PER_HOUR`, or its share \
                 for never-signed-in numbers) is reached",
            ),
            Self::RetryNotResent => (
                &[CREATE],
                "a call for a round already being created (Cognito's retry): no second SMS, and the round offers \
                 a resend at once",
            ),
            Self::AnswerRepeated => {
                (&[VERIFY], "the same answer to the same round again (Cognito's retry): counted once")
            }
            Self::SignUpAttributeRefused => (&[PRE], "a sign-up refused for an attribute outside `SIGN_UP_ATTRIBUTES`"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::SmsSent => "SmsSent",
            Self::SmsFailed => "SmsFailed",
            Self::AnswerCorrect => "AnswerCorrect",
            Self::AnswerWrong => "AnswerWrong",
            Self::SignInLockedOut => "SignInLockedOut",
            Self::ResendRequested => "ResendRequested",
            Self::SendRefusedByLimit => "SendRefusedByLimit",
            Self::CountryBlocked => "CountryBlocked",
            Self::UnknownUser => "UnknownUser",
            Self::NumberLocked => "NumberLocked",
            Self::RefusedWhileLocked => "RefusedWhileLocked",
            Self::PrefixPaused => "PrefixPaused",
            Self::SendRefusedByPrefix => "SendRefusedByPrefix",
            Self::RegionPaused => "RegionPaused",
            Self::SendRefusedByRegion => "SendRefusedByRegion",
            Self::PoolCeilingReached => "PoolCeilingReached",
            Self::RetryNotResent => "RetryNotResent",
            Self::AnswerRepeated => "AnswerRepeated",
            Self::SignUpAttributeRefused => "SignUpAttributeRefused",
        }
    }
}

/// The counts of one invocation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metrics {
    counts: [u32; Metric::ALL.len()],
}

impl Metrics {
    pub fn count(&mut self, metric: Metric) {
        self.counts[metric as usize] += 1;
    }

    pub fn get(&self, metric: Metric) -> u32 {
        self.counts[metric as usize]
    }

    /// The EMF document for these counts, or `None` if nothing was counted.
    ///
    /// `timestamp_ms` is milliseconds since the Unix epoch (EMF's `Timestamp`).
    pub fn to_emf(&self, namespace: &str, user_pool_id: &str, timestamp_ms: u64) -> Option<String> {
        let counted: Vec<Metric> = Metric::ALL.into_iter().filter(|m| self.get(*m) > 0).collect();
        if counted.is_empty() {
            return None;
        }
        let definitions: Vec<Value> = counted.iter().map(|m| json!({"Name": m.name(), "Unit": "Count"})).collect();
        let mut document = Map::new();
        document.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": namespace,
                    "Dimensions": [["UserPoolId"]],
                    "Metrics": definitions,
                }],
            }),
        );
        document.insert("UserPoolId".into(), user_pool_id.into());
        for metric in counted {
            document.insert(metric.name().into(), self.get(metric).into());
        }
        Some(Value::Object(document).to_string())
    }
}

/// The `userPoolId` of a raw trigger event, for the metrics' dimension: what Cognito sends
/// (`<region>_<id>`), or `unknown` for anything else.
pub fn user_pool_id(event: &Value) -> &str {
    event
        .get("userPoolId")
        .and_then(Value::as_str)
        .filter(|id| {
            (1..=55).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b))
        })
        .unwrap_or("unknown")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_metric_once_in_order() {
        assert_eq!(Metric::ALL.len(), <Metric as strum::EnumCount>::COUNT, "a metric is missing from Metric::ALL");
        for (i, metric) in Metric::ALL.into_iter().enumerate() {
            assert_eq!(metric as usize, i, "{}: Metric::ALL is in declaration order", metric.name());
        }
    }

    #[test]
    fn nothing_counted_writes_nothing() {
        assert_eq!(Metrics::default().to_emf("SmsPasswordless", "us-east-1_abc", 1), None);
    }

    #[test]
    fn a_line_declares_each_counted_metric_once_with_its_value() {
        let mut metrics = Metrics::default();
        metrics.count(Metric::SmsSent);
        metrics.count(Metric::ResendRequested);
        metrics.count(Metric::ResendRequested);
        let line = metrics.to_emf("Acme/SignIn", "us-east-1_abc", 1_763_683_200_123).expect("a line");
        let doc: Value = serde_json::from_str(&line).expect("JSON");
        assert_eq!(doc["_aws"]["Timestamp"], 1_763_683_200_123_u64);
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "Acme/SignIn");
        assert_eq!(directive["Dimensions"], json!([["UserPoolId"]]));
        assert_eq!(
            directive["Metrics"],
            json!([{"Name": "SmsSent", "Unit": "Count"}, {"Name": "ResendRequested", "Unit": "Count"}])
        );
        assert_eq!(doc["UserPoolId"], "us-east-1_abc");
        assert_eq!(doc["SmsSent"], 1);
        assert_eq!(doc["ResendRequested"], 2);
        assert!(doc.get("SmsFailed").is_none());
        assert!(!line.contains('\n'), "one line per document");
    }

    #[test]
    fn the_pool_id_comes_from_the_event_or_is_unknown() {
        assert_eq!(user_pool_id(&json!({"userPoolId": "eu-west-1_AbC123"})), "eu-west-1_AbC123");
        assert_eq!(user_pool_id(&json!({"userPoolId": "x\"y"})), "unknown");
        assert_eq!(user_pool_id(&json!({"userPoolId": 7})), "unknown");
        assert_eq!(user_pool_id(&json!({})), "unknown");
    }
}
