//! SMS per phone number across sign-ins: at most so many per clock hour and per UTC day.
//!
//! The per-sign-in limits ([`crate::challenge::Limits`]) stop one sign-in from sending many
//! codes; they do nothing against an attacker who starts sign-in after sign-in for the same
//! number (SMS bombing) or for premium-rate numbers (SMS pumping). This limit is kept outside
//! Cognito's session, in a store shared by every instance of the function: a DynamoDB table
//! (feature `aws`, [`dynamodb::DynamoDbLimiter`]) in production, `testkit::send_limit::InMemoryLimiter`
//! in tests. Each send first *reserves* a slot with one atomic conditional write; a refused
//! reservation means no SMS, and create answers exactly as if one had gone out.
//!
//! The windows are fixed (clock hours and UTC days, not sliding), which keeps the store to one
//! small item per number and day and the check to one write. A reserved slot stays used even
//! if the SMS then fails: it bounds attempts to send, not only successes. Create reads whether a
//! slot is left first ([`SendLimiter::has_slot`]), and reserves one only when nothing else
//! withholds the code: a round withheld for another reason (a locked number, a paused area, a
//! spent budget) never takes one of the owner's slots.
//!
//! The same store guards against Cognito's retries ([`SendLimiter::first_call`]): Cognito calls
//! create again when it did not answer in time, with the same event. A short-lived conditional
//! record per round ([`RoundKey`]) makes the second call send nothing and take no slot. A call
//! that answers in time releases the record ([`SendLimiter::release`]): Cognito then has its
//! answer and never retries it, so a call for the same key after that is a new sign-in (the first
//! round of a sign-in has no other key than its user).

#[cfg(feature = "aws")]
pub mod dynamodb;

use std::future::Future;

use crate::phone::PhoneNumber;

/// SMS allowed per phone number, the first of each sign-in included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerNumberLimits {
    /// In one clock hour (UTC), e.g. 10:00:00 to 10:59:59 (`MAX_SMS_PER_NUMBER_PER_HOUR`).
    pub per_hour: u32,
    /// In one UTC day (`MAX_SMS_PER_NUMBER_PER_DAY`).
    pub per_day: u32,
}

/// The fixed windows a send at `now` (Unix seconds) counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Days since 1970-01-01 (UTC).
    pub day: u64,
    /// Hour of that day, 0 to 23 (UTC).
    pub hour: u8,
}

impl Window {
    pub fn at(now: u64) -> Self {
        Self { day: now / 86_400, hour: ((now % 86_400) / 3_600) as u8 }
    }

    /// When the store may forget this day's counts: the end of the following day, so an item is
    /// never swept while its day can still be written.
    pub fn forget_after(&self) -> u64 {
        (self.day + 2) * 86_400
    }
}

/// What a reservation came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// A slot was taken: send.
    Granted,
    /// The number has had its SMS for this hour or day: send nothing.
    Refused,
}

/// The per-number store (SMS counts and wrong-answer counts) could not be asked. The trigger
/// fails the round rather than send or accept unchecked: these limits bound cost and guessing,
/// so they fail closed. The message reaches the client and the logs, so it carries the
/// service's error code at most.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("the per-number table did not answer in time")]
    Timeout,
    #[error("the per-number table could not be reached")]
    Unreachable,
    #[error("the per-number table refused the request ({code})")]
    Refused { code: String },
}

/// How long after a round was first created a call for the same round counts as Cognito's retry,
/// unless the first call released it by answering in time. Cognito waits 5 seconds for each of its
/// at most three attempts, so its last retry starts about 10 seconds after the first; 20 leaves
/// room.
pub const RETRY_WINDOW_SECONDS: u64 = 20;

/// One round of one sign-in, as create sees it: a digest of the user name, every earlier round
/// of the session (their metadata holds each round's code and time, so no two sign-ins share
/// them once they have a round) and the action. A retry of a create call has the same key; so
/// has the first round of another sign-in of the same user started within
/// [`RETRY_WINDOW_SECONDS`] (it gets a round that offers a resend at once).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoundKey(String);

impl RoundKey {
    pub fn of<'a>(parts: impl IntoIterator<Item = &'a str>) -> Self {
        use sha2::Digest;
        let mut hash = sha2::Sha256::new();
        for part in parts {
            // Each part's length first, so the parts cannot run into one another.
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
        Self(hash.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Something that counts SMS per number and refuses past the limits.
pub trait SendLimiter: Send + Sync {
    /// Whether `to` has a slot left in the windows of `now`: a read, nothing taken.
    fn has_slot(&self, to: &PhoneNumber, now: u64) -> impl Future<Output = Result<bool, LimitError>> + Send;

    /// Takes one slot for `to` in the windows of `now`, or refuses if either is full. Must be
    /// atomic: two concurrent calls never both take the last slot.
    fn reserve(&self, to: &PhoneNumber, now: u64) -> impl Future<Output = Result<Reservation, LimitError>> + Send;

    /// Records that `round` is being created at `now`: `true` for its first call, `false` for
    /// another call within [`RETRY_WINDOW_SECONDS`] (a retry). Atomic: of two concurrent calls,
    /// one is the first.
    fn first_call(&self, round: &RoundKey, now: u64) -> impl Future<Output = Result<bool, LimitError>> + Send;

    /// Ends `round`'s retry window: its call answered Cognito in time.
    fn release(&self, round: &RoundKey, now: u64) -> impl Future<Output = Result<(), LimitError>> + Send;
}

/// No per-number limit (`SEND_LIMIT_TABLE` empty): every reservation is granted, and every call
/// is a first call (without the table there is nothing to tell a retry by).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLimit;

impl SendLimiter for NoLimit {
    async fn has_slot(&self, _to: &PhoneNumber, _now: u64) -> Result<bool, LimitError> {
        Ok(true)
    }

    async fn reserve(&self, _to: &PhoneNumber, _now: u64) -> Result<Reservation, LimitError> {
        Ok(Reservation::Granted)
    }

    async fn first_call(&self, _round: &RoundKey, _now: u64) -> Result<bool, LimitError> {
        Ok(true)
    }

    async fn release(&self, _round: &RoundKey, _now: u64) -> Result<(), LimitError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_utc_clock_hours_and_days() {
        // 2025-11-21T00:00:00Z
        let midnight = 1_763_683_200;
        assert_eq!(Window::at(midnight), Window { day: 20_413, hour: 0 });
        assert_eq!(Window::at(midnight + 3_599), Window { day: 20_413, hour: 0 });
        assert_eq!(Window::at(midnight + 3_600), Window { day: 20_413, hour: 1 });
        assert_eq!(Window::at(midnight + 86_399), Window { day: 20_413, hour: 23 });
        assert_eq!(Window::at(midnight + 86_400), Window { day: 20_414, hour: 0 });
    }

    #[test]
    fn round_keys_tell_their_parts_apart() {
        assert_eq!(RoundKey::of(["+15555550100", ""]), RoundKey::of(["+15555550100", ""]));
        assert_ne!(RoundKey::of(["ab", "c"]), RoundKey::of(["a", "bc"]));
        assert_ne!(RoundKey::of(["+15555550100"]), RoundKey::of(["+15555550101"]));
        assert_eq!(RoundKey::of(["x"]).as_str().len(), 32);
    }

    #[test]
    fn counts_are_kept_until_the_next_day_is_over() {
        let w = Window::at(1_763_683_200 + 5 * 3_600);
        assert_eq!(w.forget_after(), 1_763_683_200 + 2 * 86_400);
    }
}
