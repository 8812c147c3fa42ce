//! An in-memory [`SmsSender`] for tests: it records every message and can be told to fail.

use std::sync::Mutex;

use super::lock;
use crate::phone::PhoneNumber;
use crate::sms::{SendError, SmsSender};

/// One message the fake was asked to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentSms {
    pub to: String,
    pub text: String,
}

#[derive(Debug, Default)]
pub struct RecordingSender {
    sent: Mutex<Vec<SentSms>>,
    failure: Mutex<Option<SendError>>,
}

impl RecordingSender {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every later send fails with `error` (until [`RecordingSender::succeed`]).
    pub fn fail_with(&self, error: SendError) {
        *lock(&self.failure) = Some(error);
    }

    pub fn succeed(&self) {
        *lock(&self.failure) = None;
    }

    pub fn sent(&self) -> Vec<SentSms> {
        lock(&self.sent).clone()
    }
}

impl SmsSender for RecordingSender {
    async fn send(&self, to: &PhoneNumber, text: &str) -> Result<(), SendError> {
        if let Some(error) = lock(&self.failure).clone() {
            return Err(error);
        }
        lock(&self.sent).push(SentSms { to: to.expose().to_owned(), text: text.to_owned() });
        Ok(())
    }
}
