//! Amazon SNS as the SMS sender: one `Publish` straight to the phone number, `Transactional`.
//!
//! The client is built once at start-up with a tight timeout and bounded retries, so a slow or
//! failing SNS ends the trigger well inside Cognito's 5-second limit with a clear error, never
//! a hang and never a code silently left unsent.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_sns::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sns::types::MessageAttributeValue;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

use super::{SendError, SmsSender};
use crate::config::SmsSettings;
use crate::phone::PhoneNumber;

/// Time to open a connection to SNS.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);
/// Time for one `Publish` attempt.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(1500);
/// Time for the whole send, retries included. With the trigger's own work this stays well
/// inside Cognito's 5 seconds.
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
    /// A sender that builds its SNS client from the standard AWS configuration of the
    /// environment (region, credentials, `AWS_ENDPOINT_URL` for a local stack) on the first send.
    ///
    /// Why not at start-up: building the client loads the system's TLS root certificates, the
    /// largest part of create's cold start. Rounds that send nothing (unknown users, test numbers,
    /// answers) never need it, and when a code does go out the cost is paid once, in that first
    /// send.
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
                let timeouts = TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                    .operation_timeout(SEND_TIMEOUT)
                    .build();
                // rustls with ring: the SDK's default TLS stack (aws-lc) would add a megabyte or more.
                let http = aws_smithy_http_client::Builder::new()
                    .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
                    .build_https();
                let sdk = aws_config::defaults(BehaviorVersion::latest())
                    .http_client(http)
                    .timeout_config(timeouts)
                    .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
                    .load()
                    .await;
                aws_sdk_sns::Client::new(&sdk)
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
        publish.send().await.map(drop).map_err(classify)
    }
}

/// Keeps the kind of failure and SNS's error code, and drops the rest: SNS error messages can
/// quote the phone number.
fn classify<E: ProvideErrorMetadata, R>(err: SdkError<E, R>) -> SendError {
    match &err {
        SdkError::TimeoutError(_) => SendError::Timeout,
        SdkError::DispatchFailure(failure) if failure.is_timeout() => SendError::Timeout,
        SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_) => SendError::Unreachable,
        _ => SendError::Refused { code: err.code().unwrap_or("Unknown").to_owned() },
    }
}
