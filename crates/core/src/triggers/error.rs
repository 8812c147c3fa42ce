use crate::challenge::{SessionError, UnknownAction};
use crate::phone::PhoneError;
use crate::send_limit::LimitError;
use crate::sms::SendError;

/// Everything that makes a trigger refuse an event. Cognito shows the message to the client
/// (inside `UserLambdaValidationException`), so it says what is wrong without echoing a code or a
/// phone number.
#[derive(Debug, thiserror::Error)]
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
            Self::ForeignClient => "ForeignClient",
        }
    }
}

impl From<TriggerError> for lambda_runtime::Diagnostic {
    fn from(error: TriggerError) -> Self {
        Self { error_type: error.kind().to_owned(), error_message: error.to_string() }
    }
}
