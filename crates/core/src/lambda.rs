//! What every trigger binary does: JSON logs and the configuration read once at start-up, the
//! clock, and one metrics line per invocation.

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde_json::Value;

use tracing::{Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

use crate::config::{Config, ConfigError, Trigger};
use crate::invocation::Invocation;
use crate::metrics::{self, Metrics};
use crate::triggers::{self, TriggerError};

/// Structured JSON logs on stdout (Lambda ships them to CloudWatch).
///
/// The level comes from `AWS_LAMBDA_LOG_LEVEL` (the function's application log level), INFO
/// otherwise, and applies to this product's code only. Libraries are held at WARN whatever the
/// level: at DEBUG and TRACE the HTTP and AWS SDK crates log request bodies, and an SNS request
/// body holds the phone number and the code.
pub fn init_logging() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .ok()
        .and_then(|l| match l.to_ascii_uppercase().as_str() {
            "FATAL" => Some(Level::ERROR),
            other => other.parse::<Level>().ok(),
        })
        .unwrap_or(Level::INFO);
    // A second init (tests) is harmless; keep the first.
    let _ = log_subscriber(level, std::io::stdout).try_init();
}

/// The JSON subscriber [`init_logging`] installs, writing to `writer` (tests capture it).
pub fn log_subscriber<W>(level: Level, writer: W) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let layer = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(writer);
    tracing_subscriber::registry().with(layer.with_filter(log_filter(level)))
}

/// Which crates log at which level; see [`init_logging`].
pub fn log_filter(level: Level) -> Targets {
    Targets::new()
        .with_default(Level::WARN)
        .with_target("sms_otp_core", level)
        // The existing-pool custom resource (crates/attach-triggers), which logs through here too.
        .with_target("attach_triggers", level)
        // Its per-invocation span carries the request id; the runtime logs no payloads.
        .with_target("lambda_runtime", level.min(Level::INFO))
}

/// Reads and checks the variables `trigger` reads (and no other: see [`crate::config::SETTINGS`]);
/// a bad value is logged and stops the function at init, an adjusted one is logged as a warning.
pub fn load_config(trigger: Trigger) -> Result<Config, ConfigError> {
    let config = Config::for_trigger(trigger, |name| std::env::var(name).ok())
        .inspect_err(|error| tracing::error!(%error, "configuration refused"))?;
    for warning in &config.warnings {
        tracing::warn!(%warning, "configuration adjusted");
    }
    if !config.test_numbers.is_empty() {
        tracing::warn!(
            count = config.test_numbers.len(),
            "TEST_PHONE_NUMBERS is set: these numbers never get an SMS and accept a fixed code; keep it empty in production unless you mean it"
        );
    }
    Ok(config)
}

/// Logs, for every SMS template (the default and each locale's), how its longest text goes out:
/// GSM-7 or UCS-2, and how many segments, since carriers bill per segment. More than one is a
/// warning with the cost factor: each sign-in SMS then costs that many messages.
pub fn log_sms_segments(config: &Config) {
    let sms = &config.sms;
    for (locale, template) in sms.templates.all() {
        let text = crate::message::longest(
            template,
            &sms.app_name,
            config.otp_length,
            config.otp_ttl_seconds,
            sms.webotp_domain.as_deref(),
        );
        let segments = crate::sms::segments::of(&text);
        let locale = locale.unwrap_or("default");
        let encoding = segments.encoding.name();
        if segments.count > 1 {
            tracing::warn!(
                locale,
                encoding,
                units = segments.units,
                segments = segments.count,
                cost_factor = segments.count,
                "the SMS text takes more than one segment: each code is billed as that many messages; shorten the template (or keep it to the GSM-7 alphabet)"
            );
        } else {
            tracing::info!(
                locale,
                encoding,
                units = segments.units,
                segments = segments.count,
                "SMS text fits one segment"
            );
        }
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it, which would make every code
/// look fresh but never valid past its expiry).
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The invocation Lambda hands the function: now, and its deadline (`context.deadline`,
/// milliseconds since the epoch), which with Cognito's own limit gives the one deadline every
/// call of the handler keeps ([`Invocation`]).
pub fn invocation(context: &lambda_runtime::Context) -> Invocation {
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    let left = Duration::from_millis(context.deadline.saturating_sub(now_ms));
    Invocation::starting(unix_now(), Some(left))
}

/// Runs a synchronous trigger on a raw event and writes what it counted (see [`emit_metrics`]).
pub fn handle_counted<E: DeserializeOwned>(
    payload: Value,
    config: &Config,
    handle: impl FnOnce(E, &mut Metrics) -> Result<E, TriggerError>,
) -> Result<E, TriggerError> {
    let user_pool_id = metrics::user_pool_id(&payload).to_owned();
    let mut counts = Metrics::default();
    let result = triggers::from_json(payload).and_then(|event| handle(event, &mut counts));
    emit_metrics(&counts, config, &user_pool_id);
    result
}

/// Writes an invocation's counts as one CloudWatch embedded-metric line on stdout, next to the
/// logs; nothing if it counted nothing. A failed write is dropped: metrics never fail a sign-in.
pub fn emit_metrics(counts: &Metrics, config: &Config, user_pool_id: &str) {
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    if let Some(line) = counts.to_emf(&config.metrics_namespace, user_pool_id, now_ms) {
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    }
}
