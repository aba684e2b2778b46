# Shared by the real-editor runners (tests/editors/*/run.sh, editors/vscode/test/run-in-code-server.sh),
# sourced with `editor` set (the name in the summary line): the pass/fail counters and their summary, a temp
# dir removed at exit (`make_tmp`), and the server binary under test (`server_binary`, from the project root).

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
# Prints `EDITOR: N passed, M failed` and exits 1 when a check failed.
finish() {
  echo "$editor: $passed passed, $failed failed"
  if [ "$failed" -ne 0 ]; then
    exit 1
  fi
  exit 0
}

# Sets `tmp` to a new temp dir, removed at exit unless the variable named `$1` is set (then it is kept).
make_tmp() {
  local keep_var=$1
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/portos-lsp-$editor.XXXXXX")
  if [ -n "${!keep_var:-}" ]; then
    trap 'echo "kept $tmp"' EXIT
  else
    trap 'rm -rf "$tmp"' EXIT
  fi
}

# Sets `bin` to the absolute path of the server under test: PORTOS_LSP_CMD (a path, or a command on PATH),
# else the debug binary, built here (a failed build is a failed check, and the run ends).
server_binary() {
  if [ -n "${PORTOS_LSP_CMD:-}" ]; then
    bin=$(command -v "$PORTOS_LSP_CMD" || echo "$PORTOS_LSP_CMD")
  else
    if ! cargo build --quiet; then
      not_ok "cargo build --quiet (the debug binary)"
      finish
    fi
    bin=${CARGO_TARGET_DIR:-target}/debug/portos-lsp
  fi
  case "$bin" in
    /*) ;;
    *) bin="$PWD/$bin" ;;
  esac
}
