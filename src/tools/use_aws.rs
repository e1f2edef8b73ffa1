//! `use_aws {service_name, operation_name, parameters?, positional_args?,
//! region, profile_name?, label?}`: one AWS CLI call, Kiro's input.
//!
//! The policy checked the call ([`AwsCall`]); this runs exactly what it
//! checked, as `aws --region R [--profile P] SERVICE OPERATION ARGS…`, in
//! the agent's OS sandbox like a shell command, with two differences: the
//! network is open (the CLI must reach the service), and the `AWS_*`
//! variables (keys, profile, endpoint) reach the CLI although the shell
//! tool scrubs them. Files stay fenced: the CLI writes only where the
//! agent may (an `s3 cp` to a path outside the fence fails) and reads
//! nothing the sandbox hides. The pager is off, so a call never waits on
//! a terminal. The network is not narrowed to the service's endpoint:
//! what reaches the CLI's arguments is (no `--endpoint-url` from the
//! model), but the process as a whole could reach any host.

use std::ffi::OsString;

use serde_json::{Value, json};

use crate::policy::aws::AwsCall;

use super::registry::{Tool, Touches};
use super::shell::{DEFAULT_TIMEOUT_SECS, run_line, scrubbed_env};
use super::{ToolContext, ToolOutput};

/// The `use_aws` tool.
pub struct UseAws;

impl Tool for UseAws {
    fn name(&self) -> &'static str {
        "use_aws"
    }

    fn description(&self) -> &'static str {
        "Make one AWS CLI call: service_name (use s3api over s3 where possible), operation_name, parameters (option names as keys, kebab case preferred; an empty string for a flag), positional_args (for s3 cp/mv/sync/rm), region, profile_name. Returns the exit code, stdout and stderr."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "service_name": {"type": "string", "description": "The AWS service, e.g. s3api, ec2. Must not start with '-'."},
                "operation_name": {"type": "string", "description": "The operation, e.g. list-buckets"},
                "positional_args": {"type": "array", "items": {"type": "string"}},
                "parameters": {"type": "object", "description": "Option names and values; an empty string for a flag"},
                "region": {"type": "string"},
                "profile_name": {"type": "string"},
                "label": {"type": "string", "description": "What the call does, for people"}
            },
            "required": ["region", "service_name", "operation_name", "label"]
        })
    }

    fn touches(&self) -> Touches {
        Touches::Anything
    }

    fn run(&self, input: &Value, context: &ToolContext) -> ToolOutput {
        let call = match AwsCall::parse(input) {
            Ok(call) => call,
            Err(why) => return ToolOutput::error(why),
        };
        let mut argv = vec!["aws".to_string()];
        argv.extend(call.argv());
        let line = match shlex::try_join(argv.iter().map(String::as_str)) {
            Ok(line) => line,
            Err(e) => return ToolOutput::error(format!("cannot pass this call to the AWS CLI: {e}")),
        };
        let sandbox = context.sandbox.clone().networked();
        run_line(&line, aws_env(&context.env_passthrough), &sandbox, DEFAULT_TIMEOUT_SECS, context)
    }
}

/// The shell tool's scrubbed environment plus the AWS CLI's own variables,
/// with the pager off.
fn aws_env(passthrough: &[String]) -> Vec<(OsString, OsString)> {
    let is_aws = |name: &OsString| {
        name.to_str()
            .is_some_and(|n| n.starts_with("AWS_") && n != "AWS_PAGER")
    };
    let mut env: Vec<_> = scrubbed_env(passthrough)
        .into_iter()
        .filter(|(name, _)| !is_aws(name))
        .collect();
    env.extend(std::env::vars_os().filter(|(name, _)| is_aws(name)));
    env.push(("AWS_PAGER".into(), "".into()));
    env
}
