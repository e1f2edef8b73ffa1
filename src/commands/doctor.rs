//! `agent doctor`: what `agent` can use on this machine.
//!
//! Each line is a fact read from the machine, never a secret: for model
//! providers it says whether a key is set, not what it is.

use std::path::Path;
use std::process::Command;

use super::Outcome;
use crate::config::discover::search_folders;
use crate::paths::{StatePaths, home_dir};
use crate::settings::Settings;

/// Prints the report. Doctor never fails: what it cannot find, it says.
pub fn run() -> Outcome {
    println!("agent {}", env!("CARGO_PKG_VERSION"));
    println!("\ngit:      {}", git_version());
    println!("\nOS sandbox support (used for shell commands):");
    for (layer, state) in sandbox_support() {
        println!("  {layer:<22} {state}");
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

#[cfg(target_os = "linux")]
fn sandbox_support() -> Vec<(&'static str, String)> {
    vec![
        ("Landlock", landlock_abi()),
        ("seccomp", seccomp_state()),
        ("user namespaces", user_namespaces()),
    ]
}

#[cfg(not(target_os = "linux"))]
fn sandbox_support() -> Vec<(&'static str, String)> {
    vec![("OS sandbox", "not available on this platform yet".into())]
}

/// Landlock's ABI version, asked of the kernel directly.
#[cfg(target_os = "linux")]
fn landlock_abi() -> String {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_ulong = 1;
    // SAFETY: with a null attribute pointer, size 0 and the VERSION flag,
    // landlock_create_ruleset only returns the ABI version (or an error); it
    // reads no memory and creates no file descriptor.
    let abi = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    if abi > 0 {
        format!("available (ABI {abi})")
    } else {
        "not available (kernel without Landlock, or disabled)".into()
    }
}

#[cfg(target_os = "linux")]
fn seccomp_state() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if status.lines().any(|l| l.starts_with("Seccomp:")) {
        "available".into()
    } else {
        "not available".into()
    }
}

#[cfg(target_os = "linux")]
fn user_namespaces() -> String {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .ok()
            .map(|s| s.trim().to_string())
    };
    if read("/proc/sys/user/max_user_namespaces").as_deref() == Some("0") {
        return "disabled (user.max_user_namespaces = 0)".into();
    }
    if read("/proc/sys/kernel/unprivileged_userns_clone").as_deref() == Some("0") {
        return "disabled for unprivileged users".into();
    }
    "available".into()
}
