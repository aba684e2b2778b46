#!/usr/bin/env bash
# Builds the extension's two packages:
#
#   bash editors/vscode/scripts/package.sh
#
#   editors/vscode/out/portos-lsp-linux-x64-VERSION.vsix   the release binary inside (server/portos-lsp)
#   editors/vscode/out/portos-lsp-VERSION.vsix             universal: no binary (portos-lsp from PATH or settings)
#
# PORTOS_LSP_BINARY=/path/to/portos-lsp packages that binary instead of `cargo build --release`.
# Installs the npm dependencies (package-lock.json) when needed; vsce needs Node.js 22 or newer, so an older
# `node` is replaced by Node 24 from npm (scripts/node.sh, cached in ~/.cache/portos-lsp/vscode).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$here/../.." && pwd)
binary=${PORTOS_LSP_BINARY:-}
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

if [ -z "$binary" ]; then
  (cd "$repo" && cargo build --release --quiet)
  binary="${CARGO_TARGET_DIR:-$repo/target}/release/portos-lsp"
fi
if [ ! -x "$binary" ]; then
  echo "not an executable: $binary" >&2
  exit 1
fi

version=$(node -p 'require("./package.json").version')
mkdir -p out
rm -rf dist server
mkdir server
cp "$binary" server/portos-lsp
chmod 755 server/portos-lsp
trap 'rm -rf "$here/server"' EXIT

# vsce runs `vscode:prepublish` (type check + production bundle) for each package. The README's relative
# links (the screenshot in docs/images) become links into the repository.
base=https://github.com/portos-lsp/portos-lsp/raw/HEAD/editors/vscode
vsce=(npx vsce package --no-dependencies --baseImagesUrl "$base" --baseContentUrl "${base/\/raw\//\/blob\/}")
"${vsce[@]}" --target linux-x64 --out "out/portos-lsp-linux-x64-$version.vsix"
rm -rf server
"${vsce[@]}" --out "out/portos-lsp-$version.vsix"
echo "built $here/out/portos-lsp-linux-x64-$version.vsix (with $("$binary" --version)) and $here/out/portos-lsp-$version.vsix"
