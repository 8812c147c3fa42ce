//! Cognito's verify auth challenge response trigger; the rules live in
//! [`sms_otp_core::triggers::verify`].

use aws_lambda_events::event::cognito::CognitoEventUserPoolsVerifyAuthChallenge as Event;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use sms_otp_core::runtime;
use sms_otp_core::triggers::verify;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    runtime::init_logging();
    let config = runtime::load_config()?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Event>| async {
        verify::handle(event.payload, &config, runtime::unix_now())
    }))
    .await
}
