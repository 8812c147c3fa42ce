//! Passwordless SMS sign-in for Amazon Cognito: everything the four trigger binaries share.
//!
//! - [`challenge`]: the sign-in state machine, pure (no I/O, time passed in), and the state of a
//!   round it keeps in Cognito's `challengeMetadata` ([`challenge::state`]).
//! - [`code`], [`phone`] (and its [`calling_codes`]), [`message`]: the values it works with.
//! - [`config`]: environment variables, parsed and checked once.
//! - [`invocation`]: one invocation's time, and the one deadline it answers Cognito by.
//! - [`sms`]: the SMS sender trait, and Amazon SNS (feature `aws`).
//! - [`send_limit`]: SMS per phone number across sign-ins, in DynamoDB (feature `aws`).
//! - [`lockout`]: wrong answers per phone number across sign-ins, and the lock they lead to.
//! - [`pumping`]: SMS pumping defences: a conversion breaker per destination prefix and per
//!   region ([`regions`]), a budget per prefix, and a ceiling for the whole pool.
//! - [`metrics`]: CloudWatch embedded-metric lines of what each invocation did.
//! - [`triggers`]: Cognito's four events in, responses out.
//! - `testkit` (feature `test-util`): the fakes, event builders and fail-closed oracles every
//!   test shares; never in a function.
//! - [`lambda`]: what every function binary does around its handler: JSON logs, the configuration
//!   read at start-up, the clock, one metrics line per invocation.

#[cfg(feature = "aws")]
pub mod aws;
pub mod calling_codes;
pub mod challenge;
pub mod code;
pub mod config;
pub mod first_look;
pub mod invocation;
pub mod lambda;
pub mod lockout;
pub mod message;
pub mod metrics;
pub mod phone;
pub mod pumping;
pub mod regions;
pub mod send_limit;
pub mod sms;
#[cfg(any(test, feature = "test-util"))]
pub mod testkit;
pub mod triggers;

pub use config::Config;
