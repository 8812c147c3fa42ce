//! What the AWS clients (SNS for create's SMS, DynamoDB for the per-number table create and
//! verify use) share: one SDK configuration and one HTTP client, built once, and one way of
//! reading their errors.
//!
//! Built on first use rather than at start-up, so rounds that send nothing (unknown users, test
//! numbers, answers) never pay for it.
//!
//! Lambda hands a function everything it needs in its environment: `AWS_REGION` and the
//! execution role's credentials (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`). So the configuration is read from there and nowhere else, rather than
//! through `aws_config::load_defaults`, whose chains (profile files, SSO, web identity through
//! STS, container and instance metadata) can never apply here and would add some 400 kB to
//! create's binary, past its 5 MB budget.
//!
//! TLS trusts the roots AWS's endpoints chain to, Amazon Trust Services', compiled in (taken from
//! Mozilla's set in `webpki-root-certs`), not the system's store: loading the system's store read
//! and decoded some 300 files on Debian, most of create's first send, and even Mozilla's 118
//! compiled-in roots took a millisecond to hand to the HTTP client (as PEM, decoded again for each
//! of the two clients). `SSL_CERT_FILE` names a PEM file of root certificates to trust instead (a
//! private CA, a TLS-inspecting proxy, or the system's bundle); it is read and checked once at
//! start-up ([`load_tls_roots`]).

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_sns::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// The standard variable naming a PEM file of root certificates, honoured in place of the
/// compiled-in set.
pub const CERT_FILE_VAR: &str = "SSL_CERT_FILE";

/// An `SSL_CERT_FILE` that cannot serve as create's trust store; worded as the configuration's
/// own refusals are, since it stops the function at init the same way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid configuration: {CERT_FILE_VAR}={path:?} is not allowed; expected a readable PEM file of root CA certificates ({why})"
)]
pub struct CertFileError {
    /// The file the variable names.
    pub path: String,
    /// What is wrong with it.
    pub why: String,
}

/// The configuration of one service's client: the shared one (below) with the service's endpoint
/// (`endpoint_url`), a connect timeout, an overall `deadline` and at most `attempts` attempts.
///
/// There is deliberately no per-attempt timeout: an attempt that timed out may still have been
/// carried out (an SMS delivered, a count added), and retrying it would do it twice (seen under
/// load on the local stack: the same code sent twice). So a slow service gets one attempt, cut
/// off at the deadline; retries happen only after it answered with a retryable error
/// (throttling, 5xx) or the connection failed.
///
/// Before a retry the SDK waits a jittered backoff: a random share of the initial backoff,
/// doubled for each later retry. Its default initial backoff (1 s) is longer than DynamoDB's
/// 0.8 s deadline, which made about one throttled DynamoDB call in four end as a timeout instead of
/// being retried; so the initial backoff is set from the deadline ([`initial_backoff`]): all the waits
/// together take at most a quarter of it, and every retry the attempts allow has time to happen.
pub fn service_config(service: &str, connect: Duration, deadline: Duration, attempts: u32) -> SdkConfig {
    let timeouts = TimeoutConfig::builder().connect_timeout(connect).operation_timeout(deadline).build();
    let mut builder = shared_config().to_builder().timeout_config(timeouts).retry_config(
        RetryConfig::standard().with_max_attempts(attempts).with_initial_backoff(initial_backoff(deadline, attempts)),
    );
    builder.set_endpoint_url(endpoint_url(service));
    builder.build()
}

/// The first retry's longest wait, such that all `attempts - 1` waits (each at most twice the one
/// before) add up to at most a quarter of `deadline`: 200 ms for DynamoDB (2 attempts in 0.8 s),
/// 250 ms for SNS (3 attempts in 3 s, so waits of at most 250 and 500 ms).
pub fn initial_backoff(deadline: Duration, attempts: u32) -> Duration {
    let retries = attempts.saturating_sub(1).min(16);
    let doublings = (1u32 << retries).saturating_sub(1).max(1);
    deadline / 4 / doublings
}

/// Region and credentials from the function's environment, HTTPS with rustls on ring (the SDK's
/// default TLS stack, aws-lc, would add a megabyte or more) trusting [`TlsRoots`], built once for
/// both clients.
fn shared_config() -> &'static SdkConfig {
    static SHARED: OnceLock<SdkConfig> = OnceLock::new();
    SHARED.get_or_init(|| {
        let roots = TLS_ROOTS.get().unwrap_or(&TlsRoots::Bundled);
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .tls_context(roots.tls_context())
            .build_https();
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(std::env::var("AWS_REGION").ok().map(Region::new))
            .credentials_provider(SharedCredentialsProvider::new(EnvironmentVariableCredentialsProvider::new()))
            .http_client(http)
            // Stalled-stream protection fails a transfer that makes no progress for its grace
            // period (20 s by default): every call here has a shorter deadline of its own (0.8 s, 3 s), so it
            // could never fire, and it cost each call about 0.05 ms of CPU in `make bench`.
            .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
            .build()
    })
}

static TLS_ROOTS: OnceLock<TlsRoots> = OnceLock::new();

/// Reads `SSL_CERT_FILE` (if set and not empty) and checks its certificates, at start-up: a file
/// that cannot be read, holds no certificate, or holds one that cannot be a root stops the
/// function at init with a message naming the variable. Not calling it, or leaving the variable
/// unset, means the compiled-in roots.
pub fn load_tls_roots() -> Result<(), CertFileError> {
    let roots = match std::env::var_os(CERT_FILE_VAR).filter(|v| !v.is_empty()) {
        Some(path) => TlsRoots::from_file(Path::new(&path))?,
        None => TlsRoots::Bundled,
    };
    if let TlsRoots::File { path, count, .. } = &roots {
        tracing::info!(path = %path, count, "TLS roots from SSL_CERT_FILE, in place of the compiled-in set");
    }
    // A second call (tests) keeps the first.
    let _ = TLS_ROOTS.set(roots);
    Ok(())
}

/// The root certificates create's HTTPS client trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsRoots {
    /// Amazon Trust Services' ([`AWS_ROOTS`]), as compiled into the binary by
    /// `webpki-root-certs`; the default.
    Bundled,
    /// The certificates of the PEM file `SSL_CERT_FILE` names, checked, in place of the bundled.
    File { path: String, pem: Vec<u8>, count: usize },
}

impl TlsRoots {
    /// The certificates of the PEM file at `path`, each checked the way the HTTP client will use
    /// it (which would otherwise panic on the first send).
    pub fn from_file(path: &Path) -> Result<Self, CertFileError> {
        let refused = |why: String| CertFileError { path: path.display().to_string(), why };
        let pem = std::fs::read(path).map_err(|e| refused(format!("it cannot be read: {e}")))?;
        let mut roots = rustls::RootCertStore::empty();
        for (n, cert) in CertificateDer::pem_slice_iter(&pem).enumerate() {
            let cert = cert.map_err(|e| refused(format!("certificate {} is not valid PEM: {e}", n + 1)))?;
            roots.add(cert).map_err(|e| refused(format!("certificate {} cannot be a root: {e}", n + 1)))?;
        }
        if roots.is_empty() {
            return Err(refused("it holds no CERTIFICATE block".into()));
        }
        Ok(Self::File { path: path.display().to_string(), count: roots.len(), pem })
    }

    fn tls_context(&self) -> TlsContext {
        let pem = match self {
            Self::Bundled => bundled_pem(),
            Self::File { pem, .. } => pem.clone(),
        };
        let trust = TrustStore::empty().with_native_roots(false).with_pem_certificate(pem);
        // `build` has no failure today; should it gain one, the default context (the system's
        // store) still sends.
        TlsContext::builder().with_trust_store(trust).build().unwrap_or_default()
    }
}

/// The roots every AWS service endpoint chains to: Amazon Trust Services' four, and the
/// Starfield root that cross-signs them for older clients. Matched by the common name in their
/// subject among Mozilla's roots (`webpki-root-certs`), so they come from a maintained copy.
pub const AWS_ROOTS: [&str; 5] = [
    "Amazon Root CA 1",
    "Amazon Root CA 2",
    "Amazon Root CA 3",
    "Amazon Root CA 4",
    "Starfield Services Root Certificate Authority - G2",
];

/// The [`AWS_ROOTS`] among Mozilla's root certificates (also what the existing-pool custom
/// resource trusts for its answer to CloudFormation, an S3 URL).
pub fn aws_roots() -> impl Iterator<Item = &'static CertificateDer<'static>> {
    webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().filter(|cert| {
        // A root is self-signed: its subject is also its issuer, so the name shows up twice, and
        // no other certificate of the set carries these names.
        AWS_ROOTS.iter().any(|name| memchr::memmem::find(cert.as_ref(), name.as_bytes()).is_some())
    })
}

/// [`aws_roots`] as the PEM the HTTP client's trust store takes. Five certificates instead of
/// Mozilla's 118 took create's first invoke in `make bench` from 2.9 ms to 1.2 ms (and the
/// system's store, before, to 6.5 ms), on the same loaded machine.
fn bundled_pem() -> Vec<u8> {
    let mut pem = String::with_capacity(AWS_ROOTS.len() * 2_200);
    for cert in aws_roots() {
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        pem.push_str(&aws_smithy_types::base64::encode(cert.as_ref()));
        pem.push_str("\n-----END CERTIFICATE-----\n");
    }
    pem.into_bytes()
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

/// Reads a failed call: the deadline passed (or the connection timed out), the service could
/// not be reached (or the request not built), or it answered with an error, of which only the
/// code is kept (`Unknown` when it gave none).
pub fn classify<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Failure {
    match err {
        SdkError::TimeoutError(_) => Failure::Timeout,
        SdkError::DispatchFailure(failure) if failure.is_timeout() => Failure::Timeout,
        SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_) => Failure::Unreachable,
        _ => Failure::Refused { code: err.code().unwrap_or("Unknown").to_owned() },
    }
}

/// A DynamoDB item, as the SDK hands it over.
pub type Item = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

/// What a DynamoDB write with a condition expression came to, when the service answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Conditional<T> {
    /// The condition held and the write was made; the operation's output.
    Applied(T),
    /// DynamoDB refused the write because its condition did not hold
    /// (`ConditionalCheckFailedException`): an answer, not a failure. With the item as it was,
    /// when the write asked for it (`ReturnValuesOnConditionCheckFailure: ALL_OLD`) and it exists,
    /// so the caller can tell which part of the condition failed without a second call.
    ConditionFailed(Option<Item>),
}

/// The errors of the DynamoDB operations the adapters send with a condition expression.
pub trait ConditionalError: ProvideErrorMetadata {
    /// The item as it was, if this is `ConditionalCheckFailedException`: `Some(None)` when the
    /// service returned no item.
    fn condition_failed(&self) -> Option<Option<Item>>;
}

impl ConditionalError for UpdateItemError {
    fn condition_failed(&self) -> Option<Option<Item>> {
        match self {
            Self::ConditionalCheckFailedException(e) => Some(e.item().cloned()),
            _ => None,
        }
    }
}

impl ConditionalError for DeleteItemError {
    fn condition_failed(&self) -> Option<Option<Item>> {
        match self {
            Self::ConditionalCheckFailedException(e) => Some(e.item().cloned()),
            _ => None,
        }
    }
}

/// Reads the result of a conditional write: [`Conditional::ConditionFailed`] when DynamoDB
/// refused it for its condition, any other error [`classify`]d.
pub fn conditional<T, E: ConditionalError, R>(result: Result<T, SdkError<E, R>>) -> Result<Conditional<T>, Failure> {
    match result {
        Ok(output) => Ok(Conditional::Applied(output)),
        Err(SdkError::ServiceError(e)) => match e.err().condition_failed() {
            Some(old) => Ok(Conditional::ConditionFailed(old)),
            None => Err(classify(&SdkError::ServiceError(e))),
        },
        Err(e) => Err(classify(&e)),
    }
}

/// The adapters' tests: their clients as production configures them ([`service_config`]: the
/// deadline, the attempts, the retry strategy), answered by `aws-smithy-mocks` rules or by a test
/// HTTP client instead of the network. Region and credentials are fixed, since the tests' own
/// environment has none.
#[cfg(test)]
pub(crate) mod mocked {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A request log for a rule's `match_requests`: every input of its operation is kept, and
    /// the rule still matches. Returns the log and the matcher.
    pub fn recorder<T: Clone + Send + 'static>()
    -> (Arc<std::sync::Mutex<Vec<T>>>, impl Fn(&T) -> bool + Send + Sync + 'static) {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        (seen, move |input: &T| {
            log.lock().expect("not poisoned").push(input.clone());
            true
        })
    }

    /// The requests the log holds so far.
    pub fn taken<T: Clone>(seen: &std::sync::Mutex<Vec<T>>) -> Vec<T> {
        seen.lock().expect("not poisoned").clone()
    }

    /// The one request of its kind the call made (none, or a second one, fails the test).
    pub fn only<T: Clone>(seen: &std::sync::Mutex<Vec<T>>, what: &str) -> T {
        let mut requests = taken(seen);
        assert_eq!(requests.len(), 1, "exactly one {what}");
        requests.remove(0)
    }

    /// A DynamoDB number.
    pub fn n(value: impl ToString) -> aws_sdk_dynamodb::types::AttributeValue {
        aws_sdk_dynamodb::types::AttributeValue::N(value.to_string())
    }

    /// A map (a DynamoDB item or key, expression names or values) from pairs.
    pub fn map<V: Clone>(pairs: &[(&str, V)]) -> std::collections::HashMap<String, V> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
    }

    use aws_config::SdkConfig;
    use aws_config::retry::RetryConfig;
    use aws_sdk_sns::config::{Credentials, HttpClient, Region, RuntimeComponents};
    use aws_sdk_sns::error::ConnectorError;
    use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode};
    use aws_smithy_runtime_api::client::http::{
        HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
    };
    use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
    use aws_smithy_runtime_api::shared::IntoShared;

    pub use aws_smithy_mocks::create_mock_http_client as mock_http;

    fn interceptor(mode: RuleMode, rules: &[&Rule]) -> MockResponseInterceptor {
        rules.iter().fold(MockResponseInterceptor::new().rule_mode(mode), |i, rule| i.with_rule(rule))
    }

    fn credentials() -> Credentials {
        Credentials::new("AKIDTEST", "test-secret", None, None, "unit tests")
    }

    /// An SNS client with `config` (the adapter's own), sending over `http`; with
    /// [`mock_http`], `rules` answer each call in turn (no rules: `http` answers).
    pub fn sns(config: &SdkConfig, http: impl HttpClient + 'static, rules: &[&Rule]) -> aws_sdk_sns::Client {
        let mut builder = aws_sdk_sns::config::Builder::from(config)
            .region(Region::from_static("us-east-1"))
            .credentials_provider(credentials())
            .http_client(http);
        if !rules.is_empty() {
            builder = builder.interceptor(interceptor(RuleMode::Sequential, rules));
        }
        aws_sdk_sns::Client::from_conf(builder.build())
    }

    /// A DynamoDB client with `config` (the adapter's own), sending over `http`; with
    /// [`mock_http`], `rules` answer each call in turn (no rules: `http` answers).
    pub fn dynamodb(config: &SdkConfig, http: impl HttpClient + 'static, rules: &[&Rule]) -> aws_sdk_dynamodb::Client {
        dynamodb_client(config, http, RuleMode::Sequential, rules)
    }

    /// A DynamoDB client with `config`, answered by `rules` taken as `mode` says
    /// ([`RuleMode::MatchAny`] for calls made at once, whose order is not fixed).
    pub fn dynamodb_with(config: &SdkConfig, mode: RuleMode, rules: &[&Rule]) -> aws_sdk_dynamodb::Client {
        dynamodb_client(config, mock_http(), mode, rules)
    }

    fn dynamodb_client(
        config: &SdkConfig,
        http: impl HttpClient + 'static,
        mode: RuleMode,
        rules: &[&Rule],
    ) -> aws_sdk_dynamodb::Client {
        let mut builder = aws_sdk_dynamodb::config::Builder::from(config)
            .region(Region::from_static("us-east-1"))
            .credentials_provider(credentials())
            .http_client(http);
        if !rules.is_empty() {
            builder = builder.interceptor(interceptor(mode, rules));
        }
        aws_sdk_dynamodb::Client::from_conf(builder.build())
    }

    /// DynamoDB's answer to a refused call (HTTP 400), as the service sends it: `code` is the
    /// error's name, e.g. `ConditionalCheckFailedException`.
    pub fn dynamodb_error(code: &str) -> Option<String> {
        Some(format!(r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{code}","message":"refused for the test"}}"#))
    }

    /// `config` with its retries made without waiting, the attempts and deadline kept.
    ///
    /// The SDK waits a jittered backoff before a retry ([`service_config`]); tests of what a retry
    /// does use this, so they do not depend on the draw; tests of the deadline use the
    /// production backoff.
    pub fn retrying_at_once(config: &SdkConfig) -> SdkConfig {
        let retry = config
            .retry_config()
            .cloned()
            .unwrap_or_else(RetryConfig::standard)
            .with_initial_backoff(std::time::Duration::ZERO);
        config.to_builder().retry_config(retry).build()
    }

    /// An HTTP client that cannot connect (as with nothing listening), and counts its attempts.
    #[derive(Debug, Clone, Default)]
    pub struct Unreachable {
        attempts: Arc<AtomicUsize>,
    }

    impl Unreachable {
        pub fn attempts(&self) -> usize {
            self.attempts.load(Ordering::SeqCst)
        }
    }

    impl HttpConnector for Unreachable {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            self.attempts.fetch_add(1, Ordering::SeqCst);
            let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
            HttpConnectorFuture::ready(Err(ConnectorError::io(refused.into())))
        }
    }

    impl HttpClient for Unreachable {
        fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
            self.clone().into_shared()
        }
    }

    /// A client that never answers, as a service too slow for the deadline (the SDK's own), with
    /// its count of calls.
    pub fn never() -> aws_smithy_http_client::test_util::NeverClient {
        aws_smithy_http_client::test_util::NeverClient::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_retry_wait_fits_a_quarter_of_the_deadline() {
        use crate::send_limit::dynamodb;
        use crate::sms::sns;
        assert_eq!(initial_backoff(dynamodb::RESERVE_TIMEOUT, dynamodb::MAX_ATTEMPTS), Duration::from_millis(200));
        assert_eq!(initial_backoff(sns::SEND_TIMEOUT, sns::MAX_ATTEMPTS), Duration::from_millis(250));
        for attempts in 1..=6u32 {
            let first = initial_backoff(Duration::from_secs(4), attempts);
            let all_waits: Duration = (0..attempts.saturating_sub(1)).map(|retry| first * (1 << retry)).sum();
            assert!(all_waits <= Duration::from_secs(1), "{attempts} attempts: {all_waits:?}");
        }
    }

    /// A file under the system's temporary folder, removed when dropped.
    struct TempFile(std::path::PathBuf);

    impl TempFile {
        fn with(name: &str, contents: &[u8]) -> Self {
            let path = std::env::temp_dir().join(format!("sms-otp-core-{}-{name}", std::process::id()));
            std::fs::write(&path, contents).expect("write a temporary file");
            Self(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn refusal(result: Result<TlsRoots, CertFileError>) -> CertFileError {
        match result {
            Err(e) => e,
            Ok(roots) => panic!("accepted: {roots:?}"),
        }
    }

    #[test]
    fn the_bundled_roots_are_amazon_trust_services_five_and_parse_as_the_client_parses_them() {
        let file = TempFile::with("bundled.pem", &bundled_pem());
        assert!(matches!(TlsRoots::from_file(&file.0), Ok(TlsRoots::File { count: 5, .. })));
        // Each name picked exactly one root of Mozilla's set.
        for name in AWS_ROOTS {
            let found = aws_roots().filter(|c| memchr::memmem::find(c.as_ref(), name.as_bytes()).is_some()).count();
            assert_eq!(found, 1, "{name}");
        }
    }

    #[test]
    fn the_bundled_roots_are_what_their_names_say() {
        // The subject of each, as the TLS verifier reads it, holds the name it was picked by.
        for cert in aws_roots() {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(cert.clone()).expect("a root");
            let subject = roots.roots[0].subject.as_ref().to_vec();
            assert!(
                AWS_ROOTS.iter().any(|name| memchr::memmem::find(&subject, name.as_bytes()).is_some()),
                "{}",
                String::from_utf8_lossy(&subject)
            );
        }
    }

    #[test]
    fn a_private_ca_file_is_used_in_place_of_the_bundled_roots() {
        let one = CertificateDer::pem_slice_iter(&bundled_pem()).next().expect("a root").expect("valid");
        let pem = format!(
            "a comment line\n-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            aws_smithy_types::base64::encode(one.as_ref())
        );
        let file = TempFile::with("private-ca.pem", pem.as_bytes());
        let roots = TlsRoots::from_file(&file.0).expect("accepted");
        assert!(matches!(&roots, TlsRoots::File { count: 1, .. }), "{roots:?}");
        // The client's trust store takes it as it is.
        let _ = roots.tls_context();
    }

    #[test]
    fn a_missing_empty_or_broken_file_is_refused_naming_the_variable() {
        let missing = refusal(TlsRoots::from_file(Path::new("/nonexistent/ca.pem")));
        assert_eq!(missing.path, "/nonexistent/ca.pem");
        assert!(missing.why.contains("cannot be read"), "{missing}");

        let empty = TempFile::with("empty.pem", b"no certificates here\n");
        let e = refusal(TlsRoots::from_file(&empty.0));
        assert!(e.why.contains("no CERTIFICATE"), "{e}");

        let broken = TempFile::with("broken.pem", b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
        let e = refusal(TlsRoots::from_file(&broken.0));
        assert!(e.why.contains("certificate 1 is not valid PEM"), "{e}");

        let not_x509 = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            aws_smithy_types::base64::encode(b"not a certificate")
        );
        let not_x509 = TempFile::with("not-x509.pem", not_x509.as_bytes());
        let e = refusal(TlsRoots::from_file(&not_x509.0));
        assert!(e.why.contains("certificate 1 cannot be a root"), "{e}");
        assert!(e.to_string().starts_with("invalid configuration: SSL_CERT_FILE="), "{e}");
    }
}
