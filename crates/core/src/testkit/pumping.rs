//! An in-memory [`PumpingLedger`] for tests: the same buckets, pauses and budgets as the
//! DynamoDB items (one pool counter: sharding only spreads the store's writes).

use std::collections::HashMap;
use std::sync::Mutex;

use super::lock;
use crate::pumping::{Area, AreaState, BreakerPolicy, PoolCeiling, PoolSlot, Prefix, PumpingLedger, WindowCounts};
use crate::send_limit::{LimitError, Reservation};

/// A breaker policy for tests: trips at 20 codes in an hour with under 10% answered, pauses 30
/// minutes, no budget.
pub const EXAMPLE_POLICY: BreakerPolicy = BreakerPolicy {
    min_sends: 20,
    min_conversion_percent: 10,
    pause_seconds: 1800,
    window_seconds: 3600,
    budget_per_window: 0,
};

/// No pool ceiling.
pub const NO_CEILING: PoolCeiling = PoolCeiling { per_hour: 0, new_numbers_per_hour: 0 };

#[derive(Debug)]
pub struct InMemoryPumpingLedger {
    policy: BreakerPolicy,
    ceiling: PoolCeiling,
    /// (area key, bucket) -> that bucket's counts
    buckets: Mutex<HashMap<(String, u64), WindowCounts>>,
    /// area key -> (paused since, paused until)
    pauses: Mutex<HashMap<String, (u64, u64)>>,
    /// (prefix, budget window) -> sends taken
    budgets: Mutex<HashMap<(String, u64), u32>>,
    /// hour -> (all sends, sends to never-signed-in numbers) taken
    pool: Mutex<HashMap<u64, (u32, u32)>>,
    failure: Mutex<Option<LimitError>>,
}

impl InMemoryPumpingLedger {
    pub fn new(policy: BreakerPolicy) -> Self {
        Self::with_ceiling(policy, NO_CEILING)
    }

    pub fn with_ceiling(policy: BreakerPolicy, ceiling: PoolCeiling) -> Self {
        Self {
            policy,
            ceiling,
            buckets: Mutex::default(),
            pauses: Mutex::default(),
            budgets: Mutex::default(),
            pool: Mutex::default(),
            failure: Mutex::default(),
        }
    }

    /// Every later call fails with `error`.
    pub fn fail_with(&self, error: LimitError) {
        *lock(&self.failure) = Some(error);
    }

    /// What an operator does to lift a pause: forget it.
    pub fn lift(&self, area: &Area) {
        lock(&self.pauses).remove(&area.key());
    }

    /// The pool's counts for the hour of `now`: all sends, and those to never-signed-in numbers.
    pub fn pool_taken(&self, now: u64) -> (u32, u32) {
        lock(&self.pool).get(&PoolCeiling::hour(now)).copied().unwrap_or_default()
    }

    /// Sends taken from `prefix`'s budget in the window of `now`.
    pub fn budget_taken(&self, prefix: &Prefix, now: u64) -> u32 {
        lock(&self.budgets).get(&(prefix.as_str().to_owned(), self.policy.budget_window(now))).copied().unwrap_or(0)
    }

    fn check(&self) -> Result<(), LimitError> {
        lock(&self.failure).clone().map_or(Ok(()), Err)
    }

    fn add(&self, area: &Area, now: u64, f: impl FnOnce(&mut WindowCounts)) -> Result<(), LimitError> {
        self.check()?;
        f(lock(&self.buckets).entry((area.key(), self.policy.bucket(now))).or_default());
        Ok(())
    }
}

impl PumpingLedger for InMemoryPumpingLedger {
    async fn state(&self, area: &Area, now: u64) -> Result<AreaState, LimitError> {
        self.check()?;
        let buckets = lock(&self.buckets);
        let key = area.key();
        let window = self.policy.window(now).fold(WindowCounts::default(), |sum, bucket| {
            let counts = buckets.get(&(key.clone(), bucket)).copied().unwrap_or_default();
            WindowCounts { sends: sum.sends + counts.sends, correct: sum.correct + counts.correct }
        });
        let (paused_since, paused_until) = lock(&self.pauses).get(&key).copied().unwrap_or_default();
        Ok(AreaState { paused_since, paused_until, window })
    }

    async fn record_send(&self, area: &Area, now: u64) -> Result<(), LimitError> {
        self.add(area, now, |c| c.sends += 1)
    }

    async fn record_correct(&self, area: &Area, now: u64) -> Result<(), LimitError> {
        self.add(area, now, |c| c.correct += 1)
    }

    async fn pause(&self, area: &Area, now: u64, until: u64) -> Result<bool, LimitError> {
        self.check()?;
        let mut pauses = lock(&self.pauses);
        let current = pauses.entry(area.key()).or_default();
        if current.1 > now {
            return Ok(false);
        }
        *current = (now, until);
        Ok(true)
    }

    async fn take_prefix_budget(&self, prefix: &Prefix, now: u64) -> Result<Reservation, LimitError> {
        self.check()?;
        let mut budgets = lock(&self.budgets);
        let taken = budgets.entry((prefix.as_str().to_owned(), self.policy.budget_window(now))).or_default();
        if *taken >= self.policy.budget_per_window {
            return Ok(Reservation::Refused);
        }
        *taken += 1;
        Ok(Reservation::Granted)
    }

    async fn take_pool(&self, now: u64, established: bool) -> Result<Option<PoolSlot>, LimitError> {
        self.check()?;
        let mut pool = lock(&self.pool);
        let (all, new) = pool.entry(PoolCeiling::hour(now)).or_default();
        let full = |taken: u32, figure: u32| figure > 0 && taken >= figure;
        if full(*all, self.ceiling.per_hour) || (!established && full(*new, self.ceiling.new_numbers_per_hour)) {
            return Ok(None);
        }
        *all += 1;
        if !established {
            *new += 1;
        }
        Ok(Some(PoolSlot { shard: 0 }))
    }

    async fn give_back_prefix_budget(&self, prefix: &Prefix, now: u64) -> Result<(), LimitError> {
        self.check()?;
        let mut budgets = lock(&self.budgets);
        if let Some(taken) = budgets.get_mut(&(prefix.as_str().to_owned(), self.policy.budget_window(now))) {
            *taken = taken.saturating_sub(1);
        }
        Ok(())
    }

    async fn give_back_pool(&self, _slot: PoolSlot, now: u64, established: bool) -> Result<(), LimitError> {
        self.check()?;
        if let Some((all, new)) = lock(&self.pool).get_mut(&PoolCeiling::hour(now)) {
            *all = all.saturating_sub(1);
            if !established {
                *new = new.saturating_sub(1);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::PhoneNumber;

    use crate::testkit::NOW;

    fn policy() -> BreakerPolicy {
        EXAMPLE_POLICY
    }

    fn prefix(raw: &str) -> Area {
        Area::Prefix(Prefix::of(&PhoneNumber::parse(raw).expect("a number")))
    }

    #[tokio::test]
    async fn counts_roll_out_of_the_window() {
        let l = InMemoryPumpingLedger::new(policy());
        let p = prefix("+18765550100");
        for minute in 0..60 {
            l.record_send(&p, NOW + minute * 60).await.expect("counted");
        }
        l.record_correct(&p, NOW + 3540).await.expect("counted");
        let state = l.state(&p, NOW + 3599).await.expect("a state");
        assert!(state.window.sends >= 55 && state.window.sends <= 60, "{state:?}");
        assert_eq!(state.window.correct, 1);
        let later = l.state(&p, NOW + 7300).await.expect("a state");
        assert_eq!(later.window, WindowCounts::default(), "an hour after the last send, nothing is left");
        assert_eq!(l.state(&prefix("+18095550100"), NOW).await.expect("a state").window.sends, 0, "apart");
    }

    #[tokio::test]
    async fn a_pause_is_set_once_and_can_be_lifted() {
        let l = InMemoryPumpingLedger::new(policy());
        let p = prefix("+18765550100");
        assert_eq!(l.pause(&p, NOW, NOW + 1800).await, Ok(true));
        assert_eq!(l.pause(&p, NOW + 1, NOW + 1801).await, Ok(false), "already paused");
        let state = l.state(&p, NOW + 10).await.expect("a state");
        assert_eq!((state.paused_since, state.paused_until), (NOW, NOW + 1800));
        l.lift(&p);
        assert_eq!(l.state(&p, NOW + 10).await.expect("a state").paused_until, 0);
        assert_eq!(l.pause(&p, NOW + 3600, NOW + 5400).await, Ok(true), "a later trip pauses again");
    }

    #[tokio::test]
    async fn the_pool_ceiling_gives_never_signed_in_numbers_a_smaller_share() {
        let l = InMemoryPumpingLedger::with_ceiling(policy(), PoolCeiling { per_hour: 3, new_numbers_per_hour: 1 });
        let granted = |r: Result<Option<PoolSlot>, LimitError>| r.expect("asked").is_some();
        assert!(granted(l.take_pool(NOW, false).await));
        assert!(!granted(l.take_pool(NOW, false).await), "the new numbers' share");
        assert!(granted(l.take_pool(NOW, true).await), "established: the whole ceiling");
        assert!(granted(l.take_pool(NOW, true).await));
        assert!(!granted(l.take_pool(NOW, true).await), "the ceiling binds them too");
        assert_eq!(l.pool_taken(NOW), (3, 1));
        l.give_back_pool(PoolSlot { shard: 0 }, NOW, false).await.expect("given back");
        assert_eq!(l.pool_taken(NOW), (2, 0), "a new number's send given back frees both");
        assert!(granted(l.take_pool(NOW + 3600, false).await), "the next hour");
    }

    #[tokio::test]
    async fn a_prefix_budget_is_never_overshot_in_its_window() {
        let l = InMemoryPumpingLedger::new(BreakerPolicy { budget_per_window: 2, ..policy() });
        let p = Prefix::of(&PhoneNumber::parse("+18765550100").expect("a number"));
        let window_start = (NOW / 3600) * 3600;
        assert_eq!(l.take_prefix_budget(&p, window_start).await, Ok(Reservation::Granted));
        assert_eq!(l.take_prefix_budget(&p, window_start + 1).await, Ok(Reservation::Granted));
        assert_eq!(l.take_prefix_budget(&p, window_start + 2).await, Ok(Reservation::Refused));
        assert_eq!(l.take_prefix_budget(&p, window_start + 3600).await, Ok(Reservation::Granted));
    }
}
