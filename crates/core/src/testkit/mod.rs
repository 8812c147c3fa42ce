//! The test kit: what the core's tests, the property tests, the fuzz targets (`fuzz/`) and the
//! end-to-end tests (`tests/e2e`) share, so each rule they check is written once.
//!
//! Built for the core's own unit tests and under the `test-util` feature only: no function binary
//! ever links it (the fakes here answer whatever a test tells them to).
//!
//! - The fakes, one per trait: [`sms::RecordingSender`], [`send_limit::InMemoryLimiter`],
//!   [`lockout::InMemoryLockout`], [`pumping::InMemoryPumpingLedger`], and [`codes`] for the
//!   random source.
//! - [`events`]: Cognito's events as JSON, as Cognito sends them; [`expected`]: matching a
//!   response against a sample event's expectation.
//! - [`oracles`]: the fail-closed rules, judged from the raw JSON alone ("never `answerCorrect`
//!   from input the core did not create", "no answer correct in a round that sent nothing", "no
//!   code or number in a log line").
//! - [`flows`]: whole sign-ups and sign-ins through the four handlers, as Cognito drives them.
//! - [`template`]: `template.yaml` as JSON, and as CloudFormation takes it for given parameters.

use std::sync::{Mutex, MutexGuard};

pub mod codes;
pub mod events;
pub mod expected;
pub mod flows;
pub mod lockout;
pub mod oracles;
pub mod pumping;
pub mod send_limit;
pub mod slow;
pub mod sms;
pub mod template;

/// The clock the tests and the sample events in `events/` are written around (2025-11-21).
pub const NOW: u64 = 1_763_700_000;

/// Runs an async trigger to completion on this thread's single-threaded runtime (one per
/// thread, built on first use): the synchronous tests and the fuzz targets call create and verify
/// through it.
pub fn block_on<F: Future>(future: F) -> F::Output {
    thread_local! {
        static RUNTIME: tokio::runtime::Runtime =
            tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a tokio runtime");
    }
    RUNTIME.with(|runtime| runtime.block_on(future))
}

/// Runs `futures` at once on this task, polling each in turn until all are done, so they interleave
/// at every await: requests in flight together, or calls to [`slow::Slow`] stores racing.
pub async fn join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut pending: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut done: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all = true;
        for (future, slot) in pending.iter_mut().zip(done.iter_mut()) {
            if slot.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(out) => *slot = Some(out),
                    std::task::Poll::Pending => all = false,
                }
            }
        }
        if all { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await;
    done.into_iter().flatten().collect()
}

/// A poisoned lock only means another test thread panicked; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
