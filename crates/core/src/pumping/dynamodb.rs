//! The pumping defences' counts in the per-number table ([`crate::send_limit::dynamodb`]), each
//! under a partition key that can never be a phone number:
//!
//! - `phone` = [`Area::key`] (`prefix:+1876`, `region:JM`): `day` = 0 holds the pause
//!   (`pausedSince`, `pausedUntil`, `expiresAt` as TTL); `day` = a bucket number
//!   ([`BreakerPolicy::bucket`]) that bucket's `sends` and `correct`, added to with one `ADD`
//!   each (no read-modify-write). An area's state is one strongly consistent `BatchGetItem` of
//!   its pause and the window's twelve buckets (with the number's own records, in create: see
//!   [`crate::first_look`]). Setting a pause is one conditional write that succeeds only if the
//!   area is not paused already, so a trip is counted once.
//! - `phone` = `budget:+1876`, `day` = the budget's fixed window: `sends`, added to only below the
//!   budget, in one conditional write.
//! - `phone` = `pool#0` to `pool#9` ([`POOL_SHARDS`]), `day` = the clock hour: `all` and `new`
//!   (sends to never-signed-in numbers), added to only below each shard's part of the ceiling, in
//!   one conditional write.
//!
//! An operator lifts a pause by deleting the area's `day = 0` item.

use std::collections::HashMap;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{Area, AreaState, BreakerPolicy, POOL_SHARDS, PoolCeiling, PoolSlot, Prefix, PumpingLedger, WindowCounts};
use crate::aws::{self, Conditional, Item};
use crate::send_limit::dynamodb::{Key, Table, read_number};
use crate::send_limit::{LimitError, Reservation};

/// The sort key of an area's pause record.
pub const PAUSE_DAY: u64 = 0;

pub struct DynamoDbPumpingLedger {
    table: Table,
    policy: BreakerPolicy,
    ceiling: PoolCeiling,
}

impl DynamoDbPumpingLedger {
    pub fn new(table: Table, policy: BreakerPolicy, ceiling: PoolCeiling) -> Self {
        Self { table, policy, ceiling }
    }

    async fn add(&self, area: &Area, now: u64, counter: &str) -> Result<(), LimitError> {
        self.table
            .client()
            .update_item()
            .table_name(self.table.name())
            .key("phone", AttributeValue::S(area.key()))
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

    /// The items [`PumpingLedger::state`] reads for `area` at `now`, with
    /// [`STATE_ATTRIBUTES`]: its pause record and the buckets of the window.
    pub fn state_keys(&self, area: &Area, now: u64) -> Vec<Key> {
        let name = area.key();
        std::iter::once(PAUSE_DAY).chain(self.policy.window(now)).map(|day| (name.clone(), day)).collect()
    }

    /// The area's state at `now`, from `items` (read at [`Self::state_keys`]; one missing is
    /// never paused, or counted nothing).
    pub fn state_in(&self, area: &Area, items: &HashMap<Key, Item>, now: u64) -> AreaState {
        let name = area.key();
        let get = |day: u64, attribute: &str| {
            read_number(items.get(&(name.clone(), day)).and_then(|item| item.get(attribute)))
        };
        let window = self.policy.window(now).fold(WindowCounts::default(), |sum, bucket| WindowCounts {
            sends: sum.sends.saturating_add(get(bucket, "sends")),
            correct: sum.correct.saturating_add(get(bucket, "correct")),
        });
        AreaState { paused_since: get(PAUSE_DAY, "pausedSince"), paused_until: get(PAUSE_DAY, "pausedUntil"), window }
    }

    /// Takes one back from each of `counters` of the item `key` (`phone`, `day`, the window the
    /// send was taken in), never below zero (an item already gone is left alone): one conditional
    /// `UpdateItem`, made once. A subtraction is not safe to repeat (a retry after a lost answer
    /// would give back twice, and so let a budget be overshot), so it gets no retry; one that
    /// fails leaves the budget one short, which is the safe side.
    async fn give_back(&self, key: (String, u64), counters: &[&str]) -> Result<(), LimitError> {
        let mut request = self
            .table
            .client()
            .update_item()
            .table_name(self.table.name())
            .key("phone", AttributeValue::S(key.0))
            .key("day", number(key.1))
            .expression_attribute_values(":minus_one", number(-1))
            .expression_attribute_values(":zero", number(0));
        let mut adds = Vec::new();
        let mut conditions = Vec::new();
        for name in counters {
            adds.push(format!("#{name} :minus_one"));
            conditions.push(format!("#{name} > :zero"));
            request = request.expression_attribute_names(format!("#{name}"), *name);
        }
        let once =
            aws_sdk_dynamodb::config::Builder::default().retry_config(RetryConfig::standard().with_max_attempts(1));
        let result = request
            .update_expression(format!("ADD {}", adds.join(", ")))
            .condition_expression(conditions.join(" AND "))
            .customize()
            .config_override(once)
            .send()
            .await;
        // Refused for its condition: nothing there to give back.
        aws::conditional(result).map(drop).map_err(LimitError::from)
    }

    /// Takes one send of the pool's ceiling on `shard`, for a never-signed-in number unless
    /// `established`.
    async fn take_pool_shard(&self, shard: u32, now: u64, established: bool) -> Result<Reservation, LimitError> {
        let hour = PoolCeiling::hour(now);
        let mut adds = Vec::new();
        let mut conditions = Vec::new();
        let mut request = self
            .table
            .client()
            .update_item()
            .table_name(self.table.name())
            .key("phone", AttributeValue::S(format!("pool#{shard}")))
            .key("day", number(hour))
            .expression_attribute_names("#expires", "expiresAt")
            .expression_attribute_values(":one", number(1))
            // The end of the next hour: an item outlives every write to its hour.
            .expression_attribute_values(":expires", number((hour + 2) * 3_600));
        let figures = [("all", self.ceiling.per_hour, true), ("new", self.ceiling.new_numbers_per_hour, !established)];
        for (name, figure, counts) in figures {
            if !counts {
                continue;
            }
            adds.push(format!("#{name} :one"));
            request = request.expression_attribute_names(format!("#{name}"), name);
            if figure > 0 {
                conditions.push(format!("(attribute_not_exists(#{name}) OR #{name} < :{name}_cap)"));
                request = request
                    .expression_attribute_values(format!(":{name}_cap"), number(PoolCeiling::shard_cap(figure, shard)));
            }
        }
        request = request.update_expression(format!("ADD {} SET #expires = :expires", adds.join(", ")));
        if !conditions.is_empty() {
            request = request.condition_expression(conditions.join(" AND "));
        }
        Ok(match aws::conditional(request.send().await)? {
            Conditional::Applied(_) => Reservation::Granted,
            Conditional::ConditionFailed(_) => Reservation::Refused,
        })
    }
}

fn number(n: impl ToString) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

/// The attributes an area's records hold: the pause's times, the buckets' counts.
pub const STATE_ATTRIBUTES: [&str; 4] = ["pausedSince", "pausedUntil", "sends", "correct"];

/// A shard drawn at random, so every send spreads the ceiling's writes evenly.
fn random_shard() -> u32 {
    rand::TryRng::try_next_u32(&mut rand::rngs::SysRng).map_or(0, |n| n % POOL_SHARDS)
}

impl PumpingLedger for DynamoDbPumpingLedger {
    async fn state(&self, area: &Area, now: u64) -> Result<AreaState, LimitError> {
        let items = self.table.get_many(&self.state_keys(area, now), &STATE_ATTRIBUTES).await?.all()?;
        Ok(self.state_in(area, &items, now))
    }

    async fn record_send(&self, area: &Area, now: u64) -> Result<(), LimitError> {
        self.add(area, now, "sends").await
    }

    async fn record_correct(&self, area: &Area, now: u64) -> Result<(), LimitError> {
        self.add(area, now, "correct").await
    }

    async fn pause(&self, area: &Area, now: u64, until: u64) -> Result<bool, LimitError> {
        let result = self
            .table
            .client()
            .update_item()
            .table_name(self.table.name())
            .key("phone", AttributeValue::S(area.key()))
            .key("day", number(PAUSE_DAY))
            .update_expression("SET #paused = :until, #since = :now, #expires = :until")
            .condition_expression("attribute_not_exists(#paused) OR #paused <= :now")
            .expression_attribute_names("#paused", "pausedUntil")
            .expression_attribute_names("#since", "pausedSince")
            .expression_attribute_names("#expires", "expiresAt")
            .expression_attribute_values(":until", number(until))
            .expression_attribute_values(":now", number(now))
            .send()
            .await;
        // Refused for its condition: the area was paused already, by another round.
        Ok(match aws::conditional(result)? {
            Conditional::Applied(_) => true,
            Conditional::ConditionFailed(_) => false,
        })
    }

    async fn take_prefix_budget(&self, prefix: &Prefix, now: u64) -> Result<Reservation, LimitError> {
        let window = self.policy.budget_window(now);
        let result = self
            .table
            .client()
            .update_item()
            .table_name(self.table.name())
            .key("phone", AttributeValue::S(format!("budget:{prefix}")))
            .key("day", number(window))
            .update_expression("ADD #sends :one SET #expires = :expires")
            .condition_expression("attribute_not_exists(#sends) OR #sends < :budget")
            .expression_attribute_names("#sends", "sends")
            .expression_attribute_names("#expires", "expiresAt")
            .expression_attribute_values(":one", number(1))
            .expression_attribute_values(":budget", number(self.policy.budget_per_window))
            .expression_attribute_values(":expires", number((window + 2).saturating_mul(self.policy.window_seconds)))
            .send()
            .await;
        Ok(match aws::conditional(result)? {
            Conditional::Applied(_) => Reservation::Granted,
            Conditional::ConditionFailed(_) => Reservation::Refused,
        })
    }

    async fn take_pool(&self, now: u64, established: bool) -> Result<Option<PoolSlot>, LimitError> {
        let first = random_shard();
        if self.take_pool_shard(first, now, established).await? == Reservation::Granted {
            return Ok(Some(PoolSlot { shard: first }));
        }
        // That shard's part is spent; another may not be yet.
        let other = (first + 1 + random_shard() % (POOL_SHARDS - 1)) % POOL_SHARDS;
        Ok(match self.take_pool_shard(other, now, established).await? {
            Reservation::Granted => Some(PoolSlot { shard: other }),
            Reservation::Refused => None,
        })
    }

    async fn give_back_prefix_budget(&self, prefix: &Prefix, now: u64) -> Result<(), LimitError> {
        let key = (format!("budget:{prefix}"), self.policy.budget_window(now));
        self.give_back(key, &["sends"]).await
    }

    async fn give_back_pool(&self, slot: PoolSlot, now: u64, established: bool) -> Result<(), LimitError> {
        let key = (format!("pool#{}", slot.shard), PoolCeiling::hour(now));
        self.give_back(key, if established { &["all"] } else { &["all", "new"] }).await
    }
}

#[cfg(test)]
mod tests {

    use aws_sdk_dynamodb::operation::batch_get_item::{BatchGetItemInput, BatchGetItemOutput};
    use aws_sdk_dynamodb::operation::update_item::{UpdateItemInput, UpdateItemOutput};
    use aws_smithy_mocks::{Rule, mock};

    use super::*;
    use crate::aws::mocked::{self, map, n, only, recorder, taken};
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

    const CEILING: PoolCeiling = PoolCeiling { per_hour: 1_000, new_numbers_per_hour: 205 };

    fn number() -> PhoneNumber {
        PhoneNumber::parse("+18765550100").expect("a valid number")
    }

    fn prefix() -> Area {
        Area::Prefix(Prefix::of(&number()))
    }

    fn ledger(rules: &[&Rule]) -> DynamoDbPumpingLedger {
        let client = mocked::dynamodb(&sdk_config(), mocked::mock_http(), rules);
        DynamoDbPumpingLedger::new(Table::with_client(TABLE.into(), client), POLICY, CEILING)
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

    /// An item of the area `prefix:+1876` as a read with its key returns it.
    fn area_item(day: u64, attributes: &[(&str, AttributeValue)]) -> Item {
        let mut item = map(attributes);
        item.insert("phone".into(), AttributeValue::S("prefix:+1876".into()));
        item.insert("day".into(), n(day));
        item
    }

    #[tokio::test]
    async fn the_state_is_the_pause_and_the_sum_of_the_window_s_buckets_read_consistently_at_once() {
        let (seen, record) = recorder::<BatchGetItemInput>();
        let rule = mock!(aws_sdk_dynamodb::Client::batch_get_item).match_requests(record).then_output(|| {
            let items = vec![
                area_item(PAUSE_DAY, &[("pausedUntil", n(NOW + 60)), ("pausedSince", n(NOW - 1_740))]),
                area_item(BUCKET, &[("sends", n(7)), ("correct", n(1))]),
                area_item(BUCKET - 11, &[("sends", n(5))]),
                // Unreadable counts count as nothing.
                area_item(BUCKET - 3, &[("sends", AttributeValue::S("many".into())), ("correct", n(2))]),
            ];
            BatchGetItemOutput::builder().responses(TABLE, items).build()
        });
        let state = ledger(&[&rule]).state(&prefix(), NOW).await.expect("read");
        assert_eq!(
            state,
            AreaState {
                paused_since: NOW - 1_740,
                paused_until: NOW + 60,
                window: WindowCounts { sends: 12, correct: 3 }
            }
        );

        let request = only(&seen, "BatchGetItem");
        let asked = &request.request_items().expect("items")[TABLE];
        assert_eq!(asked.consistent_read(), Some(true));
        let mut days: Vec<u64> = asked
            .keys()
            .iter()
            .map(|key| {
                assert_eq!(key["phone"], AttributeValue::S("prefix:+1876".into()));
                key["day"].as_n().expect("a number").parse().expect("a day")
            })
            .collect();
        days.sort_unstable();
        // The pause, and twelve 5-minute buckets, the current one included.
        let expected: Vec<u64> = std::iter::once(PAUSE_DAY).chain(BUCKET - 11..=BUCKET).collect();
        assert_eq!(days, expected);
    }

    #[tokio::test]
    async fn a_prefix_never_counted_is_not_paused_and_has_an_empty_window() {
        let rule =
            mock!(aws_sdk_dynamodb::Client::batch_get_item).then_output(|| BatchGetItemOutput::builder().build());
        assert_eq!(ledger(&[&rule]).state(&prefix(), NOW).await, Ok(AreaState::default()));
    }

    #[tokio::test]
    async fn a_failed_read_of_the_state_is_an_error_with_its_code() {
        let rule = mock!(aws_sdk_dynamodb::Client::batch_get_item)
            .sequence()
            .http_status(400, mocked::dynamodb_error("AccessDeniedException"))
            .build();
        assert_eq!(
            ledger(&[&rule]).state(&prefix(), NOW).await,
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
        assert_eq!(update.update_expression(), Some("SET #paused = :until, #since = :now, #expires = :until"));
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

    #[tokio::test]
    async fn a_region_is_counted_under_its_own_key() {
        let (seen, record) = recorder::<UpdateItemInput>();
        let rule = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(record)
            .then_output(|| UpdateItemOutput::builder().build());
        let [_, region] = Area::of(&number());
        ledger(&[&rule]).record_send(&region, NOW).await.expect("counted");
        let update = only(&seen, "UpdateItem");
        assert_eq!(update.key(), Some(&map(&[("phone", AttributeValue::S("region:JM".into())), ("day", n(BUCKET))])));
    }

    #[tokio::test]
    async fn a_prefix_budget_is_one_conditional_add_on_its_fixed_window() {
        let (seen, record) = recorder::<UpdateItemInput>();
        let rule = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(record)
            .then_output(|| UpdateItemOutput::builder().build());
        let client = mocked::dynamodb(&sdk_config(), mocked::mock_http(), &[&rule]);
        let budget = BreakerPolicy { budget_per_window: 50, ..POLICY };
        let ledger = DynamoDbPumpingLedger::new(Table::with_client(TABLE.into(), client), budget, CEILING);
        let Area::Prefix(prefix) = prefix() else { unreachable!("a prefix") };
        assert_eq!(ledger.take_prefix_budget(&prefix, NOW).await, Ok(Reservation::Granted));
        let update = only(&seen, "UpdateItem");
        let window = NOW / 3_600;
        assert_eq!(
            update.key(),
            Some(&map(&[("phone", AttributeValue::S("budget:+1876".into())), ("day", n(window))]))
        );
        assert_eq!(update.update_expression(), Some("ADD #sends :one SET #expires = :expires"));
        assert_eq!(update.condition_expression(), Some("attribute_not_exists(#sends) OR #sends < :budget"));
        assert_eq!(update.expression_attribute_values().expect("values")[":budget"], n(50));

        let spent = mock!(aws_sdk_dynamodb::Client::update_item)
            .sequence()
            .http_status(400, mocked::dynamodb_error("ConditionalCheckFailedException"))
            .build();
        let client = mocked::dynamodb(&sdk_config(), mocked::mock_http(), &[&spent]);
        let ledger = DynamoDbPumpingLedger::new(Table::with_client(TABLE.into(), client), budget, CEILING);
        assert_eq!(ledger.take_prefix_budget(&prefix, NOW).await, Ok(Reservation::Refused));
    }

    #[tokio::test]
    async fn the_pool_ceiling_is_one_conditional_add_on_a_shard_and_tries_one_other_when_full() {
        let (seen, record) = recorder::<UpdateItemInput>();
        let full = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(record)
            .sequence()
            .http_status(400, mocked::dynamodb_error("ConditionalCheckFailedException"))
            .output(|| UpdateItemOutput::builder().build())
            .build();
        let slot = ledger(&[&full]).take_pool(NOW, false).await.expect("taken").expect("granted");
        let writes = taken(&seen);
        assert_eq!(writes.len(), 2, "the first shard full, another one tried");
        let shard = |u: &UpdateItemInput| match u.key().and_then(|k| k.get("phone")) {
            Some(AttributeValue::S(key)) => key.clone(),
            other => panic!("{other:?}"),
        };
        assert_ne!(shard(&writes[0]), shard(&writes[1]));
        assert_eq!(shard(&writes[1]), format!("pool#{}", slot.shard), "the slot says where, to give it back");
        for update in &writes {
            assert!(shard(update).starts_with("pool#"));
            assert_eq!(update.key().and_then(|k| k.get("day")), Some(&n(NOW / 3_600)));
            assert_eq!(update.update_expression(), Some("ADD #all :one, #new :one SET #expires = :expires"));
            assert_eq!(
                update.condition_expression(),
                Some(
                    "(attribute_not_exists(#all) OR #all < :all_cap) AND (attribute_not_exists(#new) OR #new < :new_cap)"
                )
            );
            let index: u32 = shard(update)["pool#".len()..].parse().expect("a shard number");
            let values = update.expression_attribute_values().expect("values");
            assert_eq!(values[":all_cap"], n(PoolCeiling::shard_cap(1_000, index)));
            assert_eq!(values[":new_cap"], n(PoolCeiling::shard_cap(205, index)));
        }

        // An established number counts toward the whole ceiling only.
        let (seen, record) = recorder::<UpdateItemInput>();
        let rule = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(record)
            .then_output(|| UpdateItemOutput::builder().build());
        assert!(matches!(ledger(&[&rule]).take_pool(NOW, true).await, Ok(Some(_))));
        let update = only(&seen, "UpdateItem");
        assert_eq!(update.update_expression(), Some("ADD #all :one SET #expires = :expires"));
        assert_eq!(update.condition_expression(), Some("(attribute_not_exists(#all) OR #all < :all_cap)"));
    }

    #[tokio::test]
    async fn two_full_shards_refuse_the_send() {
        let full = mock!(aws_sdk_dynamodb::Client::update_item)
            .sequence()
            .http_status(400, mocked::dynamodb_error("ConditionalCheckFailedException"))
            .times(2)
            .build();
        assert_eq!(ledger(&[&full]).take_pool(NOW, false).await, Ok(None));
        assert_eq!(full.num_calls(), 2);
    }

    #[tokio::test]
    async fn a_budget_given_back_is_one_conditional_subtraction_that_never_goes_below_zero() {
        let (seen, record) = recorder::<UpdateItemInput>();
        let rule = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(record)
            .sequence()
            .output(|| UpdateItemOutput::builder().build())
            .times(3)
            .build();
        let pool = ledger(&[&rule]);
        pool.give_back_pool(PoolSlot { shard: 7 }, NOW, false).await.expect("given back");
        pool.give_back_pool(PoolSlot { shard: 2 }, NOW, true).await.expect("given back");
        let budget = BreakerPolicy { budget_per_window: 50, ..POLICY };
        let budget_ledger = DynamoDbPumpingLedger::new(
            Table::with_client(TABLE.into(), mocked::dynamodb(&sdk_config(), mocked::mock_http(), &[&rule])),
            budget,
            CEILING,
        );
        let Area::Prefix(p) = prefix() else { panic!("a prefix") };
        budget_ledger.give_back_prefix_budget(&p, NOW).await.expect("given back");

        let writes = taken(&seen);
        let key = |u: &UpdateItemInput| u.key().cloned().expect("a key");
        assert_eq!(key(&writes[0]), map(&[("phone", AttributeValue::S("pool#7".into())), ("day", n(NOW / 3_600))]));
        assert_eq!(writes[0].update_expression(), Some("ADD #all :minus_one, #new :minus_one"));
        assert_eq!(writes[0].condition_expression(), Some("#all > :zero AND #new > :zero"));
        assert_eq!(writes[0].expression_attribute_values().expect("values")[":minus_one"], n(-1));
        assert_eq!(key(&writes[1]), map(&[("phone", AttributeValue::S("pool#2".into())), ("day", n(NOW / 3_600))]));
        assert_eq!(writes[1].update_expression(), Some("ADD #all :minus_one"), "an established number's");
        assert_eq!(
            key(&writes[2]),
            map(&[("phone", AttributeValue::S("budget:+1876".into())), ("day", n(NOW / 3_600))])
        );
        assert_eq!(writes[2].update_expression(), Some("ADD #sends :minus_one"));
        assert_eq!(writes[2].condition_expression(), Some("#sends > :zero"));

        // Nothing there to give back (the item expired): refused for its condition, not an error.
        let nothing = mock!(aws_sdk_dynamodb::Client::update_item)
            .sequence()
            .http_status(400, mocked::dynamodb_error("ConditionalCheckFailedException"))
            .build();
        assert_eq!(ledger(&[&nothing]).give_back_pool(PoolSlot { shard: 0 }, NOW, false).await, Ok(()));

        // Never tried again: a retry after a lost answer would give back twice.
        let throttled = mock!(aws_sdk_dynamodb::Client::update_item)
            .sequence()
            .http_status(400, mocked::dynamodb_error("ThrottlingException"))
            .times(2)
            .build();
        let result = ledger(&[&throttled]).give_back_pool(PoolSlot { shard: 0 }, NOW, false).await;
        assert_eq!(result, Err(LimitError::Refused { code: "ThrottlingException".into() }));
        assert_eq!(throttled.num_calls(), 1);
    }
}
