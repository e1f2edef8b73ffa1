//! `web_fetch {url, mode?, search_terms?}`: one HTTP GET, the page as
//! Markdown. Kiro's input and modes (`selective` around `search_terms`,
//! `truncated`, `full`). The policy judged the URL (see
//! `policy::web`); the fetch holds the same line where only the network
//! can tell:
//!
//! - the host's name is resolved here and the connection pinned to the
//!   addresses checked, so a name that resolves to a loopback, private or
//!   link-local address is refused unless a `trusted` pattern names the
//!   URL, and the answer cannot change between check and connect;
//! - a redirect is followed only to a URL that no `blocked` pattern
//!   matches and that a `trusted` pattern names or that stays on the
//!   approved URL's scheme, host and port; any other is reported for the
//!   model to fetch on its own (judged afresh);
//! - at most [`MAX_BODY_BYTES`] are read, within the timeout
//!   (`web.fetchTimeoutSecs`, default 30 s).

use std::net::SocketAddr;
use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};
use url::Url;

use crate::policy::web::{blocked, internal_address, trusted};

use super::registry::{Tool, Touches};
use super::{ToolContext, ToolOutput, optional_str, required_str};

/// Bytes of a response read at most.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// Redirects followed at most.
const MAX_REDIRECTS: usize = 5;
/// Characters kept in `truncated` mode (Kiro's figure).
const TRUNCATED_CHARS: usize = 8000;
/// Lines kept around each match in `selective` mode.
const CONTEXT_LINES: usize = 10;
/// Seconds waited for a server unless the settings say otherwise.
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;

/// The `web_fetch` tool.
pub struct WebFetch;

impl Tool for WebFetch {
    fn name(&self) -> &'static str {
        "web_fetch"
    }

    fn description(&self) -> &'static str {
        "Fetch a web page (GET) as Markdown. Modes: 'selective' (default: the parts around `search_terms`, or the beginning), 'truncated' (first 8000 characters), 'full'."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "url": {"type": "string", "description": "URL to fetch"},
                "mode": {"type": "string", "enum": ["selective", "truncated", "full"]},
                "search_terms": {"type": "string", "description": "Keywords for selective mode"}
            },
            "required": ["url"]
        })
    }

    fn touches(&self) -> Touches {
        Touches::Nothing
    }

    fn run(&self, input: &Value, context: &ToolContext) -> ToolOutput {
        let raw = match required_str(input, "url") {
            Ok(url) => url,
            Err(error) => return error,
        };
        let page = match block_on(fetch(raw, context)) {
            Ok(page) => page,
            Err(problem) => return ToolOutput::error(problem),
        };
        let text = match optional_str(input, "mode").unwrap_or("selective") {
            "full" => page,
            "truncated" => page.chars().take(TRUNCATED_CHARS).collect(),
            _ => selective(&page, optional_str(input, "search_terms")),
        };
        ToolOutput::ok(text)
    }
}

/// Runs `future` on a runtime of its own (the tool runs on a blocking
/// thread, outside the session's).
pub(crate) fn block_on<T>(future: impl Future<Output = Result<T, String>>) -> Result<T, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the network runtime: {e}"))?
        .block_on(future)
}

/// The timeout the settings give.
pub(crate) fn timeout(context: &ToolContext) -> Duration {
    let secs = context
        .session
        .settings
        .count("web.fetchTimeoutSecs", DEFAULT_TIMEOUT_SECS);
    Duration::from_secs(secs.max(1))
}

/// Fetches `raw` (redirects included, within the rules) as text.
async fn fetch(raw: &str, context: &ToolContext) -> Result<String, String> {
    let approved = Url::parse(raw).map_err(|e| format!("`{raw}` is not a URL: {e}"))?;
    let rules = &context.session.urls;
    let mut url = approved.clone();
    for _ in 0..=MAX_REDIRECTS {
        let response = get(&url, context).await?;
        let status = response.status();
        if !status.is_redirection() {
            if !status.is_success() {
                return Err(format!("{url} answered {status}"));
            }
            return body_text(response).await;
        }
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| format!("{url} answered {status} without a Location"))?;
        let next = url
            .join(location)
            .map_err(|e| format!("{url} redirected to `{location}`, which is not a URL: {e}"))?;
        if blocked(rules, next.as_str()) {
            return Err(format!(
                "{url} redirected to {next}, which matches `web_fetch.blocked`; not followed"
            ));
        }
        let same_place = next.scheme() == approved.scheme()
            && next.host() == approved.host()
            && next.port_or_known_default() == approved.port_or_known_default();
        if !same_place && !trusted(rules, next.as_str()) {
            return Err(format!(
                "{url} redirected to {next}, another site that no `web_fetch.trusted` pattern names; not followed. Fetch it with its own call if it is needed (it will be judged on its own)."
            ));
        }
        url = next;
    }
    Err(format!("more than {MAX_REDIRECTS} redirects from {raw}"))
}

/// One GET of `url`, connected only to addresses that passed the check.
async fn get(url: &Url, context: &ToolContext) -> Result<reqwest::Response, String> {
    let host = url
        .host_str()
        .ok_or_else(|| format!("{url} has no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = url
        .port_or_known_default()
        .ok_or_else(|| format!("{url} has no port"))?;
    let addresses = checked_addresses(url, &host, port, context).await?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout(context))
        .user_agent(concat!("agent/", env!("CARGO_PKG_VERSION")))
        .resolve_to_addrs(&host, &addresses)
        .no_proxy()
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
    client
        .get(url.as_str())
        .send()
        .await
        .map_err(|e| format!("fetching {url} failed: {}", without_url(&e)))
}

/// The addresses `host` resolves to, refused when one is internal and no
/// `trusted` pattern names the URL.
async fn checked_addresses(
    url: &Url,
    host: &str,
    port: u16,
    context: &ToolContext,
) -> Result<Vec<SocketAddr>, String> {
    let addresses: Vec<SocketAddr> = tokio::time::timeout(
        timeout(context),
        tokio::net::lookup_host((host, port)),
    )
    .await
    .map_err(|_| format!("resolving {host} timed out"))?
    .map_err(|e| format!("cannot resolve {host}: {e}"))?
    .collect();
    if addresses.is_empty() {
        return Err(format!("{host} resolves to no address"));
    }
    if !trusted(&context.session.urls, url.as_str())
        && let Some(why) = addresses.iter().find_map(|a| internal_address(a.ip()))
    {
        return Err(format!(
            "{host} resolves to {why}; only a `web_fetch.trusted` pattern that names the URL lets it be fetched"
        ));
    }
    Ok(addresses)
}

/// The response as text: HTML as Markdown, other text as it is, at most
/// [`MAX_BODY_BYTES`] read.
async fn body_text(response: reqwest::Response) -> Result<String, String> {
    let kind = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut bytes = Vec::new();
    let mut cut = false;
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| format!("reading the response failed: {}", without_url(&e)))?;
        let room = MAX_BODY_BYTES - bytes.len();
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if chunk.len() > room {
            cut = true;
            break;
        }
    }
    if super::text::looks_binary(&bytes) {
        return Err(format!("the response is not text ({kind})"));
    }
    let text = String::from_utf8_lossy(&bytes);
    let mut page = match kind.contains("html") {
        true => htmd::HtmlToMarkdown::builder()
            .skip_tags(vec!["script", "style", "noscript", "svg", "head"])
            .build()
            .convert(&text)
            .map_err(|e| format!("cannot read the page as HTML: {e}"))?,
        false => text.into_owned(),
    };
    if cut {
        page.push_str(&format!(
            "\n\n(the response was cut at {} MiB)",
            MAX_BODY_BYTES / (1024 * 1024)
        ));
    }
    Ok(page)
}

/// reqwest's error without the URL it repeats (the message names it).
fn without_url(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(&format!(" for url ({url})"), "");
    }
    match std::error::Error::source(error) {
        Some(source) => format!("{text}: {source}"),
        None => text,
    }
}

/// The lines around each line that holds one of `terms` (any case), or
/// the page's beginning without terms or matches.
fn selective(page: &str, terms: Option<&str>) -> String {
    let lines: Vec<&str> = page.lines().collect();
    let words: Vec<String> = terms
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    let mut keep = vec![false; lines.len()];
    for (i, line) in lines.iter().enumerate() {
        let lower = line.to_lowercase();
        if words.iter().any(|w| lower.contains(w.as_str())) {
            let end = (i + CONTEXT_LINES + 1).min(lines.len());
            keep[i.saturating_sub(CONTEXT_LINES)..end].fill(true);
        }
    }
    if !keep.contains(&true) {
        return page.chars().take(TRUNCATED_CHARS).collect();
    }
    let mut out = String::new();
    let mut gap = false;
    for (line, kept) in lines.iter().zip(keep) {
        match kept {
            true => {
                out.push_str(line);
                out.push('\n');
                gap = false;
            }
            false if !gap => {
                out.push_str("…\n");
                gap = true;
            }
            false => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selective_keeps_the_lines_around_matches() {
        let page: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let page = page.replace("line 50\n", "the PRICING table\n");
        let out = selective(&page, Some("pricing"));
        assert!(out.contains("line 40\n") && out.contains("line 60\n"));
        assert!(!out.contains("line 39\n") && !out.contains("line 61\n"));
        assert!(out.starts_with("…\n"));
        assert_eq!(selective("a\nb\n", Some("zzz")), "a\nb\n");
    }
}
