//! Wrong answers per phone number across sign-ins, the lock they lead to, and whether a number is
//! *established* (has answered a code correctly).
//!
//! One sign-in allows `MAX_ATTEMPTS` wrong answers ([`crate::challenge::Limits`]), but an
//! attacker can always start another sign-in. So every wrong answer for a number is also counted
//! here, across all of its sign-ins. A count of `MAX_FAILED_ANSWERS_PER_NUMBER` in a row *is* the
//! lock: it lasts `LOCKOUT_SECONDS` from the wrong answer that reached it (each counted answer
//! records its time in the same write), so the answer that reaches the limit locks the number in
//! the one write that counts it. No answer is ever judged between counting and locking, and a
//! failed or slow write leaves the number either unchanged or locked, never at the limit unlocked.
//! While it is locked, verify accepts no answer for it (not even the right code of a round sent
//! before the lock) and create sends it no SMS (its rounds look like any other, take no SMS slot
//! and are never winnable). When the lock ends, the next wrong answer starts a new count. A
//! correct answer, outside a lock, resets the count, so a user who gets the code right is never
//! locked out by their own typos.
//!
//! Only answers to rounds whose code was *delivered* are counted: a round whose code went nowhere
//! (an unknown user, a locked number, a limit, a pause) can never be won, so its answers are no
//! guess at anything, and counting them would let an attacker keep an owner locked out for free.
//! Verify still makes one read of the same item for such an answer ([`AnswerLedger::pretend`]), so
//! counted and uncounted answers take the same time, and nothing tells an attacker which rounds
//! were delivered: a locked or unknown number's round looks like any other (see
//! [`crate::triggers::create`]).
//!
//! A retried verify (Cognito calls the trigger again when it did not answer in time) carries the
//! same answer to the same round: each counted answer is remembered by an [`AnswerId`] (a digest
//! of the round's [`Nonce`] and the answer) in the same write, and a repeat is not counted again.
//!
//! The first correct answer also marks the number *established*, in the same write as the reset:
//! the SMS pumping defences ([`crate::pumping`]) never pause an established number's codes.
//!
//! The record lives beside the per-number SMS counts ([`crate::send_limit`]), in the same store:
//! [`dynamodb::DynamoDbLockout`] in production (one conditional write per answer),
//! `testkit::lockout::InMemoryLockout` in tests, both following the rules of [`Record`]. A store
//! that cannot be asked fails the round closed.
//!
//! Records of the earlier version read the same way: its lock (`lockedUntil`, with the count
//! zeroed) still locks until its end, and a count it left at the limit without a lock (its lock
//! was a second write, which could fail) is locked from its last answer, dated by its TTL
//! ([`EARLIER_FORGET_AFTER_SECONDS`]).

#[cfg(feature = "aws")]
pub mod dynamodb;

use std::collections::BTreeSet;
use std::fmt;
use std::future::Future;

use crate::code::Nonce;
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
    /// When the lock of `record`'s count ends if the count is at the limit: `LOCKOUT_SECONDS`
    /// after the wrong answer that reached it. A count the earlier version left at the limit has
    /// no such time: its last answer is dated from its TTL, which that version set
    /// [`EARLIER_FORGET_AFTER_SECONDS`] after each answer.
    pub fn lock_ends(&self, record: &Record) -> u64 {
        let last = record
            .last_wrong_at
            .or_else(|| record.expires_at.map(|t| t.saturating_sub(EARLIER_FORGET_AFTER_SECONDS)))
            .unwrap_or(0);
        last.saturating_add(self.lockout_seconds)
    }

    /// Whether `record`'s number is locked at `now`: its count is at the limit and the lock has
    /// not ended, or a lock of the earlier version runs.
    pub fn is_locked(&self, record: &Record, now: u64) -> bool {
        record.locked_until > now || (record.failures >= self.max_failed_answers && self.lock_ends(record) > now)
    }

    /// What `record` says of its number at `now`.
    pub fn standing(&self, record: &Record, now: u64) -> Standing {
        let lock = if self.is_locked(record, now) { Lock::Locked } else { Lock::Open };
        Standing { lock, established_at: record.established_at }
    }
}

/// How long the store keeps a number's record after its last answer (DynamoDB's TTL). Thirteen
/// months: an established number stays established through a year of not signing in, and a
/// slow spray of a few guesses a month still adds up to a lock.
pub const FORGET_AFTER_SECONDS: u64 = 400 * 86_400;

/// How long the earlier version kept a count after its last answer (its TTL): how a count it left
/// at the limit is dated ([`LockoutPolicy::lock_ends`]).
pub const EARLIER_FORGET_AFTER_SECONDS: u64 = 30 * 86_400;

/// One counted answer, told apart from every other: a digest of its round's [`Nonce`] (fresh for
/// every round create makes) and the answer. Stored instead of the answer itself; without the
/// nonce, which only Cognito and the triggers see, it says nothing about the answer.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AnswerId(String);

impl AnswerId {
    /// The id of `answer` (trimmed, as it is judged) to the round of `nonce`.
    pub fn of(nonce: &Nonce, answer: &str) -> Self {
        use sha2::Digest;
        let mut hash = sha2::Sha256::new();
        hash.update(nonce.as_str().as_bytes());
        hash.update([0]);
        hash.update(answer.trim().as_bytes());
        let digest = hash.finalize();
        Self(digest[..16].iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AnswerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AnswerId({})", self.0)
    }
}

/// What counting a wrong answer came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrongAnswer {
    /// Counted; the number now has this many wrong answers in a row.
    Counted(u32),
    /// This answer reached the limit: the number is locked from now on.
    LockedNow,
    /// The number was already locked; the answer was not counted.
    AlreadyLocked,
    /// The same answer to the same round was counted before (a retried verify): not again.
    Duplicate,
}

/// What a correct answer came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrectAnswer {
    /// The count is reset and the answer stands; `first` when it is the number's first correct
    /// answer (it is established from now on).
    Accepted { first: bool },
    /// The number is locked: nothing changes, and the answer is refused.
    Locked,
}

/// Whether a number may be answered for (or sent a code) right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    Open,
    Locked,
}

/// What the store knows of a number before a send: its lock, and since when it is established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub lock: Lock,
    /// When the number first answered a code correctly (Unix seconds); `None`: never.
    pub established_at: Option<u64>,
}

impl Standing {
    /// A number never seen: open, never established.
    pub const NEW: Standing = Standing { lock: Lock::Open, established_at: None };

    pub fn is_established(&self) -> bool {
        self.established_at.is_some()
    }
}

/// One number's record, as the store keeps it, and the rules every store follows for it. The
/// DynamoDB item has these fields (see [`dynamodb`]) and makes each change in one conditional
/// write; the in-memory store applies these functions under a lock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// Wrong answers in a row since the last correct answer (or since the last lock ended); at
    /// the limit, the number is locked until [`LockoutPolicy::lock_ends`].
    pub failures: u32,
    /// When the last counted wrong answer came.
    pub last_wrong_at: Option<u64>,
    /// The earlier version's lock (`lockedUntil`): read, never written; 0: none.
    pub locked_until: u64,
    /// When the store may forget the record (its TTL): dates a count the earlier version left at
    /// the limit.
    pub expires_at: Option<u64>,
    /// The answers counted since the last reset, so a repeat is not counted again.
    pub answers: BTreeSet<AnswerId>,
    /// The first correct answer.
    pub established_at: Option<u64>,
}

impl Record {
    /// A wrong answer at `now` (`id`: `None` for a round made before rounds had a nonce, which
    /// is counted every time).
    pub fn on_wrong(&mut self, policy: &LockoutPolicy, id: Option<&AnswerId>, now: u64) -> WrongAnswer {
        if id.is_some_and(|id| self.answers.contains(id)) {
            return WrongAnswer::Duplicate;
        }
        if policy.is_locked(self, now) {
            return WrongAnswer::AlreadyLocked;
        }
        if self.failures >= policy.max_failed_answers {
            // The lock has ended: this answer starts a new count.
            self.failures = 0;
            self.answers.clear();
        }
        self.failures += 1;
        self.answers.extend(id.cloned());
        self.last_wrong_at = Some(now);
        self.expires_at = Some(now.saturating_add(FORGET_AFTER_SECONDS));
        if self.failures >= policy.max_failed_answers {
            WrongAnswer::LockedNow
        } else {
            WrongAnswer::Counted(self.failures)
        }
    }

    /// A correct answer at `now`: refused while locked (a count at the limit included), otherwise
    /// the reset.
    pub fn on_correct(&mut self, policy: &LockoutPolicy, now: u64) -> CorrectAnswer {
        if policy.is_locked(self, now) {
            return CorrectAnswer::Locked;
        }
        let first = self.established_at.is_none();
        self.failures = 0;
        self.answers.clear();
        self.established_at.get_or_insert(now);
        self.expires_at = Some(now.saturating_add(FORGET_AFTER_SECONDS));
        CorrectAnswer::Accepted { first }
    }
}

/// A store of answers per number. Every change is one atomic operation on the store: concurrent
/// sign-ins for one number can neither lose a count, nor count one answer twice, nor slip an
/// answer past a lock.
pub trait AnswerLedger: Send + Sync {
    /// What the store knows of `number` at `now` (create asks before it sends).
    fn standing(&self, number: &PhoneNumber, now: u64) -> impl Future<Output = Result<Standing, LimitError>> + Send;

    /// Counts one wrong answer for `number` ([`Record::on_wrong`]).
    fn record_wrong(
        &self,
        number: &PhoneNumber,
        id: Option<&AnswerId>,
        now: u64,
    ) -> impl Future<Output = Result<WrongAnswer, LimitError>> + Send;

    /// A correct answer for `number` ([`Record::on_correct`]).
    fn record_correct(
        &self,
        number: &PhoneNumber,
        now: u64,
    ) -> impl Future<Output = Result<CorrectAnswer, LimitError>> + Send;

    /// For an answer nothing is counted for (a round whose code was never delivered): the same
    /// kind of call to the store as counting one, keyed on what the client typed (`key`), and
    /// nothing changed, so both take the same time.
    fn pretend(&self, key: &str) -> impl Future<Output = Result<(), LimitError>> + Send;
}

/// No count across sign-ins (`SEND_LIMIT_TABLE` empty): never locked, never established.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLockout;

impl AnswerLedger for NoLockout {
    async fn standing(&self, _number: &PhoneNumber, _now: u64) -> Result<Standing, LimitError> {
        Ok(Standing::NEW)
    }

    async fn record_wrong(&self, _: &PhoneNumber, _: Option<&AnswerId>, _: u64) -> Result<WrongAnswer, LimitError> {
        Ok(WrongAnswer::Counted(0))
    }

    async fn record_correct(&self, _number: &PhoneNumber, _now: u64) -> Result<CorrectAnswer, LimitError> {
        Ok(CorrectAnswer::Accepted { first: false })
    }

    async fn pretend(&self, _key: &str) -> Result<(), LimitError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: LockoutPolicy = LockoutPolicy { max_failed_answers: 3, lockout_seconds: 600 };
    const NOW: u64 = 1_763_700_000;

    fn id(n: u32) -> AnswerId {
        AnswerId::of(&Nonce::from_counter(u64::from(n)), "000000")
    }

    #[test]
    fn the_answer_that_reaches_the_limit_is_the_lock() {
        let mut r = Record::default();
        assert_eq!(r.on_wrong(&POLICY, Some(&id(1)), NOW), WrongAnswer::Counted(1));
        assert_eq!(r.on_wrong(&POLICY, Some(&id(2)), NOW), WrongAnswer::Counted(2));
        assert_eq!(r.on_wrong(&POLICY, Some(&id(3)), NOW + 10), WrongAnswer::LockedNow);
        assert_eq!((r.failures, r.last_wrong_at), (3, Some(NOW + 10)), "the count at the limit, and when");
        assert_eq!(POLICY.lock_ends(&r), NOW + 610);
        assert_eq!(POLICY.standing(&r, NOW + 609).lock, Lock::Locked);
        assert_eq!(r.on_wrong(&POLICY, Some(&id(4)), NOW + 11), WrongAnswer::AlreadyLocked);
        assert_eq!(r.on_correct(&POLICY, NOW + 609), CorrectAnswer::Locked, "not even the right code");
        assert_eq!(r.failures, 3, "nothing changed while locked");
        assert_eq!(POLICY.standing(&r, NOW + 610).lock, Lock::Open);
        assert_eq!(r.on_wrong(&POLICY, Some(&id(5)), NOW + 610), WrongAnswer::Counted(1), "a new count");
    }

    #[test]
    fn after_a_lock_ends_a_correct_answer_resets() {
        let mut r = Record::default();
        for n in 1..=3 {
            r.on_wrong(&POLICY, Some(&id(n)), NOW);
        }
        assert_eq!(r.on_correct(&POLICY, NOW + 600), CorrectAnswer::Accepted { first: true });
        assert_eq!((r.failures, r.answers.len()), (0, 0));
    }

    #[test]
    fn a_lower_limit_locks_counts_already_past_it_only_until_their_last_answer_s_lock_ends() {
        let mut r = Record::default();
        for n in 1..=4 {
            r.on_wrong(&LockoutPolicy { max_failed_answers: 10, ..POLICY }, Some(&id(n)), NOW);
        }
        assert_eq!(POLICY.standing(&r, NOW + 599).lock, Lock::Locked, "4 of a limit lowered to 3");
        assert_eq!(POLICY.standing(&r, NOW + 600).lock, Lock::Open, "...with the end it would have had");
    }

    #[test]
    fn a_repeated_answer_to_the_same_round_counts_once_but_another_answer_counts() {
        let mut r = Record::default();
        let nonce = Nonce::from_counter(7);
        let first = AnswerId::of(&nonce, "111111");
        assert_eq!(r.on_wrong(&POLICY, Some(&first), NOW), WrongAnswer::Counted(1));
        assert_eq!(r.on_wrong(&POLICY, Some(&AnswerId::of(&nonce, " 111111\n")), NOW), WrongAnswer::Duplicate);
        assert_eq!(r.on_wrong(&POLICY, Some(&AnswerId::of(&nonce, "222222")), NOW), WrongAnswer::Counted(2));
        // The same guess in another round (another code) is another guess.
        let other_round = AnswerId::of(&Nonce::from_counter(8), "111111");
        assert_eq!(r.on_wrong(&POLICY, Some(&other_round), NOW), WrongAnswer::LockedNow);
        // A retry of the answer that locked is still not counted again.
        assert_eq!(r.on_wrong(&POLICY, Some(&other_round), NOW), WrongAnswer::Duplicate);
        // Rounds made before nonces existed are counted every time.
        let mut old = Record::default();
        assert_eq!(old.on_wrong(&POLICY, None, NOW), WrongAnswer::Counted(1));
        assert_eq!(old.on_wrong(&POLICY, None, NOW), WrongAnswer::Counted(2));
    }

    #[test]
    fn a_correct_answer_resets_and_establishes_once() {
        let mut r = Record::default();
        r.on_wrong(&POLICY, Some(&id(1)), NOW);
        r.on_wrong(&POLICY, Some(&id(2)), NOW);
        assert_eq!(r.on_correct(&POLICY, NOW + 5), CorrectAnswer::Accepted { first: true });
        assert_eq!((r.failures, r.answers.len(), r.established_at), (0, 0, Some(NOW + 5)));
        assert_eq!(r.on_correct(&POLICY, NOW + 50), CorrectAnswer::Accepted { first: false });
        assert_eq!(r.established_at, Some(NOW + 5), "established at the first proof");
        assert!(POLICY.standing(&r, NOW + 60).is_established());
    }

    #[test]
    fn records_of_the_earlier_version_lock_as_they_did_and_a_count_it_left_at_the_limit_is_locked_with_an_end() {
        // Its lock: `lockedUntil`, the count zeroed.
        let mut old_lock = Record { locked_until: NOW + 10, ..Record::default() };
        assert_eq!(POLICY.standing(&old_lock, NOW).lock, Lock::Locked);
        assert_eq!(old_lock.on_correct(&POLICY, NOW), CorrectAnswer::Locked);
        assert_eq!(old_lock.on_wrong(&POLICY, Some(&id(1)), NOW), WrongAnswer::AlreadyLocked);
        assert_eq!(old_lock.on_wrong(&POLICY, Some(&id(1)), NOW + 10), WrongAnswer::Counted(1), "after its end");
        // Its count left at the limit (a failed second write), last answered at NOW - 60: dated
        // by its TTL, 30 days after that answer.
        let expires_at = Some(NOW - 60 + EARLIER_FORGET_AFTER_SECONDS);
        let mut gap = Record { failures: 3, expires_at, ..Record::default() };
        assert_eq!(POLICY.lock_ends(&gap), NOW + 540);
        assert_eq!(POLICY.standing(&gap, NOW).lock, Lock::Locked, "create sends nothing");
        assert_eq!(gap.on_correct(&POLICY, NOW), CorrectAnswer::Locked, "the right code does not reset it");
        assert_eq!(gap.on_wrong(&POLICY, Some(&id(1)), NOW), WrongAnswer::AlreadyLocked);
        assert_eq!(gap.on_correct(&POLICY, NOW + 540), CorrectAnswer::Accepted { first: true }, "...until its end");
    }

    #[test]
    fn answer_ids_are_digests_that_never_show_the_answer() {
        let nonce = Nonce::from_counter(1);
        let a = AnswerId::of(&nonce, "123456");
        assert_eq!(a.as_str().len(), 32);
        assert!(!a.as_str().contains("123456"));
        assert_eq!(a, AnswerId::of(&nonce, "123456 "), "judged trimmed, so kept trimmed");
        assert_ne!(a, AnswerId::of(&nonce, "123457"));
        assert_ne!(a, AnswerId::of(&Nonce::from_counter(2), "123456"));
    }

    #[test]
    fn a_lock_s_end_saturates() {
        let r = Record { failures: 3, last_wrong_at: Some(u64::MAX - 1), ..Record::default() };
        assert_eq!(POLICY.lock_ends(&r), u64::MAX);
        assert_eq!(POLICY.lock_ends(&Record::default()), 600, "never answered: any lock ended long ago");
    }
}
