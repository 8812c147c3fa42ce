//! Whole sign-up and sign-in flows through the four handlers, as Cognito would drive them, for
//! the tests that look at what a run leaves behind (its logs, its metrics).

use std::cell::RefCell;

use serde_json::{Value, json};
use sms_otp_core::Config;
use sms_otp_core::lockout::{AnswerLedger, NoLockout};
use sms_otp_core::metrics::Metrics;
use sms_otp_core::pumping::{NoBreaker, PrefixLedger};
use sms_otp_core::send_limit::SendLimiter;
use sms_otp_core::sms::testing::RecordingSender;
use sms_otp_core::triggers::create::CreateContext;
use sms_otp_core::triggers::{create, define, pre_sign_up, verify};

pub const NOW: u64 = 1_763_700_000;
pub const USER_POOL_ID: &str = "us-east-1_EXAMPLE";

fn header(trigger: &str, user: &str) -> Value {
    json!({
        "version": "1", "region": "us-east-1", "userPoolId": USER_POOL_ID, "userName": user,
        "callerContext": {"awsSdkVersion": "aws-sdk-rust", "clientId": "client"}, "triggerSource": trigger
    })
}

fn with(mut base: Value, request: Value, response: Value) -> Value {
    base["request"] = request;
    base["response"] = response;
    base
}

/// The Cognito session after the rounds so far: (metadata, verify's result).
fn session(rounds: &[(String, bool)]) -> Value {
    rounds
        .iter()
        .map(
            |(meta, ok)| json!({"challengeName": "CUSTOM_CHALLENGE", "challengeResult": ok, "challengeMetadata": meta}),
        )
        .collect()
}

fn attributes(phone: Option<&str>) -> Value {
    match phone {
        Some(p) => json!({"sub": "sub-1", "phone_number": p, "phone_number_verified": "true"}),
        None => json!({}),
    }
}

/// The deployment under test: create's context, and the metric lines every invocation wrote.
pub struct Deployment<L, A = NoLockout, P = NoBreaker> {
    /// Create's context; verify counts answers in its `ledger` too.
    pub ctx: CreateContext<RecordingSender, L, A, P>,
    /// One CloudWatch embedded-metric line per invocation that counted something.
    pub metric_lines: RefCell<Vec<String>>,
    runtime: tokio::runtime::Runtime,
}

impl<L: SendLimiter, A: AnswerLedger, P: PrefixLedger> Deployment<L, A, P> {
    pub fn new(ctx: CreateContext<RecordingSender, L, A, P>) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a runtime");
        Self { ctx, metric_lines: RefCell::default(), runtime }
    }

    pub fn config(&self) -> &Config {
        &self.ctx.config
    }

    /// What the binaries do after each invocation (`lambda::emit_metrics`), into a list.
    fn record(&self, metrics: &Metrics) {
        let ms = NOW * 1000;
        if let Some(line) = metrics.to_emf(&self.config().metrics_namespace, USER_POOL_ID, ms) {
            self.metric_lines.borrow_mut().push(line);
        }
    }

    /// Pre-sign-up for `phone` (None: no phone_number attribute).
    pub fn sign_up(&self, phone: Option<&str>) -> Result<(), String> {
        let event = with(
            header("PreSignUp_SignUp", "sub-1"),
            json!({"userAttributes": attributes(phone), "validationData": null}),
            json!({"autoConfirmUser": false, "autoVerifyPhone": false, "autoVerifyEmail": false}),
        );
        let mut metrics = Metrics::default();
        let out =
            pre_sign_up::handle(serde_json::from_value(event).expect("pre-sign-up event"), self.config(), &mut metrics);
        self.record(&metrics);
        out.map(drop).map_err(|e| e.to_string())
    }

    /// A new sign-in for `phone`; `known` says whether the pool has that user.
    pub fn sign_in<'a>(&'a self, phone: &'a str, known: bool) -> Flow<'a, L, A, P> {
        Flow { deployment: self, phone, known, rounds: Vec::new(), codes: Vec::new() }
    }
}

/// One sign-in under way.
pub struct Flow<'a, L, A, P> {
    deployment: &'a Deployment<L, A, P>,
    phone: &'a str,
    known: bool,
    rounds: Vec<(String, bool)>,
    /// Every code this sign-in was given.
    pub codes: Vec<String>,
}

impl<L: SendLimiter, A: AnswerLedger, P: PrefixLedger> Flow<'_, L, A, P> {
    fn attrs(&self) -> Value {
        attributes(self.known.then_some(self.phone))
    }

    fn user(&self) -> &str {
        if self.known { "sub-1" } else { self.phone }
    }

    /// Define, after the rounds so far; returns its response.
    pub fn define(&self, action: Option<&str>) -> Value {
        let mut request =
            json!({"userAttributes": self.attrs(), "session": session(&self.rounds), "userNotFound": !self.known});
        if let Some(a) = action {
            request["clientMetadata"] = json!({"action": a});
        }
        let event = with(header("DefineAuthChallenge_Authentication", self.user()), request, json!({}));
        let mut metrics = Metrics::default();
        let out = define::handle(
            serde_json::from_value(event).expect("define event"),
            self.deployment.config(),
            &mut metrics,
        );
        self.deployment.record(&metrics);
        serde_json::to_value(out.expect("define answers")).expect("serializes")["response"].clone()
    }

    /// Create, then verify `answer` (None: the code just created). Returns whether it was right.
    pub fn round(&mut self, action: Option<&str>, answer: Option<&str>, now: u64) -> Result<bool, String> {
        let d = self.deployment;
        let mut request = json!({"userAttributes": self.attrs(), "challengeName": "CUSTOM_CHALLENGE",
            "session": session(&self.rounds), "userNotFound": !self.known});
        if let Some(a) = action {
            request["clientMetadata"] = json!({"action": a});
        }
        let event = with(header("CreateAuthChallenge_Authentication", self.user()), request, json!({}));
        let mut metrics = Metrics::default();
        let created = d.runtime.block_on(create::handle(
            serde_json::from_value(event).expect("create event"),
            &d.ctx,
            now,
            &mut metrics,
        ));
        d.record(&metrics);
        let created = created.map_err(|e| e.to_string())?;
        let code = created.response.private_challenge_parameters["code"].clone();
        self.codes.push(code.clone());
        let meta = created.response.challenge_metadata.clone().unwrap_or_default();

        let mut request = json!({"userAttributes": self.attrs(),
            "privateChallengeParameters": created.response.private_challenge_parameters,
            "challengeAnswer": answer.unwrap_or(&code), "userNotFound": !self.known});
        if let Some(a) = action {
            request["clientMetadata"] = json!({"action": a});
        }
        let event = with(header("VerifyAuthChallengeResponse_Authentication", self.user()), request, json!({}));
        let mut metrics = Metrics::default();
        let verified = d.runtime.block_on(verify::handle(
            serde_json::from_value(event).expect("verify event"),
            d.config(),
            &d.ctx.ledger,
            &d.ctx.prefixes,
            now,
            &mut metrics,
        ));
        d.record(&metrics);
        let verified = verified.map_err(|e| e.to_string())?;
        self.rounds.push((meta, verified.response.answer_correct));
        Ok(verified.response.answer_correct)
    }
}
