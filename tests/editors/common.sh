# Shared by the real-editor runners (tests/editors/*/run.sh, editors/vscode/test/run-in-code-server.sh),
# sourced with `editor` set (the name in the summary line): the pass/fail counters and their summary, a temp
# dir removed at exit (`make_tmp`; these three from tests/checks.sh), and the server binary under test
# (`server_binary`, from the project root).

suite=$editor
# shellcheck source=../checks.sh
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"

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
