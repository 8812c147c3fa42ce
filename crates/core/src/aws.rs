//! What create's two AWS clients (SNS for the SMS, DynamoDB for the per-number limit) share:
//! one SDK configuration and one HTTP client, built once, and one way of reading their errors.
//!
//! Built on first use rather than at start-up: loading the configuration loads the system's TLS
//! root certificates, the largest part of create's cold start, and rounds that send nothing
//! (unknown users, test numbers, answers) never need it.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_sns::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use tokio::sync::OnceCell;

/// The standard AWS configuration of the environment (region, credentials, `AWS_ENDPOINT_URL`
/// for a local stack), with rustls on ring: the SDK's default TLS stack (aws-lc) would add a
/// megabyte or more to the binary. Each client sets its own timeouts and retries on top.
pub async fn sdk_config() -> &'static SdkConfig {
    static SHARED: OnceCell<SdkConfig> = OnceCell::const_new();
    SHARED
        .get_or_init(|| async {
            let http = aws_smithy_http_client::Builder::new()
                .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
                .build_https();
            aws_config::defaults(BehaviorVersion::latest()).http_client(http).load().await
        })
        .await
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
