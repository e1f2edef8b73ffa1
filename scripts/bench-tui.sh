#!/usr/bin/env bash
# The terminal UI's cost at rest and per frame.
#  1. Idle: the release binary in an 80x24 tmux pane, nothing typed; CPU time
#     (utime+stime from /proc/PID/stat) and wake-ups (voluntary context
#     switches of all its threads) over $SECONDS_IDLE seconds (default 10).
#  2. Frame time: `cargo bench --bench tui` (a token applied and a frame drawn
#     behind a hundred-turn transcript, at 80 and 40 columns, an unchanged
#     frame, and a full re-render after a resize).
#  3. Latency: a token's way from the model server's socket to the tmux
#     screen (tests/tui_latency.rs, ignored in normal test runs).
# Needs tmux. Set SKIP_BENCH=1 to measure idle only.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/agent
idle=${SECONDS_IDLE:-10}
work=$(mktemp -d)
socket=agent-bench-tui-$$
trap 'tmux -L "$socket" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/ws/.git" "$work/home"
tmux -L "$socket" new-session -d -x 80 -y 24 \
  "cd '$work/ws' && exec env -i HOME='$work/home' AGENT_HOME='$work/agent-home' PATH='$PATH' TERM=xterm-256color OPENAI_BASE_URL=http://127.0.0.1:9/v1 '$bin' chat --model openai/idle"
for _ in $(seq 100); do
  tmux -L "$socket" capture-pane -p | grep -q "lists commands" && break
  sleep 0.1
done
pid=$(tmux -L "$socket" list-panes -F '#{pane_pid}')
sleep 1
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
wakeups() { cat /proc/"$pid"/task/*/status | awk '/^voluntary_ctxt_switches/ {n += $2} END {print n}'; }
t0=$(ticks); w0=$(wakeups)
sleep "$idle"
t1=$(ticks); w1=$(wakeups)
hz=$(getconf CLK_TCK)
threads=$(ls /proc/"$pid"/task | wc -l)
awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$idle" -v w=$((w1 - w0)) -v n="$threads" 'BEGIN {
  printf "idle for %d s: %d clock ticks of CPU (%.2f%% of one core; one tick is %.0f ms), %d wake-ups across %d threads\n", s, d, 100 * d / hz / s, 1000 / hz, w, n
}'
if [ -z "${SKIP_BENCH:-}" ]; then
  cargo bench --locked --bench tui 2>&1 | sed -n '/median frame times/,$p'
  cargo test --release --locked --test tui_latency -- --ignored --nocapture 2>&1 | grep 'tokens:'
fi
