//! Create's first look in one `BatchGetItem` of the per-number table: the number's record
//! (`day` = 0), its SMS counts of the day, and, for a number its areas may judge, each area's pause
//! and the window's buckets: 28 keys at most, of DynamoDB's 100. Each store's adapter says which
//! items it reads and what they mean ([`DynamoDbLockout::record_key`],
//! [`DynamoDbLimiter::slot_read`], [`DynamoDbPumpingLedger::state_keys`]), so the one read and
//! the stores' own reads agree.

use super::{Ask, FirstLook, Seen, Stores, Whose};
use crate::lockout::dynamodb::{DynamoDbLockout, RECORD_ATTRIBUTES};
use crate::pumping::dynamodb::{DynamoDbPumpingLedger, STATE_ATTRIBUTES};
use crate::send_limit::LimitError;
use crate::send_limit::dynamodb::{DynamoDbLimiter, Key, Table};

/// The look in one read. The three stores share one table ([`Table`]).
#[derive(Clone)]
pub struct Batched {
    table: Table,
}

impl Batched {
    pub fn new(table: Table) -> Self {
        Self { table }
    }
}

impl FirstLook<DynamoDbLimiter, DynamoDbLockout, DynamoDbPumpingLedger> for Batched {
    async fn look(
        &self,
        stores: Stores<'_, DynamoDbLimiter, DynamoDbLockout, DynamoDbPumpingLedger>,
        ask: Ask<'_>,
        now: u64,
    ) -> Result<Seen, LimitError> {
        let key = match ask.whose {
            Whose::Number(number) => number.expose(),
            Whose::Pretend(typed) => typed,
        };
        let record = DynamoDbLockout::record_key(key);
        // An unknown user's look asks for what a number's would, so the two take as long.
        let slot =
            (ask.slot || matches!(ask.whose, Whose::Pretend(_))).then(|| DynamoDbLimiter::slot_read(&record.0, now));
        let mut keys: Vec<Key> = vec![record.clone()];
        let mut attributes: Vec<&str> = RECORD_ATTRIBUTES.to_vec();
        if let Some((day, counts)) = &slot {
            keys.push(day.clone());
            attributes.extend(counts.iter().map(String::as_str));
        }
        if let Some((areas, _)) = ask.areas {
            keys.extend(areas.iter().flat_map(|area| stores.pumping.state_keys(area, now)));
            attributes.extend(STATE_ATTRIBUTES);
        }
        attributes.sort_unstable();
        attributes.dedup();
        let items = self.table.get_many(&keys, &attributes).await?;

        if let Whose::Pretend(_) = ask.whose {
            return Ok(Seen { standing: crate::lockout::Standing::NEW, has_slot: true, areas: None });
        }
        let standing = stores.ledger.standing_in(items.get(&record), now);
        let has_slot = match (&slot, ask.slot) {
            (Some((day, _)), true) => stores.limiter.slot_left(items.get(day), now),
            _ => true,
        };
        let areas = match ask.areas {
            Some((areas, _)) if ask.judges(&standing, now) => {
                Some(areas.each_ref().map(|area| stores.pumping.state_in(area, &items, now)))
            }
            _ => None,
        };
        Ok(Seen { standing, has_slot, areas })
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::operation::batch_get_item::{BatchGetItemInput, BatchGetItemOutput};
    use aws_sdk_dynamodb::types::AttributeValue;
    use aws_smithy_mocks::mock;

    use super::*;
    use crate::aws::Item;
    use crate::aws::mocked::{self, map, n, recorder, taken};
    use crate::lockout::{Lock, LockoutPolicy, Standing};
    use crate::phone::PhoneNumber;
    use crate::pumping::dynamodb::PAUSE_DAY;
    use crate::pumping::{Area, AreaState, BreakerPolicy, PoolCeiling, WindowCounts};
    use crate::send_limit::PerNumberLimits;
    use crate::send_limit::dynamodb::sdk_config;

    const TABLE: &str = "sms-send-limit";
    /// 2025-11-21 13:00:05 UTC: day 20413, hour 13.
    const NOW: u64 = 1_763_730_005;
    const DAY: u64 = 20_413;
    /// With 5-minute buckets: NOW / 300 + 1.
    const BUCKET: u64 = 5_879_101;
    const POLICY: BreakerPolicy = BreakerPolicy {
        min_sends: 20,
        min_conversion_percent: 10,
        pause_seconds: 1_800,
        window_seconds: 3_600,
        budget_per_window: 0,
    };
    const TO: &str = "+18765550100";

    fn item(phone: &str, day: u64, attributes: &[(&str, AttributeValue)]) -> Item {
        let mut item = map(attributes);
        item.insert("phone".into(), AttributeValue::S(phone.into()));
        item.insert("day".into(), n(day));
        item
    }

    type DynamoDbStores = (DynamoDbLimiter, DynamoDbLockout, DynamoDbPumpingLedger);
    type Requests = std::sync::Arc<std::sync::Mutex<Vec<BatchGetItemInput>>>;

    /// The look and the three stores on one table whose one `BatchGetItem` answers `items`, and
    /// the requests it got.
    fn look_at(items: Vec<Item>) -> (Batched, DynamoDbStores, Requests) {
        let (seen, record) = recorder::<BatchGetItemInput>();
        let rule = mock!(aws_sdk_dynamodb::Client::batch_get_item)
            .match_requests(record)
            .sequence()
            .output(move || BatchGetItemOutput::builder().responses(TABLE, items.clone()).build())
            .repeatedly()
            .build();
        let table = Table::with_client(TABLE.into(), mocked::dynamodb(&sdk_config(), mocked::mock_http(), &[&rule]));
        let stores = (
            DynamoDbLimiter::new(table.clone(), PerNumberLimits { per_hour: 5, per_day: 10 }),
            DynamoDbLockout::new(table.clone(), LockoutPolicy { max_failed_answers: 3, lockout_seconds: 3_600 }),
            DynamoDbPumpingLedger::new(
                table.clone(),
                POLICY,
                PoolCeiling { per_hour: 1_000, new_numbers_per_hour: 200 },
            ),
        );
        (Batched::new(table), stores, seen)
    }

    fn keys(request: &BatchGetItemInput) -> Vec<(String, u64)> {
        let mut keys: Vec<_> = request.request_items().expect("items")[TABLE]
            .keys()
            .iter()
            .map(|key| {
                let phone = key["phone"].as_s().expect("a string").clone();
                (phone, key["day"].as_n().expect("a number").parse::<u64>().expect("a day"))
            })
            .collect();
        keys.sort();
        keys
    }

    #[tokio::test]
    async fn a_new_number_s_record_slot_and_areas_are_one_consistent_read() {
        let number = PhoneNumber::parse(TO).expect("a number");
        let areas = Area::of(&number);
        let (look, (limiter, ledger, pumping), seen) = look_at(vec![
            item(TO, DAY, &[("sends", n(10)), ("h13", n(1))]),
            item("prefix:+1876", PAUSE_DAY, &[("pausedSince", n(NOW - 60)), ("pausedUntil", n(NOW + 1_740))]),
            item("prefix:+1876", BUCKET, &[("sends", n(20))]),
            item("region:JM", BUCKET - 11, &[("sends", n(4)), ("correct", n(3))]),
        ]);
        let ask = Ask { whose: Whose::Number(&number), slot: true, areas: Some((&areas, &POLICY)) };
        let stores = Stores { limiter: &limiter, ledger: &ledger, pumping: &pumping };
        let got = look.look(stores, ask, NOW).await.expect("read");
        assert_eq!(
            got,
            Seen {
                standing: Standing::NEW,
                has_slot: false,
                areas: Some([
                    AreaState {
                        paused_since: NOW - 60,
                        paused_until: NOW + 1_740,
                        window: WindowCounts { sends: 20, correct: 0 }
                    },
                    AreaState { paused_since: 0, paused_until: 0, window: WindowCounts { sends: 4, correct: 3 } },
                ]),
            }
        );
        let requests = taken(&seen);
        assert_eq!(requests.len(), 1, "one read");
        let asked = keys(&requests[0]);
        assert_eq!(asked.len(), 28, "record, slot, and two areas' pause and twelve buckets");
        for key in [(TO.to_owned(), 0), (TO.to_owned(), DAY), ("region:JM".into(), 0), ("region:JM".into(), BUCKET)] {
            assert!(asked.contains(&key), "{key:?}");
        }
        assert_eq!(requests[0].request_items().expect("items")[TABLE].consistent_read(), Some(true));
    }

    #[tokio::test]
    async fn an_established_number_s_areas_do_not_judge_it_and_a_lock_is_seen() {
        let number = PhoneNumber::parse(TO).expect("a number");
        let areas = Area::of(&number);
        let (look, (limiter, ledger, pumping), _) = look_at(vec![item(
            TO,
            0,
            &[("establishedAt", n(NOW - 86_400)), ("failures", n(3)), ("lastWrongAt", n(NOW - 10))],
        )]);
        let ask = Ask { whose: Whose::Number(&number), slot: true, areas: Some((&areas, &POLICY)) };
        let stores = Stores { limiter: &limiter, ledger: &ledger, pumping: &pumping };
        let got = look.look(stores, ask, NOW).await.expect("read");
        assert_eq!(got.standing, Standing { lock: Lock::Locked, established_at: Some(NOW - 86_400) });
        assert!(got.has_slot);
        assert_eq!(got.areas, None, "established a day before any running pause");
    }

    #[tokio::test]
    async fn an_unknown_user_s_look_asks_for_as_much_as_a_new_number_s_and_sees_nothing() {
        let number = PhoneNumber::parse(TO).expect("a number");
        let areas = Area::of(&number);
        let (look, (limiter, ledger, pumping), seen) =
            look_at(vec![item(TO, DAY, &[("sends", n(10))]), item(TO, 0, &[("failures", n(3))])]);
        let stores = || Stores { limiter: &limiter, ledger: &ledger, pumping: &pumping };
        let unknown = Ask { whose: Whose::Pretend(TO), slot: false, areas: Some((&areas, &POLICY)) };
        let got = look.look(stores(), unknown, NOW).await.expect("read");
        assert_eq!(got, Seen { standing: Standing::NEW, has_slot: true, areas: None });
        let known = Ask { whose: Whose::Number(&number), slot: true, areas: Some((&areas, &POLICY)) };
        look.look(stores(), known, NOW).await.expect("read");
        let requests = taken(&seen);
        assert_eq!(keys(&requests[0]), keys(&requests[1]), "the same read");

        // An empty name is still a key DynamoDB takes.
        let nothing = Ask { whose: Whose::Pretend(""), slot: false, areas: None };
        look.look(stores(), nothing, NOW).await.expect("read");
        assert_eq!(keys(&taken(&seen)[2]), [("-".to_owned(), 0), ("-".to_owned(), DAY)]);
    }

    #[tokio::test]
    async fn a_failed_read_fails_the_look() {
        let rule = mock!(aws_sdk_dynamodb::Client::batch_get_item)
            .sequence()
            .http_status(400, mocked::dynamodb_error("AccessDeniedException"))
            .build();
        let table = Table::with_client(TABLE.into(), mocked::dynamodb(&sdk_config(), mocked::mock_http(), &[&rule]));
        let limiter = DynamoDbLimiter::new(table.clone(), PerNumberLimits { per_hour: 5, per_day: 10 });
        let ledger = DynamoDbLockout::new(table.clone(), LockoutPolicy { max_failed_answers: 3, lockout_seconds: 60 });
        let pumping =
            DynamoDbPumpingLedger::new(table.clone(), POLICY, PoolCeiling { per_hour: 0, new_numbers_per_hour: 0 });
        let number = PhoneNumber::parse(TO).expect("a number");
        let ask = Ask { whose: Whose::Number(&number), slot: true, areas: None };
        let stores = Stores { limiter: &limiter, ledger: &ledger, pumping: &pumping };
        assert_eq!(
            Batched::new(table).look(stores, ask, NOW).await,
            Err(LimitError::Refused { code: "AccessDeniedException".into() })
        );
    }
}
