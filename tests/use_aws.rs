//! `use_aws` through the real binary and the real AWS CLI, against a local
//! AWS endpoint (`moto` server, from PyPI like the CLI; `.ci/run` installs
//! both): read-only operations run unasked, others are refused unattended
//! unless `allowedServices` names their service, `deniedServices` refuses
//! even a read, parameters that would redirect the signed request are
//! refused before the CLI runs, and a download outside the write fence does
//! not land (the sandbox holds the CLI like any command).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test or bench is its failure

mod support;

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::Env;
use support::model_server::{ModelServer, Protocol};

/// A moto server on a free port of 127.0.0.1, killed when dropped.
struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether the AWS CLI and moto are installed; under `CI=true` their
/// absence fails the test instead of skipping it.
fn aws_tools_available() -> bool {
    let runs = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let found = runs("aws", &["--version"]) && runs("python3", &["-c", "import moto.server"]);
    assert!(
        found || std::env::var("CI").is_err(),
        "the AWS CLI and moto are needed (pip install awscli 'moto[server]')"
    );
    if !found {
        eprintln!("skipped: the AWS CLI or moto is not installed");
    }
    found
}

fn start_moto() -> Moto {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("python3")
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

/// The AWS CLI's environment for the local endpoint (dummy keys).
fn aws_env(moto: &Moto) -> [(&'static str, String); 4] {
    [
        ("AWS_ENDPOINT_URL", moto.url.clone()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing-secret".into()),
        ("AWS_DEFAULT_REGION", "us-east-1".into()),
    ]
}

/// The buckets the endpoint holds, asked with the CLI directly.
fn buckets(env: &Env, moto: &Moto) -> String {
    let output = Command::new("aws")
        .args(["s3api", "list-buckets", "--output", "json"])
        .env("HOME", &env.home)
        .envs(aws_env(moto))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn s3api(operation: &str, parameters: Value) -> Value {
    json!({"service_name": "s3api", "operation_name": operation, "parameters": parameters,
           "region": "us-east-1", "label": operation})
}

/// Runs `calls` one per step, headless and unattended, with the AWS
/// variables for `moto`, and returns what the model was told of each.
async fn run(env: &Env, moto: &Moto, calls: Vec<Value>) -> Vec<(String, bool)> {
    run_with(env, aws_env(moto).to_vec(), calls).await
}

/// [`run`] with the AWS variables `vars`.
async fn run_with(
    env: &Env,
    vars: Vec<(&'static str, String)>,
    calls: Vec<Value>,
) -> Vec<(String, bool)> {
    let count = calls.len();
    let mut script: Vec<_> = calls
        .into_iter()
        .enumerate()
        .map(|(i, input)| Protocol::OpenAi.tool_calls(&[(&format!("c{i}"), "use_aws", input)]))
        .collect();
    script.push(Protocol::OpenAi.text("done"));
    let server = ModelServer::start(script).await;
    let mut command = env.std_command(&env.workspace);
    command
        .args(["chat", "--no-interactive", "--agent", "bot"])
        .args([
            "--model",
            "openai/scripted",
            "--output-format",
            "stream-json",
        ])
        .arg("use aws")
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url))
        .envs(vars)
        .stdin(Stdio::null());
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let results = support::tool_results(&output);
    assert_eq!(
        results.len(),
        count,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    results
}

fn agent(env: &Env, settings: Value) {
    env.write(
        ".kiro/agents/bot.json",
        &json!({"name": "bot", "tools": ["aws"], "toolsSettings": {"use_aws": settings}})
            .to_string(),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_run_unasked_and_writes_are_refused_unattended() {
    if !aws_tools_available() {
        return;
    }
    let moto = start_moto();
    let env = Env::new();
    agent(&env, json!({}));
    let results = run(
        &env,
        &moto,
        vec![
            s3api("create-bucket", json!({"bucket": "made-by-the-model"})),
            s3api("list-buckets", json!({"output": "json"})),
            s3api("list-buckets", json!({"endpoint-url": "http://169.254.169.254"})),
            json!({"service_name": "configure", "operation_name": "get",
                   "positional_args": ["aws_secret_access_key"], "region": "us-east-1", "label": "x"}),
        ],
    )
    .await;
    let (create, list, redirect, configure) = (&results[0], &results[1], &results[2], &results[3]);
    assert!(
        create.1 && create.0.contains("nobody can be asked"),
        "{create:?}"
    );
    assert!(!buckets(&env, &moto).contains("made-by-the-model"));
    assert!(
        !list.1 && list.0.contains("exit code 0") && list.0.contains("Buckets"),
        "{list:?}"
    );
    assert!(
        redirect.1 && redirect.0.contains("endpoint-url"),
        "{redirect:?}"
    );
    assert!(
        configure.1 && !configure.0.contains("testing-secret"),
        "{configure:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn allowed_services_write_and_denied_services_never_run() {
    if !aws_tools_available() {
        return;
    }
    let moto = start_moto();
    let env = Env::new();
    agent(
        &env,
        json!({"allowedServices": ["s3api"], "deniedServices": ["iam"]}),
    );
    let results = run(
        &env,
        &moto,
        vec![
            s3api("create-bucket", json!({"Bucket": "pantry-assets"})),
            json!({"service_name": "iam", "operation_name": "list-users",
                   "region": "us-east-1", "label": "users"}),
        ],
    )
    .await;
    assert!(!results[0].1, "{:?}", results[0]);
    assert!(buckets(&env, &moto).contains("pantry-assets"));
    assert!(
        results[1].1 && results[1].0.contains("deniedServices"),
        "{:?}",
        results[1]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_download_outside_the_write_fence_does_not_land() {
    if !aws_tools_available() {
        return;
    }
    let moto = start_moto();
    let env = Env::new();
    agent(&env, json!({"allowedServices": ["s3api", "s3"]}));
    let outside = env.home.join("stolen.txt");
    let inside = env.workspace.join("fetched.txt");
    let copy = |to: &std::path::Path| {
        json!({"service_name": "s3", "operation_name": "cp", "region": "us-east-1", "label": "copy",
               "positional_args": ["s3://pantry-assets/note.txt", to.display().to_string()]})
    };
    let put = json!({"service_name": "s3api", "operation_name": "put-object", "region": "us-east-1",
                     "label": "put", "parameters": {"bucket": "pantry-assets", "key": "note.txt", "body": "README.md"}});
    env.write("README.md", "a note\n");
    let results = run(
        &env,
        &moto,
        vec![
            s3api("create-bucket", json!({"bucket": "pantry-assets"})),
            put,
            copy(&inside),
            copy(&outside),
        ],
    )
    .await;
    assert!(!results[2].1, "inside the fence: {:?}", results[2]);
    assert_eq!(std::fs::read_to_string(&inside).unwrap(), "a note\n");
    assert!(
        !outside.exists(),
        "the sandbox kept the CLI's write out of the home folder: {:?}",
        results[3]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_reaches_no_host_but_the_services_endpoint() {
    if !aws_tools_available() {
        return;
    }
    let moto = start_moto();
    let env = Env::new();
    agent(&env, json!({"allowedServices": ["s3api"]}));
    let config = env.home.join("aws-config");
    std::fs::write(&config, format!("[default]\nendpoint_url = {}\n", moto.url)).unwrap();
    let mut vars: Vec<_> = aws_env(&moto)
        .into_iter()
        .filter(|(name, _)| *name != "AWS_ENDPOINT_URL")
        .collect();
    vars.push(("AWS_CONFIG_FILE", config.display().to_string()));
    let results = run_with(
        &env,
        vars,
        vec![s3api(
            "create-bucket",
            json!({"bucket": "through-the-config-file"}),
        )],
    )
    .await;
    let moto_address = moto.url.trim_start_matches("http://");
    assert!(
        results[0]
            .0
            .contains(&format!("the network to {moto_address} was refused")),
        "{:?}",
        results[0]
    );
    assert!(!buckets(&env, &moto).contains("through-the-config-file"));
}
