//! The calls: Cognito's `DescribeUserPool` (read as the raw answer, [`crate::pool`]),
//! `UpdateUserPool`, `ListUserPoolClients` and `DescribeUserPoolClient`, and CloudFormation's
//! `DescribeStackResource`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_cognitoidentityprovider::config::interceptors::AfterDeserializationInterceptorContextRef;
use aws_sdk_cognitoidentityprovider::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_cognitoidentityprovider::error::{BoxError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::operation::update_user_pool::builders::UpdateUserPoolInputBuilder;
use sms_otp_core::aws::service_config;

use crate::AttachError;
use crate::checks::AppClient;
use crate::pool::Pool;

/// Each call's deadline and attempts (throttling and 5xx retried by the SDK); the whole
/// invocation answers CloudFormation well inside the function's timeout (`template.yaml`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const CALL_DEADLINE: Duration = Duration::from_secs(5);
const ATTEMPTS: u32 = 3;

/// Cognito's error when another change to the pool is under way.
pub const CONCURRENT_MODIFICATION: &str = "ConcurrentModificationException";
const NOT_FOUND: &str = "ResourceNotFoundException";

/// The clients the custom resource calls through.
#[derive(Debug, Clone)]
pub struct Clients {
    pub cognito: aws_sdk_cognitoidentityprovider::Client,
    pub cloudformation: aws_sdk_cloudformation::Client,
}

/// What an `UpdateUserPool` came to, when Cognito answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Done,
    /// Another change to the pool was under way (`ConcurrentModificationException`): nothing
    /// was written; read the pool again before trying again.
    Concurrent,
}

impl Clients {
    /// The clients of the function: its own credentials and region, the endpoint of
    /// `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER` / `_CLOUDFORMATION` or `AWS_ENDPOINT_URL`.
    pub fn from_environment() -> Self {
        let cognito = service_config("COGNITO_IDENTITY_PROVIDER", CONNECT_TIMEOUT, CALL_DEADLINE, ATTEMPTS);
        let cloudformation = service_config("CLOUDFORMATION", CONNECT_TIMEOUT, CALL_DEADLINE, ATTEMPTS);
        Self {
            cognito: aws_sdk_cognitoidentityprovider::Client::new(&cognito),
            cloudformation: aws_sdk_cloudformation::Client::new(&cloudformation),
        }
    }

    /// The pool as `DescribeUserPool` describes it, every member kept; `None` if there is no
    /// such pool.
    pub async fn describe(&self, pool_id: &str) -> Result<Option<Pool>, AttachError> {
        let answer = RawAnswer::default();
        let result = self
            .cognito
            .describe_user_pool()
            .user_pool_id(pool_id)
            .customize()
            .interceptor(answer.clone())
            .send()
            .await;
        match result {
            Ok(_) => {
                Pool::from_describe(&answer.take().ok_or_else(|| AttachError::BadDescribe("no body".into()))?).map(Some)
            }
            Err(e) if e.code() == Some(NOT_FOUND) => Ok(None),
            Err(e) => Err(failed("DescribeUserPool", &e)),
        }
    }

    pub async fn update(&self, request: UpdateUserPoolInputBuilder) -> Result<Written, AttachError> {
        match request.send_with(&self.cognito).await {
            Ok(_) => Ok(Written::Done),
            Err(e) if e.code() == Some(CONCURRENT_MODIFICATION) => Ok(Written::Concurrent),
            Err(e) => Err(failed("UpdateUserPool", &e)),
        }
    }

    /// Every app client of the pool with its sign-in flows.
    pub async fn app_clients(&self, pool_id: &str) -> Result<Vec<AppClient>, AttachError> {
        let mut clients = Vec::new();
        let mut pages =
            self.cognito.list_user_pool_clients().user_pool_id(pool_id).max_results(60).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| failed("ListUserPoolClients", &e))?;
            for listed in page.user_pool_clients() {
                let Some(id) = listed.client_id() else { continue };
                let described = self
                    .cognito
                    .describe_user_pool_client()
                    .user_pool_id(pool_id)
                    .client_id(id)
                    .send()
                    .await
                    .map_err(|e| failed("DescribeUserPoolClient", &e))?;
                let client = described.user_pool_client();
                clients.push(AppClient {
                    id: id.to_owned(),
                    name: listed.client_name().unwrap_or_default().to_owned(),
                    flows: client
                        .map(|c| c.explicit_auth_flows().iter().map(|f| f.as_str().to_owned()).collect())
                        .unwrap_or_default(),
                });
            }
        }
        Ok(clients)
    }

    /// The physical id of the stack's resource `logical_id`, if the stack has it.
    pub async fn stack_resource(&self, stack_id: &str, logical_id: &str) -> Result<Option<String>, AttachError> {
        let result = self
            .cloudformation
            .describe_stack_resource()
            .stack_name(stack_id)
            .logical_resource_id(logical_id)
            .send()
            .await;
        match result {
            Ok(out) => Ok(out
                .stack_resource_detail()
                .filter(|r| r.resource_status().is_none_or(|s| s.as_str() != "DELETE_COMPLETE"))
                .and_then(|r| r.physical_resource_id())
                .filter(|id| !id.is_empty())
                .map(str::to_owned)),
            // The one answer for a stack without that resource.
            Err(e)
                if e.code() == Some("ValidationError") && e.message().is_some_and(|m| m.contains("does not exist")) =>
            {
                Ok(None)
            }
            Err(e) => Err(failed("DescribeStackResource", &e)),
        }
    }
}

fn failed<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    call: &'static str,
    error: &SdkError<E, R>,
) -> AttachError {
    match error.code() {
        Some(code) => {
            AttachError::Aws { call, code: code.to_owned(), message: error.message().unwrap_or_default().to_owned() }
        }
        None => AttachError::Aws { call, code: "NoAnswer".to_owned(), message: DisplayErrorContext(error).to_string() },
    }
}

/// Keeps the body of the answer as it came, before the SDK reads it into its types (and drops
/// what they do not model). Added to one call at a time.
#[derive(Debug, Clone, Default)]
struct RawAnswer(Arc<Mutex<Option<Vec<u8>>>>);

impl RawAnswer {
    fn take(&self) -> Option<Vec<u8>> {
        self.0.lock().ok()?.take()
    }
}

impl Intercept for RawAnswer {
    fn name(&self) -> &'static str {
        "RawAnswer"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // The orchestrator has read the whole body into memory by now.
        if let (Some(bytes), Ok(mut slot)) = (context.response().body().bytes(), self.0.lock()) {
            *slot = Some(bytes.to_vec());
        }
        Ok(())
    }
}
