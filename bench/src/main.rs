//! `make bench`: the four triggers' release `bootstrap`s as `sam build` produced them, measured
//! under a local Lambda Runtime API against the spec's budgets, beside the same triggers written
//! the common way in Python (boto3 under `awslambdaric`, `bench/baseline/`).
//!
//! ```text
//! bench [--build-dir .aws-sam/build-local] [--python .venv/bench/bin/python] [--starts 20] [--warm 2000]
//! bench run-events [--build-dir .aws-sam/build] [--wrapper "qemu-aarch64 -L /usr/aarch64-linux-gnu"]
//! ```

mod fake_aws;
mod harness;
mod http;
mod run_events;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use fake_aws::FakeAws;
use harness::Launch;

/// The spec's budgets for one trigger.
struct Budget {
    cold_start: Duration,
    /// Warm p50; for create, on top of its two round trips to the local endpoint (the
    /// per-number limit's DynamoDB `UpdateItem`, then SNS `Publish`).
    warm: Duration,
    peak_rss: u64,
    size: u64,
}

struct Trigger {
    binary: &'static str,
    /// Its logical id in template.yaml, the folder `sam build` puts it in.
    logical_id: &'static str,
    event: &'static str,
    python_module: &'static str,
    sends_sms: bool,
    budget: Budget,
    check: fn(&Value) -> Result<(), String>,
}

/// Budgets in MB are decimal megabytes, the stricter reading.
const MB: u64 = 1_000_000;

const SMALL: Budget = Budget {
    cold_start: Duration::from_millis(3),
    warm: Duration::from_micros(300),
    peak_rss: 5 * MB,
    size: 1_600_000,
};

const TRIGGERS: [Trigger; 4] = [
    Trigger {
        binary: "pre-sign-up",
        logical_id: "PreSignUpFunction",
        event: "pre-sign-up/valid-number.json",
        python_module: "pre_sign_up",
        sends_sms: false,
        budget: SMALL,
        check: |v| expect(v, "/response/autoConfirmUser", &Value::Bool(true)),
    },
    Trigger {
        binary: "define-auth-challenge",
        logical_id: "DefineAuthChallengeFunction",
        event: "define-auth-challenge/wrong-answer.json",
        python_module: "define_auth_challenge",
        sends_sms: false,
        budget: SMALL,
        check: |v| expect(v, "/response/challengeName", &Value::from("CUSTOM_CHALLENGE")),
    },
    Trigger {
        binary: "create-auth-challenge",
        logical_id: "CreateAuthChallengeFunction",
        event: "create-auth-challenge/first-call.json",
        python_module: "create_auth_challenge",
        sends_sms: true,
        budget: Budget {
            cold_start: Duration::from_millis(8),
            warm: Duration::from_millis(1),
            peak_rss: 10 * MB,
            size: 5 * MB,
        },
        check: |v| match v.pointer("/response/privateChallengeParameters/code") {
            Some(Value::String(code)) if code.len() == 6 => Ok(()),
            other => Err(format!("create drew no code: {other:?}")),
        },
    },
    Trigger {
        binary: "verify-auth-challenge",
        logical_id: "VerifyAuthChallengeFunction",
        event: "verify-auth-challenge/correct.json",
        python_module: "verify_auth_challenge",
        sends_sms: false,
        budget: SMALL,
        check: |v| expect(v, "/response/answerCorrect", &Value::Bool(true)),
    },
];

fn expect(v: &Value, pointer: &str, want: &Value) -> Result<(), String> {
    match v.pointer(pointer) {
        Some(got) if got == want => Ok(()),
        got => Err(format!("{pointer} is {got:?}, expected {want}")),
    }
}

struct Options {
    build_dir: PathBuf,
    python: PathBuf,
    starts: usize,
    warm: usize,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        build_dir: ".aws-sam/build-local".into(),
        python: ".venv/bench/bin/python".into(),
        starts: 20,
        warm: 2000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || value.parse::<usize>().map_err(|_| format!("{flag} takes a whole number"));
        match flag.as_str() {
            "--build-dir" => o.build_dir = value.clone().into(),
            "--python" => o.python = value.clone().into(),
            "--starts" => o.starts = number()?.max(1),
            "--warm" => o.warm = number()?.max(1000),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(o)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run-events") => run_events::run(&args[1..]),
        _ => run(),
    };
    if let Err(e) = result {
        eprintln!("bench: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let o = options()?;
    // Absolute, but not resolved: the venv's `python` is a symlink that must stay the venv's.
    let python = std::path::absolute(&o.python).ok().filter(|p| p.exists()).ok_or_else(|| {
        format!("{} is missing: `make tools` installs the Python baseline's venv", o.python.display())
    })?;
    let sns = FakeAws::start().map_err(|e| format!("fake AWS endpoint: {e}"))?;
    let sns_round_trip = sns.round_trip(1000).map_err(|e| format!("fake AWS endpoint: {e}"))?;
    let env = |module: Option<&str>| {
        let mut env: Vec<(String, String)> = [
            ("AWS_REGION", "us-east-1"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_LAMBDA_FUNCTION_NAME", "bench"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "bench"),
            ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench"),
            ("PATH", "/usr/local/bin:/usr/bin:/bin"),
            ("LANG", "C.UTF-8"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        env.push(("AWS_ENDPOINT_URL".into(), sns.endpoint()));
        // The per-number limit, on as the template deploys it: one UpdateItem before each send.
        env.push(("SEND_LIMIT_TABLE".into(), "bench-send-limits".into()));
        if let Some(m) = module {
            env.push(("_HANDLER".into(), format!("{m}.handler")));
        }
        env
    };

    let mut rows = Vec::new();
    let mut misses = 0;
    for t in &TRIGGERS {
        eprint!("{}: rust", t.binary);
        let event = std::fs::read(Path::new("events").join(t.event)).map_err(|e| format!("{}: {e}", t.event))?;
        let bootstrap = o.build_dir.join(t.logical_id).join("bootstrap");
        if !bootstrap.exists() {
            return Err(format!("{} is missing: run `make build-local` (sam build) first", bootstrap.display()));
        }
        let rust_launch = Launch { program: bootstrap.clone(), args: vec![], cwd: None, env: env(None) };
        let published = sns.published();
        let rust = harness::measure(&rust_launch, &event, o.starts, o.warm, &t.check)
            .map_err(|e| format!("{}: {e}", t.binary))?;
        if t.sends_sms {
            let sent = sns.published() - published;
            let invokes = (o.starts + o.warm) as u64;
            if sent != invokes {
                return Err(format!("{}: {sent} SMS for {invokes} invokes", t.binary));
            }
        }
        eprint!(", python");
        let python_launch = Launch {
            program: python.clone(),
            args: vec!["-m".into(), "awslambdaric".into(), format!("{}.handler", t.python_module)],
            cwd: Some("bench/baseline".into()),
            env: env(Some(t.python_module)),
        };
        let python = harness::measure(&python_launch, &event, o.starts.min(5), o.warm, &t.check)
            .map_err(|e| format!("{} (python): {e}", t.binary))?;
        eprintln!(", done");

        let rust_size = std::fs::metadata(&bootstrap).map_err(|e| e.to_string())?.len();
        let python_source = Path::new("bench/baseline").join(format!("{}.py", t.python_module));
        let python_size = std::fs::metadata(&python_source).map_err(|e| e.to_string())?.len();
        let warm_budget = if t.sends_sms { t.budget.warm + 2 * sns_round_trip } else { t.budget.warm };

        let figures = [
            Figure::time(
                "cold start (median)",
                median(&rust.cold_starts),
                median(&python.cold_starts),
                Some(t.budget.cold_start),
            ),
            Figure::time("first invoke (median)", median(&rust.first_invokes), median(&python.first_invokes), None),
            Figure::time(
                "warm invoke p50",
                percentile(&rust.warm, 50),
                percentile(&python.warm, 50),
                Some(warm_budget),
            ),
            Figure::time("warm invoke p99", percentile(&rust.warm, 99), percentile(&python.warm, 99), None),
            Figure::bytes("peak memory (VmHWM)", rust.peak_rss, python.peak_rss, Some(t.budget.peak_rss)),
            Figure::size("bootstrap / handler size", rust_size, python_size, Some(t.budget.size)),
            Figure::size("zip", zipped(&bootstrap)?, zipped(&python_source)?, None),
        ];
        for f in figures {
            misses += usize::from(f.missed());
            rows.push(f.row(t.binary));
        }
    }

    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}\n", machine());
    let _ = writeln!(
        out,
        "Harness: local Lambda Runtime API on 127.0.0.1; {} starts per Rust function ({} for Python), {} warm invokes each; create reserves a send in the per-number limit (DynamoDB UpdateItem) and publishes (SNS Publish) to a local endpoint whose bare HTTP round trip is {}; its warm budget is two such round trips plus 1 ms. The Python baseline has no per-number limit.\n",
        o.starts,
        o.starts.min(5),
        o.warm,
        fmt_time(sns_round_trip)
    );
    let _ = writeln!(out, "| trigger | figure | Rust | budget | | Python baseline | Python ÷ Rust |");
    let _ = writeln!(out, "|---|---|---:|---:|---|---:|---:|");
    for row in rows {
        let _ = writeln!(out, "{row}");
    }
    let _ = writeln!(out, "\n{} of the budgets missed.", misses);
    if let Some(table) = run_events::sizes_table(&o.build_dir, Path::new(".aws-sam/build")) {
        let _ = writeln!(out, "\n{table}");
    }
    Ok(())
}

/// One measured figure, Rust beside Python, with its budget if it has one.
struct Figure {
    name: &'static str,
    rust: f64,
    python: f64,
    budget: Option<f64>,
    format: fn(f64) -> String,
    ratio: bool,
}

impl Figure {
    fn time(name: &'static str, rust: Duration, python: Duration, budget: Option<Duration>) -> Self {
        Self {
            name,
            rust: rust.as_secs_f64(),
            python: python.as_secs_f64(),
            budget: budget.map(|b| b.as_secs_f64()),
            format: |s| fmt_time(Duration::from_secs_f64(s)),
            ratio: true,
        }
    }

    fn bytes(name: &'static str, rust: u64, python: u64, budget: Option<u64>) -> Self {
        Self {
            name,
            rust: rust as f64,
            python: python as f64,
            budget: budget.map(|b| b as f64),
            format: fmt_bytes,
            ratio: true,
        }
    }

    /// Sizes of what is deployed. The Python handler leans on boto3 from the runtime, so a
    /// ratio would compare different things; none is shown.
    fn size(name: &'static str, rust: u64, python: u64, budget: Option<u64>) -> Self {
        Self { ratio: false, ..Self::bytes(name, rust, python, budget) }
    }

    fn missed(&self) -> bool {
        self.budget.is_some_and(|b| self.rust > b)
    }

    fn row(&self, trigger: &str) -> String {
        let f = self.format;
        let (budget, verdict) = match self.budget {
            Some(b) => (format!("≤ {}", f(b)), if self.missed() { "**miss**" } else { "pass" }),
            None => (String::new(), ""),
        };
        let ratio =
            if self.ratio && self.rust > 0.0 { format!("{:.1}×", self.python / self.rust) } else { "-".into() };
        format!(
            "| {trigger} | {} | {} | {budget} | {verdict} | {} | {ratio} |",
            self.name,
            f(self.rust),
            f(self.python)
        )
    }
}

fn fmt_time(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 { format!("{ms:.3} ms") } else { format!("{ms:.1} ms") }
}

fn fmt_bytes(b: f64) -> String {
    if b >= 100_000.0 { format!("{:.2} MB", b / MB as f64) } else { format!("{:.1} kB", b / 1000.0) }
}

fn median(v: &[Duration]) -> Duration {
    percentile(v, 50)
}

fn percentile(v: &[Duration], p: usize) -> Duration {
    let mut sorted = v.to_vec();
    sorted.sort();
    sorted.get((sorted.len() * p / 100).min(sorted.len().saturating_sub(1))).copied().unwrap_or_default()
}

/// The size of `file` deflated in a zip, as Lambda would receive it.
fn zipped(file: &Path) -> Result<u64, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755);
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("bootstrap");
    zip.start_file(name, options).map_err(|e| e.to_string())?;
    zip.write_all(&bytes).map_err(|e| e.to_string())?;
    Ok(zip.finish().map_err(|e| e.to_string())?.into_inner().len() as u64)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("Machine: {cpu}, {cores} cores, Linux {} ({})", kernel.trim(), std::env::consts::ARCH)
}
