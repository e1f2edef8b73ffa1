#!/usr/bin/env bash
# What the OS sandbox costs one shell command: the real shell tool under the
# tutorial's agent file, with `toolsSettings.shell.sandbox` "off" and "auto",
# side by side (hyperfine), for `true` and for `python -m pytest -q` in the
# tutorial's demo repository. Each run is a fresh process that loads the agent
# file, asks the policy and runs the tool (examples/shell_once.rs), so the
# difference between the two rows of a pair is the sandbox alone: its
# temporary folder, the search for protected paths, the helper's re-exec and
# its layers, and the clean-up. Target: under 10 ms.
# Needs hyperfine (apt-get install hyperfine) and python3 with pytest.
# Prints hyperfine's ratios and writes a Markdown table to $OUT (default:
# target/bench-sandbox.md).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet --bin agent --example shell_once
target=${CARGO_TARGET_DIR:-$PWD/target}
run=$target/release/examples/shell_once
out=${OUT:-$target/bench-sandbox.md}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r examples/kiro-autorun "$work/repo"
git -C "$work/repo" init -q
agent_file=$work/repo/.kiro/agents/refactor-bot.json
cd "$work/repo"
"$run" "$agent_file" auto "python -m pytest -q" >/dev/null

: > "$out"
for command in "true" "python -m pytest -q"; do
  echo "## \`$command\`" >> "$out"
  hyperfine -N --warmup 5 --runs "${RUNS:-100}" \
    --export-markdown "$work/table.md" \
    -n "off: $command" "$run $agent_file off '$command'" \
    -n "auto: $command" "$run $agent_file auto '$command'"
  cat "$work/table.md" >> "$out"
done
echo "written to $out"
