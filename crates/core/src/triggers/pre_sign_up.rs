//! Pre sign-up: only E.164 numbers from allowed countries sign up, and they are confirmed at once
//! (no Cognito-sent SMS, no "confirmation pending" limbo).

use aws_lambda_events::event::cognito::CognitoEventUserPoolsPreSignup as PreSignUpEvent;

use super::TriggerError;
use crate::config::Config;
use crate::metrics::{Metric, Metrics};
use crate::phone::PhoneNumber;

pub fn handle(
    mut event: PreSignUpEvent,
    config: &Config,
    metrics: &mut Metrics,
) -> Result<PreSignUpEvent, TriggerError> {
    let raw = event.request.user_attributes.get("phone_number").ok_or(TriggerError::MissingPhoneNumber)?;
    let phone =
        PhoneNumber::parse(raw).inspect_err(|_| tracing::info!("sign-up refused: phone_number is not E.164"))?;
    if !config.allowed_countries.allows(&phone) {
        metrics.count(Metric::CountryBlocked);
        tracing::info!(phone = %phone, "sign-up refused: country not allowed");
        return Err(TriggerError::CountryNotAllowed);
    }
    event.response.auto_confirm_user = true;
    event.response.auto_verify_phone = config.auto_verify_phone;
    tracing::info!(phone = %phone, auto_verify_phone = config.auto_verify_phone, "sign-up confirmed");
    Ok(event)
}
