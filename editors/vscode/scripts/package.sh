#!/usr/bin/env bash
# Builds the extension's packages: one platform .vsix per binary (the binary inside, as server/portos-lsp or
# server/portos-lsp.exe) and the universal one (no binary: portos-lsp from PATH or settings).
#
#   bash editors/vscode/scripts/package.sh                  this machine's release binary (cargo build --release)
#   bash editors/vscode/scripts/package.sh --bin-dir DIR    a .vsix per Rust target in DIR (one subdirectory per
#                                                           target holding its binary: the release workflow's)
#
#   editors/vscode/out/portos-lsp-<platform>-VERSION.vsix   e.g. linux-x64, darwin-arm64, win32-x64 (vsce --target)
#   editors/vscode/out/portos-lsp-VERSION.vsix              universal
#
# PORTOS_LSP_BINARY=/path/to/portos-lsp packages that binary for this machine's platform instead of
# `cargo build --release`. The platform names come from release/lib.sh (the npm packages use the same).
# Installs the npm dependencies (package-lock.json) when needed; vsce needs Node.js 22 or newer, so an older
# `node` is replaced by Node 24 from npm (scripts/node.sh, cached in ~/.cache/portos-lsp/vscode).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../../../release/lib.sh
. "$repo/release/lib.sh"
binary=${PORTOS_LSP_BINARY:-}
bin_dir=
while [ $# -gt 0 ]; do
  case "$1" in
    --bin-dir) bin_dir=$(realpath "$2"); shift 2 ;;
    *) echo "usage: $0 [--bin-dir DIR]" >&2; exit 2 ;;
  esac
done
if [ -n "$binary" ]; then
  binary=$(realpath "$binary") # relative to where the script was started
fi
cd "$here"
# shellcheck source=node.sh
. scripts/node.sh
portos_node 22

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --prefer-offline --cache "$PORTOS_VSCODE_CACHE/npm-cache"
fi

# (vsce target, binary) pairs.
targets=() binaries=()
if [ -n "$bin_dir" ]; then
  while IFS= read -r target; do
    targets+=("$(portos_platform_of "$target")")
    binaries+=("$bin_dir/$target/$(portos_exe_of "$target")")
  done < <(portos_targets_in "$bin_dir")
  if [ "${#targets[@]}" -eq 0 ]; then
    echo "no binaries in $bin_dir (expected $bin_dir/<rust target>/portos-lsp)" >&2
    exit 1
  fi
else
  if [ -z "$binary" ]; then
    (cd "$repo" && cargo build --release --quiet)
    binary="${CARGO_TARGET_DIR:-$repo/target}/release/portos-lsp"
  fi
  targets=("$(portos_platform_of "$(portos_host_target)")")
  binaries=("$binary")
fi

version=$(node -p 'require("./package.json").version')
mkdir -p out
rm -rf dist server
trap 'rm -rf "$here/server"' EXIT

# vsce runs `vscode:prepublish` (type check + production bundle) for each package. The README's relative
# links (the screenshot in docs/images) become links into the repository.
base=https://github.com/portos-lsp/portos-lsp/raw/HEAD/editors/vscode
vsce=(npx vsce package --no-dependencies --baseImagesUrl "$base" --baseContentUrl "${base/\/raw\//\/blob\/}")
built=()
for i in "${!targets[@]}"; do
  target=${targets[$i]} source=${binaries[$i]}
  if [ ! -f "$source" ]; then
    echo "not a file: $source" >&2
    exit 1
  fi
  exe=portos-lsp
  case "$target" in win32-*) exe=portos-lsp.exe ;; esac
  rm -rf server
  mkdir server
  cp "$source" "server/$exe"
  chmod 755 "server/$exe"
  "${vsce[@]}" --target "$target" --out "out/portos-lsp-$target-$version.vsix"
  built+=("out/portos-lsp-$target-$version.vsix")
done
rm -rf server
"${vsce[@]}" --out "out/portos-lsp-$version.vsix"
built+=("out/portos-lsp-$version.vsix")
for vsix in "${built[@]}"; do
  echo "built $here/$vsix"
done
