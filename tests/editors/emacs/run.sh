#!/usr/bin/env bash
# Real-editor test: portos-lsp in Emacs with eglot, in batch mode (Debian's Emacs 28 and elpa-eglot, or newer).
#
#   bash tests/editors/emacs/run.sh
#
# Installs emacs-nox and elpa-eglot with apt-get when Emacs or eglot is missing (as root, on Debian), builds the
# debug binary (PORTOS_LSP_CMD=/path/to/portos-lsp tests that binary instead), puts it on PATH as portos-lsp,
# loads the README's Emacs set-up (editors/emacs/portos-lsp.el) in an Emacs with no user configuration, checks
# which file names get portos-ecosystem-mode, opens the example legacy app's ecosystem file and checks that
# eglot starts the server and flymake shows what `portos-lsp check` finds (test.el). Prints one line per check,
# then `emacs: N passed, M failed`; exits 1 when a check failed.
set -euo pipefail
cd "$(dirname "$0")/../../.."

here=tests/editors/emacs
file=examples/workspace/legacy/ecosystem.config.cjs
yaml_file=examples/workspace/workers/ecosystem.yml

editor=emacs
# shellcheck source=../common.sh
source tests/editors/common.sh
make_tmp PORTOS_EMACS_KEEP

have_eglot() {
  command -v emacs >/dev/null 2>&1 &&
    emacs --batch --eval '(progn (package-activate-all) (kill-emacs (if (locate-library "eglot") 0 1)))' \
      >/dev/null 2>&1
}
if ! have_eglot; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing emacs-nox and elpa-eglot with apt-get"
    installed=$(date +%s)
    if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      emacs-nox elpa-eglot) >"$tmp/apt.log" 2>&1; then
      indent "$tmp/apt.log"
      not_ok "apt-get install emacs-nox elpa-eglot"
      finish
    fi
    echo "installed in $(($(date +%s) - installed)) s"
  else
    not_ok "Emacs with eglot is not installed (install Debian's emacs-nox and elpa-eglot, or run this as root on Debian)"
    finish
  fi
fi

server_binary

# What the command line finds in the file, as `LINE:COL SEVERITY CODE`: flymake must show the same.
set +e
"$bin" check "$file" --output-format concise --color never >"$tmp/check.txt" 2>"$tmp/check.err"
set -e
sed -nE "s#^$file:([0-9]+):([0-9]+): ([a-z]+)\[([a-z0-9-]+)\].*#\1:\2 \3 \4#p" "$tmp/check.txt" >"$tmp/cli.txt"
# The same for the example's YAML ecosystem file.
set +e
"$bin" check "$yaml_file" --output-format concise --color never >"$tmp/check-yaml.txt" 2>>"$tmp/check.err"
set -e
sed -nE "s#^$yaml_file:([0-9]+):([0-9]+): ([a-z]+)\[([a-z0-9-]+)\].*#\1:\2 \3 \4#p" "$tmp/check-yaml.txt" \
  >"$tmp/cli-yaml.txt"

# Emacs with nothing of the user's: HOME and the XDG directories in the temp dir, the server on PATH.
mkdir -p "$tmp/home" "$tmp/bin" "$tmp/scratch"
ln -s "$bin" "$tmp/bin/portos-lsp"
started=$(date +%s%N)
set +e
env HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" XDG_CACHE_HOME="$tmp/home/.cache" \
  XDG_DATA_HOME="$tmp/home/.local/share" XDG_STATE_HOME="$tmp/home/.local/state" TMPDIR="$tmp" \
  PATH="$tmp/bin:$PATH" PORTOS_EMACS_CLI="$tmp/cli.txt" PORTOS_EMACS_CLI_YAML="$tmp/cli-yaml.txt" PORTOS_EMACS_CHECKS="$tmp/checks.txt" \
  PORTOS_EMACS_SCRATCH="$tmp/scratch" \
  timeout 60 emacs --batch -l "$here/test.el" </dev/null >"$tmp/emacs.out" 2>&1
status=$?
set -e
elapsed=$((($(date +%s%N) - started) / 1000000))
case "$status" in
  0) ok "Emacs ran the test and exited (${elapsed} ms)" ;;
  124) not_ok "Emacs ran the test within 60 s (timed out)" ;;
  *) not_ok "Emacs ran the test and exited 0 (exit code $status after ${elapsed} ms)" ;;
esac
grep '^a diagnostic as Emacs shows it' "$tmp/emacs.out" || true

# The checks file decides, whatever the exit code said.
if [ -s "$tmp/checks.txt" ]; then
  while IFS= read -r line; do
    case "$line" in
      "ok - "*) ok "${line#ok - }" ;;
      "FAIL - "*) not_ok "${line#FAIL - }" ;;
    esac
  done <"$tmp/checks.txt"
else
  not_ok "test.el wrote its checks"
fi

if [ "$failed" -ne 0 ]; then
  echo "--- portos-lsp check $file"
  indent "$tmp/check.txt" "$tmp/check.err"
  echo "--- Emacs's output"
  indent "$tmp/emacs.out"
fi
finish
