#!/usr/bin/env bash
# Start-up time of `agent --version` and `agent agent validate`, beside `true`
# (the floor: process creation alone) and `git --version` (a familiar CLI).
# Needs hyperfine (apt-get install hyperfine). Prints hyperfine's ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
bin=target/release/agent
hyperfine -N --warmup 20 --runs 300 \
  "$bin --version" \
  "$bin agent validate .kiro/agents/refactor-bot.json" \
  "git --version" \
  "true"
