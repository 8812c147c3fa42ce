//! Cognito's trigger events as JSON, shaped as Cognito sends them: the header every trigger gets,
//! and a `request` and an empty `response` per trigger. Tests fill in the request; the handlers
//! read the result with [`crate::triggers::from_json`], as the binaries do.

use serde_json::{Value, json};

/// The trigger sources, as Cognito names them in `triggerSource`.
pub const PRE_SIGN_UP: &str = "PreSignUp_SignUp";
pub const DEFINE: &str = "DefineAuthChallenge_Authentication";
pub const CREATE: &str = "CreateAuthChallenge_Authentication";
pub const VERIFY: &str = "VerifyAuthChallengeResponse_Authentication";

/// The user pool the events come from (the metric lines carry it as their dimension).
pub const USER_POOL_ID: &str = "us-east-1_EXAMPLE";

/// An event of `trigger` for the user `user_name` (Cognito passes the internal name for a known
/// user, what the client typed for an unknown one), with `request` and an empty response.
pub fn event(trigger: &str, user_name: &str, request: Value) -> Value {
    json!({
        "version": "1", "region": "us-east-1", "userPoolId": USER_POOL_ID, "userName": user_name,
        "callerContext": {"awsSdkVersion": "aws-sdk-rust", "clientId": "client"},
        "triggerSource": trigger, "request": request, "response": {}
    })
}

/// A user's attributes with `phone` as a proven (`phone_number_verified`) number; none at all for
/// `None` (an unknown user).
pub fn attributes(phone: Option<&str>) -> Value {
    match phone {
        Some(p) => json!({"sub": "sub-1", "phone_number": p, "phone_number_verified": "true"}),
        None => json!({}),
    }
}

/// Cognito's session after the rounds so far: each round's metadata and verify's verdict on it.
pub fn session(rounds: &[(String, bool)]) -> Value {
    rounds
        .iter()
        .map(
            |(meta, ok)| json!({"challengeName": "CUSTOM_CHALLENGE", "challengeResult": ok, "challengeMetadata": meta}),
        )
        .collect()
}

/// A `session` entry as create writes it: `SMSOTP2` metadata, with verify's verdict.
pub fn round(code: &str, issued_at: u64, sends: u32, failures: u32, delivered: bool, correct: bool) -> Value {
    let delivered = u8::from(delivered);
    json!({"challengeName": "CUSTOM_CHALLENGE", "challengeResult": correct,
        "challengeMetadata": format!("SMSOTP2:{code}:{issued_at}:{sends}:{failures}:{delivered}")})
}

/// Create's event for a known user with the proven number `phone`: the first round.
pub fn create_for(phone: &str) -> Value {
    let request = json!({"userAttributes": attributes(Some(phone)), "challengeName": "CUSTOM_CHALLENGE",
        "session": [], "userNotFound": false});
    event(CREATE, phone, request)
}

/// Create's event for a number the pool does not have: Cognito passes what the client typed.
pub fn create_for_unknown(typed: &str) -> Value {
    let request = json!({"userAttributes": {}, "challengeName": "CUSTOM_CHALLENGE", "session": [],
        "userNotFound": true});
    event(CREATE, typed, request)
}

/// Verify's event answering `answer` to the round create made: `user_name` and `create_request`
/// are what create was given (for an unknown user, verify counts the answer against the number
/// typed as the user name), `create_response` what create answered.
pub fn answer_to(user_name: &str, create_request: &Value, create_response: &Value, answer: &str) -> Value {
    let attributes =
        if create_request["userAttributes"].is_object() { create_request["userAttributes"].clone() } else { json!({}) };
    let request = json!({"userAttributes": attributes,
        "privateChallengeParameters": create_response["privateChallengeParameters"].clone(),
        "challengeAnswer": answer, "userNotFound": create_request["userNotFound"] == true});
    event(VERIFY, user_name, request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::NOW;
    use crate::triggers::from_json;
    use aws_lambda_events::event::cognito::{
        CognitoEventUserPoolsCreateAuthChallenge, CognitoEventUserPoolsDefineAuthChallenge,
    };

    #[test]
    fn the_builders_make_events_the_handlers_read() {
        let create: CognitoEventUserPoolsCreateAuthChallenge = from_json(create_for("+15555550100")).expect("create");
        assert_eq!(create.request.user_attributes["phone_number"], "+15555550100");
        assert!(!create.request.user_not_found);
        let unknown: CognitoEventUserPoolsCreateAuthChallenge = from_json(create_for_unknown("+1555")).expect("create");
        assert!(unknown.request.user_not_found);
        let define: CognitoEventUserPoolsDefineAuthChallenge = from_json(event(
            DEFINE,
            "sub-1",
            json!({"userAttributes": attributes(None), "session": [round("123456", NOW, 1, 0, true, true)]}),
        ))
        .expect("define");
        let entry = define.request.session[0].as_ref().expect("an entry");
        assert!(entry.challenge_result);
        assert_eq!(entry.challenge_metadata.as_deref(), Some("SMSOTP2:123456:1763700000:1:0:1"));
    }
}
