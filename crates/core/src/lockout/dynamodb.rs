//! The wrong-answer count in the per-number table ([`crate::send_limit::dynamodb`]): one item per
//! number, under sort key `day = 0` (1970-01-01 is never a send day, so it cannot meet an SMS
//! count item).
//!
//! Item: `phone`, `day` = 0, `failures` (wrong answers in a row), `lockedUntil` (Unix seconds;
//! absent or past: not locked) and `expiresAt` (the table's TTL attribute). Every change is one
//! conditional write, so concurrent sign-ins never lose a count nor pass a lock:
//!
//! - a wrong answer: `ADD failures 1` if not locked (returns the new count); the one that reaches
//!   the limit then sets `lockedUntil` and zeroes the count, if the count is still at the limit;
//! - a correct answer: `DeleteItem` if not locked (the reset); refused while locked;
//! - create's check before a send: a strongly consistent `GetItem` of `lockedUntil`.
//!
//! An operator lifts a lock by deleting the item (`phone` = the number, `day` = 0).

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::{AnswerLedger, FORGET_COUNT_AFTER_SECONDS, Lock, LockoutPolicy, WrongAnswer};
use crate::aws::{self, Conditional};
use crate::phone::PhoneNumber;
use crate::send_limit::LimitError;
use crate::send_limit::dynamodb::Table;

/// The sort key of a number's answer record.
pub const ANSWERS_DAY: u64 = 0;

const NOT_LOCKED: &str = "attribute_not_exists(#locked) OR #locked <= :now";

pub struct DynamoDbLockout {
    table: Table,
    policy: LockoutPolicy,
}

impl DynamoDbLockout {
    /// A lockout kept in `table` (the per-number table), through the table's client (see
    /// [`Table`]).
    pub fn new(table: Table, policy: LockoutPolicy) -> Self {
        Self { table, policy }
    }

    fn key(number: &PhoneNumber) -> [(&'static str, AttributeValue); 2] {
        [("phone", AttributeValue::S(number.expose().to_owned())), ("day", number_value(ANSWERS_DAY))]
    }

    /// Sets the lock after the answer that brought the count to the limit, if no other answer
    /// set it first.
    async fn lock(&self, number: &PhoneNumber, now: u64) -> Result<WrongAnswer, LimitError> {
        let until = self.policy.locked_until(now);
        let [phone, day] = Self::key(number);
        let result = self
            .table
            .client()
            .update_item()
            .table_name(self.table.name())
            .key(phone.0, phone.1)
            .key(day.0, day.1)
            .update_expression("SET #locked = :until, #failures = :zero, #expires = :expires")
            .condition_expression("#failures >= :max")
            .expression_attribute_names("#locked", "lockedUntil")
            .expression_attribute_names("#failures", "failures")
            .expression_attribute_names("#expires", "expiresAt")
            .expression_attribute_values(":until", number_value(until))
            .expression_attribute_values(":zero", number_value(0))
            .expression_attribute_values(":max", number_value(self.policy.max_failed_answers))
            .expression_attribute_values(":expires", number_value(until.max(now + FORGET_COUNT_AFTER_SECONDS)))
            .send()
            .await;
        Ok(match aws::conditional(result)? {
            Conditional::Applied(_) => WrongAnswer::LockedNow,
            // Another answer for the number set the lock first.
            Conditional::ConditionFailed => WrongAnswer::AlreadyLocked,
        })
    }
}

fn number_value(n: impl ToString) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

impl AnswerLedger for DynamoDbLockout {
    async fn lock_state(&self, number: &PhoneNumber, now: u64) -> Result<Lock, LimitError> {
        let [phone, day] = Self::key(number);
        let item = self
            .table
            .client()
            .get_item()
            .table_name(self.table.name())
            .key(phone.0, phone.1)
            .key(day.0, day.1)
            .consistent_read(true)
            .projection_expression("#locked")
            .expression_attribute_names("#locked", "lockedUntil")
            .send()
            .await
            .map_err(|e| LimitError::from(aws::classify(&e)))?;
        let locked_until = item
            .item()
            .and_then(|item| item.get("lockedUntil"))
            .and_then(|value| value.as_n().ok())
            .and_then(|n| n.parse::<u64>().ok());
        Ok(match locked_until {
            Some(until) if until > now => Lock::Locked,
            _ => Lock::Open,
        })
    }

    async fn record_wrong(&self, number: &PhoneNumber, now: u64) -> Result<WrongAnswer, LimitError> {
        let [phone, day] = Self::key(number);
        let result = self
            .table
            .client()
            .update_item()
            .table_name(self.table.name())
            .key(phone.0, phone.1)
            .key(day.0, day.1)
            .update_expression("ADD #failures :one SET #expires = :expires")
            .condition_expression(NOT_LOCKED)
            .expression_attribute_names("#failures", "failures")
            .expression_attribute_names("#locked", "lockedUntil")
            .expression_attribute_names("#expires", "expiresAt")
            .expression_attribute_values(":one", number_value(1))
            .expression_attribute_values(":now", number_value(now))
            .expression_attribute_values(":expires", number_value(now + FORGET_COUNT_AFTER_SECONDS))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        let output = match aws::conditional(result)? {
            Conditional::Applied(output) => output,
            Conditional::ConditionFailed => return Ok(WrongAnswer::AlreadyLocked),
        };
        let failures = output
            .attributes()
            .and_then(|a| a.get("failures"))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or(LimitError::Refused { code: "UnreadableCount".into() })?;
        let failures = u32::try_from(failures).unwrap_or(u32::MAX);
        if self.policy.locks_at(failures) { self.lock(number, now).await } else { Ok(WrongAnswer::Counted(failures)) }
    }

    async fn record_correct(&self, number: &PhoneNumber, now: u64) -> Result<Lock, LimitError> {
        let [phone, day] = Self::key(number);
        let result = self
            .table
            .client()
            .delete_item()
            .table_name(self.table.name())
            .key(phone.0, phone.1)
            .key(day.0, day.1)
            .condition_expression(NOT_LOCKED)
            .expression_attribute_names("#locked", "lockedUntil")
            .expression_attribute_values(":now", number_value(now))
            .send()
            .await;
        Ok(match aws::conditional(result)? {
            Conditional::Applied(_) => Lock::Open,
            Conditional::ConditionFailed => Lock::Locked,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_sdk_dynamodb::operation::delete_item::{DeleteItemInput, DeleteItemOutput};
    use aws_sdk_dynamodb::operation::get_item::{GetItemInput, GetItemOutput};
    use aws_sdk_dynamodb::operation::update_item::{UpdateItemInput, UpdateItemOutput};
    use aws_smithy_mocks::{Rule, mock};
    use tokio::time::Instant;

    use super::*;
    use crate::aws::mocked::{self, map, n, only, recorder, taken};
    use crate::send_limit::dynamodb::{RESERVE_TIMEOUT, sdk_config};

    const TABLE: &str = "sms-send-limit";
    const TO: &str = "+15555550100";
    const NOW: u64 = 1_763_730_005;
    const POLICY: LockoutPolicy = LockoutPolicy { max_failed_answers: 3, lockout_seconds: 3_600 };

    fn number() -> PhoneNumber {
        PhoneNumber::parse(TO).expect("a valid number")
    }

    fn ledger(rules: &[&Rule]) -> DynamoDbLockout {
        let client = mocked::dynamodb(&sdk_config(), mocked::mock_http(), rules);
        DynamoDbLockout::new(Table::with_client(TABLE.into(), client), POLICY)
    }

    fn the_key() -> HashMap<String, AttributeValue> {
        map(&[("phone", AttributeValue::S(TO.into())), ("day", n(0))])
    }

    fn condition_failed_update() -> Rule {
        mock!(aws_sdk_dynamodb::Client::update_item)
            .sequence()
            .http_status(400, mocked::dynamodb_error("ConditionalCheckFailedException"))
            .build()
    }

    fn counted(failures: &str) -> Rule {
        let failures = failures.to_owned();
        mock!(aws_sdk_dynamodb::Client::update_item).then_output(move || {
            UpdateItemOutput::builder().attributes("failures", AttributeValue::N(failures.clone())).build()
        })
    }

    #[tokio::test]
    async fn the_lock_state_is_one_consistent_read_of_locked_until() {
        for (stored, expected) in [(Some(NOW + 1), Lock::Locked), (Some(NOW), Lock::Open), (None, Lock::Open)] {
            let (seen, record) = recorder::<GetItemInput>();
            let rule = mock!(aws_sdk_dynamodb::Client::get_item).match_requests(record).then_output(move || {
                let item = stored.map(|until| map(&[("lockedUntil", n(until))]));
                GetItemOutput::builder().set_item(item).build()
            });
            assert_eq!(ledger(&[&rule]).lock_state(&number(), NOW).await, Ok(expected), "{stored:?}");

            let get = only(&seen, "GetItem");
            assert_eq!(get.table_name(), Some(TABLE));
            assert_eq!(get.key(), Some(&the_key()));
            assert_eq!(get.consistent_read(), Some(true), "a lock just set is seen at once");
            assert_eq!(get.projection_expression(), Some("#locked"));
            assert_eq!(get.expression_attribute_names(), Some(&map(&[("#locked", "lockedUntil".to_owned())])));
        }
    }

    #[tokio::test]
    async fn a_wrong_answer_adds_one_unless_locked_and_reads_back_the_count() {
        let (seen, record) = recorder::<UpdateItemInput>();
        let rule = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(record)
            .then_output(|| UpdateItemOutput::builder().attributes("failures", AttributeValue::N("2".into())).build());
        assert_eq!(ledger(&[&rule]).record_wrong(&number(), NOW).await, Ok(WrongAnswer::Counted(2)));

        let update = only(&seen, "UpdateItem");
        assert_eq!(update.table_name(), Some(TABLE));
        assert_eq!(update.key(), Some(&the_key()));
        assert_eq!(update.update_expression(), Some("ADD #failures :one SET #expires = :expires"));
        assert_eq!(update.condition_expression(), Some("attribute_not_exists(#locked) OR #locked <= :now"));
        assert_eq!(
            update.expression_attribute_names(),
            Some(&map(&[
                ("#failures", "failures".to_owned()),
                ("#locked", "lockedUntil".to_owned()),
                ("#expires", "expiresAt".to_owned()),
            ]))
        );
        assert_eq!(
            update.expression_attribute_values(),
            Some(&map(&[(":one", n(1)), (":now", n(NOW)), (":expires", n(NOW + FORGET_COUNT_AFTER_SECONDS))]))
        );
        assert_eq!(update.return_values(), Some(&ReturnValue::UpdatedNew));
    }

    #[tokio::test]
    async fn the_wrong_answer_reaching_the_limit_sets_the_lock_and_zeroes_the_count() {
        let (seen, record) = recorder::<UpdateItemInput>();
        let lock = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(record)
            .then_output(|| UpdateItemOutput::builder().build());
        let result = ledger(&[&counted("3"), &lock]).record_wrong(&number(), NOW).await;
        assert_eq!(result, Ok(WrongAnswer::LockedNow));

        let update = taken(&seen).pop().expect("the lock's UpdateItem");
        assert_eq!(update.key(), Some(&the_key()));
        assert_eq!(update.update_expression(), Some("SET #locked = :until, #failures = :zero, #expires = :expires"));
        // Only if no other answer set the lock (and zeroed the count) first.
        assert_eq!(update.condition_expression(), Some("#failures >= :max"));
        assert_eq!(
            update.expression_attribute_values(),
            Some(&map(&[
                (":until", n(NOW + 3_600)),
                (":zero", n(0)),
                (":max", n(3)),
                (":expires", n(NOW + FORGET_COUNT_AFTER_SECONDS)),
            ]))
        );
    }

    #[tokio::test]
    async fn another_answer_setting_the_lock_first_is_already_locked() {
        let result = ledger(&[&counted("3"), &condition_failed_update()]).record_wrong(&number(), NOW).await;
        assert_eq!(result, Ok(WrongAnswer::AlreadyLocked));
    }

    #[tokio::test]
    async fn a_wrong_answer_for_a_locked_number_is_not_counted() {
        let result = ledger(&[&condition_failed_update()]).record_wrong(&number(), NOW).await;
        assert_eq!(result, Ok(WrongAnswer::AlreadyLocked));
    }

    #[tokio::test]
    async fn a_count_that_cannot_be_read_back_fails_closed() {
        let rule = mock!(aws_sdk_dynamodb::Client::update_item).then_output(|| UpdateItemOutput::builder().build());
        let result = ledger(&[&rule]).record_wrong(&number(), NOW).await;
        assert_eq!(result, Err(LimitError::Refused { code: "UnreadableCount".into() }));
    }

    #[tokio::test]
    async fn a_correct_answer_deletes_the_count_unless_locked() {
        let (seen, record) = recorder::<DeleteItemInput>();
        let rule = mock!(aws_sdk_dynamodb::Client::delete_item)
            .match_requests(record)
            .then_output(|| DeleteItemOutput::builder().build());
        assert_eq!(ledger(&[&rule]).record_correct(&number(), NOW).await, Ok(Lock::Open));

        let delete = only(&seen, "DeleteItem");
        assert_eq!(delete.table_name(), Some(TABLE));
        assert_eq!(delete.key(), Some(&the_key()));
        assert_eq!(delete.condition_expression(), Some("attribute_not_exists(#locked) OR #locked <= :now"));
        assert_eq!(delete.expression_attribute_values(), Some(&map(&[(":now", n(NOW))])));

        let locked = mock!(aws_sdk_dynamodb::Client::delete_item)
            .sequence()
            .http_status(400, mocked::dynamodb_error("ConditionalCheckFailedException"))
            .build();
        assert_eq!(ledger(&[&locked]).record_correct(&number(), NOW).await, Ok(Lock::Locked));
    }

    #[tokio::test]
    async fn other_refusals_are_errors_with_their_code() {
        let refused = |code: &str| mocked::dynamodb_error(code);
        let get = mock!(aws_sdk_dynamodb::Client::get_item)
            .sequence()
            .http_status(400, refused("AccessDeniedException"))
            .build();
        assert_eq!(
            ledger(&[&get]).lock_state(&number(), NOW).await,
            Err(LimitError::Refused { code: "AccessDeniedException".into() })
        );
        let update = mock!(aws_sdk_dynamodb::Client::update_item)
            .sequence()
            .http_status(400, refused("ValidationException"))
            .build();
        assert_eq!(
            ledger(&[&update]).record_wrong(&number(), NOW).await,
            Err(LimitError::Refused { code: "ValidationException".into() })
        );
        let delete = mock!(aws_sdk_dynamodb::Client::delete_item)
            .sequence()
            .http_status(400, refused("ResourceNotFoundException"))
            .build();
        assert_eq!(
            ledger(&[&delete]).record_correct(&number(), NOW).await,
            Err(LimitError::Refused { code: "ResourceNotFoundException".into() })
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_table_is_a_timeout_at_the_deadline() {
        let never = mocked::never();
        let table = Table::with_client(TABLE.into(), mocked::dynamodb(&sdk_config(), never.clone(), &[]));
        let ledger = DynamoDbLockout::new(table, POLICY);
        let started = Instant::now();
        assert_eq!(ledger.record_wrong(&number(), NOW).await, Err(LimitError::Timeout));
        assert_eq!(started.elapsed(), RESERVE_TIMEOUT);
        assert_eq!(never.num_calls(), 1, "a count that may have been added is not added again");
    }
}
