//! The custom resource as `template.yaml` declares it: the properties the template gives it are
//! ones it reads, and the stack's own pool is where it looks for one.

use std::collections::BTreeMap;

use attach_triggers::resource::{Attachment, OWN_POOL};
use serde_json::Value;
use sms_otp_core::config::Trigger;
use sms_otp_core::testkit::template::{load, resolve};

const POOL: &str = "us-east-1_Existing1";

/// The resource's properties with CloudFormation's values in place of its functions (strings,
/// as CloudFormation hands them over: ARNs, parameter values).
fn handed_over(v: &Value, parameters: &BTreeMap<&str, &str>) -> Value {
    match v {
        Value::Object(o) if o.contains_key("Fn::GetAtt") => {
            let id = o["Fn::GetAtt"][0].as_str().unwrap_or_default();
            Value::String(format!("arn:aws:lambda:us-east-1:111122223333:function:stack-{id}-AbC"))
        }
        Value::Object(o) if o.contains_key("Ref") => {
            let name = o["Ref"].as_str().unwrap_or_default();
            let fallback = if name == "ExistingPoolClient" { "ourclient123" } else { "" };
            Value::String(parameters.get(name).copied().unwrap_or(fallback).to_owned())
        }
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), handed_over(v, parameters))).collect()),
        Value::Number(n) => Value::String(n.to_string()),
        other => other.clone(),
    }
}

#[test]
fn the_template_gives_the_resource_properties_it_reads() {
    for pre_sign_up in ["false", "true"] {
        let parameters = BTreeMap::from([
            ("ExistingUserPoolId", POOL),
            ("ExistingPoolPreSignUp", pre_sign_up),
            ("ExistingPoolSmsRoleArn", "arn:aws:iam::111122223333:role/sms"),
            ("ExistingPoolReplaceTriggers", "false"),
        ]);
        let t = resolve(&load(), &parameters);
        let properties = handed_over(&t["Resources"]["AttachTriggers"]["Properties"], &parameters);
        let attachment = Attachment::from_properties(&properties).expect("the template's properties read");
        assert_eq!(attachment.pool_id, POOL);
        assert_eq!(attachment.client_id, "ourclient123");
        assert_eq!(attachment.sms_role.as_deref(), Some("arn:aws:iam::111122223333:role/sms"));
        for trigger in Trigger::ALL {
            let attached = attachment.functions.get(trigger).is_some();
            assert_eq!(attached, trigger != Trigger::PreSignUp || pre_sign_up == "true", "{}", trigger.pool_slot());
        }
    }
}

#[test]
fn the_stacks_own_pool_is_the_resource_it_looks_for() {
    assert_eq!(load()["Resources"][OWN_POOL]["Type"], "AWS::Cognito::UserPool");
}
