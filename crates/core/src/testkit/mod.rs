//! The test kit: what the core's tests, the property tests, the fuzz targets (`fuzz/`) and the
//! end-to-end tests (`tests/e2e`) share, so each rule they check is written once.
//!
//! Built for the core's own unit tests and under the `test-util` feature only: no function binary
//! ever links it (the fakes here answer whatever a test tells them to).
//!
//! - The fakes, one per trait: [`sms::RecordingSender`], [`send_limit::InMemoryLimiter`],
//!   [`lockout::InMemoryLockout`], [`pumping::InMemoryPrefixLedger`], and [`codes`] for the
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

/// A poisoned lock only means another test thread panicked; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
