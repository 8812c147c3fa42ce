//! A dependency that answers late, or never: [`Slow`] wraps any of the fakes and waits before
//! each call (after it, for a send: the message is out, the answer late), so tests can hold the
//! triggers to their deadline ([`crate::invocation`]) with a paused clock.

use std::time::Duration;

use crate::lockout::{AnswerId, AnswerLedger, CorrectAnswer, Standing, WrongAnswer};
use crate::phone::PhoneNumber;
use crate::pumping::{Area, AreaState, PoolSlot, Prefix, PumpingLedger};
use crate::send_limit::{LimitError, Reservation, RoundKey, SendLimiter};
use crate::sms::{SendError, SmsSender};

/// `inner`, each call taking `delay` longer (`None`: never answering).
#[derive(Debug)]
pub struct Slow<T> {
    pub inner: T,
    pub delay: Option<Duration>,
}

impl<T> Slow<T> {
    pub fn by(inner: T, delay: Duration) -> Self {
        Self { inner, delay: Some(delay) }
    }

    pub fn never(inner: T) -> Self {
        Self { inner, delay: None }
    }

    async fn wait(&self) {
        match self.delay {
            Some(delay) => tokio::time::sleep(delay).await,
            None => std::future::pending().await,
        }
    }
}

impl<T: SmsSender> SmsSender for Slow<T> {
    async fn send(&self, to: &PhoneNumber, text: &str) -> Result<(), SendError> {
        let sent = self.inner.send(to, text).await;
        self.wait().await;
        sent
    }
}

impl<T: SendLimiter> SendLimiter for Slow<T> {
    async fn has_slot(&self, to: &PhoneNumber, now: u64) -> Result<bool, LimitError> {
        self.wait().await;
        self.inner.has_slot(to, now).await
    }

    async fn reserve(&self, to: &PhoneNumber, now: u64) -> Result<Reservation, LimitError> {
        self.wait().await;
        self.inner.reserve(to, now).await
    }

    async fn first_call(&self, round: &RoundKey, now: u64) -> Result<bool, LimitError> {
        self.wait().await;
        self.inner.first_call(round, now).await
    }

    async fn release(&self, round: &RoundKey, now: u64) -> Result<(), LimitError> {
        self.wait().await;
        self.inner.release(round, now).await
    }
}

impl<T: AnswerLedger> AnswerLedger for Slow<T> {
    async fn standing(&self, number: &PhoneNumber, now: u64) -> Result<Standing, LimitError> {
        self.wait().await;
        self.inner.standing(number, now).await
    }

    async fn record_wrong(
        &self,
        number: &PhoneNumber,
        id: Option<&AnswerId>,
        now: u64,
    ) -> Result<WrongAnswer, LimitError> {
        self.wait().await;
        self.inner.record_wrong(number, id, now).await
    }

    async fn record_correct(&self, number: &PhoneNumber, now: u64) -> Result<CorrectAnswer, LimitError> {
        self.wait().await;
        self.inner.record_correct(number, now).await
    }

    async fn pretend(&self, key: &str) -> Result<(), LimitError> {
        self.wait().await;
        self.inner.pretend(key).await
    }
}

impl<T: PumpingLedger> PumpingLedger for Slow<T> {
    async fn state(&self, area: &Area, now: u64) -> Result<AreaState, LimitError> {
        self.wait().await;
        self.inner.state(area, now).await
    }

    async fn record_send(&self, area: &Area, now: u64) -> Result<(), LimitError> {
        self.wait().await;
        self.inner.record_send(area, now).await
    }

    async fn record_correct(&self, area: &Area, now: u64) -> Result<(), LimitError> {
        self.wait().await;
        self.inner.record_correct(area, now).await
    }

    async fn pause(&self, area: &Area, now: u64, until: u64) -> Result<bool, LimitError> {
        self.wait().await;
        self.inner.pause(area, now, until).await
    }

    async fn take_prefix_budget(&self, prefix: &Prefix, now: u64) -> Result<Reservation, LimitError> {
        self.wait().await;
        self.inner.take_prefix_budget(prefix, now).await
    }

    async fn take_pool(&self, now: u64, established: bool) -> Result<Option<PoolSlot>, LimitError> {
        self.wait().await;
        self.inner.take_pool(now, established).await
    }

    async fn give_back_prefix_budget(&self, prefix: &Prefix, now: u64) -> Result<(), LimitError> {
        self.wait().await;
        self.inner.give_back_prefix_budget(prefix, now).await
    }

    async fn give_back_pool(&self, slot: PoolSlot, now: u64, established: bool) -> Result<(), LimitError> {
        self.wait().await;
        self.inner.give_back_pool(slot, now, established).await
    }
}
