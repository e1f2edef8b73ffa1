#!/usr/bin/env bash
# The GitHub Action's run step (action.yml), also runnable by hand: runs
# `agent chat --no-interactive` on a prompt or a `/goal`, keeps the JSON result,
# the audit log and the final diff as artifacts, writes the job summary (status,
# iterations, checks, files changed, refusals), and exits with agent's own exit
# code (src/exit.rs: 0 done or goal met, 4 goal not met, 5 a run limit, ...).
#
# Inputs, from the environment (the action maps its inputs onto them):
#   AGENT_PROMPT            the prompt, or `/goal [--max N] [--check CMD]... OBJECTIVE` (required)
#   AGENT_AGENT             the agent file's name or path (optional)
#   AGENT_MODEL             the model id (optional: the agent's, or chat.defaultModel)
#   AGENT_WORKING_DIRECTORY where to run (default: the current folder)
#   AGENT_TRUST_WORKSPACE   `true` runs the hooks and MCP servers the repository brings (default: false)
#   AGENT_MAX_MINUTES       a time limit for the run (default: 60)
#   AGENT_OUT               the artifact folder (default: $RUNNER_TEMP/agent-run, else ./agent-run)
#   AGENT_BIN               the agent binary (default: agent on PATH)
#   GITHUB_STEP_SUMMARY     where the Markdown summary is appended (set by Actions)
#   GITHUB_OUTPUT           where step outputs go (set by Actions)
# Never passes --trust-all-tools: what the agent file does not allow is refused.
set -uo pipefail

prompt=${AGENT_PROMPT:?AGENT_PROMPT is required: a prompt or /goal ...}
bin=${AGENT_BIN:-agent}
out=${AGENT_OUT:-${RUNNER_TEMP:-.}/agent-run}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "${AGENT_WORKING_DIRECTORY:-.}" || exit 2

args=(chat --no-interactive --output-format json --audit-log "$out/audit.jsonl"
      --max-minutes "${AGENT_MAX_MINUTES:-60}")
[[ -n ${AGENT_AGENT:-} ]] && args+=(--agent "$AGENT_AGENT")
[[ -n ${AGENT_MODEL:-} ]] && args+=(--model "$AGENT_MODEL")
[[ ${AGENT_TRUST_WORKSPACE:-false} == true ]] && args+=(--trust-workspace)

"$bin" "${args[@]}" -- "$prompt" >"$out/result.json" 2>"$out/stderr.log" </dev/null
code=$?

# The final diff against HEAD, new files included, through a scratch index so the
# repository's own index is left alone.
if git rev-parse --verify -q HEAD >/dev/null 2>&1; then
  top=$(git rev-parse --show-toplevel)
  paths=("$top")
  [[ $out == "$top"/* ]] && paths+=(":(exclude)${out#"$top"/}")
  index=$(mktemp)
  cp "$(git rev-parse --git-path index)" "$index" 2>/dev/null || true
  GIT_INDEX_FILE=$index git add -A -- "${paths[@]}" >/dev/null 2>&1
  GIT_INDEX_FILE=$index git diff --cached --binary HEAD >"$out/final.diff"
  rm -f "$index"
else
  : >"$out/final.diff"
fi

python3 "$(dirname "${BASH_SOURCE[0]}")/action-summary.py" "$out/result.json" "$code" \
  >"$out/summary.md"
if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
  cat "$out/summary.md" >>"$GITHUB_STEP_SUMMARY"
fi
if [[ -n ${GITHUB_OUTPUT:-} ]]; then
  goal_status=$(python3 -c 'import json,sys
try: print((json.load(open(sys.argv[1])).get("goal") or {}).get("status", ""))
except Exception: print("")' "$out/result.json")
  {
    echo "exit-code=$code"
    echo "goal-status=$goal_status"
    echo "artifacts=$out"
  } >>"$GITHUB_OUTPUT"
fi
exit "$code"
