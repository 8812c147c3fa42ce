//! Just enough HTTP/1.1 for the two local servers of the harness (the Lambda Runtime API and a
//! fake AWS endpoint): keep-alive connections, `Content-Length` bodies, `TCP_NODELAY` so no response
//! waits on Nagle's algorithm (40 ms stalls otherwise).

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Instant;

/// One request, with the moment its last byte arrived.
pub struct Request {
    pub method: String,
    pub path: String,
    /// The `X-Amz-Target` header, which names the operation of AWS's JSON protocols
    /// (`DynamoDB_20120810.UpdateItem`); empty when absent.
    pub amz_target: String,
    pub body: Vec<u8>,
    pub arrived: Instant,
}

/// Reads requests off one connection. Bytes past one request stay for the next.
pub struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    pub fn new(stream: TcpStream) -> io::Result<Self> {
        stream.set_nodelay(true)?;
        Ok(Self { stream, buffer: Vec::with_capacity(16 * 1024) })
    }

    /// The next request, or `None` when the peer closed the connection.
    pub fn next_request(&mut self) -> io::Result<Option<Request>> {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut parsed = httparse::Request::new(&mut headers);
            if let httparse::Status::Complete(head_len) =
                parsed.parse(&self.buffer).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?
            {
                let body_len = parsed
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                    .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if self.buffer.len() >= head_len + body_len {
                    let request = Request {
                        method: parsed.method.unwrap_or_default().to_owned(),
                        path: parsed.path.unwrap_or_default().to_owned(),
                        amz_target: parsed
                            .headers
                            .iter()
                            .find(|h| h.name.eq_ignore_ascii_case("x-amz-target"))
                            .and_then(|h| std::str::from_utf8(h.value).ok())
                            .unwrap_or_default()
                            .trim()
                            .to_owned(),
                        body: self.buffer[head_len..head_len + body_len].to_vec(),
                        arrived: Instant::now(),
                    };
                    self.buffer.drain(..head_len + body_len);
                    return Ok(Some(request));
                }
            }
            let mut chunk = [0u8; 16 * 1024];
            let read = self.stream.read(&mut chunk)?;
            if read == 0 {
                return Ok(None);
            }
            self.buffer.extend_from_slice(&chunk[..read]);
        }
    }

    /// Writes one response in a single write.
    pub fn respond(&mut self, status: u16, headers: &[(&str, String)], body: &[u8]) -> io::Result<()> {
        let mut out = format!("HTTP/1.1 {status} OK\r\ncontent-length: {}\r\n", body.len());
        for (name, value) in headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body);
        self.stream.write_all(&bytes)
    }
}

/// Accepts connections on `listener` forever, each on its own thread, handled by `serve`.
pub fn accept_forever(listener: TcpListener, serve: impl Fn(Connection) + Send + Sync + Clone + 'static) {
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let serve = serve.clone();
            std::thread::spawn(move || {
                if let Ok(connection) = Connection::new(stream) {
                    serve(connection);
                }
            });
        }
    });
}
