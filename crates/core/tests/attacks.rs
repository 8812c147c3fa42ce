//! The attacks of an adversarial review, each tried as an attacker would, through the handlers
//! with the test kit's stores: each test is the attack, and fails if it works.
//!
//! - the lock: answers racing it, a correct answer at the limit, a retried verify;
//! - keeping an owner out: withheld rounds taking the owner's SMS slots, answers to rounds that
//!   were never delivered counting toward the lock;
//! - SMS pumping: spreading over prefixes and countries, a budget overshot by concurrent sends,
//!   a pause denying established users;
//! - planting attributes on a number before its owner signs up;
//! - Cognito's retries: a retried create sending a second SMS, a retried verify counting twice;
//! - Cognito's 5 seconds: every dependency slow, or one that never answers.
//!
//! (The DynamoDB adapters' conditional writes, which carry these rules to the real store, are
//! tested beside them on the SDK's mocks; `tests/e2e` runs the races against the local stack.)

use std::time::Duration;

use serde_json::{Value, json};
use sms_otp_core::Config;
use sms_otp_core::challenge::ChallengeState;
use sms_otp_core::code::CodeSource;
use sms_otp_core::invocation::Invocation;
use sms_otp_core::lockout::{AnswerLedger, EARLIER_FORGET_AFTER_SECONDS, Lock, LockoutPolicy, Record};
use sms_otp_core::metrics::{Metric, Metrics};
use sms_otp_core::phone::PhoneNumber;
use sms_otp_core::pumping::{Area, PumpingLedger};
use sms_otp_core::send_limit::{PerNumberLimits, SendLimiter};
use sms_otp_core::sms::{SendError, SmsSender};
use sms_otp_core::testkit::codes::CountingCodes;
use sms_otp_core::testkit::events::{self, answer_to, create_for, create_for_unknown};
use sms_otp_core::testkit::lockout::InMemoryLockout;
use sms_otp_core::testkit::pumping::{EXAMPLE_POLICY, InMemoryPumpingLedger};
use sms_otp_core::testkit::send_limit::InMemoryLimiter;
use sms_otp_core::testkit::slow::Slow;
use sms_otp_core::testkit::sms::RecordingSender;
use sms_otp_core::testkit::{NOW, join_all};
use sms_otp_core::triggers::create::{self, CreateContext};
use sms_otp_core::triggers::{from_json, pre_sign_up, verify};
use tokio::time::Instant;

type Ctx<S = RecordingSender, L = InMemoryLimiter, A = InMemoryLockout, P = InMemoryPumpingLedger> =
    CreateContext<S, L, A, P, CountingCodes>;

const OWNER: &str = "+15555550100";

fn phone(raw: &str) -> PhoneNumber {
    PhoneNumber::parse(raw).expect("a number")
}

fn config(vars: &[(&str, &str)]) -> Config {
    Config::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned()))
        .expect("a valid configuration")
}

/// A deployment with every store in memory: per-number limits `limits`, the lock of `config`,
/// the breaker and ceiling of `config`, withheld rounds answering at once.
fn deployment(config: Config, limits: PerNumberLimits) -> Ctx {
    let ledger = InMemoryLockout::new(config.lockout);
    let pumping = InMemoryPumpingLedger::with_ceiling(config.breaker, config.pool_ceiling);
    CreateContext::with_decoy_delay(config, RecordingSender::new(), Duration::ZERO)
        .with_send_limit(InMemoryLimiter::new(limits))
        .with_lockout(ledger)
        .with_breaker(pumping)
        .with_codes(CountingCodes::new())
}

const PLENTY: PerNumberLimits = PerNumberLimits { per_hour: 100, per_day: 1000 };

/// Create's response to `event` at `now`, or its error.
async fn create<S: SmsSender, L: SendLimiter, A: AnswerLedger, P: PumpingLedger, R: CodeSource>(
    ctx: &CreateContext<S, L, A, P, R>,
    event: &Value,
    now: u64,
    metrics: &mut Metrics,
) -> Result<Value, String> {
    let event = from_json(event.clone()).map_err(|e| e.to_string())?;
    let out = create::handle(event, ctx, &Invocation::at(now), metrics).await.map_err(|e| e.to_string())?;
    Ok(serde_json::to_value(out).expect("serializes")["response"].take())
}

/// Verify's verdict on `answer` to the round create made for `event`.
#[allow(clippy::too_many_arguments)]
async fn verify<A: AnswerLedger, P: PumpingLedger>(
    config: &Config,
    ledger: &A,
    pumping: &P,
    event: &Value,
    response: &Value,
    answer: &str,
    now: u64,
    metrics: &mut Metrics,
) -> Result<bool, String> {
    let user = event["userName"].as_str().unwrap_or_default();
    let answer = from_json(answer_to(user, &event["request"], response, answer)).map_err(|e| e.to_string())?;
    let out = verify::handle(answer, config, ledger, pumping, &Invocation::at(now), metrics).await;
    out.map(|out| out.response.answer_correct).map_err(|e| e.to_string())
}

fn code_of(response: &Value) -> String {
    response["privateChallengeParameters"]["code"].as_str().unwrap_or_default().to_owned()
}

fn delivered(response: &Value) -> bool {
    response["privateChallengeParameters"]["delivered"] == "true"
}

// ------------------------------------------------------------------------------------ the lock

/// Several sign-ins, each with a delivered code, are answered at the same moment when the number
/// has one wrong answer left before the lock: only one answer is judged at that count. Whatever
/// the order, at most one of them is counted or accepted there, the lock is set by one of them,
/// and the right code sent among them is refused unless it came first.
#[tokio::test(start_paused = true)]
async fn answers_arriving_together_at_the_last_count_are_judged_once() {
    let cfg = config(&[("MAX_FAILED_ANSWERS_PER_NUMBER", "3")]);
    let number = phone(OWNER);
    for right_at in [0, 3, 7] {
        // Every call to the answer record a point where the answers below interleave.
        let ctx = CreateContext::with_decoy_delay(cfg.clone(), RecordingSender::new(), Duration::ZERO)
            .with_send_limit(InMemoryLimiter::new(PLENTY))
            .with_lockout(Slow::by(InMemoryLockout::new(cfg.lockout), Duration::from_millis(1)))
            .with_breaker(InMemoryPumpingLedger::new(cfg.breaker))
            .with_codes(CountingCodes::new());
        ctx.ledger.inner.set(&number, Record { failures: 2, ..Record::default() });
        // Eight sign-ins, each with its code delivered (started apart: within the retry window,
        // a second first round of the same user would be taken for Cognito's retry).
        let mut rounds = Vec::new();
        for n in 0..8 {
            let event = create_for(OWNER);
            let response = create(&ctx, &event, NOW + 21 * n, &mut Metrics::default()).await.expect("a round");
            assert!(delivered(&response));
            rounds.push((event, response));
        }
        // Answered at the same moment.
        let ledger = &ctx.ledger;
        let answers = rounds.iter().enumerate().map(|(i, (event, response))| {
            let answer = if i == right_at { code_of(response) } else { "99999999".to_owned() };
            let (cfg, pumping) = (&cfg, &ctx.pumping);
            async move {
                let mut m = Metrics::default();
                let correct =
                    verify(cfg, ledger, pumping, event, response, &answer, NOW + 200, &mut m).await.expect("answered");
                (correct, m)
            }
        });
        let results = join_all(answers).await;
        let accepted = results.iter().filter(|(correct, _)| *correct).count();
        let locked_now: u32 = results.iter().map(|(_, m)| m.get(Metric::NumberLocked)).sum();
        let judged_at_the_last_count = if right_at == 0 { accepted } else { locked_now as usize };
        assert_eq!(judged_at_the_last_count, 1, "right code at {right_at}: {accepted} accepted, {locked_now} locks");
        if right_at == 0 {
            assert_eq!(accepted, 1, "the right code first is accepted, and resets the count");
            assert_eq!(locked_now, 1, "the seven wrong answers after it count from nothing: the third of them locks");
        } else {
            assert_eq!(
                (accepted, locked_now),
                (0, 1),
                "the first wrong answer locks, the right code after it is refused"
            );
        }
        assert_eq!(ctx.ledger.standing(&number, NOW + 200).await.expect("a record").lock, Lock::Locked);
    }
}

/// A count at the limit (this version's lock, or the earlier version's count left without its
/// lock when its second write failed): the right code does not reset it, until the lock's end.
#[tokio::test]
async fn a_right_code_never_resets_a_count_at_the_limit() {
    let cfg = config(&[("MAX_FAILED_ANSWERS_PER_NUMBER", "3")]);
    let lockout = cfg.lockout.lockout_seconds;
    let earlier_gap = Record { failures: 3, expires_at: Some(NOW + EARLIER_FORGET_AFTER_SECONDS), ..Record::default() };
    let this_version = Record { failures: 3, last_wrong_at: Some(NOW), ..Record::default() };
    for left in [earlier_gap, this_version] {
        let ctx = deployment(cfg.clone(), PLENTY);
        let number = phone(OWNER);
        let event = create_for(OWNER);
        let response = create(&ctx, &event, NOW, &mut Metrics::default()).await.expect("a round");
        ctx.ledger.set(&number, left.clone());
        for at in [NOW, NOW + 1] {
            let mut m = Metrics::default();
            let code = code_of(&response);
            assert_eq!(verify(&cfg, &ctx.ledger, &ctx.pumping, &event, &response, &code, at, &mut m).await, Ok(false));
            assert_eq!(m.get(Metric::RefusedWhileLocked), 1, "{left:?}");
        }
        assert_eq!(ctx.ledger.record(&number), left, "nothing changed while locked");
        assert_eq!(ctx.ledger.standing(&number, NOW + lockout).await.expect("a record").lock, Lock::Open, "an end");
    }
}

/// Cognito retries a verify that did not answer in time: the same wrong answer to the same round
/// is counted once. Another answer to the same round (a replayed session) is another guess.
#[tokio::test]
async fn a_retried_verify_counts_the_same_answer_once() {
    let cfg = Config::default();
    let ctx = deployment(cfg.clone(), PLENTY);
    let event = create_for(OWNER);
    let response = create(&ctx, &event, NOW, &mut Metrics::default()).await.expect("a round");
    for _ in 0..3 {
        let mut m = Metrics::default();
        assert_eq!(
            verify(&cfg, &ctx.ledger, &ctx.pumping, &event, &response, "11111111", NOW, &mut m).await,
            Ok(false)
        );
    }
    assert_eq!(ctx.ledger.failures(&phone(OWNER)), 1, "one answer, counted once");
    assert_eq!(
        verify(&cfg, &ctx.ledger, &ctx.pumping, &event, &response, "22222222", NOW, &mut Metrics::default()).await,
        Ok(false)
    );
    assert_eq!(ctx.ledger.failures(&phone(OWNER)), 2, "another guess counts");
}

// ---------------------------------------------------------------------- keeping the owner out

/// While a number is locked, an attacker's sign-ins for it take none of the owner's SMS slots, so
/// the owner gets a code as soon as the lock ends.
#[tokio::test]
async fn rounds_withheld_for_any_reason_take_no_sms_slot() {
    let number = phone(OWNER);
    let limits = PerNumberLimits { per_hour: 5, per_day: 10 };

    // Locked.
    let ctx = deployment(Config::default(), limits);
    ctx.ledger.lock_until(&number, NOW + 3_600);
    for n in 0..20 {
        let mut metrics = Metrics::default();
        let response = create(&ctx, &create_for(OWNER), NOW + 21 * n, &mut metrics).await.expect("a round");
        assert!(!delivered(&response));
        assert_eq!(metrics.get(Metric::RefusedWhileLocked), 1, "withheld for the lock, not taken for a retry");
    }
    assert_eq!(ctx.limiter.sends_on_day(&number, NOW), 0, "no slot taken while locked");
    let after = create(&ctx, &create_for(OWNER), NOW + 3_600, &mut Metrics::default()).await.expect("a round");
    assert!(delivered(&after) && ctx.sender.sent().len() == 1, "the owner's code when the lock ends");

    // Paused area, spent budget, pool ceiling reached.
    for (why, cfg) in [
        ("pool ceiling", config(&[("POOL_SMS_PER_HOUR_NEW_NUMBERS", "1")])),
        ("prefix budget", config(&[("PREFIX_SMS_BUDGET", "1")])),
    ] {
        let ctx = deployment(cfg, limits);
        // Another new number takes the one SMS the pool or the prefix allows.
        create(&ctx, &create_for("+15555550199"), NOW, &mut Metrics::default()).await.expect("a round");
        let response = create(&ctx, &create_for(OWNER), NOW, &mut Metrics::default()).await.expect("a round");
        assert!(!delivered(&response), "{why}");
        assert_eq!(ctx.limiter.sends_on_day(&number, NOW), 0, "{why}: no slot taken");
    }
    let ctx = deployment(Config::default(), limits);
    let [prefix, _] = Area::of(&number);
    ctx.pumping.pause(&prefix, NOW, NOW + 1_800).await.expect("paused");
    let response = create(&ctx, &create_for(OWNER), NOW, &mut Metrics::default()).await.expect("a round");
    assert!(!delivered(&response));
    assert_eq!(ctx.limiter.sends_on_day(&number, NOW), 0, "paused prefix: no slot taken");
}

/// A round withheld by a budget, or by the number's own SMS limit after the budgets, gives back
/// what the steps before took. So an attacker who keeps starting sign-ins for a new number whose
/// prefix's budget is spent (no SMS, none of the number's slots) does not drain the pool's share
/// for new numbers, and rounds racing for a number's last SMS slot leave the pool's count at the
/// SMS really sent.
#[tokio::test(start_paused = true)]
async fn withheld_rounds_give_back_the_budgets_they_took() {
    // One prefix's budget spent; sign-in after sign-in to a number under it.
    let cfg = config(&[("PREFIX_SMS_BUDGET", "1"), ("POOL_SMS_PER_HOUR_NEW_NUMBERS", "5")]);
    let ctx = deployment(cfg, PLENTY);
    let first = create(&ctx, &create_for("+18765550100"), NOW, &mut Metrics::default()).await.expect("a round");
    assert!(delivered(&first));
    for n in 0..20 {
        let mut metrics = Metrics::default();
        let response = create(&ctx, &create_for("+18765550101"), NOW + 21 * n, &mut metrics).await.expect("a round");
        assert!(!delivered(&response));
        assert_eq!(metrics.get(Metric::SendRefusedByPrefix), 1, "withheld for the prefix's budget");
    }
    assert_eq!(ctx.pumping.pool_taken(NOW), (1, 1), "the withheld rounds took nothing from the pool");
    for (n, prefix) in ["+1212", "+1312", "+1415", "+1617"].into_iter().enumerate() {
        let response = create(&ctx, &create_for(&format!("{prefix}5550100")), NOW + 500, &mut Metrics::default()).await;
        assert!(delivered(&response.expect("a round")), "new number {n}: the pool's share is still there");
    }
    assert_eq!(ctx.pumping.pool_taken(NOW), (5, 5));

    // Six rounds for one number at once (six sign-ins, so six retry-guard keys), one SMS slot left.
    let cfg = config(&[("PREFIX_SMS_BUDGET", "50")]);
    let slow = Duration::from_millis(1);
    let ctx = CreateContext::with_decoy_delay(cfg.clone(), RecordingSender::new(), Duration::ZERO)
        .with_send_limit(Slow::by(InMemoryLimiter::new(PerNumberLimits { per_hour: 1, per_day: 10 }), slow))
        .with_lockout(Slow::by(InMemoryLockout::new(cfg.lockout), slow))
        .with_breaker(Slow::by(InMemoryPumpingLedger::with_ceiling(cfg.breaker, cfg.pool_ceiling), slow))
        .with_codes(CountingCodes::new());
    let rounds = (0..6).map(|n| {
        let mut event = create_for(OWNER);
        event["userName"] = json!(format!("sign-in-{n}"));
        let ctx = &ctx;
        async move { create(ctx, &event, NOW, &mut Metrics::default()).await }
    });
    let delivered_rounds = join_all(rounds).await.iter().filter(|r| delivered(r.as_ref().expect("a round"))).count();
    assert_eq!((delivered_rounds, ctx.sender.sent().len()), (1, 1), "the number's one slot");
    assert_eq!(ctx.pumping.inner.pool_taken(NOW), (1, 1), "the pool counts the SMS sent, not the rounds");
    let [prefix, _] = Area::of(&phone(OWNER));
    let Area::Prefix(prefix) = prefix else { panic!("a prefix first") };
    assert_eq!(ctx.pumping.inner.budget_taken(&prefix, NOW), 1, "and so does the prefix's budget");
}

/// Once the owner's SMS limit is used up, an attacker keeps answering the (withheld) rounds:
/// those answers can never win and are not counted, so the number is never locked by them. They
/// still make the same call to the store, so they take the same time as counted ones.
#[tokio::test]
async fn answers_to_rounds_never_delivered_do_not_count_toward_the_lock() {
    let cfg = Config::default();
    let ctx = deployment(cfg.clone(), PerNumberLimits { per_hour: 1, per_day: 1 });
    let number = phone(OWNER);
    let owner = create(&ctx, &create_for(OWNER), NOW, &mut Metrics::default()).await.expect("a round");
    assert!(delivered(&owner), "the owner's one SMS");
    for n in 0..40 {
        let event = create_for(OWNER);
        let mut metrics = Metrics::default();
        let response = create(&ctx, &event, NOW + 21 * (n + 1), &mut metrics).await.expect("a round");
        assert!(!delivered(&response));
        assert_eq!(metrics.get(Metric::SendRefusedByLimit), 1, "withheld for the limit");
        let guess = format!("{n:08}");
        assert_eq!(
            verify(
                &cfg,
                &ctx.ledger,
                &ctx.pumping,
                &event,
                &response,
                &guess,
                NOW + 21 * (n + 1),
                &mut Metrics::default()
            )
            .await,
            Ok(false)
        );
    }
    assert_eq!(ctx.ledger.failures(&number), 0, "nothing counted");
    assert_eq!(ctx.ledger.standing(&number, NOW).await.map(|s| s.lock), Ok(Lock::Open));
    assert_eq!(ctx.ledger.pretended(), 40, "each answer made its call to the store");
    assert_eq!(
        verify(
            &cfg,
            &ctx.ledger,
            &ctx.pumping,
            &create_for(OWNER),
            &owner,
            &code_of(&owner),
            NOW + 60,
            &mut Metrics::default()
        )
        .await,
        Ok(true),
        "the owner signs in with the one code that went out"
    );
}

/// Unknown numbers' answers are not counted either, and look the same to the attacker.
#[tokio::test]
async fn unknown_numbers_answers_are_not_counted_but_ask_the_store() {
    let cfg = Config::default();
    let ctx = deployment(cfg.clone(), PLENTY);
    let event = create_for_unknown("+15555550177");
    let response = create(&ctx, &event, NOW, &mut Metrics::default()).await.expect("a decoy round");
    for guess in ["00000000", "11111111", &code_of(&response)] {
        assert_eq!(
            verify(&cfg, &ctx.ledger, &ctx.pumping, &event, &response, guess, NOW, &mut Metrics::default()).await,
            Ok(false)
        );
    }
    assert_eq!(ctx.ledger.failures(&phone("+15555550177")), 0);
    assert_eq!(ctx.ledger.pretended(), 3);
}

// ------------------------------------------------------------------------------- SMS pumping

/// Fresh numbers of one country spread over many prefixes, each under the prefix breaker's
/// minimum: the country's breaker pauses it for new numbers after its minimum, and a number
/// established before the pause still gets its code.
#[tokio::test]
async fn spreading_over_prefixes_of_one_country_trips_the_country() {
    let ctx = deployment(config(&[("POOL_SMS_PER_HOUR_NEW_NUMBERS", "0"), ("POOL_SMS_PER_HOUR", "0")]), PLENTY);
    let veteran = phone("+14155550142");
    ctx.ledger.establish(&veteran, NOW - 86_400);
    let mut metrics = Metrics::default();
    // 10 area codes of the US, 19 fresh numbers each: 190 codes asked for, none answered.
    for area in ["212", "213", "305", "312", "404", "415", "512", "617", "702", "808"] {
        for n in 0..19 {
            let number = format!("+1{area}55501{n:02}");
            assert_eq!(sms_otp_core::regions::of(&phone(&number)).to_string(), "US");
            create(&ctx, &create_for(&number), NOW + 60, &mut metrics).await.expect("a round");
        }
    }
    let sent = ctx.sender.sent().len();
    assert_eq!(sent, EXAMPLE_POLICY.min_sends as usize, "the country paused at its minimum: {sent} SMS");
    assert_eq!(metrics.get(Metric::RegionPaused), 1);
    assert_eq!(metrics.get(Metric::PrefixPaused), 0, "no prefix reached its own minimum");
    assert!(metrics.get(Metric::SendRefusedByRegion) >= 170);
    let response =
        create(&ctx, &create_for(veteran.expose()), NOW + 120, &mut Metrics::default()).await.expect("a round");
    assert!(delivered(&response), "an established number keeps signing in through the pause");
}

/// A budget per prefix is taken before the send by one conditional write: eight sends at once
/// under a budget of five send five.
#[tokio::test(start_paused = true)]
async fn a_budget_is_never_overshot_by_concurrent_sends() {
    let cfg = config(&[("PREFIX_SMS_BUDGET", "5"), ("PUMPING_BREAKER_MIN_SENDS", "0")]);
    let slow = Duration::from_millis(1);
    let ctx = CreateContext::with_decoy_delay(cfg.clone(), RecordingSender::new(), Duration::ZERO)
        .with_send_limit(Slow::by(InMemoryLimiter::new(PLENTY), slow))
        .with_lockout(Slow::by(InMemoryLockout::new(cfg.lockout), slow))
        .with_breaker(Slow::by(InMemoryPumpingLedger::new(cfg.breaker), slow))
        .with_codes(CountingCodes::new());
    let rounds = (0..8).map(|n| {
        let ctx = &ctx;
        async move { create(ctx, &create_for(&format!("+1876555010{n}")), NOW, &mut Metrics::default()).await }
    });
    for result in join_all(rounds).await {
        result.expect("a round");
    }
    assert_eq!(ctx.sender.sent().len(), 5);
}

/// A paused prefix and a paused region never stop a number established before the pause, nor do
/// they let through one proven while the pause runs.
#[tokio::test]
async fn a_pause_never_denies_established_numbers() {
    let ctx = deployment(Config::default(), PLENTY);
    let veteran = phone("+447700900123");
    let newcomer = phone("+447700900124");
    let proven_during = phone("+447700900125");
    ctx.ledger.establish(&veteran, NOW - 30 * 86_400);
    for area in Area::of(&veteran) {
        ctx.pumping.pause(&area, NOW, NOW + 1_800).await.expect("paused");
    }
    ctx.ledger.establish(&proven_during, NOW + 5);
    for (number, sent, why) in [
        (&veteran, true, "established before the pause"),
        (&newcomer, false, "a new number waits for the pause to end"),
        (&proven_during, false, "proven during the pause: no escape"),
    ] {
        let response = create(&ctx, &create_for(number.expose()), NOW + 10, &mut Metrics::default()).await;
        assert_eq!(delivered(&response.expect("a round")), sent, "{why}");
    }
}

/// A bot spreading over many countries, one number each, stays under every area's minimum: the
/// pool's share for never-signed-in numbers bounds it, and established numbers keep their codes.
#[tokio::test]
async fn the_pool_ceiling_bounds_spreading_over_countries() {
    let ctx = deployment(config(&[("POOL_SMS_PER_HOUR_NEW_NUMBERS", "30"), ("POOL_SMS_PER_HOUR", "100")]), PLENTY);
    let countries = [
        "+3361234", "+4915112", "+3934712", "+3461234", "+3161234", "+3247123", "+4179123", "+4369912", "+4670123",
        "+4791234", "+4520123", "+3584012", "+4860123", "+4207212", "+3620123", "+4072123", "+3598812", "+3069412",
        "+3519123", "+3538512", "+3547712", "+3706123", "+3712123", "+3725123", "+3866123", "+3859123", "+3816123",
        "+3826712", "+3897012", "+3556712", "+3736123", "+3749123", "+9955512", "+9945012", "+9989012", "+7701234",
        "+9053212", "+9725012", "+9627912", "+9665012",
    ];
    let mut metrics = Metrics::default();
    for prefix in countries {
        create(&ctx, &create_for(&format!("{prefix}5678")), NOW, &mut metrics).await.expect("a round");
    }
    assert_eq!(ctx.sender.sent().len(), 30, "the new numbers' share for the hour");
    assert_eq!(metrics.get(Metric::PoolCeilingReached), 10);
    let veteran = phone("+14155550142");
    ctx.ledger.establish(&veteran, NOW - 86_400);
    let response = create(&ctx, &create_for(veteran.expose()), NOW, &mut Metrics::default()).await.expect("a round");
    assert!(delivered(&response), "established numbers have the rest of the ceiling");
    assert_eq!(ctx.pumping.pool_taken(NOW), (31, 30));
}

// ---------------------------------------------------------------------- planted attributes

fn sign_up(source: &str, attributes: Value) -> Result<Value, String> {
    let mut event =
        events::event(source, "+15555550100", json!({"userAttributes": attributes, "validationData": null}));
    event["response"] = json!({"autoConfirmUser": false, "autoVerifyPhone": false, "autoVerifyEmail": false});
    let out = from_json(event).and_then(|e| pre_sign_up::handle(e, &Config::default(), &mut Metrics::default()));
    out.map(|out| serde_json::to_value(out).expect("serializes")["response"].take()).map_err(|e| e.to_string())
}

/// Someone else signs up the owner's number with their own email address: refused, with the
/// attribute named, and no account is confirmed. The number and a locale still sign up, and an
/// administrator's sign-ups are the operator's.
#[test]
fn a_sign_up_cannot_plant_attributes_on_someone_elses_number() {
    for (name, value) in [("email", "attacker@example.com"), ("name", "Mallory"), ("custom:plan", "pro")] {
        let refused = sign_up(events::PRE_SIGN_UP, json!({"phone_number": OWNER, name: value}));
        let error = refused.expect_err("planted");
        assert!(error.contains(&format!("`{name}`")), "{error}");
    }
    let ok = sign_up(events::PRE_SIGN_UP, json!({"phone_number": OWNER, "locale": "fr-CA", "sub": "s-1"}));
    assert_eq!(ok.expect("the number and a locale")["autoConfirmUser"], true);
    let admin = sign_up("PreSignUp_AdminCreateUser", json!({"phone_number": OWNER, "email": "ops@example.com"}));
    assert_eq!(admin.expect("the operator's")["autoConfirmUser"], true);
}

// ------------------------------------------------------------------------------ test numbers

/// A test number's fixed code gets no SMS, so only the lock bounds guessing it: at the defaults,
/// a year of guessing finds the shortest code allowed with a chance under 0.1%, and shorter codes
/// are refused.
#[test]
fn a_test_numbers_code_is_not_guessed_within_a_year_at_the_defaults() {
    use sms_otp_core::config::{TEST_CODE_MIN_LENGTH, guesses_a_year, guessing_chance};
    let defaults = Config::default().lockout;
    assert_eq!(defaults, LockoutPolicy { max_failed_answers: 10, lockout_seconds: 3_600 });
    let chance = guessing_chance(guesses_a_year(&defaults), TEST_CODE_MIN_LENGTH);
    assert!(chance < 0.001, "{chance}");
    let refused = Config::from_lookup(|v| (v == "TEST_PHONE_NUMBERS").then(|| "+15555550111=123456".to_owned()));
    assert_eq!(refused.expect_err("a six-digit test code").var, "TEST_PHONE_NUMBERS");
    let weak = config(&[("TEST_PHONE_NUMBERS", "+15555550111=12345678"), ("LOCKOUT_SECONDS", "60")]);
    assert!(weak.warnings.iter().any(|w| w.var == "TEST_PHONE_NUMBERS"), "a short lockout is said at start-up");
}

// ----------------------------------------------------------------------------- enumeration

/// When SNS refuses, a registered number's round fails with the SMS error; for the next minute an
/// unknown number's round fails the same way instead of looking like a sent code.
#[tokio::test]
async fn a_failing_sms_service_does_not_tell_registered_numbers_from_unknown_ones() {
    let ctx = deployment(Config::default(), PLENTY);
    ctx.sender.fail_with(SendError::Refused { code: "Throttling".into() });
    let registered = create(&ctx, &create_for(OWNER), NOW, &mut Metrics::default()).await;
    let unknown = create(&ctx, &create_for_unknown("+15555550188"), NOW + 1, &mut Metrics::default()).await;
    assert_eq!(registered.expect_err("SNS refused"), unknown.expect_err("the same"));
    let later = create(&ctx, &create_for_unknown("+15555550189"), NOW + 61, &mut Metrics::default()).await;
    assert!(later.is_ok(), "a minute later, a normal round again");
}

// --------------------------------------------------------------------------- Cognito's retries

/// Cognito calls create again with the same event when the first call did not answer in time:
/// here SNS took the code but answered too late. The second call sends no SMS and takes no slot;
/// its round says no new code was sent and offers a resend at once, and that resend sends one.
/// Unknown users' rounds go through the same guard.
#[tokio::test(start_paused = true)]
async fn a_retried_create_sends_no_second_sms_and_takes_no_second_slot() {
    let cfg = Config::default();
    let ctx = CreateContext::with_decoy_delay(
        cfg.clone(),
        Slow::by(RecordingSender::new(), Duration::from_secs(6)),
        Duration::ZERO,
    )
    .with_send_limit(InMemoryLimiter::new(PLENTY))
    .with_lockout(InMemoryLockout::new(cfg.lockout))
    .with_breaker(InMemoryPumpingLedger::with_ceiling(cfg.breaker, cfg.pool_ceiling))
    .with_codes(CountingCodes::new());
    let event = create_for(OWNER);
    let late = create(&ctx, &event, NOW, &mut Metrics::default()).await;
    assert!(late.expect_err("SNS answered after the deadline").contains("in time"));
    assert_eq!(ctx.sender.inner.sent().len(), 1, "the SMS went out, unbeknown to the first call");

    let mut metrics = Metrics::default();
    let retried = create(&ctx, &event, NOW + 5, &mut metrics).await.expect("a round");
    assert_eq!(ctx.sender.inner.sent().len(), 1, "no second SMS");
    assert_eq!(ctx.limiter.sends_on_day(&phone(OWNER), NOW), 1, "no second slot");
    assert_eq!(metrics.get(Metric::RetryNotResent), 1);
    assert!(!delivered(&retried), "no code of the retried round can win it");
    let public = &retried["publicChallengeParameters"];
    assert_eq!((public["codeSent"].as_str(), public["resendInSeconds"].as_str()), (Some("false"), Some("0")));

    // The client asks for the resend at once (SNS quick again): a code goes out and signs in.
    let metadata = retried["challengeMetadata"].as_str().expect("metadata").to_owned();
    assert!(ChallengeState::parse(&metadata).is_ok());
    let quick = CreateContext::with_decoy_delay(cfg.clone(), RecordingSender::new(), Duration::ZERO)
        .with_send_limit(InMemoryLimiter::new(PLENTY))
        .with_codes(CountingCodes::new());
    let mut resend = create_for(OWNER);
    resend["request"]["session"] = events::session(&[(metadata, false)]);
    resend["request"]["clientMetadata"] = json!({"action": "resend"});
    let sent = create(&quick, &resend, NOW + 6, &mut Metrics::default()).await.expect("a round");
    assert!(delivered(&sent));
    assert_ne!(code_of(&sent), code_of(&retried), "two rounds never share a code");
    assert_eq!(
        verify(&cfg, &quick.ledger, &quick.pumping, &resend, &sent, &code_of(&sent), NOW + 7, &mut Metrics::default())
            .await,
        Ok(true),
        "the user signs in without waiting"
    );
}

/// A call that answered in time releases its round: Cognito has the answer and never retries it,
/// so the same user's next sign-in a moment later is a new one and gets its code.
#[tokio::test]
async fn a_new_sign_in_right_after_an_answered_one_gets_its_code() {
    let ctx = deployment(Config::default(), PLENTY);
    let event = create_for(OWNER);
    assert!(delivered(&create(&ctx, &event, NOW, &mut Metrics::default()).await.expect("a round")));
    assert!(delivered(&create(&ctx, &event, NOW + 1, &mut Metrics::default()).await.expect("a round")));
    assert_eq!(ctx.sender.sent().len(), 2);
}

/// Cognito retries while the first call is still waiting on SNS: the retry sends nothing.
#[tokio::test(start_paused = true)]
async fn a_retry_while_the_first_call_waits_on_sns_sends_nothing() {
    let cfg = Config::default();
    let ctx = CreateContext::with_decoy_delay(
        cfg.clone(),
        Slow::by(RecordingSender::new(), Duration::from_secs(3)),
        Duration::ZERO,
    )
    .with_send_limit(InMemoryLimiter::new(PLENTY))
    .with_lockout(InMemoryLockout::new(cfg.lockout))
    .with_codes(CountingCodes::new());
    let event = create_for(OWNER);
    let mut first_metrics = Metrics::default();
    let first = create(&ctx, &event, NOW, &mut first_metrics);
    let retry = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        create(&ctx, &event, NOW + 1, &mut Metrics::default()).await
    };
    let (first, retry) = tokio::join!(first, retry);
    assert!(delivered(&first.expect("the first round")));
    assert_eq!(retry.expect("the retry")["publicChallengeParameters"]["codeSent"], "false");
    assert_eq!(ctx.sender.inner.sent().len(), 1);
    assert_eq!(ctx.limiter.sends_on_day(&phone(OWNER), NOW), 1);

    // An unknown user's round goes through the same guard, so a retry looks the same for it.
    let slow_store = CreateContext::with_decoy_delay(cfg.clone(), RecordingSender::new(), Duration::ZERO)
        .with_send_limit(InMemoryLimiter::new(PLENTY))
        .with_lockout(Slow::by(InMemoryLockout::new(cfg.lockout), Duration::from_secs(2)))
        .with_codes(CountingCodes::new());
    let unknown = create_for_unknown("+15555550166");
    let mut first_metrics = Metrics::default();
    let first = create(&slow_store, &unknown, NOW, &mut first_metrics);
    let retry = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        create(&slow_store, &unknown, NOW + 1, &mut Metrics::default()).await
    };
    let (first, retry) = tokio::join!(first, retry);
    assert_eq!(first.expect("a decoy round")["publicChallengeParameters"]["codeSent"], "true");
    assert_eq!(retry.expect("a decoy round")["publicChallengeParameters"]["codeSent"], "false");
}

// ------------------------------------------------------------------------ Cognito's 5 seconds

/// Every store just under its own timeout and SNS just under its own: create answers, with a
/// challenge or a clear error, inside Cognito's 5 seconds less the margin, and so does verify.
#[tokio::test(start_paused = true)]
async fn with_every_dependency_at_its_slowest_the_triggers_answer_in_time() {
    let cfg = Config::default();
    let store = Duration::from_millis(790);
    let ctx = CreateContext::with_decoy_delay(
        cfg.clone(),
        Slow::by(RecordingSender::new(), Duration::from_millis(2_990)),
        Duration::ZERO,
    )
    .with_send_limit(Slow::by(InMemoryLimiter::new(PLENTY), store))
    .with_lockout(Slow::by(InMemoryLockout::new(cfg.lockout), store))
    .with_breaker(Slow::by(InMemoryPumpingLedger::with_ceiling(cfg.breaker, cfg.pool_ceiling), store))
    .with_codes(CountingCodes::new());
    let started = Instant::now();
    let event = create_for(OWNER);
    let created = create(&ctx, &event, NOW, &mut Metrics::default()).await;
    assert!(started.elapsed() <= Duration::from_secs(4), "create answered after {:?}", started.elapsed());
    match &created {
        Ok(response) => assert!(response["publicChallengeParameters"]["codeLength"].is_string()),
        Err(error) => assert!(error.contains("in time") || error.contains("did not answer"), "{error}"),
    }
    let response = created.unwrap_or_else(|_| json!({"privateChallengeParameters": {"code": "12345678", "expiresAt": (NOW + 300).to_string(), "delivered": "true"}}));
    let started = Instant::now();
    let verdict =
        verify(&cfg, &ctx.ledger, &ctx.pumping, &event, &response, "00000000", NOW, &mut Metrics::default()).await;
    assert!(started.elapsed() <= Duration::from_secs(4), "verify answered after {:?}", started.elapsed());
    assert_eq!(verdict, Ok(false));
}

/// Stores slow enough that too little time is left to send once the budgets are taken: no SMS,
/// a clear error, and the budgets given back (a round that sends nothing spends none).
#[tokio::test(start_paused = true)]
async fn out_of_time_before_the_send_gives_the_budgets_back() {
    let cfg = config(&[("PREFIX_SMS_BUDGET", "5")]);
    // Steps 1 and 4 (the number's limit) 1.7 s each, steps 2 and 3 (the areas, the budgets)
    // 0.15 s each: 3.7 s of the 4, too little left to send, enough to give back.
    let (limit, pumping) = (Duration::from_millis(1_700), Duration::from_millis(150));
    let ctx = CreateContext::with_decoy_delay(cfg.clone(), RecordingSender::new(), Duration::ZERO)
        .with_send_limit(Slow::by(InMemoryLimiter::new(PLENTY), limit))
        .with_lockout(Slow::by(InMemoryLockout::new(cfg.lockout), Duration::from_millis(100)))
        .with_breaker(Slow::by(InMemoryPumpingLedger::with_ceiling(cfg.breaker, cfg.pool_ceiling), pumping))
        .with_codes(CountingCodes::new());
    let mut metrics = Metrics::default();
    let error = create(&ctx, &create_for(OWNER), NOW, &mut metrics).await.expect_err("no time to send");
    assert!(error.contains("in time"), "{error}");
    assert!(ctx.sender.sent().is_empty());
    assert_eq!(metrics.get(Metric::SmsFailed), 1);
    assert_eq!(ctx.pumping.inner.pool_taken(NOW), (0, 0), "the pool's slot given back");
    let [prefix, _] = Area::of(&phone(OWNER));
    let Area::Prefix(prefix) = prefix else { panic!("a prefix first") };
    assert_eq!(ctx.pumping.inner.budget_taken(&prefix, NOW), 0, "the prefix's budget given back");
}

/// One dependency that never answers, each in turn: the trigger answers with a clear error by its
/// deadline, and nothing is left running.
#[tokio::test(start_paused = true)]
async fn a_dependency_that_never_answers_is_a_clear_error_by_the_deadline() {
    let cfg = Config::default();
    let deadline = Duration::from_secs(4);
    let check = |what: &str, started: Instant, result: Result<Value, String>| {
        assert!(started.elapsed() <= deadline, "{what}: answered after {:?}", started.elapsed());
        let error = result.expect_err(what);
        assert!(error.contains("in time"), "{what}: {error}");
    };
    let limiter = || InMemoryLimiter::new(PLENTY);
    let ledger = || InMemoryLockout::new(cfg.lockout);
    let base = || {
        CreateContext::with_decoy_delay(cfg.clone(), RecordingSender::new(), Duration::ZERO)
            .with_codes(CountingCodes::new())
    };

    let started = Instant::now();
    let ctx = base().with_send_limit(Slow::never(limiter())).with_lockout(ledger());
    check("the per-number table", started, create(&ctx, &create_for(OWNER), NOW, &mut Metrics::default()).await);

    let started = Instant::now();
    let ctx = base().with_send_limit(limiter()).with_lockout(Slow::never(ledger()));
    check("the answer record", started, create(&ctx, &create_for(OWNER), NOW, &mut Metrics::default()).await);

    let started = Instant::now();
    let ctx = base()
        .with_send_limit(limiter())
        .with_lockout(ledger())
        .with_breaker(Slow::never(InMemoryPumpingLedger::new(cfg.breaker)));
    check("the pumping records", started, create(&ctx, &create_for(OWNER), NOW, &mut Metrics::default()).await);

    let started = Instant::now();
    let ctx = CreateContext::with_decoy_delay(cfg.clone(), Slow::never(RecordingSender::new()), Duration::ZERO)
        .with_send_limit(limiter())
        .with_lockout(ledger())
        .with_codes(CountingCodes::new());
    check("SNS", started, create(&ctx, &create_for(OWNER), NOW, &mut Metrics::default()).await);

    // Verify, its store silent.
    let ok = deployment(cfg.clone(), PLENTY);
    let event = create_for(OWNER);
    let response = create(&ok, &event, NOW, &mut Metrics::default()).await.expect("a round");
    let started = Instant::now();
    let silent = Slow::never(ledger());
    let verdict =
        verify(&cfg, &silent, &ok.pumping, &event, &response, &code_of(&response), NOW, &mut Metrics::default()).await;
    assert!(started.elapsed() <= deadline);
    assert!(verdict.expect_err("no verdict").contains("in time"));
}

/// An existing pool's users proved their numbers through the pool's own sign-up: with
/// `TRUST_POOL_VERIFIED_NUMBERS` (the template sets it when it attaches to a pool without its own
/// pre-sign-up) they count as established, so a paused area and the new numbers' share never hold
/// back a launch to them; without it, the same round is a new number's and is held back.
#[tokio::test]
async fn an_existing_pools_verified_users_count_as_established_when_the_pool_proved_them() {
    let number = phone("+447700900123");
    for (trust, sent) in [("true", true), ("false", false)] {
        let ctx = deployment(
            config(&[("TRUST_POOL_VERIFIED_NUMBERS", trust), ("POOL_SMS_PER_HOUR_NEW_NUMBERS", "1")]),
            PLENTY,
        );
        for area in Area::of(&number) {
            ctx.pumping.pause(&area, NOW - 10, NOW + 1_800).await.expect("paused");
        }
        let response = create(&ctx, &create_for(number.expose()), NOW, &mut Metrics::default()).await;
        assert_eq!(delivered(&response.expect("a round")), sent, "TRUST_POOL_VERIFIED_NUMBERS={trust}");
    }
}
