//! Cognito's verify auth challenge response trigger; the rules live in
//! [`sms_otp_core::triggers::verify`]. Links the AWS SDK for one DynamoDB call per answer: the
//! answer record per number across sign-ins ([`sms_otp_core::lockout`]), and, for a number's first
//! correct answer, two more: its prefix's and region's conversion ([`sms_otp_core::pumping`]).

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use sms_otp_core::Config;
use sms_otp_core::config::Trigger;
use sms_otp_core::lambda;
use sms_otp_core::lockout::dynamodb::DynamoDbLockout;
use sms_otp_core::lockout::{AnswerLedger, NoLockout};
use sms_otp_core::metrics::{self, Metrics};
use sms_otp_core::pumping::dynamodb::DynamoDbPumpingLedger;
use sms_otp_core::pumping::{NoBreaker, PumpingLedger};
use sms_otp_core::send_limit::dynamodb::Table;
use sms_otp_core::triggers::{self, verify};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda::init_logging();
    let config = lambda::load_config(Trigger::VerifyAuthChallenge)?;
    match config.send_limit_table.clone() {
        Some(table) => {
            let table = Table::new(table);
            let ledger = DynamoDbLockout::new(table.clone(), config.lockout);
            let pumping = DynamoDbPumpingLedger::new(table, config.breaker, config.pool_ceiling);
            serve(&config, &ledger, &pumping).await
        }
        None => {
            tracing::warn!("SEND_LIMIT_TABLE is not set: wrong answers are not counted across sign-ins (no lockout)");
            serve(&config, &NoLockout, &NoBreaker).await
        }
    }
}

async fn serve<A: AnswerLedger, P: PumpingLedger>(config: &Config, ledger: &A, pumping: &P) -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        let context = event.context;
        let user_pool_id = metrics::user_pool_id(&event.payload).to_owned();
        let mut counts = Metrics::default();
        let result = match triggers::from_json(event.payload) {
            // Boxed: the handler's calls nest deep enough to overflow the compiler's type layout
            // limit inside the runtime's own futures.
            Ok(event) => {
                Box::pin(verify::handle(event, config, ledger, pumping, &lambda::invocation(&context), &mut counts))
                    .await
            }
            Err(e) => Err(e),
        };
        lambda::emit_metrics(&counts, config, &user_pool_id);
        result
    }))
    .await
}
