//! The sandbox's layers, named as `agent doctor` and the warnings say
//! them, and which of them this machine has (found by probing the helper
//! once).

use std::path::Path;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use super::HELPER_SUBCOMMAND;
use super::prepare::{Plan, spawn_with_plan};

/// The names of the layers, as `agent doctor` and the warnings say them.
pub mod layer {
    /// Landlock: the file-system fence.
    pub const LANDLOCK: &str = "Landlock";
    /// User and mount namespaces: read-only binds and hidden credentials.
    pub const NAMESPACES: &str = "user and mount namespaces";
    /// A network namespace with only a loopback.
    pub const NETWORK: &str = "network namespace";
    /// A PID namespace: the command's processes end with it.
    pub const PID: &str = "PID namespace";
    /// The seccomp socket filter.
    pub const SECCOMP: &str = "seccomp";
    /// Every layer, in the order the helper sets them up.
    pub const ALL: [&str; 5] = [NAMESPACES, NETWORK, PID, LANDLOCK, SECCOMP];
}

/// One layer of the sandbox and whether it is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    /// One of [`layer::ALL`].
    pub name: String,
    /// Whether it could be set up.
    pub on: bool,
    /// How far it is enforced, or why it is off.
    pub detail: String,
}

/// The layers a sandbox was, or can be, built from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layers {
    /// In the order they are set up.
    pub layers: Vec<Layer>,
}

impl Layers {
    /// Which layers this machine has, found by running the helper once in
    /// probe mode (it sets every layer up in its own process, then reports
    /// instead of running a command). `helper` is the `agent` binary.
    pub fn detect(helper: &Path) -> Layers {
        if !cfg!(target_os = "linux") {
            return Layers::all_off("no OS sandbox on this platform");
        }
        let plan = Plan {
            probe: true,
            ..Plan::default()
        };
        let mut command = Command::new(helper);
        command
            .args([HELPER_SUBCOMMAND, "true"])
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let output = spawn_with_plan(&mut command, &plan).and_then(|c| c.wait_with_output());
        match output {
            Ok(output) => serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
                Layers::all_off(&format!(
                    "the sandbox helper failed: {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                ))
            }),
            Err(e) => Layers::all_off(&format!("the sandbox helper did not start: {e}")),
        }
    }

    fn all_off(why: &str) -> Layers {
        Layers {
            layers: layer::ALL
                .iter()
                .map(|name| Layer {
                    name: name.to_string(),
                    on: false,
                    detail: why.to_string(),
                })
                .collect(),
        }
    }

    /// The layers a command needs that are off (the network namespace is
    /// not needed when the network is allowed).
    pub fn missing(&self, network: bool) -> Vec<Layer> {
        layer::ALL
            .iter()
            .filter(|name| !(network && **name == layer::NETWORK))
            .filter_map(|name| match self.layers.iter().find(|l| l.name == *name) {
                Some(found) if found.on => None,
                Some(found) => Some(found.clone()),
                None => Some(Layer {
                    name: name.to_string(),
                    on: false,
                    detail: "not set up".into(),
                }),
            })
            .collect()
    }
}

/// "A: why, B: why", for warnings and refusals.
pub(super) fn describe(missing: &[Layer]) -> String {
    let parts: Vec<String> = missing
        .iter()
        .map(|l| format!("{} is unavailable ({})", l.name, l.detail))
        .collect();
    parts.join(", ")
}
