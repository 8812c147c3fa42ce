//! SMS pumping (toll fraud): a conversion breaker per destination prefix, and an optional
//! hourly SMS budget per prefix.
//!
//! A pumping bot signs up many fresh numbers in a premium range it profits from and makes the
//! app send codes that nobody ever types. The per-number limit cannot see it (each number is
//! new); what gives it away is the *prefix*: many codes to one range, almost none answered. So
//! every SMS and every correct answer is counted per [`Prefix`] over a rolling window
//! ([`BreakerPolicy::window_seconds`], in twelve buckets), and when at least
//! [`BreakerPolicy::min_sends`] codes went to one prefix in the window and fewer than
//! [`BreakerPolicy::min_conversion_percent`] of them were answered correctly, sends to that
//! prefix *pause* for [`BreakerPolicy::pause_seconds`]. Paused rounds look like any other, send
//! nothing and can never be won (their code is not delivered). Traffic to other prefixes is
//! untouched. An operator lifts a pause by deleting the prefix's pause record.
//!
//! The counts live in the per-number table ([`dynamodb::DynamoDbPrefixLedger`]); the rules here
//! are pure: the store reports, [`BreakerPolicy`] decides.

#[cfg(feature = "aws")]
pub mod dynamodb;

use std::fmt;
use std::future::Future;
use std::ops::RangeInclusive;

use crate::phone::PhoneNumber;
use crate::send_limit::LimitError;

/// Digits of a number, after the `+`, that make its prefix: the calling code and the next
/// digits, e.g. `+1876` (Jamaica), `+4477` (UK mobiles), `+3712` (Latvian mobiles). Four is
/// fine enough to isolate a premium range inside a country and coarse enough that a bot cannot
/// spread over thousands of prefixes within one range.
pub const PREFIX_DIGITS: usize = 4;

/// Buckets per window: the window rolls forward one bucket at a time (5 minutes for an hour).
pub const BUCKETS_PER_WINDOW: u64 = 12;

/// The destination prefix of a number: `+` and its first [`PREFIX_DIGITS`] digits. Never the
/// whole number (E.164 numbers have at least 8 digits), so it may be logged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Prefix(String);

impl Prefix {
    pub fn of(number: &PhoneNumber) -> Self {
        Self(format!("+{}", &number.digits()[..PREFIX_DIGITS]))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The breaker's and the budget's figures (template parameters `PumpingBreaker*`,
/// `PrefixHourlySmsBudget`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Codes to one prefix in the window before its conversion is judged; 0 turns the breaker
    /// off (`PUMPING_BREAKER_MIN_SENDS`).
    pub min_sends: u32,
    /// Correct answers per 100 codes below which the prefix pauses
    /// (`PUMPING_BREAKER_MIN_CONVERSION_PERCENT`).
    pub min_conversion_percent: u32,
    /// How long a tripped prefix gets no SMS (`PUMPING_BREAKER_PAUSE_SECONDS`).
    pub pause_seconds: u64,
    /// The rolling window the counts cover (`PUMPING_BREAKER_WINDOW_SECONDS`).
    pub window_seconds: u64,
    /// SMS to one prefix per window at most; 0 for no budget (`PREFIX_HOURLY_SMS_BUDGET`).
    pub budget_per_window: u32,
}

impl BreakerPolicy {
    /// Whether counting per prefix is needed at all.
    pub fn is_on(&self) -> bool {
        self.min_sends > 0 || self.budget_per_window > 0
    }

    pub fn bucket_seconds(&self) -> u64 {
        (self.window_seconds / BUCKETS_PER_WINDOW).max(1)
    }

    /// The bucket a send or an answer at `now` counts in (never 0: the store keeps the pause
    /// under 0).
    pub fn bucket(&self, now: u64) -> u64 {
        now / self.bucket_seconds() + 1
    }

    /// The buckets the window ending at `now` covers, the current one included.
    pub fn window(&self, now: u64) -> RangeInclusive<u64> {
        let current = self.bucket(now);
        current.saturating_sub(BUCKETS_PER_WINDOW - 1).max(1)..=current
    }

    /// When the store may forget a bucket counted at `now`: once no window can cover it.
    pub fn forget_bucket_after(&self, now: u64) -> u64 {
        now.saturating_add(self.window_seconds).saturating_add(self.bucket_seconds())
    }

    /// Before a send to a prefix in `state` at `now`: may it go out?
    pub fn admits(&self, state: &PrefixState, now: u64) -> Admission {
        if state.paused_until > now {
            Admission::Paused
        } else if self.budget_per_window > 0 && state.window.sends >= u64::from(self.budget_per_window) {
            Admission::OverBudget
        } else {
            Admission::Open
        }
    }

    /// After a send, with `window` counting it: does the prefix trip (pause now)?
    pub fn trips(&self, window: &WindowCounts) -> bool {
        self.min_sends > 0
            && window.sends >= u64::from(self.min_sends)
            && window.correct.saturating_mul(100) < window.sends.saturating_mul(u64::from(self.min_conversion_percent))
    }
}

/// Sends and correct answers of one prefix over a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowCounts {
    pub sends: u64,
    pub correct: u64,
}

/// What the store knows of one prefix at a moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrefixState {
    /// Unix seconds the current pause ends (0 or past: not paused).
    pub paused_until: u64,
    pub window: WindowCounts,
}

/// Whether a send to a prefix may go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Open,
    /// The breaker tripped on this prefix; the pause has not ended.
    Paused,
    /// The prefix had its budget of SMS for the window.
    OverBudget,
}

/// A store of sends and correct answers per prefix, and of pauses.
pub trait PrefixLedger: Send + Sync {
    /// The prefix's pause and its counts over the window ending at `now`.
    fn state(&self, prefix: &Prefix, now: u64) -> impl Future<Output = Result<PrefixState, LimitError>> + Send;

    /// Counts an SMS that went out to the prefix.
    fn record_send(&self, prefix: &Prefix, now: u64) -> impl Future<Output = Result<(), LimitError>> + Send;

    /// Counts a correct answer for a number under the prefix.
    fn record_correct(&self, prefix: &Prefix, now: u64) -> impl Future<Output = Result<(), LimitError>> + Send;

    /// Pauses the prefix until `until`, unless it is paused already; whether this call paused
    /// it (so a trip is counted once, however many sends see it at once).
    fn pause(&self, prefix: &Prefix, now: u64, until: u64) -> impl Future<Output = Result<bool, LimitError>> + Send;
}

/// No counting per prefix (no per-number table, or the breaker and budget both off).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBreaker;

impl PrefixLedger for NoBreaker {
    async fn state(&self, _prefix: &Prefix, _now: u64) -> Result<PrefixState, LimitError> {
        Ok(PrefixState::default())
    }

    async fn record_send(&self, _prefix: &Prefix, _now: u64) -> Result<(), LimitError> {
        Ok(())
    }

    async fn record_correct(&self, _prefix: &Prefix, _now: u64) -> Result<(), LimitError> {
        Ok(())
    }

    async fn pause(&self, _prefix: &Prefix, _now: u64, _until: u64) -> Result<bool, LimitError> {
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testkit::NOW;

    fn policy() -> BreakerPolicy {
        crate::testkit::pumping::EXAMPLE_POLICY
    }

    fn counts(sends: u64, correct: u64) -> WindowCounts {
        WindowCounts { sends, correct }
    }

    #[test]
    fn the_prefix_is_the_calling_code_and_the_next_digits() {
        let of = |raw: &str| Prefix::of(&PhoneNumber::parse(raw).expect("a number")).to_string();
        assert_eq!(of("+18765550100"), "+1876");
        assert_eq!(of("+447700900123"), "+4477");
        assert_eq!(of("+37120000000"), "+3712");
        assert_eq!(of("+12345678"), "+1234", "the shortest E.164 number still keeps digits back");
    }

    #[test]
    fn it_trips_at_twenty_codes_with_under_ten_percent_answered() {
        let p = policy();
        assert!(!p.trips(&counts(19, 0)), "too few codes to judge");
        assert!(p.trips(&counts(20, 0)));
        assert!(p.trips(&counts(20, 1)), "5%");
        assert!(!p.trips(&counts(20, 2)), "10% is not fewer than 10%");
        assert!(p.trips(&counts(100, 9)));
        assert!(!p.trips(&counts(100, 10)));
        assert!(!p.trips(&counts(1_000, 600)), "a busy, healthy prefix");
        assert!(!BreakerPolicy { min_sends: 0, ..p }.trips(&counts(1_000, 0)), "0 turns it off");
    }

    #[test]
    fn a_pause_holds_until_it_ends_and_a_budget_caps_the_window() {
        let p = policy();
        let paused = PrefixState { paused_until: NOW + 1800, window: counts(20, 0) };
        assert_eq!(p.admits(&paused, NOW), Admission::Paused);
        assert_eq!(p.admits(&paused, NOW + 1799), Admission::Paused);
        assert_eq!(p.admits(&paused, NOW + 1800), Admission::Open, "the pause is over");
        let busy = PrefixState { paused_until: 0, window: counts(500, 400) };
        assert_eq!(p.admits(&busy, NOW), Admission::Open, "no budget by default");
        let budget = BreakerPolicy { budget_per_window: 500, ..p };
        assert_eq!(budget.admits(&busy, NOW), Admission::OverBudget);
        assert_eq!(budget.admits(&PrefixState { window: counts(499, 0), ..busy }, NOW), Admission::Open);
    }

    #[test]
    fn the_window_rolls_in_twelve_buckets() {
        let p = policy();
        assert_eq!(p.bucket_seconds(), 300);
        let window = p.window(NOW);
        assert_eq!(window.end() - window.start() + 1, BUCKETS_PER_WINDOW);
        assert_eq!(*window.end(), p.bucket(NOW));
        // A send an hour ago has left the window; one 55 minutes ago has not.
        assert!(!window.contains(&p.bucket(NOW - 3600)));
        assert!(window.contains(&p.bucket(NOW - 3300)));
        assert!(p.bucket(0) >= 1, "bucket 0 is the pause record's");
        assert_eq!(*p.window(0).start(), 1);
        assert!(p.forget_bucket_after(NOW) > NOW + 3600);
    }
}
