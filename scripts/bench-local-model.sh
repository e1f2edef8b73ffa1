#!/usr/bin/env bash
# The small benchmark: each task in examples/tasks/ (a small Python project whose checks fail
# before any work) runs as a /goal against the local model (scripts/local-model.sh), and a table
# of status, iterations, wall time and tokens is printed, with the success rate.
#
#   scripts/bench-local-model.sh [TASK…]     all tasks when none is named
#
# BENCH_GOAL_FLAGS sets the goal's bounds (default "--max 3 --max-minutes 5"); BENCH_RUN_MINUTES
# bounds each whole run (`agent chat --max-minutes`, default 20). AGENT_BIN runs a built binary
# instead of building one; AGENT_MODEL another model than the local one.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
if [[ -n ${AGENT_BIN:-} ]]; then
  agent=$AGENT_BIN
else
  cargo build --release --locked --quiet
  agent=$repo/target/release/agent
fi
model=${AGENT_MODEL:-local/qwen2.5-coder-1.5b}
if [[ $model == local/* ]]; then
  AGENT_LOCAL_MODEL_URL=${AGENT_LOCAL_MODEL_URL:-$(bash scripts/local-model.sh start)}
  export AGENT_LOCAL_MODEL_URL
fi
flags=${BENCH_GOAL_FLAGS:---max 3 --max-minutes 5}
tasks=("$@")
if [[ ${#tasks[@]} -eq 0 ]]; then
  for dir in examples/tasks/*/; do tasks+=("$(basename "$dir")"); done
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "model: $model; goal: /goal $flags …; $(date -u +%Y-%m-%d) on $(nproc) cores"
echo
echo "| task | status | iterations | wall time | tokens (in/out) | exit |"
echo "|---|---|---|---|---|---|"
met=0
for task in "${tasks[@]}"; do
  dir=$work/$task
  cp -r "examples/tasks/$task" "$dir"
  mkdir -p "$dir/.kiro/agents"
  cp examples/tasks/task-bot.json "$dir/.kiro/agents/task-bot.json"
  goal="/goal $flags $(cat "$dir/goal")"
  rm "$dir/goal"
  (
    cd "$dir"
    git init -q
    export AGENT_HOME=$dir.home
    "$agent" checkpoint init >/dev/null
    set +e
    "$agent" chat --no-interactive --agent task-bot --model "$model" --output-format json \
      --max-minutes "${BENCH_RUN_MINUTES:-20}" "$goal" >"$dir.json" 2>"$dir.log"
    echo $? >"$dir.exit"
  )
  row=$(python3 - "$dir.json" "$(cat "$dir.exit")" "$task" <<'PY'
import json, sys
path, code, task = sys.argv[1:]
try:
    result = json.loads(open(path).read().splitlines()[-1])
except (IndexError, ValueError):
    print(f"| {task} | no result | - | - | - | {code} |"); sys.exit()
goal = result.get("goal") or {}
usage = goal.get("usage") or result.get("usage") or {}
status = goal.get("status", result.get("stop_reason", "?"))
print(f"| {task} | {status} | {goal.get('iterations_used', '-')} of {goal.get('max_iterations', '-')} "
      f"| {goal.get('wall_ms', 0) / 1000:.0f} s | {usage.get('input_tokens', 0)}/{usage.get('output_tokens', 0)} | {code} |")
PY
)
  echo "$row"
  [[ $row == *"| met |"* ]] && met=$((met + 1))
done
echo
echo "met: $met of ${#tasks[@]}"
