//! `web_fetch`'s URL rules, as Kiro applies them and stricter where the
//! network is concerned: only `http`/`https`; a `blocked` pattern denies
//! (one that does not compile blocks every URL); a URL whose host is a
//! loopback, private, link-local or otherwise internal address (written
//! as a literal, or `localhost`) is denied unless a `trusted` pattern
//! names it; a `trusted` pattern runs the fetch unasked; otherwise the
//! tool runs unasked only when `allowedTools` or the session trusts it,
//! and asks. Names that resolve to internal addresses are caught when the
//! fetch resolves them (see `tools::web_fetch`), with the same rule.

use std::net::IpAddr;

use url::{Host, Url};

use crate::config::agent::UrlRules;

use super::decision::{Judgement, Reason, Verdict};

/// Judges fetching `raw` under `rules`; `pre_approved` is why the tool
/// runs unasked, if it does.
pub(super) fn judge_url(
    rules: &UrlRules,
    raw: &str,
    pre_approved: Option<&Reason>,
    judgement: &mut Judgement,
) {
    let url = match Url::parse(raw) {
        Ok(url) => url,
        Err(e) => {
            return judgement.add(Reason::new(
                Verdict::Deny,
                format!("`{raw}` is not a URL ({e})"),
            ));
        }
    };
    if !matches!(url.scheme(), "http" | "https") {
        return judgement.add(Reason::new(
            Verdict::Deny,
            format!(
                "only http and https URLs are fetched, not `{}:`",
                url.scheme()
            ),
        ));
    }
    if let Some(rule) = rules
        .blocked
        .iter()
        .find(|r| pattern_matches(&r.value, raw))
    {
        return judgement.add(
            Reason::new(Verdict::Deny, "matches `web_fetch.blocked`")
                .citing(&rule.value.source, &rule.origin),
        );
    }
    let trusted = rules
        .trusted
        .iter()
        .find(|r| pattern_matches(&r.value, raw));
    if trusted.is_none()
        && let Some(why) = internal_host(&url)
    {
        return judgement.add(Reason::new(
            Verdict::Deny,
            format!("{why}; only a `web_fetch.trusted` pattern that names it lets it be fetched"),
        ));
    }
    let reason = match (trusted, pre_approved) {
        (Some(rule), _) => Reason::new(Verdict::Allow, "matches `web_fetch.trusted`")
            .citing(&rule.value.source, &rule.origin),
        (None, Some(reason)) => reason.clone(),
        (None, None) => Reason::new(
            Verdict::Ask,
            "the URL matches no `web_fetch.trusted` pattern and the tool is not in `allowedTools`",
        ),
    };
    judgement.add(reason);
}

/// True when a `trusted` pattern names `raw` (a redirect target, say).
pub fn trusted(rules: &UrlRules, raw: &str) -> bool {
    rules.trusted.iter().any(|r| pattern_matches(&r.value, raw))
}

/// True when a `blocked` pattern matches `raw`.
pub fn blocked(rules: &UrlRules, raw: &str) -> bool {
    rules.blocked.iter().any(|r| pattern_matches(&r.value, raw))
}

/// A pattern that does not compile matches everything: it only ever
/// stands in a deny list (trusted ones are dropped when read).
fn pattern_matches(pattern: &crate::config::agent::CommandPattern, raw: &str) -> bool {
    pattern
        .regex
        .as_ref()
        .is_none_or(|regex| regex.is_match(raw))
}

/// Why `url`'s host is internal, when it is written as such.
fn internal_host(url: &Url) -> Option<String> {
    match url.host()? {
        Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            (name == "localhost" || name.ends_with(".localhost"))
                .then(|| format!("`{name}` is this machine"))
        }
        Host::Ipv4(ip) => internal_address(IpAddr::V4(ip)),
        Host::Ipv6(ip) => internal_address(IpAddr::V6(ip)),
    }
}

/// Why `ip` is not a public address, if it is not: loopback, private,
/// link-local (cloud metadata lives there), shared, unspecified,
/// multicast, or an IPv6 form of one of them.
pub fn internal_address(ip: IpAddr) -> Option<String> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    let internal = match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    };
    internal.then(|| format!("{ip} is an internal address"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::agent::{AgentSource, CommandPattern, Origin, Rule};
    use crate::config::error::JsonPath;

    fn rules(trusted: &[&str], blocked: &[&str]) -> UrlRules {
        let rule = |source: &&str| Rule {
            value: CommandPattern::new(source).unwrap_or(CommandPattern {
                source: source.to_string(),
                regex: None,
            }),
            origin: Origin {
                source: AgentSource::BuiltIn,
                position: None,
                path: JsonPath::root(),
            },
        };
        UrlRules {
            trusted: trusted.iter().map(rule).collect(),
            blocked: blocked.iter().map(rule).collect(),
        }
    }

    fn verdict(rules: &UrlRules, url: &str, pre: bool) -> Verdict {
        let mut judgement = Judgement::default();
        let pre = pre.then(|| Reason::new(Verdict::Allow, "in allowedTools"));
        judge_url(rules, url, pre.as_ref(), &mut judgement);
        judgement.verdict()
    }

    #[test]
    fn blocked_wins_and_trusted_runs_unasked() {
        let r = rules(&[r"https://docs\.rs/.*"], &[r".*docs\.rs/evil.*"]);
        assert_eq!(verdict(&r, "https://docs.rs/serde", false), Verdict::Allow);
        assert_eq!(verdict(&r, "https://docs.rs/evil", true), Verdict::Deny);
        assert_eq!(verdict(&r, "https://example.com/", false), Verdict::Ask);
        assert_eq!(verdict(&r, "https://example.com/", true), Verdict::Allow);
        assert_eq!(
            verdict(&r, "https://docs.rs.evil.com/", false),
            Verdict::Ask,
            "anchored"
        );
    }

    #[test]
    fn a_broken_blocked_pattern_blocks_everything() {
        let r = rules(&[], &["(unclosed"]);
        assert_eq!(verdict(&r, "https://example.com/", true), Verdict::Deny);
    }

    #[test]
    fn internal_addresses_need_a_trusted_pattern_even_when_allowed() {
        let r = rules(&[r"http://127\.0\.0\.1:8080/.*"], &[]);
        for url in [
            "http://localhost/",
            "http://127.0.0.2/",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.1.2.3/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fd00::1]/",
            "http://0.0.0.0/",
            "http://2130706433/",
            "http://0x7f.1/",
        ] {
            assert_eq!(verdict(&r, url, true), Verdict::Deny, "{url}");
        }
        assert_eq!(
            verdict(&r, "http://127.0.0.1:8080/x", false),
            Verdict::Allow
        );
    }

    #[test]
    fn only_http_and_https() {
        let r = rules(&[".*"], &[]);
        for url in [
            "file:///etc/passwd",
            "ftp://example.com/",
            "gopher://x/",
            "not a url",
        ] {
            assert_eq!(verdict(&r, url, true), Verdict::Deny, "{url}");
        }
    }
}
