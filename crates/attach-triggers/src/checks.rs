//! The decisions, pure: what the slots hold after attaching and after detaching, and what the
//! pool must be (or be told) before the slots are written.

use serde_json::Value;
use sms_otp_core::config::Trigger;

use crate::AttachError;
use crate::pool::{Pool, Slots};

/// The attribute the triggers send codes to and accept answers for.
const PHONE_NUMBER: &str = "phone_number";
/// The user's id, required in every pool and set by Cognito itself.
const SUB: &str = "sub";

/// What the slots hold when this stack is attached: each of `functions` in its slot. A slot that
/// holds another function is refused ([`AttachError::SlotsTaken`], every such slot named) unless
/// `replace`. A slot this stack no longer attaches (pre-sign-up turned off) that still holds one
/// of `ours` gets back what it held before (`prior`).
pub fn attached(
    current: &Slots,
    functions: &Slots,
    ours: &[String],
    prior: &Slots,
    replace: bool,
) -> Result<Slots, AttachError> {
    let is_ours = |arn: &str| ours.iter().any(|o| o == arn);
    let mut taken = Vec::new();
    let mut slots = current.clone();
    for trigger in Trigger::ALL {
        match (functions.get(trigger), current.get(trigger)) {
            (Some(_), Some(there)) if !is_ours(there) && !replace => {
                taken.push((trigger.pool_slot().to_owned(), there.to_owned()));
            }
            (Some(function), _) => slots.set(trigger, Some(function.to_owned())),
            (None, Some(there)) if is_ours(there) => slots.set(trigger, prior.get(trigger).map(str::to_owned)),
            (None, _) => {}
        }
    }
    if taken.is_empty() { Ok(slots) } else { Err(AttachError::SlotsTaken(taken)) }
}

/// What the slots hold once this stack is gone: each slot that holds one of `ours` gets back
/// what it held before (`prior`); a slot someone has changed since is left as it is.
pub fn detached(current: &Slots, ours: &[String], prior: &Slots) -> Slots {
    let mut slots = current.clone();
    for (trigger, there) in current.iter() {
        if ours.iter().any(|o| o == there) {
            slots.set(trigger, prior.get(trigger).map(str::to_owned));
        }
    }
    slots
}

/// What the slots held before this stack first attached to the pool, to put back on delete:
/// the current slots, without any of `ours` (left by an earlier attempt).
pub fn before(current: &Slots, ours: &[String]) -> Slots {
    let mut prior = current.clone();
    for (trigger, there) in current.iter() {
        if ours.iter().any(|o| o == there) {
            prior.set(trigger, None);
        }
    }
    prior
}

/// Refuses a pool where no user could sign in by SMS; otherwise says what works differently
/// there than in the stack's own pool (for the stack's `ExistingPoolNotes` output and its log).
pub fn sign_in_notes(pool: &Pool) -> Result<Vec<String>, AttachError> {
    let schema = pool.get("SchemaAttributes").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let name = |a: &Value| a.get("Name").and_then(Value::as_str).unwrap_or_default().to_owned();
    if !schema.is_empty() && !schema.iter().any(|a| name(a) == PHONE_NUMBER) {
        return Err(AttachError::CannotSignIn(format!("it has no {PHONE_NUMBER} attribute to send the codes to")));
    }
    let mut notes = Vec::new();
    let required: Vec<String> = schema
        .iter()
        .filter(|a| a.get("Required") == Some(&Value::Bool(true)))
        .map(name)
        .filter(|n| n != PHONE_NUMBER && n != SUB)
        .collect();
    if !required.is_empty() {
        notes.push(format!(
            "sign-up through this stack's app client must provide the required attributes {} (the sign-in page sends none); existing users sign in",
            required.join(", ")
        ));
    }
    let by_phone = pool.strings("UsernameAttributes").contains(&PHONE_NUMBER)
        || pool.strings("AliasAttributes").contains(&PHONE_NUMBER);
    if !by_phone {
        notes.push(format!(
            "users sign in with their user name (or email alias), not their phone number: the sign-in page, which asks for a number, cannot address them (docs/existing-pool.md, Users); the code goes to their verified {PHONE_NUMBER}"
        ));
    }
    if pool.get("MfaConfiguration").and_then(Value::as_str) == Some("ON") {
        notes.push("MFA is required in this pool: after the SMS code Cognito asks for each user's MFA too, which the sign-in page does not handle".to_owned());
    }
    if pool.get("AdminCreateUserConfig").and_then(|c| c.get("AllowAdminCreateUserOnly")) == Some(&Value::Bool(true)) {
        notes.push(
            "only administrators create users in this pool: sign-up through the page is refused by Cognito".to_owned(),
        );
    }
    if pool.get("IssuerConfiguration").and_then(|c| c.get("Type")).and_then(Value::as_str) == Some("UPDATED") {
        notes.push("this pool issues tokens from its updated issuer (issuer-cognito-idp...); the stack's TokenIssuerUrl and JwksUrl outputs show the original one".to_owned());
    }
    Ok(notes)
}

/// Writing the pool sends its SMS settings back, including the IAM roles Cognito sends SMS
/// through (SNS's `SnsCallerArn`, End User Messaging's `EumsSms.CallerArn`); passing a role to a
/// service needs `iam:PassRole` on it (IAM User Guide, "Grant a user permissions to pass a role
/// to an AWS service"), which the stack grants only for the role it is told of
/// (`ExistingPoolSmsRoleArn`). Refused up front when the pool's role is another, rather than
/// failing with an access error.
pub fn sms_role(pool: &Pool, given: Option<&str>) -> Result<(), AttachError> {
    let sms = pool.get("SmsConfiguration");
    let roles =
        [sms.and_then(|c| c.get("SnsCallerArn")), sms.and_then(|c| c.get("EumsSms")).and_then(|e| e.get("CallerArn"))];
    match roles.into_iter().flatten().filter_map(Value::as_str).find(|r| !r.is_empty() && given != Some(*r)) {
        Some(role) => Err(AttachError::SmsRole(role.to_owned())),
        None => Ok(()),
    }
}

/// An app client of the pool and its sign-in flows, as `DescribeUserPoolClient` gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppClient {
    pub id: String,
    pub name: String,
    pub flows: Vec<String>,
}

/// The flows that sign in with a password; a client with no flows listed gets Cognito's
/// default, which includes SRP (the `ExplicitAuthFlows` of `CreateUserPoolClient`).
const PASSWORD_FLOWS: [&str; 5] = [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "USER_PASSWORD_AUTH",
    "ADMIN_NO_SRP_AUTH",
];
/// Choice-based sign-in, which allows a password when the pool's first factors include it (as
/// they do by default).
const USER_AUTH: &str = "ALLOW_USER_AUTH";

/// Refuses pre-sign-up where auto-confirming a self sign-up would be unsafe: with the phone
/// number as an alias, Cognito moves the alias to the newest user whose number is verified, so a
/// sign-up would take an existing user's number; and where any client (but this stack's,
/// `ours`) signs in with a password, the password given at sign-up would work for a number
/// nobody proved.
pub fn pre_sign_up_safe(pool: &Pool, clients: &[AppClient], ours: &str) -> Result<(), AttachError> {
    if pool.strings("AliasAttributes").contains(&PHONE_NUMBER) {
        return Err(AttachError::PreSignUpUnsafe(format!(
            "the pool has {PHONE_NUMBER} as an alias, and Cognito moves an alias to the newest user who verifies it: a sign-up would take an existing user's number"
        )));
    }
    let first_factors =
        pool.get("Policies").and_then(|p| p.get("SignInPolicy")).and_then(|s| s.get("AllowedFirstAuthFactors"));
    let password_first = first_factors.and_then(Value::as_array).is_none_or(|f| f.iter().any(|v| v == "PASSWORD"));
    let with_password: Vec<String> = clients
        .iter()
        .filter(|c| c.id != ours)
        .filter(|c| {
            c.flows.is_empty()
                || c.flows.iter().any(|f| PASSWORD_FLOWS.contains(&f.as_str()) || (f == USER_AUTH && password_first))
        })
        .map(|c| format!("{} ({})", c.name, c.id))
        .collect();
    if with_password.is_empty() {
        return Ok(());
    }
    Err(AttachError::PreSignUpUnsafe(format!(
        "app clients sign in with a password ({}): a password chosen at a sign-up confirmed without proof of the number would work there",
        with_password.join(", ")
    )))
}
