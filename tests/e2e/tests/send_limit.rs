//! The per-number SMS limit across sign-ins, through the real template on the local stack
//! (`make e2e` deploys it with the template's default, MaxSmsPerNumberPerHour=5).
//!
//! Past the limit a sign-in answers exactly as before, with no SMS behind it, so neither an
//! SMS bomber nor someone probing for registered numbers learns anything; the counts live in
//! the stack's DynamoDB table, one TTL'd item per number and day.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;
use e2e::{Stack, challenge};
use signin_client::ClientError;
use sms_otp_core::send_limit::Window;

/// Waits for the next clock hour if this one ends within `margin`, so the sign-ins of a test
/// all count in one hour.
async fn within_one_hour(margin: Duration) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("a clock after 1970").as_secs();
    let left = 3_600 - now % 3_600;
    if left < margin.as_secs() {
        tokio::time::sleep(Duration::from_secs(left + 1)).await;
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("a clock after 1970").as_secs()
}

#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`"]
async fn past_the_hourly_limit_sign_ins_look_the_same_and_send_nothing() {
    let stack = Stack::connect().await;
    let per_hour = stack.config.per_number.per_hour as usize;
    assert!(per_hour <= 5, "make e2e deploys a low hourly limit; got {per_hour}");
    within_one_hour(Duration::from_secs(60)).await;

    let phone = Stack::new_phone();
    stack.sign_up(&phone).await;
    let mut challenges = Vec::new();
    for n in 1..=per_hour {
        challenges.push(stack.start(&phone).await);
        assert_eq!(stack.sms(&phone).len(), n, "sign-in {n} within the limit sends its SMS");
    }
    let last_code = stack.latest_code(&phone);

    let limited = stack.start(&phone).await;
    assert_eq!(stack.sms(&phone).len(), per_hour, "past the limit, no SMS");
    // The same answer as a sign-in whose SMS went out: every parameter, every value.
    let mut parameters = limited.parameters.clone();
    let mut before = challenges[0].parameters.clone();
    for p in [&mut parameters, &mut before] {
        // Seconds-based values may have ticked between the calls.
        p.remove("expiresInSeconds");
        p.remove("resendInSeconds");
    }
    assert_eq!(parameters, before);
    let expires = limited.number("expiresInSeconds").expect("expiresInSeconds");
    assert!(expires + 5 >= stack.config.otp_ttl_seconds, "a fresh-looking code: {expires}s");

    // No code the user holds works in that sign-in.
    match stack.client.answer(&phone, &limited.session, &last_code).await {
        Ok(step) => {
            let next = challenge(Ok(step));
            assert_eq!(next.number("attemptsLeft"), Some(stack.config.max_attempts as u64 - 1), "a wrong answer");
        }
        Err(ClientError::NotAuthorized(_)) => assert_eq!(stack.config.max_attempts, 1),
        Err(other) => panic!("expected a wrong answer, got {other}"),
    }
    assert_eq!(stack.sms(&phone).len(), per_hour);

    // The count, as kept in the table: this number, this UTC day.
    let (dynamodb, table) = stack.send_limit_table();
    let window = Window::at(now());
    let item = dynamodb
        .get_item()
        .table_name(&table)
        .key("phone", AttributeValue::S(phone.clone()))
        .key("day", AttributeValue::N(window.day.to_string()))
        .send()
        .await
        .expect("GetItem")
        .item
        .expect("an item for the number and day");
    let number = |name: &str| item.get(name).and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<u64>().ok());
    assert_eq!(number("sends"), Some(per_hour as u64), "refused sends take no slot: {item:?}");
    assert_eq!(number(&format!("h{:02}", window.hour)), Some(per_hour as u64));
    assert_eq!(number("expiresAt"), Some(window.forget_after()));
    let ttl = dynamodb.describe_time_to_live().table_name(&table).send().await.expect("DescribeTimeToLive");
    let ttl = ttl.time_to_live_description().expect("a TTL description");
    assert_eq!(ttl.attribute_name(), Some("expiresAt"));
}

#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`"]
async fn the_limit_counts_each_number_apart() {
    let stack = Stack::connect().await;
    within_one_hour(Duration::from_secs(60)).await;
    let (a, b) = (Stack::new_phone(), Stack::new_phone());
    stack.sign_up(&a).await;
    stack.sign_up(&b).await;
    for _ in 0..stack.config.per_number.per_hour {
        stack.start(&a).await;
    }
    stack.start(&b).await;
    assert_eq!(stack.sms(&b).len(), 1, "another number still gets its SMS");
}
