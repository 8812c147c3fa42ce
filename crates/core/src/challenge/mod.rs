//! The sign-in state machine, pure: no I/O, the time passed in.
//!
//! One sign-in is a series of rounds. Define decides what happens after each answer
//! ([`decide`]), create works out the next round's state ([`next_round`]) and what the client may
//! see of it ([`PublicView`]), verify checks an answer ([`answer_is_correct`]). The same inputs
//! always give the same outputs, which is what lets three separate functions agree without
//! sharing anything but Cognito's session.
//!
//! One rule holds every reason a code may not reach its user (a limit, an unknown user, a blocked
//! country, a locked number, a retried call, ...): a new code starts *withheld*
//! ([`ChallengeState::delivery`]), only a send that went out marks it delivered
//! ([`NextRound::mark_delivered`]), and no answer is ever correct in a round whose code was not
//! delivered ([`answer_is_correct`], and [`decide`] refuses a session that says otherwise).

use std::collections::HashMap;

use crate::code::{Code, Nonce};
use crate::config::Config;

pub mod delivery;
pub mod state;

pub use state::{ChallengeState, Delivery, MetadataError};

/// Rounds allowed beyond the attempt and send limits, for resends asked inside the cooldown
/// (they send nothing). Past it the sign-in ends, so a client cannot keep one alive forever.
pub const EXTRA_ROUNDS: u32 = 5;

/// The limits of one sign-in, from the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub otp_ttl_seconds: u64,
    pub max_attempts: u32,
    pub max_sends: u32,
    pub resend_cooldown_seconds: u64,
}

impl From<&Config> for Limits {
    fn from(c: &Config) -> Self {
        Self {
            otp_ttl_seconds: c.otp_ttl_seconds,
            max_attempts: c.max_attempts,
            max_sends: c.max_sends,
            resend_cooldown_seconds: c.resend_cooldown_seconds,
        }
    }
}

impl Limits {
    pub fn max_rounds(&self) -> u32 {
        self.max_attempts + self.max_sends + EXTRA_ROUNDS
    }
}

/// What the client asked for with this call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// An answer to the current challenge (or the start of the sign-in).
    Answer,
    /// `ClientMetadata {"action": "resend"}`: a new code, please. Never a wrong answer.
    Resend,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown clientMetadata action; use \"resend\" for a new code, or \"answer\" (the default) for an answer")]
pub struct UnknownAction;

impl Action {
    /// Reads `clientMetadata.action`: absent or `answer` for an answer, `resend` for a resend.
    /// Other keys are the app's own business and are ignored.
    pub fn from_client_metadata(metadata: &HashMap<String, String>) -> Result<Self, UnknownAction> {
        match metadata.get("action").map(String::as_str) {
            None | Some("answer") => Ok(Self::Answer),
            Some("resend") => Ok(Self::Resend),
            Some(_) => Err(UnknownAction),
        }
    }
}

/// One finished round, as read back from Cognito's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    pub state: ChallengeState,
    /// What verify said of the answer to this round.
    pub answered_correctly: bool,
}

/// What define tells Cognito.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    IssueTokens,
    /// Another round of `CUSTOM_CHALLENGE`.
    Challenge,
    Fail(FailReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailReason {
    TooManyWrongAnswers,
    TooManyResends,
    TooManyRounds,
}

/// A session that cannot have come from this protocol. The sign-in fails closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("the session has a correct answer before its last round")]
    CorrectAnswerNotLast,
    #[error("the session has a correct answer for an unknown user")]
    CorrectAnswerForUnknownUser,
    #[error("the session has a correct answer in a round whose code was not delivered")]
    CorrectAnswerForUndeliveredCode,
}

/// Define's decision after `rounds`, for the current `action`.
pub fn decide(
    rounds: &[Round],
    action: Action,
    user_not_found: bool,
    limits: &Limits,
) -> Result<Decision, SessionError> {
    let Some((last, earlier)) = rounds.split_last() else {
        return Ok(Decision::Challenge);
    };
    if earlier.iter().any(|r| r.answered_correctly) {
        return Err(SessionError::CorrectAnswerNotLast);
    }
    if last.answered_correctly {
        return match (user_not_found, last.state.is_delivered()) {
            (true, _) => Err(SessionError::CorrectAnswerForUnknownUser),
            (false, false) => Err(SessionError::CorrectAnswerForUndeliveredCode),
            (false, true) => Ok(Decision::IssueTokens),
        };
    }
    if rounds.len() >= limits.max_rounds() as usize {
        return Ok(Decision::Fail(FailReason::TooManyRounds));
    }
    Ok(match action {
        Action::Resend if last.state.sends >= limits.max_sends => Decision::Fail(FailReason::TooManyResends),
        Action::Answer if last.state.failures.saturating_add(1) >= limits.max_attempts => {
            Decision::Fail(FailReason::TooManyWrongAnswers)
        }
        Action::Resend | Action::Answer => Decision::Challenge,
    })
}

/// The next round, as create works it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextRound {
    pub state: ChallengeState,
    /// Whether this round's code must be sent now (a new code was drawn, still undelivered).
    pub send: bool,
}

impl NextRound {
    /// The new code reached its user (the SMS went out, or a test number's fixed code): only
    /// now can the round be won.
    pub fn mark_delivered(&mut self) {
        debug_assert!(self.send, "only a new code is delivered");
        self.state.delivery = Delivery::Delivered;
    }

    /// This call is Cognito's retry of one that may have sent the new code: nothing is sent now
    /// and no send is counted (the call it repeats counted its own). The round keeps a fresh code
    /// that no answer can win, and offers a resend at once ([`resend_allowed`]).
    pub fn mark_unsent(&mut self, previous: Option<&ChallengeState>) {
        debug_assert!(self.send, "only a new code can be left unsent");
        self.state.delivery = Delivery::Unsent;
        self.state.sends = previous.map_or(0, |p| p.sends);
        self.send = false;
    }
}

/// The state of the round create is making, from the previous round's state (`None` for the
/// first round). `draw` is only called when a new code is needed.
pub fn next_round<E>(
    previous: Option<&ChallengeState>,
    action: Action,
    now: u64,
    limits: &Limits,
    draw: impl FnOnce() -> Result<Code, E>,
) -> Result<NextRound, E> {
    let Some(prev) = previous else {
        let state =
            ChallengeState { code: draw()?, issued_at: now, sends: 1, failures: 0, delivery: Delivery::Withheld };
        return Ok(NextRound { state, send: true });
    };
    match action {
        Action::Answer => {
            let state = ChallengeState { failures: prev.failures.saturating_add(1), ..prev.clone() };
            Ok(NextRound { state, send: false })
        }
        Action::Resend if resend_allowed(prev, now, limits) => {
            let state = ChallengeState {
                code: draw()?,
                issued_at: now,
                sends: prev.sends.saturating_add(1),
                failures: prev.failures,
                delivery: Delivery::Withheld,
            };
            Ok(NextRound { state, send: true })
        }
        Action::Resend => Ok(NextRound { state: prev.clone(), send: false }),
    }
}

/// Whether a resend after `prev` sends a new code: sends are left, and the cooldown since the
/// last code is over (a round whose code was unsent has no cooldown: nothing went out).
fn resend_allowed(prev: &ChallengeState, now: u64, limits: &Limits) -> bool {
    let cooled =
        prev.delivery == Delivery::Unsent || now >= prev.issued_at.saturating_add(limits.resend_cooldown_seconds);
    prev.sends < limits.max_sends && cooled
}

/// Unix seconds after which the round's code no longer works.
pub fn expires_at(state: &ChallengeState, limits: &Limits) -> u64 {
    state.issued_at.saturating_add(limits.otp_ttl_seconds)
}

/// What the client is told about the current round (Cognito's public challenge parameters).
/// Never the code, never the number in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicView {
    pub code_length: usize,
    pub expires_in: u64,
    pub attempts_left: u32,
    /// Seconds until a resend will send a new code; 0 when `sends_left` is 0.
    pub resend_in: u64,
    pub sends_left: u32,
    /// `false` only when this call sent no code because it was a retry ([`Delivery::Unsent`]):
    /// the client says so and offers a resend at once. Withheld rounds say `true`, as real ones.
    pub code_sent: bool,
}

impl PublicView {
    pub fn of(state: &ChallengeState, now: u64, limits: &Limits) -> Self {
        let sends_left = limits.max_sends.saturating_sub(state.sends);
        let code_sent = state.delivery != Delivery::Unsent;
        let resend_in = if sends_left == 0 || !code_sent {
            0
        } else {
            state.issued_at.saturating_add(limits.resend_cooldown_seconds).saturating_sub(now)
        };
        Self {
            code_length: state.code.len(),
            expires_in: expires_at(state, limits).saturating_sub(now),
            attempts_left: limits.max_attempts.saturating_sub(state.failures),
            resend_in,
            sends_left,
            code_sent,
        }
    }
}

/// What verify is handed of the round being answered (Cognito's private challenge parameters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answerable {
    pub code: Code,
    /// Unix seconds after which the code no longer works ([`expires_at`]).
    pub expires_at: u64,
    /// Whether the code was delivered ([`ChallengeState::delivery`]): false means no answer can be
    /// correct, and none is counted toward the number's lock.
    pub delivered: bool,
    /// The round's nonce, fresh for every round create makes: a counted answer is keyed on it
    /// ([`crate::lockout::AnswerId`]). `None` only for a round made by an earlier version.
    pub nonce: Option<Nonce>,
}

impl Answerable {
    pub fn of(state: &ChallengeState, limits: &Limits, nonce: Nonce) -> Self {
        Self {
            code: state.code.clone(),
            expires_at: expires_at(state, limits),
            delivered: state.is_delivered(),
            nonce: Some(nonce),
        }
    }
}

/// Whether `answer` wins `round`: its code was delivered, it has not expired, and the answer is
/// the code. Surrounding white space is ignored (a pasted code often carries some); anything
/// else must match exactly, in constant time. Every condition is evaluated, so the time taken
/// does not tell which one failed.
pub fn answer_is_correct(round: &Answerable, answer: &str, now: u64) -> bool {
    let matches = round.code.matches(answer.trim());
    matches & (now < round.expires_at) & round.delivered
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    use crate::testkit::NOW;

    fn limits() -> Limits {
        Limits::from(&Config::default()) // ttl 300, 3 attempts, 3 sends, cooldown 30
    }

    fn code(s: &str) -> Code {
        Code::parse(s).unwrap()
    }

    fn state(sends: u32, failures: u32) -> ChallengeState {
        ChallengeState { code: code("111111"), issued_at: NOW, sends, failures, delivery: Delivery::Delivered }
    }

    fn wrong(sends: u32, failures: u32) -> Round {
        Round { state: state(sends, failures), answered_correctly: false }
    }

    fn draw(s: &'static str) -> impl FnOnce() -> Result<Code, Infallible> {
        move || Ok(code(s))
    }

    fn no_draw() -> Result<Code, Infallible> {
        panic!("no new code may be drawn here")
    }

    #[test]
    fn first_call_asks_for_a_challenge() {
        assert_eq!(decide(&[], Action::Answer, false, &limits()), Ok(Decision::Challenge));
        // Unknown users go through the same rounds.
        assert_eq!(decide(&[], Action::Answer, true, &limits()), Ok(Decision::Challenge));
    }

    #[test]
    fn correct_answer_issues_tokens() {
        let rounds = [wrong(1, 0), Round { state: state(1, 1), answered_correctly: true }];
        assert_eq!(decide(&rounds, Action::Answer, false, &limits()), Ok(Decision::IssueTokens));
    }

    #[test]
    fn correct_answer_for_unknown_user_fails_closed() {
        let rounds = [Round { state: state(1, 0), answered_correctly: true }];
        assert_eq!(decide(&rounds, Action::Answer, true, &limits()), Err(SessionError::CorrectAnswerForUnknownUser));
    }

    #[test]
    fn correct_answer_before_the_last_round_fails_closed() {
        let rounds = [Round { state: state(1, 0), answered_correctly: true }, wrong(1, 1)];
        assert_eq!(decide(&rounds, Action::Answer, false, &limits()), Err(SessionError::CorrectAnswerNotLast));
    }

    #[test]
    fn wrong_answers_until_max_attempts() {
        let l = limits();
        assert_eq!(decide(&[wrong(1, 0)], Action::Answer, false, &l), Ok(Decision::Challenge));
        assert_eq!(decide(&[wrong(1, 0), wrong(1, 1)], Action::Answer, false, &l), Ok(Decision::Challenge));
        assert_eq!(
            decide(&[wrong(1, 0), wrong(1, 1), wrong(1, 2)], Action::Answer, false, &l),
            Ok(Decision::Fail(FailReason::TooManyWrongAnswers))
        );
        let one = Limits { max_attempts: 1, ..l };
        assert_eq!(
            decide(&[wrong(1, 0)], Action::Answer, false, &one),
            Ok(Decision::Fail(FailReason::TooManyWrongAnswers))
        );
    }

    #[test]
    fn resend_is_not_a_wrong_answer() {
        let l = limits();
        // Two wrong answers recorded; a resend must not be the third.
        let rounds = [wrong(1, 0), wrong(1, 1), wrong(1, 2)];
        assert_eq!(decide(&rounds[..2], Action::Resend, false, &l), Ok(Decision::Challenge));
        let next = next_round(Some(&state(1, 2)), Action::Resend, NOW + 30, &l, draw("222222")).unwrap();
        assert_eq!(next.state.failures, 2);
    }

    #[test]
    fn asking_for_more_than_max_sends_ends_the_sign_in() {
        let l = limits();
        assert_eq!(decide(&[wrong(2, 0)], Action::Resend, false, &l), Ok(Decision::Challenge));
        assert_eq!(decide(&[wrong(3, 0)], Action::Resend, false, &l), Ok(Decision::Fail(FailReason::TooManyResends)));
        // ...but an answer is still allowed after the last send.
        assert_eq!(decide(&[wrong(3, 0)], Action::Answer, false, &l), Ok(Decision::Challenge));
    }

    #[test]
    fn rounds_are_capped() {
        let l = limits();
        let rounds: Vec<Round> = (0..l.max_rounds()).map(|_| wrong(1, 0)).collect();
        assert_eq!(decide(&rounds, Action::Resend, false, &l), Ok(Decision::Fail(FailReason::TooManyRounds)));
        assert_eq!(decide(&rounds[1..], Action::Resend, false, &l), Ok(Decision::Challenge));
    }

    #[test]
    fn first_round_draws_and_sends() {
        let next = next_round(None, Action::Answer, NOW, &limits(), draw("123456")).unwrap();
        assert_eq!(
            next,
            NextRound {
                state: ChallengeState {
                    code: code("123456"),
                    issued_at: NOW,
                    sends: 1,
                    failures: 0,
                    delivery: Delivery::Withheld
                },
                send: true
            }
        );
        // A resend asked on the first call is just the first send.
        let next = next_round(None, Action::Resend, NOW, &limits(), draw("123456")).unwrap();
        assert_eq!(next.state.sends, 1);
    }

    #[test]
    fn wrong_answer_keeps_the_code_and_sends_nothing() {
        let prev = state(1, 0);
        let next = next_round(Some(&prev), Action::Answer, NOW + 100, &limits(), no_draw).unwrap();
        assert!(!next.send);
        assert_eq!(next.state, ChallengeState { failures: 1, ..prev });
    }

    #[test]
    fn resend_inside_the_cooldown_keeps_the_code() {
        let prev = state(1, 0);
        let next = next_round(Some(&prev), Action::Resend, NOW + 29, &limits(), no_draw).unwrap();
        assert_eq!(next, NextRound { state: prev.clone(), send: false });
        assert_eq!(PublicView::of(&next.state, NOW + 29, &limits()).resend_in, 1);
    }

    #[test]
    fn resend_after_the_cooldown_replaces_the_code() {
        let prev = state(1, 1);
        let next = next_round(Some(&prev), Action::Resend, NOW + 30, &limits(), draw("222222")).unwrap();
        assert!(next.send);
        assert_eq!(
            next.state,
            ChallengeState {
                code: code("222222"),
                issued_at: NOW + 30,
                sends: 2,
                failures: 1,
                delivery: Delivery::Withheld
            }
        );
        let mut sent = next.clone();
        sent.mark_delivered();
        // The old code no longer matches what verify will be given.
        assert!(!answer_is_correct(
            &Answerable::of(&sent.state, &limits(), Nonce::from_counter(1)),
            "111111",
            NOW + 31
        ));
        assert!(answer_is_correct(&Answerable::of(&sent.state, &limits(), Nonce::from_counter(1)), "222222", NOW + 31));
    }

    #[test]
    fn zero_cooldown_allows_an_immediate_resend() {
        let l = Limits { resend_cooldown_seconds: 0, ..limits() };
        let next = next_round(Some(&state(1, 0)), Action::Resend, NOW, &l, draw("222222")).unwrap();
        assert!(next.send);
    }

    #[test]
    fn no_resend_past_max_sends() {
        let prev = state(3, 0);
        let next = next_round(Some(&prev), Action::Resend, NOW + 1000, &limits(), no_draw).unwrap();
        assert_eq!(next, NextRound { state: prev, send: false });
    }

    #[test]
    fn draw_errors_propagate() {
        let result = next_round(None, Action::Answer, NOW, &limits(), || Err::<Code, _>("no entropy"));
        assert_eq!(result, Err("no entropy"));
    }

    #[test]
    fn public_view_counts_down() {
        let l = limits();
        let view = PublicView::of(&state(1, 1), NOW + 10, &l);
        assert_eq!(
            view,
            PublicView {
                code_length: 6,
                expires_in: 290,
                attempts_left: 2,
                resend_in: 20,
                sends_left: 2,
                code_sent: true
            }
        );
        let view = PublicView::of(&state(3, 0), NOW + 400, &l);
        assert_eq!(
            view,
            PublicView {
                code_length: 6,
                expires_in: 0,
                attempts_left: 3,
                resend_in: 0,
                sends_left: 0,
                code_sent: true
            }
        );
    }

    #[test]
    fn answers_must_match_before_expiry() {
        let round = Answerable { code: code("012345"), expires_at: NOW + 300, delivered: true, nonce: None };
        assert!(answer_is_correct(&round, "012345", NOW));
        assert!(answer_is_correct(&round, " 012345\n", NOW + 299));
        assert!(!answer_is_correct(&round, "012345", NOW + 300), "expired at its expiry second");
        assert!(!answer_is_correct(&round, "012346", NOW));
        assert!(!answer_is_correct(&round, "0123 45", NOW));
        assert!(!answer_is_correct(&round, "", NOW));
    }

    #[test]
    fn no_answer_wins_a_round_whose_code_was_not_delivered() {
        let round = Answerable { code: code("012345"), expires_at: NOW + 300, delivered: false, nonce: None };
        assert!(!answer_is_correct(&round, "012345", NOW), "not even its own code");
        // A new code is undelivered until create marks it; a wrong answer or a resend inside the
        // cooldown keeps the round as it was.
        let l = limits();
        let mut first = next_round(None, Action::Answer, NOW, &l, draw("222222")).unwrap();
        assert!(!answer_is_correct(&Answerable::of(&first.state, &l, Nonce::from_counter(1)), "222222", NOW));
        let withheld = first.state.clone();
        for action in [Action::Answer, Action::Resend] {
            let next = next_round(Some(&withheld), action, NOW + 1, &l, no_draw).unwrap();
            assert!(
                !next.state.is_delivered()
                    && !answer_is_correct(&Answerable::of(&next.state, &l, Nonce::from_counter(1)), "222222", NOW + 1)
            );
        }
        first.mark_delivered();
        assert!(answer_is_correct(&Answerable::of(&first.state, &l, Nonce::from_counter(1)), "222222", NOW));
    }

    #[test]
    fn a_retried_call_sends_nothing_and_offers_a_resend_at_once() {
        let l = limits();
        // The first round, retried: no send counted, no cooldown, a code no answer wins.
        let mut first = next_round(None, Action::Answer, NOW, &l, draw("222222")).unwrap();
        first.mark_unsent(None);
        assert!(!first.send);
        assert_eq!((first.state.sends, first.state.delivery), (0, Delivery::Unsent));
        let view = PublicView::of(&first.state, NOW, &l);
        assert_eq!((view.code_sent, view.resend_in, view.sends_left), (false, 0, 3));
        assert!(!answer_is_correct(&Answerable::of(&first.state, &l, Nonce::from_counter(1)), "222222", NOW));
        let resend = next_round(Some(&first.state), Action::Resend, NOW, &l, draw("333333")).unwrap();
        assert!(resend.send, "a resend at once sends a code");
        assert_eq!(resend.state.sends, 1);
        // A retried resend keeps the sends of the round before it.
        let mut again = next_round(Some(&state(1, 1)), Action::Resend, NOW + 30, &l, draw("444444")).unwrap();
        again.mark_unsent(Some(&state(1, 1)));
        assert_eq!((again.state.sends, again.state.failures), (1, 1));
        assert_eq!(
            decide(&[Round { state: again.state, answered_correctly: false }], Action::Resend, false, &l),
            Ok(Decision::Challenge)
        );
    }

    #[test]
    fn a_correct_mark_on_an_undelivered_round_fails_closed() {
        let undelivered = ChallengeState { delivery: Delivery::Withheld, ..state(1, 0) };
        let rounds = [Round { state: undelivered, answered_correctly: true }];
        assert_eq!(
            decide(&rounds, Action::Answer, false, &limits()),
            Err(SessionError::CorrectAnswerForUndeliveredCode)
        );
    }

    #[test]
    fn actions_other_than_resend_are_refused() {
        let meta = |v: &str| HashMap::from([("action".to_string(), v.to_string())]);
        assert_eq!(Action::from_client_metadata(&HashMap::new()), Ok(Action::Answer));
        assert_eq!(Action::from_client_metadata(&meta("resend")), Ok(Action::Resend));
        assert_eq!(Action::from_client_metadata(&meta("answer")), Ok(Action::Answer));
        assert_eq!(Action::from_client_metadata(&meta("Resend")), Err(UnknownAction));
        let other_keys = HashMap::from([("locale".to_string(), "en".to_string())]);
        assert_eq!(Action::from_client_metadata(&other_keys), Ok(Action::Answer));
    }
}
