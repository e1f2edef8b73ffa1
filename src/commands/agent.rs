//! `agent agent list|validate|schema|create`.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Failure, Outcome};
use crate::chat::agents::table;
use crate::config::discover::workspace_root;
use crate::config::schema::agent_file_schema;
use crate::config::starter::starter_agent;
use crate::config::validate::is_valid_agent_name;
use crate::config::{ConfigError, DEFAULT_AGENT, load, load_file};
use crate::paths::home_dir;
use crate::policy::lint::lint;

fn current_dir() -> Result<PathBuf, Failure> {
    std::env::current_dir()
        .map_err(|e| Failure::runtime(format!("error: cannot read the current folder: {e}")))
}

/// Lists every agent visible from the current folder, with where it comes
/// from and whether it loads; shadowed definitions are warned about.
pub fn list() -> Outcome {
    let cwd = current_dir()?;
    let (warnings, table) = crate::chat::agents::list_text(&cwd);
    for warning in warnings {
        eprintln!("{warning}");
    }
    let _ = std::io::stdout().lock().write_all(table.as_bytes());
    Ok(())
}

/// Validates each file, printing every diagnostic; fails (exit code 2) when
/// any file has an error, or, with `strict`, a warning.
pub fn validate(paths: &[PathBuf], strict: bool) -> Outcome {
    let mut failed = 0;
    for path in paths {
        match load_file(path) {
            Ok(validated) if strict && !validated.warnings.is_empty() => {
                failed += 1;
                for warning in &validated.warnings {
                    eprintln!("{warning}\n");
                }
                eprintln!(
                    "{}: {} warning(s), which --strict makes errors",
                    path.display(),
                    validated.warnings.len()
                );
            }
            Ok(validated) => {
                for warning in &validated.warnings {
                    eprintln!("{warning}\n");
                }
                let workspace = workspace_root(&current_dir()?);
                for warning in lint(&validated.config, &workspace) {
                    match warning.origin {
                        Some(origin) => eprintln!("warning: {}\n --> {origin}\n", warning.message),
                        None => eprintln!("warning: {}\n", warning.message),
                    }
                }
                println!("ok: {} (agent `{}`)", path.display(), validated.config.name);
            }
            Err(ConfigError::Invalid(diagnostics)) => {
                failed += 1;
                for diagnostic in &diagnostics {
                    eprintln!("{diagnostic}\n");
                }
                let errors = diagnostics
                    .iter()
                    .filter(|d| d.severity == crate::config::Severity::Error)
                    .count();
                eprintln!(
                    "{}: {errors} error(s); nothing will run with this file",
                    path.display()
                );
            }
            Err(error) => {
                failed += 1;
                eprintln!("{error}");
            }
        }
    }
    if failed > 0 {
        return Err(Failure::usage(""));
    }
    Ok(())
}

/// Prints the JSON Schema of agent files.
pub fn schema() -> Outcome {
    let text = serde_json::to_string_pretty(&agent_file_schema())
        .map_err(|e| Failure::runtime(format!("error: cannot print the schema: {e}")))?;
    println!("{text}");
    Ok(())
}

/// Writes a starter agent to `.kiro/agents/NAME.json` in the workspace root,
/// never overwriting an existing file.
pub fn create(name: &str) -> Outcome {
    if !is_valid_agent_name(name) {
        return Err(Failure::usage(format!(
            "error: invalid agent name `{name}`: use letters, digits, `-`, `_` and `.`, not starting with `.`"
        )));
    }
    let root = workspace_root(&current_dir()?);
    let file = root.join(".kiro/agents").join(format!("{name}.json"));
    write_new(&file, &starter_agent(name))?;
    println!("created {}", file.display());
    println!("check it with: agent agent validate {}", file.display());
    Ok(())
}

/// Creates `file` with `text`, refusing if it exists (checked by the
/// operating system, so two runs cannot race).
fn write_new(file: &Path, text: &str) -> Outcome {
    let fail = |e: std::io::Error| {
        Failure::runtime(format!("error: cannot write {}: {e}", file.display()))
    };
    if let Some(folder) = file.parent() {
        std::fs::create_dir_all(folder).map_err(fail)?;
    }
    let mut handle = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)
    {
        Ok(handle) => handle,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Failure::usage(format!(
                "error: {} already exists; not overwriting it (edit it, or pick another name)",
                file.display()
            )));
        }
        Err(e) => return Err(fail(e)),
    };
    handle.write_all(text.as_bytes()).map_err(|e| {
        let _ = std::fs::remove_file(file);
        fail(e)
    })
}

/// Converts an agent file between Kiro 3 Markdown and Kiro 2 JSON, printing
/// the result (or writing it to `output`, never over an existing file) and,
/// on stderr, what the other format cannot express.
pub fn convert(path: &Path, output: Option<&Path>) -> Outcome {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("error: cannot read {}: {e}", path.display())))?;
    let converted = crate::config::convert::convert(path, &text)?;
    for note in &converted.notes {
        eprintln!("note: {note}");
    }
    match output {
        Some(file) => {
            write_new(file, &converted.text)?;
            println!("wrote {}", file.display());
        }
        None => print!("{}", converted.text),
    }
    Ok(())
}

/// Lists the skills an agent sees: name, description and file.
pub fn skills(agent: Option<&str>) -> Outcome {
    let cwd = current_dir()?;
    let (validated, discovery) = load(agent.unwrap_or(DEFAULT_AGENT), &cwd, home_dir().as_deref())?;
    for warning in discovery.warnings() {
        eprintln!("{warning}");
    }
    let skills = crate::config::skills::skills(&validated.config);
    if skills.is_empty() {
        println!("agent `{}` has no skills", validated.config.name);
        return Ok(());
    }
    let rows: Vec<[String; 3]> = skills
        .into_iter()
        .map(|s| {
            [
                s.name,
                s.description.unwrap_or_default(),
                s.path.display().to_string(),
            ]
        })
        .collect();
    print!("{}", table(["NAME", "DESCRIPTION", "FILE"], &rows));
    Ok(())
}
