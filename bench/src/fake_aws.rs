//! A local AWS endpoint for create-auth-challenge: SNS `Publish` (form-encoded, answered with a
//! `PublishResponse` and counted) and DynamoDB `UpdateItem` (JSON, the per-number limit's
//! reservation, answered with `{}`: granted).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::http::{self, Connection};

const PUBLISH_RESPONSE: &str = r#"<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>00000000-0000-0000-0000-000000000000</MessageId></PublishResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000001</RequestId></ResponseMetadata></PublishResponse>"#;

pub struct FakeAws {
    pub addr: SocketAddr,
    published: Arc<AtomicU64>,
}

impl FakeAws {
    pub fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let published = Arc::new(AtomicU64::new(0));
        let counter = published.clone();
        http::accept_forever(listener, move |mut conn: Connection| {
            while let Ok(Some(request)) = conn.next_request() {
                let answered = if request.body.starts_with(b"{") {
                    let headers = [("content-type", "application/x-amz-json-1.0".to_owned())];
                    conn.respond(200, &headers, b"{}")
                } else {
                    counter.fetch_add(1, Ordering::Relaxed);
                    let headers = [("content-type", "text/xml".to_owned())];
                    conn.respond(200, &headers, PUBLISH_RESPONSE.as_bytes())
                };
                if answered.is_err() {
                    return;
                }
            }
        });
        Ok(Self { addr, published })
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn published(&self) -> u64 {
        self.published.load(Ordering::Relaxed)
    }

    /// The median round trip of one small POST over a kept-alive loopback connection: what a
    /// `Publish` to this endpoint costs at the least, apart from the SDK's own work.
    pub fn round_trip(&self, samples: usize) -> std::io::Result<Duration> {
        let mut stream = TcpStream::connect(self.addr)?;
        stream.set_nodelay(true)?;
        let request = b"POST / HTTP/1.1\r\nhost: sns\r\ncontent-length: 14\r\n\r\nAction=Publish";
        let mut times = Vec::with_capacity(samples);
        let mut buf = [0u8; 4096];
        for _ in 0..samples {
            let start = Instant::now();
            stream.write_all(request)?;
            let mut got = 0;
            // The response is small and comes in one piece; read until its body has arrived.
            while !buf[..got].ends_with(b"</PublishResponse>") {
                got += stream.read(&mut buf[got..])?;
            }
            times.push(start.elapsed());
        }
        self.published.fetch_sub(samples as u64, Ordering::Relaxed);
        times.sort();
        Ok(times[samples / 2])
    }
}
