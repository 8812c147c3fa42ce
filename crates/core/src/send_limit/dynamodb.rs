//! The per-number limit in a DynamoDB table: one item per number and UTC day, one conditional
//! `UpdateItem` per send.
//!
//! Item: `phone` (partition key, E.164) and `day` (sort key, days since 1970-01-01 UTC), `sends`
//! (that day's count), `h00` to `h23` (each hour's count) and `expiresAt` (the table's TTL
//! attribute). The update adds one to `sends` and to the hour's counter only if both are below
//! their limits, in one atomic write: no read-modify-write, so concurrent sign-ins for the same
//! number can never both take the last slot. Operators can look a number up (query by `phone`)
//! or lift its limit (delete its items).
//!
//! The same table keeps each number's wrong answers across sign-ins ([`crate::lockout`]) under
//! `day = 0`; [`Table`] is the one handle (name and client) both use.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{LimitError, PerNumberLimits, Reservation, SendLimiter, Window};
use crate::aws::{self, Conditional, Failure};
use crate::phone::PhoneNumber;

/// Time to open a connection to DynamoDB.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// Time for the reservation, retries included. With SNS's 3 seconds this stays inside
/// Cognito's 5. No per-attempt timeout: see [`aws::service_config`].
pub const RESERVE_TIMEOUT: Duration = Duration::from_millis(800);
/// Attempts at most, the first included.
pub const MAX_ATTEMPTS: u32 = 2;

/// The DynamoDB client's configuration: the function's region, credentials and endpoint (see
/// [`crate::aws`]), [`CONNECT_TIMEOUT`], [`RESERVE_TIMEOUT`] for each call and at most
/// [`MAX_ATTEMPTS`] attempts. Every use of the table (the limit, the lock, the breaker) shares it.
pub fn sdk_config() -> SdkConfig {
    aws::service_config("DYNAMODB", CONNECT_TIMEOUT, RESERVE_TIMEOUT, MAX_ATTEMPTS)
}

/// The per-number table (`SEND_LIMIT_TABLE`): its name, and one client for every use of it,
/// built on the first call from [`sdk_config`] (see [`crate::aws`]), or given. Cloning shares
/// the client.
#[derive(Clone)]
pub struct Table {
    name: String,
    client: Arc<OnceLock<aws_sdk_dynamodb::Client>>,
}

impl Table {
    /// The table `name`, its client built on the first call (rounds that never reach the table
    /// never build it).
    pub fn new(name: String) -> Self {
        Self { name, client: Arc::default() }
    }

    /// The table `name`, reached through `client` (built, say, from [`sdk_config`] with another
    /// endpoint or HTTP client).
    pub fn with_client(name: String, client: aws_sdk_dynamodb::Client) -> Self {
        Self { name, client: Arc::new(OnceLock::from(client)) }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn client(&self) -> &aws_sdk_dynamodb::Client {
        self.client.get_or_init(|| aws_sdk_dynamodb::Client::new(&sdk_config()))
    }
}

pub struct DynamoDbLimiter {
    table: Table,
    limits: PerNumberLimits,
}

impl DynamoDbLimiter {
    /// A limiter on `table`.
    pub fn new(table: Table, limits: PerNumberLimits) -> Self {
        Self { table, limits }
    }
}

fn number(n: impl ToString) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

impl SendLimiter for DynamoDbLimiter {
    async fn reserve(&self, to: &PhoneNumber, now: u64) -> Result<Reservation, LimitError> {
        let window = Window::at(now);
        let result = self
            .table
            .client()
            .update_item()
            .table_name(self.table.name())
            .key("phone", AttributeValue::S(to.expose().to_owned()))
            .key("day", number(window.day))
            .update_expression("ADD #sends :one, #hour :one SET #expires = :expires")
            .condition_expression(
                "(attribute_not_exists(#sends) OR #sends < :per_day) \
                 AND (attribute_not_exists(#hour) OR #hour < :per_hour)",
            )
            .expression_attribute_names("#sends", "sends")
            .expression_attribute_names("#hour", format!("h{:02}", window.hour))
            .expression_attribute_names("#expires", "expiresAt")
            .expression_attribute_values(":one", number(1))
            .expression_attribute_values(":per_day", number(self.limits.per_day))
            .expression_attribute_values(":per_hour", number(self.limits.per_hour))
            .expression_attribute_values(":expires", number(window.forget_after()))
            .send()
            .await;
        Ok(match aws::conditional(result)? {
            Conditional::Applied(_) => Reservation::Granted,
            Conditional::ConditionFailed => Reservation::Refused,
        })
    }
}

impl From<Failure> for LimitError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Timeout => Self::Timeout,
            Failure::Unreachable => Self::Unreachable,
            Failure::Refused { code } => Self::Refused { code },
        }
    }
}
