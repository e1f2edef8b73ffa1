//! `subagent` (Kiro's `use_subagent`; also `agent_crew`, `crew`): other
//! agents run as children of this one, each under a policy never wider
//! than its parent's.
//!
//! It takes Kiro's two inputs: `{command: "ListAgents" | "InvokeSubagents",
//! content: {subagents: [{query, agent_name?, relevant_context?}]}}` (at
//! most [`MAX_TASKS`] tasks, run in parallel), and the crew form `{task,
//! mode?, stages: [{name, role, prompt_template, depends_on?, model?}]}`,
//! whose stages run in dependency order. This file reads the input; the
//! children are run by the engine, which owns sessions.

use serde_json::{Value, json};

use super::registry::{Tool, Touches};
use super::{ToolContext, ToolOutput};
use crate::policy::subagent::DEFAULT_AGENT;

/// Tasks one `InvokeSubagents` call may start (Kiro's limit).
pub const MAX_TASKS: usize = 4;

/// Stages one crew call may have.
pub const MAX_STAGES: usize = 8;

/// The `subagent` tool.
pub struct Subagent;

/// One child to run: which agent, and what to tell it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// A short name: the stage's name, or `task-N`.
    pub name: String,
    /// The agent to run.
    pub agent: String,
    /// Its prompt.
    pub prompt: String,
    /// Tasks (by name) whose answers it needs first.
    pub depends_on: Vec<String>,
    /// A crew stage's own model id; `None`: the parent's model.
    pub model: Option<String>,
}

/// What a `subagent` call asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// List the agents that may run as children.
    List,
    /// Run these tasks, each as soon as the tasks it depends on ended.
    Run(Vec<Task>),
}

impl Tool for Subagent {
    fn name(&self) -> &'static str {
        "subagent"
    }

    fn description(&self) -> &'static str {
        "Delegate tasks to other agents (sub-agents), which run in parallel with their own context and return their final answers. `ListAgents` lists the agents you may use. `InvokeSubagents` runs up to 4 tasks at once: give each a self-contained `query`, the `agent_name` to use (default: the default agent) and any `relevant_context`. Each sub-agent works under its own agent file and never with more permission than you have; nobody can be asked for approval, so what would need approval is refused and reported. Their file changes come back to you, with any conflicts. Alternatively give `task` and `stages` (each with `name`, `role` = agent name, `prompt_template` where `{task}` stands for the task, and `depends_on`) to run a pipeline in dependency order."
    }

    fn input_schema(&self) -> Value {
        let task = json!({
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "The task for the sub-agent, self-contained."},
                "agent_name": {"type": "string", "description": "The agent to run (default: the default agent)."},
                "relevant_context": {"type": "string", "description": "Extra context the sub-agent needs."}
            },
            "required": ["query"]
        });
        let stage = json!({
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "role": {"type": "string", "description": "The agent that runs the stage."},
                "prompt_template": {"type": "string", "description": "The stage's task; `{task}` stands for the overall task."},
                "depends_on": {"type": "array", "items": {"type": "string"}},
                "model": {"type": "string"}
            },
            "required": ["name", "role", "prompt_template"]
        });
        json!({
            "type": "object",
            "properties": {
                "command": {"type": "string", "enum": ["ListAgents", "InvokeSubagents"]},
                "content": {
                    "type": "object",
                    "properties": {"subagents": {"type": "array", "items": task, "maxItems": MAX_TASKS}}
                },
                "task": {"type": "string", "description": "Crew form: the overall task."},
                "mode": {"type": "string", "enum": ["blocking"]},
                "stages": {"type": "array", "items": stage, "maxItems": MAX_STAGES}
            }
        })
    }

    fn touches(&self) -> Touches {
        Touches::Anything
    }

    fn run(&self, _input: &Value, _context: &ToolContext) -> ToolOutput {
        ToolOutput::error("sub-agents run only inside a session, which starts them")
    }
}

/// Reads a `subagent` input (already checked against the schema).
pub fn plan(input: &Value) -> Result<Plan, String> {
    if let Some(stages) = input.get("stages") {
        return crew(input, stages).map(Plan::Run);
    }
    match input["command"].as_str() {
        Some("ListAgents") => Ok(Plan::List),
        Some("InvokeSubagents") => invoke(&input["content"]["subagents"]).map(Plan::Run),
        _ => Err(
            "give `command` (\"ListAgents\" or \"InvokeSubagents\"), or the crew form `task` and `stages`"
                .into(),
        ),
    }
}

fn invoke(list: &Value) -> Result<Vec<Task>, String> {
    let items = list.as_array().map(Vec::as_slice).unwrap_or_default();
    if items.is_empty() {
        return Err("`content.subagents` lists no task".into());
    }
    if items.len() > MAX_TASKS {
        return Err(format!(
            "you can only start {MAX_TASKS} or fewer sub-agents at a time"
        ));
    }
    let tasks = items.iter().enumerate().map(|(i, item)| {
        let query = item["query"].as_str().unwrap_or_default();
        let prompt = match item["relevant_context"].as_str() {
            Some(context) => format!("{query}\n\n<relevant_context>\n{context}\n</relevant_context>"),
            None => query.to_string(),
        };
        Task {
            name: format!("task-{}", i + 1),
            agent: item["agent_name"]
                .as_str()
                .unwrap_or(DEFAULT_AGENT)
                .to_string(),
            prompt,
            depends_on: Vec::new(),
            model: None,
        }
    });
    Ok(tasks.collect())
}

fn crew(input: &Value, stages: &Value) -> Result<Vec<Task>, String> {
    let task = input["task"].as_str().unwrap_or_default();
    let items = stages.as_array().map(Vec::as_slice).unwrap_or_default();
    if items.is_empty() || items.len() > MAX_STAGES {
        return Err(format!("a crew needs 1 to {MAX_STAGES} stages"));
    }
    let tasks: Vec<Task> = items
        .iter()
        .map(|stage| Task {
            name: stage["name"].as_str().unwrap_or_default().to_string(),
            agent: stage["role"].as_str().unwrap_or(DEFAULT_AGENT).to_string(),
            prompt: stage["prompt_template"]
                .as_str()
                .unwrap_or_default()
                .replace("{task}", task),
            depends_on: stage["depends_on"]
                .as_array()
                .map(|d| d.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default(),
            model: stage["model"].as_str().map(str::to_string),
        })
        .collect();
    order(&tasks)?;
    Ok(tasks)
}

/// The tasks in waves: each wave's tasks depend only on earlier waves'.
/// An unknown or circular dependency, or two stages with one name, is an
/// error.
pub fn order(tasks: &[Task]) -> Result<Vec<Vec<usize>>, String> {
    let mut names: Vec<&str> = tasks.iter().map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|pair| pair[0] == pair[1]) {
        return Err("two stages have the same name".into());
    }
    if let Some((task, missing)) = tasks.iter().find_map(|t| {
        t.depends_on
            .iter()
            .find(|d| !names.contains(&d.as_str()))
            .map(|d| (t, d))
    }) {
        return Err(format!(
            "stage `{}` depends on `{missing}`, which is not a stage",
            task.name
        ));
    }
    let mut done: Vec<&str> = Vec::new();
    let mut waves = Vec::new();
    while done.len() < tasks.len() {
        let wave: Vec<usize> = (0..tasks.len())
            .filter(|&i| !done.contains(&tasks[i].name.as_str()))
            .filter(|&i| tasks[i].depends_on.iter().all(|d| done.contains(&d.as_str())))
            .collect();
        if wave.is_empty() {
            return Err("the stages depend on each other in a circle".into());
        }
        done.extend(wave.iter().map(|&i| tasks[i].name.as_str()));
        waves.push(wave);
    }
    Ok(waves)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kiro_inputs_are_read() {
        let input = json!({"command": "InvokeSubagents", "content": {"subagents": [
            {"query": "a", "agent_name": "x", "relevant_context": "ctx"}, {"query": "b"}]}});
        let Ok(Plan::Run(tasks)) = plan(&input) else {
            panic!("a plan");
        };
        assert_eq!(tasks[0].agent, "x");
        assert!(tasks[0].prompt.contains("ctx"));
        assert_eq!(tasks[1].agent, DEFAULT_AGENT);
        assert_eq!(plan(&json!({"command": "ListAgents"})), Ok(Plan::List));
        let five = json!({"command": "InvokeSubagents", "content": {"subagents": vec![json!({"query": "q"}); 5]}});
        assert!(plan(&five).is_err());
    }

    #[test]
    fn crew_stages_run_in_dependency_order() {
        let input = json!({"task": "T", "stages": [
            {"name": "review", "role": "r", "prompt_template": "review {task}", "depends_on": ["a", "b"]},
            {"name": "a", "role": "w", "prompt_template": "a"},
            {"name": "b", "role": "w", "prompt_template": "b"}]});
        let Ok(Plan::Run(tasks)) = plan(&input) else {
            panic!("a plan");
        };
        assert_eq!(tasks[0].prompt, "review T");
        assert_eq!(order(&tasks), Ok(vec![vec![1, 2], vec![0]]));
        let circle = json!({"task": "T", "stages": [
            {"name": "a", "role": "w", "prompt_template": "a", "depends_on": ["b"]},
            {"name": "b", "role": "w", "prompt_template": "b", "depends_on": ["a"]}]});
        assert!(plan(&circle).is_err());
    }
}
