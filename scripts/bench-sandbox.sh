#!/usr/bin/env bash
# What the OS sandbox costs one shell command: the real shell tool under the
# tutorial's agent file, with `toolsSettings.shell.sandbox` "off" and "auto",
# side by side (hyperfine), for `true` and for `python -m pytest -q` in the
# tutorial's demo repository. Each run is a fresh process that loads the agent
# file, asks the policy and runs the tool (examples/shell_once.rs), so the
# difference between the two rows of a pair is the sandbox alone: its
# temporary folder, the search for protected paths, the helper's re-exec and
# its layers, and the clean-up. Target: under 10 ms.
# pytest's own time varies by tens of ms between runs on a shared machine,
# more than the sandbox costs, so hyperfine's two means (each taken over its
# own stretch of time) cannot show a difference that small. A paired run
# follows: PAIRS (default 100) rounds of one run with the sandbox off and one
# with it on, in alternating order, and the median of the differences within
# each round, with a 95% bootstrap interval.
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

python3 - "$run" "$agent_file" "${PAIRS:-100}" >> "$out" <<'PAIRED'
import random, statistics, subprocess, sys, time
run, agent_file, pairs = sys.argv[1], sys.argv[2], int(sys.argv[3])

def once(mode, command):
    start = time.perf_counter()
    subprocess.run([run, agent_file, mode, command], stdout=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - start) * 1000

print("## paired: sandbox on minus off, per round (ms)")
print("| Command | Median difference | 95% interval | Median off |")
print("|:---|---:|---:|---:|")
for command in ["true", "python -m pytest -q"]:
    differences, offs = [], []
    for i in range(pairs):
        order = ["off", "auto"] if i % 2 == 0 else ["auto", "off"]
        times = {mode: once(mode, command) for mode in order}
        differences.append(times["auto"] - times["off"])
        offs.append(times["off"])
    medians = sorted(
        statistics.median(random.choices(differences, k=len(differences)))
        for _ in range(2000)
    )
    low, high = medians[50], medians[1949]
    print(f"| `{command}` | {statistics.median(differences):+.1f} | "
          f"{low:+.1f} to {high:+.1f} | {statistics.median(offs):.1f} |")
PAIRED
cat "$out"
echo "written to $out"
