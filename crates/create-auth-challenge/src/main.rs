//! Cognito's create auth challenge trigger; the rules live in [`sms_otp_core::triggers::create`].
//! The only trigger that links the AWS SDK: it sends the SMS through Amazon SNS.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use sms_otp_core::sms::sns::SnsSender;
use sms_otp_core::triggers::create::{self, CreateContext};
use sms_otp_core::{runtime, triggers};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    runtime::init_logging();
    let config = runtime::load_config()?;
    let sender = SnsSender::new(&config.sms);
    let ctx = CreateContext::new(config, sender);
    let ctx = &ctx;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        create::handle(triggers::from_json(event.payload)?, ctx, runtime::unix_now()).await
    }))
    .await
}
