#!/usr/bin/env bash
# The checkpoint store against git's command line doing the same work on a
# separate --git-dir, side by side, on a 20,000-file tree (hyperfine):
#   first snapshot; snapshot after a 10-file change whose paths are known (the
#   write tool's case: `agent checkpoint save PATHS` against `git add PATHS`);
#   snapshot after a 10-file change found by walking the tree (a shell
#   command's case); restore of 10 changed files.
# Needs hyperfine (apt-get install hyperfine) and git. Prints hyperfine's ratios
# and writes a Markdown table to $OUT (default: target/bench-checkpoint.md).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
bin=$PWD/target/release/agent
out=${OUT:-$PWD/target/bench-checkpoint.md}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tree=$work/tree
python3 - "$tree" <<'PY'
import os, sys
root = sys.argv[1]
for i in range(20000):
    folder = os.path.join(root, "src", f"pkg{i % 200:03d}")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"file{i:05d}.py"), "w") as f:
        f.write(f"# file {i}\n" + "x = 1\n" * (i % 50 + 1))
PY
git -C "$tree" init -q
export AGENT_HOME=$work/agent-home
gitdir=$work/shadow.git
g="git --git-dir=$gitdir --work-tree=$tree -c user.name=a -c user.email=a@b"
touch10="for i in 0 1 2 3 4 5 6 7 8 9; do echo \"y = \$RANDOM\" >> $tree/src/pkg00\$i/file0000\$i.py; done"
paths10=$(for i in 0 1 2 3 4 5 6 7 8 9; do printf 'src/pkg00%d/file0000%d.py ' $i $i; done)

echo "## first snapshot (20,000 files)" > "$out"
hyperfine --shell=bash --warmup 1 --runs 5 \
  --prepare "rm -rf $AGENT_HOME $gitdir; git init -q --bare $gitdir" \
  --export-markdown "$work/first.md" \
  "cd $tree && $bin checkpoint init" \
  "$g add -A && $g commit -q -m snapshot"
cat "$work/first.md" >> "$out"

echo "## snapshot after a 10-file change by the write tool (paths known)" >> "$out"
(cd "$tree" && "$bin" checkpoint init >/dev/null)
$g add -A && $g commit -q --allow-empty -m baseline
hyperfine --shell=bash --warmup 2 --runs 20 \
  --prepare "$touch10" \
  --export-markdown "$work/write.md" \
  "cd $tree && $bin checkpoint save $paths10" \
  "cd $tree && $g add $paths10 && $g commit -q -m snapshot"
cat "$work/write.md" >> "$out"

echo "## snapshot after a 10-file change by a shell command (tree walked)" >> "$out"
hyperfine --shell=bash --warmup 2 --runs 20 \
  --prepare "$touch10" \
  --export-markdown "$work/change.md" \
  "cd $tree && $bin checkpoint save" \
  "$g add -A && $g commit -q -m snapshot"
cat "$work/change.md" >> "$out"

echo "## restore of 10 changed files" >> "$out"
base=$($g rev-parse HEAD)
hyperfine --shell=bash --warmup 2 --runs 20 \
  --prepare "$touch10" \
  --export-markdown "$work/restore.md" \
  "cd $tree && $bin checkpoint restore 1" \
  "$g checkout -q -f $base -- ."
cat "$work/restore.md" >> "$out"
echo
cat "$out"
