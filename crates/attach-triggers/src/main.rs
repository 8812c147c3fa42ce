//! The existing-pool custom resource's function; the work lives in the library
//! ([`attach_triggers::resource`]). Links the AWS SDK (Cognito, CloudFormation): it runs at
//! deploy time only, never in a sign-in.

use std::time::Duration;

use attach_triggers::cognito::Clients;
use attach_triggers::{AttachError, resource, response};
use aws_lambda_events::event::cloudformation::CloudFormationCustomResourceRequest as Request;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use sms_otp_core::lambda;

/// The work's deadline, so CloudFormation always gets an answer: below the function's timeout
/// (30 s, `template.yaml`), which is below the resource's `ServiceTimeout`.
const DEADLINE: Duration = Duration::from_secs(25);

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda::init_logging();
    let clients = Clients::from_environment();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| handle(&clients, event.payload))).await
}

async fn handle(clients: &Clients, event: Value) -> Result<(), Error> {
    let Some(request) = response::request(event) else {
        tracing::error!("not a CloudFormation custom resource request: nothing to answer");
        return Err("not a CloudFormation custom resource request".into());
    };
    let work = async {
        match &request {
            Request::Create(r) => resource::create(clients, &r.stack_id, &r.resource_properties).await,
            Request::Update(r) => {
                resource::update(clients, &r.physical_resource_id, &r.resource_properties, &r.old_resource_properties)
                    .await
            }
            Request::Delete(r) => resource::delete(clients, &r.physical_resource_id, &r.resource_properties).await,
            _ => Err(AttachError::BadProperties("a request type other than Create, Update and Delete".into())),
        }
    };
    let result = tokio::time::timeout(DEADLINE, work).await.unwrap_or(Err(AttachError::Timeout(DEADLINE.as_secs())));
    let answer = response::answer(&request, result).ok_or("a request type other than Create, Update and Delete")?;
    response::send(&answer).map_err(|error| {
        tracing::error!(%error, "CloudFormation was not answered");
        error.into()
    })
}
