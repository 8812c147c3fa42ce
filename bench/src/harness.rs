//! A local Lambda Runtime API: spawn a function's process, hand it events, time what it does.
//!
//! Each connection of the function gets a thread that turns requests into [`Message`]s for the
//! driver; the driver decides when `/next` is answered, so it knows to the microsecond when an
//! event left and when its response arrived.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::http::{self, Acceptors, Connection};

const API: &str = "/2018-06-01/runtime";
/// Longest wait for the function to ask for an event or answer one.
const PATIENCE: Duration = Duration::from_secs(10);

enum Message {
    /// `GET /invocation/next`: the driver writes the event on `writer` itself, so the time it
    /// takes is not stretched by waking another thread.
    Next {
        arrived: Instant,
        writer: TcpStream,
    },
    Response {
        arrived: Instant,
        body: Vec<u8>,
    },
    Error {
        body: Vec<u8>,
    },
}

struct RuntimeApi {
    addr: SocketAddr,
    messages: Receiver<Message>,
    acceptors: Acceptors,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.acceptors.close();
    }
}

impl RuntimeApi {
    fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let (tx, messages) = mpsc::channel();
        let acceptors = Acceptors::start(listener, move |conn| serve(conn, tx.clone()))?;
        Ok(Self { addr, messages, acceptors })
    }

    fn wait(&self) -> Result<Message, String> {
        self.messages.recv_timeout(PATIENCE).map_err(|e| match e {
            RecvTimeoutError::Timeout => format!("the function sent nothing for {PATIENCE:?}"),
            RecvTimeoutError::Disconnected => "the Runtime API stopped".to_owned(),
        })
    }
}

/// The headers of the answer to `GET /invocation/next`.
fn next_headers(request_id: String) -> [(&'static str, String); 5] {
    let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() + 5_000;
    [
        ("content-type", "application/json".to_owned()),
        ("lambda-runtime-aws-request-id", request_id),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        ("lambda-runtime-invoked-function-arn", "arn:aws:lambda:us-east-1:000000000000:function:bench".into()),
        (
            "lambda-runtime-trace-id",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0".into(),
        ),
    ]
}

fn serve(mut conn: Connection, to_driver: Sender<Message>) {
    while let Ok(Some(request)) = conn.next_request() {
        let path = request.path.strip_prefix(API).unwrap_or_default();
        let sent = if request.method == "GET" && path == "/invocation/next" {
            let Ok(writer) = conn.writer() else { return };
            if to_driver.send(Message::Next { arrived: request.arrived, writer }).is_err() {
                return;
            }
            Ok(())
        } else {
            let message = if path.ends_with("/response") {
                Message::Response { arrived: request.arrived, body: request.body }
            } else {
                Message::Error { body: request.body }
            };
            if to_driver.send(message).is_err() {
                return;
            }
            conn.respond(202, &[], b"{}")
        };
        if sent.is_err() {
            return;
        }
    }
}

/// How to start one function.
pub struct Launch {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub cwd: Option<PathBuf>,
    pub env: Vec<(String, String)>,
}

/// What one function did under the harness.
#[derive(Default)]
pub struct Measured {
    /// Spawn to the first `GET /next`, one per start.
    pub cold_starts: Vec<Duration>,
    /// The first event's round trip, one per start.
    pub first_invokes: Vec<Duration>,
    /// Every later event's round trip, in the last start (the one with warm invokes).
    pub warm: Vec<Duration>,
    /// Peak resident memory of the last start (VmHWM), in bytes.
    pub peak_rss: u64,
}

/// Starts `launch` `starts` times; each time times the start and the first invoke, and the last
/// time also `warm` more invokes. Every response goes through `check`.
pub fn measure(
    launch: &Launch,
    event: &[u8],
    starts: usize,
    warm: usize,
    check: &dyn Fn(&serde_json::Value) -> Result<(), String>,
) -> Result<Measured, String> {
    let mut measured = Measured { cold_starts: Vec::new(), first_invokes: Vec::new(), warm: Vec::new(), peak_rss: 0 };
    for start in 0..starts {
        // A fresh Runtime API per start: the killed process's last `/next` must not reach the
        // next start's driver.
        let api = RuntimeApi::start().map_err(|e| format!("Runtime API: {e}"))?;
        let mut command = Command::new(&launch.program);
        command
            .args(&launch.args)
            .env_clear()
            .envs(launch.env.iter().map(|(k, v)| (k, v)))
            .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(if std::env::var_os("BENCH_DEBUG").is_some() { Stdio::inherit() } else { Stdio::null() });
        // BENCH_DEBUG=1: the function's stderr comes through, to see why it failed.
        if let Some(dir) = &launch.cwd {
            command.current_dir(dir);
        }
        let spawned = Instant::now();
        let mut child = command.spawn().map_err(|e| format!("spawn {}: {e}", launch.program.display()))?;
        let result = drive(&api, &mut child, spawned, event, if start + 1 == starts { warm } else { 0 }, check)
            .map_err(|e| match child.try_wait() {
                Ok(Some(status)) => format!("{e}; the process exited ({status}); BENCH_DEBUG=1 shows its output"),
                _ => e,
            });
        let _ = child.kill();
        let _ = child.wait();
        let (cold, first, rest, rss) = result?;
        measured.cold_starts.push(cold);
        measured.first_invokes.push(first);
        measured.warm = rest;
        measured.peak_rss = rss;
    }
    Ok(measured)
}

type Run = (Duration, Duration, Vec<Duration>, u64);

fn drive(
    api: &RuntimeApi,
    child: &mut Child,
    spawned: Instant,
    event: &[u8],
    warm: usize,
    check: &dyn Fn(&serde_json::Value) -> Result<(), String>,
) -> Result<Run, String> {
    let mut cold = None;
    let mut times = Vec::with_capacity(warm + 1);
    for n in 0..=warm {
        let mut writer = match api.wait()? {
            Message::Next { arrived, writer } => {
                cold.get_or_insert(arrived - spawned);
                writer
            }
            Message::Error { body } | Message::Response { body, .. } => {
                return Err(format!("unexpected before /next: {}", String::from_utf8_lossy(&body)));
            }
        };
        let headers = next_headers(format!("bench-{n}"));
        let sent = Instant::now();
        http::respond(&mut writer, 200, &headers, event).map_err(|e| format!("the connection closed: {e}"))?;
        match api.wait()? {
            Message::Response { arrived, body } => {
                times.push(arrived - sent);
                let value = serde_json::from_slice(&body).map_err(|e| format!("response is not JSON: {e}"))?;
                check(&value)?;
            }
            Message::Error { body } => return Err(format!("the function failed: {}", String::from_utf8_lossy(&body))),
            Message::Next { .. } => return Err("a second /next before a response".into()),
        }
    }
    let rss = peak_rss(child.id()).unwrap_or(0);
    let first = times.remove(0);
    Ok((cold.unwrap_or_default(), first, times, rss))
}

/// VmHWM of a process, in bytes.
fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// What a function answered to one event.
pub enum Answer {
    Response(serde_json::Value),
    /// The error it reported to the Runtime API (`errorType`, `errorMessage`).
    Error(serde_json::Value),
}

/// Starts `launch` once and serves it `events` one after another (the `run-events` job);
/// fails if it does not start or stops answering.
pub fn serve_all(launch: &Launch, events: &[Vec<u8>]) -> Result<Vec<Answer>, String> {
    let api = RuntimeApi::start().map_err(|e| format!("Runtime API: {e}"))?;
    let mut child = Command::new(&launch.program)
        .args(&launch.args)
        .env_clear()
        .envs(launch.env.iter().map(|(k, v)| (k, v)))
        .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(if std::env::var_os("BENCH_DEBUG").is_some() { Stdio::inherit() } else { Stdio::null() })
        .spawn()
        .map_err(|e| format!("spawn {}: {e}", launch.program.display()))?;
    let mut answers = Vec::with_capacity(events.len());
    let mut result = Ok(());
    for (n, event) in events.iter().enumerate() {
        let step = (|| {
            let Message::Next { mut writer, .. } = api.wait()? else {
                return Err("an answer before /next".to_owned());
            };
            http::respond(&mut writer, 200, &next_headers(format!("event-{n}")), event)
                .map_err(|e| format!("the connection closed: {e}"))?;
            let json = |body: &[u8]| serde_json::from_slice(body).map_err(|e| format!("answer is not JSON: {e}"));
            match api.wait()? {
                Message::Response { body, .. } => Ok(Answer::Response(json(&body)?)),
                Message::Error { body } => Ok(Answer::Error(json(&body)?)),
                Message::Next { .. } => Err("a second /next before an answer".to_owned()),
            }
        })();
        match step {
            Ok(answer) => answers.push(answer),
            Err(e) => {
                result = Err(match child.try_wait() {
                    Ok(Some(status)) => format!("{e}; the process exited ({status}); BENCH_DEBUG=1 shows its output"),
                    _ => e,
                });
                break;
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    result.map(|()| answers)
}
