#!/usr/bin/env bash
# Real-editor test: portos-lsp in headless Neovim (Debian's 0.7.2, or newer).
#
#   bash tests/editors/neovim/run.sh
#
# Installs Neovim with apt-get when `nvim` is missing (as root, on Debian), builds the debug binary
# (PORTOS_LSP_CMD=/path/to/portos-lsp tests that binary instead), loads the README's Neovim snippet
# (portos_lsp_0_7.lua) in a Neovim with no user configuration, opens the example shop app's ecosystem file and
# checks the diagnostics (the same as `portos-lsp check` finds), a hover on a port and a completion where a port
# is typed. Prints one line per check, then `neovim: N passed, M failed`; exits 1 when a check failed.
set -euo pipefail
cd "$(dirname "$0")/../../.."

here=tests/editors/neovim
file=examples/workspace/shop/ecosystem.config.cjs
hover_port=5570 # test.lua hovers on `API: 5570` in the file's PORTS table
hover_label=api

passed=0
failed=0
ok() {
  echo "ok - $1"
  passed=$((passed + 1))
}
not_ok() {
  echo "FAIL - $1"
  failed=$((failed + 1))
}
indent() {
  awk '{print "    " $0}' "$@"
}
finish() {
  echo "neovim: $passed passed, $failed failed"
  if [ "$failed" -ne 0 ]; then
    exit 1
  fi
  exit 0
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/portos-lsp-neovim.XXXXXX")
if [ -n "${PORTOS_NVIM_KEEP:-}" ]; then
  trap 'echo "kept $tmp"' EXIT
else
  trap 'rm -rf "$tmp"' EXIT
fi

# The README shows the very file the test loads.
readme_snippet=$(awk '
  /^## / { editors = ($0 == "## Editors") }
  editors && /^```lua$/ { inside = 1; next }
  inside && /^```$/ { exit }
  inside' README.md)
if [ "$readme_snippet" = "$(cat "$here/portos_lsp_0_7.lua")" ]; then
  ok "README's Neovim snippet is $here/portos_lsp_0_7.lua, verbatim"
else
  not_ok "README's Neovim snippet is $here/portos_lsp_0_7.lua, verbatim (diff below)"
  diff <(printf '%s\n' "$readme_snippet") "$here/portos_lsp_0_7.lua" | indent || true
fi

if ! command -v nvim >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing neovim with apt-get"
    if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq neovim) >"$tmp/apt.log" 2>&1; then
      indent "$tmp/apt.log"
      not_ok "apt-get install neovim"
      finish
    fi
  else
    not_ok "nvim is not installed (install Debian's neovim package, or run this as root on Debian)"
    finish
  fi
fi

if [ -n "${PORTOS_LSP_CMD:-}" ]; then
  bin=$PORTOS_LSP_CMD
else
  if ! cargo build --quiet; then
    not_ok "cargo build --quiet (the debug binary)"
    finish
  fi
  target=${CARGO_TARGET_DIR:-target}
  case "$target" in
    /*) ;;
    *) target="$PWD/$target" ;;
  esac
  bin="$target/debug/portos-lsp"
fi

# What the command line finds in the file, as `LINE:COL SEVERITY CODE`: the editor must show the same.
set +e
"$bin" check "$file" --output-format concise --color never >"$tmp/check.txt" 2>"$tmp/check.err"
set -e
sed -nE "s#^$file:([0-9]+):([0-9]+): ([a-z]+)\[([a-z-]+)\].*#\1:\2 \3 \4#p" "$tmp/check.txt" >"$tmp/cli.txt"
expect=$(awk '{print $3}' "$tmp/cli.txt" | sort -u | paste -sd, -)
next_port=$("$bin" next "$(dirname "$file")" 2>/dev/null | awk 'NR == 2 {print $1}' || true)

# Neovim with nothing of the user's: no init file, no shada, XDG directories in the temp dir.
mkdir -p "$tmp/xdg/config" "$tmp/xdg/data" "$tmp/xdg/state" "$tmp/xdg/cache"
nvim_env=(
  XDG_CONFIG_HOME="$tmp/xdg/config" XDG_DATA_HOME="$tmp/xdg/data"
  XDG_STATE_HOME="$tmp/xdg/state" XDG_CACHE_HOME="$tmp/xdg/cache" TMPDIR="$tmp"
)
started=$(date +%s%N)
set +e
env "${nvim_env[@]}" PORTOS_LSP_CMD="$bin" PORTOS_NVIM_RESULT="$tmp/result.json" PORTOS_NVIM_EXPECT="$expect" \
  timeout 60 nvim --headless -u NONE -i NONE -c "luafile $here/test.lua" </dev/null >"$tmp/nvim.out" 2>&1
status=$?
set -e
elapsed=$((($(date +%s%N) - started) / 1000000))
case "$status" in
  0) ok "Neovim ran the test and quit with :qa! (${elapsed} ms)" ;;
  124) not_ok "Neovim ran the test within 60 s (timed out)" ;;
  *) not_ok "Neovim ran the test and quit with :qa! (exit code $status after ${elapsed} ms)" ;;
esac

# The result file decides, whatever the exit code said.
set +e
env "${nvim_env[@]}" PORTOS_NVIM_RESULT="$tmp/result.json" PORTOS_NVIM_CLI="$tmp/cli.txt" PORTOS_NVIM_NEXT="$next_port" \
  PORTOS_NVIM_HOVER_PORT="$hover_port" PORTOS_NVIM_HOVER_LABEL="$hover_label" PORTOS_NVIM_ROOT="$PWD/examples/workspace" \
  PORTOS_NVIM_CHECKS="$tmp/checks.txt" \
  timeout 60 nvim --headless -u NONE -i NONE -c "luafile $here/check.lua" </dev/null >"$tmp/check-nvim.out" 2>&1
set -e
if [ -s "$tmp/checks.txt" ]; then
  while IFS= read -r line; do
    case "$line" in
      "ok - "*) ok "${line#ok - }" ;;
      "FAIL - "*) not_ok "${line#FAIL - }" ;;
    esac
  done <"$tmp/checks.txt"
else
  not_ok "check.lua read the result file (it wrote no checks)"
  indent "$tmp/check-nvim.out"
fi

if [ "$failed" -ne 0 ]; then
  echo "--- portos-lsp check $file"
  indent "$tmp/check.txt" "$tmp/check.err"
  echo "--- Neovim's output"
  indent "$tmp/nvim.out"
  echo "--- result.json"
  indent "$tmp/result.json" 2>/dev/null || true
  echo "--- lsp.log (the server's stderr is logged here)"
  indent "$tmp"/xdg/cache/nvim/lsp.log 2>/dev/null || true
fi
finish
