//! SMS pumping defences through the real template on the local stack. `make e2e` deploys the
//! breaker with a high threshold so the rest of the run cannot trip it; these tests lower it on
//! the deployed create function (as the fault tests change its endpoints) and run alone.
//!
//! - A bot signs up 30 fresh numbers under one prefix and never answers: the numbers stop getting
//!   SMS once the breaker trips (the prefix's, and the country's), while a number elsewhere keeps
//!   signing in; the pauses are in the table, and an operator lifts them by deleting them.
//! - What SNS receives: the max price on every SMS, and the text in the user's language.

use aws_sdk_dynamodb::types::AttributeValue;
use e2e::{Stack, tokens};
use rand::TryRng;
use serde_json::Value;
use sms_otp_core::phone::PhoneNumber;
use sms_otp_core::pumping::dynamodb::PAUSE_DAY;
use sms_otp_core::pumping::{Area, PREFIX_DIGITS};

/// A fresh Jamaican number (+1876, a classic premium destination), in an area no other test
/// touches: both its prefix (+1876) and its region (JM) start with empty windows. (The browser
/// test signs in UK numbers, so a UK number's region would already hold its codes and trip first.)
fn new_jamaican_phone() -> String {
    let draw = rand::rngs::SysRng.try_next_u64().expect("OS randomness");
    format!("+1876{:07}", draw % 10_000_000)
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("a clock after 1970").as_secs()
}

async fn pause_record(stack: &Stack, area: &Area) -> Option<u64> {
    let (dynamodb, table) = stack.send_limit_table();
    let item = dynamodb
        .get_item()
        .table_name(table)
        .key("phone", AttributeValue::S(area.key()))
        .key("day", AttributeValue::N(PAUSE_DAY.to_string()))
        .consistent_read(true)
        .send()
        .await
        .expect("GetItem")
        .item?;
    item.get("pausedUntil").and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok())
}

/// What an operator does to lift a pause (docs/pumping-and-cost.md).
async fn lift_pause(stack: &Stack, area: &Area) {
    let (dynamodb, table) = stack.send_limit_table();
    dynamodb
        .delete_item()
        .table_name(table)
        .key("phone", AttributeValue::S(area.key()))
        .key("day", AttributeValue::N(PAUSE_DAY.to_string()))
        .send()
        .await
        .expect("DeleteItem");
}

#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`"]
async fn thirty_unanswered_numbers_under_one_prefix_trip_the_breaker_and_other_prefixes_keep_signing_in() {
    let stack = Stack::connect().await;
    let min_sends = 20;
    stack.set_create_environment(&[("PUMPING_BREAKER_MIN_SENDS", "20")]).await;
    let first = new_jamaican_phone();
    let [prefix, region] = Area::of(&PhoneNumber::parse(&first).expect("a number"));
    assert!(matches!(&prefix, Area::Prefix(p) if p.as_str().len() == PREFIX_DIGITS + 1));
    assert_eq!(region.key(), "region:JM");
    lift_pause(&stack, &prefix).await;
    lift_pause(&stack, &region).await;

    // The bot: 30 fresh numbers under +1876, each signed up and sent a code nobody types.
    let mut got_sms = Vec::new();
    let mut first_challenge = None;
    for n in 0..30 {
        let phone = if n == 0 { first.clone() } else { new_jamaican_phone() };
        stack.sign_up(&phone).await;
        let challenge = stack.start(&phone).await;
        // Every round looks the same, sent or not.
        let shape = |c: &signin_client::Challenge| {
            let mut keys: Vec<String> = c.parameters.keys().cloned().collect();
            keys.sort();
            (keys, c.number("attemptsLeft"), c.number("codeLength"))
        };
        let first_shape = first_challenge.get_or_insert_with(|| shape(&challenge)).clone();
        assert_eq!(shape(&challenge), first_shape);
        got_sms.push(stack.sms(&phone).len());
    }
    let sent = got_sms.iter().filter(|n| **n == 1).count();
    let first_withheld = got_sms.iter().position(|n| *n == 0).expect("the breaker never tripped");
    assert!(got_sms[first_withheld..].iter().all(|n| *n == 0), "an SMS after the trip: {got_sms:?}");
    assert!(sent <= min_sends && sent >= 1, "{sent} SMS to the prefix: {got_sms:?}");
    for area in [&prefix, &region] {
        let paused_until = pause_record(&stack, area).await.unwrap_or_else(|| panic!("a pause record for {area}"));
        assert!(paused_until > now() + 1700, "{area} paused for about 30 minutes: {paused_until}");
    }

    // Legitimate traffic elsewhere is untouched: a +1555 number signs in.
    let other = Stack::new_phone();
    stack.sign_up(&other).await;
    let c = stack.start(&other).await;
    tokens(stack.client.answer(&other, &c.session, &stack.latest_code(&other)).await);

    // An operator lifts the pauses: the prefix gets its SMS again.
    lift_pause(&stack, &prefix).await;
    lift_pause(&stack, &region).await;
    let again = new_jamaican_phone();
    stack.sign_up(&again).await;
    stack.start(&again).await;
    assert_eq!(stack.sms(&again).len(), 1, "after the pauses were lifted");
    lift_pause(&stack, &prefix).await;
    lift_pause(&stack, &region).await;
    stack.set_create_environment(&[]).await;
}

#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`"]
async fn sns_gets_the_max_price_and_the_users_language() {
    let stack = Stack::connect().await;
    let templates = r#"{"fr": "{code} est votre code {app}. Il expire dans {minutes} minutes."}"#;
    stack.set_create_environment(&[("SMS_MAX_PRICE_USD", "0.05"), ("SMS_MESSAGE_BY_LOCALE", templates)]).await;
    let phone = Stack::new_phone();
    stack.sign_up(&phone).await;
    stack.set_user_attribute(&phone, "locale", "fr-CA").await;
    let c = stack.start(&phone).await;
    let records = stack.sms_records(&phone);
    stack.set_create_environment(&[]).await;

    assert_eq!(records.len(), 1, "{records:?}");
    let text = records[0]["Message"].as_str().unwrap_or_default();
    assert!(text.contains(" est votre code") && text.contains("Il expire dans 1 minutes"), "{text}");
    let attributes = &records[0]["MessageAttributes"];
    let price = find_attribute(attributes, "AWS.SNS.SMS.MaxPrice");
    assert!(price.is_some_and(|v| v.to_string().contains("0.05")), "{attributes}");
    assert!(find_attribute(attributes, "AWS.SNS.SMS.SMSType").is_some_and(|v| v.to_string().contains("Transactional")));
    // And the code in it signs in.
    let code = stack.latest_code(&phone);
    tokens(stack.client.answer(&phone, &c.session, &code).await);
}

/// The attribute named `name`, however the emulator nests message attributes.
fn find_attribute<'a>(attributes: &'a Value, name: &str) -> Option<&'a Value> {
    match attributes {
        Value::Object(map) => map.get(name),
        Value::Array(items) => items.iter().find(|a| a["Name"] == name),
        _ => None,
    }
}
