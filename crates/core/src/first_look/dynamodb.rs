//! Create's first look in one `BatchGetItem` of the per-number table: the number's record
//! (`day` = 0), its SMS counts of the day, and, while the breaker is on, each of its areas' pause
//! and window buckets: 28 keys, of DynamoDB's 100; an unknown user's look asks for as many (what
//! was typed, as a record, a day's counts, and padding in its own partition). Each store's adapter
//! says which items it reads and what they mean ([`DynamoDbLockout::record_key`],
//! [`DynamoDbLimiter::slot_read`], [`DynamoDbPumpingLedger::state_keys`]), so the one read and
//! the stores' own reads agree.
//!
//! The look fails (closed) when a key the round needs stays unread ([`Read::unread`]): the
//! record, the slot, and the areas' keys only for a number they judge. Every first sign-in writes
//! its areas' items, so they are the ones a burst throttles; an established number's sign-in
//! does not depend on them.

use super::{Ask, FirstLook, Seen, Stores, Whose};
use crate::lockout::Standing;
use crate::lockout::dynamodb::{DynamoDbLockout, RECORD_ATTRIBUTES};
use crate::pumping::dynamodb::{DynamoDbPumpingLedger, STATE_ATTRIBUTES};
use crate::pumping::{Area, BUCKETS_PER_WINDOW};
use crate::send_limit::LimitError;
use crate::send_limit::dynamodb::{DynamoDbLimiter, Key, Read, Table};

/// Keys an unknown user's look adds in place of a number's areas: each area's pause and buckets.
const PADDING: u64 = 2 * (1 + BUCKETS_PER_WINDOW);

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
        let (day, counts) = DynamoDbLimiter::slot_read(&record.0, now);
        let needed = [record.clone(), day.clone()];
        let mut keys: Vec<Key> = needed.to_vec();
        let mut attributes: Vec<&str> = RECORD_ATTRIBUTES.to_vec();
        attributes.extend(counts.iter().map(String::as_str));
        let areas = match ask.whose {
            Whose::Number(number) => ask.breaker.map(|_| Area::of(number)),
            Whose::Pretend(_) => None,
        };
        let area_keys: Vec<Key> = match (&areas, ask.whose) {
            (Some(areas), _) => areas.iter().flat_map(|area| stores.pumping.state_keys(area, now)).collect(),
            // An unknown user's look reads as many keys, in its own partition.
            (None, Whose::Pretend(_)) if ask.breaker.is_some() => {
                (1..=PADDING).map(|n| (record.0.clone(), n)).collect()
            }
            (None, _) => Vec::new(),
        };
        keys.extend(area_keys.iter().cloned());
        if !area_keys.is_empty() {
            attributes.extend(STATE_ATTRIBUTES);
        }
        let read = self.table.get_many(&keys, &attributes).await?;
        read.require(needed.iter())?;
        let Read { items, .. } = &read;

        if let Whose::Pretend(_) = ask.whose {
            return Ok(Seen { standing: Standing::NEW, has_slot: true, areas: None });
        }
        let standing = stores.ledger.standing_in(items.get(&record), now);
        let has_slot = !ask.slot || stores.limiter.slot_left(items.get(&day), now);
        let areas = match areas {
            Some(areas) if ask.judges(&standing, now) => {
                read.require(area_keys.iter())?;
                Some(areas.each_ref().map(|area| stores.pumping.state_in(area, items, now)))
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
    use crate::pumping::{AreaState, BreakerPolicy, PoolCeiling, WindowCounts};
    use crate::send_limit::PerNumberLimits;
    use crate::send_limit::dynamodb::sdk_config;

    const TABLE: &str = "sms-send-limit";
    /// 2025-11-21 13:00:05 UTC: day 20413, hour 13.
    const NOW: u64 = 1_763_730_005;
    const DAY: u64 = 20_413;
    /// With 5-minute buckets: NOW / 300 + 1.
    const BUCKET: u64 = 5_879_101;
    const POLICY: BreakerPolicy = crate::testkit::pumping::EXAMPLE_POLICY;
    const TO: &str = "+18765550100";

    fn item(phone: &str, day: u64, attributes: &[(&str, AttributeValue)]) -> Item {
        let mut item = map(attributes);
        item.insert("phone".into(), AttributeValue::S(phone.into()));
        item.insert("day".into(), n(day));
        item
    }

    type DynamoDbStores = (DynamoDbLimiter, DynamoDbLockout, DynamoDbPumpingLedger);
    type Requests = std::sync::Arc<std::sync::Mutex<Vec<BatchGetItemInput>>>;

    /// The three DynamoDB stores on `table`.
    fn stores_on(table: &Table) -> DynamoDbStores {
        (
            DynamoDbLimiter::new(table.clone(), PerNumberLimits { per_hour: 5, per_day: 10 }),
            DynamoDbLockout::new(table.clone(), LockoutPolicy { max_failed_answers: 3, lockout_seconds: 3_600 }),
            DynamoDbPumpingLedger::new(table.clone(), POLICY, PoolCeiling { per_hour: 0, new_numbers_per_hour: 0 }),
        )
    }

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
        (Batched::new(table.clone()), stores_on(&table), seen)
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

    fn ask(number: &PhoneNumber) -> Ask<'_> {
        Ask { whose: Whose::Number(number), slot: true, breaker: Some(&POLICY) }
    }

    #[tokio::test]
    async fn a_new_number_s_record_slot_and_areas_are_one_consistent_read() {
        let number = PhoneNumber::parse(TO).expect("a number");
        let (look, (limiter, ledger, pumping), seen) = look_at(vec![
            item(TO, DAY, &[("sends", n(10)), ("h13", n(1))]),
            item("prefix:+1876", PAUSE_DAY, &[("pausedSince", n(NOW - 60)), ("pausedUntil", n(NOW + 1_740))]),
            item("prefix:+1876", BUCKET, &[("sends", n(20))]),
            item("region:JM", BUCKET - 11, &[("sends", n(4)), ("correct", n(3))]),
        ]);
        let stores = Stores { limiter: &limiter, ledger: &ledger, pumping: &pumping };
        let got = look.look(stores, ask(&number), NOW).await.expect("read");
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
        let (look, (limiter, ledger, pumping), _) = look_at(vec![item(
            TO,
            0,
            &[("establishedAt", n(NOW - 86_400)), ("failures", n(3)), ("lastWrongAt", n(NOW - 10))],
        )]);
        let stores = Stores { limiter: &limiter, ledger: &ledger, pumping: &pumping };
        let got = look.look(stores, ask(&number), NOW).await.expect("read");
        assert_eq!(got.standing, Standing { lock: Lock::Locked, established_at: Some(NOW - 86_400) });
        assert!(got.has_slot);
        assert_eq!(got.areas, None, "established a day before any running pause");
    }

    /// What a round shows of itself, before it knows what it is: the same read for a registered
    /// number, the same number typed by an unknown user (withheld: no slot needed), and a name
    /// that is no number.
    #[tokio::test]
    async fn every_round_s_look_has_the_same_shape() {
        let number = PhoneNumber::parse(TO).expect("a number");
        let (look, (limiter, ledger, pumping), seen) =
            look_at(vec![item(TO, DAY, &[("sends", n(10))]), item(TO, 0, &[("failures", n(3))])]);
        let stores = || Stores { limiter: &limiter, ledger: &ledger, pumping: &pumping };
        look.look(stores(), ask(&number), NOW).await.expect("read");
        let withheld = Ask { whose: Whose::Number(&number), slot: false, breaker: Some(&POLICY) };
        look.look(stores(), withheld, NOW).await.expect("read");
        let unknown = Ask { whose: Whose::Pretend("alice"), slot: false, breaker: Some(&POLICY) };
        let got = look.look(stores(), unknown, NOW).await.expect("read");
        assert_eq!(got, Seen { standing: Standing::NEW, has_slot: true, areas: None });
        let requests = taken(&seen);
        assert_eq!(keys(&requests[0]), keys(&requests[1]), "registered or not, the same keys");
        assert_eq!(keys(&requests[2]).len(), keys(&requests[0]).len(), "a name that is no number: as many");
        let attributes = |r: &BatchGetItemInput| {
            let mut names: Vec<String> = r.request_items().expect("items")[TABLE]
                .expression_attribute_names()
                .expect("names")
                .values()
                .cloned()
                .collect();
            names.sort();
            names
        };
        assert_eq!(attributes(&requests[2]), attributes(&requests[0]));

        // The breaker off: the record and the slot, for everyone; an empty name is still a key.
        let off = Ask { whose: Whose::Pretend(""), slot: false, breaker: None };
        look.look(stores(), off, NOW).await.expect("read");
        assert_eq!(keys(&taken(&seen)[3]), [("-".to_owned(), 0), ("-".to_owned(), DAY)]);
    }

    /// A read DynamoDB leaves partly unprocessed, request after request, for `unread`.
    fn throttled(unread: &'static [(&'static str, u64)], items: Vec<Item>) -> (Batched, DynamoDbStores) {
        let rule = mock!(aws_sdk_dynamodb::Client::batch_get_item)
            .sequence()
            .output(move || {
                let keys = unread
                    .iter()
                    .map(|(phone, day)| map(&[("phone", AttributeValue::S((*phone).into())), ("day", n(*day))]));
                BatchGetItemOutput::builder()
                    .responses(TABLE, items.clone())
                    .unprocessed_keys(
                        TABLE,
                        aws_sdk_dynamodb::types::KeysAndAttributes::builder()
                            .set_keys(Some(keys.collect()))
                            .build()
                            .expect("keys"),
                    )
                    .build()
            })
            .repeatedly()
            .build();
        let table = Table::with_client(TABLE.into(), mocked::dynamodb(&sdk_config(), mocked::mock_http(), &[&rule]));
        (Batched::new(table.clone()), stores_on(&table))
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttled_area_fails_only_the_numbers_it_judges() {
        let number = PhoneNumber::parse(TO).expect("a number");
        let areas: &'static [(&'static str, u64)] = &[("region:JM", BUCKET), ("prefix:+1876", 0)];
        let established = item(TO, 0, &[("establishedAt", n(NOW - 86_400))]);
        let (look, (limiter, ledger, pumping)) = throttled(areas, vec![established]);
        let stores = Stores { limiter: &limiter, ledger: &ledger, pumping: &pumping };
        let got = look.look(stores, ask(&number), NOW).await.expect("an established number signs in");
        assert_eq!(got.areas, None);

        let (look, (limiter, ledger, pumping)) = throttled(areas, vec![]);
        let stores = Stores { limiter: &limiter, ledger: &ledger, pumping: &pumping };
        let refused = look.look(stores, ask(&number), NOW).await;
        assert_eq!(refused, Err(LimitError::Refused { code: "UnprocessedKeys".into() }), "a new number: closed");

        let (look, (limiter, ledger, pumping)) = throttled(&[(TO, 0)], vec![]);
        let stores = Stores { limiter: &limiter, ledger: &ledger, pumping: &pumping };
        let refused = look.look(stores, ask(&number), NOW).await;
        assert_eq!(refused, Err(LimitError::Refused { code: "UnprocessedKeys".into() }), "no record: closed");
    }

    #[tokio::test]
    async fn a_failed_read_fails_the_look() {
        let rule = mock!(aws_sdk_dynamodb::Client::batch_get_item)
            .sequence()
            .http_status(400, mocked::dynamodb_error("AccessDeniedException"))
            .build();
        let table = Table::with_client(TABLE.into(), mocked::dynamodb(&sdk_config(), mocked::mock_http(), &[&rule]));
        let (limiter, ledger, pumping) = stores_on(&table);
        let number = PhoneNumber::parse(TO).expect("a number");
        let ask = Ask { whose: Whose::Number(&number), slot: true, breaker: None };
        let stores = Stores { limiter: &limiter, ledger: &ledger, pumping: &pumping };
        assert_eq!(
            Batched::new(table).look(stores, ask, NOW).await,
            Err(LimitError::Refused { code: "AccessDeniedException".into() })
        );
    }
}
