#!/usr/bin/env bash
# Checkpoints as a session takes them (change journal on) beside git's command
# line doing the same work on a separate --git-dir, on trees of 1,000, 20,000
# and 100,000 files (SIZES="1000 20000 100000 500000" to add more; each tree is
# deleted after it is measured). For each size it prints the issue's table
# (medians of timed loops, ms: benches/checkpoint_journal.rs) and the store's
# size after 1,000 checkpoints over ten sessions with the cap on.
# BENCH=sandbox_protected measures instead, on the same trees, the sandbox's
# search for protected paths before and after each command, without and with
# the change journal feeding it (benches/sandbox_protected.rs).
# Needs git and python3; keeps at least 15 GB free on the disk of $WORK.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${BENCH:-checkpoint_journal}
cargo bench --bench "$name" --no-run --quiet
bench=$(ls -t "${CARGO_TARGET_DIR:-target}"/release/deps/"$name"-* | grep -v '\.d$' | head -1)
work=$(mktemp -d "${WORK:-/tmp}/bench-checkpoint.XXXXXX")
trap 'rm -rf "$work"' EXIT
for size in ${SIZES:-1000 20000 100000}; do
  free_kb=$(df --output=avail -k "$work" | tail -1)
  if [ "$free_kb" -lt $((15 * 1024 * 1024 + size * 12)) ]; then
    echo "## $size files: skipped, the disk would fall under 15 GB free"
    continue
  fi
  tree=$work/tree-$size
  python3 - "$tree" "$size" <<'PY'
import os, sys
root, count = sys.argv[1], int(sys.argv[2])
folders = max(count // 100, 1)
for i in range(count):
    folder = os.path.join(root, "src", f"pkg{i % folders:05d}")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"file{i:07d}.py"), "w") as f:
        f.write(f"# file {i}\n" + "x = 1\n" * (i % 50 + 1))
PY
  git -C "$tree" init -q
  echo "## $size files ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
  TREE=$tree "$bench"
  rm -rf "$tree"
  echo
done
