//! Word analysis: quote removal, detection of run-time values, and discovery of the code
//! that expanding a word would run (command substitutions, also inside parameter-expansion
//! operands and arithmetic).

use brush_parser::ParserOptions;
use brush_parser::ast::{ArithmeticExpr, ArithmeticTarget};
use brush_parser::word::{
    self, Parameter, ParameterExpr, ParameterTransformOp, SpecialParameter, TildeExpr, WordPiece,
    WordPieceWithSource,
};

use super::{MAX_DEPTH, Opaque, Word};

/// Code that expanding a word would run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Embedded {
    /// The source of a command substitution, to be analysed as a program.
    Code(String),
    /// Code that runs but cannot be analysed.
    Opaque(Opaque),
    /// A variable whose value is evaluated as arithmetic (`(( x ))`, `$(( $x + 1 ))`,
    /// `[[ $x -eq 1 ]]`): its value is code when the line could have set it to text. The
    /// walker judges it once it knows every assignment in the line.
    Evaluated(Evaluated),
    /// A variable that expanding the word assigns text to (`${x:=value}`).
    Assigns(String),
    /// A variable that arithmetic assigns a number to (`(( i = 0 ))`, `i++`).
    AssignsNumber(String),
}

/// A variable evaluated as arithmetic, with the expression that evaluates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Evaluated {
    /// The variable's name, or `1` for the positional parameters.
    pub name: String,
    /// The expression, for the reason shown.
    pub expression: String,
}

/// A word after analysis: its value as far as known, and the code its expansion runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AnalyzedWord {
    pub word: Word,
    pub embedded: Vec<Embedded>,
}

/// Analyses a raw word as the parser produced it (quotes still in place).
pub(super) fn analyze_word(raw: &str) -> AnalyzedWord {
    analyze_with(raw, word::parse, 0)
}

/// Analyses the body of an expanding here-document, where quotes are literal characters.
pub(super) fn analyze_heredoc(body: &str) -> AnalyzedWord {
    analyze_with(body, word::parse_heredoc, 0)
}

/// The code that evaluating an arithmetic expression runs: `$((1 + $(id -u)))`.
///
/// Arithmetic text is kept unparsed by brush-parser; when it contains an expansion it is
/// parsed again as a word, otherwise as arithmetic, and if that fails it is opaque.
pub(super) fn arithmetic_code(expr: &str) -> Vec<Embedded> {
    arithmetic_code_at(expr, 0)
}

/// Whether static text contains what the shell would run as a command substitution if it
/// evaluated the text again (as arithmetic, `eval`, prompt expansion, ...).
pub(super) fn looks_like_code(text: &str) -> bool {
    text.contains("$(") || text.contains('`')
}

type PieceParser =
    fn(&str, &ParserOptions) -> Result<Vec<WordPieceWithSource>, brush_parser::WordParseError>;

fn analyze_with(raw: &str, parse: PieceParser, depth: usize) -> AnalyzedWord {
    build(raw, parse, depth).finish()
}

fn build(raw: &str, parse: PieceParser, depth: usize) -> WordBuilder<'_> {
    let mut builder = WordBuilder::new(raw, depth);
    builder.parse(parse);
    builder
}

fn evaluated(name: String, expression: &str) -> Embedded {
    Embedded::Evaluated(Evaluated {
        name,
        expression: expression.to_owned(),
    })
}

/// The variables an arithmetic expression reads (each is evaluated as arithmetic in turn)
/// and those it defines: assigns a constant (`i = 0`), so that the line knows their value.
#[derive(Default)]
struct ArithmeticNames {
    read: Vec<String>,
    written: Vec<String>,
}

impl ArithmeticNames {
    fn collect(&mut self, expr: &ArithmeticExpr) {
        use ArithmeticExpr as A;
        let mut pending = vec![expr];
        while let Some(expr) = pending.pop() {
            match expr {
                A::Literal(_) => {}
                A::Reference(target) => self.target(target, true, &mut pending),
                A::UnaryAssignment(_, target) => self.target(target, true, &mut pending),
                A::UnaryOp(_, inner) => pending.push(inner),
                A::BinaryOp(_, left, right) => pending.extend([&**left, &**right]),
                A::Conditional(condition, then, otherwise) => {
                    pending.extend([&**condition, &**then, &**otherwise]);
                }
                A::Assignment(target, value) => {
                    pending.push(value);
                    self.target(target, false, &mut pending);
                    if is_constant(value) {
                        self.written.push(target_name(target));
                    }
                }
                A::BinaryAssignment(_, target, value) => {
                    pending.push(value);
                    self.target(target, true, &mut pending);
                }
            }
        }
    }

    /// A target's subscript is always evaluated; its value only when it is read.
    fn target<'e>(
        &mut self,
        target: &'e ArithmeticTarget,
        read: bool,
        pending: &mut Vec<&'e ArithmeticExpr>,
    ) {
        if read {
            self.read.push(target_name(target));
        }
        if let ArithmeticTarget::ArrayElement(_, index) = target {
            pending.push(index);
        }
    }
}

/// An expression of literals only: assigning it gives a variable a value the line knows.
fn is_constant(expr: &ArithmeticExpr) -> bool {
    use ArithmeticExpr as A;
    match expr {
        A::Literal(_) => true,
        A::UnaryOp(_, inner) => is_constant(inner),
        A::BinaryOp(_, left, right) => is_constant(left) && is_constant(right),
        A::Conditional(a, b, c) => is_constant(a) && is_constant(b) && is_constant(c),
        A::Reference(_) | A::Assignment(..) | A::BinaryAssignment(..) | A::UnaryAssignment(..) => {
            false
        }
    }
}

fn target_name(target: &ArithmeticTarget) -> String {
    match target {
        ArithmeticTarget::Variable(name) | ArithmeticTarget::ArrayElement(name, _) => name.clone(),
    }
}

/// The expression, with its expansions standing for numbers, must be valid arithmetic:
/// `$((rm -rf x))` is a failed arithmetic expansion in bash, but other shells may read it as
/// `$( (rm -rf x) )`.
fn arithmetic_code_at(expr: &str, depth: usize) -> Vec<Embedded> {
    let mut builder = WordBuilder::new(expr, depth + 1);
    builder.arithmetic = true;
    builder.parse(word::parse);
    let mut embedded = builder.embedded;
    let skeleton = builder.skeleton;
    let expanded = builder.expanded;
    let operators = skeleton
        .chars()
        .filter(|c| "+-*/%=!?:~<>&|^(".contains(*c))
        .count();
    let reason = if operators > MAX_ARITHMETIC_OPERATORS {
        "arithmetic expression too complex to check"
    } else {
        match brush_parser::arithmetic::parse(&skeleton) {
            Ok(parsed) => {
                let mut names = ArithmeticNames::default();
                names.collect(&parsed);
                embedded.extend(names.read.into_iter().map(|name| evaluated(name, expr)));
                if !expanded {
                    embedded.extend(names.written.into_iter().map(Embedded::AssignsNumber));
                }
                return embedded;
            }
            Err(_) => "arithmetic expression does not parse",
        }
    };
    embedded.push(Embedded::Opaque(Opaque::new(reason, expr)));
    embedded
}

/// The most operators an arithmetic expression may have to be checked: brush-parser's
/// arithmetic parser recurses per operator and overflows the stack at about 200.
const MAX_ARITHMETIC_OPERATORS: usize = 64;

/// Accumulates the analysis of one word, piece by piece.
struct WordBuilder<'a> {
    raw: &'a str,
    depth: usize,
    text: String,
    /// The text with every expansion replaced by `0`: what arithmetic evaluation parses.
    skeleton: String,
    dynamic: bool,
    unquoted: String,
    embedded: Vec<Embedded>,
    /// The word is an arithmetic expression: the values of the variables it expands, and
    /// the output of its command substitutions, are evaluated as arithmetic.
    arithmetic: bool,
    /// The word holds an expansion, whose value stands as `0` in the skeleton.
    expanded: bool,
}

impl<'a> WordBuilder<'a> {
    fn new(raw: &'a str, depth: usize) -> Self {
        Self {
            raw,
            depth,
            text: String::new(),
            skeleton: String::new(),
            dynamic: false,
            unquoted: String::new(),
            embedded: Vec::new(),
            arithmetic: false,
            expanded: false,
        }
    }

    fn parse(&mut self, parse: PieceParser) {
        if self.depth > MAX_DEPTH {
            self.opaque("expansion nested too deeply to analyse");
            return;
        }
        match parse(self.raw, &ParserOptions::default()) {
            Ok(pieces) => self.pieces(&pieces, false),
            Err(_) => self.opaque("word cannot be parsed"),
        }
    }

    fn finish(mut self) -> AnalyzedWord {
        if has_brace_expansion(&self.unquoted) {
            self.dynamic = true;
        }
        AnalyzedWord {
            word: Word {
                text: self.text,
                dynamic: self.dynamic,
            },
            embedded: self.embedded,
        }
    }

    /// Appends statically known text.
    fn push(&mut self, text: &str) {
        self.text.push_str(text);
        self.skeleton.push_str(text);
    }

    fn opaque(&mut self, reason: &str) {
        self.text = self.raw.to_owned();
        self.dynamic = true;
        let opaque = Opaque::new(reason, self.raw);
        self.embedded.push(Embedded::Opaque(opaque));
    }

    fn pieces(&mut self, pieces: &[WordPieceWithSource], quoted: bool) {
        for piece in pieces {
            self.piece(piece, quoted);
        }
    }

    fn piece(&mut self, piece: &WordPieceWithSource, quoted: bool) {
        match &piece.piece {
            WordPiece::Text(text) => self.literal_text(text, quoted),
            WordPiece::SingleQuotedText(text) => self.push(text),
            WordPiece::AnsiCQuotedText(text) => self.push(&decode_ansi_c(text)),
            WordPiece::DoubleQuotedSequence(inner)
            | WordPiece::GettextDoubleQuotedSequence(inner) => self.pieces(inner, true),
            WordPiece::EscapeSequence(escape) => self.escape(escape, quoted),
            WordPiece::TildeExpansion(tilde) => self.tilde(tilde),
            WordPiece::ParameterExpansion(expr) => {
                self.as_written(piece);
                self.parameter(expr);
            }
            WordPiece::CommandSubstitution(code) => {
                self.as_written(piece);
                self.substitution(code.clone());
            }
            WordPiece::BackquotedCommandSubstitution(code) => {
                self.as_written(piece);
                self.substitution(unescape_backquoted(code));
            }
            WordPiece::ArithmeticExpression(expr) => {
                self.as_written(piece);
                let code = arithmetic_code_at(&expr.value, self.depth);
                self.embedded.extend(code);
            }
        }
    }

    fn literal_text(&mut self, text: &str, quoted: bool) {
        let unparsed = text.contains("${")
            || text.contains("$(")
            || (self.text.ends_with('$') && text.starts_with(['{', '(', '[']));
        if unparsed {
            self.embedded.push(Embedded::Opaque(Opaque::new(
                "an expansion the analysis cannot parse",
                self.raw,
            )));
        }
        if !quoted {
            self.unquoted.push_str(text);
            if is_glob(text) {
                self.dynamic = true;
            }
        }
        self.push(text);
    }

    /// `\x` outside quotes is `x`; inside double quotes only `$`, `` ` ``, `"`, `\` and
    /// newline are escapable. An escaped newline is a line continuation.
    fn escape(&mut self, escape: &str, quoted: bool) {
        let escaped = escape.strip_prefix('\\').unwrap_or(escape);
        if escaped == "\n" {
            return;
        }
        if quoted && !matches!(escaped, "$" | "`" | "\"" | "\\") {
            self.push("\\");
        }
        self.push(escaped);
    }

    /// A leading `~` stays static (the policy expands it); other forms depend on state.
    fn tilde(&mut self, tilde: &TildeExpr) {
        let written = match tilde {
            TildeExpr::Home => "~".to_owned(),
            TildeExpr::UserHome(user) => format!("~{user}"),
            TildeExpr::WorkingDir => "~+".to_owned(),
            TildeExpr::OldWorkingDir => "~-".to_owned(),
            TildeExpr::NthDirFromTopOfDirStack { n, plus_used } => {
                format!("~{}{n}", if *plus_used { "+" } else { "" })
            }
            TildeExpr::NthDirFromBottomOfDirStack { n } => format!("~-{n}"),
        };
        if !matches!(tilde, TildeExpr::Home) {
            self.dynamic = true;
        }
        self.push(&written);
    }

    /// Appends an expansion to the text as written in the source, and marks the word dynamic.
    fn as_written(&mut self, piece: &WordPieceWithSource) {
        let written = self.raw.get(piece.start_index..piece.end_index);
        self.text.push_str(written.unwrap_or("$…"));
        self.skeleton.push('0');
        self.dynamic = true;
        self.expanded = true;
    }

    /// A command substitution: its code runs, and in arithmetic its output is evaluated.
    fn substitution(&mut self, code: String) {
        if self.arithmetic {
            let reason = "the output of a command substitution is evaluated as arithmetic";
            self.embedded
                .push(Embedded::Opaque(Opaque::new(reason, self.raw)));
        }
        self.embedded.push(Embedded::Code(code));
    }

    fn parameter(&mut self, expr: &ParameterExpr) {
        if let ParameterExpr::Transform {
            op: ParameterTransformOp::PromptExpand,
            ..
        } = expr
        {
            let snippet = Opaque::new("prompt expansion (@P) runs code stored in a variable", "");
            self.embedded.push(Embedded::Opaque(snippet));
        }
        let (operands, expanded) = parameter_operands(expr);
        if let Some((parameter, indirect)) = expanded {
            self.expanded(expr, parameter, indirect);
        }
        for operand in operands {
            let code = match operand {
                Operand::Word(text) => analyze_with(text, word::parse, self.depth + 1).embedded,
                Operand::Arithmetic(text) => arithmetic_code_at(text, self.depth),
            };
            self.embedded.extend(code);
        }
    }
}

impl WordBuilder<'_> {
    /// Records what expanding `parameter` means beyond its text: an indirect expansion
    /// (`${!x}`) expands the variable named by x's value, which may carry a subscript that
    /// runs code; `${x:=v}` assigns x; in arithmetic the value is evaluated.
    fn expanded(&mut self, expr: &ParameterExpr, parameter: &Parameter, indirect: bool) {
        if indirect {
            let reason = "an indirect expansion (`${!name}`) expands a variable named at run time";
            self.embedded
                .push(Embedded::Opaque(Opaque::new(reason, self.raw)));
        }
        let name = match parameter {
            Parameter::Named(name)
            | Parameter::NamedWithIndex { name, .. }
            | Parameter::NamedWithAllIndices { name, .. } => Some(name.clone()),
            Parameter::Positional(_)
            | Parameter::Special(SpecialParameter::AllPositionalParameters { .. }) => {
                Some("1".to_owned())
            }
            Parameter::Special(_) => None,
        };
        if let (ParameterExpr::AssignDefaultValues { .. }, Some(name)) = (expr, &name) {
            self.embedded.push(Embedded::Assigns(name.clone()));
        }
        let numeric = matches!(expr, ParameterExpr::ParameterLength { .. });
        if let (true, false, Some(name)) = (self.arithmetic, numeric, name) {
            self.embedded.push(evaluated(name, self.raw));
        }
    }
}

/// An operand of a parameter expansion that is itself expanded when the expansion is.
enum Operand<'e> {
    /// A word: default value, pattern, replacement.
    Word(&'e str),
    /// An arithmetic expression: substring bounds, array index.
    Arithmetic(&'e str),
}

/// The operands of a parameter expansion, and the parameter it expands with whether the
/// expansion is indirect (`None` for `${!prefix*}` and `${!array[@]}`, which expand names).
fn parameter_operands(expr: &ParameterExpr) -> (Vec<Operand<'_>>, Option<(&Parameter, bool)>) {
    use ParameterExpr as P;
    let mut operands = Vec::new();
    let (parameter, indirect) = match expr {
        P::Parameter {
            parameter,
            indirect,
        }
        | P::ParameterLength {
            parameter,
            indirect,
        }
        | P::Transform {
            parameter,
            indirect,
            ..
        } => (parameter, *indirect),
        P::UseDefaultValues {
            parameter,
            indirect,
            default_value: value,
            ..
        }
        | P::AssignDefaultValues {
            parameter,
            indirect,
            default_value: value,
            ..
        }
        | P::IndicateErrorIfNullOrUnset {
            parameter,
            indirect,
            error_message: value,
            ..
        }
        | P::UseAlternativeValue {
            parameter,
            indirect,
            alternative_value: value,
            ..
        }
        | P::RemoveSmallestSuffixPattern {
            parameter,
            indirect,
            pattern: value,
        }
        | P::RemoveLargestSuffixPattern {
            parameter,
            indirect,
            pattern: value,
        }
        | P::RemoveSmallestPrefixPattern {
            parameter,
            indirect,
            pattern: value,
        }
        | P::RemoveLargestPrefixPattern {
            parameter,
            indirect,
            pattern: value,
        }
        | P::UppercaseFirstChar {
            parameter,
            indirect,
            pattern: value,
        }
        | P::UppercasePattern {
            parameter,
            indirect,
            pattern: value,
        }
        | P::LowercaseFirstChar {
            parameter,
            indirect,
            pattern: value,
        }
        | P::LowercasePattern {
            parameter,
            indirect,
            pattern: value,
        } => {
            operands.extend(value.as_deref().map(Operand::Word));
            (parameter, *indirect)
        }
        P::Substring {
            parameter,
            indirect,
            offset,
            length,
        } => {
            operands.push(Operand::Arithmetic(&offset.value));
            let length = length.as_ref().map(|length| length.value.as_str());
            operands.extend(length.map(Operand::Arithmetic));
            (parameter, *indirect)
        }
        P::ReplaceSubstring {
            parameter,
            indirect,
            pattern,
            replacement,
            ..
        } => {
            operands.push(Operand::Word(pattern));
            operands.extend(replacement.as_deref().map(Operand::Word));
            (parameter, *indirect)
        }
        P::VariableNames { .. } | P::MemberKeys { .. } => return (operands, None),
    };
    if let Parameter::NamedWithIndex { index, .. } = parameter {
        operands.push(Operand::Arithmetic(index));
    }
    (operands, Some((parameter, indirect)))
}

/// Pathname expansion: `*`, `?`, a bracket expression `[…]`, or an extglob `@(…)`.
fn is_glob(text: &str) -> bool {
    let bracket = text
        .find('[')
        .is_some_and(|open| text.get(open + 1..).is_some_and(|rest| rest.contains(']')));
    bracket || text.contains(['*', '?']) || ["@(", "+(", "!("].iter().any(|p| text.contains(p))
}

/// Brace expansion (`{a,b}`, `{1..3}`) turns one word into several: `{rm,-rf,x}` runs rm.
fn has_brace_expansion(unquoted: &str) -> bool {
    unquoted.contains('{')
        && unquoted.contains('}')
        && (unquoted.contains(',') || unquoted.contains(".."))
}

/// Inside backquotes a backslash escapes only `$`, `` ` `` and `\`.
fn unescape_backquoted(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some(&next)) if matches!(next, '$' | '`' | '\\') => {
                out.push(next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// Decodes the body of `$'...'` the way bash does: `$'\x72m'` is `rm`.
fn decode_ansi_c(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(escape) = chars.next() else {
            out.push('\\');
            break;
        };
        match escape {
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'e' | 'E' => out.push('\x1b'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '\\' | '\'' | '"' | '?' => out.push(escape),
            'x' | 'u' | 'U' => {
                let max = match escape {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                match take_digits(&mut chars, 16, max) {
                    Some((value, _)) => push_code_point(&mut out, value),
                    None => out.extend(['\\', escape]),
                }
            }
            '0'..='7' => {
                let (rest, count) = take_digits(&mut chars, 8, 2).unwrap_or((0, 0));
                let value = (escape as u32 - '0' as u32) * 8u32.pow(count) + rest;
                push_code_point(&mut out, value & 0xff);
            }
            'c' => match chars.next() {
                Some(control) => push_code_point(&mut out, control as u32 & 0x1f),
                None => out.push_str("\\c"),
            },
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    out
}

/// Reads up to `max` digits in `radix`; returns the value and how many digits were read.
fn take_digits(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    radix: u32,
    max: u32,
) -> Option<(u32, u32)> {
    let mut value: u32 = 0;
    let mut count = 0;
    while count < max {
        let Some(digit) = chars.peek().and_then(|c| c.to_digit(radix)) else {
            break;
        };
        value = value.saturating_mul(radix).saturating_add(digit);
        count += 1;
        chars.next();
    }
    (count > 0).then_some((value, count))
}

fn push_code_point(out: &mut String, value: u32) {
    out.push(char::from_u32(value).unwrap_or(char::REPLACEMENT_CHARACTER));
}
