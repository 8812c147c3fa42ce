//! A local AWS endpoint for whichever function the harness starts with `AWS_ENDPOINT_URL`
//! pointing at it (and `SEND_LIMIT_TABLE` set, for the per-number limit):
//!
//! - **DynamoDB**, any operation (AWS JSON 1.0, named by `X-Amz-Target:
//!   DynamoDB_20120810.<Operation>`): answered `{}`, which is a successful `UpdateItem` or
//!   `DeleteItem` without `ReturnValues`, a `GetItem` that found no item, and so on: every call a
//!   trigger makes to the send-limit table succeeds and finds a clean slate;
//! - **SNS `Publish`**, in the query protocol the SDKs use for SNS (form body `Action=Publish&...`,
//!   answered with a `PublishResponse`) or in AWS JSON (`X-Amz-Target: AmazonSNS.Publish`,
//!   answered with a `MessageId`).
//!
//! Every call is counted by `Service.Operation` (`DynamoDB.UpdateItem`, `SNS.Publish`), so the
//! harness can check what each invoke did and budget the round trips it made. Anything else is
//! answered 400 and counted as `unknown.<what>`, so a check on the counts catches it.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::http::{Acceptors, Connection, Request};

const PUBLISH_RESPONSE: &str = r#"<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>00000000-0000-0000-0000-000000000000</MessageId></PublishResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000001</RequestId></ResponseMetadata></PublishResponse>"#;
const PUBLISH_JSON_RESPONSE: &str = r#"{"MessageId":"00000000-0000-0000-0000-000000000000"}"#;
/// The harness's own round-trip probe; answered, never counted.
const PING_TARGET: &str = "Bench.Ping";

/// Calls by `Service.Operation`.
pub type Calls = BTreeMap<String, u64>;

pub struct FakeAws {
    pub addr: SocketAddr,
    calls: Arc<Mutex<Calls>>,
    acceptors: Acceptors,
}

impl Drop for FakeAws {
    fn drop(&mut self) {
        self.acceptors.close();
    }
}

enum Answer {
    Json(&'static str),
    Xml(&'static str),
    Refused,
}

/// What a request is (`Service.Operation`) and how to answer it.
fn classify(request: &Request) -> (String, Answer) {
    if let Some((prefix, operation)) = request.amz_target.split_once('.') {
        return match prefix {
            p if p.starts_with("DynamoDB_") => (format!("DynamoDB.{operation}"), Answer::Json("{}")),
            "AmazonSNS" if operation == "Publish" => ("SNS.Publish".into(), Answer::Json(PUBLISH_JSON_RESPONSE)),
            _ => (format!("unknown.{}", request.amz_target), Answer::Refused),
        };
    }
    let action = String::from_utf8_lossy(&request.body)
        .split('&')
        .find_map(|pair| pair.strip_prefix("Action=").map(str::to_owned))
        .unwrap_or_default();
    match action.as_str() {
        "Publish" => ("SNS.Publish".into(), Answer::Xml(PUBLISH_RESPONSE)),
        other => (format!("unknown.{} {}:{other}", request.method, request.path), Answer::Refused),
    }
}

impl FakeAws {
    pub fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let calls = Arc::new(Mutex::new(Calls::new()));
        let counter = calls.clone();
        let acceptors = Acceptors::start(listener, move |mut conn: Connection| {
            while let Ok(Some(request)) = conn.next_request() {
                let answered = if request.amz_target == PING_TARGET {
                    conn.respond(200, &[("content-type", "application/x-amz-json-1.0".to_owned())], b"{}")
                } else {
                    let (call, answer) = classify(&request);
                    *counter.lock().unwrap_or_else(PoisonError::into_inner).entry(call).or_default() += 1;
                    match answer {
                        Answer::Json(body) => {
                            let headers = [("content-type", "application/x-amz-json-1.0".to_owned())];
                            conn.respond(200, &headers, body.as_bytes())
                        }
                        Answer::Xml(body) => {
                            conn.respond(200, &[("content-type", "text/xml".to_owned())], body.as_bytes())
                        }
                        Answer::Refused => {
                            let headers = [("content-type", "application/x-amz-json-1.0".to_owned())];
                            conn.respond(400, &headers, br#"{"__type":"UnknownOperationException"}"#)
                        }
                    }
                };
                if answered.is_err() {
                    return;
                }
            }
        })?;
        Ok(Self { addr, calls, acceptors })
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every call so far, by `Service.Operation`.
    pub fn calls(&self) -> Calls {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The calls made since `before` (a [`FakeAws::calls`] snapshot), without the zeros.
    pub fn calls_since(&self, before: &Calls) -> Calls {
        self.calls()
            .into_iter()
            .map(|(call, n)| {
                let earlier = before.get(&call).copied().unwrap_or(0);
                (call, n - earlier)
            })
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// The median round trip of one small POST over a kept-alive loopback connection: what one
    /// AWS call to this endpoint costs at the least, apart from the SDK's own work.
    pub fn round_trip(&self, samples: usize) -> std::io::Result<Duration> {
        let mut stream = TcpStream::connect(self.addr)?;
        stream.set_nodelay(true)?;
        let request =
            format!("POST / HTTP/1.1\r\nhost: aws\r\nx-amz-target: {PING_TARGET}\r\ncontent-length: 2\r\n\r\n{{}}");
        let mut times = Vec::with_capacity(samples);
        let mut buf = [0u8; 4096];
        for _ in 0..samples {
            let start = Instant::now();
            stream.write_all(request.as_bytes())?;
            let mut got = 0;
            // The response is small and comes in one piece; read until its body has arrived.
            while !buf[..got].ends_with(b"{}") {
                let read = stream.read(&mut buf[got..])?;
                if read == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                got += read;
            }
            times.push(start.elapsed());
        }
        times.sort();
        Ok(times.get(samples / 2).copied().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(target: Option<&str>, body: &str) -> (u16, String) {
        let aws = FakeAws::start().expect("start");
        let mut stream = TcpStream::connect(aws.addr).expect("connect");
        let target = target.map(|t| format!("x-amz-target: {t}\r\n")).unwrap_or_default();
        let request = format!("POST / HTTP/1.1\r\nhost: aws\r\n{target}content-length: {}\r\n\r\n{body}", body.len());
        stream.write_all(request.as_bytes()).expect("write");
        let mut response = Vec::new();
        let mut buf = [0u8; 4096];
        // One response per connection here: read until the body announced has arrived.
        loop {
            let n = stream.read(&mut buf).expect("read");
            response.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&response);
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if body.len() >= len {
                    let status = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
                    assert_eq!(aws.calls().values().sum::<u64>(), 1, "{:?}", aws.calls());
                    return (status, body.to_owned());
                }
            }
            assert!(n > 0, "connection closed early");
        }
    }

    #[test]
    fn every_dynamodb_operation_succeeds_with_an_empty_answer() {
        for op in ["UpdateItem", "GetItem", "DeleteItem", "PutItem"] {
            let (status, body) = post(Some(&format!("DynamoDB_20120810.{op}")), r#"{"TableName":"t"}"#);
            assert_eq!((status, body.as_str()), (200, "{}"), "{op}");
        }
    }

    #[test]
    fn sns_publish_in_query_and_json_protocols() {
        let (status, body) = post(None, "Action=Publish&Version=2010-03-31&PhoneNumber=%2B15555550100");
        assert_eq!(status, 200);
        assert!(body.contains("<MessageId>"), "{body}");
        let (status, body) = post(Some("AmazonSNS.Publish"), r#"{"PhoneNumber":"+15555550100"}"#);
        assert_eq!((status, body.as_str()), (200, PUBLISH_JSON_RESPONSE));
    }

    #[test]
    fn anything_else_is_refused_and_counted_as_unknown() {
        let (status, _) = post(None, "Action=Subscribe");
        assert_eq!(status, 400);
        let (status, _) = post(Some("AmazonSQS.SendMessage"), "{}");
        assert_eq!(status, 400);
    }

    #[test]
    fn calls_are_counted_by_operation() {
        let aws = FakeAws::start().expect("start");
        let before = aws.calls();
        let mut stream = TcpStream::connect(aws.addr).expect("connect");
        for target in ["DynamoDB_20120810.GetItem", "DynamoDB_20120810.UpdateItem", "DynamoDB_20120810.UpdateItem"] {
            let request =
                format!("POST / HTTP/1.1\r\nhost: aws\r\nx-amz-target: {target}\r\ncontent-length: 2\r\n\r\n{{}}");
            stream.write_all(request.as_bytes()).expect("write");
            let mut buf = [0u8; 1024];
            let mut got = 0;
            while !buf[..got].ends_with(b"{}") {
                got += stream.read(&mut buf[got..]).expect("read");
            }
        }
        aws.round_trip(10).expect("ping");
        let calls = aws.calls_since(&before);
        assert_eq!(calls.get("DynamoDB.GetItem"), Some(&1));
        assert_eq!(calls.get("DynamoDB.UpdateItem"), Some(&2));
        assert_eq!(calls.len(), 2, "the ping is not counted: {calls:?}");
    }
}
