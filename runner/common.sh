# Shared by entrypoint.sh and sandboxed.sh: progress lines, failing, JSON strings.

progress() { printf '::catalyst:: %s\n' "$*"; }
# Something went wrong that the task survives (a cache that could not serve, say): shown on the task as a warning.
warn() { printf '::catalyst-warning:: %s\n' "$*"; }
fail() { printf 'catalyst runner: %s\n' "$*" >&2; exit 2; }

# JSON string literal of $1 into $json (bash strings hold no NUL). No subshell: it runs for every commit.
control_chars=()
for ((i = 1; i < 32; i++)); do printf -v hex '%02x' "$i"; printf -v "control_chars[$i]" "\\x$hex"; done
json_quote() {
  local s=$1 i u
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  for ((i = 1; i < 32; i++)); do
    if [[ $s == *"${control_chars[i]}"* ]]; then printf -v u '\\u%04x' "$i"; s=${s//"${control_chars[i]}"/$u}; fi
  done
  json="\"$s\""
}
