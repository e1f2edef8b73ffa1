//! A getopt-like scanner for the options of wrappers and of commands that write files.
//!
//! Wrappers are scanned strictly: an option that is not in the wrapper's [`OptionSpec`], or
//! a word whose value is only known at run time, is an error, because guessing how many
//! words an unknown option consumes could hide the wrapped command. Write-target scanning is
//! lenient instead: it only needs to find operands and errs towards listing too many.

use super::Word;

/// The options a program accepts, in getopt terms.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OptionSpec {
    /// Short options without a value: `-v`.
    pub flags: &'static str,
    /// Short options with a value, attached or in the next word: `-n 5`, `-n5`.
    pub valued: &'static str,
    /// Short options whose value can only be attached: `-i.bak`, `-i`.
    pub optional: &'static str,
    /// Long options without a value: `--verbose`.
    pub long_flags: &'static [&'static str],
    /// Long options with a value, after `=` or in the next word.
    pub long_valued: &'static [&'static str],
    /// Long options whose value can only follow `=`: `--in-place[=SUFFIX]`.
    pub long_optional: &'static [&'static str],
    /// Whether `-NUMBER` is an option (`nice -5`).
    pub numeric: bool,
    /// Long options the program knows but the caller does not accept. They are listed so
    /// that an abbreviation resolves as the program resolves it: with `output` here, `--out`
    /// is `--output`, not an unknown option.
    pub other_long: &'static [&'static str],
    /// Whether the program parses long options with GNU `getopt_long`, which takes any
    /// unique prefix of a long option for the option (`--out` for `--output`).
    pub abbreviations: bool,
}

impl OptionSpec {
    /// A program without options.
    pub const NONE: Self = Self {
        flags: "",
        valued: "",
        optional: "",
        long_flags: &[],
        long_valued: &[],
        long_optional: &[],
        numeric: false,
        other_long: &[],
        abbreviations: false,
    };

    /// Every long option the program knows, accepted or not.
    fn all_long(&self) -> impl Iterator<Item = &'static str> {
        let lists = [
            self.long_flags,
            self.long_valued,
            self.long_optional,
            self.other_long,
        ];
        lists.into_iter().flatten().copied()
    }

    /// The long option `written` stands for, as `getopt_long` resolves it: an exact name,
    /// or (with abbreviations) the one option it is a prefix of.
    pub fn resolve_long(&self, written: &str) -> Result<&'static str, String> {
        if let Some(exact) = self.all_long().find(|name| *name == written) {
            return Ok(exact);
        }
        if !self.abbreviations {
            return Err(format!("unknown option --{written}"));
        }
        let candidates: Vec<&'static str> = self
            .all_long()
            .filter(|name| name.starts_with(written))
            .collect();
        match candidates.as_slice() {
            [one] => Ok(one),
            [] => Err(format!("unknown option --{written}")),
            many => Err(format!(
                "--{written} is ambiguous (--{})",
                many.join(", --")
            )),
        }
    }
}

/// One option found by a scan, named as written (`-n`, `--adjustment`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedOption {
    pub name: String,
    pub value: Option<Word>,
}

/// The result of a scan: the options, and where the operands start or which they are.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scan {
    pub options: Vec<ParsedOption>,
    pub operands: Vec<Word>,
}

impl Scan {
    /// Whether an option with any of these names was given.
    pub fn has(&self, names: &[&str]) -> bool {
        self.options
            .iter()
            .any(|option| names.contains(&option.name.as_str()))
    }

    /// The value of the last option with any of these names.
    pub fn value(&self, names: &[&str]) -> Option<&Word> {
        let mut matching = self.options.iter().rev();
        let option = matching.find(|option| names.contains(&option.name.as_str()))?;
        option.value.as_ref()
    }
}

/// Scans the options of a wrapper, stopping at the first operand (or after `--`); the
/// operands are the rest of `args`. Unknown or run-time options are an error.
pub(crate) fn scan_strict(args: &[Word], spec: &OptionSpec) -> Result<Scan, String> {
    let mut scan = Scan::default();
    let mut index = 0;
    while let Some(word) = args.get(index) {
        if word.dynamic {
            return Err(format!("option `{}` is only known at run time", word.text));
        }
        if word.text == "--" {
            index += 1;
            break;
        }
        if !is_option(&word.text) {
            break;
        }
        index = parse_option_word(args, index, spec, &mut scan.options)?;
    }
    scan.operands = args.get(index..).unwrap_or_default().to_vec();
    Ok(scan)
}

/// Scans all of `args` GNU-style (options may follow operands, until `--`), strictly: an
/// unknown or refused option is an error, and so is a word only known at run time that
/// could expand to an option (`$OPT`, `-$X`). A run-time word that starts with static text
/// or a glob is an operand.
pub(crate) fn scan_permuted(args: &[Word], spec: &OptionSpec) -> Result<Scan, String> {
    let mut scan = Scan::default();
    let mut index = 0;
    while let Some(word) = args.get(index) {
        if word.text == "--" && !word.dynamic {
            scan.operands
                .extend_from_slice(args.get(index + 1..).unwrap_or_default());
            break;
        }
        if word.dynamic && could_be_option(&word.text) && !has_static_name(&word.text) {
            return Err(format!(
                "`{}` is only known at run time and could be an option",
                word.text
            ));
        }
        if (word.dynamic && !has_static_name(&word.text)) || !is_option(&word.text) {
            scan.operands.push(word.clone());
            index += 1;
            continue;
        }
        index = parse_option_word(args, index, spec, &mut scan.options)?;
    }
    Ok(scan)
}

/// A long option with a static name and a run-time value, `--file=$HOME/x`: its name is
/// known, so it is judged as that option.
fn has_static_name(text: &str) -> bool {
    text.strip_prefix("--")
        .and_then(|rest| rest.split_once('='))
        .is_some_and(|(name, _)| !name.contains(['$', '`', '*', '?', '[', '{']))
}

/// Whether run-time text may expand to a word that starts with `-`.
fn could_be_option(text: &str) -> bool {
    text.starts_with(['-', '$', '`'])
}

/// Scans all of `args` GNU-style (options may follow operands), treating unknown options as
/// flags and run-time words as operands.
pub(crate) fn scan_lenient(args: &[Word], spec: &OptionSpec) -> Scan {
    let mut scan = Scan::default();
    let mut index = 0;
    while let Some(word) = args.get(index) {
        if word.text == "--" && !word.dynamic {
            scan.operands
                .extend_from_slice(args.get(index + 1..).unwrap_or_default());
            break;
        }
        if word.dynamic || !is_option(&word.text) {
            scan.operands.push(word.clone());
            index += 1;
            continue;
        }
        index = parse_option_word(args, index, spec, &mut scan.options).unwrap_or(index + 1);
    }
    scan
}

fn is_option(text: &str) -> bool {
    text.len() > 1 && text.starts_with('-')
}

/// Parses the option word at `index`, appending to `options`; returns the index of the
/// next unconsumed word.
fn parse_option_word(
    args: &[Word],
    index: usize,
    spec: &OptionSpec,
    options: &mut Vec<ParsedOption>,
) -> Result<usize, String> {
    let text = args.get(index).map_or("", |word| word.text.as_str());
    if let Some(long) = text.strip_prefix("--") {
        return parse_long(args, index, long, spec, options);
    }
    let cluster = text.get(1..).unwrap_or_default();
    if spec.numeric && cluster.chars().all(|c| c.is_ascii_digit()) {
        options.push(ParsedOption {
            name: text.to_owned(),
            value: None,
        });
        return Ok(index + 1);
    }
    parse_short_cluster(args, index, cluster, spec, options)
}

fn parse_long(
    args: &[Word],
    index: usize,
    long: &str,
    spec: &OptionSpec,
    options: &mut Vec<ParsedOption>,
) -> Result<usize, String> {
    let (written, attached) = match long.split_once('=') {
        Some((name, value)) => (
            name,
            Some(Word {
                text: value.to_owned(),
                dynamic: args.get(index).is_some_and(|word| word.dynamic),
            }),
        ),
        None => (long, None),
    };
    let name = spec.resolve_long(written)?;
    if spec.other_long.contains(&name) {
        return Err(format!(
            "--{written} is --{name}, which is not accepted here"
        ));
    }
    let mut next = index + 1;
    let value = if spec.long_flags.contains(&name) && attached.is_none() {
        None
    } else if spec.long_optional.contains(&name) {
        attached
    } else if spec.long_valued.contains(&name) {
        match attached {
            Some(value) => Some(value),
            None => {
                next += 1;
                Some(missing_value(args.get(index + 1), name)?)
            }
        }
    } else {
        return Err(format!("unknown option --{name}"));
    };
    options.push(ParsedOption {
        name: format!("--{name}"),
        value,
    });
    Ok(next)
}

fn parse_short_cluster(
    args: &[Word],
    index: usize,
    cluster: &str,
    spec: &OptionSpec,
    options: &mut Vec<ParsedOption>,
) -> Result<usize, String> {
    for (position, option) in cluster.char_indices() {
        let name = format!("-{option}");
        let rest = cluster
            .get(position + option.len_utf8()..)
            .unwrap_or_default();
        if spec.flags.contains(option) {
            options.push(ParsedOption { name, value: None });
        } else if spec.optional.contains(option) {
            let value = (!rest.is_empty()).then(|| Word::literal(rest));
            options.push(ParsedOption { name, value });
            return Ok(index + 1);
        } else if spec.valued.contains(option) {
            if !rest.is_empty() {
                let value = Some(Word::literal(rest));
                options.push(ParsedOption { name, value });
                return Ok(index + 1);
            }
            let value = Some(missing_value(args.get(index + 1), &name)?);
            options.push(ParsedOption { name, value });
            return Ok(index + 2);
        } else {
            return Err(format!("unknown option {name}"));
        }
    }
    Ok(index + 1)
}

fn missing_value(value: Option<&Word>, name: &str) -> Result<Word, String> {
    value
        .cloned()
        .ok_or_else(|| format!("option {name} is missing its value"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<Word> {
        line.split_whitespace().map(Word::literal).collect()
    }

    const SPEC: OptionSpec = OptionSpec {
        flags: "ab",
        valued: "n",
        optional: "i",
        long_flags: &["verbose"],
        long_valued: &["size"],
        long_optional: &["in-place"],
        ..OptionSpec::NONE
    };

    #[test]
    fn strict_scan_stops_at_first_operand() {
        let scan = scan_strict(&words("-ab -n 5 --size=3 --verbose cmd -a"), &SPEC).unwrap();
        assert_eq!(scan.operands, words("cmd -a"));
        assert_eq!(scan.value(&["-n"]), Some(&Word::literal("5")));
        assert_eq!(scan.value(&["--size"]), Some(&Word::literal("3")));
        assert!(scan.has(&["-b", "--verbose"]));
    }

    #[test]
    fn strict_scan_rejects_unknown_missing_and_dynamic() {
        assert!(scan_strict(&words("-z cmd"), &SPEC).is_err());
        assert!(scan_strict(&words("--weird cmd"), &SPEC).is_err());
        assert!(scan_strict(&words("--verbose=1 cmd"), &SPEC).is_err());
        assert!(scan_strict(&words("-n"), &SPEC).is_err());
        let dynamic = vec![Word {
            text: "$OPT".into(),
            dynamic: true,
        }];
        assert!(scan_strict(&dynamic, &SPEC).is_err());
    }

    #[test]
    fn attached_and_optional_values() {
        let scan = scan_strict(&words("-n5 -i.bak -- -x"), &SPEC).unwrap();
        assert_eq!(scan.value(&["-n"]), Some(&Word::literal("5")));
        assert_eq!(scan.value(&["-i"]), Some(&Word::literal(".bak")));
        assert_eq!(scan.operands, words("-x"));
    }

    #[test]
    fn lenient_scan_permutes_and_tolerates() {
        let scan = scan_lenient(&words("a -z b --in-place c -n 1 -- -d"), &SPEC);
        assert_eq!(scan.operands, words("a b c -d"));
        assert!(scan.has(&["--in-place"]));
    }
}
