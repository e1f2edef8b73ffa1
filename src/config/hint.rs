//! "Did you mean …?" suggestions for misspelt names.

/// The candidate closest to `input`, if one is close enough to be a likely
/// typo. Case, `_` and `-` are ignored first, so `allowed_commands` finds
/// `allowedCommands` and `FS_WRITE` finds `fs_write`.
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = normalize(input);
    let mut best: Option<(f64, &'a str)> = None;
    for candidate in candidates {
        let score = strsim::jaro_winkler(&wanted, &normalize(candidate));
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, candidate));
        }
    }
    best.filter(|(score, _)| *score >= 0.85).map(|(_, c)| c)
}

/// `did you mean `X`?`, when there is an X.
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(input, candidates).map(|c| format!("did you mean `{c}`?"))
}

fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_camel_case_for_snake_case() {
        let keys = ["allowedCommands", "deniedCommands", "autoAllowReadonly"];
        assert_eq!(closest("allowed_commands", keys), Some("allowedCommands"));
        assert_eq!(closest("denyCommands", keys), Some("deniedCommands"));
        assert_eq!(
            closest("autoAllowReadOnly", keys),
            Some("autoAllowReadonly")
        );
    }

    #[test]
    fn unrelated_names_get_no_hint() {
        assert_eq!(
            closest("banana", ["allowedCommands", "deniedCommands"]),
            None
        );
        assert_eq!(closest("x", std::iter::empty()), None);
    }
}
