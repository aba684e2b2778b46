#!/usr/bin/env bash
# Shell completions and man pages as the release archives ship them, from the release binary:
#
#   bash tests/shells/run.sh [BINARY]      default: target/release/portos-lsp (release/build.sh builds it)
#
# bash and fish load their script and complete `portos-lsp ch` to `check` and `portos-lsp check --output-f`
# to `--output-format`; zsh and elvish parse theirs (installed with apt-get when missing, as root on Debian,
# else skipped); PowerShell's script is checked for its registration. The man pages render with groff
# without a warning, and `man` finds portos-lsp(1) in a manpath made by `manpage --out-dir`. Then
# release/archive.sh packs the binary and must produce an archive holding all of them whose SHA-256 checks.
# Prints one line per check, then `shells: N passed, M failed`; exits 1 when a check failed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
binary=${1:-${CARGO_TARGET_DIR:-$repo/target}/release/portos-lsp}
binary=$(realpath "$binary")
# shellcheck source=../../release/lib.sh
. "$repo/release/lib.sh"

suite=shells
# shellcheck source=../checks.sh
. "$repo/tests/checks.sh"
skip() { echo "skip - $1"; }
make_tmp

missing=()
for shell in zsh fish elvish; do
  command -v "$shell" >/dev/null 2>&1 || missing+=("$shell")
done
if [ "${#missing[@]}" -gt 0 ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} with apt-get"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}") >"$tmp/apt.log" 2>&1 || { echo "apt-get failed:"; tail -n 5 "$tmp/apt.log"; }
fi

for shell in bash zsh fish powershell elvish; do
  if "$binary" completions "$shell" >"$tmp/completions.$shell" 2>"$tmp/err" && [ -s "$tmp/completions.$shell" ]; then
    ok "portos-lsp completions $shell"
  else
    not_ok "portos-lsp completions $shell: $(cat "$tmp/err")"
  fi
done

# bash: the function the script registers with `complete -F`, called as readline would.
bash_complete() { # words…: prints COMPREPLY for the last word
  bash --norc --noprofile -c '
    source "$1"; shift
    function=$(complete -p portos-lsp | sed -nE "s/.* -F ([^ ]+) .*/\1/p")
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    "$function" portos-lsp "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf "%s\n" "${COMPREPLY[@]}"' _ "$tmp/completions.bash" "$@"
}
if [ "$(bash_complete portos-lsp ch)" = check ] && bash_complete portos-lsp check --output-f | grep -qx -- --output-format; then
  ok "bash completes \`portos-lsp ch\` and \`check --output-f\`"
else
  not_ok "bash completes \`portos-lsp ch\` to check: got [$(bash_complete portos-lsp ch | tr '\n' ' ')]"
fi

if command -v fish >/dev/null 2>&1; then
  fish_complete() { fish --no-config -c "source $tmp/completions.fish; complete -C '$1'" | cut -f1; }
  if fish_complete 'portos-lsp ch' | grep -qx check && fish_complete 'portos-lsp check --output-f' | grep -qx -- --output-format; then
    ok "fish completes \`portos-lsp ch\` and \`check --output-f\`"
  else
    not_ok "fish completes \`portos-lsp ch\`: got [$(fish_complete 'portos-lsp ch' | tr '\n' ' ')]"
  fi
else
  skip "fish is not installed"
fi

if command -v zsh >/dev/null 2>&1; then
  if zsh -n "$tmp/completions.zsh" 2>"$tmp/err" && grep -q '^#compdef portos-lsp' "$tmp/completions.zsh"; then
    ok "zsh parses its script (#compdef portos-lsp)"
  else
    not_ok "zsh parses its script: $(cat "$tmp/err")"
  fi
else
  skip "zsh is not installed"
fi

# elvish: `edit:` exists only in an interactive shell, so the script runs with a map and a function of ours in
# its place; the completer it registers then lists the candidates for a command line (elvish filters them).
if command -v elvish >/dev/null 2>&1; then
  {
    echo 'var completers = [&]'
    echo 'fn candidate {|text &display=$nil| put $text }'
    sed -e 's/edit:completion:arg-completer/completers/' -e 's/edit:complex-candidate/candidate/' "$tmp/completions.elvish"
    echo 'echo "top:" ($completers[portos-lsp] portos-lsp "")'
    echo 'echo "check:" ($completers[portos-lsp] portos-lsp check --output-f)'
  } >"$tmp/elvish-test.elv"
  if elvish -norc "$tmp/elvish-test.elv" >"$tmp/elvish.out" 2>"$tmp/err" &&
    grep -qE '^top: .*\bcheck\b' "$tmp/elvish.out" && grep -qE '^check: .*--output-format\b' "$tmp/elvish.out"; then
    ok "elvish's completer offers check and \`check --output-format\`"
  else
    not_ok "elvish's completer: $(head -c 300 "$tmp/err" "$tmp/elvish.out")"
  fi
else
  skip "elvish is not installed"
fi

if grep -q "Register-ArgumentCompleter -Native -CommandName 'portos-lsp'" "$tmp/completions.powershell"; then
  ok "the PowerShell script registers a completer for portos-lsp"
else
  not_ok "the PowerShell script registers a completer for portos-lsp"
fi

# The man pages: groff's warnings are errors here.
mkdir -p "$tmp/man/man1"
"$binary" manpage --out-dir "$tmp/man/man1"
pages=("$tmp"/man/man1/*.1)
bad=()
for page in "${pages[@]}"; do
  # -k: UTF-8 input through preconv, as man does.
  if ! groff -k -man -Tutf8 -ww -z "$page" >/dev/null 2>"$tmp/err" || [ -s "$tmp/err" ]; then
    bad+=("$(basename "$page"): $(head -n 3 "$tmp/err")")
  fi
done
if [ "${#bad[@]}" -eq 0 ] && [ "${#pages[@]}" -ge 8 ]; then
  ok "groff renders the ${#pages[@]} man pages without a warning"
else
  not_ok "the man pages (${#pages[@]}): ${bad[*]}"
fi
if MANPATH=$tmp/man MANWIDTH=100 man portos-lsp 2>/dev/null | grep -q 'EXIT STATUS' &&
  MANPATH=$tmp/man MANWIDTH=100 man portos-lsp-check 2>/dev/null | grep -q -- '--output-format'; then
  ok "man finds portos-lsp(1) and portos-lsp-check(1)"
else
  not_ok "man finds portos-lsp(1) and portos-lsp-check(1)"
fi

# The release archive of this machine's binary, as release/archive.sh writes it for every target.
host=$(portos_host_target)
mkdir -p "$tmp/bin/$host"
cp "$binary" "$tmp/bin/$host/portos-lsp"
if bash "$repo/release/archive.sh" --bin-dir "$tmp/bin" --out "$tmp/release" >"$tmp/archive.log" 2>&1; then
  version=$(portos_version)
  archive=portos-lsp-$version-$host.tar.gz
  listing=$(tar -tzf "$tmp/release/$archive" | sed "s|^portos-lsp-$version-$host/||" | sort | tr '\n' ' ')
  want="portos-lsp README.md CHANGELOG.md LICENSE completions/portos-lsp.bash completions/_portos-lsp completions/portos-lsp.fish completions/_portos-lsp.ps1 completions/portos-lsp.elv man/portos-lsp.1 man/portos-lsp-check.1"
  absent=$(for f in $want; do [[ " $listing " == *" $f "* ]] || echo "$f"; done)
  if [ -z "$absent" ] && (cd "$tmp/release" && sha256sum -c --quiet "$archive.sha256" && sha256sum -c --quiet SHA256SUMS); then
    ok "release/archive.sh: $archive holds the binary, completions and man pages; its SHA-256 checks"
  else
    not_ok "release/archive.sh: $archive lacks [${absent//$'\n'/ }] or its sum is wrong"
  fi
else
  not_ok "release/archive.sh (log below)"
  indent "$tmp/archive.log"
fi

finish
