#!/usr/bin/env bash
# Writes the npm packages as tarballs into target/npm/: the launcher `portos-lsp` (npm/launcher) and one
# package per platform, @portos-lsp/cli-<os>-<cpu>, holding that platform's binary in bin/.
#
#   bash npm/build.sh                  this machine: builds the release binary (release/build.sh) and writes
#                                      its two tarballs, portos-lsp-VERSION.tgz and portos-lsp-cli-<os>-<cpu>-VERSION.tgz
#   bash npm/build.sh --bin-dir DIR    the launcher and a platform package per target in DIR (one subdirectory
#                                      per Rust target holding its binary: what the release workflow downloads)
#
# npm/test.sh installs the tarballs and runs them; npm/publish.sh publishes them.
set -euo pipefail
# shellcheck source=../release/lib.sh
. "$(dirname "$0")/../release/lib.sh"

bin_dir=
while [ $# -gt 0 ]; do
  case "$1" in
    --bin-dir) bin_dir=$2; shift 2 ;;
    *) echo "usage: $0 [--bin-dir DIR]" >&2; exit 2 ;;
  esac
done
target_dir=${CARGO_TARGET_DIR:-$portos_repo/target}
if [ -z "$bin_dir" ]; then
  bin_dir=$target_dir/dist/bin
  portos_host_bin_dir "$bin_dir"
  mapfile -t targets < <(portos_host_target)
else
  mapfile -t targets < <(portos_targets_in "$bin_dir")
fi
if [ "${#targets[@]}" -eq 0 ]; then
  echo "no binaries in $bin_dir (expected $bin_dir/<rust target>/portos-lsp)" >&2
  exit 1
fi

version=$(portos_version)
out=$target_dir/npm
stage=$out/stage
rm -rf "$stage"
mkdir -p "$stage"
rm -f "$out"/portos-lsp-*.tgz

# The launcher: as committed (its version and optionalDependencies are checked against Cargo.toml's).
launcher_version=$(node -p 'require(process.argv[1]).version' "$portos_repo/npm/launcher/package.json")
if [ "$launcher_version" != "$version" ]; then
  echo "npm/launcher/package.json has version $launcher_version, Cargo.toml $version" >&2
  exit 1
fi
cp -R "$portos_repo/npm/launcher" "$stage/launcher"
cp "$portos_repo/LICENSE" "$stage/launcher/"
chmod 755 "$stage/launcher/bin/portos-lsp.js"

for target in "${targets[@]}"; do
  platform=$(portos_platform_of "$target")
  exe=$(portos_exe_of "$target")
  dir=$stage/cli-$platform
  mkdir -p "$dir/bin"
  cp "$bin_dir/$target/$exe" "$dir/bin/$exe"
  chmod 755 "$dir/bin/$exe"
  cp "$portos_repo/LICENSE" "$dir/"
  # os/cpu let npm install the package only where the binary runs; the Linux binaries are static (musl), so
  # one package per CPU serves glibc and musl systems alike.
  node - "$dir/package.json" "$platform" "$version" "$target" <<'JS'
const [file, platform, version, target] = process.argv.slice(2);
const [os, cpu] = platform.split('-');
const manifest = {
  name: `@portos-lsp/cli-${platform}`,
  version,
  description: `The portos-lsp binary for ${platform} (${target}); install the portos-lsp package, which runs it`,
  license: 'MIT',
  repository: { type: 'git', url: 'git+https://github.com/portos-lsp/portos-lsp.git', directory: 'npm' },
  homepage: 'https://github.com/portos-lsp/portos-lsp#readme',
  os: [os],
  cpu: [cpu],
  files: ['bin/'],
  preferUnplugged: true,
};
require('node:fs').writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
JS
  printf '# @portos-lsp/cli-%s\n\nThe `portos-lsp` binary for %s, built for `%s`. Install [`portos-lsp`](https://www.npmjs.com/package/portos-lsp) instead: it depends on this package where it fits and runs the binary.\n' \
    "$platform" "$platform" "$target" >"$dir/README.md"
done

for dir in "$stage"/*/; do
  (cd "$dir" && npm pack --silent --pack-destination "$out" >/dev/null)
done
rm -rf "$stage"
ls -1 "$out"/portos-lsp-*.tgz
