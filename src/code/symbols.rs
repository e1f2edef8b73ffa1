//! The symbols of one file: classes, functions, methods, types, with their
//! line ranges and signatures, read from its tree-sitter syntax tree.
//! A file with syntax errors still yields what parses.

use std::cell::RefCell;

use serde::{Deserialize, Serialize};
use tree_sitter::{Node, Parser, Tree};

use super::lang::Lang;

/// The kinds whose functions are methods.
const TYPES: &[&str] = &["class", "struct", "impl", "trait", "interface", "enum"];

/// Characters kept of a signature.
const MAX_SIGNATURE: usize = 200;

/// One symbol a file defines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Symbol {
    /// Its name (for a Rust `impl`, the type).
    pub name: String,
    /// `class`, `function`, `method`, `struct`, …
    pub kind: String,
    /// First line, 1-based.
    pub line: usize,
    /// Column of its start, 1-based.
    pub column: usize,
    /// Last line, 1-based.
    pub end_line: usize,
    /// Its declaration up to the body, on one line.
    pub signature: String,
    /// The symbol it is declared in, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
}

thread_local! {
    /// This thread's parser, reused from file to file: indexing a workspace
    /// would otherwise allocate a parser's stacks again for every file.
    static PARSER: RefCell<Parser> = RefCell::new(Parser::new());
}

/// Parses `text` as `lang`; `None` only if the grammar cannot be loaded.
pub fn parse(lang: Lang, text: &str) -> Option<Tree> {
    PARSER.with(|parser| {
        let mut parser = parser.borrow_mut();
        parser.set_language(&lang.grammar()).ok()?;
        parser.parse(text, None)
    })
}

/// The symbols `text` defines, in source order.
pub fn extract(lang: Lang, text: &str) -> Vec<Symbol> {
    match parse(lang, text) {
        Some(tree) => extract_from(lang, &tree, text),
        None => Vec::new(),
    }
}

/// The symbols of `text`, parsed as `tree`.
pub fn extract_from(lang: Lang, tree: &Tree, text: &str) -> Vec<Symbol> {
    let mut found = Vec::new();
    collect(lang, tree.root_node(), text, None, &mut found);
    found
}

fn collect(
    lang: Lang,
    node: Node<'_>,
    text: &str,
    container: Option<&Symbol>,
    out: &mut Vec<Symbol>,
) {
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        match symbol_of(lang, child, text, container) {
            Some(symbol) => {
                out.push(symbol.clone());
                collect(lang, child, text, Some(&symbol), out);
            }
            None => collect(lang, child, text, container, out),
        }
    }
}

/// The symbol `node` declares, if it declares one.
fn symbol_of(lang: Lang, node: Node<'_>, text: &str, container: Option<&Symbol>) -> Option<Symbol> {
    let in_type = container.is_some_and(|c| TYPES.contains(&c.kind.as_str()));
    let kind = kind_of(lang, node, in_type)?;
    let name_node = match (lang, node.kind()) {
        (Lang::Rust, "impl_item") => node.child_by_field_name("type"),
        (Lang::JavaScript | Lang::TypeScript | Lang::Tsx, "variable_declarator") => {
            let value = node.child_by_field_name("value")?;
            match value.kind() {
                "arrow_function" | "function_expression" | "function" => {}
                _ => return None,
            }
            node.child_by_field_name("name")
        }
        _ => node
            .child_by_field_name("name")
            .or_else(|| declarator_name(node)),
    }?;
    let name = name_node.utf8_text(text.as_bytes()).ok()?.to_string();
    if name.is_empty() {
        return None;
    }
    let start = node.start_position();
    Some(Symbol {
        name,
        kind: kind.to_string(),
        line: start.row + 1,
        column: start.column + 1,
        end_line: node.end_position().row + 1,
        signature: signature(node, text),
        container: container.map(|c| c.name.clone()),
    })
}

/// What kind of symbol a node of this type declares (`None`: none).
fn kind_of(lang: Lang, node: Node<'_>, in_type: bool) -> Option<&'static str> {
    let function = if in_type { "method" } else { "function" };
    let kind = node.kind();
    Some(match (lang, kind) {
        (Lang::Python, "function_definition") => function,
        (Lang::Python, "class_definition") => "class",
        (Lang::Rust, "function_item" | "function_signature_item") => function,
        (Lang::Rust, "struct_item") => "struct",
        (Lang::Rust, "enum_item") => "enum",
        (Lang::Rust, "trait_item") => "trait",
        (Lang::Rust, "impl_item") => "impl",
        (Lang::Rust, "mod_item") => "module",
        (Lang::Rust, "const_item" | "static_item") => "constant",
        (Lang::Rust, "type_item") => "type",
        (Lang::Rust, "macro_definition") => "macro",
        (Lang::JavaScript | Lang::TypeScript | Lang::Tsx, _) => script_kind(kind, function)?,
        (Lang::Go, "function_declaration") => "function",
        (Lang::Go, "method_declaration") => "method",
        (Lang::Go, "type_spec") => "type",
        (Lang::Java, "class_declaration" | "record_declaration") => "class",
        (Lang::Java, "interface_declaration") => "interface",
        (Lang::Java, "enum_declaration") => "enum",
        (Lang::Java, "method_declaration") => "method",
        (Lang::Java, "constructor_declaration") => "constructor",
        (Lang::C | Lang::Cpp, "function_definition") => function,
        (Lang::C | Lang::Cpp, "struct_specifier") if has_body(node) => "struct",
        (Lang::C | Lang::Cpp, "enum_specifier") if has_body(node) => "enum",
        (Lang::C | Lang::Cpp, "type_definition") => "type",
        (Lang::Cpp, "class_specifier") if has_body(node) => "class",
        (Lang::Cpp, "namespace_definition") => "namespace",
        _ => return None,
    })
}

fn script_kind(kind: &str, function: &'static str) -> Option<&'static str> {
    Some(match kind {
        "function_declaration" | "generator_function_declaration" => function,
        "variable_declarator" => function,
        "class_declaration" | "abstract_class_declaration" => "class",
        "method_definition" | "method_signature" => "method",
        "interface_declaration" => "interface",
        "type_alias_declaration" => "type",
        "enum_declaration" => "enum",
        _ => return None,
    })
}

fn has_body(node: Node<'_>) -> bool {
    node.child_by_field_name("body").is_some()
}

/// The name inside a C declarator chain (`int *f(void)` names `f`).
fn declarator_name(node: Node<'_>) -> Option<Node<'_>> {
    let mut current = node.child_by_field_name("declarator")?;
    loop {
        match current.kind() {
            "identifier"
            | "field_identifier"
            | "type_identifier"
            | "qualified_identifier"
            | "destructor_name"
            | "operator_name" => return Some(current),
            _ => current = current.child_by_field_name("declarator")?,
        }
    }
}

/// The node's text up to its body, whitespace collapsed, cut to
/// [`MAX_SIGNATURE`] characters.
fn signature(node: Node<'_>, text: &str) -> String {
    let end = node
        .child_by_field_name("body")
        .map_or(node.end_byte(), |body| body.start_byte());
    let raw = text.get(node.start_byte()..end).unwrap_or_default();
    let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let trimmed = collapsed.trim_end_matches([':', '{', ' ']);
    trimmed.chars().take(MAX_SIGNATURE).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(lang: Lang, text: &str) -> Vec<(String, String)> {
        extract(lang, text)
            .into_iter()
            .map(|s| (s.name, s.kind))
            .collect()
    }

    #[test]
    fn python_classes_methods_and_functions() {
        let text = "class Shop:\n    def add(self, x):\n        pass\n\ndef main():\n    pass\n";
        let symbols = extract(Lang::Python, text);
        assert_eq!(symbols[1].name, "add");
        assert_eq!(symbols[1].kind, "method");
        assert_eq!(symbols[1].container.as_deref(), Some("Shop"));
        assert_eq!(symbols[1].signature, "def add(self, x)");
        assert_eq!((symbols[2].line, symbols[2].end_line), (5, 6));
    }

    #[test]
    fn c_and_rust_declarators() {
        assert_eq!(
            names(
                Lang::C,
                "static int *area(int w) { return 0; }\nstruct P { int x; };"
            ),
            [
                ("area".into(), "function".into()),
                ("P".into(), "struct".into())
            ]
        );
        let rust = names(Lang::Rust, "struct S;\nimpl S { fn go(&self) {} }");
        assert_eq!(rust[1], ("S".into(), "impl".into()));
        assert_eq!(rust[2], ("go".into(), "method".into()));
    }
}
