//! The answer record in the per-number table ([`crate::send_limit::dynamodb`]): one item per
//! number, under sort key `day = 0` (1970-01-01 is never a send day, so it cannot meet an SMS
//! count item).
//!
//! Item ([`Record`]): `phone`, `day` = 0, `failures` (wrong answers in a row), `lastWrongAt` (the
//! last counted wrong answer, Unix seconds), `answers` (a string set of the [`AnswerId`]s counted
//! since the last reset), `establishedAt` (the first correct answer) and `expiresAt` (the table's
//! TTL attribute, [`FORGET_AFTER_SECONDS`] after the last answer); `lockedUntil` only in items of
//! the earlier version. A count at the limit is the lock, until `lastWrongAt` plus
//! `LOCKOUT_SECONDS`. Every answer is one conditional `UpdateItem`, so concurrent sign-ins never
//! lose a count, count one answer twice, or pass a lock:
//!
//! - a wrong answer: `ADD failures 1, answers {id} SET lastWrongAt` if the count is below the
//!   limit, no earlier-version lock runs, and the id is new. The answer that reaches the limit is
//!   this same write: from then on the number is locked, with its end in the item;
//! - a wrong answer after a lock ended: `SET failures = 1, answers = {id}, lastWrongAt` if the
//!   count is at the limit and its lock has ended (a new count);
//! - a correct answer: `SET failures = 0, establishedAt = if_not_exists(..) REMOVE answers` if the
//!   count is below the limit or its lock has ended, and no earlier-version lock runs;
//! - create's read before a send: strongly consistent, with the other records create reads then
//!   (see [`crate::first_look`]).
//!
//! So of answers arriving together at the last count allowed, the first write to land decides:
//! a wrong answer locks and every answer after it is refused; a right one resets and the others
//! count from zero. A write refused for its condition returns the item as it was
//! (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), which tells a repeated answer, a lock and an
//! ended lock apart without another call.
//!
//! An operator lifts a lock by setting `failures` to 0 and removing `lockedUntil` (or by deleting
//! the item, which also forgets that the number is established).

use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};

use super::{
    AnswerId, AnswerLedger, CorrectAnswer, EARLIER_FORGET_AFTER_SECONDS, FORGET_AFTER_SECONDS, LockoutPolicy, Record,
    Standing, WrongAnswer,
};
use crate::aws::{self, Conditional, Item};
use crate::phone::PhoneNumber;
use crate::send_limit::LimitError;
use crate::send_limit::dynamodb::{Key, Table};

/// The sort key of a number's answer record.
pub const ANSWERS_DAY: u64 = 0;

/// No lock of the earlier version runs.
const NO_EARLIER_LOCK: &str = "(attribute_not_exists(#locked) OR #locked <= :now)";
/// The count is below the limit.
const BELOW_LIMIT: &str = "(attribute_not_exists(#failures) OR #failures < :max)";
/// The lock of a count at the limit has ended ([`LockoutPolicy::lock_ends`]): `LOCKOUT_SECONDS`
/// after its last wrong answer, or for a count the earlier version left, after the last answer its
/// TTL dates.
const LOCK_ENDED: &str = "(#lastWrong <= :endedBefore OR (attribute_not_exists(#lastWrong) AND \
     (attribute_not_exists(#expires) OR #expires <= :earlierEndedBefore)))";

/// Times a wrong answer is tried again when another answer changed the count between its write
/// and the one after a lock ended (each try is still one write that either counts or locks).
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

    /// An `UpdateItem` of `number`'s record at `now` that returns the item as it was when its
    /// condition fails, with the names and values every answer's write uses.
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
            .expression_attribute_values(":max", number_value(self.policy.max_failed_answers))
            .expression_attribute_values(":expires", number_value(now.saturating_add(FORGET_AFTER_SECONDS)))
    }

    /// The names and values of [`LOCK_ENDED`] at `now`.
    fn lock_ended(&self, request: UpdateItemFluentBuilder, now: u64) -> UpdateItemFluentBuilder {
        let lockout = self.policy.lockout_seconds;
        request
            .expression_attribute_names("#lastWrong", "lastWrongAt")
            .expression_attribute_values(":endedBefore", number_value(now.saturating_sub(lockout)))
            .expression_attribute_values(
                ":earlierEndedBefore",
                number_value(now.saturating_add(EARLIER_FORGET_AFTER_SECONDS).saturating_sub(lockout)),
            )
    }

    /// The record, read strongly consistently (`key`: a number, or what a client typed).
    async fn read(&self, key: &str) -> Result<Record, LimitError> {
        let [phone, day] = Self::key_of(key);
        let mut request = self
            .table
            .client()
            .get_item()
            .table_name(self.table.name())
            .key(phone.0, phone.1)
            .key(day.0, day.1)
            .consistent_read(true)
            .projection_expression(RECORD_ATTRIBUTES.map(|name| format!("#{name}")).join(", "));
        for name in RECORD_ATTRIBUTES {
            request = request.expression_attribute_names(format!("#{name}"), name);
        }
        let output = request.send().await.map_err(|e| LimitError::from(aws::classify(&e)))?;
        Ok(output.item().map(record_of).unwrap_or_default())
    }

    /// The table's key of the record of `key` (a number, or what a client typed: see
    /// [`AnswerLedger::pretend`]), for a read made together with others ([`Table::get_many`],
    /// with [`RECORD_ATTRIBUTES`]).
    pub fn record_key(key: &str) -> Key {
        (pretend_key(key).to_owned(), ANSWERS_DAY)
    }

    /// The standing at `now` of the record read as `item` (`None`: no record).
    pub fn standing_in(&self, item: Option<&Item>, now: u64) -> Standing {
        self.policy.standing(&item.map(record_of).unwrap_or_default(), now)
    }

    /// The item a refused write returned, or (a store that returned none) a fresh read of it.
    async fn as_it_was(&self, number: &PhoneNumber, old: Option<Item>) -> Result<Record, LimitError> {
        match old {
            Some(item) => Ok(record_of(&item)),
            None => self.read(number.expose()).await,
        }
    }

    /// A wrong answer's write: `restart` false, counted below the limit; true, the first of a new
    /// count after a lock ended. `Applied` with the count it made, or refused with the record as
    /// it was.
    async fn count(
        &self,
        number: &PhoneNumber,
        id: Option<&AnswerId>,
        now: u64,
        restart: bool,
    ) -> Result<Conditional<u32>, LimitError> {
        let mut request = self
            .update(number, now)
            .expression_attribute_names("#lastWrong", "lastWrongAt")
            .expression_attribute_values(":one", number_value(1))
            .return_values(ReturnValue::UpdatedNew);
        let (update, names_answers) = match (restart, id.is_some()) {
            (false, true) => ("ADD #failures :one, #answers :ids SET #lastWrong = :now, #expires = :expires", true),
            (false, false) => ("ADD #failures :one SET #lastWrong = :now, #expires = :expires", false),
            (true, true) => ("SET #failures = :one, #answers = :ids, #lastWrong = :now, #expires = :expires", true),
            (true, false) => ("SET #failures = :one, #lastWrong = :now, #expires = :expires REMOVE #answers", true),
        };
        let mut condition = if restart {
            request = self.lock_ended(request, now);
            format!("{NO_EARLIER_LOCK} AND #failures >= :max AND {LOCK_ENDED}")
        } else {
            format!("{NO_EARLIER_LOCK} AND {BELOW_LIMIT}")
        };
        if names_answers {
            request = request.expression_attribute_names("#answers", "answers");
        }
        if let Some(id) = id {
            condition.push_str(" AND NOT contains(#answers, :id)");
            request = request
                .expression_attribute_values(":id", AttributeValue::S(id.as_str().to_owned()))
                .expression_attribute_values(":ids", AttributeValue::Ss(vec![id.as_str().to_owned()]));
        }
        let request = request.update_expression(update).condition_expression(condition);
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

    /// Why a write for `id` was refused, from the record as it was: a repeat, or a lock; `None`
    /// when neither (the count was at the limit with its lock ended, or another answer changed it).
    fn refusal(&self, record: &Record, id: Option<&AnswerId>, now: u64) -> Option<WrongAnswer> {
        if id.is_some_and(|id| record.answers.contains(id)) {
            Some(WrongAnswer::Duplicate)
        } else if self.policy.is_locked(record, now) {
            Some(WrongAnswer::AlreadyLocked)
        } else {
            None
        }
    }

    /// What a count of `failures` means.
    fn counted(&self, failures: u32) -> WrongAnswer {
        if failures >= self.policy.max_failed_answers { WrongAnswer::LockedNow } else { WrongAnswer::Counted(failures) }
    }
}

/// The attributes of a number's record that a read needs.
pub const RECORD_ATTRIBUTES: [&str; 6] =
    ["failures", "lastWrongAt", "lockedUntil", "expiresAt", "answers", "establishedAt"];

/// What a client typed as the partition key of a read: DynamoDB refuses an empty key.
fn pretend_key(typed: &str) -> &str {
    if typed.is_empty() { "-" } else { typed }
}

fn number_value(n: impl ToString) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

/// The record an item holds; absent or unreadable fields read as the record's defaults.
fn record_of(item: &Item) -> Record {
    let read = |name: &str| item.get(name).and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<u64>().ok());
    Record {
        failures: read("failures").map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)),
        last_wrong_at: read("lastWrongAt"),
        locked_until: read("lockedUntil").unwrap_or(0),
        expires_at: read("expiresAt"),
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
            for restart in [false, true] {
                let old = match self.count(number, id, now, restart).await? {
                    Conditional::Applied(failures) => return Ok(self.counted(failures)),
                    Conditional::ConditionFailed(old) => self.as_it_was(number, old).await?,
                };
                if let Some(refused) = self.refusal(&old, id, now) {
                    return Ok(refused);
                }
                // Neither a repeat nor locked: at the limit with its lock ended (start a new
                // count), or changed by another answer since (count again).
            }
        }
        Err(LimitError::Refused { code: "ContendedCount".into() })
    }

    async fn record_correct(&self, number: &PhoneNumber, now: u64) -> Result<CorrectAnswer, LimitError> {
        let request = self
            .lock_ended(self.update(number, now), now)
            .update_expression(
                "SET #failures = :zero, #established = if_not_exists(#established, :now), #expires = :expires \
                 REMOVE #answers",
            )
            .condition_expression(format!("{NO_EARLIER_LOCK} AND ({BELOW_LIMIT} OR {LOCK_ENDED})"))
            .expression_attribute_names("#established", "establishedAt")
            .expression_attribute_names("#answers", "answers")
            .expression_attribute_values(":zero", number_value(0))
            .return_values(ReturnValue::AllOld);
        match aws::conditional(request.send().await)? {
            Conditional::Applied(output) => {
                let first = output.attributes().is_none_or(|old| !old.contains_key("establishedAt"));
                Ok(CorrectAnswer::Accepted { first })
            }
            // Its only condition is that the number is not locked.
            Conditional::ConditionFailed(_) => Ok(CorrectAnswer::Locked),
        }
    }

    async fn pretend(&self, key: &str) -> Result<(), LimitError> {
        self.read(pretend_key(key)).await.map(drop)
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
        let earlier_gap_at = |last: u64| n(last + EARLIER_FORGET_AFTER_SECONDS);
        let cases = [
            // The earlier version's lock.
            (Some(map(&[("lockedUntil", n(NOW + 1))])), Lock::Locked, None),
            (Some(map(&[("lockedUntil", n(NOW)), ("establishedAt", n(NOW - 9))])), Lock::Open, Some(NOW - 9)),
            // A count at the limit: locked for LOCKOUT_SECONDS after its last wrong answer.
            (Some(map(&[("failures", n(3)), ("lastWrongAt", n(NOW - 3_599))])), Lock::Locked, None),
            (Some(map(&[("failures", n(3)), ("lastWrongAt", n(NOW - 3_600))])), Lock::Open, None),
            (Some(map(&[("failures", n(2)), ("lastWrongAt", n(NOW))])), Lock::Open, None),
            // The earlier version's count left at the limit, dated by its TTL.
            (Some(map(&[("failures", n(3)), ("expiresAt", earlier_gap_at(NOW - 3_599))])), Lock::Locked, None),
            (Some(map(&[("failures", n(3)), ("expiresAt", earlier_gap_at(NOW - 3_600))])), Lock::Open, None),
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

    /// DynamoDB refuses a request whose names or values its expressions do not all use.
    fn uses_all_it_names(update: &UpdateItemInput) {
        let text =
            format!("{} {}", update.update_expression().unwrap_or(""), update.condition_expression().unwrap_or(""));
        let names = update.expression_attribute_names().into_iter().flat_map(|m| m.keys());
        let values = update.expression_attribute_values().into_iter().flat_map(|m| m.keys());
        for key in names.chain(values) {
            let used = text
                .match_indices(key.as_str())
                .any(|(at, _)| !text[at + key.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'));
            assert!(used, "{key} is not used by {text}");
        }
    }

    const NO_EARLIER_LOCK_AND_BELOW: &str =
        "(attribute_not_exists(#locked) OR #locked <= :now) AND (attribute_not_exists(#failures) OR #failures < :max)";
    const ENDED: &str = "(#lastWrong <= :endedBefore OR (attribute_not_exists(#lastWrong) AND \
         (attribute_not_exists(#expires) OR #expires <= :earlierEndedBefore)))";

    #[tokio::test]
    async fn a_wrong_answer_is_one_write_that_counts_it_remembers_it_and_dates_it() {
        let (seen, record) = recorder::<UpdateItemInput>();
        let rule = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(record)
            .then_output(|| UpdateItemOutput::builder().attributes("failures", n(2)).build());
        assert_eq!(ledger(&[&rule]).record_wrong(&number(), Some(&id()), NOW).await, Ok(WrongAnswer::Counted(2)));

        let update = only(&seen, "UpdateItem");
        uses_all_it_names(&update);
        assert_eq!(update.key(), Some(&the_key()));
        assert_eq!(
            update.update_expression(),
            Some("ADD #failures :one, #answers :ids SET #lastWrong = :now, #expires = :expires")
        );
        assert_eq!(
            update.condition_expression(),
            Some(format!("{NO_EARLIER_LOCK_AND_BELOW} AND NOT contains(#answers, :id)").as_str())
        );
        let values = update.expression_attribute_values().expect("values");
        assert_eq!(values[":max"], n(3));
        assert_eq!(values[":now"], n(NOW), "when: the lock, if this answer reaches the limit, runs from it");
        assert_eq!(values[":id"], AttributeValue::S(id().as_str().to_owned()));
        assert_eq!(values[":expires"], n(NOW + FORGET_AFTER_SECONDS));
        assert_eq!(update.return_values(), Some(&ReturnValue::UpdatedNew));
        assert_eq!(
            update.return_values_on_condition_check_failure(),
            Some(&ReturnValuesOnConditionCheckFailure::AllOld)
        );
    }

    #[tokio::test]
    async fn the_answer_that_reaches_the_limit_is_the_lock_in_the_one_write_that_counts_it() {
        let rule = counted(3);
        let result = ledger(&[&rule]).record_wrong(&number(), Some(&id()), NOW).await;
        assert_eq!(result, Ok(WrongAnswer::LockedNow));
        assert_eq!(rule.num_calls(), 1, "no second write: nothing can come between counting and locking");
    }

    #[tokio::test]
    async fn answers_after_the_one_that_locked_are_refused_by_their_own_write() {
        // Answers racing at the last count: another answer's write landed first.
        let locked = refused(map(&[("failures", n(3)), ("lastWrongAt", n(NOW - 1))]));
        assert_eq!(ledger(&[&locked]).record_wrong(&number(), Some(&id()), NOW).await, Ok(WrongAnswer::AlreadyLocked));
        assert_eq!(locked.num_calls(), 1);
        // Locked by the earlier version.
        let earlier = refused(map(&[("lockedUntil", n(NOW + 10))]));
        assert_eq!(ledger(&[&earlier]).record_wrong(&number(), Some(&id()), NOW).await, Ok(WrongAnswer::AlreadyLocked));
    }

    #[tokio::test]
    async fn a_retried_answer_is_told_from_a_new_one_by_the_item_the_refusal_returns() {
        let old = map(&[("failures", n(1)), ("answers", AttributeValue::Ss(vec![id().as_str().to_owned()]))]);
        let rule = refused(old);
        assert_eq!(ledger(&[&rule]).record_wrong(&number(), Some(&id()), NOW).await, Ok(WrongAnswer::Duplicate));
        assert_eq!(rule.num_calls(), 1, "one write, nothing counted");
    }

    #[tokio::test]
    async fn after_a_lock_ends_the_next_wrong_answer_starts_a_new_count_in_one_write() {
        let (seen, record) = recorder::<UpdateItemInput>();
        let ended = refused(map(&[("failures", n(3)), ("lastWrongAt", n(NOW - 3_600))]));
        let restart = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(record)
            .then_output(|| UpdateItemOutput::builder().attributes("failures", n(1)).build());
        let result = ledger(&[&ended, &restart]).record_wrong(&number(), Some(&id()), NOW).await;
        assert_eq!(result, Ok(WrongAnswer::Counted(1)));
        let update = taken(&seen).pop().expect("the new count");
        uses_all_it_names(&update);
        assert_eq!(
            update.update_expression(),
            Some("SET #failures = :one, #answers = :ids, #lastWrong = :now, #expires = :expires")
        );
        assert_eq!(
            update.condition_expression(),
            Some(
                format!(
                    "(attribute_not_exists(#locked) OR #locked <= :now) AND #failures >= :max AND {ENDED} AND NOT contains(#answers, :id)"
                )
                .as_str()
            )
        );
        let values = update.expression_attribute_values().expect("values");
        assert_eq!(values[":endedBefore"], n(NOW - 3_600));
        assert_eq!(values[":earlierEndedBefore"], n(NOW + EARLIER_FORGET_AFTER_SECONDS - 3_600));
    }

    #[tokio::test]
    async fn when_another_answer_started_the_new_count_first_this_one_is_counted_after_it() {
        let ended = refused(map(&[("failures", n(3)), ("lastWrongAt", n(NOW - 3_600))]));
        let restarted_by_another = refused(map(&[("failures", n(1)), ("lastWrongAt", n(NOW))]));
        let result =
            ledger(&[&ended, &restarted_by_another, &counted(2)]).record_wrong(&number(), Some(&id()), NOW).await;
        assert_eq!(result, Ok(WrongAnswer::Counted(2)));
    }

    #[tokio::test]
    async fn a_failed_write_changes_nothing_and_fails_closed() {
        let throttled = mock!(aws_sdk_dynamodb::Client::update_item)
            .sequence()
            .http_status(400, mocked::dynamodb_error("ValidationException"))
            .build();
        let result = ledger(&[&throttled]).record_wrong(&number(), Some(&id()), NOW).await;
        assert_eq!(result, Err(LimitError::Refused { code: "ValidationException".into() }));
        // One write or none: a count at the limit is never without its lock.
        assert_eq!(throttled.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_correct_answer_resets_and_establishes_in_one_write_unless_locked() {
        let (seen, record) = recorder::<UpdateItemInput>();
        let rule = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(record)
            .then_output(|| UpdateItemOutput::builder().attributes("failures", n(1)).build());
        assert_eq!(ledger(&[&rule]).record_correct(&number(), NOW).await, Ok(CorrectAnswer::Accepted { first: true }));
        let update = only(&seen, "UpdateItem");
        uses_all_it_names(&update);
        assert_eq!(
            update.update_expression(),
            Some(
                "SET #failures = :zero, #established = if_not_exists(#established, :now), #expires = :expires REMOVE #answers"
            )
        );
        assert_eq!(
            update.condition_expression(),
            Some(
                format!(
                    "(attribute_not_exists(#locked) OR #locked <= :now) AND ((attribute_not_exists(#failures) OR #failures < :max) OR {ENDED})"
                )
                .as_str()
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

        // Locked (a count at the limit, or the earlier version's `lockedUntil`): refused, unchanged.
        for old in [map(&[("failures", n(3)), ("lastWrongAt", n(NOW))]), map(&[("lockedUntil", n(NOW + 5))])] {
            let locked = refused(old);
            assert_eq!(ledger(&[&locked]).record_correct(&number(), NOW).await, Ok(CorrectAnswer::Locked));
            assert_eq!(locked.num_calls(), 1, "no other write");
        }
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
        uses_all_it_names(&update);
        assert_eq!(update.update_expression(), Some("ADD #failures :one SET #lastWrong = :now, #expires = :expires"));
        assert!(!update.condition_expression().unwrap_or_default().contains("#answers"));
        // DynamoDB refuses a request that names an attribute its expressions do not use.
        assert!(!update.expression_attribute_names().expect("names").contains_key("#answers"));
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
