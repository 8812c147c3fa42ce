//! The sign-in attached to a pool the stack did not create (`ExistingUserPoolId`), on the local
//! stack: a customer's pool made out of band with many settings other than the defaults, a
//! password app client and a user of it; the stack deployed onto it with `tools/local-deploy.sh`;
//! that user signed in by SMS through the stack's new client; the pool's description unchanged
//! but for the trigger slots; the old client's password sign-in unchanged; a slot emptied by hand
//! written again by the next deploy; the stack deleted and the pool as before. And a pool whose
//! slot holds someone else's function refuses the deploy and is left alone.
//!
//! The emulator's `UpdateUserPool` keeps what it is not sent (Cognito resets it), so these show
//! the flow, not the merge: that is held against a model of Cognito's reset in
//! crates/attach-triggers/tests.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::{
    AdminCreateUserConfigType, AliasAttributeType, AttributeDataType, AttributeType, AuthFlowType,
    DeletionProtectionType, ExplicitAuthFlowsType, LambdaConfigType, MessageActionType, PasswordPolicyType,
    SchemaAttributeType, SoftwareTokenMfaConfigType, UserPoolMfaType, UserPoolPolicyType, UserPoolType,
    VerifiedAttributeType,
};
use e2e::{Stack, challenge, tokens};
use signin_client::{SignInClient, emulator, token_claims};
use sms_otp_core::config::Trigger;
use sms_otp_core::phone::mask;

/// The customer's pool: its id, its password app client, and a user of it.
struct CustomerPool {
    id: String,
    password_client: String,
    user_name: String,
    phone: String,
    password: String,
}

fn repo() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `tools/local-deploy.sh` onto the emulator for `stack`, from the build `make e2e` made, at most
/// ten minutes; whether it succeeded.
fn local_deploy(stack: &str, args: &[&str]) -> bool {
    let status = Command::new("timeout")
        .arg("600")
        .arg(repo().join("tools/local-deploy.sh"))
        .args(args)
        .env("LOCAL_STACK_NAME", stack)
        .current_dir(repo())
        .status()
        .expect("tools/local-deploy.sh runs");
    status.success()
}

fn deploy(stack: &str, parameters: &[&str]) -> bool {
    let mut args = vec!["--no-build"];
    args.extend_from_slice(parameters);
    local_deploy(stack, &args)
}

/// `make smoke` of `stack` on the emulator: whether it passed, and what it said.
fn smoke(stack: &str) -> (bool, String) {
    let out = Command::new("timeout")
        .arg("300")
        .arg(repo().join("tools/smoke.sh"))
        .arg(stack)
        .env("LOCAL", "1")
        .current_dir(repo())
        .output()
        .expect("tools/smoke.sh runs");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn delete(stack: &str) {
    assert!(local_deploy(stack, &["--delete"]), "deleting {stack}");
}

/// The pool's description, with what changes by itself (the time of the last change) left out
/// and, with `without_slots`, the four slots this stack writes.
async fn described(cognito: &Client, pool: &str, without_slots: bool) -> UserPoolType {
    let mut pool = cognito
        .describe_user_pool()
        .user_pool_id(pool)
        .send()
        .await
        .expect("DescribeUserPool")
        .user_pool
        .expect("a pool");
    pool.last_modified_date = None;
    if without_slots && let Some(config) = pool.lambda_config.as_mut() {
        config.pre_sign_up = None;
        config.define_auth_challenge = None;
        config.create_auth_challenge = None;
        config.verify_auth_challenge_response = None;
    }
    pool
}

fn slot(pool: &UserPoolType, trigger: Trigger) -> Option<String> {
    let config = pool.lambda_config.as_ref()?;
    match trigger {
        Trigger::PreSignUp => config.pre_sign_up.clone(),
        Trigger::DefineAuthChallenge => config.define_auth_challenge.clone(),
        Trigger::CreateAuthChallenge => config.create_auth_challenge.clone(),
        Trigger::VerifyAuthChallenge => config.verify_auth_challenge_response.clone(),
    }
}

/// The ARNs of the stack's four trigger functions, by trigger.
async fn functions(sdk: &aws_config::SdkConfig, stack: &str) -> HashMap<Trigger, String> {
    let outputs = signin_client::stack_outputs(sdk, stack).await.expect("the stack's outputs");
    let lambda = aws_sdk_lambda::Client::new(sdk);
    let mut arns = HashMap::new();
    for trigger in Trigger::ALL {
        let name = &outputs[&format!("{}Name", trigger.logical_id())];
        let config = lambda.get_function_configuration().function_name(name).send().await.expect("a function");
        arns.insert(trigger, config.function_arn().expect("an ARN").to_owned());
    }
    arns
}

/// A pool with settings other than the defaults throughout, users addressed by user name (email
/// as an alias, not the phone number), a password app client and a user with a verified number.
async fn customer_pool(cognito: &Client) -> CustomerPool {
    let phone = Stack::new_phone();
    let suffix = &phone[5..];
    let password_policy = PasswordPolicyType::builder()
        .minimum_length(10)
        .require_uppercase(true)
        .require_lowercase(true)
        .require_numbers(true)
        .require_symbols(false)
        .temporary_password_validity_days(3)
        .build();
    let tier = SchemaAttributeType::builder()
        .name("tier")
        .attribute_data_type(AttributeDataType::String)
        .mutable(true)
        .build();
    let created = cognito
        .create_user_pool()
        .pool_name(format!("customer-{suffix}"))
        .policies(UserPoolPolicyType::builder().password_policy(password_policy).build())
        .alias_attributes(AliasAttributeType::Email)
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .email_verification_message("Your Example code is {####}")
        .email_verification_subject("Your Example code")
        .schema(tier)
        .user_pool_tags("team", "identity")
        .user_pool_tags("cost-center", "42")
        .deletion_protection(DeletionProtectionType::Active)
        .admin_create_user_config(AdminCreateUserConfigType::builder().allow_admin_create_user_only(true).build())
        .send()
        .await
        .expect("CreateUserPool");
    let id = created.user_pool().and_then(|p| p.id()).expect("a pool id").to_owned();
    cognito
        .set_user_pool_mfa_config()
        .user_pool_id(&id)
        .software_token_mfa_configuration(SoftwareTokenMfaConfigType::builder().enabled(true).build())
        .mfa_configuration(UserPoolMfaType::Optional)
        .send()
        .await
        .expect("SetUserPoolMfaConfig");
    let client = cognito
        .create_user_pool_client()
        .user_pool_id(&id)
        .client_name("customer-web")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowCustomAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .expect("CreateUserPoolClient");
    let password_client = client.user_pool_client().and_then(|c| c.client_id()).expect("a client id").to_owned();

    let user_name = format!("alice-{suffix}");
    let password = format!("Correct-horse-{suffix}");
    let attribute =
        |name: &str, value: &str| AttributeType::builder().name(name).value(value).build().expect("an attribute");
    cognito
        .admin_create_user()
        .user_pool_id(&id)
        .username(&user_name)
        .user_attributes(attribute("phone_number", &phone))
        .user_attributes(attribute("phone_number_verified", "true"))
        .user_attributes(attribute("email", &format!("{user_name}@example.com")))
        .user_attributes(attribute("email_verified", "true"))
        .user_attributes(attribute("custom:tier", "gold"))
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .expect("AdminCreateUser");
    cognito
        .admin_set_user_password()
        .user_pool_id(&id)
        .username(&user_name)
        .password(&password)
        .permanent(true)
        .send()
        .await
        .expect("AdminSetUserPassword");
    // The customer's own trigger, set after the user exists (the emulator has no such function).
    // The emulator's UpdateUserPool keeps what it is not sent.
    let post_confirmation = "arn:aws:lambda:us-east-1:000000000000:function:customer-post-confirmation";
    cognito
        .update_user_pool()
        .user_pool_id(&id)
        .lambda_config(LambdaConfigType::builder().post_confirmation(post_confirmation).build())
        .send()
        .await
        .expect("UpdateUserPool");
    CustomerPool { id, password_client, user_name, phone, password }
}

/// The pool's settings behind SetUserPoolMfaConfig, which UpdateUserPool does not send.
async fn mfa_settings(cognito: &Client, pool: &str) -> String {
    let m = cognito.get_user_pool_mfa_config().user_pool_id(pool).send().await.expect("GetUserPoolMfaConfig");
    format!(
        "{:?} {:?} {:?} {:?} {:?}",
        m.mfa_configuration(),
        m.sms_mfa_configuration(),
        m.software_token_mfa_configuration(),
        m.email_mfa_configuration(),
        m.web_authn_configuration()
    )
}

async fn password_sign_in(cognito: &Client, pool: &CustomerPool) -> bool {
    let out = cognito
        .initiate_auth()
        .client_id(&pool.password_client)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", &pool.user_name)
        .auth_parameters("PASSWORD", &pool.password)
        .send()
        .await
        .unwrap_or_else(|e| panic!("password sign-in: {e:?}"));
    out.authentication_result().and_then(|r| r.id_token()).is_some()
}

#[tokio::test]
#[ignore = "needs the local stack and a build, as `make e2e` provides"]
async fn an_existing_pool_gets_the_sign_in_and_keeps_everything_else() {
    let sdk = signin_client::aws_config().await;
    let cognito = Client::new(&sdk);
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL, set by make e2e");
    let stack = format!("{}-pool", e2e::stack_name());
    let pool = customer_pool(&cognito).await;
    let before = described(&cognito, &pool.id, false).await;
    let mfa_before = mfa_settings(&cognito, &pool.id).await;
    assert!(password_sign_in(&cognito, &pool).await, "the customer's sign-in works before");

    assert!(deploy(&stack, &[&format!("ExistingUserPoolId={}", pool.id)]), "deploying onto the existing pool");
    let outputs = signin_client::stack_outputs(&sdk, &stack).await.expect("outputs");
    assert_eq!(outputs["UserPoolId"], pool.id, "the outputs name the existing pool");
    assert_ne!(outputs["UserPoolClientId"], pool.password_client, "the stack has its own client");
    assert!(outputs["ExistingPoolNotes"].contains("user name"), "{}", outputs["ExistingPoolNotes"]);
    let ours = functions(&sdk, &stack).await;

    // The pool's description differs in the trigger slots only; its MFA settings are as they were.
    let attached = described(&cognito, &pool.id, false).await;
    assert_eq!(described(&cognito, &pool.id, true).await, before, "only the trigger slots changed");
    for trigger in [Trigger::DefineAuthChallenge, Trigger::CreateAuthChallenge, Trigger::VerifyAuthChallenge] {
        assert_eq!(slot(&attached, trigger).as_ref(), Some(&ours[&trigger]), "{}", trigger.pool_slot());
    }
    assert_eq!(slot(&attached, Trigger::PreSignUp), None, "pre-sign-up is not attached unless asked for");
    assert_eq!(mfa_settings(&cognito, &pool.id).await, mfa_before);

    // The user signs in by SMS through the stack's client, by their user name.
    let client = SignInClient::new(&sdk, &outputs["UserPoolClientId"]);
    let c = challenge(client.start(&pool.user_name).await);
    assert_eq!(c.get("maskedPhoneNumber"), mask(&pool.phone));
    let texts = emulator::sms_messages(&endpoint, &pool.phone).expect("the SMS inbox");
    let code = texts.last().and_then(|t| emulator::code_in(t, 6)).expect("a code in the SMS");
    let signed_in = tokens(client.answer(&pool.user_name, &c.session, &code).await);
    let claims = token_claims(&signed_in.id_token).expect("claims");
    assert_eq!(claims["cognito:username"], pool.user_name.as_str());
    assert_eq!(claims["phone_number"], pool.phone.as_str());

    // The customer's client: password sign-in as before; its custom sign-ins are not served.
    assert!(password_sign_in(&cognito, &pool).await, "the customer's password sign-in still works");
    let theirs = SignInClient::new(&sdk, &pool.password_client);
    match theirs.start(&pool.user_name).await {
        Err(e) => assert!(e.to_string().contains("not served here"), "{e}"),
        Ok(_) => panic!("the customer's client got an SMS challenge"),
    }

    // make smoke, with its check of the slots.
    let (passed, said) = smoke(&stack);
    assert!(passed && said.contains("the pool's slots hold this stack's functions"), "{said}");

    // A slot emptied by hand (another tool's UpdateUserPool) is written again by the next deploy.
    let mut by_hand = attached.lambda_config.clone().expect("a LambdaConfig");
    by_hand.define_auth_challenge = None;
    cognito.update_user_pool().user_pool_id(&pool.id).lambda_config(by_hand).send().await.expect("UpdateUserPool");
    let (passed, said) = smoke(&stack);
    assert!(!passed && said.contains("DefineAuthChallenge: holds nothing"), "{said}");
    assert!(deploy(&stack, &[&format!("ExistingUserPoolId={}", pool.id), "ExistingPoolRevision=2"]), "re-deploying");
    let again = described(&cognito, &pool.id, false).await;
    assert_eq!(slot(&again, Trigger::DefineAuthChallenge).as_ref(), Some(&ours[&Trigger::DefineAuthChallenge]));

    // Deleting the stack leaves the pool as it was.
    delete(&stack);
    let after = described(&cognito, &pool.id, false).await;
    assert_eq!(after, before, "the pool is as before the stack");
    let listed = cognito.list_user_pool_clients().user_pool_id(&pool.id).max_results(60).send().await.expect("clients");
    let left: Vec<&str> = listed.user_pool_clients().iter().filter_map(|c| c.client_id()).collect();
    assert_eq!(left, vec![pool.password_client.as_str()], "the stack's client went with it");
    assert!(password_sign_in(&cognito, &pool).await, "and the customer's sign-in still works");
}

#[tokio::test]
#[ignore = "needs the local stack and a build, as `make e2e` provides"]
async fn a_taken_slot_refuses_the_deploy_and_leaves_the_pool_alone() {
    let sdk = signin_client::aws_config().await;
    let cognito = Client::new(&sdk);
    let stack = format!("{}-taken", e2e::stack_name());
    let theirs = "arn:aws:lambda:us-east-1:000000000000:function:someone-elses-define";
    let created = cognito
        .create_user_pool()
        .pool_name(format!("taken-{}", &Stack::new_phone()[5..]))
        .lambda_config(LambdaConfigType::builder().define_auth_challenge(theirs).build())
        .send()
        .await
        .expect("CreateUserPool");
    let id = created.user_pool().and_then(|p| p.id()).expect("a pool id").to_owned();
    let before = described(&cognito, &id, false).await;

    assert!(!deploy(&stack, &[&format!("ExistingUserPoolId={id}")]), "the deploy onto a taken slot went through");
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    let events = cfn.describe_stack_events().stack_name(&stack).send().await.expect("stack events");
    let reasons: Vec<&str> = events.stack_events().iter().filter_map(|e| e.resource_status_reason()).collect();
    assert!(
        reasons.iter().any(|r| r.contains(&format!("DefineAuthChallenge holds {theirs}"))),
        "no reason names the slot and its function: {reasons:#?}"
    );
    assert_eq!(described(&cognito, &id, false).await, before, "the pool was not changed");
    delete(&stack);
}
