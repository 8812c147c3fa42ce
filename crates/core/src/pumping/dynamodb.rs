//! Sends and correct answers per prefix in the per-number table ([`crate::send_limit::dynamodb`]),
//! under the partition key `phone` = `prefix:+1876`:
//!
//! - `day` = 0: the pause record, `pausedUntil` (Unix seconds) and `expiresAt` (TTL);
//! - `day` = a bucket number ([`BreakerPolicy::bucket`]): that bucket's `sends` and `correct`
//!   and `expiresAt`, added to with one `ADD` each (no read-modify-write).
//!
//! The window is one strongly consistent `Query` of the twelve buckets. Setting a pause is one
//! conditional write that only succeeds if the prefix is not paused already, so a trip is
//! counted once. An operator lifts a pause by deleting the `day = 0` item.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{BreakerPolicy, Prefix, PrefixLedger, PrefixState, WindowCounts};
use crate::aws::{self, Conditional};
use crate::send_limit::LimitError;
use crate::send_limit::dynamodb::Table;

/// The sort key of a prefix's pause record.
pub const PAUSE_DAY: u64 = 0;

/// The partition key of a prefix's items: never a phone number (it has no digits after the
/// prefix), so it cannot meet a number's items.
pub fn partition_key(prefix: &Prefix) -> String {
    format!("prefix:{prefix}")
}

pub struct DynamoDbPrefixLedger {
    table: Table,
    policy: BreakerPolicy,
}

impl DynamoDbPrefixLedger {
    pub fn new(table: Table, policy: BreakerPolicy) -> Self {
        Self { table, policy }
    }

    async fn add(&self, prefix: &Prefix, now: u64, counter: &str) -> Result<(), LimitError> {
        self.table
            .client()
            .update_item()
            .table_name(self.table.name())
            .key("phone", AttributeValue::S(partition_key(prefix)))
            .key("day", number(self.policy.bucket(now)))
            .update_expression("ADD #counter :one SET #expires = :expires")
            .expression_attribute_names("#counter", counter)
            .expression_attribute_names("#expires", "expiresAt")
            .expression_attribute_values(":one", number(1))
            .expression_attribute_values(":expires", number(self.policy.forget_bucket_after(now)))
            .send()
            .await
            .map(drop)
            .map_err(|e| aws::classify(&e).into())
    }

    async fn paused_until(&self, prefix: &Prefix) -> Result<u64, LimitError> {
        let item = self
            .table
            .client()
            .get_item()
            .table_name(self.table.name())
            .key("phone", AttributeValue::S(partition_key(prefix)))
            .key("day", number(PAUSE_DAY))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| LimitError::from(aws::classify(&e)))?;
        Ok(item.item().map_or(0, |item| read_number(item.get("pausedUntil"))))
    }

    async fn window(&self, prefix: &Prefix, now: u64) -> Result<WindowCounts, LimitError> {
        let window = self.policy.window(now);
        let page = self
            .table
            .client()
            .query()
            .table_name(self.table.name())
            .key_condition_expression("phone = :prefix AND #day BETWEEN :from AND :to")
            .expression_attribute_names("#day", "day")
            .expression_attribute_values(":prefix", AttributeValue::S(partition_key(prefix)))
            .expression_attribute_values(":from", number(*window.start()))
            .expression_attribute_values(":to", number(*window.end()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| LimitError::from(aws::classify(&e)))?;
        Ok(page.items().iter().fold(WindowCounts::default(), |sum, item| WindowCounts {
            sends: sum.sends.saturating_add(read_number(item.get("sends"))),
            correct: sum.correct.saturating_add(read_number(item.get("correct"))),
        }))
    }
}

fn number(n: impl ToString) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

/// A count or a time as the table holds it; anything unreadable counts as 0.
fn read_number(value: Option<&AttributeValue>) -> u64 {
    value.and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok()).unwrap_or(0)
}

impl PrefixLedger for DynamoDbPrefixLedger {
    async fn state(&self, prefix: &Prefix, now: u64) -> Result<PrefixState, LimitError> {
        let (paused_until, window) = tokio::join!(self.paused_until(prefix), self.window(prefix, now));
        Ok(PrefixState { paused_until: paused_until?, window: window? })
    }

    async fn record_send(&self, prefix: &Prefix, now: u64) -> Result<(), LimitError> {
        self.add(prefix, now, "sends").await
    }

    async fn record_correct(&self, prefix: &Prefix, now: u64) -> Result<(), LimitError> {
        self.add(prefix, now, "correct").await
    }

    async fn pause(&self, prefix: &Prefix, now: u64, until: u64) -> Result<bool, LimitError> {
        let result = self
            .table
            .client()
            .update_item()
            .table_name(self.table.name())
            .key("phone", AttributeValue::S(partition_key(prefix)))
            .key("day", number(PAUSE_DAY))
            .update_expression("SET #paused = :until, #expires = :until")
            .condition_expression("attribute_not_exists(#paused) OR #paused <= :now")
            .expression_attribute_names("#paused", "pausedUntil")
            .expression_attribute_names("#expires", "expiresAt")
            .expression_attribute_values(":until", number(until))
            .expression_attribute_values(":now", number(now))
            .send()
            .await;
        // Refused for its condition: the prefix was paused already, by another round.
        Ok(match aws::conditional(result)? {
            Conditional::Applied(_) => true,
            Conditional::ConditionFailed => false,
        })
    }
}
