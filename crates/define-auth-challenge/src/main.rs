//! Cognito's define auth challenge trigger; the rules live in [`sms_otp_core::triggers::define`].

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use sms_otp_core::config::Trigger;
use sms_otp_core::lambda;
use sms_otp_core::triggers::define;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda::init_logging();
    let config = &lambda::load_config(Trigger::DefineAuthChallenge)?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        lambda::handle_counted(event.payload, config, |event, metrics| define::handle(event, config, metrics))
    }))
    .await
}
