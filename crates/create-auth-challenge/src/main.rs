//! Cognito's create auth challenge trigger; the rules live in [`sms_otp_core::triggers::create`].
//! Links the AWS SDK: it sends the SMS through Amazon SNS, and checks the per-number SMS limit,
//! the lock and the destination prefix's breaker in DynamoDB.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use sms_otp_core::code::SystemRandom;
use sms_otp_core::config::Trigger;
use sms_otp_core::first_look::FirstLook;
use sms_otp_core::first_look::dynamodb::Batched;
use sms_otp_core::lockout::AnswerLedger;
use sms_otp_core::lockout::dynamodb::DynamoDbLockout;
use sms_otp_core::metrics::{self, Metrics};
use sms_otp_core::pumping::PumpingLedger;
use sms_otp_core::pumping::dynamodb::DynamoDbPumpingLedger;
use sms_otp_core::send_limit::SendLimiter;
use sms_otp_core::send_limit::dynamodb::{DynamoDbLimiter, Table};
use sms_otp_core::sms::sns::SnsSender;
use sms_otp_core::triggers::create::{self, CreateContext};
use sms_otp_core::{lambda, triggers};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda::init_logging();
    let config = lambda::load_config(Trigger::CreateAuthChallenge)?;
    lambda::log_sms_segments(&config);
    // SSL_CERT_FILE, if set, is read and checked now; the roots are used from the first send.
    sms_otp_core::aws::load_tls_roots().inspect_err(|error| tracing::error!(%error, "configuration refused"))?;
    let sender = SnsSender::new(&config.sms);
    match config.send_limit_table.clone() {
        Some(table) => {
            let table = Table::new(table);
            let limiter = DynamoDbLimiter::new(table.clone(), config.per_number);
            let ledger = DynamoDbLockout::new(table.clone(), config.lockout);
            let pumping = DynamoDbPumpingLedger::new(table.clone(), config.breaker, config.pool_ceiling);
            let ctx = CreateContext::new(config, sender)
                .with_send_limit(limiter)
                .with_lockout(ledger)
                .with_breaker(pumping)
                .with_first_look(Batched::new(table));
            serve(&ctx).await
        }
        None => {
            tracing::warn!(
                "SEND_LIMIT_TABLE is not set: no per-number SMS limit, no lockout and no pumping breaker across sign-ins"
            );
            serve(&CreateContext::new(config, sender)).await
        }
    }
}

async fn serve<L: SendLimiter, A: AnswerLedger, P: PumpingLedger, K: FirstLook<L, A, P>>(
    ctx: &CreateContext<SnsSender, L, A, P, SystemRandom, K>,
) -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        let context = event.context;
        let user_pool_id = metrics::user_pool_id(&event.payload).to_owned();
        let mut counts = Metrics::default();
        let result = match triggers::from_json(event.payload) {
            // Boxed: the handler's steps nest deep enough to overflow the compiler's type layout
            // limit inside the runtime's own futures.
            Ok(event) => Box::pin(create::handle(event, ctx, &lambda::invocation(&context), &mut counts)).await,
            Err(e) => Err(e),
        };
        lambda::emit_metrics(&counts, &ctx.config, &user_pool_id);
        result
    }))
    .await
}
