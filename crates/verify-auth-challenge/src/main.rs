//! Cognito's verify auth challenge response trigger; the rules live in
//! [`sms_otp_core::triggers::verify`]. Links the AWS SDK for one DynamoDB call per answer: the
//! wrong-answer count per number across sign-ins ([`sms_otp_core::lockout`]), and a second for a
//! correct one: its destination prefix's conversion ([`sms_otp_core::pumping`]).

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use sms_otp_core::Config;
use sms_otp_core::config::Trigger;
use sms_otp_core::lambda;
use sms_otp_core::lockout::dynamodb::DynamoDbLockout;
use sms_otp_core::lockout::{AnswerLedger, NoLockout};
use sms_otp_core::metrics::{self, Metrics};
use sms_otp_core::pumping::dynamodb::DynamoDbPrefixLedger;
use sms_otp_core::pumping::{NoBreaker, PrefixLedger};
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
            let prefixes = DynamoDbPrefixLedger::new(table, config.breaker);
            serve(&config, &ledger, &prefixes).await
        }
        None => {
            tracing::warn!("SEND_LIMIT_TABLE is not set: wrong answers are not counted across sign-ins (no lockout)");
            serve(&config, &NoLockout, &NoBreaker).await
        }
    }
}

async fn serve<A: AnswerLedger, P: PrefixLedger>(config: &Config, ledger: &A, prefixes: &P) -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        let user_pool_id = metrics::user_pool_id(&event.payload).to_owned();
        let mut counts = Metrics::default();
        let result = match triggers::from_json(event.payload) {
            Ok(event) => verify::handle(event, config, ledger, prefixes, lambda::unix_now(), &mut counts).await,
            Err(e) => Err(e),
        };
        lambda::emit_metrics(&counts, config, &user_pool_id);
        result
    }))
    .await
}
