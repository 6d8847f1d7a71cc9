#!/usr/bin/env bash
# Installs the agent CLIs that Catalyst runs, each at its pinned version, into a cache outside the
# repository: ${CATALYST_CLI_CACHE:-$HOME/.cache/catalyst/agent-clis}/<package>@<version>.
# Links each program into <cache>/bin and prints "<program> <path>" per CLI on stdout.
# Idempotent: an installed and working version is left alone (a run with nothing to do takes well under a second).
#
#   scripts/install-agent-clis.sh            the CLIs the tests run: Claude Code, Codex CLI, Cline, Gemini CLI,
#                                            Qwen Code, OpenCode
#   scripts/install-agent-clis.sh --all      also the optional ones (none at the moment)
#   scripts/install-agent-clis.sh --check    install nothing; exit 1 when a required CLI is missing
set -euo pipefail

cache="${CATALYST_CLI_CACHE:-$HOME/.cache/catalyst/agent-clis}"
mode=required
case "${1:-}" in
  --all) mode=all ;;
  --check) mode=check ;;
  "") ;;
  *) echo "usage: $0 [--all|--check]" >&2; exit 2 ;;
esac

log() { printf '==> %s\n' "$*" >&2; }

# package version program required
clis=(
  "@anthropic-ai/claude-code 2.1.328 claude yes"
  "@openai/codex 0.169.0 codex yes"
  "cline 3.0.65 cline yes"
  "@google/gemini-cli 0.61.0 gemini yes"
  "@qwen-code/qwen-code 0.24.4 qwen yes"
  "opencode-ai 1.18.33 opencode yes"
)

if ! command -v npm >/dev/null; then
  log "npm is not installed: the agent CLIs cannot be installed (the tests that run them will be skipped)"
  [ "$mode" = check ] && exit 1
  exit 0
fi

mkdir -p "$cache/bin"
missing=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
offline=""
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && unshare -n true 2>/dev/null; then offline="unshare -n"; fi
for entry in "${clis[@]}"; do
  read -r package version program required <<<"$entry"
  if [ "$mode" != all ] && [ "$required" != yes ]; then continue; fi
  dir="$cache/$package@$version"
  bin="$dir/node_modules/.bin/$program"
  stamp="$dir/.catalyst-installed"

  if [ ! -f "$stamp" ] || [ ! -x "$bin" ]; then
    if [ "$mode" = check ]; then log "missing: $package@$version"; missing=1; continue; fi
    log "installing $package@$version"
    rm -rf "$dir.partial"
    mkdir -p "$dir.partial"
    printf '{"name":"catalyst-agent-cli","private":true}\n' >"$dir.partial/package.json"
    # Scripts stay on: the CLIs that ship a native binary place it from an optional dependency in a postinstall.
    if ! npm install --prefix "$dir.partial" --no-audit --no-fund --no-update-notifier --loglevel=error \
        --include=optional --save-exact "$package@$version" >&2; then
      log "could not install $package@$version"
      rm -rf "$dir.partial"
      missing=1
      continue
    fi
    rm -rf "$dir"
    mv "$dir.partial" "$dir"
    # npm's .bin links are relative; the move keeps them working.
    # The program must start offline, in a clean environment: in a network namespace with no link when we may make one.
    if ! out=$(cd /tmp && $offline env -i PATH="$(dirname "$(command -v node)"):/usr/bin:/bin" HOME="$scratch" \
        timeout 60 "$bin" --version </dev/null 2>&1); then
      log "$package@$version installed but '$program --version' failed: $out"
      missing=1
      continue
    fi
    log "$program $(printf '%s' "$out" | tail -1)"
    date -u +%FT%TZ >"$stamp"
  fi
  ln -sfn "$bin" "$cache/bin/$program"
  printf '%s %s\n' "$program" "$bin"
done

exit "$missing"
