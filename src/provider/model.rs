//! From a model id to the endpoint that serves it.
//!
//! Ids are `openai/NAME`, `anthropic/NAME`, `ollama/NAME` or `local/NAME`
//! (the small local model server of `scripts/local-model.sh`, at
//! `AGENT_LOCAL_MODEL_URL`, else `provider.local.baseUrl`, else
//! [`LOCAL_BASE_URL`]; a compact profile, see `engine::profile`); a bare
//! Kiro-style id is mapped by its name: `claude-*` to Anthropic, `gpt-*` and
//! `o1`/`o3`/`o4…` to OpenAI. Keys and endpoints come from the standard
//! variables (`OPENAI_API_KEY`, `OPENAI_BASE_URL`, `ANTHROPIC_API_KEY`,
//! `ANTHROPIC_BASE_URL`, `OLLAMA_BASE_URL`), else from the settings that
//! [`setting_for`] names; Ollama needs no key.

/// The wire protocol an endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// OpenAI-compatible Chat Completions (OpenAI, Ollama, vLLM, llama.cpp, …).
    OpenAi,
    /// Anthropic Messages.
    Anthropic,
    /// A recorded model read from a file (`replay/PATH`).
    Replay,
}

/// Where and how to reach a model.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The protocol.
    pub kind: ProviderKind,
    /// The base URL: with `/v1` for OpenAI-compatible servers, without for Anthropic.
    pub base_url: String,
    /// The key, if the endpoint needs one.
    pub api_key: Option<String>,
    /// The model name the server knows.
    pub model: String,
}

/// Never print a key, not even in debug output.
impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "(set)"))
            .field("model", &self.model)
            .finish()
    }
}

/// The setting that stands in for an environment variable when it is unset.
pub fn setting_for(variable: &str) -> Option<&'static str> {
    match variable {
        "OPENAI_API_KEY" => Some("provider.openai.apiKey"),
        "OPENAI_BASE_URL" => Some("provider.openai.baseUrl"),
        "ANTHROPIC_API_KEY" => Some("provider.anthropic.apiKey"),
        "ANTHROPIC_BASE_URL" => Some("provider.anthropic.baseUrl"),
        "OLLAMA_BASE_URL" => Some("provider.ollama.baseUrl"),
        "AGENT_LOCAL_MODEL_URL" => Some("provider.local.baseUrl"),
        _ => None,
    }
}

/// The default OpenAI endpoint.
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// The default Anthropic endpoint.
pub const ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";
/// Ollama's OpenAI-compatible endpoint on this machine.
pub const OLLAMA_BASE_URL: &str = "http://127.0.0.1:11434/v1";
/// The local model server `scripts/local-model.sh start` runs (llama.cpp).
pub const LOCAL_BASE_URL: &str = "http://127.0.0.1:18080/v1";

impl Endpoint {
    /// Resolves `model_id`, reading variables through `var`.
    pub fn resolve(
        model_id: &str,
        var: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Endpoint, String> {
        let (kind, model, ollama) = match model_id.split_once('/') {
            Some(("openai", name)) => (ProviderKind::OpenAi, name, false),
            Some(("anthropic", name)) => (ProviderKind::Anthropic, name, false),
            Some(("ollama", name)) => (ProviderKind::OpenAi, name, true),
            Some(("local", name)) if !name.is_empty() => {
                let base = var("AGENT_LOCAL_MODEL_URL").filter(|v| !v.is_empty());
                return Ok(Endpoint {
                    kind: ProviderKind::OpenAi,
                    base_url: base
                        .unwrap_or_else(|| LOCAL_BASE_URL.into())
                        .trim_end_matches('/')
                        .to_string(),
                    api_key: None,
                    model: name.to_string(),
                });
            }
            Some(("replay", path)) if !path.is_empty() => {
                return Ok(Endpoint {
                    kind: ProviderKind::Replay,
                    base_url: String::new(),
                    api_key: None,
                    model: path.to_string(),
                });
            }
            Some((prefix, _)) => {
                return Err(format!(
                    "unknown provider `{prefix}` in model `{model_id}`: use openai/, anthropic/, ollama/, local/ or replay/"
                ));
            }
            None => (bare_kind(model_id)?, model_id, false),
        };
        if model.is_empty() {
            return Err(format!("model `{model_id}` has no name after the provider"));
        }
        let var = |name: &str| var(name).filter(|v| !v.is_empty());
        let (base_url, api_key) = match (kind, ollama) {
            (_, true) => (
                var("OLLAMA_BASE_URL").unwrap_or_else(|| OLLAMA_BASE_URL.into()),
                None,
            ),
            (ProviderKind::OpenAi, false) => (
                var("OPENAI_BASE_URL").unwrap_or_else(|| OPENAI_BASE_URL.into()),
                var("OPENAI_API_KEY"),
            ),
            // A replay returned above; it needs no endpoint.
            (ProviderKind::Anthropic | ProviderKind::Replay, false) => (
                var("ANTHROPIC_BASE_URL").unwrap_or_else(|| ANTHROPIC_BASE_URL.into()),
                var("ANTHROPIC_API_KEY"),
            ),
        };
        Ok(Endpoint {
            kind,
            base_url: base_url.trim_end_matches('/').to_string(),
            api_key,
            model: model.to_string(),
        })
    }
}

fn bare_kind(model: &str) -> Result<ProviderKind, String> {
    let openai_reasoning =
        model.starts_with('o') && model[1..].starts_with(|c: char| c.is_ascii_digit());
    if model.starts_with("claude") {
        Ok(ProviderKind::Anthropic)
    } else if model.starts_with("gpt-") || openai_reasoning {
        Ok(ProviderKind::OpenAi)
    } else {
        Err(format!(
            "cannot tell which provider serves `{model}`; write openai/{model}, anthropic/{model} or ollama/{model}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(id: &str, vars: &[(&str, &str)]) -> Result<Endpoint, String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Endpoint::resolve(id, &|name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn ids_map_to_providers() {
        let e = resolve("claude-sonnet-4", &[("ANTHROPIC_API_KEY", "k")]).unwrap();
        assert_eq!(
            (
                e.kind,
                e.base_url.as_str(),
                e.api_key.as_deref(),
                e.model.as_str()
            ),
            (
                ProviderKind::Anthropic,
                ANTHROPIC_BASE_URL,
                Some("k"),
                "claude-sonnet-4"
            )
        );
        assert_eq!(resolve("gpt-4.1", &[]).unwrap().kind, ProviderKind::OpenAi);
        assert_eq!(resolve("o3-mini", &[]).unwrap().kind, ProviderKind::OpenAi);
        let ollama = resolve("ollama/qwen2.5-coder", &[("OPENAI_API_KEY", "k")]).unwrap();
        assert_eq!(
            (ollama.base_url.as_str(), ollama.api_key),
            (OLLAMA_BASE_URL, None)
        );
        let custom = resolve(
            "openai/local",
            &[("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1/")],
        )
        .unwrap();
        assert_eq!(custom.base_url, "http://127.0.0.1:8080/v1");
        assert!(
            resolve("llama3", &[])
                .unwrap_err()
                .contains("ollama/llama3")
        );
        assert!(resolve("azure/x", &[]).is_err());
        let local = resolve("local/qwen", &[("OPENAI_API_KEY", "k")]).unwrap();
        assert_eq!(
            (local.kind, local.base_url.as_str(), local.api_key),
            (ProviderKind::OpenAi, LOCAL_BASE_URL, None)
        );
        let moved = resolve(
            "local/qwen",
            &[("AGENT_LOCAL_MODEL_URL", "http://127.0.0.1:9/v1")],
        );
        assert_eq!(moved.unwrap().base_url, "http://127.0.0.1:9/v1");
        assert!(resolve("openai/", &[]).is_err());
    }

    #[test]
    fn debug_output_never_shows_the_key() {
        let e = resolve("openai/x", &[("OPENAI_API_KEY", "sk-secret")]).unwrap();
        assert!(!format!("{e:?}").contains("sk-secret"));
    }
}
