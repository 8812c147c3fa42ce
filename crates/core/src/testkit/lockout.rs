//! An in-memory [`AnswerLedger`] for tests: the rules of [`Record`], in a map, under a lock.

use std::collections::HashMap;
use std::sync::Mutex;

use super::lock;
use crate::lockout::{AnswerId, AnswerLedger, CorrectAnswer, LockoutPolicy, Record, Standing, WrongAnswer};
use crate::phone::PhoneNumber;
use crate::send_limit::LimitError;

#[derive(Debug)]
pub struct InMemoryLockout {
    policy: LockoutPolicy,
    records: Mutex<HashMap<String, Record>>,
    failure: Mutex<Option<LimitError>>,
    /// Keys [`AnswerLedger::pretend`] was asked about.
    pretended: Mutex<Vec<String>>,
}

impl InMemoryLockout {
    pub fn new(policy: LockoutPolicy) -> Self {
        Self { policy, records: Mutex::default(), failure: Mutex::default(), pretended: Mutex::default() }
    }

    /// Every later call fails with `error`.
    pub fn fail_with(&self, error: LimitError) {
        *lock(&self.failure) = Some(error);
    }

    /// Locks `number` until `until`, as if its wrong answers had reached the limit.
    pub fn lock_until(&self, number: &PhoneNumber, until: u64) {
        let mut records = lock(&self.records);
        let record = records.entry(number.expose().to_owned()).or_default();
        record.failures = self.policy.max_failed_answers;
        record.last_wrong_at = Some(until.saturating_sub(self.policy.lockout_seconds));
    }

    /// Marks `number` established at `at`, as if it had answered a code correctly then.
    pub fn establish(&self, number: &PhoneNumber, at: u64) {
        lock(&self.records).entry(number.expose().to_owned()).or_default().established_at = Some(at);
    }

    /// Sets `number`'s record as a store written by an earlier version might hold it.
    pub fn set(&self, number: &PhoneNumber, record: Record) {
        lock(&self.records).insert(number.expose().to_owned(), record);
    }

    /// Wrong answers in a row counted for `number`.
    pub fn failures(&self, number: &PhoneNumber) -> u32 {
        self.record(number).failures
    }

    /// `number`'s record as it stands.
    pub fn record(&self, number: &PhoneNumber) -> Record {
        lock(&self.records).get(number.expose()).cloned().unwrap_or_default()
    }

    /// How many answers were not counted but pretended.
    pub fn pretended(&self) -> usize {
        lock(&self.pretended).len()
    }

    fn check(&self) -> Result<(), LimitError> {
        lock(&self.failure).clone().map_or(Ok(()), Err)
    }

    fn change<T>(&self, number: &PhoneNumber, f: impl FnOnce(&mut Record) -> T) -> Result<T, LimitError> {
        self.check()?;
        Ok(f(lock(&self.records).entry(number.expose().to_owned()).or_default()))
    }
}

impl AnswerLedger for InMemoryLockout {
    async fn standing(&self, number: &PhoneNumber, now: u64) -> Result<Standing, LimitError> {
        self.check()?;
        Ok(self.policy.standing(&self.record(number), now))
    }

    async fn record_wrong(
        &self,
        number: &PhoneNumber,
        id: Option<&AnswerId>,
        now: u64,
    ) -> Result<WrongAnswer, LimitError> {
        self.change(number, |record| record.on_wrong(&self.policy, id, now))
    }

    async fn record_correct(&self, number: &PhoneNumber, now: u64) -> Result<CorrectAnswer, LimitError> {
        self.change(number, |record| record.on_correct(&self.policy, now))
    }

    async fn pretend(&self, key: &str) -> Result<(), LimitError> {
        self.check()?;
        lock(&self.pretended).push(key.to_owned());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::Nonce;
    use crate::lockout::Lock;
    use crate::testkit::NOW;

    fn phone(raw: &str) -> PhoneNumber {
        PhoneNumber::parse(raw).expect("a valid number")
    }

    fn ledger() -> InMemoryLockout {
        InMemoryLockout::new(LockoutPolicy { max_failed_answers: 3, lockout_seconds: 600 })
    }

    fn id(n: u64) -> AnswerId {
        AnswerId::of(&Nonce::from_counter(n), "000000")
    }

    #[tokio::test]
    async fn the_third_wrong_answer_in_a_row_locks_for_the_lockout() {
        let l = ledger();
        let a = phone("+15555550100");
        assert_eq!(l.record_wrong(&a, Some(&id(1)), NOW).await, Ok(WrongAnswer::Counted(1)));
        assert_eq!(l.record_wrong(&a, Some(&id(2)), NOW + 1).await, Ok(WrongAnswer::Counted(2)));
        assert_eq!(l.record_wrong(&a, Some(&id(3)), NOW + 2).await, Ok(WrongAnswer::LockedNow));
        assert_eq!(l.standing(&a, NOW + 2).await.map(|s| s.lock), Ok(Lock::Locked));
        assert_eq!(l.record_wrong(&a, Some(&id(4)), NOW + 3).await, Ok(WrongAnswer::AlreadyLocked));
        assert_eq!(l.record_correct(&a, NOW + 601).await, Ok(CorrectAnswer::Locked), "one second before the end");
        assert_eq!(l.standing(&a, NOW + 602).await.map(|s| s.lock), Ok(Lock::Open));
        assert_eq!(l.record_wrong(&a, Some(&id(5)), NOW + 603).await, Ok(WrongAnswer::Counted(1)));
        assert_eq!(l.standing(&phone("+15555550101"), NOW + 2).await, Ok(Standing::NEW), "numbers are apart");
    }

    #[tokio::test]
    async fn a_correct_answer_resets_the_count_and_establishes() {
        let l = ledger();
        let a = phone("+15555550100");
        for round in 0..9 {
            assert_eq!(l.record_wrong(&a, Some(&id(round * 2)), NOW + round).await, Ok(WrongAnswer::Counted(1)));
            assert_eq!(l.record_wrong(&a, Some(&id(round * 2 + 1)), NOW + round).await, Ok(WrongAnswer::Counted(2)));
            let first = round == 0;
            assert_eq!(l.record_correct(&a, NOW + round).await, Ok(CorrectAnswer::Accepted { first }));
        }
        assert_eq!(l.failures(&a), 0);
        assert_eq!(l.standing(&a, NOW + 10).await.map(|s| s.established_at), Ok(Some(NOW)));
    }

    #[tokio::test]
    async fn a_broken_store_is_an_error() {
        let l = ledger();
        l.fail_with(LimitError::Unreachable);
        let a = phone("+15555550100");
        assert_eq!(l.record_correct(&a, NOW).await, Err(LimitError::Unreachable));
        assert_eq!(l.record_wrong(&a, None, NOW).await, Err(LimitError::Unreachable));
        assert_eq!(l.standing(&a, NOW).await, Err(LimitError::Unreachable));
        assert_eq!(l.pretend("+15555550100").await, Err(LimitError::Unreachable));
    }
}
