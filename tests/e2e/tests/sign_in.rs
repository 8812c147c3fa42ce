//! Every user-visible behaviour, through the real template on the local stack.
//!
//! Each test has its own fresh phone number and asserts the exact outcome and the exact number
//! of SMS the emulator received for that number. They need the stack `make e2e` deploys (with
//! limits low enough to act before the emulator's own 3-round cap), hence `#[ignore]` here and
//! `--ignored` there.

use std::time::Duration;

use e2e::{SignIn, Stack, challenge, tokens};
use signin_client::{ClientError, Step, different_code, token_claims};
use sms_otp_core::phone::mask;

#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`"]
async fn sign_up_auto_confirms() {
    let stack = Stack::connect().await;
    let phone = Stack::new_phone();
    stack.sign_up(&phone).await;
    assert_eq!(stack.sms(&phone).len(), 0, "sign-up sends no SMS");
    assert!(matches!(stack.client.sign_up(&phone).await, Err(ClientError::AlreadySignedUp)));
}

#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`"]
async fn sign_up_refuses_bad_numbers_with_a_clear_message() {
    let stack = Stack::connect().await;
    // Not E.164: Cognito itself refuses it as a phone-number username, before any trigger.
    match stack.client.sign_up("5551234").await {
        Err(ClientError::InvalidParameter(msg) | ClientError::Refused(msg)) => {
            assert!(msg.to_lowercase().contains("phone"), "{msg}")
        }
        other => panic!("a malformed number signed up: {other:?}"),
    }
    // A country outside ALLOWED_COUNTRY_CODES: refused by pre-sign-up with its own message.
    let foreign = "+33612345678";
    match stack.client.sign_up(foreign).await {
        Err(ClientError::Refused(msg)) => {
            assert!(msg.contains("sign-up with phone numbers from this country is not allowed"), "{msg}")
        }
        other => panic!("a number from a country not allowed signed up: {other:?}"),
    }
    assert_eq!(stack.sms(foreign).len(), 0);
}

#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`"]
async fn sign_up_without_a_number_is_refused() {
    let stack = Stack::connect().await;
    match stack.client.sign_up("alice@example.com").await {
        Err(ClientError::InvalidParameter(msg) | ClientError::Refused(msg)) => {
            assert!(msg.to_lowercase().contains("phone"), "{msg}")
        }
        other => panic!("a sign-up without a phone number went through: {other:?}"),
    }
}

#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`"]
async fn the_sms_code_signs_in_and_the_id_token_carries_the_number() {
    let stack = Stack::connect().await;
    let SignIn { phone, challenge: c, code } = stack.new_sign_in().await;
    assert_eq!(c.get("maskedPhoneNumber"), mask(&phone));
    assert_eq!(c.number("codeLength"), Some(stack.config.otp_length as u64));
    assert_eq!(c.number("attemptsLeft"), Some(stack.config.max_attempts as u64));
    assert_eq!(c.number("sendsLeft"), Some(stack.config.max_sends as u64 - 1));
    assert!(!c.parameters.values().any(|v| v.contains(&phone[2..])), "the full number is public: {:?}", c.parameters);
    assert!(!c.parameters.values().any(|v| v.contains(&code)), "the code is public");
    let t = tokens(stack.client.answer(&phone, &c.session, &code).await);
    let claims = token_claims(&t.id_token).expect("claims");
    assert_eq!(claims["phone_number"], phone.as_str());
    assert_eq!(stack.sms(&phone).len(), 1);
}

#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`"]
async fn a_wrong_code_then_the_right_one_signs_in_with_one_sms() {
    let stack = Stack::connect().await;
    let SignIn { phone, challenge: c, code } = stack.new_sign_in().await;
    let c2 = challenge(stack.client.answer(&phone, &c.session, &different_code(&code)).await);
    assert_eq!(c2.number("attemptsLeft"), Some(stack.config.max_attempts as u64 - 1));
    tokens(stack.client.answer(&phone, &c2.session, &code).await);
    assert_eq!(stack.sms(&phone).len(), 1, "a wrong answer sends no new SMS");
}

#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`"]
async fn max_attempts_wrong_codes_end_the_sign_in() {
    let stack = Stack::connect().await;
    let SignIn { phone, challenge: mut c, code } = stack.new_sign_in().await;
    for _ in 1..stack.config.max_attempts {
        c = challenge(stack.client.answer(&phone, &c.session, &different_code(&code)).await);
    }
    match stack.client.answer(&phone, &c.session, &different_code(&code)).await {
        Err(ClientError::NotAuthorized(_)) => {}
        other => panic!("the last allowed wrong answer should end the sign-in, got {other:?}"),
    }
    // The right code does not work after that.
    match stack.client.answer(&phone, &c.session, &code).await {
        Err(_) => {}
        Ok(step) => panic!("the right code worked after the lockout: {step:?}"),
    }
    assert_eq!(stack.sms(&phone).len(), 1);
}

#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`"]
async fn resend_after_the_cooldown_sends_a_new_code_and_the_old_one_stops_working() {
    let stack = Stack::connect().await;
    let SignIn { phone, challenge: c, code: old } = stack.new_sign_in().await;
    tokio::time::sleep(Duration::from_secs(stack.config.resend_cooldown_seconds + 1)).await;

    let c = challenge(stack.client.resend(&phone, &c.session).await);
    assert_eq!(stack.sms(&phone).len(), 2, "the resend sent one more SMS");
    assert_eq!(c.number("attemptsLeft"), Some(stack.config.max_attempts as u64), "a resend is not a wrong answer");
    assert_eq!(c.number("sendsLeft"), Some(stack.config.max_sends as u64 - 2));
    let new = stack.latest_code(&phone);
    // The old code is now a wrong answer...
    let c = match stack.client.answer(&phone, &c.session, &old).await {
        Ok(Step::Challenge(c)) => c,
        other if old == new => panic!("the new code happens to equal the old one: {other:?}"),
        other => panic!("the replaced code was not refused: {other:?}"),
    };
    assert_eq!(c.number("attemptsLeft"), Some(stack.config.max_attempts as u64 - 1));
    // ...and the new one signs in.
    tokens(stack.client.answer(&phone, &c.session, &new).await);
    assert_eq!(stack.sms(&phone).len(), 2);
}

#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`"]
async fn resend_inside_the_cooldown_sends_nothing_and_says_when() {
    let stack = Stack::connect().await;
    assert!(stack.config.resend_cooldown_seconds >= 2, "the e2e stack needs a cooldown to test inside it");
    let SignIn { phone, challenge: c, code } = stack.new_sign_in().await;
    let c = challenge(stack.client.resend(&phone, &c.session).await);
    let wait = c.number("resendInSeconds").expect("resendInSeconds");
    assert!(wait > 0 && wait <= stack.config.resend_cooldown_seconds, "resendInSeconds = {wait}");
    assert_eq!(stack.sms(&phone).len(), 1, "no SMS inside the cooldown");
    tokens(stack.client.answer(&phone, &c.session, &code).await);
}

#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`"]
async fn asking_for_more_than_max_sends_ends_the_sign_in() {
    let stack = Stack::connect().await;
    let SignIn { phone, challenge: mut c, .. } = stack.new_sign_in().await;
    for _ in 1..stack.config.max_sends {
        tokio::time::sleep(Duration::from_secs(stack.config.resend_cooldown_seconds + 1)).await;
        c = challenge(stack.client.resend(&phone, &c.session).await);
    }
    assert_eq!(c.number("sendsLeft"), Some(0));
    match stack.client.resend(&phone, &c.session).await {
        Err(ClientError::NotAuthorized(_)) => {}
        other => panic!("a resend past MAX_SENDS should end the sign-in, got {other:?}"),
    }
    assert_eq!(stack.sms(&phone).len(), stack.config.max_sends as usize);
}

#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`"]
async fn an_expired_code_is_refused() {
    let stack = Stack::connect().await;
    let SignIn { phone, challenge: c, code } = stack.new_sign_in().await;
    tokio::time::sleep(Duration::from_secs(stack.config.otp_ttl_seconds + 1)).await;
    let c = challenge(stack.client.answer(&phone, &c.session, &code).await);
    assert_eq!(c.number("expiresInSeconds"), Some(0));
    assert_eq!(c.number("attemptsLeft"), Some(stack.config.max_attempts as u64 - 1));
    assert_eq!(stack.sms(&phone).len(), 1);
}

#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`"]
async fn a_test_number_gets_no_sms_and_its_fixed_code_signs_in() {
    let stack = Stack::connect().await;
    let (phone, code) = e2e::test_numbers()[0].clone();
    match stack.client.sign_up(&phone).await {
        Ok(_) | Err(ClientError::AlreadySignedUp) => {}
        Err(e) => panic!("sign-up of the test number: {e}"),
    }
    let before = stack.sms(&phone).len();
    let c = stack.start(&phone).await;
    tokens(stack.client.answer(&phone, &c.session, &code).await);
    assert_eq!(stack.sms(&phone).len(), before, "a test number never gets an SMS");
    assert_eq!(before, 0);
}

/// The emulator answers unknown users with UserNotFoundException instead of running the
/// triggers, so the deployed functions are invoked directly with `userNotFound: true` events.
#[tokio::test]
#[ignore = "needs the local stack deployed by `make e2e`"]
async fn unknown_users_get_no_sms_and_no_correct_answer() {
    let stack = Stack::connect().await;
    let phone = Stack::new_phone();
    match stack.client.start(&phone).await {
        Err(ClientError::UserNotFound | ClientError::NotAuthorized(_)) => {}
        other => panic!("an unknown number started a sign-in on the emulator: {other:?}"),
    }

    let mut event = Stack::sample_event("create-auth-challenge/unknown-user.json");
    event["userName"] = phone.clone().into();
    let created = stack.invoke("CreateAuthChallengeFunction", event).await.expect("create answers");
    let public = &created["response"]["publicChallengeParameters"];
    let mut names: Vec<&String> = public.as_object().expect("public parameters").keys().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "attemptsLeft",
            "codeLength",
            "codeSent",
            "expiresInSeconds",
            "maskedPhoneNumber",
            "resendInSeconds",
            "sendsLeft"
        ]
    );
    assert_eq!(public["maskedPhoneNumber"], mask(&phone));
    assert_eq!(stack.sms(&phone).len(), 0, "no SMS to an unknown number");

    // Even the code create drew for the decoy round is not accepted.
    let private = created["response"]["privateChallengeParameters"].clone();
    let decoy_code = private["code"].as_str().expect("a decoy code").to_owned();
    let mut event = Stack::sample_event("verify-auth-challenge/unknown-user.json");
    event["userName"] = phone.clone().into();
    event["request"]["privateChallengeParameters"] = private;
    event["request"]["challengeAnswer"] = decoy_code.into();
    let verified = stack.invoke("VerifyAuthChallengeFunction", event).await.expect("verify answers");
    assert_eq!(verified["response"]["answerCorrect"], false);

    let define = Stack::sample_event("define-auth-challenge/unknown-user-marked-correct.json");
    let refused = stack.invoke("DefineAuthChallengeFunction", define).await;
    assert!(refused.is_err_and(|e| e.contains("unknown user")), "define must never issue tokens to an unknown user");
}
