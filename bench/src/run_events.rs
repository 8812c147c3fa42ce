//! `bench run-events`: every sample event in `events/` through the built bootstraps, under the
//! same local Runtime API as the benchmark, optionally inside a wrapper such as `qemu-aarch64`
//! (`make arm64` runs the arm64 build this way). Each event must be answered, and answered as
//! its `<name>.expected.json` says, as far as a real process can show it:
//!
//! - an expected error must come back as the function's error, with the expected text;
//! - an expected response must come back, holding the expected fields. Fields that follow the
//!   clock (`expiresAt`, `expiresInSeconds`, `resendInSeconds`) are not compared: the handler
//!   tests pin the clock, a process cannot; nor are the few events whose outcome follows it;
//! - expectations that need a fault or a state the harness does not fake (a failing SMS, a
//!   reached or unreachable per-number limit, a locked number, a paused prefix: [`FAKED`]) only
//!   need an answer.
//!
//! ```text
//! bench run-events [--build-dir .aws-sam/build] [--wrapper "qemu-aarch64 -L /usr/aarch64-linux-gnu"]
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sms_otp_core::testkit::expected::subset;
use sms_otp_core::testkit::template;

use crate::fake_aws::{Calls, FakeAws};
use crate::harness::{self, Answer, Launch};

/// The binaries, by the folder of their events and the folder `sam build` puts them in.
const FUNCTIONS: [(&str, &str); 4] = [
    ("pre-sign-up", "PreSignUpFunction"),
    ("define-auth-challenge", "DefineAuthChallengeFunction"),
    ("create-auth-challenge", "CreateAuthChallengeFunction"),
    ("verify-auth-challenge", "VerifyAuthChallengeFunction"),
];

/// Expectation keys that set up a fault or a stored state the harness does not fake (see
/// crates/core/tests/events.rs): such events need only an answer. A new key of that kind goes
/// here.
const FAKED: [&str; 4] = ["smsFails", "sendLimit", "lockout", "prefix"];

/// Fields whose value follows the clock (the metadata holds the code's issue time).
const CLOCK_FIELDS: [&str; 4] = ["expiresAt", "expiresInSeconds", "resendInSeconds", "challengeMetadata"];

/// Events whose outcome itself follows the clock: only an answer is asked of them.
const CLOCK_EVENTS: [&str; 1] = [
    // Inside the cooldown at the pinned clock, long past it now: a new code goes out.
    "create-auth-challenge/resend-in-cooldown.json",
];

pub fn run(args: &[String]) -> Result<(), String> {
    let mut build_dir = PathBuf::from(".aws-sam/build");
    let mut wrapper: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--build-dir" => build_dir = value.into(),
            "--wrapper" => wrapper = value.split_whitespace().map(str::to_owned).collect(),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    let aws = FakeAws::start().map_err(|e| format!("fake AWS endpoint: {e}"))?;
    let (mut total, mut compared, mut failures) = (0, 0, Vec::new());
    let template = template::resolve(&template::load(), &BTreeMap::new());
    for (binary, logical_id) in FUNCTIONS {
        let before = aws.calls();
        let bootstrap = std::path::absolute(build_dir.join(logical_id).join("bootstrap")).map_err(|e| e.to_string())?;
        if !bootstrap.exists() {
            return Err(format!("{} is missing: run sam build first", bootstrap.display()));
        }
        let (program, mut args) = match wrapper.split_first() {
            Some((program, rest)) => (PathBuf::from(program), rest.to_vec()),
            None => (bootstrap.clone(), Vec::new()),
        };
        if !wrapper.is_empty() {
            args.push(bootstrap.display().to_string());
        }
        let (mut answered, mut matched) = (0, 0);
        let started = std::time::Instant::now();
        for (name, event, expected) in events(binary)? {
            let mut env = base_env(&aws);
            // create counts each send in the per-number table (the fake grants every slot), as
            // deployed; verify's wrong-answer count needs a store the fake does not keep.
            if binary == "create-auth-challenge" {
                env.push(("SEND_LIMIT_TABLE".into(), "run-events-send-limits".into()));
            }
            if let Some(vars) = expected["env"].as_object() {
                env.extend(vars.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())));
            }
            let launch = Launch { program: program.clone(), args: args.clone(), cwd: None, env };
            total += 1;
            let answer = match harness::serve_all(&launch, &[event]) {
                Ok(mut answers) if answers.len() == 1 => answers.remove(0),
                Ok(_) => unreachable!("one event, one answer"),
                Err(e) => {
                    failures.push(format!("{binary}/{name}: no answer: {e}"));
                    continue;
                }
            };
            answered += 1;
            let faked = FAKED.iter().any(|k| expected.get(k).is_some_and(|v| v != false));
            if faked || CLOCK_EVENTS.contains(&format!("{binary}/{name}").as_str()) {
                continue;
            }
            compared += 1;
            match check(&answer, &expected["expect"]) {
                Ok(()) => matched += 1,
                Err(e) => failures.push(format!("{binary}/{name}: {e}")),
            }
        }
        failures.extend(unallowed_calls(&template, logical_id, &aws.calls_since(&before)));
        println!(
            "{binary}: {answered} events answered, {matched} as expected ({:.1} s{})",
            started.elapsed().as_secs_f64(),
            if wrapper.is_empty() { String::new() } else { format!(", under {}", wrapper.join(" ")) }
        );
    }
    println!("{total} events, {compared} compared with their expectation, {} failed", failures.len());
    if failures.is_empty() { Ok(()) } else { Err(failures.join("\n")) }
}

/// The AWS calls among `calls` (`DynamoDB.UpdateItem`, `SNS.Publish`) that `logical_id`'s role
/// in `template` (deployed with its defaults) does not allow: the local emulator enforces no IAM,
/// so a call the policy leaves out would first fail in AWS, as `AccessDeniedException`.
fn unallowed_calls(template: &Value, logical_id: &str, calls: &Calls) -> Vec<String> {
    let allowed = template::allowed_actions(template, logical_id);
    calls
        .keys()
        .filter_map(|call| {
            let (service, operation) = call.split_once('.')?;
            let action = format!("{}:{operation}", service.to_lowercase());
            (!allowed.contains(&action)).then(|| {
                format!("{logical_id} called {call}, which its policy in template.yaml does not allow ({action})")
            })
        })
        .collect()
}

fn base_env(aws: &FakeAws) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = [
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_LAMBDA_FUNCTION_NAME", "run-events"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "run-events"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/run-events"),
        ("PATH", "/usr/local/bin:/usr/bin:/bin"),
        ("LANG", "C.UTF-8"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    env.push(("AWS_ENDPOINT_URL".into(), aws.endpoint()));
    env
}

/// The events of one trigger with their expectations, by file name.
fn events(binary: &str) -> Result<Vec<(String, Vec<u8>, Value)>, String> {
    let dir = Path::new("events").join(binary);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json") && !p.to_string_lossy().ends_with(".expected.json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let name = file.file_name().unwrap_or_default().to_string_lossy().into_owned();
            let event = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let expected_path = file.with_extension("expected.json");
            let expected = std::fs::read(&expected_path)
                .map_err(|e| e.to_string())
                .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
                .map_err(|e| format!("{}: {e}", expected_path.display()))?;
            Ok((name, event, expected))
        })
        .collect()
}

fn check(answer: &Answer, expect: &Value) -> Result<(), String> {
    match (answer, expect["error"].as_str(), expect.get("response")) {
        (Answer::Error(e), Some(want), _) => {
            let message = e["errorMessage"].as_str().unwrap_or_default();
            if message.contains(want) {
                Ok(())
            } else {
                Err(format!("error {message:?}, expected one containing {want:?}"))
            }
        }
        (Answer::Response(_), Some(want), _) => Err(format!("answered, expected an error containing {want:?}")),
        (Answer::Error(e), None, _) => Err(format!("failed: {e}")),
        (Answer::Response(v), None, Some(want)) => {
            let mut errors = Vec::new();
            subset(want, &v["response"], "response", &CLOCK_FIELDS, &mut errors);
            if errors.is_empty() { Ok(()) } else { Err(errors.join("; ")) }
        }
        (Answer::Response(_), None, None) => Err("the expectation names neither response nor error".into()),
    }
}

/// One binary's sizes in bytes: x86_64 bootstrap, x86_64 zip, arm64 bootstrap, arm64 zip.
pub type Sizes = (&'static str, [u64; 4]);

/// The bootstraps' sizes on both architectures, when both builds are there: `x86` (the one
/// measured, `sam build --config-env local`) and `arm64` (`sam build`, what the template deploys
/// by default; `make build-arm64`). The arm64 bootstraps cannot be timed here (qemu is no
/// measure of speed); their sizes can.
pub fn sizes(x86: &Path, arm64: &Path) -> Option<Vec<Sizes>> {
    let mut out = Vec::new();
    for (binary, logical_id) in FUNCTIONS {
        let (a, b) = (x86.join(logical_id).join("bootstrap"), arm64.join(logical_id).join("bootstrap"));
        let size = |p: &Path| std::fs::metadata(p).ok().map(|m| m.len());
        let (Some(x), Some(y)) = (size(&a), size(&b)) else { return None };
        let (zx, zy) = (crate::measure::zipped(&a).ok()?, crate::measure::zipped(&b).ok()?);
        out.push((binary, [x, zx, y, zy]));
    }
    Some(out)
}

/// [`sizes`] as the report's Markdown table.
pub fn sizes_table(x86: &Path, arm64: &Path, sizes: &[Sizes]) -> String {
    let mb = |n: u64| format!("{:.2} MB", n as f64 / 1e6);
    let rows: Vec<String> = sizes
        .iter()
        .map(|(binary, [x, zx, y, zy])| format!("| {binary} | {} | {} | {} | {} |", mb(*x), mb(*zx), mb(*y), mb(*zy)))
        .collect();
    format!(
        "Sizes on both architectures (arm64 is the template's default; {} and {}):\n\n| trigger | x86_64 bootstrap | x86_64 zip | arm64 bootstrap | arm64 zip |\n|---|---:|---:|---:|---:|\n{}",
        x86.display(),
        arm64.display(),
        rows.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(names: &[&str]) -> Calls {
        names.iter().map(|name| ((*name).to_owned(), 1)).collect()
    }

    #[test]
    fn a_call_outside_the_function_s_policy_is_a_failure() {
        let template = template::resolve(&template::load(), &BTreeMap::new());
        let create = "CreateAuthChallengeFunction";
        let made = calls(&["DynamoDB.BatchGetItem", "DynamoDB.UpdateItem", "SNS.Publish"]);
        assert_eq!(unallowed_calls(&template, create, &made), Vec::<String>::new());
        let refused = unallowed_calls(&template, create, &calls(&["DynamoDB.Query", "DynamoDB.UpdateItem"]));
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(refused[0].contains("dynamodb:Query"), "{refused:?}");
        let verify = unallowed_calls(&template, "VerifyAuthChallengeFunction", &calls(&["SNS.Publish"]));
        assert_eq!(verify.len(), 1, "verify sends no SMS: {verify:?}");
    }
}
