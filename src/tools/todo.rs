//! `todo_list` (aliases `todo`, `task`): the model's plan as lists of
//! tasks with a done mark, with Kiro's commands (`create`, `complete`,
//! `add`, `remove`, `load`, `lookup`) and inputs.
//!
//! The lists are a function of the conversation: [`TodoBoard::replay`]
//! rebuilds them from the successful `todo_list` calls in it, so a resumed
//! session, a `/checkpoint restore` and a `/rewind` bring back exactly the
//! lists that went with the conversation, with nothing saved beside it.
//! Ids are numbers given in order (`"1"`, `"2"`, …) so that a replay gives
//! the same ids the model saw.

use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::{Value, json};

use super::registry::{Tool, Touches};
use super::{ToolContext, ToolOutput, optional_str, required_str};

/// The `todo_list` tool.
pub struct TodoTool;

/// One task of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    /// What to do.
    pub task_description: String,
    /// More about it, when the model gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Whether it is done.
    pub completed: bool,
}

/// One list: the model's plan for a piece of work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TodoList {
    /// Its id, given in order of creation.
    pub id: String,
    /// A brief summary of the work.
    pub description: String,
    /// The tasks, in order.
    pub tasks: Vec<Task>,
    /// What the model noted while completing tasks.
    pub context: Vec<String>,
    /// Files the model said it modified.
    pub modified_files: Vec<String>,
}

impl TodoList {
    /// The list as the model and people read it: `[x]`/`[ ]` lines.
    pub fn render(&self) -> String {
        let mut out = format!("TODO ({}): {}\n", self.id, self.description);
        for (index, task) in self.tasks.iter().enumerate() {
            let mark = if task.completed { "x" } else { " " };
            out.push_str(&format!("{index}. [{mark}] {}\n", task.task_description));
            if let Some(details) = &task.details {
                out.push_str(&format!("     {details}\n"));
            }
        }
        out
    }
}

#[derive(Debug, Default)]
struct Lists {
    lists: Vec<TodoList>,
    current: Option<usize>,
}

/// The session's todo lists, shared by the tool and the engine.
#[derive(Debug, Clone, Default)]
pub struct TodoBoard(Arc<Mutex<Lists>>);

impl TodoBoard {
    /// Forgets every list and applies `calls` (the inputs of successful
    /// `todo_list` calls, in conversation order) again.
    pub fn replay<'a>(&self, calls: impl IntoIterator<Item = &'a Value>) {
        let mut fresh = Lists::default();
        for input in calls {
            // A call that succeeded once applies again; one that cannot is
            // skipped, as it changed nothing the first time either.
            let _ = fresh.apply(input);
        }
        if let Ok(mut lists) = self.0.lock() {
            *lists = fresh;
        }
    }

    /// The list the model works on now.
    pub fn current(&self) -> Option<TodoList> {
        let lists = self.0.lock().ok()?;
        lists.current.map(|i| lists.lists[i].clone())
    }

    fn apply(&self, input: &Value) -> Result<String, String> {
        match self.0.lock() {
            Ok(mut lists) => lists.apply(input),
            Err(_) => Err("the todo lists are unavailable".into()),
        }
    }
}

impl Lists {
    fn apply(&mut self, input: &Value) -> Result<String, String> {
        let command = input.get("command").and_then(Value::as_str).unwrap_or("");
        match command {
            "create" => self.create(input),
            "complete" => self.change(input, complete),
            "add" => self.change(input, add),
            "remove" => self.change(input, remove),
            "load" => self.load(input),
            "lookup" => Ok(self.lookup()),
            other => Err(format!(
                "unknown command `{other}`: use create, complete, add, remove, load or lookup"
            )),
        }
    }

    fn create(&mut self, input: &Value) -> Result<String, String> {
        let tasks = tasks(input, "tasks")?;
        if tasks.is_empty() {
            return Err("`create` needs at least one task in `tasks`".into());
        }
        let description = optional_str(input, "todo_list_description").unwrap_or_default();
        self.lists.push(TodoList {
            id: (self.lists.len() + 1).to_string(),
            description: description.to_string(),
            tasks,
            context: Vec::new(),
            modified_files: Vec::new(),
        });
        self.current = Some(self.lists.len() - 1);
        Ok(self.shown(self.lists.len() - 1))
    }

    fn load(&mut self, input: &Value) -> Result<String, String> {
        let id = text(input, "load_id")?;
        let index = self.find(id)?;
        self.current = Some(index);
        Ok(self.shown(index))
    }

    fn lookup(&self) -> String {
        if self.lists.is_empty() {
            return "no TODO lists yet".into();
        }
        let lines: Vec<String> = self
            .lists
            .iter()
            .map(|list| {
                let done = list.tasks.iter().filter(|t| t.completed).count();
                let total = list.tasks.len();
                format!("{}: {} ({done}/{total} done)", list.id, list.description)
            })
            .collect();
        lines.join("\n")
    }

    /// Applies `edit` to the list `current_id` names.
    fn change(
        &mut self,
        input: &Value,
        edit: fn(&mut TodoList, &Value) -> Result<(), String>,
    ) -> Result<String, String> {
        let index = self.find(text(input, "current_id")?)?;
        let mut list = self.lists[index].clone();
        edit(&mut list, input)?;
        if let Some(description) = optional_str(input, "new_description") {
            list.description = description.to_string();
        }
        self.lists[index] = list;
        self.current = Some(index);
        Ok(self.shown(index))
    }

    fn find(&self, id: &str) -> Result<usize, String> {
        self.lists
            .iter()
            .position(|list| list.id == id)
            .ok_or_else(|| format!("there is no TODO list `{id}` (`lookup` lists them)"))
    }

    fn shown(&self, index: usize) -> String {
        let list = &self.lists[index];
        format!("{}TODO list ID: {}", list.render(), list.id)
    }
}

fn complete(list: &mut TodoList, input: &Value) -> Result<(), String> {
    for index in indices(input, "completed_indices", list.tasks.len())? {
        list.tasks[index].completed = true;
    }
    if let Some(update) = optional_str(input, "context_update") {
        list.context.push(update.to_string());
    }
    if let Some(files) = input.get("modified_files").and_then(Value::as_array) {
        let files = files.iter().filter_map(Value::as_str).map(str::to_string);
        list.modified_files.extend(files);
    }
    Ok(())
}

fn add(list: &mut TodoList, input: &Value) -> Result<(), String> {
    let new = tasks(input, "new_tasks")?;
    let positions = indices(input, "insert_indices", usize::MAX)?;
    if positions.len() != new.len() {
        return Err("`insert_indices` needs one position for every task in `new_tasks`".into());
    }
    for (position, task) in positions.into_iter().zip(new) {
        if position > list.tasks.len() {
            return Err(format!(
                "insert index {position} is past the end of the list ({} tasks)",
                list.tasks.len()
            ));
        }
        list.tasks.insert(position, task);
    }
    Ok(())
}

fn remove(list: &mut TodoList, input: &Value) -> Result<(), String> {
    let mut gone = indices(input, "remove_indices", list.tasks.len())?;
    gone.sort_unstable();
    gone.dedup();
    for index in gone.into_iter().rev() {
        list.tasks.remove(index);
    }
    Ok(())
}

fn text<'a>(input: &'a Value, key: &str) -> Result<&'a str, String> {
    required_str(input, key).map_err(|output| output.text)
}

/// The tasks in `input[key]`.
fn tasks(input: &Value, key: &str) -> Result<Vec<Task>, String> {
    let items = input
        .get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| format!("the input needs a `{key}` list of tasks"))?;
    items
        .iter()
        .map(|item| {
            let description = item
                .get("task_description")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("every task in `{key}` needs a `task_description`"))?;
            Ok(Task {
                task_description: description.to_string(),
                details: optional_str(item, "details").map(str::to_string),
                completed: false,
            })
        })
        .collect()
}

/// The 0-based indices in `input[key]`, each below `bound`.
fn indices(input: &Value, key: &str, bound: usize) -> Result<Vec<usize>, String> {
    let items = input
        .get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| format!("the input needs a `{key}` list of 0-based indices"))?;
    items
        .iter()
        .map(|item| match item.as_u64().map(|i| i as usize) {
            Some(index) if index < bound => Ok(index),
            _ => Err(format!("`{item}` in `{key}` is not a task index of this list")),
        })
        .collect()
}

impl Tool for TodoTool {
    fn name(&self) -> &'static str {
        "todo_list"
    }

    fn description(&self) -> &'static str {
        "Keep a TODO list of a multi-step task: `create` it before starting (tasks, todo_list_description), mark tasks done with `complete` (current_id, completed_indices, context_update) as you finish each, `add`/`remove` tasks, `load` or `lookup` lists. The list is shown to the user; do not repeat it in your reply."
    }

    fn input_schema(&self) -> Value {
        let task = json!({
            "type": "object",
            "properties": {
                "task_description": {"type": "string"},
                "details": {"type": "string"}
            },
            "required": ["task_description"]
        });
        let indices = json!({"type": "array", "items": {"type": "integer"}});
        json!({
            "type": "object",
            "properties": {
                "command": {"type": "string", "enum": ["create", "complete", "load", "add", "remove", "lookup"]},
                "tasks": {"type": "array", "items": task},
                "todo_list_description": {"type": "string"},
                "completed_indices": indices,
                "context_update": {"type": "string"},
                "modified_files": {"type": "array", "items": {"type": "string"}},
                "load_id": {"type": "string"},
                "current_id": {"type": "string"},
                "new_tasks": {"type": "array", "items": task},
                "insert_indices": indices,
                "remove_indices": indices,
                "new_description": {"type": "string"}
            },
            "required": ["command"]
        })
    }

    fn touches(&self) -> Touches {
        Touches::Nothing
    }

    fn run(&self, input: &Value, context: &ToolContext) -> ToolOutput {
        match context.session.todo.apply(input) {
            Ok(text) => ToolOutput::ok(text),
            Err(problem) => ToolOutput::error(problem),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create() -> Value {
        json!({"command": "create", "todo_list_description": "type the module",
               "tasks": [{"task_description": "read it"}, {"task_description": "type it"}]})
    }

    #[test]
    fn a_list_is_created_completed_and_edited() {
        let board = TodoBoard::default();
        let shown = board.apply(&create()).unwrap();
        assert!(shown.contains("0. [ ] read it") && shown.ends_with("TODO list ID: 1"));
        let done = json!({"command": "complete", "current_id": "1", "completed_indices": [0]});
        assert!(board.apply(&done).unwrap().contains("0. [x] read it"));
        let add = json!({"command": "add", "current_id": "1", "insert_indices": [2],
                         "new_tasks": [{"task_description": "run mypy"}]});
        assert!(board.apply(&add).unwrap().contains("2. [ ] run mypy"));
        let remove = json!({"command": "remove", "current_id": "1", "remove_indices": [1]});
        assert!(!board.apply(&remove).unwrap().contains("type it"));
        assert_eq!(board.current().unwrap().tasks.len(), 2);
    }

    #[test]
    fn bad_indices_and_ids_change_nothing() {
        let board = TodoBoard::default();
        board.apply(&create()).unwrap();
        let past = json!({"command": "complete", "current_id": "1", "completed_indices": [0, 7]});
        assert!(board.apply(&past).unwrap_err().contains("`7`"));
        assert!(!board.current().unwrap().tasks[0].completed, "all or nothing");
        let unknown = json!({"command": "load", "load_id": "9"});
        assert!(board.apply(&unknown).unwrap_err().contains("no TODO list `9`"));
    }

    #[test]
    fn replay_rebuilds_the_same_lists() {
        let calls = [
            create(),
            json!({"command": "complete", "current_id": "1", "completed_indices": [1]}),
        ];
        let board = TodoBoard::default();
        board.replay(calls.iter());
        let list = board.current().unwrap();
        assert_eq!((list.id.as_str(), list.tasks[1].completed), ("1", true));
        board.replay(calls[..1].iter());
        assert!(!board.current().unwrap().tasks[1].completed);
        board.replay([]);
        assert_eq!(board.current(), None);
    }
}
