//! `use_aws`: one AWS CLI call, judged as Kiro judges it and stricter where
//! Kiro trusts the model's strings.
//!
//! Kiro's order holds: a `deniedServices` entry refuses; `allowedTools` or
//! an `allowedServices` entry runs the call unasked; otherwise a read-only
//! operation runs unasked under `autoAllowReadonly` (default true), and
//! anything else asks. Kiro reads "read-only" from a generated list of
//! operations; here it is the operation's verb, closed-world: `describe-`,
//! `list-`, `get-`, `head-`, `batch-get-` and `s3 ls`, except operations
//! that hand out a secret (`get-secret-value`, `get-session-token`,
//! `get-parameters`, `get-login-password`, …), which ask.
//!
//! What Kiro passes to the CLI unchecked is checked here, because it
//! would change what the call is: a service or operation that is not a
//! plain name (`-…` would be an option), the CLI's own local commands
//! (`configure` prints the stored keys), a positional argument that is an
//! option, and parameters that redirect the signed request or weaken it
//! (`endpoint-url`, `no-verify-ssl`, `ca-bundle`, `debug`, …). Every
//! parameter is passed as one `--name=value` argument, so no value can
//! become an option of its own.

use serde_json::Value;

use crate::config::agent::AwsRules;

use super::decision::{Judgement, Reason, Verdict};

/// One `use_aws` call, checked: what the AWS CLI will be given.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsCall {
    /// The service (`s3api`, `ec2`, …).
    pub service: String,
    /// The operation (`list-buckets`, …).
    pub operation: String,
    /// Positional arguments (`s3 cp SRC DST`).
    pub positional: Vec<String>,
    /// `--name=value` (or `--name` for a flag) arguments, in input order.
    pub parameters: Vec<String>,
    /// The region.
    pub region: String,
    /// A profile from the AWS CLI's configuration.
    pub profile: Option<String>,
}

/// The AWS CLI's commands that work on its local files rather than call a
/// service.
const LOCAL_COMMANDS: &[&str] = &["configure", "history", "cli-dev", "help"];

/// Global options a call may not set as parameters: where the request
/// goes, whether its server is checked, and logging that prints the
/// request's credentials.
const FORBIDDEN_PARAMETERS: &[&str] = &[
    "endpoint-url",
    "no-verify-ssl",
    "ca-bundle",
    "debug",
    "profile",
    "region",
    "no-sign-request",
];

/// Operation verbs that only read.
const READ_PREFIXES: &[&str] = &["describe-", "list-", "get-", "head-", "batch-get-"];

/// Words in a read operation's name that mark it as handing out a secret.
const SECRET_WORDS: &[&str] = &[
    "secret",
    "token",
    "password",
    "credential",
    "login",
    "parameter",
];

impl AwsCall {
    /// Checks a `use_aws` input (Kiro's: `service_name`, `operation_name`,
    /// `positional_args`, `parameters`, `region`, `profile_name`).
    pub fn parse(input: &Value) -> Result<AwsCall, String> {
        let text = |key: &str| input.get(key).and_then(Value::as_str);
        let required = |key: &str| text(key).ok_or_else(|| format!("`{key}` is required"));
        let service = plain_name("service_name", required("service_name")?)?;
        if LOCAL_COMMANDS.contains(&service.as_str()) {
            return Err(format!(
                "`{service}` works on the AWS CLI's own files (its keys, its history), not on a service"
            ));
        }
        let operation = plain_name("operation_name", required("operation_name")?)?;
        let region = plain_name("region", required("region")?)?;
        let profile = match text("profile_name") {
            Some(name) => Some(plain_name("profile_name", name)?),
            None => None,
        };
        Ok(AwsCall {
            service,
            operation,
            positional: positional(input.get("positional_args"))?,
            parameters: parameters(input.get("parameters"))?,
            region,
            profile,
        })
    }

    /// The AWS CLI's arguments (after `aws`).
    pub fn argv(&self) -> Vec<String> {
        let mut argv = vec!["--region".to_string(), self.region.clone()];
        if let Some(profile) = &self.profile {
            argv.extend(["--profile".to_string(), profile.clone()]);
        }
        argv.extend([self.service.clone(), self.operation.clone()]);
        argv.extend(self.positional.iter().cloned());
        argv.extend(self.parameters.iter().cloned());
        argv
    }

    /// Whether the operation only reads and hands out no secret.
    pub fn read_only(&self) -> bool {
        let op = self.operation.as_str();
        if self.service == "s3" {
            return op == "ls";
        }
        READ_PREFIXES.iter().any(|p| op.starts_with(p))
            && !SECRET_WORDS.iter().any(|w| op.contains(w))
    }
}

/// `raw` when it is a plain name (letters, digits, `-`, `_`, `.`, not
/// starting with `-`).
fn plain_name(key: &str, raw: &str) -> Result<String, String> {
    let plain = raw
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    match plain && !raw.is_empty() && !raw.starts_with('-') {
        true => Ok(raw.to_string()),
        false => Err(format!("`{key}` must be a plain name, not `{raw}`")),
    }
}

fn positional(value: Option<&Value>) -> Result<Vec<String>, String> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let items = value
        .as_array()
        .ok_or("`positional_args` must be an array of strings")?;
    items
        .iter()
        .map(|item| match item.as_str() {
            Some(arg) if arg.starts_with('-') => Err(format!(
                "positional argument `{arg}` would be read as an option; pass options in `parameters`"
            )),
            Some(arg) => Ok(arg.to_string()),
            None => Err("`positional_args` must be an array of strings".to_string()),
        })
        .collect()
}

fn parameters(value: Option<&Value>) -> Result<Vec<String>, String> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let object = value.as_object().ok_or("`parameters` must be an object")?;
    object
        .iter()
        .map(|(key, value)| {
            let name = kebab(key.trim_start_matches('-'));
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(format!("parameter `{key}` is not an option name"));
            }
            if FORBIDDEN_PARAMETERS.contains(&name.as_str()) {
                return Err(format!(
                    "parameter `--{name}` is not accepted: it changes where the signed request goes or how it is checked"
                ));
            }
            Ok(match value {
                Value::String(s) if s.is_empty() => format!("--{name}"),
                Value::String(s) => format!("--{name}={s}"),
                other => format!("--{name}={other}"),
            })
        })
        .collect()
}

/// `TableName`, `table_name` or `DBInstanceId` as the CLI spells options:
/// `table-name`, `db-instance-id`.
fn kebab(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == '-' {
            if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let before = chars[i - 1];
            let after_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let boundary = before.is_ascii_lowercase()
                || before.is_ascii_digit()
                || (before.is_ascii_uppercase() && after_lower);
            if boundary && !out.ends_with('-') {
                out.push('-');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Judges one `use_aws` call under `rules`; `pre_approved` is why the tool
/// runs unasked, if it does.
pub(super) fn judge_aws(
    rules: &AwsRules,
    input: &Value,
    pre_approved: Option<&Reason>,
    judgement: &mut Judgement,
) {
    let call = match AwsCall::parse(input) {
        Ok(call) => call,
        Err(why) => return judgement.add(Reason::new(Verdict::Deny, why)),
    };
    let shown = format!("{} {}", call.service, call.operation);
    if let Some(rule) = rules.denied.iter().find(|r| r.value == call.service) {
        return judgement.add(
            Reason::new(Verdict::Deny, "the service is in `use_aws.deniedServices`")
                .about(&shown)
                .citing(&rule.value, &rule.origin),
        );
    }
    let reason = match rules.allowed.iter().find(|r| r.value == call.service) {
        Some(rule) => Reason::new(
            Verdict::Allow,
            "the service is in `use_aws.allowedServices`",
        )
        .citing(&rule.value, &rule.origin),
        None => match pre_approved {
            Some(reason) => reason.clone(),
            None if rules.auto_allow_readonly && call.read_only() => Reason::new(
                Verdict::Allow,
                "a read-only operation, under `use_aws.autoAllowReadonly`",
            ),
            None => Reason::new(
                Verdict::Ask,
                "not a read-only operation, its service is not in `use_aws.allowedServices`, and the tool is not in `allowedTools`",
            ),
        },
    };
    judgement.add(reason.about(&shown));
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn call(input: Value) -> Result<AwsCall, String> {
        AwsCall::parse(&input)
    }

    fn base(service: &str, operation: &str) -> Value {
        json!({"service_name": service, "operation_name": operation, "region": "us-east-1", "label": "x"})
    }

    #[test]
    fn options_are_spelled_as_the_cli_spells_them() {
        for (key, want) in [
            ("TableName", "table-name"),
            ("table_name", "table-name"),
            ("DBInstanceIdentifier", "db-instance-identifier"),
            ("--max-items", "max-items"),
            ("S3Key", "s3-key"),
        ] {
            assert_eq!(kebab(key.trim_start_matches('-')), want, "{key}");
        }
    }

    #[test]
    fn every_parameter_is_one_argument_so_no_value_becomes_an_option() {
        let mut input = base("s3api", "list-objects-v2");
        input["parameters"] =
            json!({"Bucket": "--endpoint-url=http://evil", "max-items": 5, "no-paginate": ""});
        let argv = call(input).unwrap().argv();
        assert!(argv.contains(&"--bucket=--endpoint-url=http://evil".to_string()));
        assert!(argv.contains(&"--max-items=5".to_string()));
        assert!(argv.contains(&"--no-paginate".to_string()));
        assert_eq!(
            argv[..4],
            ["--region", "us-east-1", "s3api", "list-objects-v2"]
        );
    }

    #[test]
    fn what_would_change_the_call_is_refused() {
        let attempts = [
            json!({"service_name": "-debug", "operation_name": "x", "region": "us-east-1"}),
            json!({"service_name": "s3api", "operation_name": "--debug", "region": "us-east-1"}),
            json!({"service_name": "s3api", "operation_name": "list buckets", "region": "us-east-1"}),
            json!({"service_name": "s3api", "operation_name": "list-buckets", "region": "us-east-1 --debug"}),
            json!({"service_name": "configure", "operation_name": "get", "region": "us-east-1"}),
            json!({"service_name": "s3api", "operation_name": "list-buckets"}),
            json!({"service_name": "s3", "operation_name": "ls", "region": "x", "positional_args": ["--endpoint-url=http://evil"]}),
            json!({"service_name": "s3", "operation_name": "ls", "region": "x", "parameters": {"EndpointUrl": "http://evil"}}),
            json!({"service_name": "s3", "operation_name": "ls", "region": "x", "parameters": {"endpoint_url": "http://evil"}}),
            json!({"service_name": "s3", "operation_name": "ls", "region": "x", "parameters": {"no-verify-ssl": ""}}),
            json!({"service_name": "s3", "operation_name": "ls", "region": "x", "parameters": {"debug": ""}}),
            json!({"service_name": "s3", "operation_name": "ls", "region": "x", "parameters": {"a=b": "c"}}),
            json!({"service_name": "s3", "operation_name": "ls", "region": "x", "parameters": {"bucket x": "c"}}),
            json!({"service_name": "s3", "operation_name": "ls", "region": "x", "profile_name": "--debug"}),
        ];
        for attempt in attempts {
            assert!(call(attempt.clone()).is_err(), "{attempt}");
        }
    }

    #[test]
    fn read_only_is_the_verb_and_never_a_secret() {
        for (service, op) in [
            ("ec2", "describe-instances"),
            ("s3api", "list-buckets"),
            ("s3api", "get-object"),
            ("s3api", "head-object"),
            ("dynamodb", "batch-get-item"),
            ("s3", "ls"),
        ] {
            assert!(
                call(base(service, op)).unwrap().read_only(),
                "{service} {op}"
            );
        }
        for (service, op) in [
            ("s3api", "put-object"),
            ("s3api", "delete-bucket"),
            ("s3", "cp"),
            ("s3", "rm"),
            ("secretsmanager", "get-secret-value"),
            ("sts", "get-session-token"),
            ("ssm", "get-parameters"),
            ("ecr", "get-login-password"),
            ("ecr", "get-authorization-token"),
            ("ec2", "get-password-data"),
            ("sso", "get-role-credentials"),
            ("ec2", "run-instances"),
            ("lambda", "invoke"),
        ] {
            assert!(
                !call(base(service, op)).unwrap().read_only(),
                "{service} {op}"
            );
        }
    }
}
