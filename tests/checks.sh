# The pass/fail scaffolding of the shell test runners (the editors' through tests/editors/common.sh, the
# install channels': npm/test.sh, release/crate.sh, tests/shells/run.sh, tests/pre-commit/run.sh), sourced
# with `suite` set (the name in the summary line): counters, their summary, a temp dir removed at exit.

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
# Prints `SUITE: N passed, M failed` (the line .ci/run counts) and exits 1 when a check failed.
finish() {
  echo "$suite: $passed passed, $failed failed"
  if [ "$failed" -ne 0 ]; then
    exit 1
  fi
  exit 0
}

# Sets `tmp` to a new temp dir, removed at exit unless the variable named `$1` is set (then it is kept).
make_tmp() {
  local keep_var=${1:-}
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/portos-lsp-$suite.XXXXXX")
  if [ -n "$keep_var" ] && [ -n "${!keep_var:-}" ]; then
    trap 'echo "kept $tmp"' EXIT
  else
    trap 'rm -rf "$tmp"' EXIT
  fi
}
