//! Amazon SNS as the SMS sender: one `Publish` straight to the phone number, `Transactional`,
//! with the sender ID, origination number and maximum price as message attributes when set.
//!
//! A send has one deadline, [`SEND_TIMEOUT`], for all its attempts (at most [`MAX_ATTEMPTS`]):
//! a slow or failing SNS ends the send with a clear error ([`SendError`]), never a hang and never
//! a code silently left unsent. Throttling, a server error or a failed connection is retried; an
//! attempt that got no answer in time is not (it may have been delivered; see
//! [`aws::service_config`]), nor is any other refusal.

use std::sync::OnceLock;
use std::time::Duration;

use aws_config::SdkConfig;
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

/// The SNS client's configuration: the function's region, credentials and endpoint (see
/// [`crate::aws`]), [`CONNECT_TIMEOUT`], [`SEND_TIMEOUT`] for the whole send and at most
/// [`MAX_ATTEMPTS`] attempts.
pub fn sdk_config() -> SdkConfig {
    aws::service_config("SNS", CONNECT_TIMEOUT, SEND_TIMEOUT, MAX_ATTEMPTS)
}

pub struct SnsSender {
    /// Built on the first send from [`sdk_config`] (see [`SnsSender::new`]), or given.
    client: OnceLock<aws_sdk_sns::Client>,
    sender_id: Option<String>,
    origination_number: Option<PhoneNumber>,
    max_price_usd: Option<String>,
}

impl SnsSender {
    /// A sender whose SNS client is built on the first send from [`sdk_config`]: region and
    /// credentials from the function's environment only (no profile files, no instance
    /// metadata; see [`crate::aws`]). Rounds that send nothing never build it.
    pub fn new(settings: &SmsSettings) -> Self {
        Self::with_cell(OnceLock::new(), settings)
    }

    /// A sender that sends through `client` (built, say, from [`sdk_config`] with another
    /// endpoint or HTTP client), with the attributes `settings` give.
    pub fn with_client(client: aws_sdk_sns::Client, settings: &SmsSettings) -> Self {
        Self::with_cell(OnceLock::from(client), settings)
    }

    fn with_cell(client: OnceLock<aws_sdk_sns::Client>, settings: &SmsSettings) -> Self {
        Self {
            client,
            sender_id: settings.sender_id.clone(),
            origination_number: settings.origination_number.clone(),
            max_price_usd: settings.max_price_usd.clone(),
        }
    }

    fn client(&self) -> &aws_sdk_sns::Client {
        self.client.get_or_init(|| aws_sdk_sns::Client::new(&sdk_config()))
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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_sns::operation::publish::{PublishError, PublishInput, PublishOutput};
    use aws_sdk_sns::types::error::InvalidParameterException;
    use aws_smithy_mocks::{Rule, mock};
    use tokio::time::Instant;

    use super::*;
    use crate::aws::mocked;

    const TO: &str = "+15555550100";
    const TEXT: &str = "123456 is your Example sign-in code. It expires in 5 minutes.";

    fn settings() -> SmsSettings {
        SmsSettings {
            templates: Default::default(),
            app_name: "Example".into(),
            sender_id: None,
            origination_number: None,
            webotp_domain: None,
            max_price_usd: None,
        }
    }

    fn to() -> PhoneNumber {
        PhoneNumber::parse(TO).expect("a valid number")
    }

    /// A sender whose client has the production configuration, answered by `rules` in turn.
    fn sender(settings: &SmsSettings, rules: &[&Rule]) -> SnsSender {
        SnsSender::with_client(mocked::sns(&sdk_config(), mocked::mock_http(), rules), settings)
    }

    /// A `Publish` that succeeds, keeping each request it answered.
    fn accepting() -> (Rule, Arc<Mutex<Vec<PublishInput>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let rule = mock!(aws_sdk_sns::Client::publish)
            .match_requests(move |input| {
                log.lock().expect("not poisoned").push(input.clone());
                true
            })
            .then_output(|| PublishOutput::builder().message_id("message-1").build());
        (rule, seen)
    }

    /// SNS's answer to a throttled `Publish`, as the service sends it.
    fn throttling() -> Option<String> {
        Some(
            "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>Sender</Type>\
             <Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"
                .into(),
        )
    }

    fn attribute<'a>(input: &'a PublishInput, name: &str) -> Option<(&'a str, Option<&'a str>)> {
        let value = input.message_attributes()?.get(name)?;
        Some((value.data_type(), value.string_value()))
    }

    #[tokio::test]
    async fn a_send_is_one_transactional_publish_to_the_number_with_the_text() {
        let (rule, seen) = accepting();
        sender(&settings(), &[&rule]).send(&to(), TEXT).await.expect("sent");

        let publish = mocked::only(&seen, "Publish");
        assert_eq!(publish.phone_number(), Some(TO));
        assert_eq!(publish.message(), Some(TEXT));
        assert_eq!(publish.topic_arn(), None, "straight to the number, never a topic");
        assert_eq!(publish.target_arn(), None);
        assert_eq!(attribute(&publish, "AWS.SNS.SMS.SMSType"), Some(("String", Some("Transactional"))));
        // Nothing configured, nothing else sent: SNS's account defaults apply.
        let names: Vec<_> = publish.message_attributes().map(|a| a.keys().cloned().collect()).unwrap_or_default();
        assert_eq!(names, ["AWS.SNS.SMS.SMSType"]);
    }

    #[tokio::test]
    async fn the_sender_id_origination_number_and_max_price_go_as_attributes_when_set() {
        let settings = SmsSettings {
            sender_id: Some("EXAMPLE".into()),
            origination_number: Some(PhoneNumber::parse("+18005550199").expect("a valid number")),
            max_price_usd: Some("0.05".into()),
            ..settings()
        };
        let (rule, seen) = accepting();
        sender(&settings, &[&rule]).send(&to(), TEXT).await.expect("sent");

        let publish = mocked::only(&seen, "Publish");
        assert_eq!(attribute(&publish, "AWS.SNS.SMS.SMSType"), Some(("String", Some("Transactional"))));
        assert_eq!(attribute(&publish, "AWS.SNS.SMS.SenderID"), Some(("String", Some("EXAMPLE"))));
        assert_eq!(attribute(&publish, "AWS.MM.SMS.OriginationNumber"), Some(("String", Some("+18005550199"))));
        assert_eq!(attribute(&publish, "AWS.SNS.SMS.MaxPrice"), Some(("String", Some("0.05"))));
        assert_eq!(publish.message_attributes().map(|a| a.len()), Some(4));
    }

    #[tokio::test]
    async fn each_optional_attribute_is_sent_alone_when_only_it_is_set() {
        let cases: [(&str, SmsSettings); 3] = [
            ("AWS.SNS.SMS.SenderID", SmsSettings { sender_id: Some("EXAMPLE".into()), ..settings() }),
            (
                "AWS.MM.SMS.OriginationNumber",
                SmsSettings { origination_number: PhoneNumber::parse("+18005550199").ok(), ..settings() },
            ),
            ("AWS.SNS.SMS.MaxPrice", SmsSettings { max_price_usd: Some("0.05".into()), ..settings() }),
        ];
        for (name, settings) in cases {
            let (rule, seen) = accepting();
            sender(&settings, &[&rule]).send(&to(), TEXT).await.expect("sent");
            let publish = mocked::only(&seen, "Publish");
            let mut names: Vec<_> =
                publish.message_attributes().map(|a| a.keys().cloned().collect()).unwrap_or_default();
            names.sort();
            let mut expected = vec!["AWS.SNS.SMS.SMSType".to_owned(), name.to_owned()];
            expected.sort();
            assert_eq!(names, expected, "{name}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_is_retried_and_the_next_answer_counts() {
        let rule = mock!(aws_sdk_sns::Client::publish)
            .sequence()
            .http_status(400, throttling())
            .output(|| PublishOutput::builder().message_id("message-1").build())
            .build();
        let started = Instant::now();
        sender(&settings(), &[&rule]).send(&to(), TEXT).await.expect("sent on the second attempt");
        assert_eq!(rule.num_calls(), 2, "one throttled Publish, one that went through");
        assert!(started.elapsed() < SEND_TIMEOUT, "{:?}", started.elapsed());
    }

    #[tokio::test(start_paused = true)]
    async fn a_server_error_is_retried_too() {
        let rule = mock!(aws_sdk_sns::Client::publish)
            .sequence()
            .http_status(500, None)
            .output(|| PublishOutput::builder().message_id("message-1").build())
            .build();
        sender(&settings(), &[&rule]).send(&to(), TEXT).await.expect("sent on the second attempt");
        assert_eq!(rule.num_calls(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_every_time_ends_after_max_attempts_with_its_code_inside_the_deadline() {
        let rule = mock!(aws_sdk_sns::Client::publish).sequence().http_status(400, throttling()).repeatedly().build();
        let started = Instant::now();
        let result = sender(&settings(), &[&rule]).send(&to(), TEXT).await;
        assert_eq!(result, Err(SendError::Refused { code: "Throttling".into() }));
        assert_eq!(rule.num_calls(), MAX_ATTEMPTS as usize, "one Publish and two retries, no more");
        // The backoffs (jittered, at most 250 ms then 500 ms: see aws::initial_backoff) fit in the deadline.
        assert!(started.elapsed() < SEND_TIMEOUT, "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn a_refusal_is_not_retried_and_keeps_only_the_code() {
        let rule = mock!(aws_sdk_sns::Client::publish).sequence().http_status(
            400,
            Some(
                "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>Sender</Type>\
                 <Code>InvalidParameter</Code><Message>Invalid parameter: PhoneNumber Reason: +15555550100 is not valid</Message>\
                 </Error><RequestId>r-1</RequestId></ErrorResponse>"
                    .into(),
            ),
        ).repeatedly().build();
        let result = sender(&settings(), &[&rule]).send(&to(), TEXT).await;
        assert_eq!(result, Err(SendError::Refused { code: "InvalidParameter".into() }));
        assert_eq!(rule.num_calls(), 1, "a refusal is final");
        // The service's message quoted the number; what reaches logs and the client does not.
        let message = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(!message.contains("5555550100"), "{message}");
    }

    #[tokio::test]
    async fn a_modeled_refusal_maps_to_its_code() {
        let rule = mock!(aws_sdk_sns::Client::publish).then_error(|| {
            PublishError::InvalidParameterException(
                InvalidParameterException::builder()
                    .message("Invalid parameter")
                    .meta(aws_sdk_sns::error::ErrorMetadata::builder().code("InvalidParameter").build())
                    .build(),
            )
        });
        let result = sender(&settings(), &[&rule]).send(&to(), TEXT).await;
        assert_eq!(result, Err(SendError::Refused { code: "InvalidParameter".into() }));
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_sns_is_cut_off_at_the_send_timeout_and_not_retried() {
        let never = mocked::never();
        let sender = SnsSender::with_client(mocked::sns(&sdk_config(), never.clone(), &[]), &settings());
        let started = Instant::now();
        let result = sender.send(&to(), TEXT).await;
        assert_eq!(result, Err(SendError::Timeout));
        // A Publish that timed out may have been delivered: sending it again could send the
        // code twice.
        assert_eq!(never.num_calls(), 1, "the slow Publish was not retried");
        assert_eq!(started.elapsed(), SEND_TIMEOUT);
    }

    #[tokio::test(start_paused = true)]
    async fn an_unreachable_sns_is_tried_max_attempts_times_then_reported() {
        let unreachable = mocked::Unreachable::default();
        let sender = SnsSender::with_client(mocked::sns(&sdk_config(), unreachable.clone(), &[]), &settings());
        let started = Instant::now();
        let result = sender.send(&to(), TEXT).await;
        assert_eq!(result, Err(SendError::Unreachable));
        assert_eq!(unreachable.attempts(), MAX_ATTEMPTS as usize);
        assert!(started.elapsed() < SEND_TIMEOUT, "{:?}", started.elapsed());
    }

    #[test]
    fn the_production_sender_builds_its_client_only_on_the_first_send() {
        let sender = SnsSender::new(&settings());
        assert!(sender.client.get().is_none(), "no SDK work before a send");
    }
}
