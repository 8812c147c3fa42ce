use crate::challenge::{SessionError, UnknownAction};
use crate::phone::PhoneError;
use crate::send_limit::LimitError;
use crate::sms::SendError;
use crate::triggers::private;

/// Everything that makes a trigger refuse an event. Cognito shows the message to the client
/// (inside `UserLambdaValidationException`), so it says what is wrong without echoing a code or a
/// phone number.
#[derive(Debug, thiserror::Error)]
#[cfg_attr(test, derive(strum::EnumCount))]
pub enum TriggerError {
    #[error("the event is not a valid Cognito trigger event: {0}")]
    MalformedEvent(String),
    #[error("session entry {index} is not a challenge of this sign-in ({reason})")]
    ForeignSession { index: usize, reason: String },
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    UnknownAction(#[from] UnknownAction),
    #[error("challengeName must be CUSTOM_CHALLENGE")]
    WrongChallengeName,
    #[error("no code to compare: privateChallengeParameters has no valid `{0}`")]
    NoCodeToCompare(&'static str),
    #[error("challengeAnswer must be a string")]
    AnswerNotAString,
    #[error("could not draw a code from the operating system's random number generator")]
    Random,
    #[error("could not send the sign-in code by SMS: {0}; please try again")]
    Send(#[from] SendError),
    #[error("could not check the per-number limits: {0}; please try again")]
    SendLimit(#[from] LimitError),
    #[error("this account has no verified phone number to send a sign-in code to; ask the app's support to set one")]
    NoUsablePhoneNumber,
    #[error("a phone number is required: pass the phone_number attribute in E.164 format, for example +14155550100")]
    MissingPhoneNumber,
    #[error(transparent)]
    InvalidPhoneNumber(#[from] PhoneError),
    #[error("sign-up with phone numbers from this country is not allowed")]
    CountryNotAllowed,
    /// The attribute name is the client's own input, never a code or a number.
    #[error(
        "sign-up may not set the attribute `{0}`: sign up with the phone number only, and set other attributes after signing in"
    )]
    AttributeNotAllowed(String),
    #[error(
        "this app client's custom sign-in is not served here: the SMS sign-in serves only its own app client (see the stack's UserPoolClientId output)"
    )]
    ForeignClient,
}

impl TriggerError {
    /// A short name for the kind of error: Lambda's `errorType`, and a field in the logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::MalformedEvent(_) => "MalformedEvent",
            Self::ForeignSession { .. } => "ForeignSession",
            Self::Session(_) => "InconsistentSession",
            Self::UnknownAction(_) => "UnknownAction",
            Self::WrongChallengeName => "WrongChallengeName",
            Self::NoCodeToCompare(_) => "NoCodeToCompare",
            Self::AnswerNotAString => "AnswerNotAString",
            Self::Random => "RandomUnavailable",
            Self::Send(_) => "SmsNotSent",
            Self::SendLimit(_) => "SendLimitUnavailable",
            Self::NoUsablePhoneNumber => "NoUsablePhoneNumber",
            Self::MissingPhoneNumber => "MissingPhoneNumber",
            Self::InvalidPhoneNumber(_) => "InvalidPhoneNumber",
            Self::CountryNotAllowed => "CountryNotAllowed",
            Self::AttributeNotAllowed(_) => "AttributeNotAllowed",
            Self::ForeignClient => "ForeignClient",
        }
    }
}

impl TriggerError {
    /// Every error a client can see: each kind once, and each cause of a kind that has several
    /// (the SMS service's, the per-number table's, the session's), with made-up values where a
    /// message carries one. The generated table of `docs/errors.md` (`cargo xtask docs`); a test
    /// below holds it to every variant.
    pub fn examples() -> Vec<TriggerError> {
        let refused = || "Throttling".to_owned();
        vec![
            Self::MalformedEvent("missing field `request`".into()),
            Self::ForeignSession { index: 0, reason: "it is not a CUSTOM_CHALLENGE".into() },
            Self::Session(SessionError::CorrectAnswerNotLast),
            Self::Session(SessionError::CorrectAnswerForUnknownUser),
            Self::Session(SessionError::CorrectAnswerForUndeliveredCode),
            Self::UnknownAction(UnknownAction),
            Self::WrongChallengeName,
            Self::NoCodeToCompare(private::CODE),
            Self::AnswerNotAString,
            Self::Random,
            Self::Send(SendError::Timeout),
            Self::Send(SendError::Unreachable),
            Self::Send(SendError::Refused { code: refused() }),
            Self::SendLimit(LimitError::Timeout),
            Self::SendLimit(LimitError::Unreachable),
            Self::SendLimit(LimitError::Refused { code: refused() }),
            Self::NoUsablePhoneNumber,
            Self::MissingPhoneNumber,
            Self::InvalidPhoneNumber(PhoneError::NotE164),
            Self::CountryNotAllowed,
            Self::AttributeNotAllowed("email".into()),
            Self::ForeignClient,
        ]
    }
}

impl From<TriggerError> for lambda_runtime::Diagnostic {
    fn from(error: TriggerError) -> Self {
        Self { error_type: error.kind().to_owned(), error_message: error.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use strum::EnumCount;

    use super::*;

    #[test]
    fn the_examples_hold_every_kind() {
        let kinds: BTreeSet<&str> = TriggerError::examples().iter().map(TriggerError::kind).collect();
        assert_eq!(
            kinds.len(),
            TriggerError::COUNT,
            "a TriggerError variant has no example in TriggerError::examples() (docs/errors.md): {kinds:?}"
        );
    }
}
