//! Strict JSON parsing that remembers where every value came from.
//!
//! serde_json reports positions only for syntax and type errors. Agent files
//! need positions for semantic mistakes too (a regex that does not compile, a
//! tool name that does not exist), so the text is parsed once into an AST with
//! byte ranges, turned into a [`serde_json::Value`] for typed deserialisation,
//! and the ranges are kept in a [`SpanIndex`] keyed by JSON path.

use std::collections::HashMap;

use jsonc_parser::ast::{self, ObjectPropName};
use jsonc_parser::common::Ranged;
use jsonc_parser::{CollectOptions, ParseOptions};
use serde_json::{Map, Number, Value};

use super::error::{JsonPath, Position};

/// Where one value sits in the source text: the value itself and, for an
/// object member, its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Byte offset of the first character of the member's key, if it is one.
    pub key: Option<usize>,
    /// Byte offset of the first character of the value.
    pub value: usize,
}

/// JSON path → source span, for every value in a document.
#[derive(Debug, Default, Clone)]
pub struct SpanIndex {
    spans: HashMap<JsonPath, Span>,
}

impl SpanIndex {
    /// Records where the value at `path` is (for documents not parsed here,
    /// such as a Markdown agent's front matter).
    pub fn insert(&mut self, path: JsonPath, span: Span) {
        self.spans.insert(path, span);
    }

    /// The span of the value at `path`, if the document has one there.
    pub fn get(&self, path: &JsonPath) -> Option<Span> {
        self.spans.get(path).copied()
    }

    /// The byte offset best describing `path`: the value itself, or the
    /// nearest enclosing value that exists (for a missing member).
    pub fn value_offset(&self, path: &JsonPath) -> usize {
        self.nearest(path).map(|s| s.value).unwrap_or(0)
    }

    /// The byte offset of the key of `path`, falling back to the value.
    pub fn key_offset(&self, path: &JsonPath) -> usize {
        self.nearest(path)
            .map(|s| s.key.unwrap_or(s.value))
            .unwrap_or(0)
    }

    fn nearest(&self, path: &JsonPath) -> Option<Span> {
        let mut path = path.clone();
        loop {
            if let Some(span) = self.get(&path) {
                return Some(span);
            }
            if !path.pop() {
                return None;
            }
        }
    }
}

/// A syntax error with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where the parser stopped.
    pub position: Position,
    /// What it expected.
    pub message: String,
}

impl SyntaxError {
    /// The error as a diagnostic of `file` (whose text is `text`), with the
    /// line it stopped on.
    pub fn diagnostic(&self, file: &std::path::Path, text: &str) -> super::error::Diagnostic {
        super::error::Diagnostic {
            severity: super::error::Severity::Error,
            file: file.to_path_buf(),
            source_line: text
                .lines()
                .nth(self.position.line.saturating_sub(1))
                .unwrap_or_default()
                .into(),
            position: self.position,
            path: JsonPath::root(),
            message: format!("not valid JSON: {}", self.message),
            hint: None,
        }
    }
}

/// A parsed document: the value, and where each part of it came from.
#[derive(Debug, Clone)]
pub struct Document {
    /// The value, as serde_json sees it.
    pub value: Value,
    /// Source positions of every value, by JSON path.
    pub spans: SpanIndex,
    /// Members that appeared twice in one object (the later one is kept in
    /// `value`); a duplicated rule list would otherwise hide the first.
    pub duplicates: Vec<JsonPath>,
}

/// Parses strict JSON (no comments, no trailing commas: what Kiro CLI reads).
pub fn parse(text: &str) -> Result<Document, SyntaxError> {
    let options = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let parsed =
        jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &options).map_err(|e| {
            SyntaxError {
                position: Position::from_offset(text, e.range().start),
                message: e.kind().to_string(),
            }
        })?;
    let Some(root) = parsed.value else {
        return Err(SyntaxError {
            position: Position::from_offset(text, text.len()),
            message: "the file is empty; an agent file is a JSON object".into(),
        });
    };
    let mut builder = Builder::default();
    let value = builder.convert(&root, JsonPath::root(), None, text)?;
    Ok(Document {
        value,
        spans: SpanIndex {
            spans: builder.spans,
        },
        duplicates: builder.duplicates,
    })
}

#[derive(Default)]
struct Builder {
    spans: HashMap<JsonPath, Span>,
    duplicates: Vec<JsonPath>,
}

impl Builder {
    fn convert(
        &mut self,
        node: &ast::Value<'_>,
        path: JsonPath,
        key: Option<usize>,
        text: &str,
    ) -> Result<Value, SyntaxError> {
        let value_start = node.range().start;
        self.spans.insert(
            path.clone(),
            Span {
                key,
                value: value_start,
            },
        );
        Ok(match node {
            ast::Value::StringLit(s) => Value::String(s.value.to_string()),
            ast::Value::BooleanLit(b) => Value::Bool(b.value),
            ast::Value::NullKeyword(_) => Value::Null,
            ast::Value::NumberLit(n) => Value::Number(parse_number(n.value, value_start, text)?),
            ast::Value::Array(array) => {
                let mut items = Vec::with_capacity(array.elements.len());
                for (i, element) in array.elements.iter().enumerate() {
                    items.push(self.convert(element, path.index(i), None, text)?);
                }
                Value::Array(items)
            }
            ast::Value::Object(object) => {
                let mut map = Map::new();
                for prop in &object.properties {
                    let name = prop_name(&prop.name);
                    let child = path.key(&name);
                    if map.contains_key(&name) {
                        self.duplicates.push(child.clone());
                    }
                    let converted =
                        self.convert(&prop.value, child, Some(prop.name.range().start), text)?;
                    map.insert(name, converted);
                }
                Value::Object(map)
            }
        })
    }
}

fn prop_name(name: &ObjectPropName<'_>) -> String {
    match name {
        ObjectPropName::String(s) => s.value.to_string(),
        ObjectPropName::Word(w) => w.value.to_string(),
    }
}

fn parse_number(literal: &str, offset: usize, text: &str) -> Result<Number, SyntaxError> {
    serde_json::from_str::<Number>(literal).map_err(|_| SyntaxError {
        position: Position::from_offset(text, offset),
        message: format!("`{literal}` is not a number JSON can hold"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_spans_of_keys_and_values() {
        let text = "{\n  \"a\": {\"b\": [1, \"x\"]}\n}";
        let doc = parse(text).unwrap();
        let path = JsonPath::root().key("a").key("b").index(1);
        let span = doc.spans.get(&path).unwrap();
        assert_eq!(&text[span.value..span.value + 3], "\"x\"");
        let key = doc
            .spans
            .get(&JsonPath::root().key("a"))
            .unwrap()
            .key
            .unwrap();
        assert_eq!(
            Position::from_offset(text, key),
            Position { line: 2, column: 3 }
        );
    }

    #[test]
    fn rejects_comments_and_trailing_commas() {
        let err = parse("{\n  // hi\n  \"a\": 1\n}").unwrap_err();
        assert_eq!(err.position.line, 2);
        let err = parse("{\"a\": [1,]}").unwrap_err();
        assert_eq!(err.position.line, 1);
    }

    #[test]
    fn reports_duplicate_members() {
        let doc = parse(r#"{"a": 1, "a": 2}"#).unwrap();
        assert_eq!(doc.duplicates, vec![JsonPath::root().key("a")]);
        assert_eq!(doc.value["a"], 2);
    }

    #[test]
    fn empty_text_is_an_error_with_a_position() {
        let err = parse("   ").unwrap_err();
        assert_eq!(err.position.line, 1);
    }
}
