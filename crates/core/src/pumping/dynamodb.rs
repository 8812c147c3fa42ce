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

#[cfg(test)]
mod tests {

    use aws_sdk_dynamodb::operation::get_item::{GetItemInput, GetItemOutput};
    use aws_sdk_dynamodb::operation::query::{QueryInput, QueryOutput};
    use aws_sdk_dynamodb::operation::update_item::{UpdateItemInput, UpdateItemOutput};
    use aws_smithy_mocks::{Rule, RuleMode, mock};

    use super::*;
    use crate::aws::mocked::{self, map, n, only, recorder};
    use crate::phone::PhoneNumber;
    use crate::send_limit::dynamodb::sdk_config;

    const TABLE: &str = "sms-send-limit";
    /// 2025-11-21 13:00:05 UTC.
    const NOW: u64 = 1_763_730_005;
    /// With 5-minute buckets: NOW / 300 + 1.
    const BUCKET: u64 = 5_879_101;
    const POLICY: BreakerPolicy = BreakerPolicy {
        min_sends: 20,
        min_conversion_percent: 10,
        pause_seconds: 1_800,
        window_seconds: 3_600,
        budget_per_window: 0,
    };

    fn prefix() -> Prefix {
        Prefix::of(&PhoneNumber::parse("+18765550100").expect("a valid number"))
    }

    fn ledger(rules: &[&Rule]) -> DynamoDbPrefixLedger {
        let client = mocked::dynamodb(&sdk_config(), mocked::mock_http(), rules);
        DynamoDbPrefixLedger::new(Table::with_client(TABLE.into(), client), POLICY)
    }

    #[tokio::test]
    async fn sends_and_correct_answers_add_one_to_the_current_bucket_of_the_prefix() {
        for (counter, record_send) in [("sends", true), ("correct", false)] {
            let (seen, record) = recorder::<UpdateItemInput>();
            let rule = mock!(aws_sdk_dynamodb::Client::update_item)
                .match_requests(record)
                .then_output(|| UpdateItemOutput::builder().build());
            let ledger = ledger(&[&rule]);
            let result = if record_send {
                ledger.record_send(&prefix(), NOW).await
            } else {
                ledger.record_correct(&prefix(), NOW).await
            };
            assert_eq!(result, Ok(()), "{counter}");

            let update = only(&seen, "UpdateItem");
            assert_eq!(update.table_name(), Some(TABLE));
            // Never a phone number: it cannot meet a number's items.
            assert_eq!(
                update.key(),
                Some(&map(&[("phone", AttributeValue::S("prefix:+1876".into())), ("day", n(BUCKET))]))
            );
            assert_eq!(update.update_expression(), Some("ADD #counter :one SET #expires = :expires"));
            assert_eq!(update.condition_expression(), None, "counting needs no condition");
            assert_eq!(
                update.expression_attribute_names(),
                Some(&map(&[("#counter", counter.to_owned()), ("#expires", "expiresAt".to_owned())]))
            );
            // Kept until no window can cover the bucket: the window and one bucket more.
            assert_eq!(
                update.expression_attribute_values(),
                Some(&map(&[(":one", n(1)), (":expires", n(NOW + 3_600 + 300))]))
            );
        }
    }

    #[tokio::test]
    async fn the_state_is_the_pause_and_the_sum_of_the_window_s_buckets_read_consistently() {
        let (gets, record_get) = recorder::<GetItemInput>();
        let (queries, record_query) = recorder::<QueryInput>();
        let get = mock!(aws_sdk_dynamodb::Client::get_item)
            .match_requests(record_get)
            .then_output(|| GetItemOutput::builder().set_item(Some(map(&[("pausedUntil", n(NOW + 60))]))).build());
        let query = mock!(aws_sdk_dynamodb::Client::query).match_requests(record_query).then_output(|| {
            QueryOutput::builder()
                .items(map(&[("sends", n(7)), ("correct", n(1))]))
                .items(map(&[("sends", n(5))]))
                // Unreadable counts count as nothing.
                .items(map(&[("sends", AttributeValue::S("many".into())), ("correct", n(2))]))
                .build()
        });
        // The two reads run at once, in either order.
        let client = mocked::dynamodb_with(&sdk_config(), RuleMode::MatchAny, &[&get, &query]);
        let ledger = DynamoDbPrefixLedger::new(Table::with_client(TABLE.into(), client), POLICY);

        let state = ledger.state(&prefix(), NOW).await.expect("read");
        assert_eq!(state, PrefixState { paused_until: NOW + 60, window: WindowCounts { sends: 12, correct: 3 } });

        let get = only(&gets, "GetItem");
        assert_eq!(
            get.key(),
            Some(&map(&[("phone", AttributeValue::S("prefix:+1876".into())), ("day", n(PAUSE_DAY))]))
        );
        assert_eq!(get.consistent_read(), Some(true));
        let query = only(&queries, "Query");
        assert_eq!(query.table_name(), Some(TABLE));
        assert_eq!(query.key_condition_expression(), Some("phone = :prefix AND #day BETWEEN :from AND :to"));
        assert_eq!(query.expression_attribute_names(), Some(&map(&[("#day", "day".to_owned())])));
        // Twelve 5-minute buckets, the current one included.
        assert_eq!(
            query.expression_attribute_values(),
            Some(&map(&[
                (":prefix", AttributeValue::S("prefix:+1876".into())),
                (":from", n(BUCKET - 11)),
                (":to", n(BUCKET)),
            ]))
        );
        assert_eq!(query.consistent_read(), Some(true));
    }

    #[tokio::test]
    async fn a_prefix_never_counted_is_not_paused_and_has_an_empty_window() {
        let get = mock!(aws_sdk_dynamodb::Client::get_item).then_output(|| GetItemOutput::builder().build());
        let query = mock!(aws_sdk_dynamodb::Client::query).then_output(|| QueryOutput::builder().build());
        let client = mocked::dynamodb_with(&sdk_config(), RuleMode::MatchAny, &[&get, &query]);
        let ledger = DynamoDbPrefixLedger::new(Table::with_client(TABLE.into(), client), POLICY);
        assert_eq!(ledger.state(&prefix(), NOW).await, Ok(PrefixState::default()));
    }

    #[tokio::test]
    async fn a_failed_read_of_the_state_is_an_error_with_its_code() {
        let get = mock!(aws_sdk_dynamodb::Client::get_item).then_output(|| GetItemOutput::builder().build());
        let query = mock!(aws_sdk_dynamodb::Client::query)
            .sequence()
            .http_status(400, mocked::dynamodb_error("AccessDeniedException"))
            .build();
        let client = mocked::dynamodb_with(&sdk_config(), RuleMode::MatchAny, &[&get, &query]);
        let ledger = DynamoDbPrefixLedger::new(Table::with_client(TABLE.into(), client), POLICY);
        assert_eq!(
            ledger.state(&prefix(), NOW).await,
            Err(LimitError::Refused { code: "AccessDeniedException".into() })
        );
    }

    #[tokio::test]
    async fn a_pause_is_set_only_if_the_prefix_is_not_paused_already() {
        let (seen, record) = recorder::<UpdateItemInput>();
        let rule = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(record)
            .then_output(|| UpdateItemOutput::builder().build());
        assert_eq!(ledger(&[&rule]).pause(&prefix(), NOW, NOW + 1_800).await, Ok(true));

        let update = only(&seen, "UpdateItem");
        assert_eq!(
            update.key(),
            Some(&map(&[("phone", AttributeValue::S("prefix:+1876".into())), ("day", n(PAUSE_DAY))]))
        );
        assert_eq!(update.update_expression(), Some("SET #paused = :until, #expires = :until"));
        assert_eq!(update.condition_expression(), Some("attribute_not_exists(#paused) OR #paused <= :now"));
        assert_eq!(update.expression_attribute_values(), Some(&map(&[(":until", n(NOW + 1_800)), (":now", n(NOW))])));

        // Another round paused it first: this trip is not counted again.
        let already = mock!(aws_sdk_dynamodb::Client::update_item)
            .sequence()
            .http_status(400, mocked::dynamodb_error("ConditionalCheckFailedException"))
            .build();
        assert_eq!(ledger(&[&already]).pause(&prefix(), NOW, NOW + 1_800).await, Ok(false));
    }

    #[tokio::test]
    async fn a_failed_count_is_an_error_with_its_code() {
        let rule = mock!(aws_sdk_dynamodb::Client::update_item)
            .sequence()
            .http_status(400, mocked::dynamodb_error("ResourceNotFoundException"))
            .build();
        assert_eq!(
            ledger(&[&rule]).record_send(&prefix(), NOW).await,
            Err(LimitError::Refused { code: "ResourceNotFoundException".into() })
        );
    }
}
