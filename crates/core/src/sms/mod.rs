//! Sending the SMS: the [`SmsSender`] trait and (feature `aws`) the Amazon SNS implementation.
//! The tests' recording fake is `testkit::sms::RecordingSender`.

use std::future::Future;

use crate::phone::PhoneNumber;

pub mod segments;
#[cfg(feature = "aws")]
pub mod sns;

/// Why an SMS did not go out. The messages reach the client and the logs, so they carry the
/// provider's error code at most, never its message text (which can echo the number).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("the SMS service did not answer in time")]
    Timeout,
    #[error("the SMS service could not be reached")]
    Unreachable,
    #[error("the SMS service refused the message ({code})")]
    Refused { code: String },
}

/// Something that delivers one text message to one phone number.
pub trait SmsSender: Send + Sync {
    fn send(&self, to: &PhoneNumber, text: &str) -> impl Future<Output = Result<(), SendError>> + Send;
}
