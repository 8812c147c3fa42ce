//! Verify auth challenge: the answer is correct only when it wins the round
//! ([`challenge::answer_is_correct`]: the code was delivered, has not expired and matches in
//! constant time), the user exists and has a proven number from an allowed country, it is not a
//! resend, and the number is not locked ([`crate::lockout`]).
//!
//! Every answer for a number is also counted across sign-ins: a wrong one adds to the number's
//! count (and may lock it), a correct one resets it. Unknown users' answers are counted against
//! the number they typed, so the lock behaves the same for registered and unknown numbers. An
//! accepted answer also counts for its destination prefix ([`crate::pumping`]): the conversion
//! the SMS pumping breaker watches.

use aws_lambda_events::event::cognito::CognitoEventUserPoolsVerifyAuthChallenge as VerifyEvent;
use serde_json::Value;

use super::{TriggerError, only_our_client, private, proven_phone_number};
use crate::challenge::{self, Action};
use crate::config::Config;
use crate::lockout::{AnswerLedger, Lock, WrongAnswer};
use crate::metrics::{Metric, Metrics};
use crate::phone::PhoneNumber;
use crate::pumping::{Prefix, PrefixLedger};

pub async fn handle<A: AnswerLedger, P: PrefixLedger>(
    mut event: VerifyEvent,
    config: &Config,
    ledger: &A,
    prefixes: &P,
    now: u64,
    metrics: &mut Metrics,
) -> Result<VerifyEvent, TriggerError> {
    only_our_client(config, event.cognito_event_user_pools_header.caller_context.client_id.as_deref())?;
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
            let proven = (!request.user_not_found).then(|| proven_phone_number(&request.user_attributes)).flatten();
            let user_may_sign_in = proven.as_ref().is_some_and(|phone| config.allowed_countries.allows(phone));
            // Both sides are evaluated (`&`, not `&&`), and the code is compared in constant time,
            // so the check's own timing does not tell which condition failed.
            let wins = user_may_sign_in & challenge::answer_is_correct(&round, answer, now);
            let number = match proven {
                Some(phone) => Some(phone),
                None if request.user_not_found => {
                    let typed = event.cognito_event_user_pools_header.user_name.as_deref().unwrap_or_default();
                    PhoneNumber::parse(typed).ok()
                }
                None => None,
            };
            let correct = match &number {
                Some(number) => count(ledger, number, wins, now, metrics).await?,
                None => wins,
            };
            metrics.count(if correct { Metric::AnswerCorrect } else { Metric::AnswerWrong });
            if let Some(number) = number.filter(|_| correct && config.breaker.is_on()) {
                let prefix = Prefix::of(&number);
                // The user is in; a failure to count is the breaker's loss, not theirs.
                if let Err(error) = prefixes.record_correct(&prefix, now).await {
                    tracing::error!(%prefix, %error, "correct answer not counted for the prefix");
                }
            }
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

/// Counts the answer for `number` across sign-ins; whether it is accepted (a winning answer for
/// a locked number is not).
async fn count<A: AnswerLedger>(
    ledger: &A,
    number: &PhoneNumber,
    wins: bool,
    now: u64,
    metrics: &mut Metrics,
) -> Result<bool, TriggerError> {
    let log_error = |error: &_| tracing::error!(phone = %number, %error, "wrong answers per number not counted");
    if wins {
        return match ledger.record_correct(number, now).await.inspect_err(log_error)? {
            Lock::Open => Ok(true),
            Lock::Locked => {
                metrics.count(Metric::RefusedWhileLocked);
                tracing::warn!(phone = %number, "right code refused: the number is locked after too many wrong answers");
                Ok(false)
            }
        };
    }
    match ledger.record_wrong(number, now).await.inspect_err(log_error)? {
        WrongAnswer::LockedNow => {
            metrics.count(Metric::NumberLocked);
            tracing::warn!(phone = %number, "number locked: too many wrong answers in a row across sign-ins");
        }
        WrongAnswer::AlreadyLocked => metrics.count(Metric::RefusedWhileLocked),
        WrongAnswer::Counted(_) => {}
    }
    Ok(false)
}
