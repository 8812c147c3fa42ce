//! Cognito's verify auth challenge response trigger; the rules live in
//! [`sms_otp_core::triggers::verify`].

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use sms_otp_core::triggers::verify;
use sms_otp_core::{runtime, triggers};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    runtime::init_logging();
    let config = &runtime::load_config()?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        verify::handle(triggers::from_json(event.payload)?, config, runtime::unix_now())
    }))
    .await
}
