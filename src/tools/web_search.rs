//! `web_search {query}`: a web search through the backend the user set in
//! `web.searchProvider`: a SearXNG instance (`searxng:URL`, its JSON API),
//! Brave Search (`brave`, key from `BRAVE_API_KEY`) or Tavily (`tavily`,
//! key from `TAVILY_API_KEY`); `brave:URL` and `tavily:URL` point the same
//! APIs elsewhere (a proxy, a test server); `mcp:SERVER/TOOL` sends the
//! query to an MCP server's search tool, a call the session makes (see
//! [`mcp_backend`]). The backend is the user's own
//! choice, so its address is not held to `web_fetch`'s rules. With none
//! set, the tool tells the model so as a normal result: a missing search
//! backend is not a failed turn.

use serde_json::{Value, json};

use super::registry::{Tool, Touches};
use super::web_fetch::{block_on, timeout};
use super::{ToolContext, ToolOutput, required_str};

/// Results returned at most.
const MAX_RESULTS: usize = 10;

/// The `web_search` tool.
pub struct WebSearch;

/// A configured backend.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Provider {
    Searxng(String),
    Brave(String),
    Tavily(String),
}

/// One search hit.
struct Hit {
    title: String,
    url: String,
    snippet: String,
}

impl Tool for WebSearch {
    fn name(&self) -> &'static str {
        "web_search"
    }

    fn description(&self) -> &'static str {
        "Search the web for current information the workspace cannot answer; returns titles, URLs and snippets. Cite the URLs you use."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {"query": {"type": "string", "description": "The search query"}},
            "required": ["query"]
        })
    }

    fn touches(&self) -> Touches {
        Touches::Nothing
    }

    fn run(&self, input: &Value, context: &ToolContext) -> ToolOutput {
        let query = match required_str(input, "query") {
            Ok(query) => query,
            Err(error) => return error,
        };
        let setting = context.session.settings.text("web.searchProvider");
        let provider = match setting.map(provider) {
            None => {
                return ToolOutput::ok(
                    "web search is not configured here (the user can set `agent settings web.searchProvider searxng:URL`, `brave` or `tavily`); answer from what you know or the workspace, and say that you could not search",
                );
            }
            Some(Err(problem)) => return ToolOutput::error(problem),
            Some(Ok(provider)) => provider,
        };
        match block_on(search(&provider, query, context)) {
            Ok(hits) if hits.is_empty() => ToolOutput::ok(format!("no results for `{query}`")),
            Ok(hits) => ToolOutput::ok(render(&hits)),
            Err(problem) => ToolOutput::error(problem),
        }
    }
}

/// The MCP tool a `web.searchProvider` of `mcp:SERVER/TOOL` names, as
/// `@SERVER/TOOL`: the session sends the query (`{"query": …}`) to it as
/// an MCP call of its own, under the agent's rules for that tool.
pub fn mcp_backend(setting: &str) -> Option<String> {
    let (server, tool) = setting.strip_prefix("mcp:")?.split_once('/')?;
    (!server.is_empty() && !tool.is_empty()).then(|| format!("@{server}/{tool}"))
}

/// Reads `web.searchProvider`.
fn provider(setting: &str) -> Result<Provider, String> {
    let (name, url) = match setting.split_once(':') {
        Some((name, url)) => (name, Some(url.to_string())),
        None => (setting, None),
    };
    match (name, url) {
        ("searxng", Some(url)) => Ok(Provider::Searxng(url)),
        ("brave", url) => Ok(Provider::Brave(url.unwrap_or_else(|| {
            "https://api.search.brave.com/res/v1/web/search".into()
        }))),
        ("tavily", url) => Ok(Provider::Tavily(
            url.unwrap_or_else(|| "https://api.tavily.com/search".into()),
        )),
        _ => Err(format!(
            "`web.searchProvider` is `{setting}`; use `searxng:URL`, `brave`, `tavily` or `mcp:SERVER/TOOL`"
        )),
    }
}

/// Asks the backend.
async fn search(provider: &Provider, query: &str, context: &ToolContext) -> Result<Vec<Hit>, String> {
    let client = reqwest::Client::builder()
        .timeout(timeout(context))
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
    let key = |variable: &str| {
        std::env::var(variable)
            .ok()
            .filter(|k| !k.is_empty())
            .ok_or_else(|| format!("`web.searchProvider` needs {variable} in the environment"))
    };
    let with_query = |base: &str, pairs: &[(&str, &str)]| {
        url::Url::parse_with_params(base, pairs)
            .map_err(|e| format!("`web.searchProvider`'s URL `{base}` is not a URL: {e}"))
    };
    let request = match provider {
        Provider::Searxng(url) => {
            let base = format!("{}/search", url.trim_end_matches('/'));
            client.get(with_query(&base, &[("q", query), ("format", "json")])?)
        }
        Provider::Brave(url) => client
            .get(with_query(url, &[("q", query)])?)
            .header("X-Subscription-Token", key("BRAVE_API_KEY")?),
        Provider::Tavily(url) => client
            .post(url)
            .json(&json!({"api_key": key("TAVILY_API_KEY")?, "query": query, "max_results": MAX_RESULTS})),
    };
    let response = request
        .send()
        .await
        .map_err(|e| format!("the search backend failed: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("the search backend answered {status}"));
    }
    let body: Value = response
        .json()
        .await
        .map_err(|e| format!("the search backend's answer is not JSON: {e}"))?;
    Ok(hits(provider, &body))
}

/// The hits in a backend's answer.
fn hits(provider: &Provider, body: &Value) -> Vec<Hit> {
    let (list, snippet_key) = match provider {
        Provider::Searxng(_) | Provider::Tavily(_) => (&body["results"], "content"),
        Provider::Brave(_) => (&body["web"]["results"], "description"),
    };
    let text = |item: &Value, key: &str| item[key].as_str().unwrap_or_default().to_string();
    list.as_array()
        .map(|items| {
            items
                .iter()
                .take(MAX_RESULTS)
                .map(|item| Hit {
                    title: text(item, "title"),
                    url: text(item, "url"),
                    snippet: text(item, snippet_key),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Hits as a numbered list.
fn render(hits: &[Hit]) -> String {
    hits.iter()
        .enumerate()
        .map(|(i, hit)| format!("{}. {}\n   {}\n   {}", i + 1, hit.title, hit.url, hit.snippet))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_are_read_from_the_setting() {
        assert_eq!(
            provider("searxng:http://127.0.0.1:8888"),
            Ok(Provider::Searxng("http://127.0.0.1:8888".into()))
        );
        assert!(matches!(provider("brave"), Ok(Provider::Brave(url)) if url.contains("brave.com")));
        assert!(provider("searxng").is_err());
        assert_eq!(mcp_backend("mcp:search/web_search").as_deref(), Some("@search/web_search"));
        assert_eq!(mcp_backend("mcp:search"), None);
        assert_eq!(mcp_backend("searxng:http://x/"), None);
        assert!(provider("google").unwrap_err().contains("`google`"));
    }

    #[test]
    fn each_backend_shape_gives_hits() {
        let brave = json!({"web": {"results": [{"title": "T", "url": "https://u", "description": "D"}]}});
        let found = hits(&Provider::Brave(String::new()), &brave);
        assert_eq!((found[0].title.as_str(), found[0].snippet.as_str()), ("T", "D"));
        let searx = json!({"results": [{"title": "S", "url": "https://s", "content": "C"}]});
        assert_eq!(render(&hits(&Provider::Searxng(String::new()), &searx)), "1. S\n   https://s\n   C");
    }
}
