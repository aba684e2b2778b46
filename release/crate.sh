#!/usr/bin/env bash
# Packages the crate as `cargo publish` would and builds it from the package, as `cargo install portos-lsp`
# would on a user's machine:
#
#   bash release/crate.sh
#
# Checks that the .crate holds only what a build needs (src/**/*.rs, Cargo.toml, Cargo.lock) and the texts a
# user reads (README.md, CHANGELOG.md, LICENSE); unpacks it, `cargo install --path <unpacked> --locked` into a
# temporary root, and checks that the installed binary is the same program as this checkout's release build
# (the same --version, the same JSON findings on examples/workspace). The install shares CARGO_TARGET_DIR
# (default target/) with the release build: the unpacked crate is the same package to cargo (the root of its
# own workspace, as the checkout is), so when every file that build read is in the .crate and unchanged,
# cargo finds its units fresh and installs that binary; a file missing from the .crate makes cargo compile
# the package from the .crate, and fail. That install is the verification, hence `cargo package --no-verify`.
# Prints `ok - …` per check and `crate: N passed, M failed`.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

cd "$portos_repo"
version=$(portos_version)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$portos_repo/target}
suite=crate
# shellcheck source=../tests/checks.sh
. "$portos_repo/tests/checks.sh"
make_tmp

# --allow-dirty: .ci/run checks the working tree as it is, committed or not.
if cargo package --locked --no-verify --allow-dirty >"$tmp/package.log" 2>&1; then
  ok "cargo package"
else
  not_ok "cargo package (log below)"
  indent "$tmp/package.log"
  finish
fi
crate=$CARGO_TARGET_DIR/package/portos-lsp-$version.crate
tar -tzf "$crate" | sed "s|^portos-lsp-$version/||" | grep -v '/$' | sort >"$tmp/files"
unexpected=$(grep -vE '^(src/.+\.rs|Cargo\.toml|Cargo\.toml\.orig|Cargo\.lock|README\.md|CHANGELOG\.md|LICENSE|\.cargo_vcs_info\.json)$' "$tmp/files" || true)
missing=$(for f in src/main.rs src/lib.rs Cargo.toml Cargo.lock README.md CHANGELOG.md LICENSE; do
  grep -qx "$f" "$tmp/files" || echo "$f"
done)
if [ -z "$unexpected" ] && [ -z "$missing" ]; then
  ok "the .crate holds the sources, Cargo.lock and the docs only ($(wc -l <"$tmp/files") files, $(du -k "$crate" | cut -f1) KiB)"
else
  not_ok "the .crate's files: unexpected [${unexpected//$'\n'/ }], missing [${missing//$'\n'/ }]"
fi

mkdir -p "$tmp/unpacked"
tar -xzf "$crate" -C "$tmp/unpacked"
started=$(date +%s)
if cargo install --quiet --locked --path "$tmp/unpacked/portos-lsp-$version" --root "$tmp/root" >"$tmp/install.log" 2>&1; then
  ok "cargo install --path of the unpacked crate builds ($(($(date +%s) - started)) s)"
else
  not_ok "cargo install --path of the unpacked crate (log below)"
  indent "$tmp/install.log" | tail -n 40
  finish
fi

installed=$tmp/root/bin/portos-lsp
release=$CARGO_TARGET_DIR/release/portos-lsp
if [ ! -x "$release" ]; then
  cargo build --release --locked --quiet
fi
if [ "$("$installed" --version)" = "portos-lsp $version" ] && [ "$("$release" --version)" = "portos-lsp $version" ]; then
  ok "the installed binary is portos-lsp $version"
else
  not_ok "the installed binary says $("$installed" --version), expected portos-lsp $version"
fi
findings() {
  (cd examples/workspace && XDG_CONFIG_HOME=$tmp/no-user-config "$1" check . --output-format json 2>/dev/null || true)
}
if [ -n "$(findings "$installed")" ] && [ "$(findings "$installed")" = "$(findings "$release")" ]; then
  same=
  if cmp -s "$installed" "$release"; then same=" (it is that build, byte for byte)"; fi
  ok "the installed binary finds what the release build finds on examples/workspace$same"
else
  not_ok "the installed binary and the release build disagree on examples/workspace"
fi
finish
