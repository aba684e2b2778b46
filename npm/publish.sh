#!/usr/bin/env bash
# Publishes the npm tarballs npm/build.sh wrote (target/npm/, or --dir DIR): every platform package first,
# then the launcher, so the launcher never names a version its platforms lack. Extra arguments go to each
# `npm publish` (the release workflow passes --provenance; --dry-run tries it without publishing).
#
#   bash npm/publish.sh [--dir DIR] [npm publish options…]
#
# Authentication is npm's own (NODE_AUTH_TOKEN through actions/setup-node's .npmrc in the workflow).
set -euo pipefail
# shellcheck source=../release/lib.sh
. "$(dirname "$0")/../release/lib.sh"

dir=${CARGO_TARGET_DIR:-$portos_repo/target}/npm
if [ "${1:-}" = --dir ]; then
  dir=$2
  shift 2
fi
version=$(portos_version)
launcher=$dir/portos-lsp-$version.tgz
mapfile -t platforms < <(find "$dir" -maxdepth 1 -name "portos-lsp-cli-*-$version.tgz" | sort)
if [ ! -f "$launcher" ] || [ "${#platforms[@]}" -eq 0 ]; then
  echo "no tarballs of $version in $dir: run npm/build.sh first" >&2
  exit 1
fi
for tarball in "${platforms[@]}" "$launcher"; do
  echo "npm publish $(basename "$tarball") $*"
  npm publish "$tarball" --access public "$@"
done
