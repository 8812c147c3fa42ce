//! An in-memory [`AnswerLedger`] for tests: the same rules as the DynamoDB item, in a map.

use std::collections::HashMap;
use std::sync::Mutex;

use super::lock;
use crate::lockout::{AnswerLedger, Lock, LockoutPolicy, WrongAnswer};
use crate::phone::PhoneNumber;
use crate::send_limit::LimitError;

/// One number's record: wrong answers in a row, and the end of its lock (0: never locked).
#[derive(Debug, Clone, Copy, Default)]
struct Record {
    failures: u32,
    locked_until: u64,
}

#[derive(Debug)]
pub struct InMemoryLockout {
    policy: LockoutPolicy,
    records: Mutex<HashMap<String, Record>>,
    failure: Mutex<Option<LimitError>>,
}

impl InMemoryLockout {
    pub fn new(policy: LockoutPolicy) -> Self {
        Self { policy, records: Mutex::default(), failure: Mutex::default() }
    }

    /// Every later call fails with `error`.
    pub fn fail_with(&self, error: LimitError) {
        *lock(&self.failure) = Some(error);
    }

    /// Locks `number` until `until`, as if its wrong answers had reached the limit.
    pub fn lock_until(&self, number: &PhoneNumber, until: u64) {
        lock(&self.records).insert(number.expose().to_owned(), Record { failures: 0, locked_until: until });
    }

    /// Wrong answers in a row counted for `number`.
    pub fn failures(&self, number: &PhoneNumber) -> u32 {
        lock(&self.records).get(number.expose()).map_or(0, |r| r.failures)
    }

    fn check(&self) -> Result<(), LimitError> {
        lock(&self.failure).clone().map_or(Ok(()), Err)
    }
}

impl AnswerLedger for InMemoryLockout {
    async fn lock_state(&self, number: &PhoneNumber, now: u64) -> Result<Lock, LimitError> {
        self.check()?;
        let locked = lock(&self.records).get(number.expose()).is_some_and(|r| r.locked_until > now);
        Ok(if locked { Lock::Locked } else { Lock::Open })
    }

    async fn record_wrong(&self, number: &PhoneNumber, now: u64) -> Result<WrongAnswer, LimitError> {
        self.check()?;
        let mut records = lock(&self.records);
        let record = records.entry(number.expose().to_owned()).or_default();
        if record.locked_until > now {
            return Ok(WrongAnswer::AlreadyLocked);
        }
        record.failures = record.failures.saturating_add(1);
        if self.policy.locks_at(record.failures) {
            *record = Record { failures: 0, locked_until: self.policy.locked_until(now) };
            return Ok(WrongAnswer::LockedNow);
        }
        Ok(WrongAnswer::Counted(record.failures))
    }

    async fn record_correct(&self, number: &PhoneNumber, now: u64) -> Result<Lock, LimitError> {
        self.check()?;
        let mut records = lock(&self.records);
        if records.get(number.expose()).is_some_and(|r| r.locked_until > now) {
            return Ok(Lock::Locked);
        }
        records.remove(number.expose());
        Ok(Lock::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testkit::NOW;

    fn phone(raw: &str) -> PhoneNumber {
        PhoneNumber::parse(raw).expect("a valid number")
    }

    fn ledger() -> InMemoryLockout {
        InMemoryLockout::new(LockoutPolicy { max_failed_answers: 3, lockout_seconds: 600 })
    }

    #[tokio::test]
    async fn the_third_wrong_answer_in_a_row_locks_for_the_lockout() {
        let l = ledger();
        let a = phone("+15555550100");
        assert_eq!(l.record_wrong(&a, NOW).await, Ok(WrongAnswer::Counted(1)));
        assert_eq!(l.record_wrong(&a, NOW + 1).await, Ok(WrongAnswer::Counted(2)));
        assert_eq!(l.record_wrong(&a, NOW + 2).await, Ok(WrongAnswer::LockedNow));
        assert_eq!(l.lock_state(&a, NOW + 2).await, Ok(Lock::Locked));
        assert_eq!(l.record_wrong(&a, NOW + 3).await, Ok(WrongAnswer::AlreadyLocked));
        assert_eq!(l.record_correct(&a, NOW + 601).await, Ok(Lock::Locked), "one second before the end");
        assert_eq!(l.lock_state(&a, NOW + 602).await, Ok(Lock::Open));
        // After the lock the count starts again from nothing.
        assert_eq!(l.record_wrong(&a, NOW + 603).await, Ok(WrongAnswer::Counted(1)));
        assert_eq!(l.lock_state(&phone("+15555550101"), NOW + 2).await, Ok(Lock::Open), "numbers are apart");
    }

    #[tokio::test]
    async fn a_correct_answer_resets_the_count() {
        let l = ledger();
        let a = phone("+15555550100");
        for round in 0..9 {
            assert_eq!(l.record_wrong(&a, NOW + round).await, Ok(WrongAnswer::Counted(1)));
            assert_eq!(l.record_wrong(&a, NOW + round).await, Ok(WrongAnswer::Counted(2)));
            assert_eq!(l.record_correct(&a, NOW + round).await, Ok(Lock::Open));
        }
        assert_eq!(l.failures(&a), 0);
    }

    #[tokio::test]
    async fn a_broken_store_is_an_error() {
        let l = ledger();
        l.fail_with(LimitError::Unreachable);
        let a = phone("+15555550100");
        assert_eq!(l.record_correct(&a, NOW).await, Err(LimitError::Unreachable));
        assert_eq!(l.record_wrong(&a, NOW).await, Err(LimitError::Unreachable));
        assert_eq!(l.lock_state(&a, NOW).await, Err(LimitError::Unreachable));
    }
}
