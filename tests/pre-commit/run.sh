#!/usr/bin/env bash
# The pre-commit hook (.pre-commit-hooks.yaml) as a user meets it: the pre-commit framework (PyPI) runs
# `pre-commit try-repo` against this checkout in a scratch git repository, with no portos-lsp on PATH, so
# pre-commit must build the hook itself (`language: rust`: cargo install from the repository).
#
#   bash tests/pre-commit/run.sh
#
# Checks: a commit staging a clean ecosystem file (beside an ecosystem.json and a plain .js file the hook
# must not be given) passes; one staging an ecosystem file with an error fails and prints the finding.
# pre-commit goes into a venv in ~/.cache/portos-lsp/pre-commit, PRE_COMMIT_HOME (its log) beside it.
# try-repo builds the hook into a temporary store on every call, so what makes the second build cheap is
# cargo's: the hook's `cargo install` (without --locked, so newer dependencies than Cargo.lock's: it cannot
# reuse target/) gets a target directory of its own in the cache, where the dependencies stay compiled, and,
# unless PORTOS_PRE_COMMIT_OPTIMISED=1, an unoptimised release profile (CARGO_PROFILE_RELEASE_*): what is
# tested here is that pre-commit builds and runs the hook from this checkout; the optimised binary of the
# same sources is tested by .ci/run's other steps. Cold, a build takes 1.5 min instead of 3.5; warm, 40 s.
# Prints one line per check, then `pre-commit: N passed, M failed`; exits 1 when a check failed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
PRE_COMMIT_VERSION=4.7.0
cache=${XDG_CACHE_HOME:-$HOME/.cache}/portos-lsp/pre-commit
venv=$cache/venv-$PRE_COMMIT_VERSION
export PRE_COMMIT_HOME=$cache/home
export CARGO_TARGET_DIR=$cache/target
if [ "${PORTOS_PRE_COMMIT_OPTIMISED:-}" != 1 ]; then
  export CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_LTO=false \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_DEBUG=false
fi

suite=pre-commit
# shellcheck source=../checks.sh
. "$repo/tests/checks.sh"
make_tmp

if [ ! -x "$venv/bin/pre-commit" ]; then
  echo "installing pre-commit $PRE_COMMIT_VERSION (PyPI) into $venv"
  rm -rf "$venv"
  if ! { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "pre-commit==$PRE_COMMIT_VERSION"; } >"$tmp/pip.log" 2>&1; then
    not_ok "pip install pre-commit==$PRE_COMMIT_VERSION (log below)"
    indent <"$tmp/pip.log"
    rm -rf "$venv"
    finish
  fi
fi

# PATH without portos-lsp: cargo, rustc and rustup through their own directory (rustup's proxies), the rest
# of PATH without any directory that holds a portos-lsp.
tools=$tmp/tools
mkdir -p "$tools"
for tool in cargo rustc rustup; do
  if command -v "$tool" >/dev/null 2>&1; then
    ln -s "$(command -v "$tool")" "$tools/$tool"
  fi
done
path=$tools
IFS=: read -r -a dirs <<<"$PATH"
for dir in "${dirs[@]}"; do
  if [ -n "$dir" ] && [ ! -e "$dir/portos-lsp" ]; then
    path=$path:$dir
  fi
done
if PATH=$path command -v portos-lsp >/dev/null 2>&1; then
  not_ok "portos-lsp is not on the hook's PATH"
else
  ok "portos-lsp is not on the hook's PATH (pre-commit has to build it)"
fi

# The scratch repository: two apps, an ecosystem.json and a plain script.
work=$tmp/work
mkdir -p "$work/apps/blog" "$work/apps/shop"
cat >"$work/apps/blog/ecosystem.config.js" <<'JS'
module.exports = {
  apps: [{ name: 'blog', script: 'server.js', env: { PORT: 5580 } }],
};
JS
cat >"$work/apps/shop/ecosystem.config.cjs" <<'JS'
module.exports = {
  apps: [
    { name: 'shop-api', script: 'api.js', env: { PORT: 5570 } },
    { name: 'shop-worker', script: 'worker.js', env: { PORT: 5570 } },
  ],
};
JS
printf '{ "apps": [{ "name": "json-app", "script": "x.js" }] }\n' >"$work/apps/blog/ecosystem.json"
printf 'console.log("not an ecosystem file");\n' >"$work/apps/blog/server.js"

hook() { # runs the hook on what is staged; its output in $tmp/hook.log, its exit code in $status
  set +e
  (cd "$work" && PATH=$path "$venv/bin/pre-commit" try-repo "$repo" portos-lsp --color never) >"$tmp/hook.log" 2>&1
  status=$?
  set -e
}

git -C "$work" init --quiet
git -C "$work" config user.email ci@example.invalid
git -C "$work" config user.name ci
git -C "$work" add apps/blog
started=$(date +%s)
hook
echo "the first try-repo took $(($(date +%s) - started)) s (each builds the hook)"
if [ "$status" -eq 0 ] && grep -qE '^portos-lsp\.+Passed' "$tmp/hook.log"; then
  ok "a clean ecosystem file passes (ecosystem.json and server.js not given to the hook)"
else
  not_ok "a clean ecosystem file passes: exit $status (log below)"
  indent <"$tmp/hook.log" | tail -n 40
fi

git -C "$work" commit --quiet -m blog --no-verify
git -C "$work" add apps/shop
hook
if [ "$status" -ne 0 ] && grep -qE '^portos-lsp\.+Failed' "$tmp/hook.log" &&
  grep -q 'error\[duplicate-port\]' "$tmp/hook.log" && grep -q 'apps/shop/ecosystem.config.cjs' "$tmp/hook.log"; then
  ok "an ecosystem file with an error fails with the finding (exit $status)"
else
  not_ok "an ecosystem file with an error fails with the finding: exit $status (log below)"
  indent <"$tmp/hook.log" | tail -n 40
fi
finish
