//! Define auth challenge: after each round, decide between another challenge, tokens, or the end.

use aws_lambda_events::event::cognito::CognitoEventUserPoolsDefineAuthChallenge as DefineEvent;

use super::{CUSTOM_CHALLENGE, TriggerError, only_our_client, parse_session};
use crate::challenge::{self, Action, Decision, Limits};
use crate::config::Config;
use crate::metrics::{Metric, Metrics};

pub fn handle(mut event: DefineEvent, config: &Config, metrics: &mut Metrics) -> Result<DefineEvent, TriggerError> {
    only_our_client(config, event.cognito_event_user_pools_header.caller_context.client_id.as_deref())?;
    let request = &event.request;
    let rounds = parse_session(&request.session)?;
    let action = Action::from_client_metadata(&request.client_metadata)?;
    let decision = challenge::decide(&rounds, action, request.user_not_found, &Limits::from(config))?;

    let response = &mut event.response;
    response.issue_tokens = decision == Decision::IssueTokens;
    response.fail_authentication = matches!(decision, Decision::Fail(_));
    response.challenge_name = (decision == Decision::Challenge).then(|| CUSTOM_CHALLENGE.to_owned());

    match decision {
        Decision::Fail(reason) => {
            metrics.count(Metric::SignInLockedOut);
            tracing::info!(round = rounds.len(), ?reason, "sign-in failed");
        }
        _ => tracing::info!(round = rounds.len(), ?decision, "sign-in continues"),
    }
    Ok(event)
}
