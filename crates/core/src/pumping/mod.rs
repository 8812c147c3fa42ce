//! SMS pumping (toll fraud) and cost defences: a conversion breaker per destination prefix and
//! per region, a budget per prefix, and a ceiling for the whole pool.
//!
//! A pumping bot signs up many fresh numbers in premium ranges it profits from and makes the app
//! send codes that nobody ever types. The per-number limit cannot see it (each number is new);
//! what gives it away is where the codes go: many codes to one area, almost none answered. So
//! every code to a *never-signed-in* number, and every first correct answer (the one that makes a
//! number *established*, see [`crate::lockout`]), is counted per [`Area`] over a rolling window
//! ([`BreakerPolicy::window_seconds`], in twelve buckets). An area is a destination [`Prefix`]
//! (`+` and four digits) and the number's [`Region`] (its country or territory, by
//! libphonenumber's metadata, so a bot spreading its numbers over many prefixes of one country is
//! still seen as one). When at least [`BreakerPolicy::min_sends`] codes went to one area in the
//! window and fewer than [`BreakerPolicy::min_conversion_percent`] of them were answered
//! correctly, sends to never-signed-in numbers there *pause* for [`BreakerPolicy::pause_seconds`].
//!
//! Established numbers are never paused: a number that answered a code correctly before a pause
//! began keeps getting its codes through it (numbers proven while an area is paused cannot exist:
//! a paused area gets no codes to prove). Their codes are not counted per area either, so a busy
//! area's real users do not hide a bot's traffic there, and the counters every code to an area
//! touches are written only at the rate of first sign-ins.
//!
//! Two budgets are taken before a send, each by one conditional write on a fixed-window counter,
//! so no number of concurrent sends overshoots them: an optional budget per prefix for
//! never-signed-in numbers ([`BreakerPolicy::budget_per_window`]), and the pool's ceiling
//! ([`PoolCeiling`]): SMS per clock hour to every number, and a lower share for never-signed-in
//! ones, so a bot spreading over many countries is still bounded. The ceiling's counter is
//! written by every send, so it is split over [`POOL_SHARDS`] items.
//!
//! Paused and refused rounds look like any other, send nothing and can never be won (their code
//! is not delivered). An operator lifts a pause by deleting the area's pause record. The counts
//! live in the per-number table ([`dynamodb::DynamoDbPumpingLedger`]); the rules here are pure:
//! the store reports, [`BreakerPolicy`] and [`PoolCeiling`] decide.

#[cfg(feature = "aws")]
pub mod dynamodb;

use std::fmt;
use std::future::Future;
use std::ops::RangeInclusive;

use crate::phone::PhoneNumber;
use crate::regions::{self, Region};
use crate::send_limit::{LimitError, Reservation};

/// Digits of a number, after the `+`, that make its prefix: the calling code and the next
/// digits, e.g. `+1876` (Jamaica), `+4477` (UK mobiles), `+3712` (Latvian mobiles). Four isolates
/// a premium range inside a country; a bot that spreads over many prefixes of a country still
/// meets that country's [`Region`] breaker.
pub const PREFIX_DIGITS: usize = 4;

/// Buckets per window: the window rolls forward one bucket at a time (5 minutes for an hour).
pub const BUCKETS_PER_WINDOW: u64 = 12;

/// Items the pool's ceiling is split over ([`PoolCeiling`]). DynamoDB takes at most 1,000 writes
/// a second to one item; each create call writes one shard (two when the first is full), so ten
/// hold some 5,000 create calls a second, about forty times Cognito's default request rate for
/// sign-ins (120 a second for the whole account).
pub const POOL_SHARDS: u32 = 10;

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

/// Where the breaker counts a number's codes: its prefix, and its region.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Area {
    Prefix(Prefix),
    Region(Region),
}

impl Area {
    /// The two areas a number is judged in: its prefix, then its region.
    pub fn of(number: &PhoneNumber) -> [Area; 2] {
        [Area::Prefix(Prefix::of(number)), Area::Region(regions::of(number))]
    }

    /// The store's name for the area: `prefix:+1876`, `region:JM`. Never a phone number.
    pub fn key(&self) -> String {
        match self {
            Self::Prefix(prefix) => format!("prefix:{prefix}"),
            Self::Region(region) => format!("region:{region}"),
        }
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Prefix(prefix) => write!(f, "prefix {prefix}"),
            Self::Region(region) => write!(f, "region {region}"),
        }
    }
}

/// The breaker's and the prefix budget's figures (template parameters `PumpingBreaker*`,
/// `PrefixSmsBudget`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Codes to one area in the window before its conversion is judged; 0 turns the breaker
    /// off (`PUMPING_BREAKER_MIN_SENDS`).
    pub min_sends: u32,
    /// Correct answers per 100 codes below which the area pauses
    /// (`PUMPING_BREAKER_MIN_CONVERSION_PERCENT`).
    pub min_conversion_percent: u32,
    /// How long a tripped area gets no SMS for never-signed-in numbers
    /// (`PUMPING_BREAKER_PAUSE_SECONDS`).
    pub pause_seconds: u64,
    /// The rolling window the counts cover, and the prefix budget's fixed window
    /// (`PUMPING_BREAKER_WINDOW_SECONDS`).
    pub window_seconds: u64,
    /// SMS to never-signed-in numbers of one prefix per window at most; 0 for no budget
    /// (`PREFIX_SMS_BUDGET`).
    pub budget_per_window: u32,
}

impl BreakerPolicy {
    /// Whether counting per area is needed at all.
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

    /// The fixed window of the prefix budget at `now`.
    pub fn budget_window(&self, now: u64) -> u64 {
        now / self.window_seconds.max(1)
    }

    /// Before a send to an area in `state` at `now`, for a number established at
    /// `established_at` (`None`: never): may it go out? A pause holds back only numbers that
    /// were not established before it began.
    pub fn admits(&self, state: &AreaState, established_at: Option<u64>, now: u64) -> Admission {
        let paused = state.paused_until > now;
        let established_before = established_at.is_some_and(|at| at < state.paused_since);
        if paused && !established_before { Admission::Paused } else { Admission::Open }
    }

    /// After a send, with `window` counting it: does the area trip (pause now)?
    pub fn trips(&self, window: &WindowCounts) -> bool {
        self.min_sends > 0
            && window.sends >= u64::from(self.min_sends)
            && window.correct.saturating_mul(100) < window.sends.saturating_mul(u64::from(self.min_conversion_percent))
    }
}

/// The pool's ceiling on SMS per clock hour (template parameters `PoolSmsPerHour`,
/// `PoolSmsPerHourNewNumbers`): every send counts toward `per_hour`; sends to never-signed-in
/// numbers also toward `new_numbers_per_hour`, their lower share. 0 turns either off.
///
/// Each of the [`POOL_SHARDS`] items takes its part of each figure ([`PoolCeiling::shard_cap`]),
/// so the pool as a whole never sends more than the figure in an hour; a send that finds its
/// shard full tries one other, so refusals start close to the figure, not at its first tenth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolCeiling {
    pub per_hour: u32,
    pub new_numbers_per_hour: u32,
}

impl PoolCeiling {
    pub fn is_on(&self) -> bool {
        self.per_hour > 0 || self.new_numbers_per_hour > 0
    }

    /// The clock hour a send at `now` counts in.
    pub fn hour(now: u64) -> u64 {
        now / 3_600
    }

    /// Shard `shard`'s part of `figure`: the figure split as evenly as whole numbers allow, so
    /// the parts add up to it exactly.
    pub fn shard_cap(figure: u32, shard: u32) -> u32 {
        figure / POOL_SHARDS + u32::from(shard < figure % POOL_SHARDS)
    }
}

/// One SMS taken from the pool's ceiling, and where: what [`PumpingLedger::give_back_pool`] needs
/// when the round does not send after all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSlot {
    /// The counter item it was taken from (0 to [`POOL_SHARDS`] - 1).
    pub shard: u32,
}

/// Sends and correct answers of one area over a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowCounts {
    pub sends: u64,
    pub correct: u64,
}

/// What the store knows of one area at a moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AreaState {
    /// Unix seconds the current (or last) pause began.
    pub paused_since: u64,
    /// Unix seconds the current pause ends (0 or past: not paused).
    pub paused_until: u64,
    pub window: WindowCounts,
}

/// Whether a send to an area may go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Open,
    /// The breaker tripped on this area; the pause has not ended, and the number was not
    /// established before it began.
    Paused,
}

/// A store of sends and correct answers per area, of pauses, and of the budgets.
pub trait PumpingLedger: Send + Sync {
    /// The area's pause and its counts over the window ending at `now`.
    fn state(&self, area: &Area, now: u64) -> impl Future<Output = Result<AreaState, LimitError>> + Send;

    /// Counts an SMS to a never-signed-in number of the area.
    fn record_send(&self, area: &Area, now: u64) -> impl Future<Output = Result<(), LimitError>> + Send;

    /// Counts a first correct answer for a number of the area.
    fn record_correct(&self, area: &Area, now: u64) -> impl Future<Output = Result<(), LimitError>> + Send;

    /// Pauses the area from `now` until `until`, unless it is paused already; whether this call
    /// paused it (so a trip is counted once, however many sends see it at once).
    fn pause(&self, area: &Area, now: u64, until: u64) -> impl Future<Output = Result<bool, LimitError>> + Send;

    /// Takes one SMS of the prefix's budget for the window of `now`, or refuses when it is
    /// spent. Only called when the policy has a budget.
    fn take_prefix_budget(
        &self,
        prefix: &Prefix,
        now: u64,
    ) -> impl Future<Output = Result<Reservation, LimitError>> + Send;

    /// Takes one SMS of the pool's ceiling for the hour of `now` (and of the new numbers' share
    /// unless `established`); `None` when a figure is reached. Only called when the ceiling is
    /// on.
    fn take_pool(
        &self,
        now: u64,
        established: bool,
    ) -> impl Future<Output = Result<Option<PoolSlot>, LimitError>> + Send;

    /// Gives back one SMS of the prefix's budget, taken at `now` for a round that then did not
    /// send (a later step withheld it), so withheld rounds spend no budget.
    fn give_back_prefix_budget(&self, prefix: &Prefix, now: u64)
    -> impl Future<Output = Result<(), LimitError>> + Send;

    /// Gives back `slot`, taken by [`PumpingLedger::take_pool`] at `now` with `established`, for
    /// a round that then did not send.
    fn give_back_pool(
        &self,
        slot: PoolSlot,
        now: u64,
        established: bool,
    ) -> impl Future<Output = Result<(), LimitError>> + Send;
}

/// No counting per area and no budgets (no per-number table, or every defence off).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBreaker;

impl PumpingLedger for NoBreaker {
    async fn state(&self, _area: &Area, _now: u64) -> Result<AreaState, LimitError> {
        Ok(AreaState::default())
    }

    async fn record_send(&self, _area: &Area, _now: u64) -> Result<(), LimitError> {
        Ok(())
    }

    async fn record_correct(&self, _area: &Area, _now: u64) -> Result<(), LimitError> {
        Ok(())
    }

    async fn pause(&self, _area: &Area, _now: u64, _until: u64) -> Result<bool, LimitError> {
        Ok(false)
    }

    async fn take_prefix_budget(&self, _prefix: &Prefix, _now: u64) -> Result<Reservation, LimitError> {
        Ok(Reservation::Granted)
    }

    async fn take_pool(&self, _now: u64, _established: bool) -> Result<Option<PoolSlot>, LimitError> {
        Ok(Some(PoolSlot { shard: 0 }))
    }

    async fn give_back_prefix_budget(&self, _prefix: &Prefix, _now: u64) -> Result<(), LimitError> {
        Ok(())
    }

    async fn give_back_pool(&self, _slot: PoolSlot, _now: u64, _established: bool) -> Result<(), LimitError> {
        Ok(())
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
    fn a_pause_holds_new_numbers_until_it_ends_but_never_numbers_established_before_it() {
        let p = policy();
        let paused = AreaState { paused_since: NOW, paused_until: NOW + 1800, window: counts(20, 0) };
        assert_eq!(p.admits(&paused, None, NOW), Admission::Paused);
        assert_eq!(p.admits(&paused, None, NOW + 1799), Admission::Paused);
        assert_eq!(p.admits(&paused, None, NOW + 1800), Admission::Open, "the pause is over");
        assert_eq!(p.admits(&paused, Some(NOW - 86_400), NOW + 5), Admission::Open, "established a day before");
        assert_eq!(p.admits(&paused, Some(NOW - 1), NOW + 5), Admission::Open, "established just before");
        assert_eq!(p.admits(&paused, Some(NOW), NOW + 5), Admission::Paused, "proven as the pause began");
        assert_eq!(p.admits(&paused, Some(NOW + 3), NOW + 5), Admission::Paused, "proven during the pause");
        let never = AreaState::default();
        assert_eq!(p.admits(&never, None, NOW), Admission::Open);
    }

    #[test]
    fn the_pool_ceiling_splits_each_figure_exactly_over_the_shards() {
        for figure in [0, 1, 5, 9, 10, 11, 199, 200, 1_000, 1_234_567] {
            let parts: u32 = (0..POOL_SHARDS).map(|shard| PoolCeiling::shard_cap(figure, shard)).sum();
            assert_eq!(parts, figure, "{figure}");
            let (min, max) = (0..POOL_SHARDS)
                .map(|s| PoolCeiling::shard_cap(figure, s))
                .fold((u32::MAX, 0), |(lo, hi), c| (lo.min(c), hi.max(c)));
            assert!(max - min <= 1, "{figure}: {min}..{max}");
        }
        assert_eq!(PoolCeiling::hour(NOW), NOW / 3600);
        assert!(!PoolCeiling { per_hour: 0, new_numbers_per_hour: 0 }.is_on());
    }

    #[test]
    fn a_number_is_judged_by_its_prefix_and_its_region() {
        let number = PhoneNumber::parse("+18765550100").expect("a number");
        let [prefix, region] = Area::of(&number);
        assert_eq!(prefix.key(), "prefix:+1876");
        assert_eq!(region.key(), "region:JM");
        let us = PhoneNumber::parse("+14155550100").expect("a number");
        assert_eq!(Area::of(&us)[1].key(), "region:US");
        assert_eq!(p_budget_window(), NOW / 3600);
    }

    fn p_budget_window() -> u64 {
        policy().budget_window(NOW)
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
