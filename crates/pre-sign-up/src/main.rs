//! Cognito's pre sign-up trigger; the rules live in [`sms_otp_core::triggers::pre_sign_up`].

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use sms_otp_core::config::Trigger;
use sms_otp_core::lambda;
use sms_otp_core::triggers::pre_sign_up::{self, Answer};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda::init_logging();
    let config = &lambda::load_config(Trigger::PreSignUp)?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        // Before anything that could fail: another client's (or an administrator's) sign-up in an
        // existing pool goes back to Cognito as it came.
        if !pre_sign_up::acts_on_raw(config, &event.payload) {
            tracing::info!("sign-up passed through: not a self sign-up through this stack's app client");
            return Ok(Answer::Untouched(event.payload));
        }
        lambda::handle_counted(event.payload, config, |event, metrics| pre_sign_up::handle(event, config, metrics))
            .map(|judged| Answer::Judged(Box::new(judged)))
    }))
    .await
}
