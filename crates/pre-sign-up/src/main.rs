//! Cognito's pre sign-up trigger; the rules live in [`sms_otp_core::triggers::pre_sign_up`].

use aws_lambda_events::event::cognito::CognitoEventUserPoolsPreSignup as Event;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use sms_otp_core::runtime;
use sms_otp_core::triggers::pre_sign_up;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    runtime::init_logging();
    let config = runtime::load_config()?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Event>| async { pre_sign_up::handle(event.payload, &config) }))
        .await
}
