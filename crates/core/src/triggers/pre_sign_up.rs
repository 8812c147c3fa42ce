//! Pre sign-up: only E.164 numbers from allowed countries sign up, and they are confirmed at once
//! (no Cognito-sent SMS, no "confirmation pending" limbo).
//!
//! Anyone can sign up any number, and the account is confirmed before its owner ever sees a code.
//! So a self-service sign-up (`PreSignUp_SignUp`) may carry nothing but the number and the
//! attributes `SIGN_UP_ATTRIBUTES` allows (`locale` by default): otherwise someone could plant an
//! email address or a name on a stranger's number, and the owner would later sign in to an
//! account prepared for them without knowing it existed. Sign-ups an administrator makes
//! (`PreSignUp_AdminCreateUser`) and federated ones are the operator's, and pass as before.
//!
//! In an existing pool (`APP_CLIENT_ID` set) it judges only self sign-ups through the stack's
//! own app client ([`acts_on`]); the pool's other clients, administrators' `AdminCreateUser` and
//! federated sign-ins pass through untouched, as if no trigger were there.

use aws_lambda_events::event::cognito::CognitoEventUserPoolsPreSignup as PreSignUpEvent;
use aws_lambda_events::event::cognito::CognitoEventUserPoolsPreSignupTriggerSource as Source;
use serde_json::Value;

use super::{TriggerError, serves_client};
use crate::config::Config;
use crate::metrics::{Metric, Metrics};
use crate::phone::PhoneNumber;

/// Attributes Cognito itself sets on a new user, which no client can choose.
const SET_BY_COGNITO: [&str; 1] = ["sub"];

pub fn handle(
    mut event: PreSignUpEvent,
    config: &Config,
    metrics: &mut Metrics,
) -> Result<PreSignUpEvent, TriggerError> {
    let header = &event.cognito_event_user_pools_header;
    if !acts_on(config, header.trigger_source.as_ref(), header.caller_context.client_id.as_deref()) {
        return Ok(event);
    }
    let attributes = &event.request.user_attributes;
    let raw = attributes.get("phone_number").ok_or(TriggerError::MissingPhoneNumber)?;
    let phone =
        PhoneNumber::parse(raw).inspect_err(|_| tracing::info!("sign-up refused: phone_number is not E.164"))?;
    if !config.allowed_countries.allows(&phone) {
        metrics.count(Metric::CountryBlocked);
        tracing::info!(phone = %phone, "sign-up refused: country not allowed");
        return Err(TriggerError::CountryNotAllowed);
    }
    let self_service = matches!(event.cognito_event_user_pools_header.trigger_source, None | Some(Source::SignUp));
    if self_service {
        let mut refused: Vec<&str> = attributes
            .keys()
            .map(String::as_str)
            .filter(|name| !config.sign_up_attributes.allows(name) && !SET_BY_COGNITO.contains(name))
            .collect();
        refused.sort_unstable();
        if let Some(first) = refused.first() {
            metrics.count(Metric::SignUpAttributeRefused);
            tracing::info!(phone = %phone, attribute = first, "sign-up refused: an attribute the sign-up may not set");
            return Err(TriggerError::AttributeNotAllowed((*first).to_owned()));
        }
    }
    event.response.auto_confirm_user = true;
    event.response.auto_verify_phone = config.auto_verify_phone;
    tracing::info!(phone = %phone, auto_verify_phone = config.auto_verify_phone, "sign-up confirmed");
    Ok(event)
}

/// Whether pre-sign-up judges this sign-up: every one with the stack's own pool; in an existing
/// pool only `PreSignUp_SignUp` through the stack's app client.
pub fn acts_on(config: &Config, source: Option<&Source>, client_id: Option<&str>) -> bool {
    config.app_client_id.is_none() || (source == Some(&Source::SignUp) && serves_client(config, client_id))
}

/// [`acts_on`] on the raw event, which the function checks before reading it into its type: a
/// sign-up that is not ours passes through even when its event is one this version cannot read
/// (a trigger source it does not know).
pub fn acts_on_raw(config: &Config, event: &Value) -> bool {
    let source = serde_json::from_value::<Source>(event["triggerSource"].clone()).ok();
    acts_on(config, source.as_ref(), event["callerContext"]["clientId"].as_str())
}

/// What pre-sign-up answers Cognito: the event exactly as it came when it is not ours to judge,
/// else the judged event.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
pub enum Answer {
    Untouched(Value),
    Judged(Box<PreSignUpEvent>),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::events::{PRE_SIGN_UP, event};
    use serde_json::json;

    fn existing_pool(client: &str) -> Config {
        Config::from_lookup(|name| (name == "APP_CLIENT_ID").then(|| client.to_owned())).expect("valid")
    }

    fn sign_up(source: &str, client: Option<&str>) -> Value {
        let mut e = event(PRE_SIGN_UP, "+15555550100", json!({"userAttributes": {"phone_number": "+15555550100"}}));
        e["triggerSource"] = json!(source);
        e["callerContext"]["clientId"] = json!(client);
        e
    }

    #[test]
    fn with_its_own_pool_it_judges_every_sign_up() {
        let config = Config::default();
        for source in [PRE_SIGN_UP, "PreSignUp_AdminCreateUser", "PreSignUp_ExternalProvider"] {
            assert!(acts_on_raw(&config, &sign_up(source, Some("any"))), "{source}");
        }
    }

    #[test]
    fn in_an_existing_pool_only_self_sign_ups_through_its_client() {
        let config = existing_pool("ours");
        assert!(acts_on_raw(&config, &sign_up(PRE_SIGN_UP, Some("ours"))));
        for (source, client) in [
            (PRE_SIGN_UP, Some("theirs")),
            (PRE_SIGN_UP, None),
            ("PreSignUp_AdminCreateUser", Some("ours")),
            ("PreSignUp_ExternalProvider", Some("ours")),
            // A source this version does not know, and a malformed event: not ours either.
            ("PreSignUp_SomethingNew", Some("ours")),
        ] {
            assert!(!acts_on_raw(&config, &sign_up(source, client)), "{source} {client:?}");
        }
        assert!(!acts_on_raw(&config, &json!("not an event")));
    }
}
