//! Create's first look at the per-number table: before anything is taken, what the number's
//! records say (its lock and whether it is established, [`crate::lockout`]; whether it has an SMS
//! slot left, [`crate::send_limit`]) and, for a number its areas judge, its areas' pauses and
//! counts ([`crate::pumping`]).
//!
//! Each store answers for itself ([`Separately`], what the in-memory stores of the tests use);
//! the DynamoDB stores answer in one `BatchGetItem` ([`dynamodb::Batched`]): each call to
//! DynamoDB costs a function a fixed share of CPU time, whatever it reads, and the areas no longer
//! wait for the number's record (`docs/performance.md`). That one read asks for the areas of
//! every number while the breaker is on, before it knows whether the number is established, and
//! as many keys for an unknown user, so every round's read has the same shape; it fails only on
//! what the round needs, so a throttled area never fails an established number's look.

#[cfg(feature = "aws")]
pub mod dynamodb;

use std::future::Future;

use crate::challenge::delivery;
use crate::lockout::{AnswerLedger, Standing};
use crate::phone::PhoneNumber;
use crate::pumping::{Area, AreaState, BreakerPolicy, PumpingLedger};
use crate::send_limit::{LimitError, SendLimiter};

/// Whose records a look reads.
#[derive(Debug, Clone, Copy)]
pub enum Whose<'a> {
    /// A number that may get an SMS.
    Number(&'a PhoneNumber),
    /// What an unknown user typed: read as a number's records would be, its answer unused
    /// ([`AnswerLedger::pretend`]), so an unknown user's round makes the same calls.
    Pretend(&'a str),
}

/// What one look asks for.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    pub whose: Whose<'a>,
    /// Whether the number's SMS slot matters (a round that would send an SMS).
    pub slot: bool,
    /// The breaker's figures, when it may judge numbers (on, and the pool's numbers not all
    /// trusted as established).
    pub breaker: Option<&'a BreakerPolicy>,
}

impl Ask<'_> {
    /// Whether the areas judge a number of `standing` at `now` ([`delivery::needs_area_check`]).
    pub fn judges(&self, standing: &Standing, now: u64) -> bool {
        self.breaker.is_some_and(|policy| delivery::needs_area_check(policy, standing, now))
    }
}

/// What a look saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub standing: Standing,
    /// Whether the number has an SMS slot left (`true` when not asked).
    pub has_slot: bool,
    /// The number's areas, prefix then region, when they judge it ([`Ask::judges`]).
    pub areas: Option<[AreaState; 2]>,
}

/// The stores a look reads.
pub struct Stores<'a, L, A, P> {
    pub limiter: &'a L,
    pub ledger: &'a A,
    pub pumping: &'a P,
}

/// A way to make create's first look at `L`, `A` and `P`.
pub trait FirstLook<L, A, P>: Send + Sync {
    fn look(
        &self,
        stores: Stores<'_, L, A, P>,
        ask: Ask<'_>,
        now: u64,
    ) -> impl Future<Output = Result<Seen, LimitError>> + Send;
}

/// Each store asked on its own: the number's record and slot at once, then its areas if they
/// judge it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Separately;

impl<L: SendLimiter, A: AnswerLedger, P: PumpingLedger> FirstLook<L, A, P> for Separately {
    async fn look(&self, stores: Stores<'_, L, A, P>, ask: Ask<'_>, now: u64) -> Result<Seen, LimitError> {
        let number = match ask.whose {
            Whose::Number(number) => number,
            Whose::Pretend(typed) => {
                stores.ledger.pretend(typed).await?;
                return Ok(Seen { standing: Standing::NEW, has_slot: true, areas: None });
            }
        };
        let (standing, has_slot) = tokio::join!(stores.ledger.standing(number, now), async {
            if ask.slot { stores.limiter.has_slot(number, now).await } else { Ok(true) }
        });
        let (standing, has_slot) = (standing?, has_slot?);
        let areas = match ask.judges(&standing, now) {
            true => {
                let [prefix, region] = Area::of(number);
                let (prefix, region) =
                    tokio::join!(stores.pumping.state(&prefix, now), stores.pumping.state(&region, now));
                Some([prefix?, region?])
            }
            false => None,
        };
        Ok(Seen { standing, has_slot, areas })
    }
}
