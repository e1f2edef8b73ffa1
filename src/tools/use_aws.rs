//! `use_aws {service_name, operation_name, parameters?, positional_args?,
//! region, profile_name?, label?}`: one AWS CLI call, Kiro's input.
//!
//! The policy checked the call ([`AwsCall`]); this runs exactly what it
//! checked, as `aws --region R [--profile P] SERVICE OPERATION ARGS…`, in
//! the agent's OS sandbox like a shell command, with two differences: the
//! network reaches the service's endpoint, and the `AWS_*` variables
//! (keys, profile, endpoint) reach the CLI although the shell tool scrubs
//! them. Files stay fenced: the CLI writes only where the agent may (an
//! `s3 cp` to a path outside the fence fails) and reads nothing the
//! sandbox hides. The pager is off, so a call never waits on a terminal.
//!
//! The network goes through an [`EgressProxy`] that admits only the
//! service's hosts ([`endpoints`]): the model cannot pass `--endpoint-url`,
//! and the process as a whole cannot reach another host either. In a
//! network namespace that is the kernel's doing; without one (sandbox off,
//! no user namespaces) the CLI is held to it by the proxy variables it
//! honours (see [`crate::sandbox::egress`]). A destination refused is
//! named in the result. Credentials from the instance metadata service are
//! not reachable; the CLI's keys come from the environment or its files.

use std::ffi::OsString;

use serde_json::{Value, json};

use crate::policy::aws::AwsCall;
use crate::sandbox::egress::{Destination, EgressProxy};

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
        let allowed = endpoints(&call, |name| std::env::var(name).ok());
        let proxy = match EgressProxy::start(allowed) {
            Ok(proxy) => proxy,
            Err(e) => return ToolOutput::error(format!("cannot start the network proxy: {e}")),
        };
        let (sandbox, _) = context.sandbox.clone().through(&proxy);
        let env = aws_env(&context.env_passthrough);
        let mut output = run_line(&line, env, &sandbox, DEFAULT_TIMEOUT_SECS, context);
        let refused = proxy.refused();
        if !refused.is_empty() {
            output.text.push_str(&format!(
                "\n[agent: the network to {} was refused: use_aws reaches only the endpoints of `{}`]",
                refused.join(", "),
                call.service
            ));
        }
        output
    }
}

/// Where a call may connect: the service's AWS endpoints in the call's
/// region (regional, global, FIPS and dual-stack names; any bucket name
/// under S3's), STS's for the credentials of a role profile, and an
/// endpoint the user configured with `AWS_ENDPOINT_URL` or
/// `AWS_ENDPOINT_URL_<SERVICE>` (as the CLI reads them; `var` looks them
/// up). Endpoints set in the CLI's config file are not read, so a call
/// that relies on one is refused at the proxy and says so.
pub fn endpoints(call: &AwsCall, var: impl Fn(&str) -> Option<String>) -> Vec<Destination> {
    let region = call.region.to_ascii_lowercase();
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    let prefix = endpoint_prefix(&call.service);
    let mut allowed = Vec::new();
    for name in [prefix, "sts"] {
        allowed.extend(
            [
                format!("{name}.{region}.{suffix}"),
                format!("{name}.{suffix}"),
                format!("{name}-fips.{region}.{suffix}"),
                format!("{name}.dualstack.{region}.{suffix}"),
                format!("{name}.{region}.api.aws"),
            ]
            .iter()
            .map(|host| Destination::exact(host, 443)),
        );
    }
    if prefix == "s3" {
        for domain in [
            format!("s3.{region}.{suffix}"),
            format!("s3.{suffix}"),
            format!("s3.dualstack.{region}.{suffix}"),
        ] {
            allowed.push(Destination::under(&domain, 443));
        }
    }
    allowed.extend(configured_endpoint(call, &var));
    allowed
}

/// The host of `AWS_ENDPOINT_URL_<SERVICE>`, else of `AWS_ENDPOINT_URL`,
/// unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is true.
fn configured_endpoint(call: &AwsCall, var: &impl Fn(&str) -> Option<String>) -> Option<Destination> {
    if var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return None;
    }
    let service = match call.service.as_str() {
        "s3api" => "S3".to_string(),
        other => other.to_ascii_uppercase().replace('-', "_"),
    };
    let url = var(&format!("AWS_ENDPOINT_URL_{service}")).or_else(|| var("AWS_ENDPOINT_URL"))?;
    let url = url::Url::parse(&url).ok()?;
    Some(Destination::exact(url.host_str()?, url.port_or_known_default()?))
}

/// The first label of a service's endpoint host, where it is not the CLI's
/// name for the service.
fn endpoint_prefix(service: &str) -> &str {
    match service {
        "s3api" | "s3" => "s3",
        "ecr" => "api.ecr",
        "ecr-public" => "api.ecr-public",
        "ses" | "sesv2" => "email",
        "elb" | "elbv2" => "elasticloadbalancing",
        "stepfunctions" => "states",
        "cloudwatch" => "monitoring",
        "emr" => "elasticmapreduce",
        "opensearch" => "es",
        "sagemaker-runtime" => "runtime.sagemaker",
        "lex-runtime" => "runtime.lex",
        "dynamodbstreams" => "streams.dynamodb",
        other => other,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(service: &str, region: &str) -> AwsCall {
        AwsCall::parse(&json!({
            "service_name": service, "operation_name": "list-things",
            "region": region, "label": "x"
        }))
        .unwrap()
    }

    fn admits(allowed: &[Destination], host: &str, port: u16) -> bool {
        allowed.iter().any(|d| d.admits(host, port))
    }

    #[test]
    fn a_call_reaches_its_service_and_sts_only() {
        let allowed = endpoints(&call("dynamodb", "eu-west-1"), |_| None);
        assert!(admits(&allowed, "dynamodb.eu-west-1.amazonaws.com", 443));
        assert!(admits(&allowed, "sts.eu-west-1.amazonaws.com", 443));
        assert!(admits(&allowed, "sts.amazonaws.com", 443));
        assert!(!admits(&allowed, "dynamodb.eu-west-1.amazonaws.com", 80));
        assert!(!admits(&allowed, "s3.eu-west-1.amazonaws.com", 443));
        assert!(!admits(&allowed, "bucket.s3.eu-west-1.amazonaws.com", 443));
        assert!(!admits(&allowed, "example.com", 443));
        assert!(!admits(&allowed, "169.254.169.254", 80));
    }

    #[test]
    fn s3_reaches_its_buckets_and_china_its_own_partition() {
        let s3 = endpoints(&call("s3api", "us-west-2"), |_| None);
        assert!(admits(&s3, "my-bucket.s3.us-west-2.amazonaws.com", 443));
        assert!(admits(&s3, "my-bucket.s3.amazonaws.com", 443));
        assert!(!admits(&s3, "my-bucket.s3.us-west-2.amazonaws.com.evil.io", 443));
        let china = endpoints(&call("ecr", "cn-north-1"), |_| None);
        assert!(admits(&china, "api.ecr.cn-north-1.amazonaws.com.cn", 443));
        assert!(!admits(&china, "api.ecr.cn-north-1.amazonaws.com", 443));
    }

    #[test]
    fn a_configured_endpoint_is_reached_unless_ignored() {
        let env = |name: &str| match name {
            "AWS_ENDPOINT_URL_S3" => Some("http://127.0.0.1:5000".to_string()),
            "AWS_ENDPOINT_URL" => Some("https://aws.internal".to_string()),
            _ => None,
        };
        let s3 = endpoints(&call("s3api", "us-east-1"), env);
        assert!(admits(&s3, "127.0.0.1", 5000));
        assert!(!admits(&s3, "aws.internal", 443));
        let other = endpoints(&call("sqs", "us-east-1"), env);
        assert!(admits(&other, "aws.internal", 443));
        assert!(!admits(&other, "127.0.0.1", 5000));
        let ignoring = |name: &str| match name {
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" => Some("true".to_string()),
            _ => env(name),
        };
        assert!(!admits(&endpoints(&call("s3api", "us-east-1"), ignoring), "127.0.0.1", 5000));
    }
}
