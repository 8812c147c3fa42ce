//! What one round of a sign-in records in Cognito's `challengeMetadata`, and its text format.
//!
//! The triggers keep no state between calls: Cognito hands every earlier round's metadata back
//! in the `session` array. The format is versioned so a future change can tell old entries from
//! new ones, and strict so an entry we did not write is refused, never guessed at:
//!
//! ```text
//! SMSOTP2:<code>:<issued_at>:<sends>:<failures>:<delivery>
//! ```
//!
//! `<delivery>` is `1` when the code reached the user, `0` when it was withheld, and `u` when it
//! was not sent because the call was Cognito's retry of one that may have sent a code (see
//! [`Delivery`]). Version 1 had no such field: its rounds are refused, so a sign-in under way
//! during an upgrade fails closed and the user starts again.
//!
//! The metadata never reaches the client; Cognito keeps it server-side with the session.

use crate::code::Code;

const VERSION_TAG: &str = "SMSOTP2";

/// What became of a round's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// It reached the user: an SMS went out with it, or it is a test number's fixed code.
    Delivered,
    /// It went nowhere, for a reason the client must not learn (past a limit, an unknown user, a
    /// blocked country, a locked number, a paused area): the round looks like any other.
    Withheld,
    /// It was not sent because this call was Cognito's retry of one that may have sent a code
    /// (see [`crate::send_limit::SendLimiter::first_call`]); the client is told no new code was
    /// sent, and may ask for one at once. Unknown users' retried rounds say the same.
    Unsent,
}

impl Delivery {
    fn tag(self) -> &'static str {
        match self {
            Self::Delivered => "1",
            Self::Withheld => "0",
            Self::Unsent => "u",
        }
    }
}

/// The state of a sign-in after one round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeState {
    /// The code currently valid.
    pub code: Code,
    /// Unix seconds when `code` was drawn (and sent).
    pub issued_at: u64,
    /// SMS sent in this sign-in so far, the first included.
    pub sends: u32,
    /// Wrong answers in this sign-in so far (resends are not counted).
    pub failures: u32,
    /// Whether `code` reached the user. A round whose code was not delivered (withheld for any
    /// reason, or unsent) is never winnable, whatever the answer: see
    /// [`crate::challenge::answer_is_correct`]. A new code starts withheld; only a send that went
    /// out marks it delivered.
    pub delivery: Delivery,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    #[error("challenge metadata is missing")]
    Missing,
    #[error("challenge metadata is not ours or has an unknown version")]
    UnknownFormat,
    #[error("challenge metadata is malformed")]
    Malformed,
}

impl ChallengeState {
    pub fn encode(&self) -> String {
        let delivery = self.delivery.tag();
        format!("{VERSION_TAG}:{}:{}:{}:{}:{delivery}", self.code.expose(), self.issued_at, self.sends, self.failures)
    }

    pub fn is_delivered(&self) -> bool {
        self.delivery == Delivery::Delivered
    }

    pub fn parse(raw: &str) -> Result<Self, MetadataError> {
        let mut fields = raw.split(':');
        if fields.next() != Some(VERSION_TAG) {
            return Err(MetadataError::UnknownFormat);
        }
        let (Some(code), Some(issued_at), Some(sends), Some(failures), Some(delivered), None) =
            (fields.next(), fields.next(), fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(MetadataError::Malformed);
        };
        let state = Self {
            code: Code::parse(code).map_err(|_| MetadataError::Malformed)?,
            issued_at: plain_number(issued_at)?,
            sends: small_number(sends)?,
            failures: small_number(failures)?,
            delivery: match delivered {
                "1" => Delivery::Delivered,
                "0" => Delivery::Withheld,
                "u" => Delivery::Unsent,
                _ => return Err(MetadataError::Malformed),
            },
        };
        // Only a retried first round has sent nothing at all.
        if state.sends == 0 && state.delivery != Delivery::Unsent {
            return Err(MetadataError::Malformed);
        }
        Ok(state)
    }
}

/// Digits only (Rust's `parse` would also take a leading `+`), at most 11 of them.
fn plain_number(raw: &str) -> Result<u64, MetadataError> {
    if raw.is_empty() || raw.len() > 11 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(MetadataError::Malformed);
    }
    raw.parse().map_err(|_| MetadataError::Malformed)
}

/// A count: a plain number that fits in a `u32` (refused, not truncated, when it does not).
fn small_number(raw: &str) -> Result<u32, MetadataError> {
    u32::try_from(plain_number(raw)?).map_err(|_| MetadataError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> ChallengeState {
        ChallengeState {
            code: Code::parse("004211").unwrap(),
            issued_at: 1_763_700_000,
            sends: 2,
            failures: 1,
            delivery: Delivery::Delivered,
        }
    }

    #[test]
    fn round_trips() {
        let s = state();
        assert_eq!(s.encode(), "SMSOTP2:004211:1763700000:2:1:1");
        assert_eq!(ChallengeState::parse(&s.encode()), Ok(s));
        let withheld = ChallengeState { delivery: Delivery::Withheld, ..state() };
        assert_eq!(withheld.encode(), "SMSOTP2:004211:1763700000:2:1:0");
        assert_eq!(ChallengeState::parse(&withheld.encode()), Ok(withheld));
        let unsent = ChallengeState { delivery: Delivery::Unsent, sends: 0, ..state() };
        assert_eq!(unsent.encode(), "SMSOTP2:004211:1763700000:0:1:u");
        assert_eq!(ChallengeState::parse(&unsent.encode()), Ok(unsent));
    }

    #[test]
    fn refuses_what_we_did_not_write() {
        // Version 1 had no delivery field; its rounds may have been withheld ones.
        for other in ["", "CODE-123456", "SMSOTP1:004211:1763700000:2:1", "smsotp2:004211:1763700000:2:1:1"] {
            assert_eq!(ChallengeState::parse(other), Err(MetadataError::UnknownFormat), "{other:?}");
        }
        for bad in [
            "SMSOTP2",
            "SMSOTP2:004211:1763700000:2:1",
            "SMSOTP2:004211:1763700000:2:1:1:9",
            "SMSOTP2:42:1763700000:2:1:1",
            "SMSOTP2:004211:+1763700000:2:1:1",
            "SMSOTP2:004211:1763700000:0:1:1",
            "SMSOTP2:004211:1763700000:2:-1:1",
            "SMSOTP2:004211:99999999999999999999:2:1:1",
            "SMSOTP2:004211::2:1:1",
            "SMSOTP2:004211:1763700000:2:1:",
            "SMSOTP2:004211:1763700000:2:1:true",
            "SMSOTP2:004211:1763700000:2:1:2",
            "SMSOTP2:004211:1763700000:2:1:U",
            "SMSOTP2:004211:1763700000:0:1:0",
            // Counts past u32 were once read modulo 2^32 (found by `cargo fuzz`, target metadata).
            "SMSOTP2:1234:1:4294967297:0:1",
            "SMSOTP2:1234:1:1:4294967296:1",
        ] {
            assert_eq!(ChallengeState::parse(bad), Err(MetadataError::Malformed), "{bad:?}");
        }
    }
}
