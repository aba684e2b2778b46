#!/usr/bin/env bash
# Builds the release binary of portos-lsp, the one every channel ships (archives, npm, .vsix, pre-commit
# builds its own from the same sources):
#
#   bash release/build.sh [--target TRIPLE] [--cross] [--out DIR]
#
# Without --target: this machine's target, `cargo build --release --locked` (target/release/portos-lsp, the
# build .ci/run's other steps reuse). With --target: that target (rustup adds it), through `cross` with
# --cross (Linux targets from another CPU). Windows gets the C runtime linked statically (no vcruntime
# installed needed); musl targets are static already. --out DIR copies the binary into DIR.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

target= tool=cargo out=
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target=$2; shift 2 ;;
    --cross) tool=cross; shift ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--target TRIPLE] [--cross] [--out DIR]" >&2; exit 2 ;;
  esac
done

cd "$portos_repo"
target_dir=${CARGO_TARGET_DIR:-$portos_repo/target}
if [ -z "$target" ]; then
  cargo build --release --locked
  built=$target_dir/release/portos-lsp
  exe=portos-lsp
else
  if [ "$tool" = cargo ] && command -v rustup >/dev/null 2>&1; then
    rustup target add "$target"
  fi
  case "$target" in
    *-windows-msvc) export RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" ;;
  esac
  "$tool" build --release --locked --target "$target"
  exe=$(portos_exe_of "$target")
  built=$target_dir/$target/release/$exe
fi
if [ -z "$target" ]; then
  "$built" --version >/dev/null # this machine's build runs here (a cross-built one may not)
fi
if [ -n "$out" ]; then
  mkdir -p "$out"
  cp "$built" "$out/$exe"
  echo "built $out/$exe"
else
  echo "built $built"
fi
