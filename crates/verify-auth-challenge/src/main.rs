//! Cognito's verify auth challenge response trigger; the rules live in
//! [`sms_otp_core::triggers::verify`].

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use sms_otp_core::runtime;
use sms_otp_core::triggers::verify;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    runtime::init_logging();
    let config = &runtime::load_config()?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        runtime::handle_counted(event.payload, config, |event, metrics| {
            verify::handle(event, config, runtime::unix_now(), metrics)
        })
    }))
    .await
}
