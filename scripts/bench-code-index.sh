#!/usr/bin/env bash
# The code tool's index on generated workspaces of 1,000, 20,000 and
# 100,000 source files (Python, Rust, TypeScript, Go; ~40 lines and 4
# symbols each):
#   1. the first index (walk + parse + store) beside `rg --files` (and
#      `ctags -R` when installed), with hyperfine when installed, and its
#      CPU time (both cores parse);
#   2. a symbol search after it, in one process: right after a refresh, on
#      a stale index (the walk first, as 2 s after a refresh without a
#      change journal), and vouched for by the change journal as in a
#      session (any time after a refresh);
#   3. the re-index after a 10-file change: in-session from the journal's
#      paths, and as a new process (load the stored index, walk, save).
# Usage: scripts/bench-code-index.sh [SIZES…]   (AGENT_BIN overrides the binary)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${AGENT_BIN:-target/release/agent}")
[ -x "$BIN" ] || { echo "build first: cargo build --release (or set AGENT_BIN)" >&2; exit 2; }
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000 20000 100000)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

generate() { # generate DIR COUNT
  python3 - "$1" "$2" <<'PY'
import os, sys
root, count = sys.argv[1], int(sys.argv[2])
kinds = [
    ("py", "class Handler{n}:\n    def handle_{n}(self, request):\n        return request\n\n" + "x = 1\n" * 30 + "def helper_{n}(a, b):\n    return a + b\n"),
    ("rs", "pub struct Handler{n};\nimpl Handler{n} {{\n    pub fn handle_{n}(&self) -> u32 {{ 1 }}\n}}\n" + "// filler\n" * 30 + "fn helper_{n}(a: u32) -> u32 {{ a }}\n"),
    ("ts", "export class Handler{n} {{\n  handle_{n}(r: string): string {{ return r; }}\n}}\n" + "// filler\n" * 30 + "export function helper_{n}(a: number) {{ return a; }}\n"),
    ("go", "package p{d}\n\ntype Handler{n} struct{{}}\n\nfunc (h *Handler{n}) Handle_{n}() int {{ return 1 }}\n" + "// filler\n" * 30 + "func helper_{n}(a int) int {{ return a }}\n"),
]
for n in range(count):
    ext, text = kinds[n % len(kinds)]
    folder = os.path.join(root, f"pkg{n // 100}")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"file{n}.{ext}"), "w") as f:
        f.write(text.format(n=n, d=n // 100))
PY
  mkdir -p "$1/.git"
}

timed() { # timed COMMAND…: wall milliseconds of one run
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for size in "${SIZES[@]}"; do
  dir="$WORK/ws$size"
  home="$WORK/home$size"
  generate "$dir" "$size"
  echo
  echo "== $size files =="
  cd "$dir"
  if command -v hyperfine >/dev/null; then
    others=(--command-name "rg --files" "rg --files")
    if command -v ctags >/dev/null; then others+=(--command-name "ctags -R" "ctags -R -f /dev/null ."); fi
    hyperfine --runs 3 --warmup 1 --style basic \
      --prepare "rm -rf $home" --command-name "agent code index (first)" "AGENT_HOME=$home $BIN code index" \
      "${others[@]}"
  else
    echo "rg --files: $(timed rg --files) ms"
    if command -v ctags >/dev/null; then echo "ctags -R: $(timed ctags -R -f /dev/null .) ms"; fi
    rm -rf "$home"
    echo "agent code index (first): $(timed env AGENT_HOME="$home" "$BIN" code index) ms"
  fi
  rm -rf "$home"
  echo "-- the first index, CPU time (both cores parse):"
  /usr/bin/time -f "wall %e s, user %U s, sys %S s" env AGENT_HOME="$home" "$BIN" code index
  echo "-- searches after it, and the re-index after 10 files changed in a session:"
  AGENT_HOME=$home "$BIN" code index --query handle_42 --repeat 20 --touch 10
  echo "-- the re-index after 10 files changed, as a new process (5 runs; in-process figure, then wall):"
  exts=(py rs ts go)
  for run in 1 2 3 4 5; do
    for n in 1 2 3 4 5 6 7 8 9 10; do
      num=$((((n * 7 + run) % (size / 100)) * 100 + run))
      echo "// run $run" >> "$dir/pkg$((num / 100))/file$num.${exts[num % 4]}"
    done
    start=$(date +%s%N)
    line=$(AGENT_HOME=$home "$BIN" code index)
    end=$(date +%s%N)
    echo "  ${line#index: }; wall $(((end - start) / 1000000)) ms"
  done
  cd - >/dev/null
done
