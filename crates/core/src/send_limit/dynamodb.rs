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
//! Create reads the item first (strongly consistent) to learn whether a slot is left, before any
//! other budget is touched; the reservation is still the one conditional write above.
//!
//! The retry guard is an item of its own, `phone` = `round:<RoundKey>`, `day` = 0, with `until`
//! (the end of the retry window) and `expiresAt`: one conditional write that succeeds only if no
//! call for the round came within the window. A call that answered in time removes `until`.
//!
//! The same table keeps each number's answers across sign-ins ([`crate::lockout`]) under
//! `day = 0`, and the pumping defences' counts ([`crate::pumping`]); [`Table`] is the one handle
//! (name and client) they all use.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};

use super::{LimitError, PerNumberLimits, RETRY_WINDOW_SECONDS, Reservation, RoundKey, SendLimiter, Window};
use crate::aws::{self, Conditional, Failure, Item};
use crate::phone::PhoneNumber;

/// Time to open a connection to DynamoDB.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// Time for each call to the table (the reservation, and the lock's and the breaker's reads and
/// writes), retries included. create makes its checks before a send at once, so with SNS's 3
/// seconds they stay inside Cognito's 5. No per-attempt timeout: see [`aws::service_config`].
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

/// A key of the table: `phone` (partition) and `day` (sort).
pub type Key = (String, u64);

/// Requests [`Table::get_many`] makes at most for one read, the first included: DynamoDB may
/// answer a `BatchGetItem` with part of the items and the rest as `UnprocessedKeys` (a throttled
/// partition, or an internal failure), to be asked again after a backoff.
pub const BATCH_REQUESTS: u32 = 3;

/// The wait before asking again for keys left unprocessed, doubled each time.
const UNPROCESSED_BACKOFF: Duration = Duration::from_millis(20);

impl Table {
    /// The items at `keys` (at most 100 different ones, DynamoDB's limit for one request), with only
    /// `attributes` and their key, strongly consistent, in one `BatchGetItem` (see
    /// <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html>).
    /// A key with no item is absent from [`Read::items`]. Keys left unprocessed are asked again
    /// after a short backoff, [`BATCH_REQUESTS`] requests in all; those still unread then are in
    /// [`Read::unread`], for the caller to fail on if it needs them ([`Read::all`]): a count
    /// read as missing would read as zero.
    pub async fn get_many(&self, keys: &[Key], attributes: &[&str]) -> Result<Read, LimitError> {
        let attributes: BTreeSet<&str> =
            attributes.iter().copied().filter(|name| !["phone", "day"].contains(name)).collect();
        let names: HashMap<String, String> = ["phone", "day"]
            .into_iter()
            .chain(attributes)
            .enumerate()
            .map(|(i, name)| (format!("#a{i}"), (*name).to_owned()))
            .collect();
        let mut projection: Vec<&str> = names.keys().map(String::as_str).collect();
        projection.sort_unstable();
        let projection = projection.join(", ");
        let keys: BTreeSet<&Key> = keys.iter().collect();
        let mut wanted: Vec<Item> = keys
            .into_iter()
            .map(|(phone, day)| {
                HashMap::from([("phone".to_owned(), AttributeValue::S(phone.clone())), ("day".to_owned(), number(day))])
            })
            .collect();
        let mut found = HashMap::new();
        let mut backoff = UNPROCESSED_BACKOFF;
        for request in 1..=BATCH_REQUESTS {
            let ask = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut wanted)))
                .consistent_read(true)
                .projection_expression(&projection)
                .set_expression_attribute_names(Some(names.clone()))
                .build()
                .map_err(|e| LimitError::Refused { code: format!("BatchGetItem: {e}") })?;
            let mut output = self
                .client()
                .batch_get_item()
                .request_items(self.name(), ask)
                .send()
                .await
                .map_err(|e| LimitError::from(aws::classify(&e)))?;
            for item in output.responses.as_mut().and_then(|r| r.remove(self.name())).unwrap_or_default() {
                // Every item comes back with its key (projected above): one without is no answer
                // this code can trust.
                let key = key_of(&item).ok_or_else(|| LimitError::Refused { code: "UnreadableKey".into() })?;
                found.insert(key, item);
            }
            wanted = output
                .unprocessed_keys
                .and_then(|mut left| left.remove(self.name()))
                .map(|left| left.keys)
                .unwrap_or_default();
            if wanted.is_empty() {
                return Ok(Read { items: found, unread: BTreeSet::new() });
            }
            if request < BATCH_REQUESTS {
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
        }
        tracing::warn!(unread = wanted.len(), "DynamoDB left keys unprocessed after {BATCH_REQUESTS} requests");
        // A key that cannot be read back could be any key: the read fails (closed).
        let unread = wanted.iter().map(key_of).collect::<Option<_>>();
        let unread = unread.ok_or_else(|| LimitError::Refused { code: "UnreadableKey".into() })?;
        Ok(Read { items: found, unread })
    }
}

/// What [`Table::get_many`] read.
#[derive(Debug, Default)]
pub struct Read {
    /// The items found, by key.
    pub items: HashMap<Key, Item>,
    /// The keys DynamoDB left unprocessed, request after request.
    pub unread: BTreeSet<Key>,
}

impl Read {
    /// Whether every one of `keys` was read (found or not); if not, the read fails (closed).
    pub fn require<'a>(&self, mut keys: impl Iterator<Item = &'a Key>) -> Result<(), LimitError> {
        match keys.all(|key| !self.unread.contains(key)) {
            true => Ok(()),
            false => Err(LimitError::Refused { code: "UnprocessedKeys".into() }),
        }
    }

    /// The items, if every key asked for was read ([`Read::require`]).
    pub fn all(self) -> Result<HashMap<Key, Item>, LimitError> {
        self.require(self.unread.iter())?;
        Ok(self.items)
    }
}

/// The key of an item read with its key attributes.
fn key_of(item: &Item) -> Option<Key> {
    let phone = item.get("phone")?.as_s().ok()?.clone();
    let day = item.get("day")?.as_n().ok()?.parse().ok()?;
    Some((phone, day))
}

/// A count or a time as the table holds it; anything unreadable counts as 0.
pub fn read_number(value: Option<&AttributeValue>) -> u64 {
    value.and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok()).unwrap_or(0)
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

impl DynamoDbLimiter {
    /// What [`SendLimiter::has_slot`] reads for `to` (a number, or any key of the same shape) at
    /// `now`: the item of its day, and its day's and its hour's counts.
    pub fn slot_read(to: &str, now: u64) -> (Key, [String; 2]) {
        let window = Window::at(now);
        ((to.to_owned(), window.day), ["sends".to_owned(), format!("h{:02}", window.hour)])
    }

    /// Whether the day's item read as `item` (`None`: no item, no sends) leaves a slot at `now`.
    pub fn slot_left(&self, item: Option<&Item>, now: u64) -> bool {
        let (_, [sends, hour]) = Self::slot_read("", now);
        let count = |name: &str| read_number(item.and_then(|i| i.get(name)));
        count(&sends) < u64::from(self.limits.per_day) && count(&hour) < u64::from(self.limits.per_hour)
    }
}

impl SendLimiter for DynamoDbLimiter {
    async fn has_slot(&self, to: &PhoneNumber, now: u64) -> Result<bool, LimitError> {
        let ((phone, day), [sends, hour]) = Self::slot_read(to.expose(), now);
        let output = self
            .table
            .client()
            .get_item()
            .table_name(self.table.name())
            .key("phone", AttributeValue::S(phone))
            .key("day", number(day))
            .consistent_read(true)
            .projection_expression("#sends, #hour")
            .expression_attribute_names("#sends", sends)
            .expression_attribute_names("#hour", hour)
            .send()
            .await
            .map_err(|e| LimitError::from(aws::classify(&e)))?;
        Ok(self.slot_left(output.item(), now))
    }

    async fn first_call(&self, round: &RoundKey, now: u64) -> Result<bool, LimitError> {
        let until = now.saturating_add(RETRY_WINDOW_SECONDS);
        let result = self
            .table
            .client()
            .update_item()
            .table_name(self.table.name())
            .key("phone", AttributeValue::S(format!("round:{}", round.as_str())))
            .key("day", number(0))
            .update_expression("SET #until = :until, #expires = :expires")
            .condition_expression("attribute_not_exists(#until) OR #until <= :now")
            .expression_attribute_names("#until", "until")
            .expression_attribute_names("#expires", "expiresAt")
            .expression_attribute_values(":until", number(until))
            .expression_attribute_values(":now", number(now))
            // DynamoDB's TTL sweeps within days; `until` is what the condition reads.
            .expression_attribute_values(":expires", number(until))
            .send()
            .await;
        Ok(match aws::conditional(result)? {
            Conditional::Applied(_) => true,
            Conditional::ConditionFailed(_) => false,
        })
    }

    async fn release(&self, round: &RoundKey, _now: u64) -> Result<(), LimitError> {
        self.table
            .client()
            .update_item()
            .table_name(self.table.name())
            .key("phone", AttributeValue::S(format!("round:{}", round.as_str())))
            .key("day", number(0))
            .update_expression("REMOVE #until")
            .expression_attribute_names("#until", "until")
            .send()
            .await
            .map(drop)
            .map_err(|e| aws::classify(&e).into())
    }

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
            Conditional::ConditionFailed(_) => Reservation::Refused,
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use aws_config::SdkConfig;
    use aws_sdk_dynamodb::operation::batch_get_item::{BatchGetItemInput, BatchGetItemOutput};
    use aws_sdk_dynamodb::operation::update_item::{UpdateItemInput, UpdateItemOutput};
    use aws_smithy_mocks::{Rule, mock};
    use tokio::time::Instant;

    use super::*;
    use crate::aws::mocked;

    const TABLE: &str = "sms-send-limit";
    const TO: &str = "+15555550100";
    /// 2025-11-21 13:00:05 UTC: day 20413, hour 13.
    const NOW: u64 = 20_413 * 86_400 + 13 * 3_600 + 5;
    const LIMITS: PerNumberLimits = PerNumberLimits { per_hour: 5, per_day: 10 };

    fn to() -> PhoneNumber {
        PhoneNumber::parse(TO).expect("a valid number")
    }

    fn limiter(config: &SdkConfig, rules: &[&Rule]) -> DynamoDbLimiter {
        let client = mocked::dynamodb(config, mocked::mock_http(), rules);
        DynamoDbLimiter::new(Table::with_client(TABLE.into(), client), LIMITS)
    }

    fn n(value: &str) -> AttributeValue {
        AttributeValue::N(value.into())
    }

    /// An `UpdateItem` that succeeds, keeping each request it answered.
    fn accepting() -> (Rule, Arc<Mutex<Vec<UpdateItemInput>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let rule = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(move |input| {
                log.lock().expect("not poisoned").push(input.clone());
                true
            })
            .then_output(|| UpdateItemOutput::builder().build());
        (rule, seen)
    }

    fn refused_with(code: &str) -> Rule {
        mock!(aws_sdk_dynamodb::Client::update_item)
            .sequence()
            .http_status(400, mocked::dynamodb_error(code))
            .repeatedly()
            .build()
    }

    #[tokio::test]
    async fn a_reservation_adds_one_to_the_day_and_the_hour_only_below_both_limits() {
        let (rule, seen) = accepting();
        let result = limiter(&sdk_config(), &[&rule]).reserve(&to(), NOW).await;
        assert_eq!(result, Ok(Reservation::Granted));

        let seen = seen.lock().expect("not poisoned");
        assert_eq!(seen.len(), 1, "one write, no read before it");
        let update = &seen[0];
        assert_eq!(update.table_name(), Some(TABLE));
        let key: HashMap<_, _> =
            [("phone".to_owned(), AttributeValue::S(TO.into())), ("day".to_owned(), n("20413"))].into();
        assert_eq!(update.key(), Some(&key));
        assert_eq!(update.update_expression(), Some("ADD #sends :one, #hour :one SET #expires = :expires"));
        assert_eq!(
            update.condition_expression(),
            Some(
                "(attribute_not_exists(#sends) OR #sends < :per_day) AND (attribute_not_exists(#hour) OR #hour < :per_hour)"
            )
        );
        let names: HashMap<_, _> = [("#sends", "sends"), ("#hour", "h13"), ("#expires", "expiresAt")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into();
        assert_eq!(update.expression_attribute_names(), Some(&names));
        let values: HashMap<_, _> = [
            (":one", n("1")),
            (":per_day", n("10")),
            (":per_hour", n("5")),
            // The end of the next day: the item outlives every write to its day.
            (":expires", n(&(20_415 * 86_400).to_string())),
        ]
        .map(|(k, v)| (k.to_owned(), v))
        .into();
        assert_eq!(update.expression_attribute_values(), Some(&values));
    }

    #[tokio::test]
    async fn a_failed_condition_is_the_limit_reached_not_an_error_and_is_not_retried() {
        let rule = refused_with("ConditionalCheckFailedException");
        let result = limiter(&sdk_config(), &[&rule]).reserve(&to(), NOW).await;
        assert_eq!(result, Ok(Reservation::Refused));
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn another_refusal_is_an_error_with_its_code_only() {
        for code in ["ResourceNotFoundException", "AccessDeniedException", "ValidationException"] {
            let rule = refused_with(code);
            let result = limiter(&sdk_config(), &[&rule]).reserve(&to(), NOW).await;
            assert_eq!(result, Err(LimitError::Refused { code: code.into() }));
            assert_eq!(rule.num_calls(), 1, "{code} is final");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_is_retried_and_the_next_answer_counts() {
        let rule = mock!(aws_sdk_dynamodb::Client::update_item)
            .sequence()
            .http_status(400, mocked::dynamodb_error("ThrottlingException"))
            .output(|| UpdateItemOutput::builder().build())
            .build();
        let result = limiter(&mocked::retrying_at_once(&sdk_config()), &[&rule]).reserve(&to(), NOW).await;
        assert_eq!(result, Ok(Reservation::Granted));
        assert_eq!(rule.num_calls(), 2, "one throttled write, one that counted");
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_every_time_ends_after_max_attempts_with_its_code() {
        let rule = refused_with("ProvisionedThroughputExceededException");
        let result = limiter(&mocked::retrying_at_once(&sdk_config()), &[&rule]).reserve(&to(), NOW).await;
        assert_eq!(result, Err(LimitError::Refused { code: "ProvisionedThroughputExceededException".into() }));
        assert_eq!(rule.num_calls(), MAX_ATTEMPTS as usize);
    }

    /// With the production backoff, whatever the jitter draws: the retry always happens, inside
    /// the deadline (with the SDK's default backoff, up to 1 s, about one in four timed out instead).
    #[tokio::test(start_paused = true)]
    async fn throttling_is_retried_inside_the_deadline_with_production_backoff() {
        for _ in 0..50 {
            let rule = refused_with("ThrottlingException");
            let started = Instant::now();
            let result = limiter(&sdk_config(), &[&rule]).reserve(&to(), NOW).await;
            assert_eq!(result, Err(LimitError::Refused { code: "ThrottlingException".into() }));
            assert_eq!(rule.num_calls(), MAX_ATTEMPTS as usize, "the retry happened");
            assert!(started.elapsed() <= RESERVE_TIMEOUT / 4, "{:?}", started.elapsed());
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_table_is_cut_off_at_the_deadline_and_not_retried() {
        let never = mocked::never();
        let table = Table::with_client(TABLE.into(), mocked::dynamodb(&sdk_config(), never.clone(), &[]));
        let started = Instant::now();
        let result = DynamoDbLimiter::new(table, LIMITS).reserve(&to(), NOW).await;
        assert_eq!(result, Err(LimitError::Timeout));
        // A write that timed out may have counted: repeating it could count one send twice.
        assert_eq!(never.num_calls(), 1);
        assert_eq!(started.elapsed(), RESERVE_TIMEOUT);
    }

    #[tokio::test(start_paused = true)]
    async fn an_unreachable_table_is_tried_max_attempts_times_then_reported() {
        let unreachable = mocked::Unreachable::default();
        let config = mocked::retrying_at_once(&sdk_config());
        let table = Table::with_client(TABLE.into(), mocked::dynamodb(&config, unreachable.clone(), &[]));
        let result = DynamoDbLimiter::new(table, LIMITS).reserve(&to(), NOW).await;
        assert_eq!(result, Err(LimitError::Unreachable));
        assert_eq!(unreachable.attempts(), MAX_ATTEMPTS as usize);
    }

    #[tokio::test]
    async fn clones_of_a_table_share_its_client() {
        let (rule, seen) = accepting();
        let table = Table::with_client(TABLE.into(), mocked::dynamodb(&sdk_config(), mocked::mock_http(), &[&rule]));
        let limiter = DynamoDbLimiter::new(table.clone(), LIMITS);
        assert!(table.client.get().is_some());
        assert!(Arc::ptr_eq(&table.client, &limiter.table.client));
        limiter.reserve(&to(), NOW).await.expect("answered");
        assert_eq!(seen.lock().expect("not poisoned").len(), 1);
    }

    #[test]
    fn the_production_table_builds_its_client_only_on_first_use() {
        let table = Table::new(TABLE.into());
        let limiter = DynamoDbLimiter::new(table.clone(), LIMITS);
        assert!(table.client.get().is_none(), "no SDK work before the table is used");
        assert!(Arc::ptr_eq(&table.client, &limiter.table.client), "one client for every use");
    }

    #[tokio::test]
    async fn whether_a_slot_is_left_is_one_consistent_read_of_the_day_and_the_hour() {
        use aws_sdk_dynamodb::operation::get_item::{GetItemInput, GetItemOutput};
        for (day, hour, left) in [
            (None, None, true),
            (Some("9"), Some("4"), true),
            (Some("10"), Some("1"), false),
            (Some("3"), Some("5"), false),
        ] {
            let (seen, record) = mocked::recorder::<GetItemInput>();
            let rule = mock!(aws_sdk_dynamodb::Client::get_item).match_requests(record).then_output(move || {
                let mut item = HashMap::new();
                if let Some(d) = day {
                    item.insert("sends".to_owned(), n(d));
                }
                if let Some(h) = hour {
                    item.insert("h13".to_owned(), n(h));
                }
                GetItemOutput::builder().set_item(Some(item)).build()
            });
            let client = mocked::dynamodb(&sdk_config(), mocked::mock_http(), &[&rule]);
            let limiter = DynamoDbLimiter::new(Table::with_client(TABLE.into(), client), LIMITS);
            assert_eq!(limiter.has_slot(&to(), NOW).await, Ok(left), "{day:?} {hour:?}");
            let get = mocked::only(&seen, "GetItem");
            assert_eq!(get.consistent_read(), Some(true));
            let key: HashMap<_, _> =
                [("phone".to_owned(), AttributeValue::S(TO.into())), ("day".to_owned(), n("20413"))].into();
            assert_eq!(get.key(), Some(&key));
        }
    }

    /// An item as a read with its key returns it.
    fn item(phone: &str, day: u64, attributes: &[(&str, AttributeValue)]) -> Item {
        let mut item = mocked::map(attributes);
        item.insert("phone".into(), AttributeValue::S(phone.into()));
        item.insert("day".into(), mocked::n(day));
        item
    }

    fn keys_of(input: &BatchGetItemInput) -> Vec<Key> {
        let mut keys: Vec<Key> = input.request_items().expect("items")[TABLE]
            .keys()
            .iter()
            .map(|item| key_of(item).expect("a key"))
            .collect();
        keys.sort();
        keys
    }

    #[tokio::test]
    async fn many_items_are_one_consistent_read_of_each_key_once_with_the_attributes_asked() {
        let (seen, record) = mocked::recorder::<BatchGetItemInput>();
        let rule = mock!(aws_sdk_dynamodb::Client::batch_get_item).match_requests(record).then_output(|| {
            BatchGetItemOutput::builder()
                .responses(TABLE, vec![item("a", 1, &[("sends", n("3"))]), item("b", 0, &[])])
                .build()
        });
        let table = Table::with_client(TABLE.into(), mocked::dynamodb(&sdk_config(), mocked::mock_http(), &[&rule]));
        let keys = [("a".to_owned(), 1), ("b".to_owned(), 0), ("a".to_owned(), 1), ("c".to_owned(), 7)];
        let items = table.get_many(&keys, &["sends", "h13", "sends", "day"]).await.expect("read").all().expect("all");
        assert_eq!(items.len(), 2, "a key with no item is absent");
        assert_eq!(items[&("a".to_owned(), 1)]["sends"], n("3"));
        assert!(items.contains_key(&("b".to_owned(), 0)));

        let request = mocked::only(&seen, "BatchGetItem");
        let asked = &request.request_items().expect("items")[TABLE];
        assert_eq!(asked.consistent_read(), Some(true));
        assert_eq!(keys_of(&request), [("a".to_owned(), 1), ("b".to_owned(), 0), ("c".to_owned(), 7)], "each once");
        // The key comes back with each item, so answers are matched to keys whatever their order.
        let names = asked.expression_attribute_names().expect("names");
        let mut projected: Vec<&str> = asked
            .projection_expression()
            .expect("a projection")
            .split(", ")
            .map(|placeholder| names[placeholder].as_str())
            .collect();
        projected.sort_unstable();
        assert_eq!(projected, ["day", "h13", "phone", "sends"]);
        assert_eq!(names.len(), projected.len(), "DynamoDB refuses a name the expression does not use");
        // ... and two paths to one attribute ("overlap"): each once, the key's included.
    }

    #[tokio::test(start_paused = true)]
    async fn keys_left_unprocessed_are_asked_again_and_fail_the_read_if_they_stay_unread() {
        let unprocessed = |keys: &[(&str, u64)]| {
            let keys = keys
                .iter()
                .map(|(phone, day)| item(phone, *day, &[]))
                .map(|mut key| {
                    key.retain(|name, _| name == "phone" || name == "day");
                    key
                })
                .collect();
            KeysAndAttributes::builder().set_keys(Some(keys)).build().expect("keys")
        };
        // Part now, the rest on the second request.
        let (seen, record) = mocked::recorder::<BatchGetItemInput>();
        let rule = mock!(aws_sdk_dynamodb::Client::batch_get_item)
            .match_requests(record)
            .sequence()
            .output(move || {
                BatchGetItemOutput::builder()
                    .responses(TABLE, vec![item("a", 1, &[("sends", n("1"))])])
                    .unprocessed_keys(TABLE, unprocessed(&[("b", 1)]))
                    .build()
            })
            .output(|| BatchGetItemOutput::builder().responses(TABLE, vec![item("b", 1, &[("sends", n("2"))])]).build())
            .build();
        let table = Table::with_client(TABLE.into(), mocked::dynamodb(&sdk_config(), mocked::mock_http(), &[&rule]));
        let items =
            table.get_many(&[("a".into(), 1), ("b".into(), 1)], &["sends"]).await.expect("read").all().expect("all");
        assert_eq!(
            (items[&("a".to_owned(), 1)]["sends"].clone(), items[&("b".to_owned(), 1)]["sends"].clone()),
            (n("1"), n("2"))
        );
        let requests = mocked::taken(&seen);
        assert_eq!(requests.len(), 2);
        assert_eq!(keys_of(&requests[1]), [("b".to_owned(), 1)], "only what was left");

        // Never processed: unread after its requests, which fails a read that needs it.
        let (seen, record) = mocked::recorder::<BatchGetItemInput>();
        let rule = mock!(aws_sdk_dynamodb::Client::batch_get_item)
            .match_requests(record)
            .sequence()
            .output(move || BatchGetItemOutput::builder().unprocessed_keys(TABLE, unprocessed(&[("a", 1)])).build())
            .repeatedly()
            .build();
        let table = Table::with_client(TABLE.into(), mocked::dynamodb(&sdk_config(), mocked::mock_http(), &[&rule]));
        let read = table.get_many(&[("a".into(), 1)], &["sends"]).await.expect("read");
        assert_eq!(read.unread, BTreeSet::from([("a".to_owned(), 1)]));
        assert_eq!(read.all().map(|items| items.len()), Err(LimitError::Refused { code: "UnprocessedKeys".into() }));
        assert_eq!(mocked::taken(&seen).len(), BATCH_REQUESTS as usize);

        // A key left unprocessed that cannot be read back: the whole read fails.
        let rule = mock!(aws_sdk_dynamodb::Client::batch_get_item)
            .sequence()
            .output(|| {
                let odd = mocked::map(&[("phone", AttributeValue::S("a".into()))]);
                let left = KeysAndAttributes::builder().set_keys(Some(vec![odd])).build().expect("keys");
                BatchGetItemOutput::builder().unprocessed_keys(TABLE, left).build()
            })
            .repeatedly()
            .build();
        let table = Table::with_client(TABLE.into(), mocked::dynamodb(&sdk_config(), mocked::mock_http(), &[&rule]));
        let read = table.get_many(&[("a".into(), 1)], &["sends"]).await.map(|read| read.unread);
        assert_eq!(read, Err(LimitError::Refused { code: "UnreadableKey".into() }));
    }

    #[tokio::test]
    async fn the_retry_guard_is_one_conditional_write_per_round() {
        let (rule, seen) = accepting();
        let round = RoundKey::of(["+15555550100", "answer"]);
        assert_eq!(limiter(&sdk_config(), &[&rule]).first_call(&round, NOW).await, Ok(true));
        let update = seen.lock().expect("not poisoned")[0].clone();
        let key: HashMap<_, _> =
            [("phone".to_owned(), AttributeValue::S(format!("round:{}", round.as_str()))), ("day".to_owned(), n("0"))]
                .into();
        assert_eq!(update.key(), Some(&key));
        assert_eq!(update.update_expression(), Some("SET #until = :until, #expires = :expires"));
        assert_eq!(update.condition_expression(), Some("attribute_not_exists(#until) OR #until <= :now"));
        let values = update.expression_attribute_values().expect("values");
        assert_eq!(values[":until"], n(&(NOW + RETRY_WINDOW_SECONDS).to_string()));

        let retry = refused_with("ConditionalCheckFailedException");
        assert_eq!(limiter(&sdk_config(), &[&retry]).first_call(&round, NOW + 3).await, Ok(false), "a retry");
    }
}
