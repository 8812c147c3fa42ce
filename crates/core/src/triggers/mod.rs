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

pub use error::TriggerError;

use crate::challenge::Round;
use crate::metadata::ChallengeState;

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
}

/// Names of the private challenge parameters (create to verify, never shown to the client).
pub mod private {
    pub const CODE: &str = "code";
    pub const EXPIRES_AT: &str = "expiresAt";
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
