//! Cognito's define auth challenge trigger; the rules live in [`sms_otp_core::triggers::define`].

use aws_lambda_events::event::cognito::CognitoEventUserPoolsDefineAuthChallenge as Event;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use sms_otp_core::runtime;
use sms_otp_core::triggers::define;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    runtime::init_logging();
    let config = runtime::load_config()?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Event>| async { define::handle(event.payload, &config) })).await
}
