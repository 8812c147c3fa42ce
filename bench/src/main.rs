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
//!       [--table on|off] [--docs docs|none]
//! bench run-events [--build-dir .aws-sam/build] [--wrapper "qemu-aarch64 -L /usr/aarch64-linux-gnu"]
//! ```
//!
//! `--only pre-sign-up` (say) measures that trigger alone and skips the sign-in. `--table off`
//! starts create and verify without `SEND_LIMIT_TABLE`: their floor, create with its SNS call
//! alone.
//!
//! A whole run (no `--only`) also writes its results into `--docs` (default `docs/`; `none`
//! writes nothing): `benchmark.md`, the report it prints, headed by the date and the commit
//! measured, and `benchmark.json`, the same figures for machines (`tools/cost_model.py` reads
//! it). Both are generated: edit the code, not the files.

mod fake_aws;
mod harness;
mod http;
mod measure;
mod options;
mod report;
mod run_events;
mod runners;

use std::io::Write;
use std::path::Path;

use fake_aws::FakeAws;
use options::TRIGGERS;
use report::{Context, Generated, Report};
use runners::Runners;

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

/// A whole run: each trigger measured (options.rs, runners.rs, measure.rs), then the cold
/// sign-in, then the report printed and written (report.rs).
fn run() -> Result<(), String> {
    let o = options::options()?;
    let load_before = report::load_average();
    let mut runners = Runners::find(&o)?;
    let aws = FakeAws::start().map_err(|e| format!("fake AWS endpoint: {e}"))?;
    let round_trip = aws.round_trip(1000).map_err(|e| format!("fake AWS endpoint: {e}"))?;
    runners.endpoint = aws.endpoint();

    let mut report = Report::default();
    for t in TRIGGERS.iter().filter(|t| o.only.as_ref().is_none_or(|only| only == t.binary)) {
        let run = measure::trigger(&runners, &aws, &o, t)?;
        report.add_trigger(t, &run, measure::sizes(&runners, t)?, round_trip);
    }
    report.add_cold_sign_in(&measure::cold_sign_in(&runners, &o)?);
    let load_after = report::load_average();

    let context = Context {
        options: &o,
        round_trip,
        load_before,
        load_after,
        node: runners.node_info(),
        arm64_sizes: run_events::sizes(&o.build_dir, Path::new(report::ARM64_DIR)),
    };
    let out = report.text(&context);
    print!("{out}");
    let _ = std::io::stdout().flush();

    let Some(docs) = o.docs.as_ref().filter(|_| o.only.is_none() && o.table) else {
        if o.only.is_some() {
            eprintln!("bench: --only measures part of the set, so docs/ is left as it was");
        } else if !o.table {
            eprintln!("bench: --table off measures the triggers without their defences, so docs/ is left as it was");
        }
        return Ok(());
    };
    let generated = Generated::now();
    let json = report.json(&context, &generated);
    report::write_docs(docs, &generated, &out, &json)
}
