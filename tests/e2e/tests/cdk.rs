//! The CDK construct's stack (`cdk/`), synthesized and deployed onto the local emulator by
//! `tools/cdk-e2e.sh` (`make cdk`): a new number signs up and in through it with the Rust client,
//! a wrong code first, as through template.yaml's stack. Not run by `make e2e` (which names its
//! tests); `tools/cdk-e2e.sh` runs it with `E2E_STACK_NAME` naming the CDK stack.

use e2e::{SignIn, Stack, challenge, tokens};
use signin_client::{different_code, token_claims};
use sms_otp_core::phone::mask;

#[tokio::test]
#[ignore = "needs the CDK stack deployed on the local stack by `make cdk` (tools/cdk-e2e.sh)"]
async fn a_number_signs_up_and_in_through_the_cdk_stack() {
    // Connecting reads every function's environment and parses it as the functions do.
    let stack = Stack::connect().await;
    let SignIn { phone, challenge: c, code } = stack.new_sign_in().await;
    assert_eq!(c.get("maskedPhoneNumber"), mask(&phone));
    assert_eq!(c.number("codeLength"), Some(stack.config.otp_length as u64));
    let again = challenge(stack.client.answer(&phone, &c.session, &different_code(&code)).await);
    assert_eq!(again.number("attemptsLeft"), Some(stack.config.max_attempts as u64 - 1));
    let t = tokens(stack.client.answer(&phone, &again.session, &code).await);
    let claims = token_claims(&t.id_token).expect("claims");
    assert_eq!(claims["phone_number"], phone.as_str());
    assert_eq!(claims["phone_number_verified"], true);
    assert_eq!(stack.sms(&phone).len(), 1, "one SMS; the wrong answer sent none");
}
