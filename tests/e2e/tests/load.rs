//! Load: many complete sign-ins at once through the local stack.
//!
//! Each of `LOAD_SIGN_INS` (default 200) sign-ins takes a fresh phone number, signs it up, starts
//! a sign-in (`InitiateAuth`, `CUSTOM_AUTH`), reads the code from the emulator's SMS inbox and
//! answers it. They run side by side on tokio, at most `LOAD_CONCURRENCY` (default 40, see
//! [`DEFAULT_CONCURRENCY`]) in flight, and the test stops by itself after
//! `LOAD_DEADLINE_SECONDS` (default 300).
//!
//! Checked, for every number: the answer gave tokens whose ID token carries that number; the
//! number received exactly one SMS; its code worked once: the answer that signed in, sent again
//! (same session, same code), gives no tokens, and a new sign-in on the same number answered with
//! the old code is refused as a wrong answer. Printed, never asserted: throughput and latency
//! percentiles, as a Markdown table. Afterwards the test deletes its users, since the emulator
//! scans a pool's whole user table on every call.
//!
//! With `LOAD_REPORT` set to a file (relative to the workspace root: `make load-report` sets
//! `docs/load.md`), a run whose checks all passed also writes what it printed there, headed by
//! the date and the commit; without it nothing is written, so `make test` leaves the checkout
//! as it found it.
//!
//! The SDK's retries are off here, so every error the emulator gives under load shows up as a
//! failed sign-in instead of being retried away (a retried `InitiateAuth` would also send a
//! second SMS). The one exception is the emulator's own user-table race ([`EMULATOR_RACE`]).
//!
//! ```sh
//! source tools/local-env.sh   # AWS_ENDPOINT_URL and credentials for the local stack
//! E2E_STACK_NAME=sms-passwordless-load cargo test --workspace --test load -- --ignored --nocapture
//! LOAD_REPORT=docs/load.md E2E_STACK_NAME=... cargo test --workspace --test load -- --ignored --nocapture
//! ```

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use e2e::Stack;
use signin_client::{ClientError, SignInClient, Step, emulator, token_claims};
use sms_otp_core::phone::{PhoneNumber, mask};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Sign-ins in the default run; `LOAD_SIGN_INS` changes it.
const DEFAULT_SIGN_INS: usize = 200;
/// Sign-ins in flight at most; `LOAD_CONCURRENCY` changes it. Not all 200: the emulator serves
/// every call from one Python process (about one core, whatever the width), so from about 30 in
/// flight on more width adds only latency (about 27 sign-ins/s on 2 cores). At 100 in flight the
/// 200 sign-ins still succeed, but a whole sign-in takes 4.5 s and the single-use checks after
/// them see the emulator's DynamoDB answer create's per-number limit check later than its 0.8 s
/// deadline; at 200 every `InitiateAuth` fails that way (a clear `SendLimitUnavailable`, no SMS
/// sent). 40 passed every run, with other builds running.
const DEFAULT_CONCURRENCY: usize = 40;
/// The sign-ins and the checks stop after this; `LOAD_DEADLINE_SECONDS` changes it.
const DEFAULT_DEADLINE_SECONDS: usize = 300;
/// Deleting the test's users afterwards stops after this.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(60);
/// One Cognito call may take this long before it counts as failed.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// How long to wait for an SMS to show up in the emulator's inbox.
const SMS_WAIT: Duration = Duration::from_secs(5);
/// The emulator (ministack 1.5.33) looks users up by phone number by iterating the pool's user
/// table without a lock, so a `SignUp` adding a user at the same moment fails a concurrent
/// lookup with this Python error (`InternalError`), before the call changed anything. Such a
/// call is sent again, at most [`RACE_TRIES`] times in all, and counted.
const EMULATOR_RACE: &str = "dictionary changed size during iteration";
const RACE_TRIES: usize = 5;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "load: needs a deployed local stack (E2E_STACK_NAME); run on its own with --nocapture"]
async fn hundreds_of_concurrent_sign_ins_each_get_tokens_one_sms_and_a_single_use_code() {
    let n = env_usize("LOAD_SIGN_INS", DEFAULT_SIGN_INS);
    let width = env_usize("LOAD_CONCURRENCY", DEFAULT_CONCURRENCY).clamp(1, n.max(1));
    let deadline_after = Duration::from_secs(env_usize("LOAD_DEADLINE_SECONDS", DEFAULT_DEADLINE_SECONDS) as u64);
    let deadline = tokio::time::Instant::now() + deadline_after;
    let test_start = Instant::now();

    let load = Arc::new(Load::connect().await);
    let phones = fresh_phones(&load.stack, n).await;
    let mut report = Report::default();
    let problems = run(&load, &phones, width, deadline, &mut report).await;

    // The pool's user list is scanned on every call by the emulator: leave it as it was.
    let cleanup = Instant::now();
    let deleted = tokio::time::timeout(CLEANUP_TIMEOUT, load.delete_users(&phones)).await;
    println!(
        "(deleted the {} users in {:.2} s; the whole test took {:.2} s)",
        deleted.map_or_else(|_| "(timed out)".to_owned(), |d| d.to_string()),
        cleanup.elapsed().as_secs_f64(),
        test_start.elapsed().as_secs_f64()
    );
    if let Some(file) = report_file() {
        if problems.is_empty() {
            report.write(&file);
        } else {
            println!("(LOAD_REPORT: {} left as it was, since the run failed)", file.display());
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What the test printed, kept for `LOAD_REPORT`.
#[derive(Default)]
struct Report(String);

impl Report {
    /// Prints `text` as a line, and keeps it.
    fn line(&mut self, text: impl std::fmt::Display) {
        let text = text.to_string();
        println!("{text}");
        self.0.push_str(&text);
        self.0.push('\n');
    }

    /// The report, headed by where it came from, into `file`.
    fn write(&self, file: &Path) {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let at = aws_sdk_dynamodb::primitives::DateTime::from_secs(now as i64)
            .fmt(aws_sdk_dynamodb::primitives::DateTimeFormat::DateTime)
            .unwrap_or_default();
        let markdown = format!(
            "# Load\n\nGenerated by the load test (`tests/e2e/tests/load.rs`, `make load-report`) on {} from \
             commit {}, against the end-to-end stack on the local emulator; do not edit it by hand, run it \
             again. What it does and how to read it: [Performance, Load](performance.md#load).\n\n{}",
            at.replace('T', " ").replace('Z', " UTC"),
            git_commit(),
            self.0.trim_start()
        );
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        }
        std::fs::write(file, markdown).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        println!("(wrote {})", file.display());
    }
}

/// `LOAD_REPORT`, relative to the workspace root (a test runs in its package's folder).
fn report_file() -> Option<PathBuf> {
    let name = std::env::var_os("LOAD_REPORT").filter(|v| !v.is_empty())?;
    Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(name))
}

/// The commit checked out (12 digits, as Markdown code), "plus uncommitted changes" when tracked
/// files outside docs/ differ from it; "unknown" outside a git checkout.
fn git_commit() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .current_dir(&root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let Some(commit) = git(&["rev-parse", "--short=12", "HEAD"]) else { return "unknown".into() };
    let dirty = git(&["status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)docs"])
        .is_some_and(|s| !s.is_empty());
    if dirty { format!("`{commit}` plus uncommitted changes") } else { format!("`{commit}`") }
}

/// The sign-ins and the checks; what went wrong, in words.
async fn run(
    load: &Arc<Load>,
    phones: &[String],
    width: usize,
    deadline: tokio::time::Instant,
    out: &mut Report,
) -> Vec<String> {
    let n = phones.len();
    let mut problems = Vec::new();

    // 1. The sign-ins, at most `width` in flight.
    let gate = Arc::new(Semaphore::new(width));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let mut tasks = JoinSet::new();
    let started = Instant::now();
    for phone in phones.iter().cloned() {
        let (load, gate, in_flight, peak) = (load.clone(), gate.clone(), in_flight.clone(), peak.clone());
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await.expect("the gate stays open");
            peak.fetch_max(in_flight.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
            let outcome = sign_in(&load, &phone).await;
            in_flight.fetch_sub(1, Ordering::SeqCst);
            outcome.map_err(|error| Failure { phone, error })
        });
    }
    let results = match join_all(&mut tasks, deadline, "sign-ins").await {
        Ok(results) => results,
        Err(e) => return vec![e],
    };
    let wall = started.elapsed();
    let (done, failed) = split(results);

    // Timing first, so it is printed whatever the checks find.
    println!();
    out.line(format!(
        "load: {n} sign-ins (sign-up, InitiateAuth, read the SMS, answer), concurrency {width} (peak in \
         flight {}), {} CPU cores, SDK retries off",
        peak.load(Ordering::SeqCst),
        std::thread::available_parallelism().map_or(0, |p| p.get()),
    ));
    out.line("");
    out.line(format!(
        "{} of {n} signed in in {:.2} s: {:.1} sign-ins/s",
        done.len(),
        wall.as_secs_f64(),
        done.len() as f64 / wall.as_secs_f64()
    ));
    out.line("");
    print_table(&done, out);
    out.line("");
    let retried = load.emulator_retries.load(Ordering::SeqCst);
    if retried > 0 {
        out.line(format!(
            "(the emulator's user-table race, \"{EMULATOR_RACE}\", hit {retried} calls; each was sent \
             again, and the time is in the figures above)"
        ));
        out.line("");
    }
    report_failures("sign-in", &failed, out);
    if !failed.is_empty() {
        problems.push(format!("{} of {n} sign-ins failed (see above)", failed.len()));
    }

    // 2. Each number received exactly one SMS; read after every sign-in ended, so a late or
    // duplicate SMS would show.
    let counts = sms_counts(&load.stack).await;
    let mut histogram: BTreeMap<usize, usize> = BTreeMap::new();
    for phone in phones {
        *histogram.entry(counts.get(phone).copied().unwrap_or(0)).or_default() += 1;
    }
    let exactly_one = histogram.get(&1).copied().unwrap_or(0);
    out.line(format!(
        "- check: every sign-in got tokens whose ID token's phone_number is its number: {}/{n}",
        done.len()
    ));
    out.line(format!(
        "- check: numbers that received exactly one SMS: {exactly_one}/{n} (numbers by SMS received: {})",
        histogram.iter().map(|(sms, numbers)| format!("{sms} SMS: {numbers}")).collect::<Vec<_>>().join(", ")
    ));
    if exactly_one != n {
        problems.push(format!("{} of {n} numbers did not receive exactly one SMS", n - exactly_one));
    }

    // 3. Each code worked once, checked for every number that signed in: the used answer
    // replayed, and the old code in a new sign-in on the same number.
    let checked = done.len();
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for d in done {
        let (load, gate) = (load.clone(), gate.clone());
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await.expect("the gate stays open");
            let phone = d.phone.clone();
            replay(&load, d).await.map_err(|error| Failure { phone, error })
        });
    }
    let results = match join_all(&mut tasks, deadline, "single-use checks").await {
        Ok(results) => results,
        Err(e) => {
            problems.push(e);
            return problems;
        }
    };
    let (replays, failed) = split(results);
    let mut same_session: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &replays {
        *same_session.entry(&r.same_session).or_default() += 1;
    }
    let same_session: Vec<String> = same_session.iter().map(|(k, v)| format!("{v} x {k}")).collect();
    let judged = replays.iter().filter(|r| r.old_code_refused).count();
    let undecidable = replays.len() - judged;
    out.line(format!(
        "- check: the answer that signed in, sent again (same session, same code), gave no tokens: {}/{checked} ({})",
        replays.len(),
        same_session.join(", ")
    ));
    out.line(format!(
        "- check: a new sign-in on the same number answered with the old code was refused as a wrong answer \
         (attemptsLeft one lower, no tokens, exactly one more SMS): {judged}/{checked}{}",
        if undecidable > 0 {
            format!(" ({undecidable} not judged: the new code equalled the old)")
        } else {
            String::new()
        }
    ));
    out.line("");
    out.line(format!("(the single-use checks took {:.2} s)", started.elapsed().as_secs_f64()));
    report_failures("single-use check", &failed, out);
    if !failed.is_empty() {
        problems.push(format!("{} of {checked} single-use checks failed (see above)", failed.len()));
    }
    problems
}

/// The latencies of one sign-in, and what the single-use checks need.
struct Done {
    phone: String,
    session: String,
    code: String,
    sign_up: Duration,
    initiate: Duration,
    read_sms: Duration,
    answer: Duration,
    total: Duration,
}

struct Failure {
    phone: String,
    error: String,
}

struct Replay {
    /// What replaying the answer that signed in gave (never tokens).
    same_session: String,
    /// False only when the new sign-in drew the old code again (1 in 10^length), which leaves
    /// nothing to judge.
    old_code_refused: bool,
}

/// One complete sign-in of a fresh number, timed step by step.
async fn sign_in(load: &Arc<Load>, phone: &str) -> Result<Done, String> {
    let client = &load.client;
    let t0 = Instant::now();
    match load.again_on_race(|| client.sign_up(phone)).await {
        Ok(true) => {}
        Ok(false) => return Err("sign-up: not confirmed by pre-sign-up".into()),
        Err(e) => return Err(format!("sign-up: {e}")),
    }
    let t1 = Instant::now();
    let challenge = match load.again_on_race(|| client.start(phone)).await {
        Ok(Step::Challenge(c)) => c,
        Ok(Step::SignedIn(_)) => return Err("initiate: tokens without a code".into()),
        Err(e) => return Err(format!("initiate: {e}")),
    };
    if challenge.get("maskedPhoneNumber") != mask(phone) {
        return Err(format!("initiate: maskedPhoneNumber {}", challenge.get("maskedPhoneNumber")));
    }
    let t2 = Instant::now();
    let texts = sms_for(load, phone, 1).await?;
    if texts.len() != 1 {
        return Err(format!("read SMS: {} SMS after InitiateAuth", texts.len()));
    }
    let code = emulator::code_in(&texts[0], load.stack.config.otp_length)
        .ok_or_else(|| format!("read SMS: no code in {:?}", texts[0]))?;
    let t3 = Instant::now();
    let tokens = match load.again_on_race(|| client.answer(phone, &challenge.session, &code)).await {
        Ok(Step::SignedIn(t)) => t,
        Ok(Step::Challenge(c)) => return Err(format!("answer: the right code gave another round: {}", c.describe())),
        Err(e) => return Err(format!("answer: {e}")),
    };
    let t4 = Instant::now();
    let claims = token_claims(&tokens.id_token).map_err(|e| format!("answer: {e}"))?;
    if claims["phone_number"] != phone {
        return Err(format!("answer: the ID token is for {}", claims["phone_number"]));
    }
    Ok(Done {
        phone: phone.to_owned(),
        session: challenge.session,
        code,
        sign_up: t1 - t0,
        initiate: t2 - t1,
        read_sms: t3 - t2,
        answer: t4 - t3,
        total: t4 - t0,
    })
}

/// The code of a finished sign-in must not work again.
async fn replay(load: &Arc<Load>, d: Done) -> Result<Replay, String> {
    let client = &load.client;
    let same_session = match load.again_on_race(|| client.answer(&d.phone, &d.session, &d.code)).await {
        Ok(Step::SignedIn(_)) => return Err("the used session and code gave tokens a second time".into()),
        Ok(Step::Challenge(_)) => "another round".to_owned(),
        Err(e) => format!("refused: {}", error_kind(&e)),
    };

    let challenge = match load.again_on_race(|| client.start(&d.phone)).await {
        Ok(Step::Challenge(c)) => c,
        Ok(Step::SignedIn(_)) => return Err("a second InitiateAuth gave tokens without a code".into()),
        Err(e) => return Err(format!("second InitiateAuth: {e}")),
    };
    let texts = sms_for(load, &d.phone, 2).await?;
    if texts.len() != 2 {
        return Err(format!("{} SMS after the second InitiateAuth (expected 2)", texts.len()));
    }
    let new = emulator::code_in(&texts[1], load.stack.config.otp_length).ok_or("no code in the second SMS")?;
    let old_code_refused = match load.again_on_race(|| client.answer(&d.phone, &challenge.session, &d.code)).await {
        Ok(Step::SignedIn(_)) if new == d.code => false,
        Ok(Step::SignedIn(_)) => return Err("the old code signed in again in a new sign-in".into()),
        Ok(Step::Challenge(c)) => {
            let expected = load.stack.config.max_attempts as u64 - 1;
            if c.number("attemptsLeft") != Some(expected) {
                return Err(format!("old code: attemptsLeft {} (expected {expected})", c.get("attemptsLeft")));
            }
            true
        }
        Err(e) => return Err(format!("old code in a new sign-in: {e} (expected another round)")),
    };
    Ok(Replay { same_session, old_code_refused })
}

/// The harness's stack, plus a client of its own for the load.
struct Load {
    stack: Stack,
    /// No SDK retries (errors show; a retried `InitiateAuth` would send a second SMS), a bound
    /// on every call.
    client: SignInClient,
    cognito: aws_sdk_cognitoidentityprovider::Client,
    user_pool_id: String,
    /// Calls sent again after the emulator's user-table race.
    emulator_retries: AtomicUsize,
}

impl Load {
    async fn connect() -> Self {
        let stack = Stack::connect().await;
        let name = e2e::stack_name();
        let sdk = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::disabled())
            .timeout_config(TimeoutConfig::builder().operation_timeout(CALL_TIMEOUT).build())
            .load()
            .await;
        let outputs = signin_client::stack_outputs(&sdk, &name).await.unwrap_or_else(|e| panic!("{e}"));
        Self {
            stack,
            client: SignInClient::new(&sdk, &outputs["UserPoolClientId"]),
            cognito: aws_sdk_cognitoidentityprovider::Client::new(&sdk),
            user_pool_id: outputs["UserPoolId"].clone(),
            emulator_retries: AtomicUsize::new(0),
        }
    }

    /// `call()`, sent again (and counted) when it failed on [`EMULATOR_RACE`] only.
    async fn again_on_race<T, F, Fut>(&self, mut call: F) -> Result<T, ClientError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let mut tries = 1;
        loop {
            match call().await {
                Err(ClientError::Cognito { code, message })
                    if code == "InternalError" && message.contains(EMULATOR_RACE) && tries < RACE_TRIES =>
                {
                    self.emulator_retries.fetch_add(1, Ordering::SeqCst);
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                other => return other,
            }
        }
    }

    /// Deletes the users of these numbers, one by one (deletes side by side would race in the
    /// emulator as sign-ups do). Returns how many it deleted.
    async fn delete_users(&self, phones: &[String]) -> usize {
        let mut deleted = 0;
        for phone in phones {
            let call = self.cognito.admin_delete_user().user_pool_id(&self.user_pool_id).username(phone);
            deleted += usize::from(call.send().await.is_ok());
        }
        deleted
    }
}

/// `n` numbers that no user of the pool has, that the emulator's inbox has never seen (the
/// inbox is shared by every stack on the emulator) and that are not the configured test number,
/// all different.
async fn fresh_phones(stack: &Stack, n: usize) -> Vec<String> {
    let mut taken: HashSet<String> = stack.user_phone_numbers().await.into_iter().collect();
    taken.extend(sms_counts(stack).await.into_keys());
    let test_number = |p: &str| PhoneNumber::parse(p).is_ok_and(|p| stack.config.test_numbers.code_for(&p).is_some());
    let mut phones = Vec::with_capacity(n);
    while phones.len() < n {
        let phone = Stack::new_phone();
        if !test_number(&phone) && taken.insert(phone.clone()) {
            phones.push(phone);
        }
    }
    phones
}

/// The SMS the emulator holds for `phone`, waiting up to [`SMS_WAIT`] for at least `want`.
async fn sms_for(load: &Arc<Load>, phone: &str, want: usize) -> Result<Vec<String>, String> {
    let waited = Instant::now();
    loop {
        let (l, p) = (load.clone(), phone.to_owned());
        let texts = tokio::task::spawn_blocking(move || l.stack.sms(&p)).await.map_err(|e| format!("read SMS: {e}"))?;
        if texts.len() >= want || waited.elapsed() > SMS_WAIT {
            return Ok(texts);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// SMS per number, for every number the emulator's inbox holds.
async fn sms_counts(stack: &Stack) -> HashMap<String, usize> {
    // One read of the whole inbox, outside the timed part: blocking here is fine.
    let mut counts = HashMap::new();
    for (number, _) in tokio::task::block_in_place(|| stack.all_sms()) {
        *counts.entry(number).or_default() += 1;
    }
    counts
}

/// Every task's result, or how many were still running at the deadline (those are stopped).
async fn join_all<T: 'static>(
    tasks: &mut JoinSet<T>,
    deadline: tokio::time::Instant,
    what: &str,
) -> Result<Vec<T>, String> {
    let total = tasks.len();
    let mut out = Vec::with_capacity(total);
    let collect = async {
        while let Some(r) = tasks.join_next().await {
            out.push(r.expect("a load task panicked"));
        }
    };
    if tokio::time::timeout_at(deadline, collect).await.is_err() {
        let left = tasks.len();
        tasks.abort_all();
        return Err(format!("deadline: {left} of {total} {what} still running; the emulator is overloaded or stuck"));
    }
    Ok(out)
}

/// The successes and the failures.
fn split<T, E>(results: Vec<Result<T, E>>) -> (Vec<T>, Vec<E>) {
    let (mut ok, mut err) = (Vec::new(), Vec::new());
    for r in results {
        match r {
            Ok(v) => ok.push(v),
            Err(e) => err.push(e),
        }
    }
    (ok, err)
}

/// The error's kind, without the phone number or session in it, for grouping.
fn error_kind(e: &ClientError) -> String {
    let text = e.to_string();
    text.split(|c: char| c == '+' || c.is_ascii_digit()).next().unwrap_or(&text).trim().to_owned()
}

fn report_failures(what: &str, failed: &[Failure], out: &mut Report) {
    if failed.is_empty() {
        return;
    }
    let mut kinds: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for f in failed {
        let kind = f.error.replace(&f.phone, "<phone>");
        kinds.entry(kind).or_default().push(&f.phone);
    }
    out.line(format!("{} {what} failures:", failed.len()));
    for (kind, phones) in kinds {
        out.line(format!("  {} x {kind} (e.g. {})", phones.len(), phones[0]));
    }
}

/// One step's latency out of a finished sign-in.
type Latency = fn(&Done) -> Duration;

fn print_table(done: &[Done], out: &mut Report) {
    out.line("| step | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) |");
    out.line("|---|---:|---:|---:|---:|");
    let rows: [(&str, Latency); 5] = [
        ("sign-up (`SignUp`, pre-sign-up)", |d| d.sign_up),
        ("initiate (`InitiateAuth`: define, create, SMS)", |d| d.initiate),
        ("read the code from the emulator's SMS inbox", |d| d.read_sms),
        ("answer (`RespondToAuthChallenge`: verify, define, tokens)", |d| d.answer),
        ("**whole sign-in**", |d| d.total),
    ];
    for (name, step) in rows {
        let mut ms: Vec<f64> = done.iter().map(|d| step(d).as_secs_f64() * 1000.0).collect();
        ms.sort_by(f64::total_cmp);
        let p = |q: f64| percentile(&ms, q).map_or("-".into(), |v| format!("{v:.1}"));
        out.line(format!("| {name} | {} | {} | {} | {} |", p(50.0), p(90.0), p(99.0), p(100.0)));
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v.parse().unwrap_or_else(|_| panic!("{name}={v:?} is not a whole number")),
        _ => default,
    }
}
