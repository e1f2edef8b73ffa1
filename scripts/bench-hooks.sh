#!/usr/bin/env bash
# What a preToolUse hook costs per tool call: hyperfine runs the same
# headless session (a replayed model making N `read` calls) with no hook,
# with a no-op hook (`true`), and with the tutorial's audit hook (jq appending
# the command to a log), and prints the difference per call.
#
#   bash scripts/bench-hooks.sh [N]      (default N=50; needs hyperfine, jq)
set -euo pipefail
cd "$(dirname "$0")/.."
calls=${1:-50}
cargo build --release --locked --quiet
bin=$(realpath "${CARGO_TARGET_DIR:-target}")/release/agent

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/ws/.git" "$work/ws/.kiro/agents"
echo hello > "$work/ws/notes.txt"
python3 - "$work/replay.json" "$calls" <<'EOF'
import json, sys
path, n = sys.argv[1], int(sys.argv[2])
turns = [{"tool_calls": [{"name": "read", "input": {"path": "notes.txt"}}]} for _ in range(n)]
turns.append({"text": "done"})
json.dump(turns, open(path, "w"))
EOF
agent() { # NAME HOOKS_JSON
  printf '{"name": "%s", "tools": ["read"], "allowedTools": ["read"], "hooks": %s}\n' "$1" "$2" \
    > "$work/ws/.kiro/agents/$1.json"
}
agent none '{}'
agent noop '{"preToolUse": [{"command": "true"}]}'
agent audit '{"preToolUse": [{"command": "jq -c .tool_input >> audit.log"}]}'

run="cd $work/ws && AGENT_HOME=$work/home $bin chat --no-interactive --trust-workspace --model replay/$work/replay.json --output-format json"
hyperfine --warmup 2 --runs 10 --export-json "$work/result.json" \
  -n none "$run --agent none go >/dev/null" \
  -n noop "$run --agent noop go >/dev/null" \
  -n audit "$run --agent audit go >/dev/null"
python3 - "$work/result.json" "$calls" <<'EOF'
import json, sys
results = {r["command"]: r["mean"] for r in json.load(open(sys.argv[1]))["results"]}
n = int(sys.argv[2])
for name in ("noop", "audit"):
    per = (results[name] - results["none"]) / n * 1000
    print(f"{name:>5} preToolUse hook: +{per:.2f} ms per tool call ({n} calls)")
EOF
