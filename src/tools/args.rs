//! A tool call's arguments checked against the tool's input schema, before
//! anything else looks at them, so the model gets one clear error naming
//! the field instead of a refusal or a failure further on.
//!
//! The check covers what tool schemas say in practice: `type` (one or a
//! list), `required`, `properties`, `additionalProperties: false`, `enum`,
//! `minimum`, `maximum` and `items`. Keywords it does not know are not
//! checked (an MCP server checks its own input again).

use serde_json::{Map, Value};

/// Why arguments do not fit a schema: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misfit {
    /// The field, as `input.path` or `input.commands[2]`.
    pub at: String,
    /// What is wrong with it.
    pub problem: String,
}

impl std::fmt::Display for Misfit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` {}", self.at, self.problem)
    }
}

/// Checks `value` against `schema`; the first misfit found.
pub fn check(value: &Value, schema: &Value) -> Result<(), Misfit> {
    walk(value, schema, "input")
}

fn walk(value: &Value, schema: &Value, at: &str) -> Result<(), Misfit> {
    let misfit = |problem: String| Misfit {
        at: at.to_string(),
        problem,
    };
    if let Some(wanted) = schema.get("type")
        && !type_fits(value, wanted)
    {
        return Err(misfit(format!(
            "must be {}, not {}",
            type_words(wanted),
            type_name(value)
        )));
    }
    if let Some(choices) = schema.get("enum").and_then(Value::as_array)
        && !choices.contains(value)
    {
        let listed: Vec<String> = choices.iter().map(Value::to_string).collect();
        return Err(misfit(format!("must be one of {}", listed.join(", "))));
    }
    if let Some(number) = value.as_f64() {
        bounds(number, schema).map_err(misfit)?;
    }
    match value {
        Value::Object(members) => object(members, schema, at),
        Value::Array(items) => match schema.get("items") {
            Some(item_schema) => items
                .iter()
                .enumerate()
                .try_for_each(|(i, item)| walk(item, item_schema, &format!("{at}[{i}]"))),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

fn object(members: &Map<String, Value>, schema: &Value, at: &str) -> Result<(), Misfit> {
    let properties = schema.get("properties").and_then(Value::as_object);
    for name in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !members.contains_key(name) {
            return Err(Misfit {
                at: format!("{at}.{name}"),
                problem: "is required and missing".into(),
            });
        }
    }
    for (name, member) in members {
        let path = format!("{at}.{name}");
        match properties.and_then(|p| p.get(name)) {
            Some(property) => walk(member, property, &path)?,
            None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                return Err(Misfit {
                    at: path,
                    problem: "is not a field of this tool".into(),
                });
            }
            None => {}
        }
    }
    Ok(())
}

fn bounds(number: f64, schema: &Value) -> Result<(), String> {
    if let Some(minimum) = schema.get("minimum").and_then(Value::as_f64)
        && number < minimum
    {
        return Err(format!("must be at least {minimum}"));
    }
    if let Some(maximum) = schema.get("maximum").and_then(Value::as_f64)
        && number > maximum
    {
        return Err(format!("must be at most {maximum}"));
    }
    Ok(())
}

fn type_fits(value: &Value, wanted: &Value) -> bool {
    match wanted {
        Value::String(name) => fits(value, name),
        Value::Array(names) => names
            .iter()
            .filter_map(Value::as_str)
            .any(|name| fits(value, name)),
        _ => true,
    }
}

fn fits(value: &Value, name: &str) -> bool {
    match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        _ => true,
    }
}

fn type_words(wanted: &Value) -> String {
    match wanted {
        Value::Array(names) => names
            .iter()
            .filter_map(Value::as_str)
            .map(article)
            .collect::<Vec<_>>()
            .join(" or "),
        Value::String(name) => article(name),
        other => other.to_string(),
    }
}

fn article(name: &str) -> String {
    match name {
        "object" | "array" | "integer" => format!("an {name}"),
        "null" => "null".into(),
        _ => format!("a {name}"),
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "command": {"type": "string", "enum": ["create", "append"]},
                "line": {"type": "integer", "minimum": 0},
                "commands": {"type": "array", "items": {"type": "string"}}
            },
            "required": ["command"]
        })
    }

    #[test]
    fn well_formed_input_fits() {
        let input = json!({"command": "create", "line": 3, "commands": ["a"], "extra": 1});
        assert_eq!(check(&input, &schema()), Ok(()));
    }

    #[test]
    fn each_misfit_names_its_field() {
        let cases = [
            (json!([]), "`input` must be an object, not an array"),
            (json!({}), "`input.command` is required and missing"),
            (
                json!({"command": 1}),
                "`input.command` must be a string, not an integer",
            ),
            (
                json!({"command": "delete"}),
                "`input.command` must be one of \"create\", \"append\"",
            ),
            (
                json!({"command": "create", "line": -1}),
                "`input.line` must be at least 0",
            ),
            (
                json!({"command": "create", "commands": ["a", 2]}),
                "`input.commands[1]` must be a string, not an integer",
            ),
        ];
        for (input, expected) in cases {
            let misfit = check(&input, &schema()).expect_err("a misfit");
            assert_eq!(misfit.to_string(), expected, "{input}");
        }
    }

    #[test]
    fn closed_objects_refuse_unknown_fields() {
        let closed = json!({"type": "object", "additionalProperties": false, "properties": {}});
        let misfit = check(&json!({"x": 1}), &closed).expect_err("closed");
        assert_eq!(misfit.to_string(), "`input.x` is not a field of this tool");
    }
}
