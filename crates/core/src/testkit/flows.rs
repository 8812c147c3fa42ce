//! Whole sign-ups and sign-ins through the four handlers, as Cognito drives them, for the tests
//! that look at what a run leaves behind (its logs, its metrics): [`Deployment`] holds create's
//! context and the metric lines, [`Flow`] one sign-in under way.

use std::cell::RefCell;

use serde_json::{Value, json};

use super::events::{self, USER_POOL_ID, attributes, session};
use super::sms::RecordingSender;
use super::{NOW, block_on};
use crate::Config;
use crate::code::CodeSource;
use crate::invocation::Invocation;
use crate::lockout::{AnswerLedger, NoLockout};
use crate::metrics::Metrics;
use crate::pumping::{NoBreaker, PumpingLedger};
use crate::send_limit::SendLimiter;
use crate::triggers::create::CreateContext;
use crate::triggers::{create, define, pre_sign_up, verify};

/// The deployment under test: create's context, and the metric lines every invocation wrote.
pub struct Deployment<L, A = NoLockout, P = NoBreaker, R = crate::code::SystemRandom> {
    /// Create's context; verify counts answers in its `ledger` too.
    pub ctx: CreateContext<RecordingSender, L, A, P, R>,
    /// One CloudWatch embedded-metric line per invocation that counted something.
    pub metric_lines: RefCell<Vec<String>>,
}

impl<L: SendLimiter, A: AnswerLedger, P: PumpingLedger, R: CodeSource> Deployment<L, A, P, R> {
    pub fn new(ctx: CreateContext<RecordingSender, L, A, P, R>) -> Self {
        Self { ctx, metric_lines: RefCell::default() }
    }

    pub fn config(&self) -> &Config {
        &self.ctx.config
    }

    /// What the binaries do after each invocation ([`crate::lambda::emit_metrics`]), into a list.
    fn record(&self, metrics: &Metrics) {
        let ms = NOW * 1000;
        if let Some(line) = metrics.to_emf(&self.config().metrics_namespace, USER_POOL_ID, ms) {
            self.metric_lines.borrow_mut().push(line);
        }
    }

    /// Pre-sign-up for `phone` (None: no phone_number attribute).
    pub fn sign_up(&self, phone: Option<&str>) -> Result<(), String> {
        let mut event = events::event(
            events::PRE_SIGN_UP,
            "sub-1",
            // What a client's SignUp carries: the number, nothing else.
            json!({"userAttributes": phone.map_or(json!({}), |p| json!({"phone_number": p})), "validationData": null}),
        );
        event["response"] = json!({"autoConfirmUser": false, "autoVerifyPhone": false, "autoVerifyEmail": false});
        let mut metrics = Metrics::default();
        let out =
            pre_sign_up::handle(serde_json::from_value(event).expect("pre-sign-up event"), self.config(), &mut metrics);
        self.record(&metrics);
        out.map(drop).map_err(|e| e.to_string())
    }

    /// A new sign-in for `phone`; `known` says whether the pool has that user.
    pub fn sign_in<'a>(&'a self, phone: &'a str, known: bool) -> Flow<'a, L, A, P, R> {
        Flow { deployment: self, phone, known, rounds: Vec::new(), codes: Vec::new() }
    }
}

/// One sign-in under way.
pub struct Flow<'a, L, A, P, R> {
    deployment: &'a Deployment<L, A, P, R>,
    phone: &'a str,
    known: bool,
    rounds: Vec<(String, bool)>,
    /// Every code this sign-in was given.
    pub codes: Vec<String>,
}

impl<L: SendLimiter, A: AnswerLedger, P: PumpingLedger, R: CodeSource> Flow<'_, L, A, P, R> {
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
        let event = events::event(events::DEFINE, self.user(), request);
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
        let event = events::event(events::CREATE, self.user(), request);
        let mut metrics = Metrics::default();
        let created = block_on(create::handle(
            serde_json::from_value(event).expect("create event"),
            &d.ctx,
            &Invocation::at(now),
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
        let event = events::event(events::VERIFY, self.user(), request);
        let mut metrics = Metrics::default();
        let verified = block_on(verify::handle(
            serde_json::from_value(event).expect("verify event"),
            d.config(),
            &d.ctx.ledger,
            &d.ctx.pumping,
            &Invocation::at(now),
            &mut metrics,
        ));
        d.record(&metrics);
        let verified = verified.map_err(|e| e.to_string())?;
        self.rounds.push((meta, verified.response.answer_correct));
        Ok(verified.response.answer_correct)
    }
}
