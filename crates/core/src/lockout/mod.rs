//! Wrong answers per phone number across sign-ins, and the lock they lead to.
//!
//! One sign-in allows `MAX_ATTEMPTS` wrong answers ([`crate::challenge::Limits`]), but an
//! attacker can always start another sign-in. So every wrong answer for a number is also counted
//! here, across all of its sign-ins: after `MAX_FAILED_ANSWERS_PER_NUMBER` of them in a row, the
//! number is *locked* for `LOCKOUT_SECONDS`. While it is locked, verify accepts no answer for it
//! (not even the right code of a round that was sent before the lock) and create sends it no SMS
//! (its rounds look like any other and are never winnable). A correct answer, outside a lock,
//! resets the count, so a user who gets the code right is never locked out by their own typos.
//!
//! Test numbers are counted too, and so are numbers the pool does not have: the lock must not
//! tell a registered number from an unknown one.
//!
//! The count lives beside the per-number SMS counts ([`crate::send_limit`]), in the same store:
//! [`dynamodb::DynamoDbLockout`] in production (one atomic conditional write per answer),
//! `testkit::lockout::InMemoryLockout` in tests. A store that cannot be asked fails the round closed.

#[cfg(feature = "aws")]
pub mod dynamodb;

use std::future::Future;

use crate::phone::PhoneNumber;
use crate::send_limit::LimitError;

/// How many consecutive wrong answers lock a number, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// `MAX_FAILED_ANSWERS_PER_NUMBER`: the wrong answer that reaches this count sets the lock.
    pub max_failed_answers: u32,
    /// `LOCKOUT_SECONDS`: how long the lock lasts from the answer that set it.
    pub lockout_seconds: u64,
}

impl LockoutPolicy {
    /// Whether a number whose count has just reached `failures` is to be locked now.
    pub fn locks_at(&self, failures: u32) -> bool {
        failures >= self.max_failed_answers
    }

    /// When a lock set at `now` ends.
    pub fn locked_until(&self, now: u64) -> u64 {
        now.saturating_add(self.lockout_seconds)
    }
}

/// How long the store keeps a count that no answer touches, after which it may forget it
/// (DynamoDB's TTL; a correct answer resets it anyway). Thirty days: long enough that a slow
/// spray of a few guesses a day still adds up to a lock, short enough that the table stays small.
pub const FORGET_COUNT_AFTER_SECONDS: u64 = 30 * 86_400;

/// What counting a wrong answer came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrongAnswer {
    /// Counted; the number now has this many wrong answers in a row.
    Counted(u32),
    /// This answer reached the limit: the number is locked from now on.
    LockedNow,
    /// The number was already locked; the answer was not counted.
    AlreadyLocked,
}

/// Whether a number may be answered for (or sent a code) right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    Open,
    Locked,
}

/// A store of wrong answers per number. Every method is one atomic operation on the store:
/// concurrent sign-ins for one number can neither lose a count nor slip an answer past a lock.
pub trait AnswerLedger: Send + Sync {
    /// Whether `number` is locked at `now` (create asks before it sends).
    fn lock_state(&self, number: &PhoneNumber, now: u64) -> impl Future<Output = Result<Lock, LimitError>> + Send;

    /// Counts one wrong answer for `number`, and sets the lock when it reaches the limit.
    fn record_wrong(
        &self,
        number: &PhoneNumber,
        now: u64,
    ) -> impl Future<Output = Result<WrongAnswer, LimitError>> + Send;

    /// A correct answer for `number`: resets its count and answers [`Lock::Open`], unless the
    /// number is locked, in which case nothing changes and the answer must be refused.
    fn record_correct(&self, number: &PhoneNumber, now: u64) -> impl Future<Output = Result<Lock, LimitError>> + Send;
}

/// No count across sign-ins (`SEND_LIMIT_TABLE` empty): never locked.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLockout;

impl AnswerLedger for NoLockout {
    async fn lock_state(&self, _number: &PhoneNumber, _now: u64) -> Result<Lock, LimitError> {
        Ok(Lock::Open)
    }

    async fn record_wrong(&self, _number: &PhoneNumber, _now: u64) -> Result<WrongAnswer, LimitError> {
        Ok(WrongAnswer::Counted(0))
    }

    async fn record_correct(&self, _number: &PhoneNumber, _now: u64) -> Result<Lock, LimitError> {
        Ok(Lock::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_that_reaches_the_limit_locks() {
        let policy = LockoutPolicy { max_failed_answers: 3, lockout_seconds: 600 };
        assert!(!policy.locks_at(2));
        assert!(policy.locks_at(3));
        assert!(policy.locks_at(4), "a count past the limit (a race) still locks");
        assert_eq!(policy.locked_until(1_000), 1_600);
        assert_eq!(policy.locked_until(u64::MAX), u64::MAX);
    }
}
