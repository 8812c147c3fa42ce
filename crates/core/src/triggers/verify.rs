//! Verify auth challenge: the answer is correct only when it matches the round's code in constant
//! time, before its expiry, for a user that exists and may sign in, and is not a resend.

use aws_lambda_events::event::cognito::CognitoEventUserPoolsVerifyAuthChallenge as VerifyEvent;
use serde_json::Value;

use super::{TriggerError, private};
use crate::challenge::{self, Request};
use crate::code::Code;
use crate::config::Config;
use crate::metrics::{Metric, Metrics};
use crate::phone::PhoneNumber;

pub fn handle(
    mut event: VerifyEvent,
    config: &Config,
    now: u64,
    metrics: &mut Metrics,
) -> Result<VerifyEvent, TriggerError> {
    let request = &event.request;
    let action = Request::from_client_metadata(&request.client_metadata)?;
    let params = &request.private_challenge_parameters;
    let code = params
        .get(private::CODE)
        .and_then(|c| Code::parse(c).ok())
        .ok_or(TriggerError::NoCodeToCompare(private::CODE))?;
    let expires_at = params
        .get(private::EXPIRES_AT)
        .and_then(|t| t.parse::<u64>().ok())
        .ok_or(TriggerError::NoCodeToCompare(private::EXPIRES_AT))?;

    let correct = match action {
        Request::Resend => false,
        Request::Answer => {
            let answer = match &request.challenge_answer {
                Some(Value::String(answer)) => answer,
                _ => return Err(TriggerError::AnswerNotAString),
            };
            // Evaluate every condition, so the time taken does not tell which one failed.
            let user_may_sign_in = !request.user_not_found && phone_allowed(&request.user_attributes, config);
            let matches = challenge::answer_is_correct(&code, expires_at, answer, now);
            let correct = user_may_sign_in & matches;
            metrics.count(if correct { Metric::AnswerCorrect } else { Metric::AnswerWrong });
            correct
        }
    };
    event.response.answer_correct = correct;
    tracing::info!(correct, resend = action == Request::Resend, expired = now >= expires_at, "answer checked");
    Ok(event)
}

/// The user's number is still one this deployment sends to (the allow-list may have changed
/// since sign-up; create sent no code then).
fn phone_allowed(attributes: &std::collections::HashMap<String, String>, config: &Config) -> bool {
    attributes
        .get("phone_number")
        .and_then(|raw| PhoneNumber::parse(raw).ok())
        .is_some_and(|phone| config.allowed_countries.allows(&phone))
}
