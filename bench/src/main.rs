//! `make bench`: the four triggers' release `bootstrap`s as `sam build` produced them, measured
//! under a local Lambda Runtime API against the spec's budgets, beside the same triggers written
//! the common way by their peers, in the same run and the same harness: Node.js 20 with the AWS
//! SDK for JavaScript v3 under AWS's runtime interface client (`bench/node/`), and Python with
//! boto3 under `awslambdaric` (`bench/baseline/`). Then the whole cold sign-in: define, create,
//! verify and define again, each a fresh process, for all three.
//!
//! ```text
//! bench [--build-dir .aws-sam/build-local] [--python .venv/bench/bin/python] [--node node]
//!       [--node-runtime ric|loop] [--starts 50] [--peer-starts 20] [--warm 2000] [--only <trigger>]
//!       [--docs docs|none]
//! bench run-events [--build-dir .aws-sam/build] [--wrapper "qemu-aarch64 -L /usr/aarch64-linux-gnu"]
//! ```
//!
//! `--only pre-sign-up` (say) measures that trigger alone and skips the sign-in.
//!
//! A whole run (no `--only`) also writes its results into `--docs` (default `docs/`; `none`
//! writes nothing): `benchmark.md`, the report it prints, headed by the date and the commit
//! measured, and `benchmark.json`, the same figures for machines (`tools/cost_model.py` reads
//! it). Both are generated: edit the code, not the files.

mod fake_aws;
mod harness;
mod http;
mod run_events;

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value, json};

use fake_aws::{Calls, FakeAws};
use harness::{Launch, Measured};

/// The spec's budgets for one trigger, and issue #16's target from cold.
struct Budget {
    cold_start: Duration,
    /// Warm p50, on top of the round trips to the local AWS endpoint it made per invoke (create:
    /// the per-number limit's DynamoDB call, then SNS `Publish`).
    warm: Duration,
    peak_rss: u64,
    size: u64,
    /// Cold start plus first invoke (issue #16: create at most 4 ms).
    from_cold: Option<Duration>,
}

/// Every Rust function at least this many times faster than its Node.js peer from cold (cold
/// start plus first invoke), issue #16.
const NODE_RATIO_TARGET: f64 = 25.0;

struct Trigger {
    binary: &'static str,
    /// Its logical id in template.yaml, the folder `sam build` puts it in.
    logical_id: &'static str,
    event: &'static str,
    /// The peers' module: `bench/node/<module>.mjs`, `bench/baseline/<module>.py`.
    module: &'static str,
    sends_sms: bool,
    /// Started with `SEND_LIMIT_TABLE` set (as template.yaml deploys it), so it makes its calls
    /// to the per-number limit's table on the local endpoint. Every function gets
    /// `AWS_ENDPOINT_URL`; any DynamoDB operation there succeeds (see [`fake_aws`]), and the calls
    /// an invoke makes are counted, checked to be the same every invoke, and added to its warm
    /// budget as round trips. A trigger that starts using the table needs only this set.
    send_limit: bool,
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
    from_cold: None,
};

/// The budgets of a trigger that links the AWS SDK (create, and verify since the lock across
/// sign-ins): the SPEC's create budgets; warm is 1 ms plus its local round trips.
const WITH_SDK: Budget = Budget {
    cold_start: Duration::from_millis(8),
    warm: Duration::from_millis(1),
    peak_rss: 10 * MB,
    size: 5 * MB,
    from_cold: None,
};

/// Indexes into [`TRIGGERS`] (pre-sign-up is 0).
const DEFINE: usize = 1;
const CREATE: usize = 2;
const VERIFY: usize = 3;

const TRIGGERS: [Trigger; 4] = [
    Trigger {
        binary: "pre-sign-up",
        logical_id: "PreSignUpFunction",
        event: "pre-sign-up/valid-number.json",
        module: "pre_sign_up",
        sends_sms: false,
        send_limit: false,
        budget: SMALL,
        check: |v| expect(v, "/response/autoConfirmUser", &Value::Bool(true)),
    },
    Trigger {
        binary: "define-auth-challenge",
        logical_id: "DefineAuthChallengeFunction",
        event: "define-auth-challenge/wrong-answer.json",
        module: "define_auth_challenge",
        sends_sms: false,
        send_limit: false,
        budget: SMALL,
        check: |v| expect(v, "/response/challengeName", &Value::from("CUSTOM_CHALLENGE")),
    },
    Trigger {
        binary: "create-auth-challenge",
        logical_id: "CreateAuthChallengeFunction",
        event: "create-auth-challenge/first-call.json",
        module: "create_auth_challenge",
        sends_sms: true,
        send_limit: true,
        budget: Budget { from_cold: Some(Duration::from_millis(4)), ..WITH_SDK },
        check: check_code,
    },
    Trigger {
        binary: "verify-auth-challenge",
        logical_id: "VerifyAuthChallengeFunction",
        event: "verify-auth-challenge/correct.json",
        module: "verify_auth_challenge",
        sends_sms: false,
        // Its answers count per number (the lock) and per prefix (the pumping breaker).
        send_limit: true,
        budget: WITH_SDK,
        check: |v| expect(v, "/response/answerCorrect", &Value::Bool(true)),
    },
];

/// One step of a sign-in, as Cognito runs the triggers.
struct Step {
    trigger: usize,
    name: &'static str,
    event: &'static str,
    check: fn(&Value) -> Result<(), String>,
}

/// A whole sign-in where every function is cold: `InitiateAuth` (define, create),
/// `RespondToAuthChallenge` with the right code (verify, define).
const SIGN_IN: [Step; 4] = [
    Step {
        trigger: DEFINE,
        name: "define: new sign-in",
        event: "define-auth-challenge/first-call.json",
        check: |v| expect(v, "/response/challengeName", &Value::from("CUSTOM_CHALLENGE")),
    },
    Step {
        trigger: CREATE,
        name: "create: code, SMS",
        event: "create-auth-challenge/first-call.json",
        check: check_code,
    },
    Step {
        trigger: VERIFY,
        name: "verify: right code",
        event: "verify-auth-challenge/correct.json",
        check: |v| expect(v, "/response/answerCorrect", &Value::Bool(true)),
    },
    Step {
        trigger: DEFINE,
        name: "define: tokens",
        event: "define-auth-challenge/correct-answer.json",
        check: |v| expect(v, "/response/issueTokens", &Value::Bool(true)),
    },
];

fn expect(v: &Value, pointer: &str, want: &Value) -> Result<(), String> {
    match v.pointer(pointer) {
        Some(got) if got == want => Ok(()),
        got => Err(format!("{pointer} is {got:?}, expected {want}")),
    }
}

fn check_code(v: &Value) -> Result<(), String> {
    match v.pointer("/response/privateChallengeParameters/code") {
        Some(Value::String(code)) if code.len() == 6 => Ok(()),
        other => Err(format!("create drew no code: {other:?}")),
    }
}

/// The three implementations, in the table's order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    Rust,
    Node,
    Python,
}

const LANGS: [Lang; 3] = [Lang::Rust, Lang::Node, Lang::Python];

impl Lang {
    fn name(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Node => "node",
            Lang::Python => "python",
        }
    }
}

/// How the Node.js peers are run.
#[derive(Clone, PartialEq, Eq)]
enum NodeRuntime {
    /// AWS's runtime interface client for Node.js (npm `aws-lambda-ric`), as `bench/node` installs it.
    Ric,
    /// `bench/node/loop.mjs`: the smallest Runtime API loop, the floor under any Node client.
    Loop,
}

const NODE_DIR: &str = "bench/node";
const PYTHON_DIR: &str = "bench/baseline";
const RIC_BIN: &str = "node_modules/aws-lambda-ric/bin/index.mjs";
const RIC_ADDON: &str = "node_modules/aws-lambda-ric/dist/rapid-client.node";

struct Options {
    build_dir: PathBuf,
    python: PathBuf,
    node: PathBuf,
    node_runtime: Option<NodeRuntime>,
    starts: usize,
    peer_starts: usize,
    warm: usize,
    only: Option<String>,
    /// Where a whole run writes benchmark.md and benchmark.json; `None`: nowhere.
    docs: Option<PathBuf>,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        build_dir: ".aws-sam/build-local".into(),
        python: ".venv/bench/bin/python".into(),
        node: "node".into(),
        node_runtime: None,
        starts: 50,
        peer_starts: 20,
        warm: 2000,
        only: None,
        docs: Some("docs".into()),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || value.parse::<usize>().map_err(|_| format!("{flag} takes a whole number"));
        match flag.as_str() {
            "--build-dir" => o.build_dir = value.clone().into(),
            "--python" => o.python = value.clone().into(),
            "--node" => o.node = value.clone().into(),
            "--node-runtime" => {
                o.node_runtime = Some(match value.as_str() {
                    "ric" => NodeRuntime::Ric,
                    "loop" => NodeRuntime::Loop,
                    _ => return Err("--node-runtime takes ric or loop".into()),
                })
            }
            "--starts" => o.starts = number()?.max(1),
            "--peer-starts" => o.peer_starts = number()?.max(1),
            "--warm" => o.warm = number()?.max(1000),
            "--only" => {
                if !TRIGGERS.iter().any(|t| t.binary == value) {
                    return Err(format!("--only takes one of: {}", TRIGGERS.map(|t| t.binary).join(", ")));
                }
                o.only = Some(value.clone());
            }
            "--docs" => o.docs = (value != "none").then(|| value.clone().into()),
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

/// Everything needed to start any of the three implementations of a trigger.
struct Runners {
    build_dir: PathBuf,
    python: PathBuf,
    node: PathBuf,
    node_runtime: NodeRuntime,
    node_dir: PathBuf,
    endpoint: String,
}

impl Runners {
    fn launch(&self, lang: Lang, t: &Trigger) -> Launch {
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
        env.push(("AWS_ENDPOINT_URL".into(), self.endpoint.clone()));
        if t.send_limit {
            env.push(("SEND_LIMIT_TABLE".into(), "bench-send-limits".into()));
        }
        let handler = format!("{}.handler", t.module);
        match lang {
            Lang::Rust => {
                Launch { program: self.build_dir.join(t.logical_id).join("bootstrap"), args: vec![], cwd: None, env }
            }
            Lang::Node => {
                env.push(("_HANDLER".into(), handler.clone()));
                env.push(("LAMBDA_TASK_ROOT".into(), self.node_dir.display().to_string()));
                let script = match self.node_runtime {
                    NodeRuntime::Ric => RIC_BIN,
                    NodeRuntime::Loop => "loop.mjs",
                };
                Launch {
                    program: self.node.clone(),
                    args: vec![script.into(), handler],
                    cwd: Some(self.node_dir.clone()),
                    env,
                }
            }
            Lang::Python => {
                env.push(("_HANDLER".into(), handler.clone()));
                Launch {
                    program: self.python.clone(),
                    args: vec!["-m".into(), "awslambdaric".into(), handler],
                    cwd: Some(PYTHON_DIR.into()),
                    env,
                }
            }
        }
    }

    /// The deployed code's size: the bootstrap, or the peer's handler file (the SDK comes with
    /// Lambda's Node.js and Python runtimes).
    fn artifact(&self, lang: Lang, t: &Trigger) -> PathBuf {
        match lang {
            Lang::Rust => self.build_dir.join(t.logical_id).join("bootstrap"),
            Lang::Node => self.node_dir.join(format!("{}.mjs", t.module)),
            Lang::Python => Path::new(PYTHON_DIR).join(format!("{}.py", t.module)),
        }
    }
}

/// `name` on the `PATH`, or `name` itself when it has a slash.
fn find_program(name: &Path) -> Option<PathBuf> {
    if name.components().count() > 1 {
        return std::path::absolute(name).ok().filter(|p| p.exists());
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(name)).find(|p| p.is_file())
}

fn package_version(dir: &Path, package: &str) -> String {
    std::fs::read(dir.join("node_modules").join(package).join("package.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| v.get("version").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

fn command_output(program: &Path, arg: &str) -> String {
    std::process::Command::new(program)
        .arg(arg)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(if o.stdout.is_empty() { &o.stderr } else { &o.stdout }).trim().to_owned())
        .unwrap_or_default()
}

fn run() -> Result<(), String> {
    let o = options()?;
    let load_before = load_average();
    // Absolute, but not resolved: the venv's `python` is a symlink that must stay the venv's.
    let python = std::path::absolute(&o.python).ok().filter(|p| p.exists()).ok_or_else(|| {
        format!("{} is missing: `make tools` installs the Python baseline's venv", o.python.display())
    })?;
    let node = find_program(&o.node)
        .ok_or_else(|| format!("{} not found: the Node.js peer needs Node.js 20", o.node.display()))?;
    let node_dir = std::path::absolute(NODE_DIR).map_err(|e| e.to_string())?;
    if !node_dir.join("node_modules/@aws-sdk/client-sns").exists() {
        return Err(format!("{NODE_DIR}/node_modules is missing: `make bench` runs npm ci there"));
    }
    let ric_installed = node_dir.join(RIC_ADDON).exists();
    let node_runtime = match o.node_runtime.clone() {
        Some(NodeRuntime::Ric) if !ric_installed => {
            return Err(format!(
                "{NODE_DIR}/{RIC_ADDON} is missing: aws-lambda-ric did not build (cmake, autoconf, automake, libtool, g++)"
            ));
        }
        Some(chosen) => chosen,
        None if ric_installed => NodeRuntime::Ric,
        None => NodeRuntime::Loop,
    };
    let aws = FakeAws::start().map_err(|e| format!("fake AWS endpoint: {e}"))?;
    let round_trip = aws.round_trip(1000).map_err(|e| format!("fake AWS endpoint: {e}"))?;
    let runners = Runners {
        build_dir: o.build_dir.clone(),
        python,
        node: node.clone(),
        node_runtime: node_runtime.clone(),
        node_dir: node_dir.clone(),
        endpoint: aws.endpoint(),
    };
    let starts = |lang: Lang| if lang == Lang::Rust { o.starts } else { o.peer_starts };

    let mut rows = Vec::new();
    let mut calls_lines = Vec::new();
    let mut misses = Vec::new();
    let mut budgets = 0;
    let mut lowest_node_ratio: Option<(f64, &str)> = None;
    let mut functions = Map::new();
    for t in TRIGGERS.iter().filter(|t| o.only.as_ref().is_none_or(|only| only == t.binary)) {
        eprint!("{}:", t.binary);
        let event = std::fs::read(Path::new("events").join(t.event)).map_err(|e| format!("{}: {e}", t.event))?;
        let bootstrap = runners.artifact(Lang::Rust, t);
        if !bootstrap.exists() {
            return Err(format!("{} is missing: run `make build-local` (sam build) first", bootstrap.display()));
        }
        // The starts of the three interleaved, so that the load of this shared machine, which
        // drifts, weighs on all three alike; then each one's warm invokes.
        let mut measured: [Measured; 3] = Default::default();
        let mut calls: [Calls; 3] = Default::default();
        let mut invokes = [0u64; 3];
        let mut run = |l: usize, starts: usize, warm: usize| -> Result<Measured, String> {
            let lang = LANGS[l];
            let before = aws.calls();
            let m = harness::measure(&runners.launch(lang, t), &event, starts, warm, &t.check)
                .map_err(|e| format!("{} ({}): {e}", t.binary, lang.name()))?;
            for (call, n) in aws.calls_since(&before) {
                *calls[l].entry(call).or_default() += n;
            }
            invokes[l] += (starts + warm) as u64;
            Ok(m)
        };
        // One start of each first, not counted: the first run after a build reads the binary
        // (or the scripts and node_modules) from disk, and that is the disk, not the function.
        for l in 0..LANGS.len() {
            run(l, 1, 0)?;
        }
        for round in 0..o.starts.max(o.peer_starts) {
            for (l, lang) in LANGS.into_iter().enumerate() {
                if round < starts(lang) {
                    let m = run(l, 1, 0)?;
                    measured[l].cold_starts.extend(m.cold_starts);
                    measured[l].first_invokes.extend(m.first_invokes);
                }
            }
            if round % 5 == 0 {
                eprint!(".");
            }
        }
        for (l, lang) in LANGS.into_iter().enumerate() {
            eprint!(" {}", lang.name());
            let m = run(l, 1, o.warm)?;
            measured[l].warm = m.warm;
            measured[l].peak_rss = m.peak_rss;
        }
        let mut calls_per_invoke = Vec::new();
        for (l, lang) in LANGS.into_iter().enumerate() {
            let per_invoke =
                per_invoke(&calls[l], invokes[l]).map_err(|e| format!("{} ({}): {e}", t.binary, lang.name()))?;
            let published = per_invoke.iter().find(|(c, _)| c == "SNS.Publish").map_or(0, |(_, n)| *n);
            if published != u64::from(t.sends_sms) {
                return Err(format!("{} ({}): {published} SMS per invoke", t.binary, lang.name()));
            }
            calls_per_invoke.push(per_invoke);
        }
        eprintln!(", done");
        let [rust, node, python] = &measured;
        let round_trips: u64 = calls_per_invoke[0].iter().map(|(_, n)| n).sum();
        let warm_budget = t.budget.warm + round_trip * u32::try_from(round_trips).unwrap_or(u32::MAX);
        calls_lines.push(format!(
            "{}: {}",
            t.binary,
            LANGS
                .iter()
                .zip(&calls_per_invoke)
                .map(|(lang, calls)| format!("{} {}", lang.name(), describe_calls(calls)))
                .collect::<Vec<_>>()
                .join("; ")
        ));

        let sizes = LANGS.map(|lang| {
            let file = runners.artifact(lang, t);
            let size = std::fs::metadata(&file).map(|m| m.len()).map_err(|e| format!("{}: {e}", file.display()))?;
            Ok::<_, String>((size, zipped(&file)?))
        });
        let [rust_size, node_size, python_size] = sizes;
        let (rust_size, node_size, python_size) = (rust_size?, node_size?, python_size?);

        let from_cold = Figure::time(
            "from_cold_ms",
            "cold start + first invoke (median)",
            [median(&from_cold(rust)), median(&from_cold(node)), median(&from_cold(python))],
            t.budget.from_cold,
        );
        let node_ratio = from_cold.ratio(1);
        if lowest_node_ratio.is_none_or(|(r, _)| node_ratio < r) {
            lowest_node_ratio = Some((node_ratio, t.binary));
        }
        let figures = [
            Figure::time(
                "cold_start_ms",
                "cold start (median)",
                [median(&rust.cold_starts), median(&node.cold_starts), median(&python.cold_starts)],
                Some(t.budget.cold_start),
            ),
            Figure::time(
                "first_invoke_ms",
                "first invoke (median)",
                [median(&rust.first_invokes), median(&node.first_invokes), median(&python.first_invokes)],
                None,
            ),
            from_cold,
            Figure::time(
                "warm_p50_ms",
                "warm invoke p50",
                [percentile(&rust.warm, 50), percentile(&node.warm, 50), percentile(&python.warm, 50)],
                Some(warm_budget),
            ),
            Figure::time(
                "warm_p99_ms",
                "warm invoke p99",
                [percentile(&rust.warm, 99), percentile(&node.warm, 99), percentile(&python.warm, 99)],
                None,
            ),
            Figure::bytes(
                "peak_memory_bytes",
                "peak memory (VmHWM)",
                [rust.peak_rss, node.peak_rss, python.peak_rss],
                Some(t.budget.peak_rss),
            ),
            Figure::size(
                "size_bytes",
                "bootstrap / handler size",
                [rust_size.0, node_size.0, python_size.0],
                Some(t.budget.size),
            ),
            Figure::size("zip_bytes", "zip", [rust_size.1, node_size.1, python_size.1], None),
        ];
        for f in &figures {
            if f.budget.is_some() {
                budgets += 1;
                if f.missed() {
                    misses.push(format!("{} {}", t.binary, f.name));
                }
            }
            rows.push(f.row(t.binary));
        }

        // The same figures for docs/benchmark.json: each implementation's, then Rust's budgets.
        let mut function = Map::new();
        function.insert("event".into(), t.event.into());
        for (l, lang) in LANGS.into_iter().enumerate() {
            let mut figures_json: Map<String, Value> = figures.iter().map(|f| (f.key.to_owned(), f.json(l))).collect();
            let calls: Map<String, Value> = calls_per_invoke[l].iter().map(|(c, n)| (c.clone(), json!(n))).collect();
            figures_json.insert("aws_calls_per_invoke".into(), calls.into());
            function.insert(lang.name().into(), figures_json.into());
        }
        let budgets_json: Map<String, Value> = figures
            .iter()
            .filter_map(|f| f.budget.map(|b| (f.key.to_owned(), json!({"max": (f.json)(b), "met": !f.missed()}))))
            .collect();
        function.insert("budgets".into(), budgets_json.into());
        functions.insert(t.binary.into(), function.into());
    }

    // The whole cold sign-in: each step a fresh process, the three implementations in turn.
    eprint!("cold sign-in:");
    let mut steps: Vec<[Vec<Duration>; 3]> = SIGN_IN.iter().map(|_| Default::default()).collect();
    let mut wholes: [Vec<Duration>; 3] = Default::default();
    let sign_ins = if o.only.is_some() { 0 } else { o.starts.max(o.peer_starts) };
    for round in 0..sign_ins {
        for (l, lang) in LANGS.into_iter().enumerate() {
            if round >= starts(lang) {
                continue;
            }
            let mut whole = Duration::ZERO;
            for (s, step) in SIGN_IN.iter().enumerate() {
                let t = &TRIGGERS[step.trigger];
                let event =
                    std::fs::read(Path::new("events").join(step.event)).map_err(|e| format!("{}: {e}", step.event))?;
                let m = harness::measure(&runners.launch(lang, t), &event, 1, 0, &step.check)
                    .map_err(|e| format!("cold sign-in, {} ({}): {e}", step.name, lang.name()))?;
                let cold = from_cold(&m).first().copied().unwrap_or_default();
                steps[s][l].push(cold);
                whole += cold;
            }
            wholes[l].push(whole);
        }
        eprint!(".");
    }
    eprintln!(" done");
    let mut sign_in_steps = Vec::new();
    for (step, times) in SIGN_IN.iter().zip(&steps).filter(|_| sign_ins > 0) {
        let f = Figure::time("", step.name, [median(&times[0]), median(&times[1]), median(&times[2])], None);
        rows.push(f.row("cold sign-in"));
        sign_in_steps.push(json!({"step": step.name, "event": step.event, "from_cold_ms": f.json_all()}));
    }
    let whole = Figure::time(
        "",
        "**whole: the sum (median)**",
        [median(&wholes[0]), median(&wholes[1]), median(&wholes[2])],
        None,
    );
    rows.push(whole.row("cold sign-in"));
    let load_after = load_average();

    let mut out = String::new();
    let _ = writeln!(out, "{}\n", machine());
    let _ = writeln!(out, "Load average (1, 5, 15 min): {load_before} at the start, {load_after} at the end.\n");
    let node_how = match node_runtime {
        NodeRuntime::Ric => {
            format!("AWS's runtime interface client (aws-lambda-ric {})", package_version(&node_dir, "aws-lambda-ric"))
        }
        NodeRuntime::Loop => {
            "a minimal Runtime API loop (bench/node/loop.mjs, the floor under any Node.js runtime client)".into()
        }
    };
    let node_version = command_output(&node, "--version");
    let node_sns = package_version(&node_dir, "@aws-sdk/client-sns");
    let node_dynamodb = package_version(&node_dir, "@aws-sdk/client-dynamodb");
    let _ = writeln!(
        out,
        "Harness: local Lambda Runtime API on 127.0.0.1; {} starts per Rust function ({} per Node.js and Python peer), {} warm invokes each. Node.js {node_version} with @aws-sdk/client-sns {node_sns} and @aws-sdk/client-dynamodb {node_dynamodb} under {node_how}; Python with boto3 under awslambdaric. create reserves a send in the per-number limit (DynamoDB) and publishes (SNS Publish) to a local endpoint whose bare HTTP round trip is {}; a warm budget is the trigger's own plus one such round trip per AWS call it made. The peers' create has no per-number limit, lock or pumping breaker (one AWS call per code); their verify makes the Rust one's DynamoDB calls when SEND_LIMIT_TABLE is set. \"From cold\" is one process's cold start plus its first invoke; the cold sign-in adds those of define, create, verify and define, each a fresh process, per sign-in ({} sign-ins for Rust, {} for each peer).\n",
        o.starts,
        o.peer_starts,
        o.warm,
        fmt_time(round_trip),
        o.starts,
        o.peer_starts,
    );
    let _ = writeln!(out, "| trigger | figure | Rust | budget | | Node.js | Node ÷ Rust | Python | Python ÷ Rust |");
    let _ = writeln!(out, "|---|---|---:|---:|---|---:|---:|---:|---:|");
    for row in rows {
        let _ = writeln!(out, "{row}");
    }
    let _ = writeln!(out, "\nAWS calls per invoke: {}.", calls_lines.join(" | "));
    let _ = writeln!(
        out,
        "\n{} of {} budgets missed{}.",
        misses.len(),
        budgets,
        if misses.is_empty() { String::new() } else { format!(": {}", misses.join(", ")) }
    );
    if let Some((ratio, binary)) = lowest_node_ratio {
        let verdict = if ratio >= NODE_RATIO_TARGET { "met" } else { "**missed**" };
        let _ = writeln!(
            out,
            "Every Rust function at least {NODE_RATIO_TARGET:.0}× faster than its Node.js peer from cold: {verdict} (the lowest: {ratio:.1}×, {binary})."
        );
    }
    let arm64_dir = Path::new(".aws-sam/build");
    let arm64_sizes = run_events::sizes(&o.build_dir, arm64_dir);
    if let Some(sizes) = &arm64_sizes {
        let _ = writeln!(out, "\n{}", run_events::sizes_table(&o.build_dir, arm64_dir, sizes));
    }
    print!("{out}");
    let _ = std::io::stdout().flush();

    let Some(docs) = o.docs.as_ref().filter(|_| o.only.is_none()) else {
        if o.only.is_some() {
            eprintln!("bench: --only measures part of the set, so docs/ is left as it was");
        }
        return Ok(());
    };
    let generated = Generated::now();
    let (cpu, cores, kernel) = machine_parts();
    let json = json!({
        "generated_by": "make bench (bench/src/main.rs); do not edit by hand",
        "generated_at": generated.at,
        "commit": generated.commit,
        "uncommitted_changes": generated.dirty,
        "machine": {"cpu": cpu, "cores": cores, "kernel": kernel, "arch": std::env::consts::ARCH},
        "load_average": {"start": load_numbers(&load_before), "end": load_numbers(&load_after)},
        "harness": {
            "starts": o.starts,
            "peer_starts": o.peer_starts,
            "warm_invokes": o.warm,
            "aws_round_trip_ms": (round_trip.as_secs_f64() * 1e7).round() / 1e4,
            "node": {
                "version": node_version,
                "runtime": node_how,
                "client_sns": node_sns,
                "client_dynamodb": node_dynamodb,
            },
            "python": "boto3 under awslambdaric",
        },
        "functions": functions,
        "cold_sign_in": {"steps": sign_in_steps, "whole_ms": whole.json_all()},
        "verdicts": {
            "budgets_checked": budgets,
            "budgets_missed": misses,
            "node_ratio_target": NODE_RATIO_TARGET,
            "lowest_node_ratio": lowest_node_ratio.map(|(r, _)| (r * 10.0).round() / 10.0),
            "lowest_node_ratio_function": lowest_node_ratio.map(|(_, b)| b),
            "node_ratio_met": lowest_node_ratio.is_some_and(|(r, _)| r >= NODE_RATIO_TARGET),
        },
        "sizes": arm64_sizes.map(|sizes| sizes.iter().map(|(binary, [x, zx, y, zy])| {
            ((*binary).to_owned(), json!({"x86_64_bytes": x, "x86_64_zip_bytes": zx, "arm64_bytes": y, "arm64_zip_bytes": zy}))
        }).collect::<Map<_, _>>()),
    });
    write_docs(docs, &generated, &out, &json)
}

/// When and from what a report was generated.
struct Generated {
    /// UTC, RFC 3339, to the second.
    at: String,
    /// `git rev-parse HEAD`, or "unknown" outside a git checkout.
    commit: String,
    /// Changes to tracked files outside docs/ that the commit does not hold.
    dirty: bool,
}

impl Generated {
    fn now() -> Self {
        let git = |args: &[&str]| {
            std::process::Command::new("git")
                .args(args)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        };
        let commit = git(&["rev-parse", "HEAD"]);
        let dirty = commit.is_some()
            && git(&["status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)docs"])
                .is_some_and(|s| !s.is_empty());
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Self { at: rfc3339(secs), commit: commit.unwrap_or_else(|| "unknown".into()), dirty }
    }

    fn describe(&self) -> String {
        let short = self.commit.get(..12).unwrap_or(&self.commit);
        let dirty = if self.dirty { " plus uncommitted changes" } else { "" };
        format!("{} from commit `{short}`{dirty}", self.at.replace('T', " ").replace('Z', " UTC"))
    }
}

/// `secs` since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (the civil calendar, proleptic Gregorian).
fn rfc3339(secs: u64) -> String {
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest / 60 % 60, rest % 60)
}

/// docs/benchmark.md (the report, headed by where it came from) and docs/benchmark.json.
fn write_docs(dir: &Path, generated: &Generated, report: &str, json: &Value) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let markdown = format!(
        "# Benchmark\n\nGenerated by `make bench` (`bench/src/main.rs`) on {}; do not edit it by hand, run `make bench` again. \
         The same figures for machines: [benchmark.json](benchmark.json), which `make cost` reads ([cost.md](cost.md)). \
         What is measured and how: [Performance](performance.md).\n\n{report}",
        generated.describe()
    );
    let md = dir.join("benchmark.md");
    std::fs::write(&md, markdown).map_err(|e| format!("{}: {e}", md.display()))?;
    let file = dir.join("benchmark.json");
    let text = serde_json::to_string_pretty(json).map_err(|e| e.to_string())? + "\n";
    std::fs::write(&file, text).map_err(|e| format!("{}: {e}", file.display()))?;
    eprintln!("bench: wrote {} and {}", md.display(), file.display());
    Ok(())
}

/// Cold start plus first invoke, per start.
fn from_cold(m: &Measured) -> Vec<Duration> {
    m.cold_starts.iter().zip(&m.first_invokes).map(|(c, f)| *c + *f).collect()
}

/// The calls each invoke made, when every invoke made the same ones; unknown calls are errors.
fn per_invoke(calls: &Calls, invokes: u64) -> Result<Vec<(String, u64)>, String> {
    calls
        .iter()
        .map(|(call, n)| {
            if call.starts_with("unknown.") {
                Err(format!("{n} calls the fake AWS endpoint does not know: {call}"))
            } else if n % invokes != 0 {
                Err(format!("{n} {call} calls for {invokes} invokes"))
            } else {
                Ok((call.clone(), n / invokes))
            }
        })
        .collect()
}

fn describe_calls(calls: &[(String, u64)]) -> String {
    if calls.is_empty() {
        return "none".into();
    }
    calls.iter().map(|(call, n)| format!("{call} ×{n}")).collect::<Vec<_>>().join(", ")
}

/// One measured figure: Rust, Node.js, Python, with Rust's budget if it has one.
struct Figure {
    /// Its key in docs/benchmark.json.
    key: &'static str,
    name: &'static str,
    values: [f64; 3],
    budget: Option<f64>,
    format: fn(f64) -> String,
    /// A value as docs/benchmark.json holds it (ms, bytes).
    json: fn(f64) -> Value,
    ratio: bool,
}

impl Figure {
    fn time(key: &'static str, name: &'static str, values: [Duration; 3], budget: Option<Duration>) -> Self {
        Self {
            key,
            name,
            values: values.map(|d| d.as_secs_f64()),
            budget: budget.map(|b| b.as_secs_f64()),
            format: |s| fmt_time(Duration::from_secs_f64(s)),
            // Milliseconds, to the tenth of a microsecond.
            json: |s| json!((s * 1e7).round() / 1e4),
            ratio: true,
        }
    }

    fn bytes(key: &'static str, name: &'static str, values: [u64; 3], budget: Option<u64>) -> Self {
        Self {
            key,
            name,
            values: values.map(|b| b as f64),
            budget: budget.map(|b| b as f64),
            format: fmt_bytes,
            json: |b| json!(b as u64),
            ratio: true,
        }
    }

    /// Sizes of what is deployed. The peers' handlers lean on the SDK in Lambda's runtime, so a
    /// ratio would compare different things; none is shown.
    fn size(key: &'static str, name: &'static str, values: [u64; 3], budget: Option<u64>) -> Self {
        Self { ratio: false, ..Self::bytes(key, name, values, budget) }
    }

    /// Implementation `i`'s value (0 Rust, 1 Node.js, 2 Python) for docs/benchmark.json.
    fn json(&self, i: usize) -> Value {
        (self.json)(self.values[i])
    }

    /// All three, by implementation.
    fn json_all(&self) -> Value {
        LANGS
            .into_iter()
            .enumerate()
            .map(|(i, lang)| (lang.name().to_owned(), self.json(i)))
            .collect::<Map<_, _>>()
            .into()
    }

    fn missed(&self) -> bool {
        self.budget.is_some_and(|b| self.values[0] > b)
    }

    /// Peer `i` (1 Node.js, 2 Python) over Rust.
    fn ratio(&self, i: usize) -> f64 {
        if self.values[0] > 0.0 { self.values[i] / self.values[0] } else { 0.0 }
    }

    fn row(&self, trigger: &str) -> String {
        let f = self.format;
        let (budget, verdict) = match self.budget {
            Some(b) => (format!("≤ {}", f(b)), if self.missed() { "**miss**" } else { "pass" }),
            None => (String::new(), ""),
        };
        let ratio = |i| if self.ratio && self.values[0] > 0.0 { format!("{:.1}×", self.ratio(i)) } else { "-".into() };
        format!(
            "| {trigger} | {} | {} | {budget} | {verdict} | {} | {} | {} | {} |",
            self.name,
            f(self.values[0]),
            f(self.values[1]),
            ratio(1),
            f(self.values[2]),
            ratio(2)
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

/// The 1, 5 and 15 minute load averages, as `uptime` shows them.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(", "))
        .unwrap_or_else(|_| "unknown".into())
}

/// The CPU's model, the cores and the kernel release.
fn machine_parts() -> (String, usize, String) {
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
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned();
    (cpu, cores, kernel)
}

fn machine() -> String {
    let (cpu, cores, kernel) = machine_parts();
    format!("Machine: {cpu}, {cores} cores, Linux {kernel} ({})", std::env::consts::ARCH)
}

/// "1.06, 1.03, 0.94" as numbers (none when unknown).
fn load_numbers(load: &str) -> Vec<f64> {
    load.split(", ").filter_map(|n| n.parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_follows_the_civil_calendar() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_763_700_000), "2025-11-21T04:40:00Z");
        assert_eq!(rfc3339(4_107_542_399), "2100-02-28T23:59:59Z");
    }

    #[test]
    fn load_average_as_numbers() {
        assert_eq!(load_numbers("1.06, 1.03, 0.94"), vec![1.06, 1.03, 0.94]);
        assert!(load_numbers("unknown").is_empty());
    }
}
