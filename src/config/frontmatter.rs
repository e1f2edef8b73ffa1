//! Markdown with YAML front matter (Kiro 3 agents, `SKILL.md`): the front
//! matter as a JSON value whose every part remembers its position in the
//! whole file, and the body.
//!
//! The YAML is read with an event parser that reports where each value
//! starts, so an agent's front matter is validated by the same code, with
//! the same file:line:column diagnostics, as a JSON agent file.

use saphyr_parser::{Event, Parser, ScalarStyle, Span as YamlSpan};
use serde_json::{Map, Number, Value};

use super::error::{JsonPath, Position};
use super::json::{Span, SpanIndex, SyntaxError};

/// A Markdown file split into front matter and body.
#[derive(Debug, Clone)]
pub struct FrontMatter {
    /// The front matter (an empty object when the file has none).
    pub value: Value,
    /// Where each part of it is, as byte offsets into the whole file.
    pub spans: SpanIndex,
    /// The text after the closing `---`.
    pub body: String,
    /// The byte offset where the body starts.
    pub body_offset: usize,
}

/// Splits `text` into front matter and body; a file without front matter
/// is all body.
pub fn parse(text: &str) -> Result<FrontMatter, SyntaxError> {
    let Some((yaml_start, yaml_end, body_offset)) = locate(text) else {
        return Ok(FrontMatter {
            value: Value::Object(Map::new()),
            spans: SpanIndex::default(),
            body: text.to_string(),
            body_offset: 0,
        });
    };
    let yaml = &text[yaml_start..yaml_end];
    let mut reader = Reader {
        text,
        yaml,
        base: yaml_start,
        spans: SpanIndex::default(),
    };
    let value = reader.document()?;
    let value = match value {
        Value::Null => Value::Object(Map::new()),
        other => other,
    };
    Ok(FrontMatter {
        value,
        spans: reader.spans,
        body: text[body_offset..].to_string(),
        body_offset,
    })
}

/// The byte ranges of the YAML and where the body starts, when `text` opens
/// with a `---` line closed by another.
fn locate(text: &str) -> Option<(usize, usize, usize)> {
    let first_end = text.find('\n')?;
    if text[..first_end].trim_end() != "---" {
        return None;
    }
    let yaml_start = first_end + 1;
    let mut offset = yaml_start;
    for line in text[yaml_start..].split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Some((yaml_start, offset, offset + line.len()));
        }
        offset += line.len();
    }
    None
}

struct Reader<'a> {
    text: &'a str,
    yaml: &'a str,
    base: usize,
    spans: SpanIndex,
}

type Events<'a> = Parser<'a, saphyr_parser::StrInput<'a>>;

impl<'a> Reader<'a> {
    fn document(&mut self) -> Result<Value, SyntaxError> {
        let mut events: Events<'a> = Parser::new_from_str(self.yaml);
        loop {
            match self.next(&mut events)? {
                (Event::StreamStart | Event::DocumentStart(_), _) => {}
                (Event::StreamEnd, _) => return Ok(Value::Null),
                (event, span) => {
                    return self.value(&mut events, event, span, JsonPath::root(), None);
                }
            }
        }
    }

    fn next(&self, events: &mut Events<'a>) -> Result<(Event<'a>, YamlSpan), SyntaxError> {
        match events.next() {
            Some(Ok(pair)) => Ok(pair),
            Some(Err(e)) => Err(self.error(e.marker().index(), e.info().to_string())),
            None => Err(self.error(
                self.yaml.chars().count(),
                "the front matter ends early".into(),
            )),
        }
    }

    fn value(
        &mut self,
        events: &mut Events<'a>,
        event: Event<'a>,
        span: YamlSpan,
        path: JsonPath,
        key: Option<usize>,
    ) -> Result<Value, SyntaxError> {
        let offset = self.offset(span.start.index());
        self.spans.insert(path.clone(), Span { key, value: offset });
        match event {
            Event::Scalar(text, style, _, _) => Ok(scalar(&text, style)),
            Event::SequenceStart(..) => self.sequence(events, path),
            Event::MappingStart(..) => self.mapping(events, path),
            Event::Alias(_) => Err(self.error(
                span.start.index(),
                "YAML aliases are not supported in agent files".into(),
            )),
            _ => Err(self.error(span.start.index(), "unexpected YAML here".into())),
        }
    }

    fn sequence(&mut self, events: &mut Events<'a>, path: JsonPath) -> Result<Value, SyntaxError> {
        let mut items = Vec::new();
        loop {
            match self.next(events)? {
                (Event::SequenceEnd, _) => return Ok(Value::Array(items)),
                (event, span) => {
                    let child = path.index(items.len());
                    items.push(self.value(events, event, span, child, None)?);
                }
            }
        }
    }

    fn mapping(&mut self, events: &mut Events<'a>, path: JsonPath) -> Result<Value, SyntaxError> {
        let mut map = Map::new();
        loop {
            let (event, key_span) = self.next(events)?;
            let key = match event {
                Event::MappingEnd => return Ok(Value::Object(map)),
                Event::Scalar(text, _, _, _) => text.to_string(),
                _ => {
                    return Err(self.error(
                        key_span.start.index(),
                        "a front-matter key must be plain text".into(),
                    ));
                }
            };
            let (event, span) = self.next(events)?;
            let key_offset = self.offset(key_span.start.index());
            let value = self.value(events, event, span, path.key(&key), Some(key_offset))?;
            map.insert(key, value);
        }
    }

    /// The byte offset in the whole file of character `index` of the YAML.
    fn offset(&self, index: usize) -> usize {
        let within = self
            .yaml
            .char_indices()
            .nth(index)
            .map(|(byte, _)| byte)
            .unwrap_or(self.yaml.len());
        self.base + within
    }

    fn error(&self, index: usize, message: String) -> SyntaxError {
        SyntaxError {
            position: Position::from_offset(self.text, self.offset(index)),
            message: format!("front matter: {message}"),
        }
    }
}

/// A YAML scalar as JSON: plain `null`/`~`/empty, booleans and numbers are
/// typed (YAML 1.2 core schema); quoted and block scalars are strings.
fn scalar(text: &str, style: ScalarStyle) -> Value {
    if style != ScalarStyle::Plain {
        return Value::String(text.to_string());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => number(text).unwrap_or_else(|| Value::String(text.to_string())),
    }
}

fn number(text: &str) -> Option<Value> {
    if let Ok(n) = text.parse::<i64>() {
        return Some(Value::Number(n.into()));
    }
    let looks_numeric = text.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.');
    text.parse::<f64>()
        .ok()
        .filter(|_| looks_numeric)
        .and_then(Number::from_f64)
        .map(Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_values_know_their_lines() {
        let text = "---\nname: bot\ntools: [read, shell]\npermissions:\n  - capability: shell\n    effect: allow\n---\nYou help.\n";
        let parsed = parse(text).unwrap();
        assert_eq!(parsed.value["tools"][1], "shell");
        assert_eq!(parsed.body, "You help.\n");
        let path = JsonPath::root().key("permissions").index(0).key("effect");
        let at = parsed.spans.value_offset(&path);
        assert_eq!(
            Position::from_offset(text, at),
            Position {
                line: 6,
                column: 13
            }
        );
    }

    #[test]
    fn no_front_matter_is_all_body() {
        let parsed = parse("# Title\n").unwrap();
        assert_eq!(parsed.body, "# Title\n");
        assert!(parsed.value.as_object().unwrap().is_empty());
    }

    #[test]
    fn broken_yaml_is_positioned() {
        let text = "---\nname: [a\n---\nbody";
        let error = parse(text).unwrap_err();
        assert!(error.position.line >= 2, "{error:?}");
    }

    #[test]
    fn scalars_are_typed_as_yaml_does() {
        let parsed = parse("---\na: 3\nb: 'x'\nc: ~\nd: true\ne: 1.5\n---\n").unwrap();
        assert_eq!(parsed.value["a"], 3);
        assert_eq!(parsed.value["b"], "x");
        assert!(parsed.value["c"].is_null());
        assert_eq!(parsed.value["d"], true);
        assert_eq!(parsed.value["e"], 1.5);
    }
}
