//! A user pool as `DescribeUserPool` describes it, kept as the JSON Cognito sent, and the
//! `UpdateUserPool` that changes its trigger slots and nothing else.
//!
//! `UpdateUserPool` resets every setting it is not sent to its default (its API reference says
//! so), and a typed SDK drops, without a word, any member of an answer it does not model: sending
//! back what the SDK parsed would quietly reset whatever is newer than this build. So the pool is
//! kept as the raw JSON of the answer; the request is that JSON with the fields AWS documents as
//! read-only taken out and our slots set (AWS's procedure, [`READ_ONLY`]); and before anything is
//! sent, the SDK's own codec turns that JSON into the typed request and the typed request back
//! into JSON. If any part of the pool would not reach Cognito, nothing is sent and the error
//! names it ([`AttachError::NotCarried`]).

use std::collections::BTreeMap;

use aws_sdk_cognitoidentityprovider::operation::get_user_pool_mfa_config::GetUserPoolMfaConfigOutput;
use aws_sdk_cognitoidentityprovider::operation::update_user_pool::UpdateUserPoolInput;
use aws_sdk_cognitoidentityprovider::operation::update_user_pool::builders::UpdateUserPoolInputBuilder;
use aws_smithy_json::codec::{JsonCodec, JsonCodecSettings};
use aws_smithy_schema::codec::Codec;
use aws_smithy_schema::serde::ShapeSerializer;
use aws_smithy_types::date_time::Format;
use serde_json::{Map, Value};
use sms_otp_core::config::Trigger;

use crate::AttachError;

/// The members of `DescribeUserPool`'s `UserPool` that are not sent back. The first twelve are
/// the top-level fields AWS's procedure for updating a pool says to remove before the rest goes
/// to `UpdateUserPool` ("Updating user pool and app client configuration", section "Updating a
/// user pool with the Amazon Cognito API or AWS CLI",
/// <https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pool-updating.html>);
/// `Name` among them, so the pool's name is never sent (`PoolName`). The last three are the
/// settings the same page lists as fixed when the pool was created ("Settings you can't
/// change": the sign-in options and case sensitivity), which `UpdateUserPool` does not take.
pub const READ_ONLY: [&str; 15] = [
    "Arn",
    "CreationDate",
    "CustomDomain",
    "Domain",
    "EmailConfigurationFailure",
    "EstimatedNumberOfUsers",
    "Id",
    "LastModifiedDate",
    "Name",
    "SchemaAttributes",
    "SmsConfigurationFailure",
    "Status",
    "AliasAttributes",
    "UsernameAttributes",
    "UsernameConfiguration",
];

/// Members nested in a sent setting that are not sent back: the legacy
/// `AdminCreateUserConfig.UnusedAccountValidityDays`, which `DescribeUserPool` mirrors from
/// `Policies.PasswordPolicy.TemporaryPasswordValidityDays` and which Cognito refuses once that is
/// set (API reference, `AdminCreateUserConfigType`).
pub const READ_ONLY_NESTED: [(&str, &str); 1] = [("AdminCreateUserConfig", "UnusedAccountValidityDays")];

/// The settings that live behind `SetUserPoolMfaConfig` (SMS, software-token and email MFA,
/// WebAuthn): the members of `GetUserPoolMfaConfig`'s answer that `UpdateUserPool` does not take
/// (its `MfaConfiguration` it does, and gets back). Cognito's `DescribeUserPool` does not show
/// them, the local emulator's does; `UpdateUserPool` neither takes nor resets them, so they are
/// left out of the request, not refused as unknown.
pub fn behind_other_calls() -> Vec<&'static str> {
    let parameters: Vec<&str> = UpdateUserPoolInput::SCHEMA.members().iter().filter_map(|m| m.member_name()).collect();
    GetUserPoolMfaConfigOutput::SCHEMA
        .members()
        .iter()
        .filter_map(|m| m.member_name())
        .filter(|m| !parameters.contains(m))
        .collect()
}

/// The pool's trigger functions, in `DescribeUserPool` and `UpdateUserPool`.
pub const LAMBDA_CONFIG: &str = "LambdaConfig";

/// What the pool's trigger slots hold: a function ARN by slot ([`Trigger::pool_slot`]); an empty
/// slot is absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Slots(BTreeMap<String, String>);

impl Slots {
    pub fn get(&self, trigger: Trigger) -> Option<&str> {
        self.0.get(trigger.pool_slot()).map(String::as_str)
    }

    /// Sets the slot to `arn`, or empties it.
    pub fn set(&mut self, trigger: Trigger, arn: Option<String>) {
        match arn.filter(|a| !a.is_empty()) {
            Some(arn) => self.0.insert(trigger.pool_slot().to_owned(), arn),
            None => self.0.remove(trigger.pool_slot()),
        };
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The filled slots.
    pub fn iter(&self) -> impl Iterator<Item = (Trigger, &str)> {
        Trigger::ALL.into_iter().filter_map(|t| self.get(t).map(|arn| (t, arn)))
    }
}

/// A user pool, as `DescribeUserPool` answered for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Pool {
    pub id: String,
    json: Map<String, Value>,
}

impl Pool {
    /// Reads `DescribeUserPool`'s answer (`{"UserPool": {...}}`) as Cognito sent it.
    pub fn from_describe(answer: &[u8]) -> Result<Self, AttachError> {
        let bad = |why: &str| AttachError::BadDescribe(why.to_owned());
        let mut answer: Map<String, Value> =
            serde_json::from_slice(answer).map_err(|e| bad(&format!("not a JSON object: {e}")))?;
        let Some(Value::Object(json)) = answer.remove("UserPool") else {
            return Err(bad("no UserPool object"));
        };
        let id = json.get("Id").and_then(Value::as_str).ok_or_else(|| bad("the pool has no Id"))?.to_owned();
        Ok(Self { id, json })
    }

    /// A member of the pool's description.
    pub fn get(&self, member: &str) -> Option<&Value> {
        self.json.get(member)
    }

    /// The strings of a list member (`AliasAttributes`, ...); none when absent.
    pub fn strings(&self, member: &str) -> Vec<&str> {
        self.get(member)
            .and_then(Value::as_array)
            .map_or_else(Vec::new, |a| a.iter().filter_map(Value::as_str).collect())
    }

    /// What the four slots hold.
    pub fn slots(&self) -> Slots {
        let mut slots = Slots::default();
        let config = self.get(LAMBDA_CONFIG);
        for trigger in Trigger::ALL {
            let arn = config.and_then(|c| c.get(trigger.pool_slot())).and_then(Value::as_str);
            slots.set(trigger, arn.map(str::to_owned));
        }
        slots
    }

    /// The `UpdateUserPool` that gives the pool's four slots what `slots` holds and carries
    /// every other setting of the pool unchanged; refused when some part of the pool would not
    /// make it into the request.
    pub fn update_to(&self, slots: &Slots) -> Result<UpdateUserPoolInputBuilder, AttachError> {
        let request = self.request_json(slots);
        let input = decode(&request)?;
        let builder = builder_of(input);
        let sent = encode(&builder.clone().build().map_err(|e| AttachError::NotCarried(e.to_string()))?)?;
        match first_difference(&Value::Object(request), Some(&sent), "") {
            None => Ok(builder),
            Some(path) => Err(AttachError::NotCarried(path)),
        }
    }

    /// The request as JSON: the pool's description without what is not sent back, empty values
    /// left out, the slots set.
    fn request_json(&self, slots: &Slots) -> Map<String, Value> {
        let mut request = Map::new();
        request.insert("UserPoolId".to_owned(), Value::String(self.id.clone()));
        let elsewhere = behind_other_calls();
        for (member, value) in &self.json {
            if READ_ONLY.contains(&member.as_str()) || elsewhere.contains(&member.as_str()) {
                continue;
            }
            let mut value = value.clone();
            if member == LAMBDA_CONFIG
                && let Value::Object(config) = &mut value
            {
                for trigger in Trigger::ALL {
                    match slots.get(trigger) {
                        Some(arn) => config.insert(trigger.pool_slot().to_owned(), Value::String(arn.to_owned())),
                        None => config.remove(trigger.pool_slot()),
                    };
                }
            }
            if let Some((_, nested)) = READ_ONLY_NESTED.iter().find(|(parent, _)| parent == member)
                && let Value::Object(object) = &mut value
            {
                object.remove(*nested);
            }
            match meaningful(value) {
                Some(value) => request.insert(member.clone(), value),
                // Sent even when no trigger is left: "no triggers" then reaches a service that
                // keeps what it is not sent (the local emulator) as it reaches Cognito.
                None if member == LAMBDA_CONFIG => request.insert(member.clone(), Value::Object(Map::new())),
                None => None,
            };
        }
        if !request.contains_key(LAMBDA_CONFIG) && !slots.is_empty() {
            let config = slots.iter().map(|(t, arn)| (t.pool_slot().to_owned(), Value::String(arn.to_owned())));
            request.insert(LAMBDA_CONFIG.to_owned(), Value::Object(config.collect()));
        }
        request
    }
}

/// `value` without the members that carry no setting: `null`, an empty string and an empty
/// object (`{}`: every member at its default, the same as not sending it; a required member
/// missing, as the emulator's `"SmsConfiguration": {}`, cannot be sent at all). `None` when
/// nothing is left.
fn meaningful(value: Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::Object(object) => {
            let kept: Map<String, Value> = object.into_iter().filter_map(|(k, v)| Some((k, meaningful(v)?))).collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        Value::Array(items) => {
            Some(Value::Array(items.into_iter().map(|v| meaningful(v).unwrap_or(Value::Null)).collect()))
        }
        other => Some(other),
    }
}

/// The JSON codec as the SDK's awsJson1_1 protocol sets it up (member names, epoch-second
/// timestamps: `aws_smithy_json::protocol::aws_json_rpc`).
fn codec() -> JsonCodec {
    JsonCodec::new(
        JsonCodecSettings::builder().use_json_name(false).default_timestamp_format(Format::EpochSeconds).build(),
    )
}

/// The typed request the SDK reads from `request`: members it does not model are dropped here.
fn decode(request: &Map<String, Value>) -> Result<UpdateUserPoolInput, AttachError> {
    let bytes = serde_json::to_vec(request).map_err(|e| AttachError::NotCarried(e.to_string()))?;
    UpdateUserPoolInput::deserialize(&mut codec().create_deserializer(&bytes))
        .map_err(|e| AttachError::NotCarried(format!("the request (the SDK cannot read it: {e})")))
}

/// The request as the SDK writes it, as JSON.
pub fn encode(input: &UpdateUserPoolInput) -> Result<Value, AttachError> {
    let mut serializer = codec().create_serializer();
    serializer
        .write_struct(UpdateUserPoolInput::SCHEMA, input)
        .map_err(|e| AttachError::NotCarried(format!("the request (the SDK cannot write it: {e})")))?;
    serde_json::from_slice(&serializer.finish()).map_err(|e| AttachError::NotCarried(e.to_string()))
}

/// The builder the client sends from, holding `input`. Every member is copied; one a newer SDK
/// adds and this list misses is caught by the comparison in [`Pool::update_to`].
fn builder_of(input: UpdateUserPoolInput) -> UpdateUserPoolInputBuilder {
    let UpdateUserPoolInput {
        user_pool_id,
        policies,
        deletion_protection,
        lambda_config,
        auto_verified_attributes,
        sms_verification_message,
        email_verification_message,
        email_verification_subject,
        verification_message_template,
        sms_authentication_message,
        user_attribute_update_settings,
        mfa_configuration,
        device_configuration,
        email_configuration,
        sms_configuration,
        user_pool_tags,
        admin_create_user_config,
        user_pool_add_ons,
        account_recovery_setting,
        pool_name,
        user_pool_tier,
        key_configuration,
        issuer_configuration,
        acr_configuration,
        ..
    } = input;
    UpdateUserPoolInput::builder()
        .set_user_pool_id(user_pool_id)
        .set_policies(policies)
        .set_deletion_protection(deletion_protection)
        .set_lambda_config(lambda_config)
        .set_auto_verified_attributes(auto_verified_attributes)
        .set_sms_verification_message(sms_verification_message)
        .set_email_verification_message(email_verification_message)
        .set_email_verification_subject(email_verification_subject)
        .set_verification_message_template(verification_message_template)
        .set_sms_authentication_message(sms_authentication_message)
        .set_user_attribute_update_settings(user_attribute_update_settings)
        .set_mfa_configuration(mfa_configuration)
        .set_device_configuration(device_configuration)
        .set_email_configuration(email_configuration)
        .set_sms_configuration(sms_configuration)
        .set_user_pool_tags(user_pool_tags)
        .set_admin_create_user_config(admin_create_user_config)
        .set_user_pool_add_ons(user_pool_add_ons)
        .set_account_recovery_setting(account_recovery_setting)
        .set_pool_name(pool_name)
        .set_user_pool_tier(user_pool_tier)
        .set_key_configuration(key_configuration)
        .set_issuer_configuration(issuer_configuration)
        .set_acr_configuration(acr_configuration)
}

/// Where `sent` differs from `wanted` (a dotted path), if anywhere: a member of `wanted` missing
/// or changed in `sent`, or one `sent` adds that is not the zero value the SDK writes for a
/// member it models as a plain boolean or number (`false`, `0`: the same as not sent).
pub fn first_difference(wanted: &Value, sent: Option<&Value>, path: &str) -> Option<String> {
    let at = |member: &str| if path.is_empty() { member.to_owned() } else { format!("{path}.{member}") };
    match (wanted, sent) {
        (Value::Object(w), Some(Value::Object(s))) => w
            .iter()
            .find_map(|(k, v)| first_difference(v, s.get(k), &at(k)))
            .or_else(|| s.iter().find(|(k, v)| !w.contains_key(*k) && !is_zero(v)).map(|(k, _)| at(k))),
        (Value::Array(w), Some(Value::Array(s))) if w.len() == s.len() => {
            w.iter().zip(s).enumerate().find_map(|(i, (a, b))| first_difference(a, Some(b), &format!("{path}[{i}]")))
        }
        (Value::Number(a), Some(Value::Number(b))) => (a.as_f64() != b.as_f64()).then(|| path.to_owned()),
        (w, Some(s)) if w == s => None,
        _ => Some(path.to_owned()),
    }
}

fn is_zero(value: &Value) -> bool {
    matches!(value, Value::Bool(false)) || value.as_f64() == Some(0.0)
}
