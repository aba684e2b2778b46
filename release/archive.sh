#!/usr/bin/env bash
# Writes the release archives: one per target, with the binary, its shell completions and man pages, the
# README, CHANGELOG and LICENSE; a .sha256 file beside each and SHA256SUMS over all of them.
#
#   bash release/archive.sh --bin-dir DIR --out DIR
#
# --bin-dir holds one subdirectory per Rust target with its binary (what release/build.sh --out writes):
#   portos-lsp-VERSION-TARGET.tar.gz   (portos-lsp-VERSION-TARGET.zip for Windows)
#     portos-lsp-VERSION-TARGET/portos-lsp[.exe], README.md, CHANGELOG.md, LICENSE,
#     completions/ (portos-lsp.bash, _portos-lsp for zsh, portos-lsp.fish, _portos-lsp.ps1, portos-lsp.elv),
#     man/ (portos-lsp.1 and a page per command)
# The completions and pages are the same for every target; they come from the first binary that runs here.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

bin_dir= out=
while [ $# -gt 0 ]; do
  case "$1" in
    --bin-dir) bin_dir=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 --bin-dir DIR --out DIR" >&2; exit 2 ;;
  esac
done
if [ -z "$bin_dir" ] || [ -z "$out" ]; then
  echo "usage: $0 --bin-dir DIR --out DIR" >&2
  exit 2
fi
mapfile -t targets < <(portos_targets_in "$bin_dir")
if [ "${#targets[@]}" -eq 0 ]; then
  echo "no binaries in $bin_dir (expected $bin_dir/<rust target>/portos-lsp)" >&2
  exit 1
fi
version=$(portos_version)
mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d "${TMPDIR:-/tmp}/portos-lsp-archive.XXXXXX")
trap 'rm -rf "$stage"' EXIT

generator=
for target in "${targets[@]}"; do
  candidate=$bin_dir/$target/$(portos_exe_of "$target")
  chmod +x "$candidate" # artifacts downloaded in a workflow lose the executable bit
  if [ "$("$candidate" --version 2>/dev/null)" = "portos-lsp $version" ]; then
    generator=$candidate
    break
  fi
done
if [ -z "$generator" ]; then
  echo "none of the binaries in $bin_dir runs here as portos-lsp $version: cannot write the completions" >&2
  exit 1
fi
extras=$stage/extras
mkdir -p "$extras/completions"
"$generator" completions bash >"$extras/completions/portos-lsp.bash"
"$generator" completions zsh >"$extras/completions/_portos-lsp"
"$generator" completions fish >"$extras/completions/portos-lsp.fish"
"$generator" completions powershell >"$extras/completions/_portos-lsp.ps1"
"$generator" completions elvish >"$extras/completions/portos-lsp.elv"
"$generator" manpage --out-dir "$extras/man"

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

archives=()
for target in "${targets[@]}"; do
  name=portos-lsp-$version-$target
  dir=$stage/$name
  exe=$(portos_exe_of "$target")
  mkdir -p "$dir"
  cp "$bin_dir/$target/$exe" "$dir/$exe"
  chmod 755 "$dir/$exe"
  cp "$portos_repo/README.md" "$portos_repo/CHANGELOG.md" "$portos_repo/LICENSE" "$dir/"
  cp -R "$extras/completions" "$extras/man" "$dir/"
  case "$target" in
    *-windows-*)
      archive=$name.zip
      rm -f "$out/$archive"
      (cd "$stage" && python3 -m zipfile -c "$out/$archive" "$name")
      ;;
    *)
      archive=$name.tar.gz
      tar -C "$stage" -czf "$out/$archive" --owner=0 --group=0 --numeric-owner "$name"
      ;;
  esac
  (cd "$out" && sha256 "$archive" >"$archive.sha256")
  archives+=("$archive")
  echo "wrote $out/$archive"
done
(cd "$out" && sha256 "${archives[@]}" >SHA256SUMS)
echo "wrote $out/SHA256SUMS"
