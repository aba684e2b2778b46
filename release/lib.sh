# Sourced by the release and packaging scripts (release/, npm/, editors/vscode/scripts/package.sh): the
# repository's root, the version, this machine's Rust target, and the one mapping from a Rust target to the
# <os>-<cpu> name npm packages and VS Code's platform .vsix files share (Node's process.platform-process.arch).

portos_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The crate's version, which every package carries (tests/packaging.rs checks the manifests).
portos_version() {
  sed -nE 's/^version = "([^"]+)"$/\1/p' "$portos_repo/Cargo.toml" | head -n 1
}

# This machine's Rust target triple.
portos_host_target() {
  rustc -vV | sed -nE 's/^host: //p'
}

# npm's and VS Code's platform name for a Rust target; fails for a target no package is built for.
portos_platform_of() {
  case "$1" in
    x86_64-unknown-linux-*) echo linux-x64 ;;
    aarch64-unknown-linux-*) echo linux-arm64 ;;
    x86_64-apple-darwin) echo darwin-x64 ;;
    aarch64-apple-darwin) echo darwin-arm64 ;;
    x86_64-pc-windows-*) echo win32-x64 ;;
    *) echo "no npm/VS Code platform for the Rust target $1" >&2; return 1 ;;
  esac
}

# The binary's file name on a target.
portos_exe_of() {
  case "$1" in
    *-windows-*) echo portos-lsp.exe ;;
    *) echo portos-lsp ;;
  esac
}

# The targets in a bin directory (one subdirectory per Rust target, holding the binary), one a line.
portos_targets_in() {
  local dir
  for dir in "$1"/*/; do
    [ -d "$dir" ] || continue
    dir=${dir%/}
    [ -f "$dir/$(portos_exe_of "${dir##*/}")" ] && echo "${dir##*/}"
  done
  return 0
}

# Builds this machine's release binary (release/build.sh) into BIN_DIR/<host target>/ unless it is there
# already; prints nothing.
portos_host_bin_dir() {
  local bin_dir=$1 host
  host=$(portos_host_target)
  bash "$portos_repo/release/build.sh" --out "$bin_dir/$host"
}
