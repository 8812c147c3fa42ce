//! The report: each figure against its budget beside the peers' ([`Figure`]), the verdicts, the
//! text `make bench` prints, and the same as `docs/benchmark.md` and `docs/benchmark.json`.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::harness::Measured;
use crate::measure::{ColdSignIn, TriggerRun, from_cold};
use crate::options::{MB, NODE_RATIO_TARGET, Options, SIGN_IN, Trigger};
use crate::run_events::{self, Sizes};
use crate::runners::{LANGS, NodeInfo};

/// What a run measured, as the rows of the report's table and for docs/benchmark.json.
#[derive(Default)]
pub struct Report {
    rows: Vec<String>,
    calls_lines: Vec<String>,
    misses: Vec<String>,
    budgets: usize,
    lowest_node_ratio: Option<(f64, &'static str)>,
    functions: Map<String, Value>,
    sign_in_steps: Vec<Value>,
    whole_sign_in: Option<Figure>,
}

/// What the report says of the run besides its figures.
pub struct Context<'a> {
    pub options: &'a Options,
    /// The fake AWS endpoint's bare HTTP round trip.
    pub round_trip: Duration,
    pub load_before: String,
    pub load_after: String,
    pub node: NodeInfo,
    /// Both architectures' sizes, when both builds are there.
    pub arm64_sizes: Option<Vec<Sizes>>,
}

impl Report {
    /// Trigger `t`'s figures: its rows, budgets and verdicts, and its part of benchmark.json.
    pub fn add_trigger(&mut self, t: &'static Trigger, run: &TriggerRun, sizes: [(u64, u64); 3], round_trip: Duration) {
        let calls_per_invoke = &run.calls_per_invoke;
        let [rust, node, python] = &run.measured;
        let round_trips: u64 = calls_per_invoke[0].iter().map(|(_, n)| n).sum();
        let warm_budget = t.budget.warm + round_trip * u32::try_from(round_trips).unwrap_or(u32::MAX);
        self.calls_lines.push(format!(
            "{}: {}",
            t.binary,
            LANGS
                .iter()
                .zip(calls_per_invoke)
                .map(|(lang, calls)| format!("{} {}", lang.name(), describe_calls(calls)))
                .collect::<Vec<_>>()
                .join("; ")
        ));
        let [rust_size, node_size, python_size] = sizes;

        let from_cold = Figure::time(
            "from_cold_ms",
            "cold start + first invoke (median)",
            [median(&from_cold(rust)), median(&from_cold(node)), median(&from_cold(python))],
            t.budget.from_cold,
        );
        let node_ratio = from_cold.ratio(1);
        if self.lowest_node_ratio.is_none_or(|(r, _)| node_ratio < r) {
            self.lowest_node_ratio = Some((node_ratio, t.binary));
        }
        let figures = figures(t, run, from_cold, warm_budget, [rust_size, node_size, python_size]);
        for f in &figures {
            if f.budget.is_some() {
                self.budgets += 1;
                if f.missed() {
                    self.misses.push(format!("{} {}", t.binary, f.name));
                }
            }
            self.rows.push(f.row(t.binary));
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
        self.functions.insert(t.binary.into(), function.into());
    }

    /// The cold sign-in's rows: each step (when there were sign-ins) and the whole.
    pub fn add_cold_sign_in(&mut self, sign_in: &ColdSignIn) {
        let (steps, wholes) = (&sign_in.steps, &sign_in.wholes);
        for (step, times) in SIGN_IN.iter().zip(steps).filter(|_| sign_in.sign_ins > 0) {
            let f = Figure::time("", step.name, [median(&times[0]), median(&times[1]), median(&times[2])], None);
            self.rows.push(f.row("cold sign-in"));
            self.sign_in_steps.push(json!({"step": step.name, "event": step.event, "from_cold_ms": f.json_all()}));
        }
        let whole = Figure::time(
            "",
            "**whole: the sum (median)**",
            [median(&wholes[0]), median(&wholes[1]), median(&wholes[2])],
            None,
        );
        self.rows.push(whole.row("cold sign-in"));
        self.whole_sign_in = Some(whole);
    }

    /// The report `make bench` prints, and docs/benchmark.md holds under its heading.
    pub fn text(&self, c: &Context) -> String {
        let (o, node) = (c.options, &c.node);
        let mut out = String::new();
        let _ = writeln!(out, "{}\n", machine());
        let _ = writeln!(
            out,
            "Load average (1, 5, 15 min): {} at the start, {} at the end.\n",
            c.load_before, c.load_after
        );
        let _ = writeln!(
            out,
            "Harness: local Lambda Runtime API on 127.0.0.1; {} starts per Rust function ({} per Node.js and Python peer), {} warm invokes each. Node.js {} with @aws-sdk/client-sns {} and @aws-sdk/client-dynamodb {} under {}; Python with boto3 under awslambdaric. create reserves a send in the per-number limit (DynamoDB) and publishes (SNS Publish) to a local endpoint whose bare HTTP round trip is {}; a warm budget is the trigger's own plus one such round trip per AWS call it made. The peers' create has no per-number limit, lock or pumping breaker (one AWS call per code); their verify makes the Rust one's DynamoDB calls when SEND_LIMIT_TABLE is set. \"From cold\" is one process's cold start plus its first invoke; the cold sign-in adds those of define, create, verify and define, each a fresh process, per sign-in ({} sign-ins for Rust, {} for each peer).\n",
            o.starts,
            o.peer_starts,
            o.warm,
            node.version,
            node.client_sns,
            node.client_dynamodb,
            node.how,
            fmt_time(c.round_trip),
            o.starts,
            o.peer_starts,
        );
        if !o.table {
            let _ = writeln!(
                out,
                "Started with --table off: no SEND_LIMIT_TABLE, so create makes its SNS call alone (no per-number limit, lock, pumping breaker or retry guard) and verify makes none. A floor, not the functions template.yaml deploys.\n"
            );
        }
        let _ =
            writeln!(out, "| trigger | figure | Rust | budget | | Node.js | Node ÷ Rust | Python | Python ÷ Rust |");
        let _ = writeln!(out, "|---|---|---:|---:|---|---:|---:|---:|---:|");
        for row in &self.rows {
            let _ = writeln!(out, "{row}");
        }
        let _ = writeln!(out, "\nAWS calls per invoke: {}.", self.calls_lines.join(" | "));
        let _ = writeln!(
            out,
            "\n{} of {} budgets missed{}.",
            self.misses.len(),
            self.budgets,
            if self.misses.is_empty() { String::new() } else { format!(": {}", self.misses.join(", ")) }
        );
        if let Some((ratio, binary)) = self.lowest_node_ratio {
            let verdict = if ratio >= NODE_RATIO_TARGET { "met" } else { "**missed**" };
            let _ = writeln!(
                out,
                "Every Rust function at least {NODE_RATIO_TARGET:.0}× faster than its Node.js peer from cold: {verdict} (the lowest: {ratio:.1}×, {binary})."
            );
        }
        if let Some(sizes) = &c.arm64_sizes {
            let _ = writeln!(out, "\n{}", run_events::sizes_table(&o.build_dir, Path::new(ARM64_DIR), sizes));
        }
        out
    }

    /// docs/benchmark.json: the same figures for machines.
    pub fn json(&self, c: &Context, generated: &Generated) -> Value {
        let o = c.options;
        let (cpu, cores, kernel) = machine_parts();
        let lowest_node_ratio = self.lowest_node_ratio;
        let whole = self.whole_sign_in.as_ref().map(Figure::json_all);
        json!({
            "generated_by": "make bench (bench/src/main.rs); do not edit by hand",
            "generated_at": generated.at,
            "commit": generated.commit,
            "uncommitted_changes": generated.dirty,
            "machine": {"cpu": cpu, "cores": cores, "kernel": kernel, "arch": std::env::consts::ARCH},
            "load_average": {"start": load_numbers(&c.load_before), "end": load_numbers(&c.load_after)},
            "harness": {
                "starts": o.starts,
                "peer_starts": o.peer_starts,
                "warm_invokes": o.warm,
                "aws_round_trip_ms": (c.round_trip.as_secs_f64() * 1e7).round() / 1e4,
                "node": {
                    "version": c.node.version,
                    "runtime": c.node.how,
                    "client_sns": c.node.client_sns,
                    "client_dynamodb": c.node.client_dynamodb,
                },
                "python": "boto3 under awslambdaric",
            },
            "functions": self.functions,
            "cold_sign_in": {"steps": self.sign_in_steps, "whole_ms": whole},
            "verdicts": {
                "budgets_checked": self.budgets,
                "budgets_missed": self.misses,
                "node_ratio_target": NODE_RATIO_TARGET,
                "lowest_node_ratio": lowest_node_ratio.map(|(r, _)| (r * 10.0).round() / 10.0),
                "lowest_node_ratio_function": lowest_node_ratio.map(|(_, b)| b),
                "node_ratio_met": lowest_node_ratio.is_some_and(|(r, _)| r >= NODE_RATIO_TARGET),
            },
            "sizes": c.arm64_sizes.as_ref().map(|sizes| sizes.iter().map(|(binary, [x, zx, y, zy])| {
                ((*binary).to_owned(), json!({"x86_64_bytes": x, "x86_64_zip_bytes": zx, "arm64_bytes": y, "arm64_zip_bytes": zy}))
            }).collect::<Map<_, _>>()),
        })
    }
}

/// Where `make build-arm64` puts the arm64 build, whose sizes the report adds.
pub const ARM64_DIR: &str = ".aws-sam/build";

/// Trigger `t`'s rows, in the table's order.
fn figures(
    t: &Trigger,
    run: &TriggerRun,
    from_cold: Figure,
    warm_budget: Duration,
    [rust_size, node_size, python_size]: [(u64, u64); 3],
) -> [Figure; 8] {
    let [rust, node, python]: &[Measured; 3] = &run.measured;
    [
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
    ]
}

/// When and from what a report was generated.
pub struct Generated {
    /// UTC, RFC 3339, to the second.
    pub at: String,
    /// `git rev-parse HEAD`, or "unknown" outside a git checkout.
    pub commit: String,
    /// Changes to tracked files outside docs/ that the commit does not hold.
    pub dirty: bool,
}

impl Generated {
    pub fn now() -> Self {
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
pub fn write_docs(dir: &Path, generated: &Generated, report: &str, json: &Value) -> Result<(), String> {
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

fn describe_calls(calls: &[(String, u64)]) -> String {
    if calls.is_empty() {
        return "none".into();
    }
    calls.iter().map(|(call, n)| format!("{call} ×{n}")).collect::<Vec<_>>().join(", ")
}

/// One measured figure: Rust, Node.js, Python, with Rust's budget if it has one.
struct Figure {
    /// Its key in docs/benchmark.json.
    pub key: &'static str,
    pub name: &'static str,
    pub values: [f64; 3],
    pub budget: Option<f64>,
    pub format: fn(f64) -> String,
    /// A value as docs/benchmark.json holds it (ms, bytes).
    pub json: fn(f64) -> Value,
    pub ratio: bool,
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

/// The 1, 5 and 15 minute load averages, as `uptime` shows them.
pub fn load_average() -> String {
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
