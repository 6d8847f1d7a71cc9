#!/usr/bin/env bash
# Runs every Catalyst test on a fresh machine: installs what the tests need, runs them,
# and ends with one line "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=""
apt_install() {
  if ! command -v apt-get >/dev/null; then
    log "missing $*: install it with your package manager"; return 1
  fi
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq >/dev/null; apt_updated=1; fi
  log "installing $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# PostgreSQL server programs: the tests start a throwaway cluster when no Docker engine answers.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
  apt_install postgresql
fi
# Chromium for the end-to-end tests (Playwright drives it; no browser download).
if [ ! -x "${CATALYST_CHROMIUM:-/usr/bin/chromium}" ]; then apt_install chromium; fi
command -v git >/dev/null || apt_install git
command -v setsid >/dev/null || apt_install util-linux
# Every workspace runs in a bubblewrap sandbox whose one door out is forwarded by socat.
command -v bwrap >/dev/null || apt_install bubblewrap
command -v socat >/dev/null || apt_install socat
# python3 with venv on the agents' PATH: the test of installing a pip CLI on first use (skipped without it).
PATH=/usr/local/bin:/usr/bin:/bin python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv || true

# Agent CLIs from npm, cached outside the repository.
if [ -x scripts/install-agent-clis.sh ]; then scripts/install-agent-clis.sh; fi
# The MCP TypeScript SDK, which the MCP tests drive /mcp with (also cached outside the repository).
if [ -x scripts/install-mcp-sdk.sh ]; then scripts/install-mcp-sdk.sh >/dev/null || log "the MCP TypeScript SDK could not be installed"; fi

results="$(pwd)/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

log "building"
dotnet build Catalyst.sln -c Release -nologo -v quiet

log "running tests"
set +e
dotnet test --project tests/Catalyst.Tests -c Release --no-build \
  --report-trx --report-trx-filename catalyst.trx --results-directory "$results" "$@"
status=$?
set -e

trx="$results/catalyst.trx"
if [ ! -f "$trx" ]; then
  echo "0 passed, 0 failed"
  log "no test report was written (dotnet test exited $status)"
  exit 1
fi
counters="$(grep -o '<Counters [^>]*>' "$trx" | head -1)"
num() { printf '%s' "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
total="$(num total)"; passed="$(num passed)"; failed="$(num failed)"; executed="$(num executed)"
errors="$(num error)"; timeouts="$(num timeout)"; aborted="$(num aborted)"
failed=$(( ${failed:-0} + ${errors:-0} + ${timeouts:-0} + ${aborted:-0} ))
skipped=$(( ${total:-0} - ${executed:-0} ))
if [ "$failed" -gt 0 ]; then
  # Name each failure again at the very end, where a truncated log still shows it.
  printf '\nFailed tests (full output in %s):\n' "$trx"
  tr -d '\r' < "$trx" | awk '
    /<UnitTestResult / && /outcome="(Failed|Error|Timeout|Aborted)"/ {
      match($0, /testName="[^"]*"/); name = substr($0, RSTART + 10, RLENGTH - 11); printing = 1; lines = 0
      gsub(/&quot;/, "\"", name); print "  - " name; next }
    printing && /<Message>/ { inmsg = 1; sub(/.*<Message>/, "") }
    printing && inmsg { text = $0; done = sub(/<\/Message>.*/, "", text)
      gsub(/&lt;/, "<", text); gsub(/&gt;/, ">", text); gsub(/&quot;/, "\"", text); gsub(/&amp;/, "\\&", text)
      if (lines < 6 && text != "") { print "      " text; lines++ }
      if (done) { inmsg = 0; printing = 0 } }
    /<\/UnitTestResult>/ { printing = 0; inmsg = 0 }'
fi
echo "${passed:-0} passed, ${failed} failed, ${skipped} skipped"
if [ "${total:-0}" -eq 0 ] || [ "${passed:-0}" -eq 0 ]; then log "no test ran"; exit 1; fi
if [ "$failed" -gt 0 ] || [ "$status" -ne 0 ]; then exit 1; fi
