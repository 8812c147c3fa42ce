//! A model of Cognito's user pool API for the custom resource's tests, answering the real SDK
//! clients through the SDK's own test HTTP client, so it sees each request as Cognito would: the
//! JSON body the SDK wrote.
//!
//! Its `UpdateUserPool` does what the API reference says Cognito's does ("If you don't provide a
//! value for an attribute, Amazon Cognito sets it to its default value"): every parameter the
//! request leaves out is reset (dropped from the pool), every one it carries replaces the pool's
//! whole, nested members included; what `UpdateUserPool` cannot set stays. The local emulator
//! keeps what it is not sent, so only this can show a setting lost on the way.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use attach_triggers::cognito::Clients;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cognitoidentityprovider::operation::update_user_pool::UpdateUserPoolInput;
use aws_smithy_types::body::SdkBody;
use serde_json::{Map, Value, json};

pub type Pool = Map<String, Value>;

/// An account's pools and app clients, and what was asked of them.
#[derive(Default)]
pub struct State {
    pub pools: HashMap<String, Pool>,
    /// App clients by pool: id, name, flows.
    pub clients: HashMap<String, Vec<(String, String, Vec<String>)>>,
    pub describes: usize,
    /// The bodies of the `UpdateUserPool` requests Cognito took.
    pub updates: Vec<Value>,
    /// How many `UpdateUserPool` requests to refuse with `ConcurrentModificationException`, and
    /// what the other change does to the pool meanwhile.
    pub busy: usize,
    pub meanwhile: Option<fn(&mut Pool)>,
    /// The stack's own pool, as CloudFormation's `DescribeStackResource` reports it, under the
    /// logical id `own_pool_logical_id` (none: template.yaml's, `UserPool`).
    pub own_pool: Option<String>,
    pub own_pool_logical_id: Option<String>,
}

#[derive(Clone, Default)]
pub struct Model(pub Arc<Mutex<State>>);

impl Model {
    /// An account with the pool `DescribeUserPool` described in `answer` (a fixture file).
    pub fn with_fixture(name: &str) -> (Self, String) {
        let model = Self::default();
        let id = model.add(fixture(name));
        (model, id)
    }

    /// Adds `pool` (a `UserPool` object); its id.
    pub fn add(&self, pool: Pool) -> String {
        let id = pool["Id"].as_str().expect("a pool id").to_owned();
        self.state().pools.insert(id.clone(), pool);
        id
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().expect("not poisoned")
    }

    pub fn pool(&self, id: &str) -> Pool {
        self.state().pools[id].clone()
    }

    /// The clients the custom resource uses, answered by this model.
    pub fn clients(&self) -> Clients {
        let cognito = self.clone();
        let cognito = aws_smithy_http_client::test_util::infallible_client_fn(move |request| cognito.cognito(request));
        let cloudformation = self.clone();
        let cloudformation = aws_smithy_http_client::test_util::infallible_client_fn(move |request| {
            cloudformation.describe_stack_resource(request)
        });
        let credentials = Credentials::new("AKIDTEST", "test-secret", None, None, "model");
        Clients {
            cognito: aws_sdk_cognitoidentityprovider::Client::from_conf(
                aws_sdk_cognitoidentityprovider::Config::builder()
                    .behavior_version(BehaviorVersion::latest())
                    .region(Region::new("us-east-1"))
                    .credentials_provider(credentials.clone())
                    .http_client(cognito)
                    .build(),
            ),
            cloudformation: aws_sdk_cloudformation::Client::from_conf(
                aws_sdk_cloudformation::Config::builder()
                    .behavior_version(BehaviorVersion::latest())
                    .region(Region::new("us-east-1"))
                    .credentials_provider(credentials)
                    .http_client(cloudformation)
                    .build(),
            ),
        }
    }

    fn cognito(&self, request: http::Request<SdkBody>) -> http::Response<SdkBody> {
        let target = request.headers().get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let body: Value = request.body().bytes().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or_default();
        let operation = target.rsplit('.').next().unwrap_or_default();
        let pool_id = body["UserPoolId"].as_str().unwrap_or_default().to_owned();
        let mut state = self.state();
        if !state.pools.contains_key(&pool_id) {
            return error("ResourceNotFoundException", &format!("User pool {pool_id} does not exist."));
        }
        match operation {
            "DescribeUserPool" => {
                state.describes += 1;
                answer(json!({"UserPool": state.pools[&pool_id]}))
            }
            "UpdateUserPool" => {
                if state.busy > 0 {
                    state.busy -= 1;
                    if let Some(change) = state.meanwhile {
                        change(state.pools.get_mut(&pool_id).expect("the pool"));
                    }
                    return error("ConcurrentModificationException", "Another update is in progress.");
                }
                let current = state.pools[&pool_id].clone();
                match update_user_pool(&current, &body) {
                    Ok(next) => {
                        state.pools.insert(pool_id, next);
                        state.updates.push(body);
                        answer(json!({}))
                    }
                    Err(message) => error("InvalidParameterException", &message),
                }
            }
            "ListUserPoolClients" => {
                let clients = state.clients.get(&pool_id).cloned().unwrap_or_default();
                let listed: Vec<Value> = clients
                    .iter()
                    .map(|(id, name, _)| json!({"ClientId": id, "ClientName": name, "UserPoolId": pool_id}))
                    .collect();
                answer(json!({"UserPoolClients": listed}))
            }
            "DescribeUserPoolClient" => {
                let id = body["ClientId"].as_str().unwrap_or_default();
                let clients = state.clients.get(&pool_id).cloned().unwrap_or_default();
                match clients.iter().find(|(c, _, _)| c == id) {
                    Some((id, name, flows)) => answer(
                        json!({"UserPoolClient": {"ClientId": id, "ClientName": name, "UserPoolId": pool_id, "ExplicitAuthFlows": flows}}),
                    ),
                    None => error("ResourceNotFoundException", "no such client"),
                }
            }
            other => error("InvalidAction", &format!("the model does not do {other}")),
        }
    }

    fn describe_stack_resource(&self, request: http::Request<SdkBody>) -> http::Response<SdkBody> {
        // The query API's form body: ...&LogicalResourceId=UserPool&...
        let body = request.body().bytes().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
        let asked = body.split('&').find_map(|pair| pair.strip_prefix("LogicalResourceId=")).unwrap_or_default();
        let state = self.state();
        let logical_id = state.own_pool_logical_id.as_deref().unwrap_or("UserPool");
        let xml = match state.own_pool.as_ref().filter(|_| asked == logical_id) {
            Some(id) => (
                200,
                format!(
                    "<DescribeStackResourceResponse><DescribeStackResourceResult><StackResourceDetail><LogicalResourceId>{logical_id}</LogicalResourceId><PhysicalResourceId>{id}</PhysicalResourceId><ResourceType>AWS::Cognito::UserPool</ResourceType><ResourceStatus>UPDATE_COMPLETE</ResourceStatus><LastUpdatedTimestamp>2025-11-20T10:00:00Z</LastUpdatedTimestamp></StackResourceDetail></DescribeStackResourceResult></DescribeStackResourceResponse>"
                ),
            ),
            None => (
                400,
                format!(
                    "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Resource {asked} does not exist for stack sms-passwordless</Message></Error><RequestId>1</RequestId></ErrorResponse>"
                ),
            ),
        };
        http::Response::builder().status(xml.0).body(SdkBody::from(xml.1)).expect("a response")
    }
}

/// Cognito's `UpdateUserPool`, as its API reference describes it.
fn update_user_pool(current: &Pool, request: &Value) -> Result<Pool, String> {
    let parameters: Vec<&str> = UpdateUserPoolInput::SCHEMA.members().iter().filter_map(|m| m.member_name()).collect();
    let request = request.as_object().ok_or("not a JSON object")?;
    // What UpdateUserPool cannot set stays; the name stays unless PoolName is sent.
    let mut next: Pool = current
        .iter()
        .filter(|(k, _)| !parameters.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (member, value) in request {
        match member.as_str() {
            "UserPoolId" => {}
            "PoolName" => {
                next.insert("Name".to_owned(), value.clone());
            }
            m if parameters.contains(&m) => {
                next.insert(m.to_owned(), value.clone());
            }
            m => return Err(format!("1 validation error: unknown parameter {m}")),
        }
    }
    // 0 is the SDK's value for a number it models as plain and was not given: not set.
    let set = |v: Option<&Value>| v.and_then(Value::as_f64).is_some_and(|n| n != 0.0);
    let temporary = request
        .get("Policies")
        .and_then(|p| p.get("PasswordPolicy"))
        .and_then(|p| p.get("TemporaryPasswordValidityDays"));
    let unused = request.get("AdminCreateUserConfig").and_then(|c| c.get("UnusedAccountValidityDays"));
    if set(temporary) && set(unused) {
        return Err(
            "Please use TemporaryPasswordValidityDays in PasswordPolicy instead of UnusedAccountValidityDays".into()
        );
    }
    // The legacy member mirrors the password policy's (DescribeUserPool shows both).
    if let (Some(days), Some(Value::Object(config))) =
        (temporary.filter(|t| set(Some(t))), next.get_mut("AdminCreateUserConfig"))
    {
        config.insert("UnusedAccountValidityDays".to_owned(), days.clone());
    }
    Ok(next)
}

fn answer(body: Value) -> http::Response<SdkBody> {
    http::Response::builder()
        .status(200)
        .header("content-type", "application/x-amz-json-1.1")
        .body(SdkBody::from(body.to_string()))
        .expect("a response")
}

fn error(code: &str, message: &str) -> http::Response<SdkBody> {
    http::Response::builder()
        .status(400)
        .header("content-type", "application/x-amz-json-1.1")
        .body(SdkBody::from(json!({"__type": code, "message": message}).to_string()))
        .expect("a response")
}

/// A recorded `DescribeUserPool` answer's `UserPool` (tests/fixtures).
pub fn fixture(name: &str) -> Pool {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut answer: Map<String, Value> = serde_json::from_str(&text).expect("a fixture is JSON");
    match answer.remove("UserPool") {
        Some(Value::Object(pool)) => pool,
        _ => panic!("{name}: no UserPool"),
    }
}

/// The members in which two descriptions of a pool differ, one level into `LambdaConfig`
/// (`LambdaConfig.DefineAuthChallenge`), in order. A member that is absent, `null`, `""` or `{}`
/// sets nothing, whichever of these a description shows.
pub fn differences(before: &Pool, after: &Pool) -> Vec<String> {
    let nothing = |v: Option<&Value>| match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        _ => false,
    };
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for key in keys {
        let (b, a) = (before.get(key), after.get(key));
        if key == "LambdaConfig" {
            let empty = Map::new();
            let b = b.and_then(Value::as_object).unwrap_or(&empty);
            let a = a.and_then(Value::as_object).unwrap_or(&empty);
            out.extend(differences(b, a).into_iter().map(|k| format!("LambdaConfig.{k}")));
        } else if b != a && !(nothing(b) && nothing(a)) {
            out.push(key.clone());
        }
    }
    out
}
