//! What a run measures and with what: the command line ([`Options`]), the four triggers with
//! their budgets and sample events ([`TRIGGERS`]), and the steps of the cold sign-in
//! ([`SIGN_IN`]).

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::runners::{Lang, NodeRuntime};

/// The spec's budgets for one trigger, and issue #16's target from cold.
pub struct Budget {
    pub cold_start: Duration,
    /// Warm p50, on top of the round trips to the local AWS endpoint it made per invoke (create:
    /// the per-number limit's DynamoDB call, then SNS `Publish`).
    pub warm: Duration,
    pub peak_rss: u64,
    pub size: u64,
    /// Cold start plus first invoke (issue #16: create at most 4 ms).
    pub from_cold: Option<Duration>,
}

/// Every Rust function at least this many times faster than its Node.js peer from cold (cold
/// start plus first invoke), issue #16.
pub const NODE_RATIO_TARGET: f64 = 25.0;

pub struct Trigger {
    pub binary: &'static str,
    /// Its logical id in template.yaml, the folder `sam build` puts it in.
    pub logical_id: &'static str,
    pub event: &'static str,
    /// The peers' module: `bench/node/<module>.mjs`, `bench/baseline/<module>.py`.
    pub module: &'static str,
    pub sends_sms: bool,
    /// Started with `SEND_LIMIT_TABLE` set (as template.yaml deploys it), so it makes its calls
    /// to the per-number limit's table on the local endpoint. Every function gets
    /// `AWS_ENDPOINT_URL`; any DynamoDB operation there succeeds (see [`fake_aws`]), and the calls
    /// an invoke makes are counted, checked to be the same every invoke, and added to its warm
    /// budget as round trips. A trigger that starts using the table needs only this set.
    pub send_limit: bool,
    pub budget: Budget,
    pub check: fn(&Value) -> Result<(), String>,
}

/// Budgets in MB are decimal megabytes, the stricter reading.
pub const MB: u64 = 1_000_000;

pub const SMALL: Budget = Budget {
    cold_start: Duration::from_millis(3),
    warm: Duration::from_micros(300),
    peak_rss: 5 * MB,
    size: 1_600_000,
    from_cold: None,
};

/// The budgets of a trigger that links the AWS SDK (create, and verify since the lock across
/// sign-ins): the SPEC's create budgets; warm is 1 ms plus its local round trips.
pub const WITH_SDK: Budget = Budget {
    cold_start: Duration::from_millis(8),
    warm: Duration::from_millis(1),
    peak_rss: 10 * MB,
    size: 5 * MB,
    from_cold: None,
};

/// Indexes into [`TRIGGERS`] (pre-sign-up is 0).
pub const DEFINE: usize = 1;
pub const CREATE: usize = 2;
pub const VERIFY: usize = 3;

pub const TRIGGERS: [Trigger; 4] = [
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
pub struct Step {
    pub trigger: usize,
    pub name: &'static str,
    pub event: &'static str,
    pub check: fn(&Value) -> Result<(), String>,
}

/// A whole sign-in where every function is cold: `InitiateAuth` (define, create),
/// `RespondToAuthChallenge` with the right code (verify, define).
pub const SIGN_IN: [Step; 4] = [
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

pub fn expect(v: &Value, pointer: &str, want: &Value) -> Result<(), String> {
    match v.pointer(pointer) {
        Some(got) if got == want => Ok(()),
        got => Err(format!("{pointer} is {got:?}, expected {want}")),
    }
}

pub fn check_code(v: &Value) -> Result<(), String> {
    match v.pointer("/response/privateChallengeParameters/code") {
        Some(Value::String(code)) if code.len() == 6 => Ok(()),
        other => Err(format!("create drew no code: {other:?}")),
    }
}

pub struct Options {
    pub build_dir: PathBuf,
    pub python: PathBuf,
    pub node: PathBuf,
    pub node_runtime: Option<NodeRuntime>,
    pub starts: usize,
    pub peer_starts: usize,
    pub warm: usize,
    pub only: Option<String>,
    /// Whether the triggers that use the per-number table are started with `SEND_LIMIT_TABLE`
    /// (`--table on`, the default, as template.yaml deploys them). `--table off` measures their
    /// floor: create then makes its SNS call alone (no per-number limit, lock, breaker or retry
    /// guard), verify no call at all. Only a whole run with the table writes docs/.
    pub table: bool,
    /// Where a whole run writes benchmark.md and benchmark.json; `None`: nowhere.
    pub docs: Option<PathBuf>,
}

pub fn options() -> Result<Options, String> {
    let mut o = Options {
        build_dir: ".aws-sam/build-local".into(),
        python: ".venv/bench/bin/python".into(),
        node: "node".into(),
        node_runtime: None,
        starts: 50,
        peer_starts: 20,
        warm: 2000,
        only: None,
        table: true,
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
            "--table" => {
                o.table = match value.as_str() {
                    "on" => true,
                    "off" => false,
                    _ => return Err("--table takes on or off".into()),
                }
            }
            "--docs" => o.docs = (value != "none").then(|| value.clone().into()),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(o)
}
impl Options {
    /// The starts each start round gives `lang`: Rust's, or the peers'.
    pub fn starts_of(&self, lang: Lang) -> usize {
        if lang == Lang::Rust { self.starts } else { self.peer_starts }
    }
}
