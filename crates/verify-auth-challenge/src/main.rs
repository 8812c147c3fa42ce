//! Cognito's verify auth challenge response trigger; the rules live in
//! [`sms_otp_core::triggers::verify`]. Links the AWS SDK for one DynamoDB call per answer: the
//! wrong-answer count per number across sign-ins ([`sms_otp_core::lockout`]).

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use sms_otp_core::Config;
use sms_otp_core::config::Trigger;
use sms_otp_core::lockout::dynamodb::DynamoDbLockout;
use sms_otp_core::lockout::{AnswerLedger, NoLockout};
use sms_otp_core::metrics::{self, Metrics};
use sms_otp_core::runtime;
use sms_otp_core::send_limit::dynamodb::Table;
use sms_otp_core::triggers::{self, verify};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    runtime::init_logging();
    let config = runtime::load_config(Trigger::VerifyAuthChallenge)?;
    match config.send_limit_table.clone() {
        Some(table) => {
            let ledger = DynamoDbLockout::new(Table::new(table), config.lockout);
            serve(&config, &ledger).await
        }
        None => {
            tracing::warn!("SEND_LIMIT_TABLE is not set: wrong answers are not counted across sign-ins (no lockout)");
            serve(&config, &NoLockout).await
        }
    }
}

async fn serve<A: AnswerLedger>(config: &Config, ledger: &A) -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        let user_pool_id = metrics::user_pool_id(&event.payload).to_owned();
        let mut counts = Metrics::default();
        let result = match triggers::from_json(event.payload) {
            Ok(event) => verify::handle(event, config, ledger, runtime::unix_now(), &mut counts).await,
            Err(e) => Err(e),
        };
        runtime::emit_metrics(&counts, config, &user_pool_id);
        result
    }))
    .await
}
