#!/usr/bin/env bash
# Catalyst agent runner: clone, branch, run the agent headless, commit what it left, list the
# commits, push the work branch, and report one `::catalyst-result:: <json>` line on stdout.
# The local backend runs this as a child process; the Kubernetes Job runs it as the container's command.
# Exit code: the agent's exit code (143 when stopped before the agent started).
set -euo pipefail

: "${CATALYST_TASK_ID:?CATALYST_TASK_ID is required}"
: "${CATALYST_REPOSITORY_URL:?CATALYST_REPOSITORY_URL is required}"
: "${CATALYST_BASE_BRANCH:?CATALYST_BASE_BRANCH is required}"
: "${CATALYST_WORK_BRANCH:?CATALYST_WORK_BRANCH is required}"
: "${CATALYST_WORKSPACE:?CATALYST_WORKSPACE is required}"
: "${CATALYST_PROMPT_FILE:?CATALYST_PROMPT_FILE is required}"
: "${CATALYST_AGENT_ARGV_FILE:?CATALYST_AGENT_ARGV_FILE is required}"
: "${HOME:?HOME is required}"
# run: clone, run the agent, capture, push. plan: clone, run the agent's plan command, capture nothing (the workspace
# is kept for the approval). execute: continue in the workspace a plan left, then capture and push.
phase="${CATALYST_PHASE:-run}"
case "$phase" in run|plan|execute) ;; *) printf 'catalyst runner: unknown phase: %s\n' "$phase" >&2; exit 2 ;; esac
# How long the agent gets between SIGTERM and SIGKILL, so that commits can still be captured and pushed.
agent_grace="${CATALYST_AGENT_GRACE_SECONDS:-5}"

export GIT_TERMINAL_PROMPT=0
export GIT_SSH_COMMAND="${GIT_SSH_COMMAND:-ssh -o BatchMode=yes}"

progress() { printf '::catalyst:: %s\n' "$*"; }
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

# The repository URL without any user:password@ part, for progress lines.
safe_url=$CATALYST_REPOSITORY_URL
if [[ $safe_url =~ ^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@(.*)$ ]]; then safe_url="${BASH_REMATCH[1]}${BASH_REMATCH[2]}"; fi

agent_started=0
stopping=0
stop_deadline=0
agent_pid_file="$CATALYST_WORKSPACE/.agent.pid"
agent_status_file="$CATALYST_WORKSPACE/.agent.status"
# No subshell: it runs inside the trap. Sets $pid (empty when not known yet).
read_agent_pid() { pid=""; [[ -s $agent_pid_file ]] && read -r pid <"$agent_pid_file" || true; }
on_stop() {
  if (( agent_started == 0 )); then
    progress "stopped before the agent started"
    exit 143
  fi
  if (( stopping == 0 )); then
    stopping=1
    stop_deadline=$(( ${EPOCHREALTIME//[!0-9]/} + agent_grace * 1000000 ))
    progress "stopping the agent"
    local pid
    read_agent_pid
    [[ -z $pid ]] || kill -TERM "$pid" 2>/dev/null || true
  fi
}
trap on_stop TERM INT

git check-ref-format --branch "$CATALYST_BASE_BRANCH" >/dev/null 2>&1 || fail "invalid base branch name: $CATALYST_BASE_BRANCH"
git check-ref-format --branch "$CATALYST_WORK_BRANCH" >/dev/null 2>&1 || fail "invalid work branch name: $CATALYST_WORK_BRANCH"
[[ -r $CATALYST_PROMPT_FILE ]] || fail "prompt file not found: $CATALYST_PROMPT_FILE"
[[ -r $CATALYST_AGENT_ARGV_FILE ]] || fail "agent command file not found: $CATALYST_AGENT_ARGV_FILE"

mkdir -p "$CATALYST_WORKSPACE" "$HOME"
cd "$CATALYST_WORKSPACE"
repo="$CATALYST_WORKSPACE/repo"

base_sha_file="$CATALYST_WORKSPACE/.base-sha"
if [[ $phase == execute ]]; then
  [[ -d $repo/.git && -s $base_sha_file ]] || fail "the workspace kept for the plan is gone"
  cd "$repo"
  origin_url=$(git remote get-url origin)
  read -r base_sha <"$base_sha_file"
  [[ $(git symbolic-ref --quiet --short HEAD || true) == "$CATALYST_WORK_BRANCH" ]] || fail "the plan's workspace is not on $CATALYST_WORK_BRANCH"
  progress "continuing in the plan's workspace on $CATALYST_WORK_BRANCH"
else
  progress "cloning $safe_url at $CATALYST_BASE_BRANCH"
  # --no-hardlinks: a local origin shares no object file with the workspace.
  git clone --quiet --no-hardlinks --branch "$CATALYST_BASE_BRANCH" -- "$CATALYST_REPOSITORY_URL" "$repo" \
    || fail "could not clone $safe_url at branch $CATALYST_BASE_BRANCH"
  cd "$repo"
  origin_url=$(git remote get-url origin)
  base_sha=$(git rev-parse HEAD)
  printf '%s\n' "$base_sha" >"$base_sha_file"

  if [[ -z ${GIT_COMMITTER_NAME:-} && -z $(git config user.name || true) ]]; then git config user.name "Catalyst Agent"; fi
  if [[ -z ${GIT_COMMITTER_EMAIL:-} && -z $(git config user.email || true) ]]; then git config user.email "agent@catalyst.local"; fi

  git checkout --quiet -b "$CATALYST_WORK_BRANCH"
  progress "branch $CATALYST_WORK_BRANCH from $CATALYST_BASE_BRANCH at $base_sha"
fi

# The agent's command line: NUL-separated; {prompt} becomes the prompt file's contents.
prompt=$(<"$CATALYST_PROMPT_FILE")
argv=()
while IFS= read -r -d '' arg; do argv+=("${arg//\{prompt\}/$prompt}"); done <"$CATALYST_AGENT_ARGV_FILE"
(( ${#argv[@]} > 0 )) || fail "the agent command line is empty"

# The provider's set-up steps (a CLI's own login, say), each a NUL-separated command line, in order.
if [[ -n ${CATALYST_AGENT_SETUP_FILES:-} ]]; then
  IFS=: read -r -a setup_files <<<"$CATALYST_AGENT_SETUP_FILES"
  for setup_file in "${setup_files[@]}"; do
    step=()
    while IFS= read -r -d '' arg; do step+=("$arg"); done <"$setup_file"
    (( ${#step[@]} > 0 )) || continue
    progress "setting up the agent: ${step[0]##*/}"
    # Its output is not the task's: a login step may echo what it stored.
    "${step[@]}" </dev/null >/dev/null 2>"$CATALYST_WORKSPACE/setup.err" \
      || fail "the agent's set-up step ${step[0]##*/} failed: $(tail -c 2000 "$CATALYST_WORKSPACE/setup.err")"
  done
fi

rm -f "$agent_pid_file" "$agent_status_file"

progress "agent started: ${argv[0]##*/}"
agent_started=1
# The agent runs under a small subshell that records its pid and exit status. Bash loses a background job's
# status when a trapped signal interrupts `wait`; the subshell ignores SIGTERM (after starting the agent with
# the default disposition), so its own `wait` is never interrupted.
(
  trap - TERM INT
  "${argv[@]}" </dev/null &
  pid=$!
  trap '' TERM INT
  printf '%s' "$pid" >"$agent_pid_file"
  wait "$pid" && rc=0 || rc=$?
  printf '%s' "$rc" >"$agent_status_file"
) &
wrapper_pid=$!
while [[ ! -s $agent_status_file ]] && kill -0 "$wrapper_pid" 2>/dev/null; do
  if (( stopping )) && (( ${EPOCHREALTIME//[!0-9]/} >= stop_deadline )); then
    read_agent_pid
    [[ -z $pid ]] || kill -KILL "$pid" 2>/dev/null || true
  fi
  # A foreground sleep, not `read -t` or `wait`: bash defers the trap until it ends, so nothing gets lost.
  if (( stopping )); then sleep 0.05 || true; else sleep 0.2 || true; fi
done
wait "$wrapper_pid" 2>/dev/null || true
agent_rc=$(( stopping ? 143 : 1 ))
if [[ -s $agent_status_file ]]; then read -r agent_rc <"$agent_status_file" || true; fi
rm -f "$agent_pid_file" "$agent_status_file"
progress "agent exited with code $agent_rc"

if [[ $phase == plan ]]; then
  # A plan changes nothing: no commit, no push. The workspace stays as it is for the approval.
  json_quote "$CATALYST_WORK_BRANCH"
  printf '::catalyst-result:: {"branch":%s,"baseSha":"%s","commits":[],"pushed":false,"pushError":null,"agentExitCode":%d}\n' \
    "$json" "$base_sha" "$agent_rc"
  exit "$agent_rc"
fi

# From here on nothing may stop the report: every step handles its own failure.
set +e
git add -A >/dev/null 2>&1
if ! git diff --cached --quiet 2>/dev/null; then
  progress "committing uncommitted changes"
  git -c commit.gpgsign=false commit --quiet --no-verify -m "Catalyst: uncommitted changes left by the agent" >/dev/null 2>&1 \
    || progress "could not commit the changes left by the agent"
fi

commits=""
count=0
sha=""
numstat=$'^([0-9]+|-)\t([0-9]+|-)\t'
add_commit() {
  [[ -n $sha ]] || return 0
  [[ -n $commits ]] && commits+=","
  json_quote "$subject"
  commits+="{\"sha\":\"$sha\",\"message\":$json,\"filesChanged\":$files,\"insertions\":$ins,\"deletions\":$del}"
  count=$((count + 1))
}
while IFS= read -r line; do
  if [[ $line == $'\x1e'* ]]; then
    add_commit
    line=${line#$'\x1e'}
    sha=${line%%$'\x1f'*}
    subject=${line#*$'\x1f'}
    files=0 ins=0 del=0
  elif [[ -n $sha && $line =~ $numstat ]]; then
    files=$((files + 1))
    [[ ${BASH_REMATCH[1]} == - ]] || ins=$((ins + BASH_REMATCH[1]))
    [[ ${BASH_REMATCH[2]} == - ]] || del=$((del + BASH_REMATCH[2]))
  fi
done < <(git -c core.quotePath=true log --reverse --no-color --format='%x1e%H%x1f%s' --numstat "$base_sha..HEAD" 2>/dev/null)
add_commit
progress "$count commit(s) since $CATALYST_BASE_BRANCH"

pushed=false
push_error=null
if (( count > 0 )); then
  progress "pushing $CATALYST_WORK_BRANCH"
  if push_output=$(git push --quiet --no-verify "$origin_url" "HEAD:refs/heads/$CATALYST_WORK_BRANCH" 2>&1); then
    pushed=true
    progress "pushed $CATALYST_WORK_BRANCH"
  else
    json_quote "${push_output:-git push failed}"
    push_error=$json
    progress "push failed: ${push_output##*$'\n'}"
  fi
fi

json_quote "$CATALYST_WORK_BRANCH"
printf '::catalyst-result:: {"branch":%s,"baseSha":"%s","commits":[%s],"pushed":%s,"pushError":%s,"agentExitCode":%d}\n' \
  "$json" "$base_sha" "$commits" "$pushed" "$push_error" "$agent_rc"
exit "$agent_rc"
