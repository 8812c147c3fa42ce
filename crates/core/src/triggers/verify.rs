//! Verify auth challenge: the answer is correct only when it wins the round
//! ([`challenge::answer_is_correct`]: the code was delivered, has not expired and matches in
//! constant time), the user exists and has a proven number from an allowed country, it is not a
//! resend, and the number is not locked ([`crate::lockout`]).
//!
//! An answer to a round whose code was delivered is also counted across sign-ins, in one
//! conditional write: a wrong one adds to the number's count (the one that reaches the limit
//! locks it), keyed on the round's nonce so Cognito's retry of the same call counts once; a
//! correct one resets the count and marks the number established. An answer to a round whose
//! code was never delivered (an unknown user, a locked number, a limit, a retried call) can never
//! win and is not counted, but makes the same kind of call to the store, so the two take the same
//! time. A number's first correct answer also counts for its areas' conversion
//! ([`crate::pumping`]), which the SMS pumping breaker watches. Every call is made within the
//! invocation's deadline ([`Invocation`]).

use aws_lambda_events::event::cognito::CognitoEventUserPoolsVerifyAuthChallenge as VerifyEvent;
use serde_json::Value;

use super::{TriggerError, only_our_client, private, proven_phone_number};
use crate::challenge::{self, Action, Answerable};
use crate::config::Config;
use crate::invocation::Invocation;
use crate::lockout::{AnswerId, AnswerLedger, CorrectAnswer, WrongAnswer};
use crate::metrics::{Metric, Metrics};
use crate::phone::PhoneNumber;
use crate::pumping::{Area, PumpingLedger};

pub async fn handle<A: AnswerLedger, P: PumpingLedger>(
    mut event: VerifyEvent,
    config: &Config,
    ledger: &A,
    pumping: &P,
    at: &Invocation,
    metrics: &mut Metrics,
) -> Result<VerifyEvent, TriggerError> {
    only_our_client(config, event.cognito_event_user_pools_header.caller_context.client_id.as_deref())?;
    let now = at.now;
    let request = &event.request;
    let action = Action::from_client_metadata(&request.client_metadata)?;
    let round = private::decode(&request.private_challenge_parameters)?;

    let correct = match action {
        Action::Resend => false,
        Action::Answer => {
            let answer = match &request.challenge_answer {
                Some(Value::String(answer)) => answer,
                _ => return Err(TriggerError::AnswerNotAString),
            };
            let typed = event.cognito_event_user_pools_header.user_name.as_deref().unwrap_or_default();
            let proven = (!request.user_not_found).then(|| proven_phone_number(&request.user_attributes)).flatten();
            let user_may_sign_in = proven.as_ref().is_some_and(|phone| config.allowed_countries.allows(phone));
            // Both sides are evaluated (`&`, not `&&`), and the code is compared in constant time,
            // so the check's own timing does not tell which condition failed.
            let wins = user_may_sign_in & challenge::answer_is_correct(&round, answer, now);
            let correct = match (&proven, round.delivered) {
                (Some(number), true) => {
                    count(ledger, pumping, config, number, &round, answer, wins, at, metrics).await?
                }
                // Nothing to count: a round no answer can win, or no number to count it for. The
                // store is still asked, as for a counted answer.
                _ => {
                    at.store(ledger.pretend(typed)).await?;
                    false
                }
            };
            metrics.count(if correct { Metric::AnswerCorrect } else { Metric::AnswerWrong });
            correct
        }
    };
    event.response.answer_correct = correct;
    tracing::info!(
        correct,
        resend = action == Action::Resend,
        expired = now >= round.expires_at,
        delivered = round.delivered,
        "answer checked"
    );
    Ok(event)
}

/// Counts the answer to a delivered `round` for `number` across sign-ins; whether it is accepted
/// (a winning answer for a locked number is not).
#[allow(clippy::too_many_arguments)]
async fn count<A: AnswerLedger, P: PumpingLedger>(
    ledger: &A,
    pumping: &P,
    config: &Config,
    number: &PhoneNumber,
    round: &Answerable,
    answer: &str,
    wins: bool,
    at: &Invocation,
    metrics: &mut Metrics,
) -> Result<bool, TriggerError> {
    let now = at.now;
    let log_error = |error: &_| tracing::error!(phone = %number, %error, "answers per number not counted");
    if wins {
        return match at.store(ledger.record_correct(number, now)).await.inspect_err(log_error)? {
            CorrectAnswer::Accepted { first } => {
                // A number the pool proved is established already: no first proof to count.
                if first && config.breaker.min_sends > 0 && !config.trust_pool_verified_numbers {
                    count_first_proof(pumping, number, at).await;
                }
                Ok(true)
            }
            CorrectAnswer::Locked => {
                metrics.count(Metric::RefusedWhileLocked);
                tracing::warn!(phone = %number, "right code refused: the number is locked after too many wrong answers");
                Ok(false)
            }
        };
    }
    let id = round.nonce.as_ref().map(|nonce| AnswerId::of(nonce, answer));
    match at.store(ledger.record_wrong(number, id.as_ref(), now)).await.inspect_err(log_error)? {
        WrongAnswer::LockedNow => {
            metrics.count(Metric::NumberLocked);
            tracing::warn!(phone = %number, "number locked: too many wrong answers in a row across sign-ins");
        }
        WrongAnswer::AlreadyLocked => metrics.count(Metric::RefusedWhileLocked),
        WrongAnswer::Duplicate => {
            metrics.count(Metric::AnswerRepeated);
            tracing::info!(phone = %number, "the same answer to the same round again (a retry): not counted again");
        }
        WrongAnswer::Counted(_) => {}
    }
    Ok(false)
}

/// Counts a number's first correct answer in its areas: the conversion the breaker watches. The
/// user is in; a failure to count is the breaker's loss, not theirs.
async fn count_first_proof<P: PumpingLedger>(pumping: &P, number: &PhoneNumber, at: &Invocation) {
    let [prefix, region] = Area::of(number);
    let (a, b) = tokio::join!(
        at.store(pumping.record_correct(&prefix, at.now)),
        at.store(pumping.record_correct(&region, at.now))
    );
    for (area, result) in [(prefix, a), (region, b)] {
        if let Err(error) = result {
            tracing::error!(%area, %error, "first correct answer not counted for the area");
        }
    }
}
