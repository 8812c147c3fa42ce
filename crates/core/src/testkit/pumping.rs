//! An in-memory [`PrefixLedger`] for tests: the same buckets and pauses as the DynamoDB items.

use std::collections::HashMap;
use std::sync::Mutex;

use super::lock;
use crate::pumping::{BreakerPolicy, Prefix, PrefixLedger, PrefixState, WindowCounts};
use crate::send_limit::LimitError;

/// A breaker policy for tests: trips at 20 codes in an hour with under 10% answered, pauses 30
/// minutes, no budget.
pub const EXAMPLE_POLICY: BreakerPolicy = BreakerPolicy {
    min_sends: 20,
    min_conversion_percent: 10,
    pause_seconds: 1800,
    window_seconds: 3600,
    budget_per_window: 0,
};

#[derive(Debug)]
pub struct InMemoryPrefixLedger {
    policy: BreakerPolicy,
    /// (prefix, bucket) -> that bucket's counts
    buckets: Mutex<HashMap<(String, u64), WindowCounts>>,
    paused_until: Mutex<HashMap<String, u64>>,
    failure: Mutex<Option<LimitError>>,
}

impl InMemoryPrefixLedger {
    pub fn new(policy: BreakerPolicy) -> Self {
        Self { policy, buckets: Mutex::default(), paused_until: Mutex::default(), failure: Mutex::default() }
    }

    /// Every later call fails with `error`.
    pub fn fail_with(&self, error: LimitError) {
        *lock(&self.failure) = Some(error);
    }

    /// What an operator does to lift a pause: forget it.
    pub fn lift(&self, prefix: &Prefix) {
        lock(&self.paused_until).remove(prefix.as_str());
    }

    fn check(&self) -> Result<(), LimitError> {
        lock(&self.failure).clone().map_or(Ok(()), Err)
    }

    fn add(&self, prefix: &Prefix, now: u64, f: impl FnOnce(&mut WindowCounts)) -> Result<(), LimitError> {
        self.check()?;
        f(lock(&self.buckets).entry((prefix.as_str().to_owned(), self.policy.bucket(now))).or_default());
        Ok(())
    }
}

impl PrefixLedger for InMemoryPrefixLedger {
    async fn state(&self, prefix: &Prefix, now: u64) -> Result<PrefixState, LimitError> {
        self.check()?;
        let buckets = lock(&self.buckets);
        let window = self.policy.window(now).fold(WindowCounts::default(), |sum, bucket| {
            let counts = buckets.get(&(prefix.as_str().to_owned(), bucket)).copied().unwrap_or_default();
            WindowCounts { sends: sum.sends + counts.sends, correct: sum.correct + counts.correct }
        });
        let paused_until = lock(&self.paused_until).get(prefix.as_str()).copied().unwrap_or(0);
        Ok(PrefixState { paused_until, window })
    }

    async fn record_send(&self, prefix: &Prefix, now: u64) -> Result<(), LimitError> {
        self.add(prefix, now, |c| c.sends += 1)
    }

    async fn record_correct(&self, prefix: &Prefix, now: u64) -> Result<(), LimitError> {
        self.add(prefix, now, |c| c.correct += 1)
    }

    async fn pause(&self, prefix: &Prefix, now: u64, until: u64) -> Result<bool, LimitError> {
        self.check()?;
        let mut paused = lock(&self.paused_until);
        let current = paused.entry(prefix.as_str().to_owned()).or_insert(0);
        if *current > now {
            return Ok(false);
        }
        *current = until;
        Ok(true)
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

    fn prefix(raw: &str) -> Prefix {
        Prefix::of(&PhoneNumber::parse(raw).expect("a number"))
    }

    #[tokio::test]
    async fn counts_roll_out_of_the_window() {
        let l = InMemoryPrefixLedger::new(policy());
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
        let l = InMemoryPrefixLedger::new(policy());
        let p = prefix("+18765550100");
        assert_eq!(l.pause(&p, NOW, NOW + 1800).await, Ok(true));
        assert_eq!(l.pause(&p, NOW + 1, NOW + 1801).await, Ok(false), "already paused");
        assert_eq!(l.state(&p, NOW + 10).await.expect("a state").paused_until, NOW + 1800);
        l.lift(&p);
        assert_eq!(l.state(&p, NOW + 10).await.expect("a state").paused_until, 0);
        assert_eq!(l.pause(&p, NOW + 3600, NOW + 5400).await, Ok(true), "a later trip pauses again");
    }
}
