#!/usr/bin/env bash
# Installs this machine's two npm tarballs from target/npm/ (npm/build.sh writes them) into a scratch Node
# project, as a user's `npm i -D portos-lsp` would, and runs the installed command:
#
#   bash npm/test.sh [--dir DIR]     DIR holds the tarballs (default target/npm)
#
# `npx portos-lsp --version` (the installed one: npm_config_yes=false forbids a download) must print the
# crate's version, `npx portos-lsp check` on a copy of examples/workspace must exit 1 with its findings, and
# `npm run lint:ports` (the README's script) the
# same; the launcher's errors (an unknown platform, a missing platform package, PORTOS_LSP_BINARY) exit 2
# naming the cause. npm looks the other platforms' optional packages up in the registry; a failed look-up
# is skipped, as for any optional dependency. Prints `ok - …` per check; exits 1 when one fails.
set -euo pipefail
# shellcheck source=../release/lib.sh
. "$(dirname "$0")/../release/lib.sh"

dir=${CARGO_TARGET_DIR:-$portos_repo/target}/npm
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    *) echo "usage: $0 [--dir DIR]" >&2; exit 2 ;;
  esac
done
dir=$(cd "$dir" && pwd)
version=$(portos_version)
platform=$(node -p 'process.platform + "-" + process.arch')
launcher=$dir/portos-lsp-$version.tgz
package=$dir/portos-lsp-cli-$platform-$version.tgz
for file in "$launcher" "$package"; do
  if [ ! -f "$file" ]; then
    echo "missing $file: run npm/build.sh first" >&2
    exit 1
  fi
done

suite=npm
# shellcheck source=../tests/checks.sh
. "$portos_repo/tests/checks.sh"
make_tmp
scratch=$tmp

project=$scratch/project
mkdir -p "$project"
cp -R "$portos_repo/examples/workspace" "$project/workspace"
cat >"$project/package.json" <<JSON
{ "name": "npm-test", "version": "1.0.0", "private": true, "scripts": { "lint:ports": "portos-lsp check workspace" } }
JSON
cd "$project"
export npm_config_yes=false
if npm install --no-audit --no-fund --save-dev --cache "$scratch/npm-cache" "$launcher" "$package" >"$scratch/install.log" 2>&1; then
  ok "npm install of portos-lsp-$version.tgz and portos-lsp-cli-$platform-$version.tgz"
else
  not_ok "npm install of the tarballs (log below)"
  indent "$scratch/install.log"
  finish
fi

if [ "$(npx portos-lsp --version)" = "portos-lsp $version" ]; then
  ok "npx portos-lsp --version prints portos-lsp $version"
else
  not_ok "npx portos-lsp --version prints portos-lsp $version"
fi

set +e
npx portos-lsp check workspace --output-format concise --color never >"$scratch/check.out" 2>&1
status=$?
set -e
if [ "$status" -eq 1 ] && grep -q 'error\[duplicate-port\]' "$scratch/check.out" && grep -qE '^Found [0-9]+ error' "$scratch/check.out"; then
  ok "npx portos-lsp check on the example workspace exits 1 with its findings ($(tail -n 1 "$scratch/check.out"))"
else
  not_ok "npx portos-lsp check on the example workspace: exit $status, expected 1 and findings"
  indent "$scratch/check.out" | tail -n 20
fi

set +e
npm run --silent lint:ports >/dev/null 2>&1
status=$?
set -e
if [ "$status" -eq 1 ]; then ok "npm run lint:ports exits 1 on the example workspace"; else not_ok "npm run lint:ports exited $status"; fi

# The launcher's errors, each exit 2 (portos-lsp's "could not check", never 1 "findings").
expect_error() { # description, expected text, then the command's environment and arguments
  local description=$1 expected=$2 out status
  shift 2
  set +e
  out=$(env "$@" npx portos-lsp --version 2>&1)
  status=$?
  set -e
  if [ "$status" -eq 2 ] && grep -qF -- "$expected" <<<"$out"; then ok "$description"; else not_ok "$description: exit $status, $out"; fi
}
printf 'Object.defineProperty(process, "arch", { value: "riscv64" });\n' >"$scratch/riscv.cjs"
expect_error "an unknown platform is named (${platform%-*}-riscv64)" "(${platform%-*}-riscv64)" \
  NODE_OPTIONS="--require $scratch/riscv.cjs"
expect_error "PORTOS_LSP_BINARY naming nothing is an error" "PORTOS_LSP_BINARY is set to $scratch/none" \
  PORTOS_LSP_BINARY="$scratch/none"
printf '#!/bin/sh\necho "the override ran"\n' >"$scratch/override"
chmod 755 "$scratch/override"
if [ "$(PORTOS_LSP_BINARY="$scratch/override" npx portos-lsp)" = "the override ran" ]; then
  ok "PORTOS_LSP_BINARY runs that binary instead"
else
  not_ok "PORTOS_LSP_BINARY runs that binary instead"
fi
rm -rf "node_modules/@portos-lsp/cli-$platform"
expect_error "a missing platform package is named" "the package @portos-lsp/cli-$platform"

finish
