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
    /// A lockout kept in `table` (the per-number table); the client is the table's, built on
    /// first use.
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
