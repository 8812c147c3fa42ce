//! Cognito's pre sign-up trigger; the rules live in [`sms_otp_core::triggers::pre_sign_up`].

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use sms_otp_core::config::Trigger;
use sms_otp_core::lambda;
use sms_otp_core::triggers::pre_sign_up;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda::init_logging();
    let config = &lambda::load_config(Trigger::PreSignUp)?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        lambda::handle_counted(event.payload, config, |event, metrics| pre_sign_up::handle(event, config, metrics))
    }))
    .await
}
