//! Just enough HTTP/1.1 for the two local servers of the harness (the Lambda Runtime API and a
//! fake AWS endpoint): keep-alive connections, `Content-Length` bodies, `TCP_NODELAY` so no response
//! waits on Nagle's algorithm (40 ms stalls otherwise).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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
        respond(&mut self.stream, status, headers, body)
    }

    /// The connection's socket, to write a response from another thread.
    pub fn writer(&self) -> io::Result<TcpStream> {
        self.stream.try_clone()
    }
}

/// Writes one response on `stream` in a single write.
pub fn respond(stream: &mut TcpStream, status: u16, headers: &[(&str, String)], body: &[u8]) -> io::Result<()> {
    let mut out = format!("HTTP/1.1 {status} OK\r\ncontent-length: {}\r\n", body.len());
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes)
}

/// Threads waiting in `accept` on a listener, each serving the connection it accepted to its end
/// and then waiting again. A new connection is served at once, not after a thread was started
/// for it: starting one takes tens of microseconds, which would count into every cold start and
/// every first call to the fake AWS endpoint. When the last waiting thread takes a connection, it
/// starts another first, so there is always one waiting.
pub struct Acceptors {
    addr: SocketAddr,
    closed: Arc<AtomicBool>,
    idle: Arc<AtomicUsize>,
}

/// Threads waiting from the start.
const WAITING: usize = 3;

impl Acceptors {
    pub fn start(
        listener: TcpListener,
        serve: impl Fn(Connection) + Send + Sync + Clone + 'static,
    ) -> io::Result<Self> {
        let acceptors = Self {
            addr: listener.local_addr()?,
            closed: Arc::new(AtomicBool::new(false)),
            idle: Arc::new(AtomicUsize::new(0)),
        };
        let listener = Arc::new(listener);
        for _ in 0..WAITING {
            acceptors.spawn(listener.clone(), serve.clone())?;
        }
        Ok(acceptors)
    }

    fn spawn(
        &self,
        listener: Arc<TcpListener>,
        serve: impl Fn(Connection) + Send + Sync + Clone + 'static,
    ) -> io::Result<()> {
        let me = Self { addr: self.addr, closed: self.closed.clone(), idle: self.idle.clone() };
        self.idle.fetch_add(1, Ordering::SeqCst);
        let started = std::thread::Builder::new().stack_size(256 * 1024).spawn(move || {
            loop {
                let accepted = listener.accept();
                if me.closed.load(Ordering::SeqCst) {
                    me.idle.fetch_sub(1, Ordering::SeqCst);
                    return;
                }
                // The last one waiting: start the next before serving.
                if me.idle.fetch_sub(1, Ordering::SeqCst) == 1 && me.spawn(listener.clone(), serve.clone()).is_err() {
                    return;
                }
                if let Ok((stream, _)) = accepted
                    && let Ok(connection) = Connection::new(stream)
                {
                    serve(connection);
                }
                if me.closed.load(Ordering::SeqCst) {
                    return;
                }
                me.idle.fetch_add(1, Ordering::SeqCst);
            }
        });
        started.map(|_| ()).inspect_err(|_| {
            self.idle.fetch_sub(1, Ordering::SeqCst);
        })
    }

    /// Ends the waiting threads (each after the connection it serves, if any, closed).
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        for _ in 0..self.idle.load(Ordering::SeqCst) {
            let _ = TcpStream::connect(self.addr);
        }
    }
}
