//! Cognito's pre sign-up trigger; the rules live in [`sms_otp_core::triggers::pre_sign_up`].

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use sms_otp_core::triggers::pre_sign_up;
use sms_otp_core::{runtime, triggers};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    runtime::init_logging();
    let config = &runtime::load_config()?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        pre_sign_up::handle(triggers::from_json(event.payload)?, config)
    }))
    .await
}
