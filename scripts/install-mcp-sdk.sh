#!/usr/bin/env bash
# Installs the official MCP TypeScript SDK, at its pinned version, into a cache outside the repository:
# ${CATALYST_CLI_CACHE:-$HOME/.cache/catalyst/agent-clis}/@modelcontextprotocol/sdk@<version>. The MCP tests drive
# Catalyst's /mcp with it (as well as with the C# SDK). Prints the directory that holds node_modules.
# Idempotent: an installed version is left alone.
set -euo pipefail

version=1.32.2
cache="${CATALYST_CLI_CACHE:-$HOME/.cache/catalyst/agent-clis}"
dir="$cache/@modelcontextprotocol/sdk@$version"
stamp="$dir/.catalyst-installed"

if [ ! -f "$stamp" ]; then
  command -v npm >/dev/null || { echo "npm is not installed: the MCP TypeScript SDK cannot be installed" >&2; exit 1; }
  echo "==> installing @modelcontextprotocol/sdk@$version" >&2
  rm -rf "$dir.partial"
  mkdir -p "$dir.partial"
  printf '{"name":"catalyst-mcp-sdk","private":true,"type":"module"}\n' >"$dir.partial/package.json"
  npm install --prefix "$dir.partial" --no-audit --no-fund --no-update-notifier --loglevel=error --ignore-scripts \
    --save-exact "@modelcontextprotocol/sdk@$version" >&2
  rm -rf "$dir"
  mv "$dir.partial" "$dir"
  date -u +%FT%TZ >"$stamp"
fi
printf '%s\n' "$dir"
