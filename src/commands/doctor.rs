//! `agent doctor`: what `agent` can use on this machine.
//!
//! Each line is a fact read from the machine, never a secret: for model
//! providers it says whether a key is set, not what it is.

use std::path::Path;
use std::process::Command;

use super::Outcome;
use crate::config::discover::search_folders;
use crate::paths::{StatePaths, home_dir};
use crate::sandbox::Layers;
use crate::settings::Settings;

/// Prints the report. Doctor never fails: what it cannot find, it says.
pub fn run() -> Outcome {
    println!("agent {}", env!("CARGO_PKG_VERSION"));
    println!("\ngit:      {}", git_version());
    println!(
        "\nOS sandbox for shell commands (`toolsSettings.shell.sandbox`: auto, required, off):"
    );
    for (layer, state) in sandbox_support() {
        println!("  {layer:<26} {state}");
    }
    println!("\nstate folders:");
    match StatePaths::from_env() {
        Ok(paths) => {
            println!("  config  {}", describe_folder(&paths.config));
            println!("  data    {}", describe_folder(&paths.data));
        }
        Err(e) => println!("  {e}"),
    }
    println!("\nagent files are searched in (nearest first):");
    if let Ok(cwd) = std::env::current_dir() {
        for (folder, _) in search_folders(&cwd, home_dir().as_deref()) {
            println!("  {}", describe_folder(&folder));
        }
    }
    println!("\nmodel providers:");
    let settings = StatePaths::from_env()
        .ok()
        .and_then(|paths| Settings::load(&paths.settings_file()).ok())
        .unwrap_or_default();
    let lookup = |variable: &str| settings.env_or_setting(variable);
    for (provider, key, url) in [
        ("openai", "OPENAI_API_KEY", "OPENAI_BASE_URL"),
        ("anthropic", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"),
    ] {
        let key_state = if lookup(key).is_some() {
            "key set"
        } else {
            "no key"
        };
        let endpoint = lookup(url).unwrap_or_else(|| "default endpoint".into());
        println!("  {provider:<10} {key_state} ({key} or provider.{provider}.apiKey), {endpoint}");
    }
    println!(
        "  {:<10} no key needed, http://127.0.0.1:11434/v1",
        "ollama"
    );
    Ok(())
}

fn describe_folder(folder: &Path) -> String {
    let state = if folder.is_dir() {
        ""
    } else {
        " (not created yet)"
    };
    format!("{}{state}", folder.display())
}

fn git_version() -> String {
    match Command::new("git").arg("--version").output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        _ => "not found (checkpoints use a built-in git library and do not need it)".into(),
    }
}

/// Each sandbox layer, on or off and why, as the helper finds it when it
/// sets every layer up (so the answer is what commands really get).
fn sandbox_support() -> Vec<(String, String)> {
    let helper = Path::new("/proc/self/exe");
    if !cfg!(target_os = "linux") {
        return vec![(
            "OS sandbox".into(),
            "off: no kernel layer on this platform; shell commands are judged by the policy, and what they change is checked against the fence afterwards".into(),
        )];
    }
    Layers::detect(helper)
        .layers
        .into_iter()
        .map(|layer| {
            let state = match (layer.on, layer.detail.as_str()) {
                (true, "on") => "on".to_string(),
                (true, detail) => format!("on: {detail}"),
                (false, detail) => format!("off: {detail}"),
            };
            (layer.name, state)
        })
        .collect()
}
