//! The four Cognito triggers: each takes Cognito's event as `aws_lambda_events` defines it and
//! fills in its `response`, by way of the pure rules in [`crate::challenge`].
//!
//! Anything malformed is an [`TriggerError`]: Cognito then fails the sign-in and shows the
//! client the message, and the function goes on serving the next event.

pub mod create;
pub mod define;
mod error;
pub mod pre_sign_up;
pub mod verify;

use aws_lambda_events::event::cognito::CognitoEventUserPoolsChallengeResult;
use serde::de::DeserializeOwned;

pub use error::TriggerError;

use crate::challenge::ChallengeState;
use crate::challenge::Round;
use crate::phone::PhoneNumber;

/// The only challenge this product issues.
pub const CUSTOM_CHALLENGE: &str = "CUSTOM_CHALLENGE";

/// Names of the public challenge parameters (what the client sees of a round).
pub mod public {
    pub const MASKED_PHONE_NUMBER: &str = "maskedPhoneNumber";
    pub const CODE_LENGTH: &str = "codeLength";
    pub const EXPIRES_IN_SECONDS: &str = "expiresInSeconds";
    pub const ATTEMPTS_LEFT: &str = "attemptsLeft";
    pub const RESEND_IN_SECONDS: &str = "resendInSeconds";
    pub const SENDS_LEFT: &str = "sendsLeft";
    /// `"false"` only when this call sent no code because it was Cognito's retry of one that may
    /// have: the client says no new code was sent and offers a resend at once.
    pub const CODE_SENT: &str = "codeSent";

    /// Every public parameter, in the order create writes them.
    pub const ALL: [&str; 7] =
        [MASKED_PHONE_NUMBER, CODE_LENGTH, EXPIRES_IN_SECONDS, ATTEMPTS_LEFT, RESEND_IN_SECONDS, SENDS_LEFT, CODE_SENT];
}

/// The private challenge parameters: what create hands verify of a round, never shown to the
/// client.
pub mod private {
    use std::collections::HashMap;

    use super::TriggerError;
    use crate::challenge::Answerable;
    use crate::code::{Code, Nonce};

    pub const CODE: &str = "code";
    pub const EXPIRES_AT: &str = "expiresAt";
    /// `true` only when the code reached the user; anything else: no answer wins the round.
    pub const DELIVERED: &str = "delivered";
    /// The round's nonce ([`Nonce`]): a counted answer is keyed on it, so a retried verify counts
    /// once. Absent only in rounds made by an earlier version.
    pub const NONCE: &str = "nonce";

    pub fn encode(round: &Answerable) -> HashMap<String, String> {
        let mut params = HashMap::from([
            (CODE.to_owned(), round.code.expose().to_owned()),
            (EXPIRES_AT.to_owned(), round.expires_at.to_string()),
            (DELIVERED.to_owned(), round.delivered.to_string()),
        ]);
        if let Some(nonce) = &round.nonce {
            params.insert(NONCE.to_owned(), nonce.as_str().to_owned());
        }
        params
    }

    /// Reads what [`encode`] wrote; a parameter missing or malformed fails the answer closed.
    pub fn decode(params: &HashMap<String, String>) -> Result<Answerable, TriggerError> {
        let code = params.get(CODE).and_then(|c| Code::parse(c).ok()).ok_or(TriggerError::NoCodeToCompare(CODE))?;
        let expires_at = params
            .get(EXPIRES_AT)
            .and_then(|t| t.parse::<u64>().ok())
            .ok_or(TriggerError::NoCodeToCompare(EXPIRES_AT))?;
        let delivered = match params.get(DELIVERED).map(String::as_str) {
            Some("true") => true,
            Some("false") => false,
            _ => return Err(TriggerError::NoCodeToCompare(DELIVERED)),
        };
        let nonce = match params.get(NONCE) {
            None => None,
            Some(raw) => Some(Nonce::parse(raw).ok_or(TriggerError::NoCodeToCompare(NONCE))?),
        };
        Ok(Answerable { code, expires_at, delivered, nonce })
    }
}

/// Whether this deployment serves sign-ins through the app client `client_id` (the event's
/// `callerContext.clientId`): every client with the stack's own pool, only the stack's client
/// (`APP_CLIENT_ID`) in an existing pool, whose other clients keep their own behaviour.
pub fn serves_client(config: &crate::config::Config, client_id: Option<&str>) -> bool {
    config.app_client_id.as_deref().is_none_or(|ours| client_id == Some(ours))
}

/// Refuses a custom sign-in through another app client than the stack's ([`serves_client`]):
/// define, create and verify call it first, so another client's CUSTOM_AUTH fails with a clear
/// message instead of getting SMS codes it never asked for.
fn only_our_client(config: &crate::config::Config, client_id: Option<&str>) -> Result<(), TriggerError> {
    if serves_client(config, client_id) {
        return Ok(());
    }
    tracing::info!("sign-in refused: another app client's custom sign-in");
    Err(TriggerError::ForeignClient)
}

/// The user's phone number, if it is one the triggers may send to and accept for: well-formed
/// E.164 and *proven* (`phone_number_verified` is `true`). Cognito sets the flag to false whenever
/// the number changes, so a number that was written but never proven is never trusted.
pub fn proven_phone_number(attributes: &std::collections::HashMap<String, String>) -> Option<PhoneNumber> {
    let verified = attributes.get("phone_number_verified").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let number = attributes.get("phone_number").and_then(|raw| PhoneNumber::parse(raw).ok())?;
    verified.then_some(number)
}

/// Reads Cognito's session into rounds, refusing any entry this product did not write.
fn parse_session(session: &[Option<CognitoEventUserPoolsChallengeResult>]) -> Result<Vec<Round>, TriggerError> {
    session
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let foreign = |reason: String| TriggerError::ForeignSession { index, reason };
            let entry = entry.as_ref().ok_or_else(|| foreign("the entry is null".into()))?;
            if entry.challenge_name.as_deref() != Some(CUSTOM_CHALLENGE) {
                return Err(foreign("it is not a CUSTOM_CHALLENGE".into()));
            }
            let metadata = entry.challenge_metadata.as_deref().unwrap_or_default();
            let state = ChallengeState::parse(metadata).map_err(|e| foreign(e.to_string()))?;
            Ok(Round { state, answered_correctly: entry.challenge_result })
        })
        .collect()
}

/// Reads Cognito's event into the trigger's type.
///
/// The binaries take the raw JSON and call this, rather than letting the runtime deserialize,
/// so a malformed event gets a typed error whose message cannot quote a code or a phone number:
/// serde's messages quote the offending value, so every run of 4 or more digits is masked.
pub fn from_json<T: DeserializeOwned>(event: serde_json::Value) -> Result<T, TriggerError> {
    serde_json::from_value(event).map_err(|e| TriggerError::MalformedEvent(mask_digit_runs(&e.to_string())))
}

fn mask_digit_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once('\0')) {
        if c.is_ascii_digit() {
            run.push(c);
            continue;
        }
        if run.len() >= 4 {
            out.push_str(&"*".repeat(run.len()));
        } else {
            out.push_str(&run);
        }
        run.clear();
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::cognito::CognitoEventUserPoolsDefineAuthChallenge;

    #[test]
    fn malformed_events_get_an_error_without_digits() {
        let event = serde_json::json!({"request": {"session": "+15555550100 482913"}, "response": {}});
        let err = from_json::<CognitoEventUserPoolsDefineAuthChallenge>(event).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("the event is not a valid Cognito trigger event"), "{msg}");
        assert!(!msg.contains("5555550100") && !msg.contains("482913"), "{msg}");
    }

    #[test]
    fn digit_runs_are_masked() {
        assert_eq!(mask_digit_runs("at line 1 column 1234: +15555550100"), "at line 1 column ****: +***********");
    }
}
