//! Amazon SNS as the SMS sender: one `Publish` straight to the phone number, `Transactional`.
//!
//! The client has a tight timeout and bounded retries, so a slow or failing SNS ends the trigger
//! well inside Cognito's 5-second limit with a clear error, never a hang and never a code
//! silently left unsent.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_sns::types::MessageAttributeValue;

use super::{SendError, SmsSender};
use crate::aws::{self, Failure};
use crate::config::SmsSettings;
use crate::phone::PhoneNumber;

/// Time to open a connection to SNS.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);
/// Time for the whole send, retries included. With the trigger's own work this stays well
/// inside Cognito's 5 seconds.
///
/// There is deliberately no per-attempt timeout: an attempt that timed out may still have been
/// delivered, and retrying it would send the same code twice (seen under load on the local
/// stack). So a slow SNS gets one attempt, cut off at this deadline; retries happen only after
/// SNS answered with a retryable error (throttling, 5xx) or the connection failed.
pub const SEND_TIMEOUT: Duration = Duration::from_millis(3000);
/// Attempts at most, the first included.
pub const MAX_ATTEMPTS: u32 = 3;

pub struct SnsSender {
    /// Built on the first send (see [`SnsSender::new`]).
    client: tokio::sync::OnceCell<aws_sdk_sns::Client>,
    sender_id: Option<String>,
    origination_number: Option<PhoneNumber>,
}

impl SnsSender {
    /// A sender whose SNS client is built on the first send, from the environment's standard
    /// AWS configuration (see [`crate::aws`]).
    pub fn new(settings: &SmsSettings) -> Self {
        Self {
            client: tokio::sync::OnceCell::new(),
            sender_id: settings.sender_id.clone(),
            origination_number: settings.origination_number.clone(),
        }
    }

    async fn client(&self) -> &aws_sdk_sns::Client {
        self.client
            .get_or_init(|| async {
                let timeouts =
                    TimeoutConfig::builder().connect_timeout(CONNECT_TIMEOUT).operation_timeout(SEND_TIMEOUT).build();
                let mut config = aws_sdk_sns::config::Builder::from(aws::sdk_config());
                config.set_endpoint_url(aws::endpoint_url("SNS"));
                let config = config
                    .timeout_config(timeouts)
                    .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
                    .build();
                aws_sdk_sns::Client::from_conf(config)
            })
            .await
    }
}

fn string_attribute(value: &str) -> Result<MessageAttributeValue, SendError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|_| SendError::Refused { code: "InvalidMessageAttribute".into() })
}

impl SmsSender for SnsSender {
    async fn send(&self, to: &PhoneNumber, text: &str) -> Result<(), SendError> {
        let mut publish = self
            .client()
            .await
            .publish()
            .phone_number(to.expose())
            .message(text)
            .message_attributes("AWS.SNS.SMS.SMSType", string_attribute("Transactional")?);
        if let Some(sender_id) = &self.sender_id {
            publish = publish.message_attributes("AWS.SNS.SMS.SenderID", string_attribute(sender_id)?);
        }
        if let Some(origination) = &self.origination_number {
            publish =
                publish.message_attributes("AWS.MM.SMS.OriginationNumber", string_attribute(origination.expose())?);
        }
        publish.send().await.map(drop).map_err(|e| aws::classify(&e).into())
    }
}

impl From<Failure> for SendError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Timeout => Self::Timeout,
            Failure::Unreachable => Self::Unreachable,
            Failure::Refused { code } => Self::Refused { code },
        }
    }
}
