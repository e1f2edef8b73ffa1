#!/usr/bin/env bash
# The tutorial, end to end, on a fresh copy of examples/kiro-autorun:
#   1. the guardrailed agent file is checked;
#   2. a baseline checkpoint is taken;
#   3. /goal delegates the refactor; the program runs pytest and mypy itself,
#      and they run again in a plain shell, outside the agent;
#   4. the checkpoints show exactly what changed;
#   5. a restore puts everything back.
# With a model configured it uses that model: AGENT_MODEL if set, else
# ANTHROPIC_API_KEY (the agent's own claude-sonnet-4), OPENAI_API_KEY
# (openai/gpt-4.1), OPENAI_BASE_URL alone (a local OpenAI-compatible server),
# or Ollama on 127.0.0.1:11434. With none, it runs a small model on this
# machine (scripts/local-model.sh: Qwen2.5-Coder 1.5B; the first start builds
# for about 10 minutes). `--replay` replays the tutorial's recorded model
# turns instead, for a one-minute look.
# TUTORIAL_GOAL_FLAGS replaces the goal's `--max 8` (e.g. "--max 2 --max-minutes 5" for a
# slow local model); TUTORIAL_EVENTS=PATH keeps the run's events (stream-json).
# Needs python3 with pytest and mypy (python3 -m pip install pytest mypy).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
replay=false
[[ ${1:-} == --replay ]] && replay=true
if ! command -v python >/dev/null || ! python -m pytest --version >/dev/null 2>&1 || ! command -v mypy >/dev/null; then
  echo "The tutorial's checks run \`python -m pytest -q\` and \`mypy --strict src\`: install them first" >&2
  echo "(python3 -m pip install pytest mypy; on Debian and Ubuntu, apt-get install python-is-python3 gives \`python\`)." >&2
  exit 2
fi
if [[ -n ${AGENT_BIN:-} ]]; then
  agent=$AGENT_BIN # an already built binary (measurements)
else
  cargo build --release --locked --quiet
  agent=$repo/target/release/agent
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r examples/kiro-autorun "$work/kiro-autorun"
cd "$work/kiro-autorun"
git init -q
export AGENT_HOME=$work/agent-home # the run's sessions and checkpoints stay in the temp folder

goal_flags=${TUTORIAL_GOAL_FLAGS:---max 8}
if $replay; then
  model=replay/$repo/examples/kiro-autorun/.kiro/replay/tutorial.json
  echo "--replay: the model's turns are a RECORDED REPLAY (examples/kiro-autorun/.kiro/replay/tutorial.json)."
  echo "Everything else is real: the policy judges every call, the checks run, the checkpoints are taken."
elif [[ -n ${AGENT_MODEL:-} ]]; then
  model=$AGENT_MODEL
elif [[ -n ${ANTHROPIC_API_KEY:-} ]]; then
  model=claude-sonnet-4
elif [[ -n ${OPENAI_API_KEY:-} ]]; then
  model=openai/gpt-4.1
elif [[ -n ${OPENAI_BASE_URL:-} ]]; then
  model=openai/${OPENAI_MODEL:-local}
elif (exec 3<>/dev/tcp/127.0.0.1/11434) 2>/dev/null; then
  model=ollama/${OLLAMA_MODEL:-qwen2.5-coder}
else
  echo "No model is configured (no AGENT_MODEL, ANTHROPIC_API_KEY, OPENAI_API_KEY or OPENAI_BASE_URL,"
  echo "and no Ollama on 127.0.0.1:11434), so a small model runs on this machine: Qwen2.5-Coder 1.5B"
  echo "under llama.cpp (scripts/local-model.sh; \`bash scripts/tutorial.sh --replay\` for a recording)."
  AGENT_LOCAL_MODEL_URL=$(bash "$repo/scripts/local-model.sh" start)
  export AGENT_LOCAL_MODEL_URL
  model=local/qwen2.5-coder-1.5b
  goal_flags=${TUTORIAL_GOAL_FLAGS:---max 4 --max-minutes 10}
fi
echo "model: $model"

step() { printf '\n== %s\n$ %s\n' "$1" "${*:2}"; }

step "Step 1: the guardrailed agent" agent agent validate .kiro/agents/refactor-bot.json
"$agent" agent validate .kiro/agents/refactor-bot.json

step "Step 2: the baseline checkpoint" agent checkpoint init
"$agent" checkpoint init

goal="/goal $goal_flags add type hints to every function in src/inventory.py, then run python -m pytest -q and mypy --strict src, and do not stop until pytest passes and mypy --strict reports no errors"
step "Step 3: the goal" agent chat --no-interactive --agent refactor-bot "'$goal'"
set +e
"$agent" chat --no-interactive --agent refactor-bot --model "$model" \
  --output-format stream-json "$goal" >"$work/result.json" 2>"$work/progress.log"
status=$?
set -e
python3 - "$work/result.json" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
result = json.loads(lines[-1]) if lines else {}
goal = result.get("goal")
if not goal:
    print("the run ended without a goal report:", result.get("error"))
    print(open(sys.argv[1].replace("result.json", "progress.log")).read())
    sys.exit(0)
print(f"status: {goal['status']} ({goal['summary']})")
print(f"iterations: {goal['iterations_used']} of {goal['max_iterations']}; checks: {goal['checks']}")
base = ", ".join(f"{c['command']} -> exit {c['exit_code']}" for c in goal.get("baseline", []))
print(f"  baseline: {base or 'no checks'}")
for it in goal["iterations"]:
    marks = ", ".join(f"{c['command']} -> exit {c['exit_code']}" for c in it["checks"])
    note = f" ({it['note']})" if it.get("note") else ""
    print(f"  iteration {it['number']}: {marks or 'no checks'}{note}")
for f in goal["files_changed"]:
    print(f"  changed {f['path']} +{f['added']} -{f['removed']}")
for r in goal["refused"]:
    print(f"  refused: {r['what']} ({r['reason']})")
print(f"checkpoints: baseline {goal['baseline_checkpoint']}, final {goal['final_checkpoint']}")
open(sys.argv[1] + ".final", "w").write(goal["final_checkpoint"] or "")
PY
echo "exit code: $status (0 = met, 4 = any other status, 5 = a run limit, 6 = loop)"
if [[ -n ${TUTORIAL_EVENTS:-} ]]; then cp "$work/result.json" "$TUTORIAL_EVENTS"; fi
final=$(cat "$work/result.json.final" 2>/dev/null || true)

step "The checks again, in a plain shell, outside the agent" python -m pytest -q '&&' mypy --strict src
set +e
python -m pytest -q >/dev/null 2>&1; echo "python -m pytest -q -> exit $?"
mypy --strict src >/dev/null 2>&1; echo "mypy --strict src -> exit $?"
set -e

step "Step 4: what changed" agent checkpoint list '&&' agent checkpoint diff 1 "$final"
"$agent" checkpoint list
[[ -n $final ]] && "$agent" checkpoint diff 1 "$final"

step "Step 5: the undo button" agent checkpoint restore 1
"$agent" checkpoint restore 1
git status --short --untracked-files=no >/dev/null
diff -q "$repo/examples/kiro-autorun/src/inventory.py" src/inventory.py && echo "src/inventory.py is back to the baseline"
exit "$status"
