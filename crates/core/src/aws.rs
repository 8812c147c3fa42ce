//! What create's two AWS clients (SNS for the SMS, DynamoDB for the per-number limit) share:
//! one SDK configuration and one HTTP client, built once, and one way of reading their errors.
//!
//! Built on first use rather than at start-up: building the HTTP client loads the system's TLS
//! root certificates, the largest part of create's cold start, and rounds that send nothing
//! (unknown users, test numbers, answers) never need it.
//!
//! Lambda hands a function everything it needs in its environment: `AWS_REGION` and the
//! execution role's credentials (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`). So the configuration is read from there and nowhere else, rather than
//! through `aws_config::load_defaults`, whose chains (profile files, SSO, web identity through
//! STS, container and instance metadata) can never apply here and would add some 400 kB to
//! create's binary, past its 5 MB budget.

use std::sync::OnceLock;
use std::time::Duration;

use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_sns::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

/// The configuration of one service's client: the shared one (below) with the service's endpoint
/// ([`endpoint_url`]), a connect timeout, an overall `deadline` and at most `attempts` attempts.
///
/// There is deliberately no per-attempt timeout: an attempt that timed out may still have been
/// carried out (an SMS delivered, a count added), and retrying it would do it twice (seen under
/// load on the local stack: the same code sent twice). So a slow service gets one attempt, cut
/// off at the deadline; retries happen only after it answered with a retryable error
/// (throttling, 5xx) or the connection failed.
pub fn service_config(service: &str, connect: Duration, deadline: Duration, attempts: u32) -> SdkConfig {
    let timeouts = TimeoutConfig::builder().connect_timeout(connect).operation_timeout(deadline).build();
    let mut builder = shared_config()
        .to_builder()
        .timeout_config(timeouts)
        .retry_config(RetryConfig::standard().with_max_attempts(attempts));
    builder.set_endpoint_url(endpoint_url(service));
    builder.build()
}

/// Region and credentials from the function's environment, HTTPS with rustls on ring (the SDK's
/// default TLS stack, aws-lc, would add a megabyte or more), built once for both clients.
fn shared_config() -> &'static SdkConfig {
    static SHARED: OnceLock<SdkConfig> = OnceLock::new();
    SHARED.get_or_init(|| {
        let http =
            aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(CryptoMode::Ring)).build_https();
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(std::env::var("AWS_REGION").ok().map(Region::new))
            .credentials_provider(SharedCredentialsProvider::new(EnvironmentVariableCredentialsProvider::new()))
            .http_client(http)
            .build()
    })
}

/// The endpoint to call for a service instead of AWS's, as the AWS SDKs read it from the
/// environment: `AWS_ENDPOINT_URL_<SERVICE>` (e.g. `AWS_ENDPOINT_URL_SNS`), else
/// `AWS_ENDPOINT_URL` (a local stack sets it). Unset in AWS.
fn endpoint_url(service: &str) -> Option<String> {
    let specific = std::env::var(format!("AWS_ENDPOINT_URL_{service}")).ok();
    specific.or_else(|| std::env::var("AWS_ENDPOINT_URL").ok()).filter(|url| !url.trim().is_empty())
}

/// Why a call to an AWS service failed, with the service's error code at most: error messages
/// can quote the request (a phone number), and these end up in logs and in front of the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Timeout,
    Unreachable,
    Refused { code: String },
}

pub fn classify<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Failure {
    match err {
        SdkError::TimeoutError(_) => Failure::Timeout,
        SdkError::DispatchFailure(failure) if failure.is_timeout() => Failure::Timeout,
        SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_) => Failure::Unreachable,
        _ => Failure::Refused { code: err.code().unwrap_or("Unknown").to_owned() },
    }
}
