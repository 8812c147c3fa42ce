//! The answer to CloudFormation: a JSON document PUT to the presigned URL of the request
//! (`ResponseURL`), with no content type, as CloudFormation's custom resource protocol asks
//! (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html>).

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::cloudformation::{
    CloudFormationCustomResourceRequest as Request, CloudFormationCustomResourceResponse as Response,
    CloudFormationCustomResourceResponseStatus as Status,
};
use serde_json::Value;
use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};

use crate::AttachError;
use crate::resource::Outcome;

/// CloudFormation shows at most this much of a reason; the whole answer must stay under 4 KB.
const MAX_REASON: usize = 1000;
const PUT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where to answer, and what.
#[derive(Debug)]
pub struct Answer {
    pub url: String,
    pub response: Response,
}

/// The answer to `request`: SUCCESS with the outcome's physical id and data, or FAILED with the
/// error as the reason (and the request's physical id, or a placeholder for a failed Create,
/// which the rollback's Delete then recognizes as nothing to undo). `None` for a request type
/// this version does not know (CloudFormation sends Create, Update and Delete).
pub fn answer(request: &Request, result: Result<Outcome, AttachError>) -> Option<Answer> {
    let (url, stack_id, request_id, logical_id, physical_id) = match request {
        Request::Create(r) => (&r.response_url, &r.stack_id, &r.request_id, &r.logical_resource_id, None),
        Request::Update(r) => {
            (&r.response_url, &r.stack_id, &r.request_id, &r.logical_resource_id, Some(&r.physical_resource_id))
        }
        Request::Delete(r) => {
            (&r.response_url, &r.stack_id, &r.request_id, &r.logical_resource_id, Some(&r.physical_resource_id))
        }
        _ => return None,
    };
    let mut response = Response::default();
    response.stack_id.clone_from(stack_id);
    response.request_id.clone_from(request_id);
    response.logical_resource_id.clone_from(logical_id);
    match result {
        Ok(outcome) => {
            response.status = Status::Success;
            response.physical_resource_id = outcome.physical_id;
            response.data = outcome.data;
        }
        Err(error) => {
            tracing::error!(%error, "refused");
            response.status = Status::Failed;
            let mut reason = error.to_string();
            if reason.len() > MAX_REASON {
                let cut = (0..=MAX_REASON).rev().find(|&i| reason.is_char_boundary(i)).unwrap_or(0);
                reason.truncate(cut);
            }
            response.reason = Some(reason);
            response.physical_resource_id =
                physical_id.cloned().unwrap_or_else(|| format!("{logical_id}-not-attached-{request_id}"));
        }
    }
    Some(Answer { url: url.clone(), response })
}

/// PUTs the answer. Over HTTPS it trusts Amazon's roots (the URL is S3's); the local emulator
/// hands an http URL.
pub fn send(answer: &Answer) -> Result<(), String> {
    let body = serde_json::to_vec(&answer.response).map_err(|e| e.to_string())?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots: Vec<Certificate<'static>> =
        sms_otp_core::aws::aws_roots().map(|c| Certificate::from_der(c.as_ref())).collect();
    let tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(RootCerts::new_with_certs(&roots))
        .unversioned_rustls_crypto_provider(provider)
        .build();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(tls)
        .timeout_global(Some(PUT_TIMEOUT))
        .http_status_as_error(true)
        .build()
        .into();
    agent
        .put(&answer.url)
        .send(&body[..])
        .map(|_| ())
        .map_err(|e| format!("PUT to CloudFormation's response URL failed: {e}"))
}

/// The request in `event`; `None` when it is not one (then there is no URL to answer to).
pub fn request(event: Value) -> Option<Request> {
    serde_json::from_value(event).ok()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::json;

    use super::*;

    fn request(kind: &str) -> Request {
        let mut event = json!({"RequestType": kind, "RequestId": "r-1", "ResponseURL": "http://127.0.0.1:9/answer",
            "StackId": "arn:aws:cloudformation:us-east-1:111122223333:stack/s/1", "ResourceType": "Custom::AttachTriggers",
            "LogicalResourceId": "AttachTriggers", "ResourceProperties": {}});
        if kind != "Create" {
            event["PhysicalResourceId"] = json!("attach-triggers.v1.us-east-1_A.e30");
            event["OldResourceProperties"] = json!({});
        }
        super::request(event).expect("a request")
    }

    #[test]
    fn a_success_carries_the_record_and_the_notes() {
        let outcome = Outcome { physical_id: "p".into(), data: HashMap::from([("Notes".into(), "none".into())]) };
        let answer = answer(&request("Create"), Ok(outcome)).expect("an answer");
        let sent = serde_json::to_value(&answer.response).expect("JSON");
        assert_eq!(sent["Status"], "SUCCESS");
        assert_eq!(sent["PhysicalResourceId"], "p");
        assert_eq!(sent["Data"]["Notes"], "none");
        assert_eq!(
            (sent["RequestId"].as_str(), sent["LogicalResourceId"].as_str()),
            (Some("r-1"), Some("AttachTriggers"))
        );
        assert_eq!(answer.url, "http://127.0.0.1:9/answer");
    }

    #[test]
    fn a_failure_keeps_the_physical_id_and_a_short_reason() {
        let long = AttachError::NotCarried("x".repeat(5000));
        let sent =
            serde_json::to_value(answer(&request("Update"), Err(long)).expect("an answer").response).expect("JSON");
        assert_eq!(sent["Status"], "FAILED");
        assert_eq!(
            sent["PhysicalResourceId"], "attach-triggers.v1.us-east-1_A.e30",
            "an update that fails keeps the resource"
        );
        assert!(sent["Reason"].as_str().is_some_and(|r| r.len() <= MAX_REASON));
        // A failed Create answers with an id no Delete mistakes for a record.
        let sent = answer(&request("Create"), Err(AttachError::PoolNotFound("us-east-1_A".into()))).expect("an answer");
        assert!(crate::resource::Record::parse(&sent.response.physical_resource_id).is_none());
    }

    #[test]
    fn not_a_request_is_not_answered() {
        assert!(super::request(json!({"hello": "world"})).is_none());
    }
}
