//! A small Cognito client for the passwordless SMS sign-in, on the AWS SDK for Rust.
//!
//! It uses the standard AWS configuration (region, credentials, `AWS_ENDPOINT_URL`), so the same
//! calls work against a pool deployed to AWS and against the local stack. The end-to-end tests
//! and the demo use it too.

use std::collections::HashMap;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, AuthenticationResultType, ChallengeNameType};
use base64::Engine;
use rand::TryRng;

pub mod emulator;

/// What went wrong, in words a person can act on. Cognito's own message is kept where it
/// carries the reason (a trigger's refusal, a parameter problem).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("sign-in refused: {0}")]
    NotAuthorized(String),
    #[error("no such user (the pool reveals this only when PreventUserExistenceErrors is off)")]
    UserNotFound,
    #[error("this phone number has already signed up")]
    AlreadySignedUp,
    #[error("refused by the sign-in triggers: {0}")]
    Refused(String),
    #[error("invalid request: {0}")]
    InvalidParameter(String),
    #[error("too many requests, try again later: {0}")]
    TooManyRequests(String),
    #[error("the sign-in session expired or was already used; start again")]
    SessionExpired,
    #[error("Cognito error {code}: {message}")]
    Cognito { code: String, message: String },
    #[error("could not reach AWS: {0}")]
    Unreachable(String),
    #[error("unexpected answer from Cognito: {0}")]
    Unexpected(String),
    #[error("{0}")]
    Setup(String),
}

fn classify<E, R>(err: SdkError<E, R>) -> ClientError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let message = err.message().unwrap_or_default().to_owned();
    match err.code() {
        Some("NotAuthorizedException") if message.contains("session") && message.contains("xpired") => {
            ClientError::SessionExpired
        }
        Some("NotAuthorizedException") => ClientError::NotAuthorized(message),
        Some("UserNotFoundException") => ClientError::UserNotFound,
        Some("UsernameExistsException") => ClientError::AlreadySignedUp,
        // A trigger refused: Cognito says UserLambdaValidationException; the local emulator says
        // InvalidLambdaResponseException for the auth triggers. Both carry the trigger's message.
        Some("UserLambdaValidationException") | Some("InvalidLambdaResponseException") => ClientError::Refused(message),
        Some("InvalidParameterException") | Some("InvalidPasswordException") => ClientError::InvalidParameter(message),
        Some("TooManyRequestsException") | Some("LimitExceededException") => ClientError::TooManyRequests(message),
        Some("CodeMismatchException") | Some("ExpiredCodeException") => ClientError::SessionExpired,
        Some(code) => ClientError::Cognito { code: code.to_owned(), message },
        None => ClientError::Unreachable(DisplayErrorContext(&err).to_string()),
    }
}

/// Loads the standard AWS configuration of the environment.
pub async fn aws_config() -> SdkConfig {
    aws_config::load_defaults(BehaviorVersion::latest()).await
}

/// The outputs of a deployed stack (`UserPoolId`, `UserPoolClientId`, `Region`).
pub async fn stack_outputs(sdk: &SdkConfig, stack_name: &str) -> Result<HashMap<String, String>, ClientError> {
    let cfn = aws_sdk_cloudformation::Client::new(sdk);
    let out = cfn.describe_stacks().stack_name(stack_name).send().await.map_err(|e| {
        let detail = e.message().map(str::to_owned).unwrap_or_else(|| DisplayErrorContext(&e).to_string());
        ClientError::Setup(format!("could not read the outputs of stack {stack_name}: {detail}"))
    })?;
    let outputs = out.stacks().first().map(|s| s.outputs()).unwrap_or_default();
    Ok(outputs.iter().filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned()))).collect())
}

/// One round of the sign-in: what the client must answer.
#[derive(Debug, Clone)]
pub struct Challenge {
    /// Cognito's session token for the next call. Always send the latest.
    pub session: String,
    /// The public challenge parameters: `maskedPhoneNumber`, `codeLength`, `expiresInSeconds`,
    /// `attemptsLeft`, `resendInSeconds`, `sendsLeft`, `codeSent`.
    pub parameters: HashMap<String, String>,
}

impl Challenge {
    pub fn get(&self, name: &str) -> &str {
        self.parameters.get(name).map_or("?", String::as_str)
    }

    pub fn number(&self, name: &str) -> Option<u64> {
        self.parameters.get(name).and_then(|v| v.parse().ok())
    }

    /// Whether this round sent a code: `false` when the triggers took the call for Cognito's retry
    /// of one that may have (a new code can be asked for at once).
    pub fn code_sent(&self) -> bool {
        self.get("codeSent") != "false"
    }

    /// One line for people.
    pub fn describe(&self) -> String {
        if !self.code_sent() {
            return format!(
                "no new code was sent to {} this time; ask for one now ({} resends left)",
                self.get("maskedPhoneNumber"),
                self.get("sendsLeft"),
            );
        }
        format!(
            "code sent to {} ({} digits, expires in {} s, {} attempts left, {} resends left, next resend in {} s)",
            self.get("maskedPhoneNumber"),
            self.get("codeLength"),
            self.get("expiresInSeconds"),
            self.get("attemptsLeft"),
            self.get("sendsLeft"),
            self.get("resendInSeconds"),
        )
    }
}

#[derive(Debug, Clone)]
pub struct Tokens {
    pub id_token: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: i32,
}

#[derive(Debug, Clone)]
pub enum Step {
    Challenge(Challenge),
    SignedIn(Tokens),
}

pub struct SignInClient {
    cognito: Client,
    client_id: String,
}

impl SignInClient {
    pub fn new(sdk: &SdkConfig, client_id: impl Into<String>) -> Self {
        Self { cognito: Client::new(sdk), client_id: client_id.into() }
    }

    /// Signs a phone number up. `SignUp` insists on a password even though this pool never
    /// uses one: a random one is sent and forgotten. Pre-sign-up confirms the user at once.
    /// Returns whether Cognito reports the user confirmed.
    ///
    /// The number goes in `Username` only: the pool's username attribute is `phone_number`, so
    /// Cognito fills the attribute from it, and the app client may not write `phone_number`
    /// itself (a `phone_number` user attribute here would be refused as unauthorized).
    pub async fn sign_up(&self, phone: &str) -> Result<bool, ClientError> {
        let out = self
            .cognito
            .sign_up()
            .client_id(&self.client_id)
            .username(phone)
            .password(random_password()?)
            .send()
            .await
            .map_err(classify)?;
        Ok(out.user_confirmed())
    }

    /// `InitiateAuth` with `CUSTOM_AUTH`: the first code goes out by SMS.
    pub async fn start(&self, phone: &str) -> Result<Step, ClientError> {
        let out = self
            .cognito
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::CustomAuth)
            .auth_parameters("USERNAME", phone)
            .send()
            .await
            .map_err(classify)?;
        step(out.challenge_name(), out.session(), out.challenge_parameters(), out.authentication_result())
    }

    /// Answers the current challenge with `code`.
    pub async fn answer(&self, phone: &str, session: &str, code: &str) -> Result<Step, ClientError> {
        self.respond(phone, session, code, None).await
    }

    /// Asks for a new code (`ClientMetadata {"action": "resend"}`). Not a wrong answer.
    pub async fn resend(&self, phone: &str, session: &str) -> Result<Step, ClientError> {
        self.respond(phone, session, "resend", Some("resend")).await
    }

    async fn respond(
        &self,
        phone: &str,
        session: &str,
        answer: &str,
        action: Option<&str>,
    ) -> Result<Step, ClientError> {
        let mut call = self
            .cognito
            .respond_to_auth_challenge()
            .client_id(&self.client_id)
            .challenge_name(ChallengeNameType::CustomChallenge)
            .session(session)
            .challenge_responses("USERNAME", phone)
            .challenge_responses("ANSWER", answer);
        if let Some(action) = action {
            call = call.client_metadata("action", action);
        }
        let out = call.send().await.map_err(classify)?;
        step(out.challenge_name(), out.session(), out.challenge_parameters(), out.authentication_result())
    }
}

fn step(
    name: Option<&ChallengeNameType>,
    session: Option<&str>,
    parameters: Option<&HashMap<String, String>>,
    result: Option<&AuthenticationResultType>,
) -> Result<Step, ClientError> {
    if let Some(result) = result {
        let id_token = result.id_token().ok_or_else(|| ClientError::Unexpected("tokens without an ID token".into()))?;
        return Ok(Step::SignedIn(Tokens {
            id_token: id_token.to_owned(),
            access_token: result.access_token().unwrap_or_default().to_owned(),
            refresh_token: result.refresh_token().map(str::to_owned),
            expires_in: result.expires_in(),
        }));
    }
    match (name, session) {
        (Some(ChallengeNameType::CustomChallenge), Some(session)) => Ok(Step::Challenge(Challenge {
            session: session.to_owned(),
            parameters: parameters.cloned().unwrap_or_default(),
        })),
        (other, _) => Err(ClientError::Unexpected(format!("challenge {other:?} without tokens"))),
    }
}

/// The claims of a JWT (the payload, decoded; the signature is not checked: this is for
/// showing, not for trusting).
pub fn token_claims(jwt: &str) -> Result<serde_json::Value, ClientError> {
    let payload = jwt.split('.').nth(1).ok_or_else(|| ClientError::Unexpected("not a JWT".into()))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|e| ClientError::Unexpected(format!("JWT payload is not base64url: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| ClientError::Unexpected(format!("JWT payload is not JSON: {e}")))
}

/// A code of the same length that is surely not `code` (each digit moved by one), to show or
/// test a wrong answer.
pub fn different_code(code: &str) -> String {
    code.chars().map(|c| if c == '9' { '0' } else { ((c as u8) + 1) as char }).collect()
}

/// A throwaway password that meets Cognito's strictest default policy (upper, lower, digit,
/// symbol, length): `SignUp` requires one, this pool never asks for it again.
pub fn random_password() -> Result<String, ClientError> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rngs::SysRng;
    let mut password = String::from("Aa1!");
    for _ in 0..28 {
        let draw = rng.try_next_u64().map_err(|e| ClientError::Setup(format!("no OS randomness: {e}")))?;
        password.push(ALPHABET[(draw % ALPHABET.len() as u64) as usize] as char);
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_jwt_claims() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"phone_number":"+15555550100"}"#);
        let claims = token_claims(&format!("e30.{payload}.sig")).unwrap();
        assert_eq!(claims["phone_number"], "+15555550100");
        assert!(token_claims("nope").is_err());
    }

    #[test]
    fn passwords_are_long_and_mixed() {
        let a = random_password().unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, random_password().unwrap());
    }
}
