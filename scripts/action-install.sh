#!/usr/bin/env bash
# The action's install step: the release binary for this runner (attached by
# .github/workflows/release.yml), else `cargo install --locked` from the tag.
set -euo pipefail
if command -v agent >/dev/null; then
  echo "using $(command -v agent)"
  exit 0
fi
version=${AGENT_VERSION:?AGENT_VERSION: the release tag to install}
repository=${AGENT_REPOSITORY:?AGENT_REPOSITORY: owner/name}
case "$(uname -m)" in
  x86_64) target=x86_64-unknown-linux-musl ;;
  aarch64 | arm64) target=aarch64-unknown-linux-musl ;;
  *) target="" ;;
esac
bin_dir=${RUNNER_TEMP:-/tmp}/agent-bin
mkdir -p "$bin_dir"
asset="agent-$version-$target.tar.gz"
if [[ $(uname -s) == Linux && -n $target ]] &&
  gh release download "$version" --repo "$repository" --pattern "$asset" --dir "$bin_dir" 2>/dev/null; then
  tar -xzf "$bin_dir/$asset" -C "$bin_dir"
  echo "$bin_dir" >>"$GITHUB_PATH"
  echo "installed $asset"
else
  echo "no release binary for $(uname -s)/$(uname -m) at $version: building it"
  cargo install --locked --git "https://github.com/$repository" --tag "$version" --root "$bin_dir/.." agent
  echo "$bin_dir/../bin" >>"$GITHUB_PATH"
fi
