//! Faults end to end: SNS unreachable, SNS answering `Throttling`, SNS too slow, and the
//! per-number limit table unreachable; SNS and DynamoDB slow but answering; Cognito's retry of a
//! create call still waiting on SNS.
//!
//! Each case points the deployed create function's SNS (or DynamoDB) endpoint at a local fake
//! (`AWS_ENDPOINT_URL_SNS`, ...) and checks what a user relies on: the sign-in ends in time
//! with a clear error and no tokens, no SMS went out, and once the service is back the next
//! sign-in of the same number works with exactly one SMS. The cases change the one create
//! function of the stack, so `make e2e` runs this file on its own, one test at a time.

use std::time::{Duration, Instant};

use e2e::{Stack, tokens};
use signin_client::ClientError;
use tokio::net::TcpListener;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Cognito gives a trigger 5 seconds; the sign-in must have failed well before the client
/// would see Cognito's own timeout. (A deadline, not a speed figure: the trigger gives up after
/// at most 3 s of SNS or 0.8 s of DynamoDB.)
const COGNITO_LIMIT: Duration = Duration::from_secs(5);

/// How the fake service answers.
#[derive(Clone, Copy)]
enum Behaviour {
    /// HTTP 400 with SNS's `Throttling` error, every time.
    Throttling,
    /// Takes the request and answers only after 30 s, far past any deadline of the trigger.
    Silent,
}

/// A fake AWS endpoint (a wiremock server on 127.0.0.1) that misbehaves, and counts the requests
/// it got.
struct FakeService {
    url: String,
    server: MockServer,
}

impl FakeService {
    async fn start(behaviour: Behaviour) -> Self {
        // Loopback only, whatever wiremock's default.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a local port");
        let server = MockServer::builder().listener(listener).start().await;
        let response = match behaviour {
            Behaviour::Throttling => ResponseTemplate::new(400).set_body_raw(
                "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error>\
                 <Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>\
                 <RequestId>fault-test</RequestId></ErrorResponse>",
                "text/xml",
            ),
            Behaviour::Silent => ResponseTemplate::new(200).set_delay(Duration::from_secs(30)),
        };
        Mock::given(any()).respond_with(response).mount(&server).await;
        Self { url: server.uri(), server }
    }

    /// The requests it received so far, answered or not.
    async fn requests(&self) -> usize {
        self.server.received_requests().await.map_or(0, |requests| requests.len())
    }
}

/// A URL where nothing listens: a port that was free a moment ago.
async fn nothing_listening() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a local port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    drop(listener);
    url
}

/// Starts a sign-in for a fresh, signed-up number while create's `variable` points at `url`,
/// checks it fails in time with `expected` in the message and sends nothing, then checks that
/// the same number signs in normally once the endpoint is back.
async fn sign_in_through_fault(stack: &Stack, variable: &str, url: &str, expected: &str) {
    let phone = Stack::new_phone();
    stack.sign_up(&phone).await;

    stack.set_create_environment(&[(variable, url)]).await;
    let started = Instant::now();
    let outcome = stack.client.start(&phone).await;
    let took = started.elapsed();
    stack.set_create_environment(&[]).await;

    match outcome {
        Err(ClientError::Refused(message)) => {
            assert!(message.contains(expected), "expected {expected:?} in the error, got {message:?}");
            assert!(message.contains("please try again"), "{message}");
            assert!(!message.contains(&phone[2..]), "the error shows the number: {message}");
        }
        other => panic!("expected a clear error, got {other:?}"),
    }
    assert!(took < COGNITO_LIMIT, "the sign-in took {took:?} to fail");
    assert!(stack.sms(&phone).is_empty(), "an SMS went out while the service failed");

    // Back to normal: the next sign-in of the same number works, with one SMS.
    let challenge = stack.start(&phone).await;
    let code = stack.latest_code(&phone);
    tokens(stack.client.answer(&phone, &challenge.session, &code).await);
    assert_eq!(stack.sms(&phone).len(), 1, "exactly the one SMS of the sign-in that worked");
}

/// Runs `scenario`, then gives create its deployed environment back even if the scenario failed,
/// so one failing case does not break the ones after it.
async fn restoring<F: Future<Output = ()> + Send + 'static>(scenario: F) {
    let outcome = tokio::spawn(scenario).await;
    Stack::connect().await.set_create_environment(&[]).await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`; changes the create function"]
async fn sns_unreachable() {
    restoring(async {
        let stack = Stack::connect().await;
        let url = nothing_listening().await;
        sign_in_through_fault(&stack, "AWS_ENDPOINT_URL_SNS", &url, "the SMS service could not be reached").await;
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`; changes the create function"]
async fn sns_throttling() {
    restoring(async {
        let stack = Stack::connect().await;
        let sns = FakeService::start(Behaviour::Throttling).await;
        sign_in_through_fault(
            &stack,
            "AWS_ENDPOINT_URL_SNS",
            &sns.url,
            "the SMS service refused the message (Throttling)",
        )
        .await;
        // Throttling is worth retrying, a bounded number of times.
        assert_eq!(sns.requests().await, 3, "one Publish and two retries");
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`; changes the create function"]
async fn sns_too_slow() {
    restoring(async {
        let stack = Stack::connect().await;
        let sns = FakeService::start(Behaviour::Silent).await;
        sign_in_through_fault(&stack, "AWS_ENDPOINT_URL_SNS", &sns.url, "the SMS service did not answer in time").await;
        // One attempt: a Publish that timed out may have gone through, so it is not repeated.
        assert_eq!(sns.requests().await, 1, "the slow Publish was not retried");
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`; changes the create function"]
async fn send_limit_table_unreachable() {
    restoring(async {
        let stack = Stack::connect().await;
        assert!(stack.config.send_limit_table.is_some(), "make e2e deploys with the per-number limit");
        let url = nothing_listening().await;
        sign_in_through_fault(&stack, "AWS_ENDPOINT_URL_DYNAMODB", &url, "could not check the per-number limits").await;
    })
    .await;
}

/// A dependency that is slow but answers: a TCP relay on 127.0.0.1 in front of the emulator that
/// holds each new connection `delay` before it passes anything on. Stops when dropped.
struct SlowRelay {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl SlowRelay {
    async fn start(target: &str, delay: Duration) -> Self {
        let target = target.trim_start_matches("http://").trim_end_matches('/').to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a local port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self { url, task }
    }
}

impl Drop for SlowRelay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn emulator() -> String {
    std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL, set by make e2e")
}

/// SNS and DynamoDB both slow (2 s and 0.4 s on each new connection) but answering: the sign-in
/// still ends with one SMS and tokens, each call to create inside Cognito's 5 seconds.
#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`; changes the create function"]
async fn slow_dependencies_still_sign_in_with_one_sms() {
    restoring(async {
        let stack = Stack::connect().await;
        let sns = SlowRelay::start(&emulator(), Duration::from_secs(2)).await;
        let dynamodb = SlowRelay::start(&emulator(), Duration::from_millis(400)).await;
        let phone = Stack::new_phone();
        stack.sign_up(&phone).await;
        stack
            .set_create_environment(&[("AWS_ENDPOINT_URL_SNS", &sns.url), ("AWS_ENDPOINT_URL_DYNAMODB", &dynamodb.url)])
            .await;
        let started = Instant::now();
        let challenge = stack.start(&phone).await;
        let took = started.elapsed();
        assert!(took < COGNITO_LIMIT, "create answered after {took:?}");
        assert!(took >= Duration::from_secs(2), "the slow SNS was in the path: {took:?}");
        stack.set_create_environment(&[]).await;
        let code = stack.latest_code(&phone);
        tokens(stack.client.answer(&phone, &challenge.session, &code).await);
        assert_eq!(stack.sms(&phone).len(), 1, "one SMS");
    })
    .await;
}

/// Cognito's retry while the first call is still waiting on SNS: the same event invoked again a
/// second later sends no second SMS; its round says no new code was sent.
#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`; changes the create function"]
async fn a_retry_while_sns_is_slow_sends_no_second_sms() {
    restoring(async {
        let stack = Stack::connect().await;
        let sns = SlowRelay::start(&emulator(), Duration::from_secs(2)).await;
        let phone = Stack::new_phone();
        stack.sign_up(&phone).await;
        stack.set_create_environment(&[("AWS_ENDPOINT_URL_SNS", &sns.url)]).await;
        let mut event = Stack::sample_event("create-auth-challenge/first-call.json");
        event["userName"] = phone.clone().into();
        event["request"]["userAttributes"]["phone_number"] = phone.clone().into();
        let first = stack.invoke("CreateAuthChallengeFunction", event.clone());
        let retry = async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            stack.invoke("CreateAuthChallengeFunction", event.clone()).await
        };
        let (first, retry) = tokio::join!(first, retry);
        stack.set_create_environment(&[]).await;
        let first = first.expect("the first call answers");
        let retry = retry.expect("the retry answers");
        assert_eq!(first["response"]["publicChallengeParameters"]["codeSent"], "true");
        assert_eq!(retry["response"]["publicChallengeParameters"]["codeSent"], "false", "{retry}");
        assert_eq!(retry["response"]["publicChallengeParameters"]["resendInSeconds"], "0");
        assert_eq!(stack.sms(&phone).len(), 1, "one SMS for the two calls");
    })
    .await;
}
