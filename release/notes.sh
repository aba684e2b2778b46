#!/usr/bin/env bash
# Prints the release notes of the current version: CHANGELOG.md's entry for Cargo.toml's version.
#
#   bash release/notes.sh [TAG]
#
# With TAG (the release workflow passes the pushed tag), first checks that it names that version (v0.1.0 for
# 0.1.0): a tag and a crate that disagree must not publish anything. Fails when the changelog has no entry.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

version=$(portos_version)
if [ $# -gt 0 ] && [ "$1" != "v$version" ]; then
  echo "the tag $1 does not name Cargo.toml's version $version (expected v$version)" >&2
  exit 1
fi
notes=$(awk -v heading="## [$version]" '
  index($0, heading) == 1 { inside = 1; next }
  inside && /^## / { exit }
  inside && /^\[[^]]+\]: / { next }
  inside { print }
' "$portos_repo/CHANGELOG.md")
if [ -z "${notes//[[:space:]]/}" ]; then
  echo "CHANGELOG.md has no entry for $version" >&2
  exit 1
fi
printf '%s\n' "$notes" | sed -e '/./,$!d'
