//! The end-to-end harness: a handle on the stack deployed onto the local emulator.
//!
//! Everything goes through real interfaces: Cognito's API through the AWS SDK for Rust (the
//! same `signin-client` users get), the deployed functions through Lambda's `Invoke`, the SMS
//! through the emulator's inbox. The limits under test are read back from the deployed create
//! function's environment, so the tests follow whatever `make e2e` deployed. The same harness
//! connects to the CDK construct's stack (`tests/cdk.rs`, `make cdk`).

use std::collections::HashMap;

use aws_sdk_lambda::primitives::Blob;
use rand::TryRng;
use serde_json::Value;
use signin_client::{Challenge, ClientError, SignInClient, Step, emulator};
use sms_otp_core::Config;
use sms_otp_core::config::Trigger;

pub use signin_client::Tokens;

/// The stack under test: `E2E_STACK_NAME`, which `tools/e2e.sh` (the one place that names it)
/// sets before it runs the tests (`tools/cdk-e2e.sh`: the CDK construct's stack).
pub fn stack_name() -> String {
    required_var("E2E_STACK_NAME")
}

/// A variable `tools/e2e.sh` sets (with `tools/local-env.sh`); the tests run only under it.
fn required_var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run the end-to-end tests with `make e2e`"))
}

/// A sign-in under way, as [`Stack::new_sign_in`] leaves it.
pub struct SignIn {
    pub phone: String,
    pub challenge: Challenge,
    pub code: String,
}

pub struct Stack {
    pub client: SignInClient,
    pub config: Config,
    sdk: aws_config::SdkConfig,
    user_pool_id: String,
    lambda: aws_sdk_lambda::Client,
    functions: HashMap<String, String>,
    endpoint: String,
    /// The create function's environment as deployed.
    create_env: HashMap<String, String>,
}

impl Stack {
    pub async fn connect() -> Self {
        let name = stack_name();
        let endpoint = required_var("AWS_ENDPOINT_URL");
        let sdk = signin_client::aws_config().await;
        let outputs = signin_client::stack_outputs(&sdk, &name)
            .await
            .unwrap_or_else(|e| panic!("stack {name} is not deployed on {endpoint} ({e}); run `make e2e`"));
        let client = SignInClient::new(&sdk, &outputs["UserPoolClientId"]);

        let cfn = aws_sdk_cloudformation::Client::new(&sdk);
        let resources = cfn.describe_stack_resources().stack_name(&name).send().await.expect("stack resources");
        let functions: HashMap<String, String> = resources
            .stack_resources()
            .iter()
            .filter(|r| r.resource_type() == Some("AWS::Lambda::Function"))
            .filter_map(|r| Some((template_id(r.logical_resource_id()?), r.physical_resource_id()?.to_owned())))
            .collect();

        let lambda = aws_sdk_lambda::Client::new(&sdk);
        let create = functions.get("CreateAuthChallengeFunction").expect("a create function in the stack");
        let env = lambda
            .get_function_configuration()
            .function_name(create)
            .send()
            .await
            .expect("the create function's configuration")
            .environment()
            .and_then(|e| e.variables())
            .cloned()
            .unwrap_or_default();
        // Each function gets only the variables it reads (config::SETTINGS): the deployed
        // configuration is all of theirs together.
        let mut all = env.clone();
        for (logical, name) in &functions {
            if logical == "CreateAuthChallengeFunction" {
                continue;
            }
            let config = lambda.get_function_configuration().function_name(name).send().await.expect("a function");
            if let Some(vars) = config.environment().and_then(|e| e.variables()) {
                all.extend(vars.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
        let config = Config::from_lookup(|k| all.get(k).cloned()).expect("the deployed configuration is valid");
        let user_pool_id = outputs["UserPoolId"].clone();
        Self { client, config, sdk, user_pool_id, lambda, functions, endpoint, create_env: env }
    }

    /// The AWS configuration the harness uses (the emulator's endpoint, dummy credentials).
    pub fn sdk(&self) -> &aws_config::SdkConfig {
        &self.sdk
    }

    /// The per-number table `make e2e` deploys, and a client for it: where the tests read the
    /// counts, locks and pauses, and change them as an operator would (docs/operations.md).
    pub fn send_limit_table(&self) -> (aws_sdk_dynamodb::Client, String) {
        let table = self.config.send_limit_table.clone().expect("make e2e deploys the per-number table");
        (aws_sdk_dynamodb::Client::new(&self.sdk), table)
    }

    /// A phone number no other test (and no earlier run) has used: +1 555 then 7 random digits.
    pub fn new_phone() -> String {
        let draw = rand::rngs::SysRng.try_next_u64().expect("OS randomness");
        format!("+1555{:07}", draw % 10_000_000)
    }

    /// Every SMS the emulator received for `phone`.
    pub fn sms(&self, phone: &str) -> Vec<String> {
        emulator::sms_messages(&self.endpoint, phone).expect("the emulator's SMS inbox")
    }

    /// Every SMS the emulator received for `phone`, with what SNS was told (message attributes).
    pub fn sms_records(&self, phone: &str) -> Vec<Value> {
        emulator::sms_records(&self.endpoint, phone).expect("the emulator's SMS inbox")
    }

    /// The code in the latest SMS to `phone`.
    pub fn latest_code(&self, phone: &str) -> String {
        let texts = self.sms(phone);
        let last = texts.last().unwrap_or_else(|| panic!("no SMS for {phone}"));
        emulator::code_in(last, self.config.otp_length).unwrap_or_else(|| panic!("no code in {last:?}"))
    }

    /// Signs `phone` up and checks pre-sign-up confirmed it.
    pub async fn sign_up(&self, phone: &str) {
        let confirmed = self.client.sign_up(phone).await.unwrap_or_else(|e| panic!("sign-up of {phone}: {e}"));
        assert!(confirmed, "pre-sign-up should auto-confirm {phone}");
    }

    /// Starts a sign-in that must answer with a challenge.
    pub async fn start(&self, phone: &str) -> Challenge {
        challenge(self.client.start(phone).await)
    }

    /// A fresh number, signed up, with a sign-in started: the number, the first challenge and the
    /// code its SMS carried.
    pub async fn new_sign_in(&self) -> SignIn {
        let phone = Self::new_phone();
        self.sign_up(&phone).await;
        let challenge = self.start(&phone).await;
        let code = self.latest_code(&phone);
        SignIn { phone, challenge, code }
    }

    /// Invokes a deployed function directly (`logical` is its id in template.yaml). A function
    /// error comes back as `Err(message)`.
    pub async fn invoke(&self, logical: &str, event: Value) -> Result<Value, String> {
        let name = self.functions.get(logical).unwrap_or_else(|| panic!("no function {logical} in the stack"));
        let out = self
            .lambda
            .invoke()
            .function_name(name)
            .payload(Blob::new(serde_json::to_vec(&event).expect("JSON")))
            .send()
            .await
            .unwrap_or_else(|e| panic!("invoke {logical}: {e:?}"));
        let payload: Value =
            out.payload().map(|p| serde_json::from_slice(p.as_ref()).unwrap_or(Value::Null)).unwrap_or_default();
        match out.function_error() {
            Some(_) => Err(payload["errorMessage"].as_str().unwrap_or_default().to_owned()),
            None => Ok(payload),
        }
    }

    /// Gives the deployed create function its environment plus `extra` (nothing: as deployed),
    /// with `UpdateFunctionConfiguration`; the emulator restarts it with the new environment.
    /// The fault tests point its SNS or DynamoDB endpoint (`AWS_ENDPOINT_URL_SNS`, ...) elsewhere.
    pub async fn set_create_environment(&self, extra: &[(&str, &str)]) {
        let name = &self.functions["CreateAuthChallengeFunction"];
        let mut env = self.create_env.clone();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let environment = aws_sdk_lambda::types::Environment::builder().set_variables(Some(env.clone())).build();
        self.lambda
            .update_function_configuration()
            .function_name(name)
            .environment(environment)
            .send()
            .await
            .expect("UpdateFunctionConfiguration of the create function");
        let deployed = self.lambda.get_function_configuration().function_name(name).send().await.expect("a function");
        let now = deployed.environment().and_then(|e| e.variables()).cloned().unwrap_or_default();
        assert_eq!(now, env, "the create function's environment did not change");
    }

    /// Every SMS the emulator received, for every number: (number, text).
    pub fn all_sms(&self) -> Vec<(String, String)> {
        emulator::all_sms(&self.endpoint).expect("the emulator's SMS inbox")
    }

    /// The phone numbers of every user in the pool.
    pub async fn user_phone_numbers(&self) -> Vec<String> {
        let cognito = aws_sdk_cognitoidentityprovider::Client::new(&self.sdk);
        let mut numbers = Vec::new();
        let mut pages = cognito.list_users().user_pool_id(&self.user_pool_id).into_paginator().send();
        while let Some(page) = pages.next().await {
            for user in page.expect("ListUsers").users() {
                let phone = user.attributes().iter().find(|a| a.name() == "phone_number");
                numbers.extend(phone.and_then(|a| a.value()).map(str::to_owned));
            }
        }
        numbers
    }

    /// Sets one attribute of the user signed up with `phone` (`AdminUpdateUserAttributes`, as the
    /// app's backend would; a user's own `locale` they may also set themselves).
    pub async fn set_user_attribute(&self, phone: &str, name: &str, value: &str) {
        let cognito = aws_sdk_cognitoidentityprovider::Client::new(&self.sdk);
        let attribute = aws_sdk_cognitoidentityprovider::types::AttributeType::builder()
            .name(name)
            .value(value)
            .build()
            .expect("an attribute");
        cognito
            .admin_update_user_attributes()
            .user_pool_id(&self.user_pool_id)
            .username(phone)
            .user_attributes(attribute)
            .send()
            .await
            .unwrap_or_else(|e| panic!("AdminUpdateUserAttributes {name}: {e:?}"));
    }

    /// Every line the four functions wrote to CloudWatch Logs.
    pub async fn function_logs(&self) -> Vec<String> {
        let logs = aws_sdk_cloudwatchlogs::Client::new(&self.sdk);
        let mut lines = Vec::new();
        for name in self.functions.values() {
            let config = self.lambda.get_function_configuration().function_name(name).send().await.expect("a function");
            let group = config
                .logging_config()
                .and_then(|l| l.log_group())
                .map_or_else(|| format!("/aws/lambda/{name}"), str::to_owned);
            let mut pages = logs.filter_log_events().log_group_name(&group).into_paginator().send();
            while let Some(page) = pages.next().await {
                let page = page.unwrap_or_else(|e| panic!("logs of {group}: {e:?}"));
                lines.extend(page.events().iter().filter_map(|e| e.message().map(str::to_owned)));
            }
        }
        lines
    }

    /// A sample event from `events/`, to invoke a function with.
    pub fn sample_event(path: &str) -> Value {
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events").join(path);
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        serde_json::from_str(&text).expect("sample events are JSON")
    }
}

/// The test numbers `make e2e` configures (`E2E_TEST_NUMBERS`, the deployed TEST_PHONE_NUMBERS;
/// kept in one place, tools/e2e.sh): (number, fixed code), in order. Each test that uses one
/// has its own, so a test that locks one cannot disturb another.
pub fn test_numbers() -> Vec<(String, String)> {
    let raw = std::env::var("E2E_TEST_NUMBERS").expect("E2E_TEST_NUMBERS=phone=code,..., set by make e2e");
    raw.split(',')
        .map(|entry| {
            let (phone, code) = entry.split_once('=').expect("phone=code");
            (phone.to_owned(), code.to_owned())
        })
        .collect()
}

/// A function's logical id as template.yaml names it: a trigger's id inside the CDK construct's
/// (`SignInCreateAuthChallengeFunction1A2B3C4D`, cdk/), any other id as it is.
fn template_id(logical_id: &str) -> String {
    let trigger = Trigger::ALL.iter().map(|t| t.logical_id()).find(|id| logical_id.contains(id));
    trigger.unwrap_or(logical_id).to_owned()
}

/// The challenge in `step`, or a panic saying what came instead.
pub fn challenge(step: Result<Step, ClientError>) -> Challenge {
    match step {
        Ok(Step::Challenge(c)) => c,
        Ok(Step::SignedIn(_)) => panic!("expected a challenge, got tokens"),
        Err(e) => panic!("expected a challenge, got an error: {e}"),
    }
}

/// The tokens in `step`, or a panic saying what came instead.
pub fn tokens(step: Result<Step, ClientError>) -> Tokens {
    match step {
        Ok(Step::SignedIn(t)) => t,
        Ok(Step::Challenge(c)) => panic!("expected tokens, got another challenge: {}", c.describe()),
        Err(e) => panic!("expected tokens, got an error: {e}"),
    }
}
