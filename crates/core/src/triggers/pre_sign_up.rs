//! Pre sign-up: only E.164 numbers from allowed countries sign up, and they are confirmed at once
//! (no Cognito-sent SMS, no "confirmation pending" limbo).
//!
//! Anyone can sign up any number, and the account is confirmed before its owner ever sees a code.
//! So a self-service sign-up (`PreSignUp_SignUp`) may carry nothing but the number and the
//! attributes `SIGN_UP_ATTRIBUTES` allows (`locale` by default): otherwise someone could plant an
//! email address or a name on a stranger's number, and the owner would later sign in to an
//! account prepared for them without knowing it existed. Sign-ups an administrator makes
//! (`PreSignUp_AdminCreateUser`) and federated ones are the operator's, and pass as before.

use aws_lambda_events::event::cognito::CognitoEventUserPoolsPreSignup as PreSignUpEvent;
use aws_lambda_events::event::cognito::CognitoEventUserPoolsPreSignupTriggerSource as Source;

use super::TriggerError;
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
