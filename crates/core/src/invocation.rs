//! One invocation's clocks: the wall-clock time the rules judge by, and the one deadline by which
//! the trigger must have answered Cognito.
//!
//! Cognito calls each trigger synchronously and waits at most 5 seconds for the answer; if none
//! comes and the call can be retried, it calls again (three attempts at most), and the sign-in
//! fails after that (AWS's developer guide, "Customizing user pool workflows with Lambda
//! triggers"). So every trigger that calls out answers by one deadline: Lambda's own for the
//! invocation, and never later than [`COGNITO_LIMIT`] after it started, less [`MARGIN`] for
//! Cognito's side of the call (about 4 seconds). Each call to a store or to SNS gets what is left
//! of it ([`Invocation::bounded`]), a call that cannot finish in time does not start, and nothing
//! runs after the answer: Lambda freezes the process once the handler returns, so work left for
//! later might never happen.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::send_limit::LimitError;
use crate::sms::SendError;

/// How long Cognito waits for a trigger.
pub const COGNITO_LIMIT: Duration = Duration::from_secs(5);
/// What the deadline keeps back for Cognito's own side of the call (the network, a cold start of
/// the runtime's next invocation).
pub const MARGIN: Duration = Duration::from_secs(1);
/// The least time left in which a call to a store is started: a DynamoDB call in the same region
/// takes a few milliseconds.
pub const STORE_CALL_MIN: Duration = Duration::from_millis(50);
/// The least time left in which an SMS is handed to SNS: a `Publish` takes tens of
/// milliseconds; with less left, the code is not sent rather than sent without the trigger being
/// able to say so.
pub const SEND_MIN: Duration = Duration::from_millis(500);

/// The time is up: the call was not made, or did not answer in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfTime;

impl From<OutOfTime> for LimitError {
    fn from(_: OutOfTime) -> Self {
        LimitError::Timeout
    }
}

impl From<OutOfTime> for SendError {
    fn from(_: OutOfTime) -> Self {
        SendError::Timeout
    }
}

/// When this invocation is, and by when it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invocation {
    /// Unix seconds, the time every rule judges by.
    pub now: u64,
    answer_by: Instant,
}

impl Invocation {
    /// An invocation at `now` that started just now, with Lambda's deadline `lambda_left` away
    /// (`None`: unknown); it answers by the earlier of that and Cognito's limit, less the margin.
    pub fn starting(now: u64, lambda_left: Option<Duration>) -> Self {
        let budget = lambda_left.map_or(COGNITO_LIMIT, |left| left.min(COGNITO_LIMIT)).saturating_sub(MARGIN);
        Self { now, answer_by: Instant::now() + budget }
    }

    /// An invocation at `now` with the whole budget ahead (tests, tools).
    pub fn at(now: u64) -> Self {
        Self::starting(now, None)
    }

    /// Time left before the answer is due.
    pub fn remaining(&self) -> Duration {
        self.answer_by.saturating_duration_since(Instant::now())
    }

    /// When the answer is due, by tokio's clock.
    pub fn answer_by(&self) -> Instant {
        self.answer_by
    }

    /// Runs `call` if at least `need` is left, cut off at the deadline: a call that cannot
    /// finish in time is not made, and one that does not is dropped (its error is a timeout).
    pub async fn bounded<T, E: From<OutOfTime>>(
        &self,
        need: Duration,
        call: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        if self.remaining() < need {
            return Err(OutOfTime.into());
        }
        tokio::time::timeout_at(self.answer_by, call).await.unwrap_or(Err(OutOfTime.into()))
    }

    /// [`Invocation::bounded`] for a call to a store.
    pub async fn store<T>(&self, call: impl Future<Output = Result<T, LimitError>>) -> Result<T, LimitError> {
        self.bounded(STORE_CALL_MIN, call).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_deadline_is_the_earlier_of_lambdas_and_cognitos_less_the_margin() {
        assert_eq!(Invocation::at(1).remaining(), Duration::from_secs(4));
        assert_eq!(Invocation::starting(1, Some(Duration::from_secs(900))).remaining(), Duration::from_secs(4));
        assert_eq!(Invocation::starting(1, Some(Duration::from_secs(3))).remaining(), Duration::from_secs(2));
        assert_eq!(Invocation::starting(1, Some(Duration::from_millis(500))).remaining(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_is_cut_off_at_the_deadline_and_not_started_without_time() {
        let at = Invocation::at(1);
        let started = Instant::now();
        let never = std::future::pending::<Result<(), LimitError>>();
        assert_eq!(at.store(never).await, Err(LimitError::Timeout));
        assert_eq!(started.elapsed(), Duration::from_secs(4));
        let made = std::sync::atomic::AtomicBool::new(false);
        let call = async {
            made.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok::<_, LimitError>(())
        };
        assert_eq!(at.store(call).await, Err(LimitError::Timeout));
        assert!(!made.load(std::sync::atomic::Ordering::SeqCst), "nothing starts that cannot finish");
        let fresh = Invocation::at(1);
        assert_eq!(fresh.bounded(SEND_MIN, async { Ok::<_, SendError>(7) }).await, Ok(7));
    }
}
