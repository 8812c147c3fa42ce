//! Create auth challenge: work out the round (new code or the same one), send the SMS when a new
//! code was drawn, and tell the client what it may know.
//!
//! The decisions are pure and live with the state machine: the round in
//! [`challenge::next_round`], who gets its code and why it is withheld in
//! [`challenge::delivery`], what the client sees in [`challenge::PublicView`]. This file does the
//! I/O around them: it asks the stores, sends the SMS (or waits as long as a send would), and
//! counts the send for the pumping breaker.
//!
//! Unknown users, numbers from countries no longer allowed, numbers past their per-number SMS
//! limit ([`crate::send_limit`]), locked numbers ([`crate::lockout`]) and numbers whose
//! destination prefix is paused or over its budget ([`crate::pumping`]) get a *withheld* round:
//! the same state machine, the same public parameters, no SMS, a wait about as long as a real
//! send, and a code that is never delivered and so can never win ([`challenge::answer_is_correct`]).
//! The answers do not tell an attacker whether a number is registered, limited or locked. The
//! limit and the lock are checked for every round that would send to a well-formed number,
//! registered or not, for the same reason.
//!
//! A known user whose `phone_number` is missing, malformed or not verified gets a clear error:
//! the account cannot sign in by SMS until an administrator sets a proven number (a signed-in
//! user cannot change it: see the app client's `WriteAttributes` in `template.yaml`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_lambda_events::event::cognito::CognitoEventUserPoolsCreateAuthChallenge as CreateEvent;

use super::{CUSTOM_CHALLENGE, TriggerError, only_our_client, parse_session, private, proven_phone_number, public};
use crate::challenge::delivery::{Checks, NoProvenNumber, Recipient, WithheldReason};
use crate::challenge::{self, Action, Answerable, Limits, PublicView};
use crate::code::{CodeSource, SystemRandom};
use crate::config::Config;
use crate::lockout::{AnswerLedger, NoLockout};
use crate::message;
use crate::metrics::{Metric, Metrics};
use crate::phone::PhoneNumber;
use crate::pumping::{NoBreaker, Prefix, PrefixLedger, PrefixState, WindowCounts};
use crate::send_limit::{LimitError, NoLimit, Reservation, SendLimiter};
use crate::sms::SmsSender;

/// Everything create needs across calls: built once at start-up.
pub struct CreateContext<S, L = NoLimit, A = NoLockout, P = NoBreaker, R = SystemRandom> {
    pub config: Config,
    pub sender: S,
    /// SMS per number across sign-ins; [`NoLimit`] unless [`CreateContext::with_send_limit`].
    pub limiter: L,
    /// Wrong answers per number across sign-ins; [`NoLockout`] unless
    /// [`CreateContext::with_lockout`]. Create only asks whether a number is locked.
    pub ledger: A,
    /// Sends and correct answers per destination prefix; [`NoBreaker`] unless
    /// [`CreateContext::with_breaker`].
    pub prefixes: P,
    /// Where new codes come from: the operating system's CSPRNG unless
    /// [`CreateContext::with_codes`].
    pub codes: R,
    decoy_delay: DecoyDelay,
}

impl<S: SmsSender> CreateContext<S> {
    pub fn new(config: Config, sender: S) -> Self {
        Self::with_decoy_delay(config, sender, DecoyDelay::INITIAL)
    }

    /// For tests: withheld rounds wait `initial` until a real send has been timed.
    pub fn with_decoy_delay(config: Config, sender: S, initial: Duration) -> Self {
        let decoy_delay = DecoyDelay::new(initial);
        Self {
            config,
            sender,
            limiter: NoLimit,
            ledger: NoLockout,
            prefixes: NoBreaker,
            codes: SystemRandom,
            decoy_delay,
        }
    }
}

impl<S: SmsSender, L: SendLimiter, A: AnswerLedger, P: PrefixLedger, R: CodeSource> CreateContext<S, L, A, P, R> {
    /// The same context, counting every send against `limiter` first.
    pub fn with_send_limit<M: SendLimiter>(self, limiter: M) -> CreateContext<S, M, A, P, R> {
        let Self { config, sender, ledger, prefixes, codes, decoy_delay, .. } = self;
        CreateContext { config, sender, limiter, ledger, prefixes, codes, decoy_delay }
    }

    /// The same context, sending nothing to a number `ledger` says is locked.
    pub fn with_lockout<B: AnswerLedger>(self, ledger: B) -> CreateContext<S, L, B, P, R> {
        let Self { config, sender, limiter, prefixes, codes, decoy_delay, .. } = self;
        CreateContext { config, sender, limiter, ledger, prefixes, codes, decoy_delay }
    }

    /// The same context, counting sends per destination prefix in `prefixes` and sending
    /// nothing to a paused prefix (or one over its budget).
    pub fn with_breaker<Q: PrefixLedger>(self, prefixes: Q) -> CreateContext<S, L, A, Q, R> {
        let Self { config, sender, limiter, ledger, codes, decoy_delay, .. } = self;
        CreateContext { config, sender, limiter, ledger, prefixes, codes, decoy_delay }
    }

    /// The same context, drawing new codes from `codes`.
    pub fn with_codes<Q: CodeSource>(self, codes: Q) -> CreateContext<S, L, A, P, Q> {
        let Self { config, sender, limiter, ledger, prefixes, decoy_delay, .. } = self;
        CreateContext { config, sender, limiter, ledger, prefixes, codes, decoy_delay }
    }
}

pub async fn handle<S: SmsSender, L: SendLimiter, A: AnswerLedger, P: PrefixLedger, R: CodeSource>(
    mut event: CreateEvent,
    ctx: &CreateContext<S, L, A, P, R>,
    now: u64,
    metrics: &mut Metrics,
) -> Result<CreateEvent, TriggerError> {
    let config = &ctx.config;
    only_our_client(config, event.cognito_event_user_pools_header.caller_context.client_id.as_deref())?;
    let limits = Limits::from(config);
    let request = &event.request;
    if request.challenge_name.as_deref() != Some(CUSTOM_CHALLENGE) {
        return Err(TriggerError::WrongChallengeName);
    }
    let rounds = parse_session(&request.session)?;
    let action = Action::from_client_metadata(&request.client_metadata)?;
    let typed = event.cognito_event_user_pools_header.user_name.as_deref().unwrap_or_default();
    let proven = proven_phone_number(&request.user_attributes);
    let mut recipient = Recipient::of(request.user_not_found, typed, proven, config)
        .map_err(|NoProvenNumber| TriggerError::NoUsablePhoneNumber)?;
    if let Some(why) = recipient.withheld_for() {
        metrics.count(why.metric());
    }
    if action == Action::Resend {
        metrics.count(Metric::ResendRequested);
    }

    let draw = || match recipient.fixed_code() {
        Some(code) => Ok(code.clone()),
        None => ctx.codes.draw(config.otp_length).map_err(|_| TriggerError::Random),
    };
    let mut next = challenge::next_round(rounds.last().map(|r| &r.state), action, now, &limits, draw)?;

    if next.send {
        let prefix = recipient.sms_prefix().filter(|_| config.breaker.is_on());
        let mut window = None;
        if let Some(number) = recipient.number() {
            let (checks, prefix_window) = ask_the_stores(ctx, number, &recipient, prefix.as_ref(), now)
                .await
                .inspect_err(|error| {
                    tracing::error!(phone = %number, round = rounds.len(), %error, "per-number limits not checked; no SMS sent");
                })?;
            window = Some(prefix_window);
            if let Some(why) = checks.refusal() {
                metrics.count(why.metric());
                if let (Some(prefix), WithheldReason::PrefixPaused | WithheldReason::PrefixOverBudget) = (&prefix, why)
                {
                    tracing::warn!(%prefix, reason = ?checks.admission, "SMS withheld: the destination prefix is paused or over its budget");
                }
                recipient = recipient.withhold(why);
            }
        }
        match &recipient {
            Recipient::Real(phone) => {
                let attributes = &event.request.user_attributes;
                let text = message::render(
                    config.sms.templates.for_locale(attributes.get("locale").map(String::as_str)),
                    &config.sms.app_name,
                    &next.state.code,
                    config.otp_ttl_seconds,
                    config.sms.webotp_domain.as_deref(),
                );
                // tokio's clock (the system's in production), so a test's paused clock times the
                // send too and the decoy delay it learns does not depend on the machine's speed.
                let started = tokio::time::Instant::now();
                ctx.sender.send(phone, &text).await.inspect_err(|error| {
                    metrics.count(Metric::SmsFailed);
                    tracing::error!(phone = %phone, round = rounds.len(), %error, "SMS not sent");
                })?;
                metrics.count(Metric::SmsSent);
                ctx.decoy_delay.observe(started.elapsed());
                next.mark_delivered();
                if let (Some(prefix), Some(window)) = (&prefix, window) {
                    count_send(ctx, prefix, window, now, metrics).await;
                }
            }
            // The tester holds the fixed code.
            Recipient::Test(..) => next.mark_delivered(),
            Recipient::Withheld { .. } => tokio::time::sleep(ctx.decoy_delay.current()).await,
        }
    }

    let view = PublicView::of(&next.state, now, &limits);
    let masked = recipient.masked();
    tracing::info!(
        phone = %masked,
        round = rounds.len(),
        delivery = recipient.kind(),
        sent = next.send,
        delivered = next.state.delivered,
        resend = action == Action::Resend,
        sends = next.state.sends,
        attempts_left = view.attempts_left,
        "challenge created"
    );

    let answerable = Answerable::of(&next.state, &limits);
    let response = &mut event.response;
    response.public_challenge_parameters = [
        (public::MASKED_PHONE_NUMBER, masked),
        (public::CODE_LENGTH, view.code_length.to_string()),
        (public::EXPIRES_IN_SECONDS, view.expires_in.to_string()),
        (public::ATTEMPTS_LEFT, view.attempts_left.to_string()),
        (public::RESEND_IN_SECONDS, view.resend_in.to_string()),
        (public::SENDS_LEFT, view.sends_left.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    response.private_challenge_parameters = private::encode(&answerable);
    response.challenge_metadata = Some(next.state.encode());
    Ok(event)
}

/// Asks the stores about a send to `number`, every question at once (one round trip, not
/// three): is it locked, does the per-number limit give the send a slot (test numbers take
/// none), and does its destination `prefix` (if the breaker judges it) take more SMS. Returns
/// the answers and the prefix's window counts before this send.
async fn ask_the_stores<S, L: SendLimiter, A: AnswerLedger, P: PrefixLedger, R>(
    ctx: &CreateContext<S, L, A, P, R>,
    number: &PhoneNumber,
    recipient: &Recipient,
    prefix: Option<&Prefix>,
    now: u64,
) -> Result<(Checks, WindowCounts), LimitError> {
    let (lock, reservation, prefix_state) = tokio::join!(
        ctx.ledger.lock_state(number, now),
        async {
            if recipient.takes_send_slot() { ctx.limiter.reserve(number, now).await } else { Ok(Reservation::Granted) }
        },
        async {
            match prefix {
                Some(prefix) => ctx.prefixes.state(prefix, now).await,
                None => Ok(PrefixState::default()),
            }
        },
    );
    let (lock, reservation, prefix_state) = (lock?, reservation?, prefix_state?);
    let admission = ctx.config.breaker.admits(&prefix_state, now);
    Ok((Checks { lock, reservation, admission }, prefix_state.window))
}

/// Counts an SMS that went out to `prefix` and trips the breaker if the prefix's window, this
/// send included, shows many codes and few answered. The code has gone out by now, so a failure
/// to count is logged, not handed to the client.
async fn count_send<S, L, A, P: PrefixLedger, R>(
    ctx: &CreateContext<S, L, A, P, R>,
    prefix: &Prefix,
    before: WindowCounts,
    now: u64,
    metrics: &mut Metrics,
) {
    let policy = &ctx.config.breaker;
    if let Err(error) = ctx.prefixes.record_send(prefix, now).await {
        tracing::error!(%prefix, %error, "SMS to the prefix not counted");
        return;
    }
    let window = WindowCounts { sends: before.sends + 1, ..before };
    if !policy.trips(&window) {
        return;
    }
    match ctx.prefixes.pause(prefix, now, now.saturating_add(policy.pause_seconds)).await {
        Ok(true) => {
            metrics.count(Metric::PrefixPaused);
            tracing::warn!(
                %prefix,
                sends = window.sends,
                correct = window.correct,
                pause_seconds = policy.pause_seconds,
                "SMS pumping breaker tripped: many codes to this prefix, few answered; sends to it paused"
            );
        }
        Ok(false) => {}
        Err(error) => tracing::error!(%prefix, %error, "SMS pumping breaker tripped but the pause was not stored"),
    }
}

/// How long a withheld round waits: a running average of real SNS sends in this process, so an
/// unknown number takes about as long to answer as a registered one.
struct DecoyDelay {
    micros: AtomicU64,
}

impl DecoyDelay {
    /// Until a real send has been timed: a typical SNS `Publish` from inside AWS.
    const INITIAL: Duration = Duration::from_millis(100);
    /// A send slower than this (a retry, a cold connection) says little about the next one.
    const CAP: Duration = Duration::from_millis(1000);

    fn new(initial: Duration) -> Self {
        Self { micros: AtomicU64::new(initial.as_micros() as u64) }
    }

    fn current(&self) -> Duration {
        Duration::from_micros(self.micros.load(Ordering::Relaxed))
    }

    /// Moves the average an eighth of the way towards `elapsed`.
    fn observe(&self, elapsed: Duration) {
        let sample = elapsed.min(Self::CAP).as_micros() as u64;
        let old = self.micros.load(Ordering::Relaxed);
        let new = old - old / 8 + sample / 8;
        self.micros.store(new, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoy_delay_follows_real_sends() {
        let delay = DecoyDelay::new(Duration::from_millis(100));
        for _ in 0..100 {
            delay.observe(Duration::from_millis(20));
        }
        let now = delay.current();
        assert!(now >= Duration::from_millis(19) && now <= Duration::from_millis(21), "{now:?}");
        for _ in 0..100 {
            delay.observe(Duration::from_secs(30));
        }
        assert!(delay.current() <= DecoyDelay::CAP);
    }
}

#[cfg(test)]
mod decoy_tests {
    use super::*;
    use crate::testkit::events;
    use crate::testkit::sms::RecordingSender;

    fn json_event(user_not_found: bool) -> serde_json::Value {
        if user_not_found { events::create_for_unknown("+15555550100") } else { events::create_for("+15555550100") }
    }

    fn event(user_not_found: bool) -> CreateEvent {
        serde_json::from_value(json_event(user_not_found)).expect("a create event")
    }

    #[tokio::test(start_paused = true)]
    async fn unknown_users_wait_as_long_as_a_send_and_get_no_sms() {
        let ctx = CreateContext::with_decoy_delay(Config::default(), RecordingSender::new(), Duration::from_millis(80));
        let started = tokio::time::Instant::now();
        let out = handle(event(true), &ctx, 1_763_700_000, &mut Metrics::default()).await.expect("a decoy round");
        assert_eq!(started.elapsed(), Duration::from_millis(80));
        assert!(ctx.sender.sent().is_empty());
        let known = handle(event(false), &ctx, 1_763_700_000, &mut Metrics::default()).await.expect("a real round");
        assert_eq!(ctx.sender.sent().len(), 1);
        // Same parameter names, same shapes.
        let keys = |e: &CreateEvent| {
            let mut k: Vec<_> = e.response.public_challenge_parameters.keys().cloned().collect();
            k.sort();
            k
        };
        assert_eq!(keys(&out), keys(&known));
        assert_eq!(out.response.public_challenge_parameters["maskedPhoneNumber"], "+1******0100");
    }

    #[tokio::test(start_paused = true)]
    async fn past_the_limit_a_round_looks_the_same_and_sends_nothing() {
        use crate::send_limit::PerNumberLimits;
        use crate::testkit::send_limit::InMemoryLimiter;

        let limiter = InMemoryLimiter::new(PerNumberLimits { per_hour: 1, per_day: 1 });
        let ctx = CreateContext::with_decoy_delay(Config::default(), RecordingSender::new(), Duration::from_millis(80))
            .with_send_limit(limiter);
        let now = 1_763_700_000;
        let first = handle(event(false), &ctx, now, &mut Metrics::default()).await.expect("a real round");
        assert!(first.response.challenge_metadata.as_deref().is_some_and(|m| m.ends_with(":1")), "delivered");
        assert_eq!(ctx.sender.sent().len(), 1);

        let typical_send = ctx.decoy_delay.current();
        let started = tokio::time::Instant::now();
        let mut metrics = Metrics::default();
        let limited = handle(event(false), &ctx, now, &mut metrics).await.expect("a withheld round");
        assert_eq!(ctx.sender.sent().len(), 1, "no second SMS");
        assert_eq!(started.elapsed(), typical_send, "waits as long as a send");
        assert_eq!(metrics.get(Metric::SendRefusedByLimit), 1);
        assert_eq!(limited.response.public_challenge_parameters, first.response.public_challenge_parameters);
        // ...and its own code can never win it.
        assert_eq!(limited.response.private_challenge_parameters["delivered"], "false");
        assert!(limited.response.challenge_metadata.as_deref().is_some_and(|m| m.ends_with(":0")));

        // Unknown numbers count too, so the limit does not tell them apart from users.
        let phone = PhoneNumber::parse("+15555550100").expect("a number");
        assert_eq!(ctx.limiter.sends_on_day(&phone, now), 1);
        let mut metrics = Metrics::default();
        handle(event(true), &ctx, now, &mut metrics).await.expect("a decoy round");
        assert_eq!(metrics.get(Metric::SendRefusedByLimit), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn codes_come_from_the_context_and_no_randomness_sends_nothing() {
        use crate::testkit::codes::{CountingCodes, NoRandomness};

        let ctx = CreateContext::with_decoy_delay(Config::default(), RecordingSender::new(), Duration::ZERO)
            .with_codes(CountingCodes::new());
        let round = handle(event(false), &ctx, 1_763_700_000, &mut Metrics::default()).await.expect("a round");
        let first = CountingCodes::nth(1, Config::default().otp_length);
        assert_eq!(round.response.private_challenge_parameters["code"], first);
        assert!(ctx.sender.sent()[0].text.contains(&first), "the SMS carries the drawn code");

        let broken = CreateContext::with_decoy_delay(Config::default(), RecordingSender::new(), Duration::ZERO)
            .with_codes(NoRandomness);
        for unknown in [false, true] {
            let refused = handle(event(unknown), &broken, 1_763_700_000, &mut Metrics::default()).await;
            assert!(matches!(refused, Err(TriggerError::Random)), "{refused:?}");
        }
        assert!(broken.sender.sent().is_empty(), "no code, no SMS");
    }

    /// The one rule, reason by reason: a round whose code did not go out is won by no answer,
    /// not even its own code, and sends nothing.
    #[tokio::test(start_paused = true)]
    async fn every_reason_to_withhold_a_code_makes_a_round_no_answer_wins() {
        use crate::send_limit::PerNumberLimits;
        use crate::testkit::lockout::InMemoryLockout;
        use crate::testkit::send_limit::InMemoryLimiter;
        use crate::triggers::verify;

        let now = 1_763_700_000;
        let phone = PhoneNumber::parse("+15555550100").expect("a number");
        let only_us = Config::from_lookup(|v| (v == "ALLOWED_COUNTRY_CODES").then(|| "44".to_owned())).expect("valid");
        let locked = InMemoryLockout::new(Config::default().lockout);
        locked.lock_until(&phone, now + 60);
        let cases: [(&str, bool, Config, PerNumberLimits, InMemoryLockout); 4] = [
            (
                "unknown user",
                true,
                Config::default(),
                PerNumberLimits { per_hour: 5, per_day: 10 },
                InMemoryLockout::new(Config::default().lockout),
            ),
            (
                "country not allowed",
                false,
                only_us,
                PerNumberLimits { per_hour: 5, per_day: 10 },
                InMemoryLockout::new(Config::default().lockout),
            ),
            (
                "per-number limit",
                false,
                Config::default(),
                PerNumberLimits { per_hour: 0, per_day: 0 },
                InMemoryLockout::new(Config::default().lockout),
            ),
            ("locked number", false, Config::default(), PerNumberLimits { per_hour: 5, per_day: 10 }, locked),
        ];
        for (why, unknown, config, limits, ledger) in cases {
            let ctx = CreateContext::with_decoy_delay(config, RecordingSender::new(), Duration::ZERO)
                .with_send_limit(InMemoryLimiter::new(limits))
                .with_lockout(ledger);
            let round = handle(event(unknown), &ctx, now, &mut Metrics::default()).await.expect("a round");
            assert!(ctx.sender.sent().is_empty(), "{why}: an SMS went out");
            let private = &round.response.private_challenge_parameters;
            assert_eq!(private["delivered"], "false", "{why}");
            let code = private["code"].clone();
            let request = json_event(unknown)["request"].take();
            let response = serde_json::to_value(&round).expect("serializes")["response"].take();
            let mut answer: aws_lambda_events::event::cognito::CognitoEventUserPoolsVerifyAuthChallenge =
                serde_json::from_value(events::answer_to("+15555550100", &request, &response, &code))
                    .expect("a verify event");
            // Even with the lock lifted and the limit gone by the time the answer comes.
            let open = InMemoryLockout::new(Config::default().lockout);
            answer = verify::handle(answer, &ctx.config, &open, &NoBreaker, now + 1, &mut Metrics::default())
                .await
                .expect("answered");
            assert!(!answer.response.answer_correct, "{why}: the round was won by its own code");
        }
    }
}
