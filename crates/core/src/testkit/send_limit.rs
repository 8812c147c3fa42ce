//! An in-memory [`SendLimiter`] for tests: the same counting as the DynamoDB table, in a map.

use std::collections::HashMap;
use std::sync::Mutex;

use super::lock;
use crate::phone::PhoneNumber;
use crate::send_limit::{
    LimitError, PerNumberLimits, RETRY_WINDOW_SECONDS, Reservation, RoundKey, SendLimiter, Window,
};

/// One number's sends on one day: the day's total and each hour's.
type DayCounts = (u32, [u32; 24]);

#[derive(Debug)]
pub struct InMemoryLimiter {
    limits: PerNumberLimits,
    /// (number, day since the epoch) -> that day's counts
    counts: Mutex<HashMap<(String, u64), DayCounts>>,
    /// Round key -> the end of its retry window.
    rounds: Mutex<HashMap<String, u64>>,
    failure: Mutex<Option<LimitError>>,
}

impl InMemoryLimiter {
    pub fn new(limits: PerNumberLimits) -> Self {
        Self { limits, counts: Mutex::default(), rounds: Mutex::default(), failure: Mutex::default() }
    }

    /// Every later reservation fails with `error`.
    pub fn fail_with(&self, error: LimitError) {
        *lock(&self.failure) = Some(error);
    }

    /// Slots taken for `to` on the day of `now`.
    pub fn sends_on_day(&self, to: &PhoneNumber, now: u64) -> u32 {
        let key = (to.expose().to_owned(), Window::at(now).day);
        lock(&self.counts).get(&key).map_or(0, |(day, _)| *day)
    }
}

impl InMemoryLimiter {
    fn check(&self) -> Result<(), LimitError> {
        lock(&self.failure).clone().map_or(Ok(()), Err)
    }
}

impl SendLimiter for InMemoryLimiter {
    async fn has_slot(&self, to: &PhoneNumber, now: u64) -> Result<bool, LimitError> {
        self.check()?;
        let window = Window::at(now);
        let counts = lock(&self.counts);
        let (day, hours) = counts.get(&(to.expose().to_owned(), window.day)).copied().unwrap_or((0, [0; 24]));
        Ok(day < self.limits.per_day && hours[usize::from(window.hour)] < self.limits.per_hour)
    }

    async fn first_call(&self, round: &RoundKey, now: u64) -> Result<bool, LimitError> {
        self.check()?;
        let mut rounds = lock(&self.rounds);
        let until = rounds.entry(round.as_str().to_owned()).or_insert(0);
        if *until > now {
            return Ok(false);
        }
        *until = now + RETRY_WINDOW_SECONDS;
        Ok(true)
    }

    async fn release(&self, round: &RoundKey, _now: u64) -> Result<(), LimitError> {
        self.check()?;
        lock(&self.rounds).remove(round.as_str());
        Ok(())
    }

    async fn reserve(&self, to: &PhoneNumber, now: u64) -> Result<Reservation, LimitError> {
        self.check()?;
        let window = Window::at(now);
        let mut counts = lock(&self.counts);
        let (day, hours) = counts.entry((to.expose().to_owned(), window.day)).or_insert((0, [0; 24]));
        let hour = &mut hours[usize::from(window.hour)];
        if *day >= self.limits.per_day || *hour >= self.limits.per_hour {
            return Ok(Reservation::Refused);
        }
        *day += 1;
        *hour += 1;
        Ok(Reservation::Granted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOON: u64 = 1_763_683_200 + 12 * 3_600;

    fn phone(raw: &str) -> PhoneNumber {
        PhoneNumber::parse(raw).expect("a valid number")
    }

    async fn granted(limiter: &InMemoryLimiter, to: &PhoneNumber, now: u64) -> bool {
        limiter.reserve(to, now).await == Ok(Reservation::Granted)
    }

    #[tokio::test]
    async fn an_hour_allows_per_hour_and_a_day_allows_per_day() {
        let limiter = InMemoryLimiter::new(PerNumberLimits { per_hour: 2, per_day: 3 });
        let a = phone("+15555550100");
        assert!(granted(&limiter, &a, NOON).await);
        assert!(granted(&limiter, &a, NOON + 10).await);
        assert!(!granted(&limiter, &a, NOON + 20).await, "third in the hour");
        assert!(granted(&limiter, &a, NOON + 3_600).await, "the next hour");
        assert!(!granted(&limiter, &a, NOON + 2 * 3_600).await, "fourth in the day");
        assert!(granted(&limiter, &a, NOON + 86_400).await, "the next day");
        assert_eq!(limiter.sends_on_day(&a, NOON), 3, "refusals take no slot");
        assert!(granted(&limiter, &phone("+15555550101"), NOON + 30).await, "numbers are counted apart");
    }

    #[tokio::test]
    async fn a_broken_store_is_an_error_not_a_grant() {
        let limiter = InMemoryLimiter::new(PerNumberLimits { per_hour: 5, per_day: 10 });
        limiter.fail_with(LimitError::Unreachable);
        assert_eq!(limiter.reserve(&phone("+15555550100"), NOON).await, Err(LimitError::Unreachable));
    }
}
