//! Collecting a command's words and redirections, and the code their expansion runs.

use brush_parser::ast;

use super::words::{self, Embedded};
use super::{Redirect, RedirectKind, Word};

/// The words and redirections of one command, with the code their expansion runs.
#[derive(Default)]
pub(super) struct Parts<'a> {
    pub argv: Vec<Word>,
    pub assignments: Vec<Word>,
    pub redirects: Vec<Redirect>,
    pub embedded: Vec<Embedded>,
    pub process_substitutions: Vec<&'a ast::SubshellCommand>,
}

impl<'a> Parts<'a> {
    pub fn word(&mut self, word: &ast::Word) -> Word {
        let analyzed = words::analyze_word(&word.value);
        self.embedded.extend(analyzed.embedded);
        analyzed.word
    }

    pub fn item(&mut self, item: &'a ast::CommandPrefixOrSuffixItem, in_prefix: bool) {
        match item {
            ast::CommandPrefixOrSuffixItem::IoRedirect(redirect) => self.redirect(redirect),
            ast::CommandPrefixOrSuffixItem::AssignmentWord(_, word) if in_prefix => {
                let word = self.word(word);
                self.assignments.push(word);
            }
            ast::CommandPrefixOrSuffixItem::Word(word)
            | ast::CommandPrefixOrSuffixItem::AssignmentWord(_, word) => {
                let word = self.word(word);
                self.argv.push(word);
            }
            ast::CommandPrefixOrSuffixItem::ProcessSubstitution(kind, subshell) => {
                self.process_substitutions.push(subshell);
                self.argv.push(process_substitution_word(kind));
            }
        }
    }

    pub fn redirect(&mut self, redirect: &'a ast::IoRedirect) {
        let (fd, kind, target) = match redirect {
            ast::IoRedirect::File(fd, kind, target) => (*fd, file_kind(kind), self.target(target)),
            ast::IoRedirect::HereDocument(fd, doc) => {
                (*fd, RedirectKind::HereDoc, self.here_doc(doc))
            }
            ast::IoRedirect::HereString(fd, word) => {
                (*fd, RedirectKind::HereString, self.word(word))
            }
            ast::IoRedirect::OutputAndError(word, append) => {
                let kind = if *append {
                    RedirectKind::Append
                } else {
                    RedirectKind::Write
                };
                (None, kind, self.word(word))
            }
        };
        self.redirects.push(Redirect { fd, kind, target });
    }

    fn target(&mut self, target: &'a ast::IoFileRedirectTarget) -> Word {
        match target {
            ast::IoFileRedirectTarget::Filename(word)
            | ast::IoFileRedirectTarget::Duplicate(word) => self.word(word),
            ast::IoFileRedirectTarget::Fd(fd) => Word::literal(fd.to_string()),
            ast::IoFileRedirectTarget::ProcessSubstitution(kind, subshell) => {
                self.process_substitutions.push(subshell);
                process_substitution_word(kind)
            }
        }
    }

    /// The body of a here-document; only an unquoted delimiter makes it expand.
    fn here_doc(&mut self, doc: &ast::IoHereDocument) -> Word {
        if !doc.requires_expansion {
            return Word::literal(doc.doc.value.clone());
        }
        let analyzed = words::analyze_heredoc(&doc.doc.value);
        self.embedded.extend(analyzed.embedded);
        analyzed.word
    }
}

fn file_kind(kind: &ast::IoFileRedirectKind) -> RedirectKind {
    match kind {
        ast::IoFileRedirectKind::Read => RedirectKind::Read,
        ast::IoFileRedirectKind::Write => RedirectKind::Write,
        ast::IoFileRedirectKind::Append => RedirectKind::Append,
        ast::IoFileRedirectKind::ReadAndWrite => RedirectKind::ReadWrite,
        ast::IoFileRedirectKind::Clobber => RedirectKind::Clobber,
        ast::IoFileRedirectKind::DuplicateInput => RedirectKind::DuplicateInput,
        ast::IoFileRedirectKind::DuplicateOutput => RedirectKind::DuplicateOutput,
    }
}

/// A `<(…)`/`>(…)` word: a path only known at run time. Its commands are listed separately.
fn process_substitution_word(kind: &ast::ProcessSubstitutionKind) -> Word {
    let text = match kind {
        ast::ProcessSubstitutionKind::Read => "<(…)",
        ast::ProcessSubstitutionKind::Write => ">(…)",
    };
    Word {
        text: text.to_owned(),
        dynamic: true,
    }
}
