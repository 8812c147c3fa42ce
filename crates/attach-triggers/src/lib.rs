//! The CloudFormation custom resource that attaches the sign-in to a user pool the stack did not
//! create (template parameter `ExistingUserPoolId`).
//!
//! CloudFormation cannot set an existing pool's triggers, and `UpdateUserPool` resets every
//! setting it is not sent. So this function reads the pool, checks that sign-in by SMS can work
//! there and that the slots it would write are free ([`checks`]), writes the trigger slots with
//! an `UpdateUserPool` that carries every other setting unchanged ([`pool`]), and on delete puts
//! back what the slots held before, in the slots that still hold this stack's functions
//! ([`resource`]). Nothing it refuses is half done: every refusal comes before the one write.
//!
//! - [`pool`]: the pool as `DescribeUserPool` describes it (raw JSON) and the `UpdateUserPool`
//!   that changes the slots only.
//! - [`checks`]: the decisions, pure.
//! - [`cognito`]: the calls to Cognito and CloudFormation.
//! - [`resource`]: Create, Update and Delete, and the record the delete reads.
//! - [`response`]: the answer to CloudFormation.

pub mod checks;
pub mod cognito;
pub mod pool;
pub mod resource;
pub mod response;

use std::fmt::Write as _;

/// Why the resource refused, or failed. CloudFormation shows the message as the resource's
/// status reason, so each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error("the resource's properties are not valid: {0}")]
    BadProperties(String),
    #[error("user pool {0} does not exist in this account and region (ExistingUserPoolId)")]
    PoolNotFound(String),
    #[error("DescribeUserPool's answer cannot be read: {0}")]
    BadDescribe(String),
    #[error(
        "the pool's setting `{0}` cannot be carried over to UpdateUserPool by this version (a setting newer than its AWS SDK, or one the SDK cannot send back); writing the pool without it would reset it, so nothing was changed. Deploy a newer release of this stack."
    )]
    NotCarried(String),
    #[error("{}", taken(.0))]
    SlotsTaken(Vec<(String, String)>),
    #[error(
        "the pool sends SMS through the IAM role {0}; writing the pool passes that role back to Cognito, which needs iam:PassRole on it: deploy with ExistingPoolSmsRoleArn={0}"
    )]
    SmsRole(String),
    #[error("sign-in by SMS cannot work in this pool: {0}")]
    CannotSignIn(String),
    #[error("pre-sign-up is not attached to this pool (ExistingPoolPreSignUp=true): {0}")]
    PreSignUpUnsafe(String),
    #[error(
        "this stack created its own user pool ({0}); switching it to ExistingUserPoolId would delete that pool and all its users, so the update was refused. Deploy a new stack for the existing pool instead (docs/existing-pool.md, Switching modes)"
    )]
    OwnPool(String),
    #[error("{call} failed: {code}: {message}")]
    Aws { call: &'static str, code: String, message: String },
    #[error(
        "another change to the pool kept interrupting UpdateUserPool (ConcurrentModificationException {0} times); nothing was changed, deploy again"
    )]
    StillConcurrent(u32),
    #[error(
        "what the slots held before is too long to keep for the stack's delete ({0} bytes in a physical resource id of at most 1024); free the slots instead of replacing them"
    )]
    RecordTooLong(usize),
    #[error("no answer within {0} seconds; nothing was changed unless the pool shows this stack's functions")]
    Timeout(u64),
}

fn taken(slots: &[(String, String)]) -> String {
    let mut out = String::from("trigger slots of the pool already hold other functions:");
    for (slot, arn) in slots {
        let _ = write!(out, " {slot} holds {arn};");
    }
    out.push_str(
        " nothing was changed. Free these slots, or deploy with ExistingPoolReplaceTriggers=true to replace them (those functions are then no longer called; the stack's delete puts them back)",
    );
    out
}
