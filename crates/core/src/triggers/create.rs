//! Create auth challenge: work out the round (new code or the same one), send the SMS when a new
//! code was drawn and nothing withholds it, and tell the client what it may know.
//!
//! The decisions are pure and live with the state machine: the round in
//! [`challenge::next_round`], who gets its code and why it is withheld in
//! [`challenge::delivery`], what the client sees in [`challenge::PublicView`]. This file does the
//! I/O around them, in steps, each only if the one before let the code through (so a withheld
//! round takes nothing a later step would: no SMS slot, no budget; and what steps 2 and 3 took
//! for a round that a later one withholds is given back), every call within the invocation's one
//! deadline ([`Invocation`]):
//!
//! 1. at once: the retry guard ([`SendLimiter::first_call`]: a second call for the same round,
//!    Cognito's retry, sends nothing and takes nothing), and one look at the number's records
//!    (lock, established, whether it has an SMS slot left) and, for a number the breaker may
//!    judge, its prefix's and region's ([`crate::first_look`]: one read of the table in
//!    production);
//! 2. the pool's ceiling and the prefix's budget, each one conditional write (if either refuses,
//!    the other is given back);
//! 3. the number's SMS slot, one conditional write (if it refuses, both budgets are given back);
//! 4. the SMS, and, for a never-signed-in number, its count per area (and a pause if the area
//!    trips), side by side; all of it done before the answer, since Lambda freezes the process
//!    once the handler returns.
//!
//! Unknown users, numbers from countries no longer allowed, numbers past their per-number SMS
//! limit ([`crate::send_limit`]), locked numbers ([`crate::lockout`]) and numbers whose area is
//! paused or over a budget ([`crate::pumping`]) get a *withheld* round: the same state machine, the
//! same public parameters, no SMS, a wait about as long as the steps and the send a real round
//! goes through after step 1, and a code that is never delivered and so can never win
//! ([`challenge::answer_is_correct`]). Every round that would send makes step 1's calls, known
//! number or not, so the answers do not tell an attacker whether a number is registered, limited
//! or locked. While SNS has been refusing sends in this process ([`SNS_TROUBLE_SECONDS`]), a
//! withheld round answers with the same error a real send got.
//!
//! A known user whose `phone_number` is missing, malformed or not verified gets a clear error:
//! the account cannot sign in by SMS until an administrator sets a proven number (a signed-in
//! user cannot change it: see the app client's `WriteAttributes` in `template.yaml`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_lambda_events::event::cognito::CognitoEventUserPoolsCreateAuthChallenge as CreateEvent;
use tokio::time::Instant;

use super::{CUSTOM_CHALLENGE, TriggerError, only_our_client, parse_session, private, proven_phone_number, public};
use crate::challenge::delivery::{self, NoProvenNumber, Recipient, WithheldReason};
use crate::challenge::{self, Action, Answerable, Limits, PublicView};
use crate::code::{CodeSource, SystemRandom};
use crate::config::Config;
use crate::first_look::{Ask, FirstLook, Seen, Separately, Stores, Whose};
use crate::invocation::{self, Invocation};
use crate::lockout::{AnswerLedger, NoLockout};
use crate::message;
use crate::metrics::{Metric, Metrics};
use crate::pumping::{Area, AreaState, NoBreaker, PoolSlot, Prefix, PumpingLedger, WindowCounts};
use crate::send_limit::{NoLimit, Reservation, RoundKey, SendLimiter};
use crate::sms::{SendError, SmsSender};

/// How long after SNS refused a send (or did not answer) this process's withheld rounds answer
/// with the same error, so a failing SMS service does not tell registered numbers (an error)
/// from unknown ones (a normal round).
pub const SNS_TROUBLE_SECONDS: u64 = 60;

/// Everything create needs across calls: built once at start-up.
pub struct CreateContext<S, L = NoLimit, A = NoLockout, P = NoBreaker, R = SystemRandom, K = Separately> {
    pub config: Config,
    pub sender: S,
    /// SMS per number across sign-ins, and the retry guard; [`NoLimit`] unless
    /// [`CreateContext::with_send_limit`].
    pub limiter: L,
    /// Answers per number across sign-ins; [`NoLockout`] unless [`CreateContext::with_lockout`].
    /// Create only reads a number's record (its lock, whether it is established).
    pub ledger: A,
    /// The pumping defences' counts, pauses and budgets; [`NoBreaker`] unless
    /// [`CreateContext::with_breaker`].
    pub pumping: P,
    /// Where new codes and round nonces come from: the operating system's CSPRNG unless
    /// [`CreateContext::with_codes`].
    pub codes: R,
    /// How step 1 reads the three stores: [`Separately`] unless [`CreateContext::with_first_look`].
    pub look: K,
    decoy_delay: DecoyDelay,
    sns_trouble: SnsTrouble,
}

impl<S: SmsSender> CreateContext<S> {
    pub fn new(config: Config, sender: S) -> Self {
        Self::with_decoy_delay(config, sender, DecoyDelay::INITIAL)
    }

    /// For tests: withheld rounds wait `initial` until a real send has been timed.
    pub fn with_decoy_delay(config: Config, sender: S, initial: Duration) -> Self {
        Self {
            config,
            sender,
            limiter: NoLimit,
            ledger: NoLockout,
            pumping: NoBreaker,
            codes: SystemRandom,
            look: Separately,
            decoy_delay: DecoyDelay::new(initial),
            sns_trouble: SnsTrouble::default(),
        }
    }
}

impl<S: SmsSender, L: SendLimiter, A: AnswerLedger, P: PumpingLedger, R: CodeSource, K>
    CreateContext<S, L, A, P, R, K>
{
    /// The same context, counting every send against `limiter` first.
    pub fn with_send_limit<M: SendLimiter>(self, limiter: M) -> CreateContext<S, M, A, P, R, K> {
        let Self { config, sender, ledger, pumping, codes, look, decoy_delay, sns_trouble, .. } = self;
        CreateContext { config, sender, limiter, ledger, pumping, codes, look, decoy_delay, sns_trouble }
    }

    /// The same context, sending nothing to a number `ledger` says is locked.
    pub fn with_lockout<B: AnswerLedger>(self, ledger: B) -> CreateContext<S, L, B, P, R, K> {
        let Self { config, sender, limiter, pumping, codes, look, decoy_delay, sns_trouble, .. } = self;
        CreateContext { config, sender, limiter, ledger, pumping, codes, look, decoy_delay, sns_trouble }
    }

    /// The same context, with the pumping defences kept in `pumping`.
    pub fn with_breaker<Q: PumpingLedger>(self, pumping: Q) -> CreateContext<S, L, A, Q, R, K> {
        let Self { config, sender, limiter, ledger, codes, look, decoy_delay, sns_trouble, .. } = self;
        CreateContext { config, sender, limiter, ledger, pumping, codes, look, decoy_delay, sns_trouble }
    }

    /// The same context, drawing new codes and nonces from `codes`.
    pub fn with_codes<Q: CodeSource>(self, codes: Q) -> CreateContext<S, L, A, P, Q, K> {
        let Self { config, sender, limiter, ledger, pumping, look, decoy_delay, sns_trouble, .. } = self;
        CreateContext { config, sender, limiter, ledger, pumping, codes, look, decoy_delay, sns_trouble }
    }

    /// The same context, making step 1's reads with `look` (the stores' one read, in production).
    pub fn with_first_look<J: FirstLook<L, A, P>>(self, look: J) -> CreateContext<S, L, A, P, R, J> {
        let Self { config, sender, limiter, ledger, pumping, codes, decoy_delay, sns_trouble, .. } = self;
        CreateContext { config, sender, limiter, ledger, pumping, codes, look, decoy_delay, sns_trouble }
    }
}

pub async fn handle<
    S: SmsSender,
    L: SendLimiter,
    A: AnswerLedger,
    P: PumpingLedger,
    R: CodeSource,
    K: FirstLook<L, A, P>,
>(
    mut event: CreateEvent,
    ctx: &CreateContext<S, L, A, P, R, K>,
    at: &Invocation,
    metrics: &mut Metrics,
) -> Result<CreateEvent, TriggerError> {
    let config = &ctx.config;
    only_our_client(config, event.cognito_event_user_pools_header.caller_context.client_id.as_deref())?;
    let now = at.now;
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
    let previous = rounds.last().map(|r| &r.state);
    let mut next = challenge::next_round(previous, action, now, &limits, draw)?;
    let nonce = ctx.codes.nonce().map_err(|_| TriggerError::Random)?;

    if next.send {
        let key = round_key(typed, &event.request.session, action);
        let text = match &recipient {
            Recipient::Real(_) => Some(message::render(
                config.sms.templates.for_locale(event.request.user_attributes.get("locale").map(String::as_str)),
                &config.sms.app_name,
                &next.state.code,
                config.otp_ttl_seconds,
                config.sms.webotp_domain.as_deref(),
            )),
            _ => None,
        };
        let outcome =
            deliver(ctx, recipient, typed, &key, text.as_deref(), at, metrics).await.inspect_err(|error| {
                tracing::error!(round = rounds.len(), %error, "round not created; no SMS sent");
            })?;
        recipient = match outcome {
            Outcome::Delivered(recipient) => {
                next.mark_delivered();
                recipient
            }
            Outcome::Withheld(recipient) => recipient,
            Outcome::Retry(recipient) => {
                metrics.count(Metric::RetryNotResent);
                next.mark_unsent(previous);
                recipient
            }
        };
    }

    let view = PublicView::of(&next.state, now, &limits);
    let masked = recipient.masked();
    tracing::info!(
        phone = %masked,
        round = rounds.len(),
        delivery = recipient.kind(),
        sent = next.state.is_delivered() && next.send,
        code = ?next.state.delivery,
        resend = action == Action::Resend,
        sends = next.state.sends,
        attempts_left = view.attempts_left,
        "challenge created"
    );

    let answerable = Answerable::of(&next.state, &limits, nonce);
    let response = &mut event.response;
    response.public_challenge_parameters = [
        (public::MASKED_PHONE_NUMBER, masked),
        (public::CODE_LENGTH, view.code_length.to_string()),
        (public::EXPIRES_IN_SECONDS, view.expires_in.to_string()),
        (public::ATTEMPTS_LEFT, view.attempts_left.to_string()),
        (public::RESEND_IN_SECONDS, view.resend_in.to_string()),
        (public::SENDS_LEFT, view.sends_left.to_string()),
        (public::CODE_SENT, view.code_sent.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    response.private_challenge_parameters = private::encode(&answerable);
    response.challenge_metadata = Some(next.state.encode());
    Ok(event)
}

/// The round's key for the retry guard: what Cognito hands create for it, and hands again
/// when it retries: the user name, every earlier round (its metadata and verify's verdict) and
/// the action.
fn round_key(
    user_name: &str,
    session: &[Option<aws_lambda_events::event::cognito::CognitoEventUserPoolsChallengeResult>],
    action: Action,
) -> RoundKey {
    let action = match action {
        Action::Answer => "answer",
        Action::Resend => "resend",
    };
    let rounds = session.iter().flatten().flat_map(|entry| {
        let verdict = if entry.challenge_result { "correct" } else { "not correct" };
        [entry.challenge_metadata.as_deref().unwrap_or_default(), verdict]
    });
    RoundKey::of([user_name, action].into_iter().chain(rounds))
}

/// What became of a round's new code.
enum Outcome {
    Delivered(Recipient),
    Withheld(Recipient),
    /// This call is a retry of one for the same round: nothing sent.
    Retry(Recipient),
}

/// The steps of a new code (see the module's doc), for `recipient`, its SMS `text` if it gets
/// one. `typed` is the user name, whose records an unknown user's round reads.
async fn deliver<S: SmsSender, L: SendLimiter, A: AnswerLedger, P: PumpingLedger, R, K: FirstLook<L, A, P>>(
    ctx: &CreateContext<S, L, A, P, R, K>,
    recipient: Recipient,
    typed: &str,
    key: &RoundKey,
    text: Option<&str>,
    at: &Invocation,
    metrics: &mut Metrics,
) -> Result<Outcome, TriggerError> {
    let now = at.now;
    // Step 1, at once: the retry guard, and the look.
    let policy = &ctx.config.breaker;
    let whose = match recipient.number() {
        Some(number) => Whose::Number(number),
        None => Whose::Pretend(typed),
    };
    // Every round asks for the same records, whatever it turns out to be (a number's areas while
    // the breaker may judge any number), so its answer takes as long for an unknown user.
    let trusted = ctx.config.trust_pool_verified_numbers;
    let ask = Ask {
        whose,
        slot: recipient.withheld_for().is_none() && recipient.takes_send_slot(),
        breaker: (policy.min_sends > 0 && !trusted).then_some(policy),
    };
    let stores = Stores { limiter: &ctx.limiter, ledger: &ctx.ledger, pumping: &ctx.pumping };
    let (first_call, seen) =
        tokio::join!(at.store(ctx.limiter.first_call(key, now)), at.store(ctx.look.look(stores, ask, now)));
    let (first_call, mut seen) = (first_call?, seen?);
    // An existing pool's users proved their numbers through the pool's own sign-up (so no area
    // judges them: the look did not read any).
    if trusted && matches!(recipient, Recipient::Real(_)) {
        seen.standing.established_at.get_or_insert(0);
    }
    if !first_call {
        return Ok(Outcome::Retry(recipient));
    }
    // Boxed: the steps' nested futures are otherwise too deep a type for the compiler's layout.
    let outcome = Box::pin(after_step_one(ctx, recipient, seen, text, at, metrics)).await;
    // Answered in time (a call cut off by the deadline has no time left for this): Cognito has its
    // answer and will not retry, so a call for the same key from now on is a new sign-in.
    if let Err(error) = at.store(ctx.limiter.release(key, now)).await {
        tracing::warn!(%error, "the round's retry guard not released; a new sign-in in the next seconds offers a resend");
    }
    outcome
}

/// Steps 2 to 4 (see the module's doc), after step 1 `seen` the number's records.
async fn after_step_one<S: SmsSender, L: SendLimiter, A: AnswerLedger, P: PumpingLedger, R, K>(
    ctx: &CreateContext<S, L, A, P, R, K>,
    recipient: Recipient,
    seen: Seen,
    text: Option<&str>,
    at: &Invocation,
    metrics: &mut Metrics,
) -> Result<Outcome, TriggerError> {
    let Seen { standing, has_slot, areas: states } = seen;
    let now = at.now;
    let after_step_one = Instant::now();
    if let Some(why) = recipient.withheld_for() {
        return Ok(Outcome::Withheld(ctx.decoy(recipient, why, after_step_one, at).await?));
    }
    let withhold = |why: WithheldReason, metrics: &mut Metrics| {
        metrics.count(why.metric());
        why
    };
    if let Some(why) = delivery::number_refusal(&standing, has_slot) {
        let why = withhold(why, metrics);
        return Ok(Outcome::Withheld(ctx.decoy(recipient.withhold(why), why, after_step_one, at).await?));
    }
    let Some(phone) = recipient.sms_number().cloned() else {
        // A test number: its fixed code is delivered without an SMS, and takes no slot.
        return Ok(Outcome::Delivered(recipient));
    };

    // The number's areas (read in step 1, if a pause may hold it back).
    let policy = &ctx.config.breaker;
    let areas = Area::of(&phone);
    if let Some(why) = states.as_ref().and_then(|states| delivery::area_refusal(policy, states, &standing, now)) {
        let why = withhold(why, metrics);
        tracing::warn!(area = %areas[usize::from(why == WithheldReason::RegionPaused)], "SMS withheld: the area is paused by the pumping breaker");
        return Ok(Outcome::Withheld(ctx.decoy(recipient.withhold(why), why, after_step_one, at).await?));
    }

    // Step 2: the budgets.
    let new_number = !standing.is_established();
    let budgeted_prefix = match &areas[0] {
        Area::Prefix(prefix) if new_number && policy.budget_per_window > 0 => Some(prefix),
        _ => None,
    };
    let (pool, prefix_budget) = tokio::join!(
        async {
            match ctx.config.pool_ceiling.is_on() {
                true => at.store(ctx.pumping.take_pool(now, !new_number)).await.map(Budget::from),
                false => Ok(Budget::Off),
            }
        },
        async {
            match budgeted_prefix {
                Some(prefix) => at.store(ctx.pumping.take_prefix_budget(prefix, now)).await.map(|r| match r {
                    Reservation::Granted => Budget::Taken(prefix),
                    Reservation::Refused => Budget::Refused,
                }),
                None => Ok(Budget::Off),
            }
        },
    );
    // What was taken is given back if the round does not send after all (a refusal here or in
    // step 3, or a store that failed), so a withheld round spends no budget.
    let taken = Taken {
        pool: pool.as_ref().ok().and_then(Budget::taken),
        prefix: prefix_budget.as_ref().ok().and_then(Budget::taken),
    };
    let (pool, prefix_budget) = match (pool, prefix_budget) {
        (Ok(pool), Ok(prefix)) => (pool, prefix),
        (Err(error), _) | (_, Err(error)) => {
            taken.give_back(ctx, new_number, at).await;
            return Err(error.into());
        }
    };
    if let Some(why) = delivery::budget_refusal(pool.reservation(), prefix_budget.reservation()) {
        let why = withhold(why, metrics);
        tracing::warn!(?why, "SMS withheld: {}", why.describe());
        let (decoy, ()) = tokio::join!(
            ctx.decoy(recipient.withhold(why), why, after_step_one, at),
            taken.give_back(ctx, new_number, at)
        );
        return Ok(Outcome::Withheld(decoy?));
    }

    // Step 3: the number's own slot, last.
    match at.store(ctx.limiter.reserve(&phone, now)).await {
        Ok(Reservation::Granted) => {}
        Ok(Reservation::Refused) => {
            let why = withhold(WithheldReason::LimitReached, metrics);
            let (decoy, ()) = tokio::join!(
                ctx.decoy(recipient.withhold(why), why, after_step_one, at),
                taken.give_back(ctx, new_number, at)
            );
            return Ok(Outcome::Withheld(decoy?));
        }
        Err(error) => {
            taken.give_back(ctx, new_number, at).await;
            return Err(error.into());
        }
    }

    // Step 4: the SMS, and the count per area of a never-signed-in number, side by side; if too
    // little time is left to send, the budgets go back (the number's slot stays taken: one of its
    // SMS, the safe side) and the round fails as a send that ran out of time does.
    if at.remaining() < invocation::SEND_MIN {
        metrics.count(Metric::SmsFailed);
        taken.give_back(ctx, new_number, at).await;
        return Err(SendError::from(invocation::OutOfTime).into());
    }
    let text = text.unwrap_or_default();
    let counting = async {
        match (new_number, &states) {
            (true, Some(states)) => count_send(ctx, &areas, states, at).await,
            _ => Vec::new(),
        }
    };
    let (sent, paused) = tokio::join!(at.bounded(invocation::SEND_MIN, ctx.sender.send(&phone, text)), counting);
    for area in paused {
        metrics.count(match area {
            Area::Prefix(_) => Metric::PrefixPaused,
            Area::Region(_) => Metric::RegionPaused,
        });
    }
    match sent {
        Ok(()) => {
            metrics.count(Metric::SmsSent);
            ctx.decoy_delay.observe(after_step_one.elapsed());
            Ok(Outcome::Delivered(recipient))
        }
        Err(error) => {
            metrics.count(Metric::SmsFailed);
            tracing::error!(phone = %phone, %error, "SMS not sent");
            ctx.sns_trouble.note(now, &error);
            Err(error.into())
        }
    }
}

/// What step 2 made of one budget.
enum Budget<T> {
    /// Not asked: the budget is off, or not for this number.
    Off,
    /// One SMS taken, from here.
    Taken(T),
    Refused,
}

impl<T: Copy> Budget<T> {
    fn taken(&self) -> Option<T> {
        match self {
            Self::Taken(at) => Some(*at),
            Self::Off | Self::Refused => None,
        }
    }

    fn reservation(&self) -> Reservation {
        match self {
            Self::Refused => Reservation::Refused,
            Self::Off | Self::Taken(_) => Reservation::Granted,
        }
    }
}

impl From<Option<PoolSlot>> for Budget<PoolSlot> {
    fn from(slot: Option<PoolSlot>) -> Self {
        slot.map_or(Self::Refused, Self::Taken)
    }
}

/// The budgets step 2 took for a round.
struct Taken<'a> {
    pool: Option<PoolSlot>,
    prefix: Option<&'a Prefix>,
}

impl Taken<'_> {
    /// Gives back what was taken, for a round that does not send after all. A give-back that fails
    /// is logged: that budget is one SMS short until its window ends, never over.
    async fn give_back<S, L, A, P: PumpingLedger, R, K>(
        &self,
        ctx: &CreateContext<S, L, A, P, R, K>,
        new_number: bool,
        at: &Invocation,
    ) {
        let (pool, prefix) = tokio::join!(
            async {
                match self.pool {
                    Some(slot) => at.store(ctx.pumping.give_back_pool(slot, at.now, !new_number)).await,
                    None => Ok(()),
                }
            },
            async {
                match self.prefix {
                    Some(prefix) => at.store(ctx.pumping.give_back_prefix_budget(prefix, at.now)).await,
                    None => Ok(()),
                }
            },
        );
        for error in [pool.err(), prefix.err()].into_iter().flatten() {
            tracing::warn!(%error, "a budget taken for a round that did not send was not given back");
        }
    }
}

/// Counts an SMS to a never-signed-in number in each of its `areas` (whose `states` were read
/// before it), and pauses an area whose window, this send included, shows many codes and few
/// answered. The code is on its way, so a failure to count is logged, not handed to the
/// client. Returns the areas this send paused.
async fn count_send<S, L, A, P: PumpingLedger, R, K>(
    ctx: &CreateContext<S, L, A, P, R, K>,
    areas: &[Area; 2],
    states: &[AreaState; 2],
    at: &Invocation,
) -> Vec<Area> {
    let (prefix, region) =
        tokio::join!(count_in_area(ctx, &areas[0], &states[0], at), count_in_area(ctx, &areas[1], &states[1], at));
    prefix.into_iter().chain(region).collect()
}

/// [`count_send`] for one area: the count, and the pause if this send trips it, side by side.
async fn count_in_area<S, L, A, P: PumpingLedger, R, K>(
    ctx: &CreateContext<S, L, A, P, R, K>,
    area: &Area,
    state: &AreaState,
    at: &Invocation,
) -> Option<Area> {
    let policy = &ctx.config.breaker;
    let now = at.now;
    let window = WindowCounts { sends: state.window.sends + 1, ..state.window };
    let trips = policy.trips(&window) && state.paused_until <= now;
    let until = now.saturating_add(policy.pause_seconds);
    let (counted, paused) = tokio::join!(at.store(ctx.pumping.record_send(area, now)), async {
        if trips { at.store(ctx.pumping.pause(area, now, until)).await } else { Ok(false) }
    });
    if let Err(error) = counted {
        tracing::error!(%area, %error, "SMS to the area not counted");
    }
    match paused {
        Ok(true) => {
            tracing::warn!(
                %area,
                sends = window.sends,
                correct = window.correct,
                pause_seconds = policy.pause_seconds,
                "SMS pumping breaker tripped: many codes to this area, few answered; sends to its never-signed-in numbers paused"
            );
            Some(area.clone())
        }
        Ok(false) => None,
        Err(error) => {
            tracing::error!(%area, %error, "SMS pumping breaker tripped but the pause was not stored");
            None
        }
    }
}

impl<S, L, A, P, R, K> CreateContext<S, L, A, P, R, K> {
    /// A withheld round's answer: after as long as a real round takes past step 1 (never past the
    /// deadline), the recipient; or, while SNS has been refusing this process's sends, the error a
    /// real send would get.
    async fn decoy(
        &self,
        recipient: Recipient,
        why: WithheldReason,
        after_step_one: Instant,
        at: &Invocation,
    ) -> Result<Recipient, TriggerError> {
        let wake = (after_step_one + self.decoy_delay.current()).min(at.answer_by());
        tokio::time::sleep_until(wake).await;
        tracing::debug!(why = why.describe(), "code withheld");
        match self.sns_trouble.recent(at.now) {
            Some(error) => Err(error.into()),
            None => Ok(recipient),
        }
    }
}

/// The last time SNS refused a send in this process, and how.
#[derive(Default)]
struct SnsTrouble(Mutex<Option<(u64, SendError)>>);

impl SnsTrouble {
    fn note(&self, now: u64, error: &SendError) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some((now, error.clone()));
    }

    fn recent(&self, now: u64) -> Option<SendError> {
        let last = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        last.filter(|(at, _)| now < at.saturating_add(SNS_TROUBLE_SECONDS)).map(|(_, error)| error)
    }
}

/// How long a withheld round waits: a running average of what real rounds took after step 1
/// (the budgets, the slot and the send) in this process, so an unknown number takes about as long
/// to answer as a registered one.
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
    use crate::phone::PhoneNumber;
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
        let started = Instant::now();
        let out = handle(event(true), &ctx, &Invocation::at(1_763_700_000), &mut Metrics::default())
            .await
            .expect("a decoy round");
        assert_eq!(started.elapsed(), Duration::from_millis(80));
        assert!(ctx.sender.sent().is_empty());
        let known = handle(event(false), &ctx, &Invocation::at(1_763_700_000), &mut Metrics::default())
            .await
            .expect("a real round");
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
        let first =
            handle(event(false), &ctx, &Invocation::at(now), &mut Metrics::default()).await.expect("a real round");
        assert!(first.response.challenge_metadata.as_deref().is_some_and(|m| m.ends_with(":1")), "delivered");
        assert_eq!(ctx.sender.sent().len(), 1);

        let typical_send = ctx.decoy_delay.current();
        let started = Instant::now();
        let mut metrics = Metrics::default();
        let limited = handle(event(false), &ctx, &Invocation::at(now), &mut metrics).await.expect("a withheld round");
        assert_eq!(ctx.sender.sent().len(), 1, "no second SMS");
        assert_eq!(started.elapsed(), typical_send, "waits as long as a send");
        assert_eq!(metrics.get(Metric::SendRefusedByLimit), 1);
        assert_eq!(limited.response.public_challenge_parameters, first.response.public_challenge_parameters);
        // ...and its own code can never win it.
        assert_eq!(limited.response.private_challenge_parameters["delivered"], "false");
        assert!(limited.response.challenge_metadata.as_deref().is_some_and(|m| m.ends_with(":0")));

        // The withheld round took no slot; an unknown number's round reads the same records and
        // takes none either, so the limit does not tell them apart from users.
        let phone = PhoneNumber::parse("+15555550100").expect("a number");
        assert_eq!(ctx.limiter.sends_on_day(&phone, now), 1);
        let mut metrics = Metrics::default();
        handle(event(true), &ctx, &Invocation::at(now + 30), &mut metrics).await.expect("a decoy round");
        assert_eq!(metrics.get(Metric::UnknownUser), 1);
        assert_eq!(ctx.limiter.sends_on_day(&phone, now), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn codes_come_from_the_context_and_no_randomness_sends_nothing() {
        use crate::testkit::codes::{CountingCodes, NoRandomness};

        let ctx = CreateContext::with_decoy_delay(Config::default(), RecordingSender::new(), Duration::ZERO)
            .with_codes(CountingCodes::new());
        let round =
            handle(event(false), &ctx, &Invocation::at(1_763_700_000), &mut Metrics::default()).await.expect("a round");
        let first = CountingCodes::nth(1, Config::default().otp_length);
        assert_eq!(round.response.private_challenge_parameters["code"], first);
        assert!(ctx.sender.sent()[0].text.contains(&first), "the SMS carries the drawn code");

        let broken = CreateContext::with_decoy_delay(Config::default(), RecordingSender::new(), Duration::ZERO)
            .with_codes(NoRandomness);
        for unknown in [false, true] {
            let refused =
                handle(event(unknown), &broken, &Invocation::at(1_763_700_000), &mut Metrics::default()).await;
            assert!(matches!(refused, Err(TriggerError::Random)), "{refused:?}");
        }
        assert!(broken.sender.sent().is_empty(), "no code, no SMS");
    }

    /// Through the DynamoDB stores and their one read: a registered number's round and an
    /// unknown user's round for the same number ask for the same records, so the read takes as
    /// long (what tells them apart has to come after it, where the decoy's wait covers it).
    #[cfg(feature = "aws")]
    #[tokio::test(start_paused = true)]
    async fn a_registered_and_an_unknown_user_s_round_make_the_same_read() {
        use aws_sdk_dynamodb::operation::batch_get_item::{BatchGetItemInput, BatchGetItemOutput};
        use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
        use aws_smithy_mocks::{RuleMode, mock};

        use crate::aws::mocked::{self, recorder, taken};
        use crate::first_look::dynamodb::Batched;
        use crate::lockout::dynamodb::DynamoDbLockout;
        use crate::pumping::dynamodb::DynamoDbPumpingLedger;
        use crate::send_limit::dynamodb::{DynamoDbLimiter, Table, sdk_config};

        let (seen, record) = recorder::<BatchGetItemInput>();
        let reads = mock!(aws_sdk_dynamodb::Client::batch_get_item)
            .match_requests(record)
            .sequence()
            .output(|| BatchGetItemOutput::builder().build())
            .repeatedly()
            .build();
        let writes = mock!(aws_sdk_dynamodb::Client::update_item)
            .sequence()
            .output(|| UpdateItemOutput::builder().build())
            .repeatedly()
            .build();
        let table = Table::with_client(
            "t".into(),
            mocked::dynamodb_with(&sdk_config(), RuleMode::MatchAny, &[&reads, &writes]),
        );
        let config = Config::default();
        assert!(config.breaker.min_sends > 0, "the breaker is on by default");
        let ctx = CreateContext::with_decoy_delay(config.clone(), RecordingSender::new(), Duration::ZERO)
            .with_send_limit(DynamoDbLimiter::new(table.clone(), config.per_number))
            .with_lockout(DynamoDbLockout::new(table.clone(), config.lockout))
            .with_breaker(DynamoDbPumpingLedger::new(table.clone(), config.breaker, config.pool_ceiling))
            .with_first_look(Batched::new(table));
        for unknown in [false, true] {
            handle(event(unknown), &ctx, &Invocation::at(1_763_700_000), &mut Metrics::default())
                .await
                .expect("a round");
        }
        assert_eq!(ctx.sender.sent().len(), 1, "the registered number's code");
        let asked = |request: &BatchGetItemInput| request.request_items().expect("items")["t"].clone();
        let requests = taken(&seen);
        assert_eq!(requests.len(), 2, "one read per round");
        let (registered, unknown) = (asked(&requests[0]), asked(&requests[1]));
        assert_eq!(registered.keys().len(), 28);
        let sorted = |keys: &[std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>]| {
            let mut keys: Vec<String> = keys.iter().map(|k| format!("{:?} {:?}", k["phone"], k["day"])).collect();
            keys.sort();
            keys
        };
        assert_eq!(sorted(registered.keys()), sorted(unknown.keys()));
        assert_eq!(registered.projection_expression(), unknown.projection_expression());
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
            let round =
                handle(event(unknown), &ctx, &Invocation::at(now), &mut Metrics::default()).await.expect("a round");
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
            answer = verify::handle(
                answer,
                &ctx.config,
                &open,
                &NoBreaker,
                &Invocation::at(now + 1),
                &mut Metrics::default(),
            )
            .await
            .expect("answered");
            assert!(!answer.response.answer_correct, "{why}: the round was won by its own code");
        }
    }
}
