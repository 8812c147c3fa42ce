//! Amazon SNS as the SMS sender: one `Publish` straight to the phone number, `Transactional`.
//!
//! The client has a tight timeout and bounded retries, so a slow or failing SNS ends the trigger
//! well inside Cognito's 5-second limit with a clear error, never a hang and never a code
//! silently left unsent.

use std::sync::OnceLock;
use std::time::Duration;

use aws_sdk_sns::types::MessageAttributeValue;

use super::{SendError, SmsSender};
use crate::aws::{self, Failure};
use crate::config::SmsSettings;
use crate::phone::PhoneNumber;

/// Time to open a connection to SNS.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);
/// Time for the whole send, retries included. With the trigger's own work this stays well
/// inside Cognito's 5 seconds. No per-attempt timeout: see [`aws::service_config`].
pub const SEND_TIMEOUT: Duration = Duration::from_millis(3000);
/// Attempts at most, the first included.
pub const MAX_ATTEMPTS: u32 = 3;

pub struct SnsSender {
    /// Built on the first send (see [`SnsSender::new`]).
    client: OnceLock<aws_sdk_sns::Client>,
    sender_id: Option<String>,
    origination_number: Option<PhoneNumber>,
    max_price_usd: Option<String>,
}

impl SnsSender {
    /// A sender whose SNS client is built on the first send, from the environment's standard
    /// AWS configuration (see [`crate::aws`]).
    pub fn new(settings: &SmsSettings) -> Self {
        Self {
            client: OnceLock::new(),
            sender_id: settings.sender_id.clone(),
            origination_number: settings.origination_number.clone(),
            max_price_usd: settings.max_price_usd.clone(),
        }
    }

    fn client(&self) -> &aws_sdk_sns::Client {
        self.client.get_or_init(|| {
            aws_sdk_sns::Client::new(&aws::service_config("SNS", CONNECT_TIMEOUT, SEND_TIMEOUT, MAX_ATTEMPTS))
        })
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
        // SNS does not send a message that would cost more than this (`SMS_MAX_PRICE_USD`):
        // https://docs.aws.amazon.com/sns/latest/dg/sms_publish-to-phone.html
        if let Some(max_price) = &self.max_price_usd {
            publish = publish.message_attributes("AWS.SNS.SMS.MaxPrice", string_attribute(max_price)?);
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
