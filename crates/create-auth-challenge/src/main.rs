//! Cognito's create auth challenge trigger; the rules live in [`sms_otp_core::triggers::create`].
//! The only trigger that links the AWS SDK: it sends the SMS through Amazon SNS.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use sms_otp_core::metrics::{self, Metrics};
use sms_otp_core::send_limit::SendLimiter;
use sms_otp_core::send_limit::dynamodb::DynamoDbLimiter;
use sms_otp_core::sms::sns::SnsSender;
use sms_otp_core::triggers::create::{self, CreateContext};
use sms_otp_core::{runtime, triggers};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    runtime::init_logging();
    let config = runtime::load_config()?;
    // SSL_CERT_FILE, if set, is read and checked now; the roots are used from the first send.
    sms_otp_core::aws::load_tls_roots().inspect_err(|error| tracing::error!(%error, "configuration refused"))?;
    let sender = SnsSender::new(&config.sms);
    match config.send_limit_table.clone() {
        Some(table) => {
            let limiter = DynamoDbLimiter::new(table, config.per_number);
            serve(&CreateContext::new(config, sender).with_send_limit(limiter)).await
        }
        None => {
            tracing::warn!("SEND_LIMIT_TABLE is not set: no per-number SMS limit across sign-ins");
            serve(&CreateContext::new(config, sender)).await
        }
    }
}

async fn serve<L: SendLimiter>(ctx: &CreateContext<SnsSender, L>) -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        let user_pool_id = metrics::user_pool_id(&event.payload).to_owned();
        let mut counts = Metrics::default();
        let result = match triggers::from_json(event.payload) {
            Ok(event) => create::handle(event, ctx, runtime::unix_now(), &mut counts).await,
            Err(e) => Err(e),
        };
        runtime::emit_metrics(&counts, &ctx.config, &user_pool_id);
        result
    }))
    .await
}
