//! Walking brush-parser's syntax tree to collect every simple command that would run.

use brush_parser::ast;

use std::collections::BTreeSet;

use super::builtins;
use super::nesting;
use super::parts::Parts;
use super::programs;
use super::variables::{assignable_name, is_integer_literal};
use super::words::{self, Embedded, Evaluated};
use super::wrappers::{self, Resolution};
use super::{Analysis, MAX_DEPTH, Opaque, ParseError, Redirect, SimpleCommand, Word};

const TOO_DEEP: &str = "nested too deeply to analyse";

/// Parses and walks a whole command line.
pub(super) fn analyze_top_level(source: &str) -> Result<Analysis, ParseError> {
    let mut walker = Walker::default();
    match parse(source) {
        Ok(program) => walker.program(&program, &Scope::default()),
        Err(Failure::TooDeep) => walker.opaque(TOO_DEEP, source),
        Err(Failure::Syntax(message)) => return Err(ParseError { message }),
    }
    walker.judge_evaluated();
    Ok(walker.analysis)
}

/// Why source could not be turned into a syntax tree.
enum Failure {
    /// Nested beyond what brush-parser can parse without risking a stack overflow.
    TooDeep,
    /// Not valid shell syntax.
    Syntax(String),
}

fn parse(source: &str) -> Result<ast::Program, Failure> {
    if nesting::too_deep(source) {
        return Err(Failure::TooDeep);
    }
    let options = brush_parser::ParserOptions::default();
    let mut parser = brush_parser::Parser::new(source.as_bytes(), &options);
    parser
        .parse_program()
        .map_err(|error| Failure::Syntax(error.to_string()))
}

/// What the code being walked inherits from its surroundings.
#[derive(Debug, Clone, Default)]
struct Scope {
    /// How many levels of nesting enclose it.
    depth: usize,
    /// Redirections of enclosing compound commands (or of the `sh -c` running it).
    redirects: Vec<Redirect>,
    /// Wrappers (`sudo`, `bash -c`, ...) of the command whose string is being walked.
    wrappers: Vec<String>,
    /// Their whole invocations (see [`SimpleCommand::invocations`]).
    invocations: Vec<String>,
}

/// Collects commands and opaque parts while walking.
#[derive(Default)]
struct Walker {
    analysis: Analysis,
    /// Variables whose values are evaluated as arithmetic somewhere in the line.
    evaluated: Vec<Evaluated>,
    /// Variables the line may set to something other than a plain integer.
    text_valued: BTreeSet<String>,
    /// Variables the line assigns at all.
    assigned: BTreeSet<String>,
    /// Variables assigned other than by a `for` loop over known words.
    not_loop_only: BTreeSet<String>,
}

impl Walker {
    /// A variable evaluated as arithmetic runs the code in its value, so it is understood
    /// only when the line itself gives it every value it can have, and each is a plain
    /// integer or the result of arithmetic: `i` in `for ((i=0; i<3; i++))`, `x` in
    /// `x=5; echo $((x*2))`. A variable from the environment, one the line may set to text,
    /// and the positional parameters are not. Judged after the whole line is walked, since
    /// a loop can assign after use.
    fn judge_evaluated(&mut self) {
        for evaluated in std::mem::take(&mut self.evaluated) {
            let name = evaluated.name.as_str();
            let why = if name == "1" {
                "the positional parameters are only known at run time"
            } else if self.text_valued.contains(name) {
                "the line may set it to text, which would run as code"
            } else if !self.assigned.contains(name) {
                "its value comes from outside the line"
            } else {
                continue;
            };
            let shown = if name == "1" { "$1" } else { name };
            let reason = format!("`{shown}` is evaluated as arithmetic and {why}");
            self.opaque(reason, evaluated.expression);
        }
    }

    /// Records that the line assigns `name`; unless the value is a plain integer, the
    /// variable may hold code that arithmetic would run.
    fn assigned(&mut self, name: &str, integer: bool) {
        self.not_loop_only.insert(name.to_owned());
        self.analysis.loop_values.remove(name);
        self.assigned.insert(name.to_owned());
        if !integer {
            self.text_valued.insert(name.to_owned());
        }
    }

    /// Records a `for` loop's variable; when every word it takes is known but for globs
    /// and braces, and nothing else assigns it, the words are kept for the policy to judge
    /// `"$name"` as them.
    fn loop_assigned(&mut self, name: &str, integers: bool, values: Vec<Word>, listed: bool) {
        let known = listed && values.iter().all(|w| !w.text.contains(['$', '`']));
        let previous = self.analysis.loop_values.remove(name);
        self.assigned.insert(name.to_owned());
        if !integers {
            self.text_valued.insert(name.to_owned());
        }
        if !known || self.not_loop_only.contains(name) {
            self.not_loop_only.insert(name.to_owned());
            return;
        }
        let mut all = previous.unwrap_or_default();
        all.extend(values);
        self.analysis.loop_values.insert(name.to_owned(), all);
    }

    /// What a builtin does beyond being a command (see [`builtins`]), and code a program
    /// runs from its options (see [`programs`]).
    fn builtin(&mut self, command: &SimpleCommand, scope: &Scope) {
        if let Some(reason) = programs::runs_code(&command.argv) {
            self.opaque(reason, command.text());
        }
        for code in programs::option_commands(&command.argv) {
            let wrapper = command.program().unwrap_or_default().to_owned();
            self.shell_code(command, wrapper, &code, scope);
        }
        let effects = builtins::effects(&command.argv);
        for reason in effects.opaque {
            self.opaque(reason, command.text());
        }
        for (name, integer) in effects.assigned {
            self.assigned(&name, integer);
        }
        for word in effects.arithmetic {
            self.arithmetic(&word.text, scope);
        }
    }

    fn opaque(&mut self, reason: impl Into<String>, snippet: impl Into<String>) {
        self.analysis.opaque.push(Opaque::new(reason, snippet));
    }

    /// The scope one level deeper, or `None` (and an opaque entry) past [`MAX_DEPTH`].
    fn enter(&mut self, scope: &Scope, snippet: &str) -> Option<Scope> {
        if scope.depth >= MAX_DEPTH {
            self.opaque(TOO_DEEP, snippet);
            return None;
        }
        Some(Scope {
            depth: scope.depth + 1,
            ..scope.clone()
        })
    }

    /// Parses and walks embedded source (a substitution, an `sh -c` string).
    fn code(&mut self, source: &str, scope: &Scope) {
        match parse(source) {
            Ok(program) => self.program(&program, scope),
            Err(Failure::TooDeep) => self.opaque(TOO_DEEP, source),
            Err(Failure::Syntax(message)) => {
                self.opaque(format!("embedded code does not parse: {message}"), source);
            }
        }
    }

    fn program(&mut self, program: &ast::Program, scope: &Scope) {
        for list in &program.complete_commands {
            self.list(list, scope);
        }
    }

    fn list(&mut self, list: &ast::CompoundList, scope: &Scope) {
        for ast::CompoundListItem(and_or, _) in &list.0 {
            self.pipeline(&and_or.first, scope);
            for next in &and_or.additional {
                let (ast::AndOr::And(pipeline) | ast::AndOr::Or(pipeline)) = next;
                self.pipeline(pipeline, scope);
            }
        }
    }

    fn pipeline(&mut self, pipeline: &ast::Pipeline, scope: &Scope) {
        for command in &pipeline.seq {
            self.command(command, scope);
        }
    }

    fn command(&mut self, command: &ast::Command, scope: &Scope) {
        match command {
            ast::Command::Simple(simple) => self.simple(simple, scope),
            ast::Command::Compound(compound, redirects) => {
                let scope = self.with_redirects(scope, redirects.as_ref());
                self.compound(compound, &scope);
            }
            ast::Command::Function(definition) => {
                let reason = "function definitions change what later commands run";
                self.opaque(reason, definition.fname.value.clone());
                let ast::FunctionBody(body, redirects) = &definition.body;
                let scope = self.with_redirects(scope, redirects.as_ref());
                self.compound(body, &scope);
            }
            ast::Command::ExtendedTest(test, redirects) => {
                let scope = self.with_redirects(scope, redirects.as_ref());
                self.extended_test(&test.expr, &scope);
                self.redirects_only(&scope);
            }
        }
    }

    /// The scope extended by a compound command's own redirections.
    fn with_redirects(&mut self, scope: &Scope, redirects: Option<&ast::RedirectList>) -> Scope {
        let mut parts = Parts::default();
        for redirect in redirects.iter().flat_map(|list| &list.0) {
            parts.redirect(redirect);
        }
        let mut extended = scope.clone();
        extended.redirects.append(&mut parts.redirects);
        self.embedded(parts, scope);
        extended
    }

    /// Lists an empty command carrying the scope's redirections, for commands such as
    /// `(( x )) > f` or `[[ x ]] > f` that have no simple command to carry them.
    fn redirects_only(&mut self, scope: &Scope) {
        if !scope.redirects.is_empty() {
            self.analysis.commands.push(SimpleCommand {
                redirects: scope.redirects.clone(),
                wrappers: scope.wrappers.clone(),
                invocations: scope.invocations.clone(),
                ..SimpleCommand::default()
            });
        }
    }

    fn compound(&mut self, compound: &ast::CompoundCommand, scope: &Scope) {
        let Some(inner) = self.enter(scope, "compound command") else {
            return;
        };
        match compound {
            ast::CompoundCommand::Arithmetic(command) => {
                self.arithmetic(&command.expr.value, &inner);
                self.redirects_only(&inner);
            }
            ast::CompoundCommand::ArithmeticForClause(clause) => {
                let parts = [&clause.initializer, &clause.condition, &clause.updater];
                for expr in parts.into_iter().flatten() {
                    self.arithmetic(&expr.value, &inner);
                }
                self.list(&clause.body.list, &inner);
            }
            ast::CompoundCommand::BraceGroup(group) => self.list(&group.list, &inner),
            ast::CompoundCommand::Subshell(subshell) => self.list(&subshell.list, &inner),
            ast::CompoundCommand::ForClause(clause) => {
                let values: Vec<Word> = clause
                    .values
                    .iter()
                    .flatten()
                    .map(|word| words::analyze_word(&word.value).word)
                    .collect();
                let integers = clause.values.is_some()
                    && values
                        .iter()
                        .all(|w| !w.dynamic && is_integer_literal(&w.text));
                let listed = clause.values.is_some();
                self.loop_assigned(&clause.variable_name, integers, values, listed);
                self.words(clause.values.iter().flatten(), &inner);
                self.list(&clause.body.list, &inner);
            }
            ast::CompoundCommand::CaseClause(clause) => {
                self.words([&clause.value], &inner);
                for case in &clause.cases {
                    self.words(&case.patterns, &inner);
                    if let Some(list) = &case.cmd {
                        self.list(list, &inner);
                    }
                }
            }
            ast::CompoundCommand::IfClause(clause) => {
                self.list(&clause.condition, &inner);
                self.list(&clause.then, &inner);
                for branch in clause.elses.iter().flatten() {
                    if let Some(condition) = &branch.condition {
                        self.list(condition, &inner);
                    }
                    self.list(&branch.body, &inner);
                }
            }
            ast::CompoundCommand::WhileClause(clause)
            | ast::CompoundCommand::UntilClause(clause) => {
                self.list(&clause.0, &inner);
                self.list(&clause.1.list, &inner);
            }
            ast::CompoundCommand::Coprocess(coprocess) => {
                self.opaque("coproc runs a command wired to the shell", "coproc");
                self.command(&coprocess.body, &inner);
            }
        }
    }

    /// Walks the code embedded in words that are expanded but not part of a command.
    fn words<'w>(&mut self, words: impl IntoIterator<Item = &'w ast::Word>, scope: &Scope) {
        let mut parts = Parts::default();
        for word in words {
            parts.word(word);
        }
        self.embedded(parts, scope);
    }

    fn arithmetic(&mut self, expr: &str, scope: &Scope) {
        let parts = Parts {
            embedded: words::arithmetic_code(expr),
            ..Parts::default()
        };
        self.embedded(parts, scope);
    }

    /// Walks a `[[ … ]]` expression without recursion (`&&` chains can be long). Operands
    /// of arithmetic comparisons are evaluated as arithmetic even when quoted, so their
    /// text is searched for substitutions too.
    fn extended_test(&mut self, expr: &ast::ExtendedTestExpr, scope: &Scope) {
        let mut pending = vec![expr];
        let mut parts = Parts::default();
        while let Some(expr) = pending.pop() {
            match expr {
                ast::ExtendedTestExpr::And(left, right)
                | ast::ExtendedTestExpr::Or(left, right) => {
                    pending.push(right);
                    pending.push(left);
                }
                ast::ExtendedTestExpr::Not(inner) | ast::ExtendedTestExpr::Parenthesized(inner) => {
                    pending.push(inner);
                }
                ast::ExtendedTestExpr::UnaryTest(predicate, word) => {
                    let word = parts.word(word);
                    if names_variable(predicate)
                        && (word.dynamic || assignable_name(&word.text).is_none())
                    {
                        let reason = "`[[ -v ]]` evaluates the subscript of the name it is given";
                        parts.embedded.push(Embedded::Opaque(super::Opaque::new(
                            reason,
                            word.text.clone(),
                        )));
                        parts.embedded.extend(words::arithmetic_code(&word.text));
                    }
                }
                ast::ExtendedTestExpr::BinaryTest(predicate, left, right) => {
                    for word in [left, right] {
                        let word = parts.word(word);
                        if is_arithmetic(predicate) {
                            parts.embedded.extend(words::arithmetic_code(&word.text));
                        }
                    }
                }
            }
        }
        self.embedded(parts, scope);
    }

    fn simple(&mut self, simple: &ast::SimpleCommand, scope: &Scope) {
        let mut parts = Parts::default();
        for item in simple.prefix.iter().flat_map(|prefix| &prefix.0) {
            parts.item(item, true);
        }
        if let Some(name) = &simple.word_or_name {
            let word = parts.word(name);
            parts.argv.push(word);
        }
        for item in simple.suffix.iter().flat_map(|suffix| &suffix.0) {
            parts.item(item, false);
        }
        let mut redirects = scope.redirects.clone();
        redirects.append(&mut parts.redirects);
        let command = SimpleCommand {
            argv: std::mem::take(&mut parts.argv),
            assignments: Vec::new(),
            redirects,
            wrappers: scope.wrappers.clone(),
            invocations: scope.invocations.clone(),
        };
        let mut command = command;
        self.assign(&mut command, &std::mem::take(&mut parts.assignments));
        self.resolve(command, scope);
        self.embedded(parts, scope);
    }

    /// Walks the code that expanding a command's words runs. It runs in the current shell,
    /// not under the command's wrappers or redirections.
    fn embedded(&mut self, parts: Parts<'_>, scope: &Scope) {
        if parts.embedded.is_empty() && parts.process_substitutions.is_empty() {
            return;
        }
        let Some(mut inner) = self.enter(scope, "substitution") else {
            return;
        };
        inner.redirects.clear();
        for embedded in parts.embedded {
            match embedded {
                Embedded::Code(code) => self.code(&code, &inner),
                Embedded::Opaque(opaque) => self.analysis.opaque.push(opaque),
                Embedded::Evaluated(evaluated) => self.evaluated.push(evaluated),
                Embedded::Assigns(name) => self.assigned(&name, false),
                Embedded::AssignsNumber(name) => self.assigned(&name, true),
            }
        }
        for subshell in parts.process_substitutions {
            self.list(&subshell.list, &inner);
        }
    }

    /// Records assignments on a command; those that change how commands run are opaque.
    /// Records assignments on a command; those that change how commands run, or whose
    /// target is not a plain name (`BASH_CMDS[ls]=/bin/rm`, `a[$(x)]=1`), are opaque.
    fn assign(&mut self, command: &mut SimpleCommand, assignments: &[Word]) {
        for assignment in assignments {
            let (target, value) = assignment
                .text
                .split_once('=')
                .unwrap_or((&assignment.text, ""));
            let target = target.trim_end_matches('+');
            match assignable_name(target) {
                None => self.opaque(
                    format!("assigns to `{target}`, which is not a plain variable name"),
                    assignment.text.clone(),
                ),
                Some(name) => {
                    let integer = !assignment.dynamic && is_integer_literal(value);
                    self.assigned(name, integer);
                }
            }
            if let Some(reason) = wrappers::risky_assignment(assignment) {
                self.opaque(reason, assignment.text.clone());
            }
            command.assignments.push(assignment.text.clone());
        }
    }

    /// Lists a command, peeling wrappers until the command actually run is reached.
    fn resolve(&mut self, mut command: SimpleCommand, scope: &Scope) {
        loop {
            let Some(program) = command.argv.first() else {
                self.redirects_only(&Scope {
                    redirects: command.redirects,
                    wrappers: command.wrappers,
                    invocations: command.invocations,
                    ..Scope::default()
                });
                return;
            };
            if program.dynamic {
                self.opaque("the command name is only known at run time", command.text());
                self.analysis.commands.push(command);
                return;
            }
            match wrappers::resolve(&command.argv) {
                Resolution::Plain => break,
                Resolution::Opaque(reason) => {
                    self.opaque(reason, command.text());
                    break;
                }
                Resolution::Wrapped {
                    wrapper,
                    inner,
                    assignments,
                } => {
                    self.assign(&mut command, &assignments);
                    command.wrappers.push(wrapper);
                    command.invocations.push(command.text());
                    command.argv = inner;
                }
                Resolution::ShellCode {
                    wrapper,
                    code,
                    keep_self,
                    opaque,
                } => {
                    if let Some(reason) = opaque {
                        self.opaque(reason, command.text());
                    }
                    if keep_self {
                        self.analysis.commands.push(command.clone());
                    }
                    self.shell_code(&command, wrapper, &code, scope);
                    return;
                }
                Resolution::Find(actions) => {
                    self.analysis.commands.push(command.clone());
                    self.find_actions(&command, actions, scope);
                    return;
                }
            }
        }
        self.builtin(&command, scope);
        self.analysis.commands.push(command);
    }

    /// Walks the code a command runs as a string, giving it the command's wrappers and
    /// redirections.
    fn shell_code(&mut self, command: &SimpleCommand, wrapper: String, code: &Word, scope: &Scope) {
        if code.dynamic {
            self.opaque("shell code only known at run time", code.text.clone());
            return;
        }
        let Some(mut inner) = self.enter(scope, &code.text) else {
            return;
        };
        inner.wrappers = command.wrappers.clone();
        inner.wrappers.push(wrapper);
        inner.invocations = command.invocations.clone();
        inner.invocations.push(command.text());
        inner.redirects = command.redirects.clone();
        self.code(&code.text, &inner);
    }

    /// Lists the commands of `find -exec`-style actions; they inherit find's environment and
    /// redirections.
    fn find_actions(&mut self, find: &SimpleCommand, actions: Vec<Vec<Word>>, scope: &Scope) {
        let Some(inner) = self.enter(scope, &find.text()) else {
            return;
        };
        for argv in actions {
            let mut action = find.clone();
            action.argv = argv;
            action.wrappers.push("find".to_owned());
            action.invocations.push(find.text());
            self.resolve(action, &inner);
        }
    }
}

/// `-v NAME` and `-R NAME`: bash looks the name up, evaluating any subscript.
fn names_variable(predicate: &ast::UnaryPredicate) -> bool {
    matches!(
        predicate,
        ast::UnaryPredicate::ShellVariableIsSetAndAssigned
            | ast::UnaryPredicate::ShellVariableIsSetAndNameRef
    )
}

fn is_arithmetic(predicate: &ast::BinaryPredicate) -> bool {
    use ast::BinaryPredicate as P;
    matches!(
        predicate,
        P::ArithmeticEqualTo
            | P::ArithmeticNotEqualTo
            | P::ArithmeticLessThan
            | P::ArithmeticLessThanOrEqualTo
            | P::ArithmeticGreaterThan
            | P::ArithmeticGreaterThanOrEqualTo
    )
}
