#!/usr/bin/env bash
# The part of the Catalyst runner that runs inside the workspace's sandbox, as the sandbox's own user, in one of three
# stages ($CATALYST_STAGE): pre-hooks; agent (its set-up steps, the agent, a commit of what it left); post-hooks. The clone before and the
# push after run outside (entrypoint.sh), with the repository's credentials, which never enter the sandbox.
# Its only network door is the broker, forwarded to 127.0.0.1:$CATALYST_BROKER_PORT (and the egress proxy when the
# project allows hosts). Hook failures are left as JSON in $CATALYST_WORKSPACE/state for entrypoint.sh to report.
# Exit code: the agent's (143 when stopped before the agent started, 2 when set-up or a pre-hook failed).
set -euo pipefail

: "${CATALYST_WORKSPACE:?CATALYST_WORKSPACE is required}"
: "${CATALYST_PROMPT_FILE:?CATALYST_PROMPT_FILE is required}"
: "${CATALYST_AGENT_ARGV_FILE:?CATALYST_AGENT_ARGV_FILE is required}"
: "${HOME:?HOME is required}"
phase="${CATALYST_PHASE:-run}"
# How long the agent gets between SIGTERM and SIGKILL, so that its commits can still be captured and pushed.
agent_grace="${CATALYST_AGENT_GRACE_SECONDS:-5}"
state="$CATALYST_WORKSPACE/state"
repo="$CATALYST_WORKSPACE/repo"
[[ -d $state ]] || mkdir -p "$state"

export GIT_TERMINAL_PROMPT=0

# shellcheck source=common.sh
self=$(readlink -f "${BASH_SOURCE[0]}")
source "${self%/*}/common.sh"


# Local doors out of the network namespace: each a loopback port forwarded to a Unix socket bind-mounted by the Host.
# Short waits without a process each: a read with a timeout on a pipe that never gets a line.
exec {pause_fd}<> <(:)
forward() {
  local port=$1 socket=$2 i
  [[ -n $port && -S $socket ]] || return 0
  socat "TCP-LISTEN:$port,bind=127.0.0.1,fork,reuseaddr" "UNIX-CONNECT:$socket" </dev/null >/dev/null 2>&1 &
  # Ready when a connection is accepted: no agent request may find the door still closed.
  for ((i = 0; i < 1000; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    read -r -t 0.001 -u "$pause_fd" || true
  done
  fail "the local forwarder on port $port did not start"
}
forward "${CATALYST_BROKER_PORT:-}" "${CATALYST_BROKER_SOCKET:-}"
forward "${CATALYST_EGRESS_PORT:-}" "${CATALYST_EGRESS_SOCKET:-}"
exec {pause_fd}>&-

# Started ahead of the clone (entrypoint.sh's stage_body): the doors are open; wait here for "go", the clone ready in
# the directory this sandbox binds. An end of the pipe, or a stop, means the runner will not run the agent.
if [[ ${CATALYST_WAIT_FOR_GO:-} == 1 ]]; then
  unset CATALYST_WAIT_FOR_GO
  trap 'exit 143' TERM INT
  go=""
  read -r go || true
  [[ $go == go ]] || exit 143
  exec </dev/null
  trap - TERM INT
fi

agent_started=0
stopping=0
stop_deadline=0
agent_pid_file="$state/agent.pid"
agent_status_file="$state/agent.status"
# No subshell: it runs inside the trap. Sets $pid (empty when not known yet).
read_agent_pid() { pid=""; [[ -s $agent_pid_file ]] && read -r pid <"$agent_pid_file" || true; }
on_stop() {
  if (( agent_started == 0 )); then
    [[ -z ${hook_group:-} ]] || kill -TERM -- "-$hook_group" 2>/dev/null || true
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

# ---- The project's hooks ----
# Shell commands from the project's settings, NUL-terminated in $CATALYST_PRE_HOOKS_FILE and $CATALYST_POST_HOOKS_FILE.
# Each runs as `bash -c` in the clone, with a HOME of its own and without the agent's credential variables (their
# names are in $CATALYST_CREDENTIAL_VARIABLES); its stdout and stderr, together and in order, are relayed as
# `::catalyst-hook:: <line>`. The first pre-hook that fails ends the run before the agent; the first post-hook that
# fails skips the rest and is reported in the result line, and the agent's commits stay.
pre_hook_failure=null
post_hook_failure=null
hook_rc=0
hook_group=""
hooks_home="$CATALYST_WORKSPACE/hooks-home"
hook_status_file="$state/hook.status"
hook_tail_file="$state/hook.tail"
hook_line_break=$'\n::catalyst-hook:: '
read -r -a credential_variables <<<"${CATALYST_CREDENTIAL_VARIABLES:-}"

# A hook's output line by line (a carriage return starts a new line, so progress bars stay readable); keeps the last 20.
relay_hook_output() {
  local line kept=()
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line%$'\r'}
    printf '::catalyst-hook:: %s\n' "${line//$'\r'/$hook_line_break}"
    kept+=("${line//$'\r'/$'\n'}")
    (( ${#kept[@]} <= 20 )) || kept=("${kept[@]:1}")
  done
  (( ${#kept[@]} == 0 )) || printf '%s\n' "${kept[@]}" >"$hook_tail_file"
}

# Runs one hook until it ends or the task is stopped; sets $hook_rc (143 when it was stopped).
run_hook() {
  local command=$1 deadline=0
  rm -f "$hook_status_file" "$hook_tail_file"
  mkdir -p "$hooks_home"
  # Job control for this one job puts the hook in a process group of its own, $hook_group: a stop reaches all it started.
  set -m
  (
    trap - TERM INT
    set +e
    (
      for name in "${credential_variables[@]}"; do unset "$name"; done
      export HOME=$hooks_home
      cd "$repo" && exec bash -c "$command"
    ) </dev/null 2>&1 | relay_hook_output
    printf '%s' "${PIPESTATUS[0]}" >"$hook_status_file"
  ) &
  hook_group=$!
  set +m
  while :; do
    if (( stopping )); then
      # Until the whole group is gone: what the hook started may outlive it, or ignore SIGTERM.
      kill -0 -- "-$hook_group" 2>/dev/null || break
      if (( deadline == 0 )); then
        deadline=$(( ${EPOCHREALTIME//[!0-9]/} + agent_grace * 1000000 ))
        kill -TERM -- "-$hook_group" 2>/dev/null || true
      elif (( ${EPOCHREALTIME//[!0-9]/} >= deadline )); then
        kill -KILL -- "-$hook_group" 2>/dev/null || true
      fi
      sleep 0.05 || true
    else
      kill -0 "$hook_group" 2>/dev/null || break
      # Returns early when a stop arrives; the trap runs, and the loop takes it from there.
      wait "$hook_group" 2>/dev/null || true
    fi
  done
  hook_group=""
  hook_rc=143
  if [[ -s $hook_status_file ]]; then read -r hook_rc <"$hook_status_file" || true; fi
  rm -f "$hook_status_file"
}

# Runs one phase's hooks in order. Returns 1 at the first failure, with its JSON in $pre_hook_failure or $post_hook_failure.
run_hooks() {
  local phase=$1 file=$2 commands=() command output_json i n
  [[ -n $file ]] || return 0
  if [[ ! -r $file ]]; then
    # After the agent nothing may stop the report.
    [[ $phase == post ]] || fail "$phase-hooks file not found: $file"
    progress "$phase-hooks file not found: $file"
    return 0
  fi
  while IFS= read -r -d '' command || [[ -n $command ]]; do commands+=("$command"); done <"$file"
  n=${#commands[@]}
  for ((i = 0; i < n; i++)); do
    command=${commands[i]}
    progress "$phase-hook $((i + 1))/$n: ${command//$'\n'/ }"
    run_hook "$command"
    if (( stopping )); then progress "$phase-hooks stopped"; return 0; fi
    if (( hook_rc != 0 )); then
      progress "$phase-hook $((i + 1)) failed with exit code $hook_rc"
      json_quote "$(cat "$hook_tail_file" 2>/dev/null || true)"
      output_json=$json
      rm -f "$hook_tail_file"
      json_quote "$command"
      printf -v "${phase}_hook_failure" '{"number":%d,"command":%s,"exitCode":%d,"output":%s}' $((i + 1)) "$json" "$hook_rc" "$output_json"
      (( i + 1 == n )) || progress "$((n - i - 1)) more $phase-hook(s) not run"
      return 1
    fi
  done
  return 0
}

# Before the agent: a failing pre-hook ends the run here, with nothing committed or pushed.
run_pre_hooks() {
  run_hooks pre "${CATALYST_PRE_HOOKS_FILE:-}" && return 0
  printf '%s\n' "$pre_hook_failure" >"$state/pre-hook-failure.json"
  exit 2
}

# After the agent, once its leftovers are committed (so its work is kept whatever the hooks do). What the hooks change
# is committed apart, and only when they all succeed; a stopped task runs none.
run_post_hooks() {
  [[ -n ${CATALYST_POST_HOOKS_FILE:-} ]] || return 0
  if (( stopping )); then progress "post-hooks not run: the task was stopped"; return 0; fi
  if ! run_hooks post "$CATALYST_POST_HOOKS_FILE"; then
    [[ -z $(git status --porcelain 2>/dev/null) ]] || progress "the post-hooks' changes are left out: a post-hook failed"
    return 0
  fi
  (( stopping == 0 )) || return 0
  git add -A >/dev/null 2>&1
  if ! git diff --cached --quiet 2>/dev/null; then
    progress "committing the changes made by the post-hooks"
    git -c commit.gpgsign=false commit --quiet --no-verify -m "Catalyst: changes made by the project's post-hooks" >/dev/null 2>&1 \
      || progress "could not commit the changes made by the post-hooks"
  fi
}

cd "$repo"

# Three stages, each a sandbox of its own started by entrypoint.sh: the pre-hooks and the post-hooks run without the
# task token anywhere in their sandbox (and the post-hooks only once it is revoked); the agent's stage holds it.
case "${CATALYST_STAGE:-agent}" in
  pre-hooks)
    run_pre_hooks
    exit 0
    ;;
  post-hooks)
    set +e
    run_post_hooks
    [[ $post_hook_failure == null ]] || printf '%s\n' "$post_hook_failure" >"$state/post-hook-failure.json"
    exit 0
    ;;
  agent) ;;
  *) fail "unknown stage: $CATALYST_STAGE" ;;
esac

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
    "${step[@]}" </dev/null >/dev/null 2>"$state/setup.err" \
      || fail "the agent's set-up step ${step[0]##*/} failed: $(tail -c 2000 "$state/setup.err")"
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
agent_polls=0
while [[ ! -s $agent_status_file ]] && kill -0 "$wrapper_pid" 2>/dev/null; do
  if (( stopping )) && (( ${EPOCHREALTIME//[!0-9]/} >= stop_deadline )); then
    read_agent_pid
    [[ -z $pid ]] || kill -KILL "$pid" 2>/dev/null || true
  fi
  # A foreground sleep, not `read -t` or `wait`: bash defers the trap until it ends, so nothing gets lost. Short for
  # the first half second, so that a quick agent's end is seen at once, then every 0.2 s.
  if (( stopping )); then sleep 0.05 || true; elif (( agent_polls++ < 50 )); then sleep 0.01 || true; else sleep 0.2 || true; fi
done
wait "$wrapper_pid" 2>/dev/null || true
agent_rc=$(( stopping ? 143 : 1 ))
if [[ -s $agent_status_file ]]; then read -r agent_rc <"$agent_status_file" || true; fi
rm -f "$agent_pid_file" "$agent_status_file"
progress "agent exited with code $agent_rc"

# A plan changes nothing: the workspace stays as it is for the approval.
[[ $phase != plan ]] || exit "$agent_rc"

# From here on nothing may stop the report: every step handles its own failure.
set +e
git add -A >/dev/null 2>&1
if ! git diff --cached --quiet 2>/dev/null; then
  progress "committing uncommitted changes"
  git -c commit.gpgsign=false commit --quiet --no-verify -m "Catalyst: uncommitted changes left by the agent" >/dev/null 2>&1 \
    || progress "could not commit the changes left by the agent"
fi
exit "$agent_rc"
