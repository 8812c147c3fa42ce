//! Create, Update and Delete of the custom resource, and the record the delete reads.
//!
//! What the slots held before the stack attached is kept in the resource's physical id
//! ([`Record`]): CloudFormation hands it back with every Update and Delete, and it needs no other
//! store (or permission). It is taken once, when the stack first attaches to a pool, for all four
//! slots; an update on the same pool keeps it (and so the same physical id: a new one would make
//! CloudFormation delete the old, detaching the stack). An update to another pool
//! (`ExistingUserPoolId` changed) attaches there under a new record, and CloudFormation's delete
//! of the old one then detaches from the old pool.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::Value;
use sms_otp_core::config::Trigger;

use crate::AttachError;
use crate::checks;
use crate::cognito::{Clients, Written};
use crate::pool::Slots;

/// Attempts at reading and writing the pool when Cognito answers that another change is under
/// way (`ConcurrentModificationException`), with [`BACKOFF`] doubling between them.
pub const ATTEMPTS: u32 = 4;
pub const BACKOFF: Duration = Duration::from_millis(500);

/// The stack's own pool, in new-pool mode (`template.yaml`): a stack that has it must not switch
/// to an existing pool, which would delete it. The CDK construct (`cdk/`) names its own in the
/// `OwnPool` property: its logical ids are its own.
pub const OWN_POOL: &str = "UserPool";

/// What the stack asks for (the custom resource's properties in `template.yaml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub pool_id: String,
    /// The stack's own app client in the pool (the pre-sign-up check leaves it out).
    pub client_id: String,
    /// The stack's functions by slot; pre-sign-up only when asked for.
    pub functions: Slots,
    /// Whether slots holding other functions are replaced (`ExistingPoolReplaceTriggers`).
    pub replace: bool,
    /// The pool's SMS role, which the stack may pass back (`ExistingPoolSmsRoleArn`).
    pub sms_role: Option<String>,
    /// The logical id the stack's own pool would have: [`OWN_POOL`] unless `OwnPool` says.
    pub own_pool: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Properties {
    user_pool_id: String,
    #[serde(default)]
    client_id: String,
    triggers: BTreeMap<String, String>,
    #[serde(default)]
    replace_triggers: String,
    #[serde(default)]
    sms_role_arn: String,
    #[serde(default)]
    own_pool: String,
}

impl Attachment {
    /// Reads the resource's properties (CloudFormation hands every value over as a string).
    pub fn from_properties(properties: &Value) -> Result<Self, AttachError> {
        let bad = AttachError::BadProperties;
        let p: Properties = serde_json::from_value(properties.clone()).map_err(|e| bad(e.to_string()))?;
        // Cognito's pool ids: the region, an underscore, letters and digits.
        let pool_ok = p.user_pool_id.split_once('_').is_some_and(|(region, id)| {
            !region.is_empty()
                && region.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        if !pool_ok {
            return Err(bad(format!(
                "UserPoolId {:?} is not a user pool id such as us-east-1_AbCdEf123",
                p.user_pool_id
            )));
        }
        let mut functions = Slots::default();
        for (slot, arn) in &p.triggers {
            let trigger = Trigger::ALL
                .into_iter()
                .find(|t| t.pool_slot() == slot)
                .ok_or_else(|| bad(format!("Triggers has {slot}, which is not a slot this stack fills")))?;
            if !arn.is_empty() && !arn.starts_with("arn:") {
                return Err(bad(format!("Triggers.{slot} is not an ARN: {arn:?}")));
            }
            functions.set(trigger, Some(arn.clone()));
        }
        for trigger in [Trigger::DefineAuthChallenge, Trigger::CreateAuthChallenge, Trigger::VerifyAuthChallenge] {
            if functions.get(trigger).is_none() {
                return Err(bad(format!("Triggers.{} is missing", trigger.pool_slot())));
            }
        }
        let replace = match p.replace_triggers.as_str() {
            "true" => true,
            "false" | "" => false,
            other => return Err(bad(format!("ReplaceTriggers must be true or false, not {other:?}"))),
        };
        let sms_role = Some(p.sms_role_arn).filter(|r| !r.is_empty());
        // CloudFormation's logical ids: letters and digits, at most 255.
        let own_pool = if p.own_pool.is_empty() { OWN_POOL.to_owned() } else { p.own_pool };
        if own_pool.len() > 255 || !own_pool.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(bad(format!("OwnPool {own_pool:?} is not a logical id (letters and digits)")));
        }
        Ok(Self { pool_id: p.user_pool_id, client_id: p.client_id, functions, replace, sms_role, own_pool })
    }

    fn arns(&self) -> impl Iterator<Item = String> + '_ {
        self.functions.iter().map(|(_, arn)| arn.to_owned())
    }
}

/// What the delete needs: the pool, and what its slots held before the stack attached. Kept as
/// the resource's physical id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub pool_id: String,
    pub prior: Slots,
}

const RECORD: &str = "attach-triggers.v1";
/// CloudFormation's limit on a physical resource id.
pub const MAX_ID: usize = 1024;

impl Record {
    /// `attach-triggers.v1.<pool id>.<the prior slots as base64url JSON>`.
    pub fn id(&self) -> Result<String, AttachError> {
        let prior = serde_json::to_vec(&self.prior).map_err(|e| AttachError::BadProperties(e.to_string()))?;
        let id = format!("{RECORD}.{}.{}", self.pool_id, URL_SAFE_NO_PAD.encode(prior));
        if id.len() > MAX_ID { Err(AttachError::RecordTooLong(id.len())) } else { Ok(id) }
    }

    /// The record in a physical id; `None` for any other id (a Create that failed before it
    /// attached anything leaves one).
    pub fn parse(id: &str) -> Option<Self> {
        let rest = id.strip_prefix(RECORD)?.strip_prefix('.')?;
        let (pool_id, prior) = rest.rsplit_once('.')?;
        let prior = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(prior).ok()?).ok()?;
        Some(Self { pool_id: pool_id.to_owned(), prior })
    }
}

/// What a request came to: the physical id, and the resource's attributes (`Notes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub physical_id: String,
    pub data: HashMap<String, String>,
}

/// The attribute with what works differently in this pool ([`checks::sign_in_notes`]).
pub const NOTES: &str = "Notes";

/// Create: refused in a stack that has its own pool (a switch of mode), else attach.
pub async fn create(clients: &Clients, stack_id: &str, properties: &Value) -> Result<Outcome, AttachError> {
    let wanted = Attachment::from_properties(properties)?;
    if let Some(own) = clients.stack_resource(stack_id, &wanted.own_pool).await? {
        return Err(AttachError::OwnPool(own));
    }
    attach(clients, &wanted, None, &wanted.arns().collect::<Vec<_>>()).await
}

/// Update: attach again (every stack update re-applies the slots), keeping the record on the
/// same pool; the functions of the old properties count as the stack's too.
pub async fn update(
    clients: &Clients,
    physical_id: &str,
    properties: &Value,
    old_properties: &Value,
) -> Result<Outcome, AttachError> {
    let wanted = Attachment::from_properties(properties)?;
    let mut ours: Vec<String> = wanted.arns().collect();
    if let Ok(old) = Attachment::from_properties(old_properties) {
        ours.extend(old.arns());
    }
    let prior = Record::parse(physical_id).filter(|r| r.pool_id == wanted.pool_id).map(|r| r.prior);
    attach(clients, &wanted, prior, &ours).await
}

/// Delete: the slots that still hold this stack's functions get back what they held before.
/// A pool that is gone, or a record that is not one (a Create that failed), is nothing to undo.
pub async fn delete(clients: &Clients, physical_id: &str, properties: &Value) -> Result<Outcome, AttachError> {
    let done = Outcome { physical_id: physical_id.to_owned(), data: HashMap::new() };
    let Some(record) = Record::parse(physical_id) else { return Ok(done) };
    let ours: Vec<String> = match Attachment::from_properties(properties) {
        Ok(attachment) => attachment.arns().collect(),
        Err(_) => lenient_arns(properties),
    };
    for attempt in 0..ATTEMPTS {
        let Some(pool) = clients.describe(&record.pool_id).await? else {
            tracing::info!(pool = %record.pool_id, "the pool is gone: nothing to detach");
            return Ok(done);
        };
        let current = pool.slots();
        let slots = checks::detached(&current, &ours, &record.prior);
        if slots == current {
            return Ok(done);
        }
        sms_role_for_delete(&pool, properties)?;
        match clients.update(pool.update_to(&slots)?).await? {
            Written::Done => {
                tracing::info!(pool = %record.pool_id, ?slots, "detached");
                return Ok(done);
            }
            Written::Concurrent => wait(attempt).await,
        }
    }
    Err(AttachError::StillConcurrent(ATTEMPTS))
}

/// The function ARNs in properties that do not read as an [`Attachment`] any more.
fn lenient_arns(properties: &Value) -> Vec<String> {
    let triggers = properties.get("Triggers").and_then(Value::as_object);
    triggers
        .into_iter()
        .flatten()
        .filter_map(|(_, v)| v.as_str())
        .filter(|a| a.starts_with("arn:"))
        .map(str::to_owned)
        .collect()
}

fn sms_role_for_delete(pool: &crate::pool::Pool, properties: &Value) -> Result<(), AttachError> {
    let given = properties.get("SmsRoleArn").and_then(Value::as_str).filter(|r| !r.is_empty());
    checks::sms_role(pool, given)
}

/// Reads the pool, checks it, and writes the slots (when they need it), again from the read
/// while another change to the pool is under way.
async fn attach(
    clients: &Clients,
    wanted: &Attachment,
    prior: Option<Slots>,
    ours: &[String],
) -> Result<Outcome, AttachError> {
    for attempt in 0..ATTEMPTS {
        let pool = clients
            .describe(&wanted.pool_id)
            .await?
            .ok_or_else(|| AttachError::PoolNotFound(wanted.pool_id.clone()))?;
        let notes = checks::sign_in_notes(&pool)?;
        checks::sms_role(&pool, wanted.sms_role.as_deref())?;
        if wanted.functions.get(Trigger::PreSignUp).is_some() {
            checks::pre_sign_up_safe(&pool, &clients.app_clients(&wanted.pool_id).await?, &wanted.client_id)?;
        }
        let current = pool.slots();
        let record = Record {
            pool_id: wanted.pool_id.clone(),
            prior: prior.clone().unwrap_or_else(|| checks::before(&current, ours)),
        };
        let physical_id = record.id()?;
        let slots = checks::attached(&current, &wanted.functions, ours, &record.prior, wanted.replace)?;
        if slots != current {
            if clients.update(pool.update_to(&slots)?).await? == Written::Concurrent {
                wait(attempt).await;
                continue;
            }
            tracing::info!(pool = %wanted.pool_id, ?slots, "attached");
        } else {
            tracing::info!(pool = %wanted.pool_id, "the slots already hold this stack's functions");
        }
        for note in &notes {
            tracing::warn!(pool = %wanted.pool_id, note, "existing pool");
        }
        let data =
            HashMap::from([(NOTES.to_owned(), if notes.is_empty() { "none".to_owned() } else { notes.join("; ") })]);
        return Ok(Outcome { physical_id, data });
    }
    Err(AttachError::StillConcurrent(ATTEMPTS))
}

/// The pause before the next attempt (none after the last).
async fn wait(attempt: u32) {
    tracing::warn!(attempt, "another change to the pool is under way");
    if attempt + 1 < ATTEMPTS {
        tokio::time::sleep(BACKOFF * 2u32.pow(attempt)).await;
    }
}
