//! The answer record in the per-number table ([`crate::send_limit::dynamodb`]): one item per
//! number, under sort key `day = 0` (1970-01-01 is never a send day, so it cannot meet an SMS
//! count item).
//!
//! Item ([`Record`]): `phone`, `day` = 0, `failures` (wrong answers in a row), `lockedUntil` (Unix
//! seconds; absent or past: not locked), `answers` (a string set of the [`AnswerId`]s counted
//! since the last reset), `establishedAt` (the first correct answer) and `expiresAt` (the table's
//! TTL attribute, [`FORGET_AFTER_SECONDS`] after the last answer). Every change is one
//! conditional `UpdateItem`, so concurrent sign-ins never lose a count, count one answer twice,
//! or pass a lock:
//!
//! - a wrong answer below the limit: `ADD failures 1, answers {id}` if not locked, the count is
//!   below the last one allowed, and the id is new;
//! - the wrong answer that reaches the limit: `SET failures = 0, lockedUntil, answers = {id}` if
//!   not locked, the count is at the last one allowed, and the id is new. That is the lock: no
//!   write ever leaves a count at the limit without it;
//! - a correct answer: `SET failures = 0, establishedAt = if_not_exists(..) REMOVE answers` if not
//!   locked and the count is below the limit;
//! - create's read before a send: a strongly consistent `GetItem`.
//!
//! A write refused for its condition returns the item as it was
//! (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), which tells a repeated answer, a lock and a
//! count at the limit apart without another call. Items written by the earlier version (`failures`
//! and `lockedUntil` only, the count zeroed by the lock) read the same way.
//!
//! An operator lifts a lock by removing `lockedUntil` (or deleting the item, which also forgets
//! that the number is established).

use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};

use super::{
    AnswerId, AnswerLedger, CorrectAnswer, FORGET_AFTER_SECONDS, LockoutPolicy, Record, Standing, WrongAnswer,
};
use crate::aws::{self, Conditional, Item};
use crate::phone::PhoneNumber;
use crate::send_limit::LimitError;
use crate::send_limit::dynamodb::Table;

/// The sort key of a number's answer record.
pub const ANSWERS_DAY: u64 = 0;

const NOT_LOCKED: &str = "(attribute_not_exists(#locked) OR #locked <= :now)";

/// Times a wrong answer is tried again when a correct answer reset the count between its two
/// conditional writes (each try is still one write that either counts or locks).
const TRIES: usize = 3;

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

    fn key_of(partition: &str) -> [(&'static str, AttributeValue); 2] {
        [("phone", AttributeValue::S(partition.to_owned())), ("day", number_value(ANSWERS_DAY))]
    }

    /// An `UpdateItem` of `number`'s record that returns the item as it was when its condition
    /// fails.
    fn update(&self, number: &PhoneNumber, now: u64) -> UpdateItemFluentBuilder {
        let [phone, day] = Self::key_of(number.expose());
        self.table
            .client()
            .update_item()
            .table_name(self.table.name())
            .key(phone.0, phone.1)
            .key(day.0, day.1)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .expression_attribute_names("#locked", "lockedUntil")
            .expression_attribute_names("#failures", "failures")
            .expression_attribute_names("#expires", "expiresAt")
            .expression_attribute_values(":now", number_value(now))
            .expression_attribute_values(":expires", number_value(now.saturating_add(FORGET_AFTER_SECONDS)))
    }

    /// The record, read strongly consistently (`key`: a number, or what a client typed).
    async fn read(&self, key: &str) -> Result<Record, LimitError> {
        let [phone, day] = Self::key_of(key);
        let output = self
            .table
            .client()
            .get_item()
            .table_name(self.table.name())
            .key(phone.0, phone.1)
            .key(day.0, day.1)
            .consistent_read(true)
            .projection_expression("#failures, #locked, #answers, #established")
            .expression_attribute_names("#failures", "failures")
            .expression_attribute_names("#locked", "lockedUntil")
            .expression_attribute_names("#answers", "answers")
            .expression_attribute_names("#established", "establishedAt")
            .send()
            .await
            .map_err(|e| LimitError::from(aws::classify(&e)))?;
        Ok(output.item().map(record_of).unwrap_or_default())
    }

    /// The item a refused write returned, or (a store that returned none) a fresh read of it.
    async fn as_it_was(&self, number: &PhoneNumber, old: Option<Item>) -> Result<Record, LimitError> {
        match old {
            Some(item) => Ok(record_of(&item)),
            None => self.read(number.expose()).await,
        }
    }

    /// Counts a wrong answer below the limit: `Applied` with the new count, or refused with the
    /// record as it was.
    async fn count(
        &self,
        number: &PhoneNumber,
        id: Option<&AnswerId>,
        now: u64,
    ) -> Result<Conditional<u32>, LimitError> {
        let below = "(attribute_not_exists(#failures) OR #failures < :last)";
        let mut request = self
            .update(number, now)
            .expression_attribute_values(":one", number_value(1))
            .expression_attribute_values(":last", number_value(self.policy.last_unlocked_count()))
            .return_values(ReturnValue::UpdatedNew);
        request = match id {
            Some(id) => request
                .update_expression("ADD #failures :one, #answers :ids SET #expires = :expires")
                .condition_expression(format!("{NOT_LOCKED} AND {below} AND NOT contains(#answers, :id)"))
                .expression_attribute_names("#answers", "answers")
                .expression_attribute_values(":id", AttributeValue::S(id.as_str().to_owned()))
                .expression_attribute_values(":ids", AttributeValue::Ss(vec![id.as_str().to_owned()])),
            None => request
                .update_expression("ADD #failures :one SET #expires = :expires")
                .condition_expression(format!("{NOT_LOCKED} AND {below}")),
        };
        Ok(match aws::conditional(request.send().await)? {
            Conditional::Applied(output) => {
                let failures = output
                    .attributes()
                    .and_then(|a| a.get("failures"))
                    .and_then(|v| v.as_n().ok())
                    .and_then(|n| n.parse::<u32>().ok())
                    .ok_or(LimitError::Refused { code: "UnreadableCount".into() })?;
                Conditional::Applied(failures)
            }
            Conditional::ConditionFailed(old) => Conditional::ConditionFailed(old),
        })
    }

    /// The answer that reaches the limit: counts it and locks, in one write, if the count is at
    /// the last one allowed (or past it) and nothing locked the number first.
    async fn lock(&self, number: &PhoneNumber, id: Option<&AnswerId>, now: u64) -> Result<Conditional<()>, LimitError> {
        let at_limit = "#failures >= :last";
        let mut request = self
            .update(number, now)
            .expression_attribute_names("#answers", "answers")
            .expression_attribute_values(":zero", number_value(0))
            .expression_attribute_values(":until", number_value(self.policy.locked_until(now)))
            .expression_attribute_values(":last", number_value(self.policy.last_unlocked_count()));
        let set = "SET #failures = :zero, #locked = :until, #expires = :expires";
        request = match id {
            Some(id) => request
                .update_expression(format!("{set}, #answers = :ids"))
                .condition_expression(format!("{NOT_LOCKED} AND {at_limit} AND NOT contains(#answers, :id)"))
                .expression_attribute_values(":id", AttributeValue::S(id.as_str().to_owned()))
                .expression_attribute_values(":ids", AttributeValue::Ss(vec![id.as_str().to_owned()])),
            None => request
                .update_expression(format!("{set} REMOVE #answers"))
                .condition_expression(format!("{NOT_LOCKED} AND {at_limit}")),
        };
        Ok(match aws::conditional(request.send().await)? {
            Conditional::Applied(_) => Conditional::Applied(()),
            Conditional::ConditionFailed(old) => Conditional::ConditionFailed(old),
        })
    }

    /// Why a write for `id` was refused, from the record as it was: a repeat, or a lock; `None`
    /// when neither (the count was at, or no longer at, the limit).
    fn refusal(&self, record: &Record, id: Option<&AnswerId>, now: u64) -> Option<WrongAnswer> {
        if id.is_some_and(|id| record.answers.contains(id)) {
            Some(WrongAnswer::Duplicate)
        } else if record.locked_until > now {
            Some(WrongAnswer::AlreadyLocked)
        } else {
            None
        }
    }
}

fn number_value(n: impl ToString) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

/// The record an item holds; absent or unreadable fields read as the record's defaults.
fn record_of(item: &Item) -> Record {
    let read = |name: &str| item.get(name).and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<u64>().ok());
    Record {
        failures: read("failures").map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)),
        locked_until: read("lockedUntil").unwrap_or(0),
        answers: item
            .get("answers")
            .and_then(|v| v.as_ss().ok())
            .map(|ids| ids.iter().map(|id| AnswerId(id.clone())).collect())
            .unwrap_or_default(),
        established_at: read("establishedAt"),
    }
}

impl AnswerLedger for DynamoDbLockout {
    async fn standing(&self, number: &PhoneNumber, now: u64) -> Result<Standing, LimitError> {
        Ok(self.policy.standing(&self.read(number.expose()).await?, now))
    }

    async fn record_wrong(
        &self,
        number: &PhoneNumber,
        id: Option<&AnswerId>,
        now: u64,
    ) -> Result<WrongAnswer, LimitError> {
        for _ in 0..TRIES {
            let old = match self.count(number, id, now).await? {
                Conditional::Applied(failures) => return Ok(WrongAnswer::Counted(failures)),
                Conditional::ConditionFailed(old) => self.as_it_was(number, old).await?,
            };
            if let Some(refused) = self.refusal(&old, id, now) {
                return Ok(refused);
            }
            // At the limit: this answer locks, unless another one locked first.
            let old = match self.lock(number, id, now).await? {
                Conditional::Applied(()) => return Ok(WrongAnswer::LockedNow),
                Conditional::ConditionFailed(old) => self.as_it_was(number, old).await?,
            };
            if let Some(refused) = self.refusal(&old, id, now) {
                return Ok(refused);
            }
            // A correct answer reset the count between the two writes: count again.
        }
        Err(LimitError::Refused { code: "ContendedCount".into() })
    }

    async fn record_correct(&self, number: &PhoneNumber, now: u64) -> Result<CorrectAnswer, LimitError> {
        let request = self
            .update(number, now)
            .update_expression(
                "SET #failures = :zero, #established = if_not_exists(#established, :now), #expires = :expires \
                 REMOVE #answers",
            )
            .condition_expression(format!("{NOT_LOCKED} AND (attribute_not_exists(#failures) OR #failures < :max)"))
            .expression_attribute_names("#established", "establishedAt")
            .expression_attribute_names("#answers", "answers")
            .expression_attribute_values(":zero", number_value(0))
            .expression_attribute_values(":max", number_value(self.policy.max_failed_answers))
            .return_values(ReturnValue::AllOld);
        match aws::conditional(request.send().await)? {
            Conditional::Applied(output) => {
                let first = output.attributes().is_none_or(|old| !old.contains_key("establishedAt"));
                Ok(CorrectAnswer::Accepted { first })
            }
            Conditional::ConditionFailed(old) => {
                let old = self.as_it_was(number, old).await?;
                if old.locked_until <= now {
                    // A count at the limit (left by the earlier version): this answer locks it.
                    self.lock(number, None, now).await?;
                }
                Ok(CorrectAnswer::Locked)
            }
        }
    }

    async fn pretend(&self, key: &str) -> Result<(), LimitError> {
        let key = if key.is_empty() { "-" } else { key };
        self.read(key).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_sdk_dynamodb::operation::get_item::{GetItemInput, GetItemOutput};
    use aws_sdk_dynamodb::operation::update_item::{UpdateItemError, UpdateItemInput, UpdateItemOutput};
    use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
    use aws_smithy_mocks::{Rule, mock};
    use tokio::time::Instant;

    use super::*;
    use crate::aws::mocked::{self, map, n, only, recorder, taken};
    use crate::code::Nonce;
    use crate::lockout::Lock;
    use crate::send_limit::dynamodb::{RESERVE_TIMEOUT, sdk_config};

    const TABLE: &str = "sms-send-limit";
    const TO: &str = "+15555550100";
    const NOW: u64 = 1_763_730_005;
    const POLICY: LockoutPolicy = LockoutPolicy { max_failed_answers: 3, lockout_seconds: 3_600 };

    fn number() -> PhoneNumber {
        PhoneNumber::parse(TO).expect("a valid number")
    }

    fn id() -> AnswerId {
        AnswerId::of(&Nonce::from_counter(7), "123456")
    }

    fn ledger(rules: &[&Rule]) -> DynamoDbLockout {
        let client = mocked::dynamodb(&sdk_config(), mocked::mock_http(), rules);
        DynamoDbLockout::new(Table::with_client(TABLE.into(), client), POLICY)
    }

    fn the_key() -> HashMap<String, AttributeValue> {
        map(&[("phone", AttributeValue::S(TO.into())), ("day", n(0))])
    }

    /// An `UpdateItem` refused for its condition, returning the item as it was.
    fn refused(old: HashMap<String, AttributeValue>) -> Rule {
        mock!(aws_sdk_dynamodb::Client::update_item).then_error(move || {
            UpdateItemError::ConditionalCheckFailedException(
                ConditionalCheckFailedException::builder().set_item(Some(old.clone())).build(),
            )
        })
    }

    fn counted(failures: u32) -> Rule {
        mock!(aws_sdk_dynamodb::Client::update_item)
            .then_output(move || UpdateItemOutput::builder().attributes("failures", n(failures)).build())
    }

    fn applied() -> Rule {
        mock!(aws_sdk_dynamodb::Client::update_item).then_output(|| UpdateItemOutput::builder().build())
    }

    #[tokio::test]
    async fn the_standing_is_one_consistent_read_of_the_record() {
        let cases = [
            (Some(map(&[("lockedUntil", n(NOW + 1))])), Lock::Locked, None),
            (Some(map(&[("lockedUntil", n(NOW)), ("establishedAt", n(NOW - 9))])), Lock::Open, Some(NOW - 9)),
            // An earlier version's gap: the count at the limit, no lock.
            (Some(map(&[("failures", n(3))])), Lock::Locked, None),
            (None, Lock::Open, None),
        ];
        for (stored, lock, established_at) in cases {
            let (seen, record) = recorder::<GetItemInput>();
            let item = stored.clone();
            let rule = mock!(aws_sdk_dynamodb::Client::get_item)
                .match_requests(record)
                .then_output(move || GetItemOutput::builder().set_item(item.clone()).build());
            let standing = ledger(&[&rule]).standing(&number(), NOW).await;
            assert_eq!(standing, Ok(Standing { lock, established_at }), "{stored:?}");
            let get = only(&seen, "GetItem");
            assert_eq!(get.table_name(), Some(TABLE));
            assert_eq!(get.key(), Some(&the_key()));
            assert_eq!(get.consistent_read(), Some(true), "a lock just set is seen at once");
        }
    }

    #[tokio::test]
    async fn a_wrong_answer_below_the_limit_is_one_write_that_counts_it_and_remembers_it() {
        let (seen, record) = recorder::<UpdateItemInput>();
        let rule = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(record)
            .then_output(|| UpdateItemOutput::builder().attributes("failures", n(2)).build());
        assert_eq!(ledger(&[&rule]).record_wrong(&number(), Some(&id()), NOW).await, Ok(WrongAnswer::Counted(2)));

        let update = only(&seen, "UpdateItem");
        assert_eq!(update.key(), Some(&the_key()));
        assert_eq!(update.update_expression(), Some("ADD #failures :one, #answers :ids SET #expires = :expires"));
        assert_eq!(
            update.condition_expression(),
            Some(
                "(attribute_not_exists(#locked) OR #locked <= :now) AND (attribute_not_exists(#failures) OR #failures < :last) AND NOT contains(#answers, :id)"
            )
        );
        let values = update.expression_attribute_values().expect("values");
        assert_eq!(values[":last"], n(2), "the count may only reach the limit in the write that locks");
        assert_eq!(values[":id"], AttributeValue::S(id().as_str().to_owned()));
        assert_eq!(values[":expires"], n(NOW + FORGET_AFTER_SECONDS));
        assert_eq!(update.return_values(), Some(&ReturnValue::UpdatedNew));
        assert_eq!(
            update.return_values_on_condition_check_failure(),
            Some(&ReturnValuesOnConditionCheckFailure::AllOld)
        );
    }

    #[tokio::test]
    async fn the_answer_that_reaches_the_limit_counts_and_locks_in_one_write() {
        let (seen, record) = recorder::<UpdateItemInput>();
        let lock = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(record)
            .then_output(|| UpdateItemOutput::builder().build());
        let at_limit = refused(map(&[("failures", n(2))]));
        let result = ledger(&[&at_limit, &lock]).record_wrong(&number(), Some(&id()), NOW).await;
        assert_eq!(result, Ok(WrongAnswer::LockedNow));

        let update = taken(&seen).pop().expect("the lock");
        assert_eq!(update.key(), Some(&the_key()));
        assert_eq!(
            update.update_expression(),
            Some("SET #failures = :zero, #locked = :until, #expires = :expires, #answers = :ids")
        );
        // Only from the last count allowed, only if nothing locked first, only once per answer.
        assert_eq!(
            update.condition_expression(),
            Some(
                "(attribute_not_exists(#locked) OR #locked <= :now) AND #failures >= :last AND NOT contains(#answers, :id)"
            )
        );
        let values = update.expression_attribute_values().expect("values");
        assert_eq!((values[":until"].clone(), values[":last"].clone()), (n(NOW + 3_600), n(2)));
    }

    #[tokio::test]
    async fn of_answers_racing_at_the_limit_one_locks_and_the_others_find_it_locked() {
        // This answer's count is refused at the limit; another answer's lock lands first, so its
        // own lock write is refused with the lock in place.
        let at_limit = refused(map(&[("failures", n(2))]));
        let locked_by_another = refused(map(&[("failures", n(0)), ("lockedUntil", n(NOW + 3_600))]));
        let result = ledger(&[&at_limit, &locked_by_another]).record_wrong(&number(), Some(&id()), NOW).await;
        assert_eq!(result, Ok(WrongAnswer::AlreadyLocked));
        // Locked before it came: refused at the first write.
        let locked = refused(map(&[("lockedUntil", n(NOW + 10))]));
        assert_eq!(ledger(&[&locked]).record_wrong(&number(), Some(&id()), NOW).await, Ok(WrongAnswer::AlreadyLocked));
    }

    #[tokio::test]
    async fn a_retried_answer_is_told_from_a_new_one_by_the_item_the_refusal_returns() {
        let old = map(&[("failures", n(1)), ("answers", AttributeValue::Ss(vec![id().as_str().to_owned()]))]);
        let rule = refused(old);
        assert_eq!(ledger(&[&rule]).record_wrong(&number(), Some(&id()), NOW).await, Ok(WrongAnswer::Duplicate));
        assert_eq!(rule.num_calls(), 1, "one write, nothing counted");
    }

    #[tokio::test]
    async fn a_correct_answer_between_the_two_writes_sends_the_wrong_one_back_to_counting() {
        let at_limit = refused(map(&[("failures", n(2))]));
        let reset_first = refused(map(&[("failures", n(0)), ("establishedAt", n(NOW - 1))]));
        let result = ledger(&[&at_limit, &reset_first, &counted(1)]).record_wrong(&number(), Some(&id()), NOW).await;
        assert_eq!(result, Ok(WrongAnswer::Counted(1)));
    }

    #[tokio::test]
    async fn a_failed_lock_write_leaves_the_count_below_the_limit_and_fails_closed() {
        let at_limit = refused(map(&[("failures", n(2))]));
        let throttled = mock!(aws_sdk_dynamodb::Client::update_item)
            .sequence()
            .http_status(400, mocked::dynamodb_error("ValidationException"))
            .build();
        let result = ledger(&[&at_limit, &throttled]).record_wrong(&number(), Some(&id()), NOW).await;
        assert_eq!(result, Err(LimitError::Refused { code: "ValidationException".into() }));
        // Neither write could have left the count at the limit without the lock: the first one
        // counts only below the last count allowed, the second counts and locks together.
    }

    #[tokio::test]
    async fn a_correct_answer_resets_and_establishes_in_one_write_unless_locked_or_at_the_limit() {
        let (seen, record) = recorder::<UpdateItemInput>();
        let rule = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(record)
            .then_output(|| UpdateItemOutput::builder().attributes("failures", n(1)).build());
        assert_eq!(ledger(&[&rule]).record_correct(&number(), NOW).await, Ok(CorrectAnswer::Accepted { first: true }));
        let update = only(&seen, "UpdateItem");
        assert_eq!(
            update.update_expression(),
            Some(
                "SET #failures = :zero, #established = if_not_exists(#established, :now), #expires = :expires REMOVE #answers"
            )
        );
        assert_eq!(
            update.condition_expression(),
            Some(
                "(attribute_not_exists(#locked) OR #locked <= :now) AND (attribute_not_exists(#failures) OR #failures < :max)"
            )
        );
        assert_eq!(update.expression_attribute_values().expect("values")[":max"], n(3));
        assert_eq!(update.return_values(), Some(&ReturnValue::AllOld));

        let again = mock!(aws_sdk_dynamodb::Client::update_item)
            .then_output(|| UpdateItemOutput::builder().attributes("establishedAt", n(NOW - 99)).build());
        assert_eq!(
            ledger(&[&again]).record_correct(&number(), NOW).await,
            Ok(CorrectAnswer::Accepted { first: false })
        );

        // Locked (this version's lock or the earlier version's `lockedUntil`): refused, unchanged.
        let locked = refused(map(&[("failures", n(0)), ("lockedUntil", n(NOW + 5))]));
        assert_eq!(ledger(&[&locked]).record_correct(&number(), NOW).await, Ok(CorrectAnswer::Locked));
        assert_eq!(locked.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_correct_answer_at_a_count_left_at_the_limit_is_refused_and_locks_it() {
        let (seen, record) = recorder::<UpdateItemInput>();
        let lock = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(record)
            .then_output(|| UpdateItemOutput::builder().build());
        let at_limit = refused(map(&[("failures", n(3))]));
        assert_eq!(ledger(&[&at_limit, &lock]).record_correct(&number(), NOW).await, Ok(CorrectAnswer::Locked));
        let update = taken(&seen).pop().expect("the lock");
        assert_eq!(
            update.update_expression(),
            Some("SET #failures = :zero, #locked = :until, #expires = :expires REMOVE #answers")
        );
        assert_eq!(update.expression_attribute_values().expect("values")[":until"], n(NOW + 3_600));
    }

    #[tokio::test]
    async fn a_refusal_without_the_item_is_read_again_to_tell_why() {
        let bare = mock!(aws_sdk_dynamodb::Client::update_item).then_error(|| {
            UpdateItemError::ConditionalCheckFailedException(ConditionalCheckFailedException::builder().build())
        });
        let read = mock!(aws_sdk_dynamodb::Client::get_item)
            .then_output(|| GetItemOutput::builder().item("lockedUntil", n(NOW + 1)).build());
        let client = mocked::dynamodb_with(&sdk_config(), aws_smithy_mocks::RuleMode::Sequential, &[&bare, &read]);
        let ledger = DynamoDbLockout::new(Table::with_client(TABLE.into(), client), POLICY);
        assert_eq!(ledger.record_wrong(&number(), Some(&id()), NOW).await, Ok(WrongAnswer::AlreadyLocked));
    }

    #[tokio::test]
    async fn rounds_without_a_nonce_are_counted_every_time() {
        let (seen, record) = recorder::<UpdateItemInput>();
        let rule = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(record)
            .then_output(|| UpdateItemOutput::builder().attributes("failures", n(1)).build());
        assert_eq!(ledger(&[&rule]).record_wrong(&number(), None, NOW).await, Ok(WrongAnswer::Counted(1)));
        let update = only(&seen, "UpdateItem");
        assert_eq!(update.update_expression(), Some("ADD #failures :one SET #expires = :expires"));
        assert!(!update.condition_expression().unwrap_or_default().contains("#answers"));
    }

    #[tokio::test]
    async fn an_answer_nothing_is_counted_for_reads_the_record_of_what_was_typed() {
        let (seen, record) = recorder::<GetItemInput>();
        let rule = mock!(aws_sdk_dynamodb::Client::get_item)
            .match_requests(record)
            .then_output(|| GetItemOutput::builder().build());
        assert_eq!(ledger(&[&rule]).pretend("alice").await, Ok(()));
        let get = only(&seen, "GetItem");
        assert_eq!(get.key(), Some(&map(&[("phone", AttributeValue::S("alice".into())), ("day", n(0))])));
        assert_eq!(get.consistent_read(), Some(true), "the same read as create's");
    }

    #[tokio::test]
    async fn a_count_that_cannot_be_read_back_fails_closed() {
        let rule = applied();
        let result = ledger(&[&rule]).record_wrong(&number(), Some(&id()), NOW).await;
        assert_eq!(result, Err(LimitError::Refused { code: "UnreadableCount".into() }));
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_table_is_a_timeout_at_the_deadline() {
        let never = mocked::never();
        let table = Table::with_client(TABLE.into(), mocked::dynamodb(&sdk_config(), never.clone(), &[]));
        let ledger = DynamoDbLockout::new(table, POLICY);
        let started = Instant::now();
        assert_eq!(ledger.record_wrong(&number(), Some(&id()), NOW).await, Err(LimitError::Timeout));
        assert_eq!(started.elapsed(), RESERVE_TIMEOUT);
        assert_eq!(never.num_calls(), 1, "a count that may have been added is not added again");
    }
}
