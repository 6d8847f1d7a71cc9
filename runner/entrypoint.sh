#!/usr/bin/env bash
# Catalyst agent runner: clone, branch, run the agent headless in the workspace's sandbox (sandboxed.sh), then list
# the commits it made, push the work branch, and report one `::catalyst-result:: <json>` line on stdout.
# This part runs outside the sandbox with the repository's credentials; the agent, its set-up and the project's hooks
# run inside, as another user, and never see them. The commits are read and pushed from a repository of this part's
# own (fetched from the clone), so nothing the agent wrote into the clone's .git is ever run here.
# The local backend runs this as a child process; the Kubernetes Job runs it as the container's command.
# Exit code: the agent's exit code (143 when stopped before the agent started, 2 when the runner or a pre-hook failed).
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
# One process for the runner's own directory: every process this runner starts before the agent delays the agent.
runner_dir=$(readlink -f "${BASH_SOURCE[0]}")
runner_dir=${runner_dir%/*}

export GIT_TERMINAL_PROMPT=0
export GIT_SSH_COMMAND="${GIT_SSH_COMMAND:-ssh -o BatchMode=yes}"

# shellcheck source=common.sh
source "$runner_dir/common.sh"
# shellcheck source=repository-cache.sh
source "$runner_dir/repository-cache.sh"

# The repository URL without any user:password@ part, for progress lines.
safe_url=$CATALYST_REPOSITORY_URL
if [[ $safe_url =~ ^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@(.*)$ ]]; then safe_url="${BASH_REMATCH[1]}${BASH_REMATCH[2]}"; fi

# A stop reaches the sandboxed part too, which stops the agent; this part waits for it, then still captures and pushes.
sandbox_pid=""
stopping=0
on_stop() {
  if [[ -z $sandbox_pid ]]; then
    progress "stopped before the agent started"
    exit 143
  fi
  (( stopping )) || stopping=1
}
trap on_stop TERM INT

# A branch name git accepts: plainly safe ones (parts of letters, digits, ., _ and - that start with a letter, a digit or _,
# no "..", no ending in . or .lock) are taken without starting a process; any other is asked of git itself.
valid_branch() {
  local name=$1
  if [[ $name =~ ^[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*$ && $name != HEAD \
        && $name != *..* && $name != *. && $name != *./* && $name != *.lock && $name != *.lock/* ]]; then
    return 0
  fi
  git check-ref-format --branch "$name" >/dev/null 2>&1
}
valid_branch "$CATALYST_BASE_BRANCH" || fail "invalid base branch name: $CATALYST_BASE_BRANCH"
valid_branch "$CATALYST_WORK_BRANCH" || fail "invalid work branch name: $CATALYST_WORK_BRANCH"
[[ -r $CATALYST_PROMPT_FILE ]] || fail "prompt file not found: $CATALYST_PROMPT_FILE"
[[ -r $CATALYST_AGENT_ARGV_FILE ]] || fail "agent command file not found: $CATALYST_AGENT_ARGV_FILE"

repo="$CATALYST_WORKSPACE/repo"
state="$CATALYST_WORKSPACE/state"
# This part's own files: the base commit and the repository the push is made from. Never inside the sandbox.
own="$CATALYST_WORKSPACE/runner"
# The clone's directory exists from the start (empty until the clone): the agent's sandbox, started ahead, binds it.
mkdir -p "$CATALYST_WORKSPACE" "$HOME" "$own" "$state" "$CATALYST_WORKSPACE/hooks-home" "$repo"
chmod 700 "$own"
# In a Kubernetes pod the provider's home files come mounted read-only; HOME itself is the writable workspace volume.
if [[ -n ${CATALYST_HOME_FILES_DIR:-} && -d $CATALYST_HOME_FILES_DIR ]]; then
  # Skips the volume's own ..data links; keeps the files' relative paths.
  (cd "$CATALYST_HOME_FILES_DIR" && find -L . -type f ! -path './..*' -exec cp --parents -L {} "$HOME/" \;)
fi
cd "$CATALYST_WORKSPACE"
# The report, kept in this part's own directory (written whole, then renamed) before it is printed: a Host that stops before
# it has stored the report reads it back from here when it starts again.
report() {
  printf '%s\n' "$1" >"$own/result.json.tmp" && mv -f "$own/result.json.tmp" "$own/result.json" || true
  printf '::catalyst-result:: %s\n' "$1"
}
origin_url=$CATALYST_REPOSITORY_URL

# The local backend holds this runner's stdin open for as long as the Host lives and never writes to it: its end means
# the Host died (killed, crashed). The agent is then stopped as a cancel stops it, and this runner still captures and
# pushes its commits; what it would have reported goes to its own part of the workspace (the Host reads the report when
# it starts again). A Kubernetes pod has no such pipe: the operator and the Job's deadline look after it there.
host_gone=0
lifeline_pid=""
# SIGTERM to what runs of this task (the sandboxed part, the agent, its hooks) as the Host's stop would send it: every
# process with the task's id in its environment but this runner and bubblewrap, whose end would tear the sandbox down
# before the agent's work could be captured.
signal_task_processes() {
  local dir pid comm
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
    { read -r comm <"$dir/comm"; } 2>/dev/null || continue
    [[ $comm == bwrap ]] && continue
    if { tr '\0' '\n' <"$dir/environ" | grep -qxF "CATALYST_TASK_ID=$CATALYST_TASK_ID"; } 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
}
on_host_gone() {
  (( host_gone )) && return 0
  host_gone=1
  # Nobody reads the pipe any more: a write to it would end this runner before its report.
  exec >>"$own/after-host.log" 2>&1
  progress "the Catalyst host is gone: stopping the agent; its commits are still captured and pushed"
  # A stage that runs stops (the loop in run_stage signals it); later ones do not start.
  on_stop
}
if [[ ${CATALYST_HOST_LIFELINE:-} == stdin ]]; then
  # Trapped first: a Host already gone sends the signal at once.
  trap on_host_gone USR1
  trap '[[ -z $lifeline_pid ]] || kill "$lifeline_pid" 2>/dev/null || true' EXIT
  # Only the watcher reads the pipe; everything else this runner starts reads nothing.
  exec {host_pipe}<&0 </dev/null
  ( while IFS= read -r -u "$host_pipe" _; do :; done; kill -USR1 "$$" 2>/dev/null ) &
  lifeline_pid=$!
  exec {host_pipe}<&-
fi

# The sandbox's command line (bubblewrap and what it runs), NUL-separated; without one, the runner's part runs here.
sandbox=()
if [[ -n ${CATALYST_SANDBOX_ARGV_FILE:-} ]]; then
  while IFS= read -r -d '' arg; do sandbox+=("$arg"); done <"$CATALYST_SANDBOX_ARGV_FILE"
else
  sandbox=(bash "$runner_dir/sandboxed.sh")
fi
read -r -a credential_variables <<<"${CATALYST_CREDENTIAL_VARIABLES:-}"
sandbox_status_file="$own/sandbox.status"
sandbox_pid_file="$own/sandbox.pid"

# One stage of the sandboxed part as a small subshell, joined to the workspace's control groups (so all of the stage is
# counted), that runs the sandbox and records its exit status: bash may lose a background job's status when a trapped
# signal interrupts `wait`; the subshell ignores SIGTERM once the sandbox runs, so its `wait` is never cut short.
# $1: the stage; $2: with-token or without-token; $3: started ahead, told to start and then to go by lines on stdin (the
# agent's stage is forked at once, starts its sandbox once the cache is fetched and goes once the clone is ready, so
# that what comes before the agent overlaps the fetch and the clone: joining a control group, which may wait for the
# kernel's RCU grace period, 10 to 30 ms when the machine has been quiet, during the fetch; the sandbox's own start, its
# namespaces and mounts, and the doors out of it, during the clone. The sandboxed part waits for "go" before it touches
# the clone, and nothing of the agent's runs before it).
stage_body() {
  local stage=$1 token=$2 wait_for_go=${3:-} joined=1 go=""
  trap - TERM INT
  export CATALYST_STAGE=$stage
  # The hooks' sandboxes never hold the task token, not even in a parent's environment.
  if [[ $token == without-token ]]; then for name in "${credential_variables[@]}"; do unset "$name"; done; fi
  # The workspace's resource limits: its control groups, joined before the sandbox starts so all of it is counted.
  if [[ -n ${CATALYST_CGROUP_PROCS:-} ]]; then
    IFS=: read -r -a procs <<<"$CATALYST_CGROUP_PROCS"
    for file in "${procs[@]}"; do printf '%s\n' "$BASHPID" 2>/dev/null >"$file" || joined=0; done
  fi
  (( joined )) || { printf 'could not join the workspace'"'"'s control groups\n' >&2; exit 2; }
  if [[ -n $wait_for_go ]]; then
    # "start" first (the cache fetched), then the pipe goes to the sandboxed part, which reads "go" from it; the
    # runner's end (an early failure, a stop) closes it, and this stage or the sandboxed part then ends without running
    # anything. A read from a pipe takes one line and leaves the next.
    read -r go || exit 143
    [[ $go == start ]] || exit 143
    CATALYST_WAIT_FOR_GO=1 "${sandbox[@]}" <&0 &
    exec </dev/null
  else
    "${sandbox[@]}" &
  fi
  pid=$!
  trap '' TERM INT
  printf '%s' "$pid" >"$sandbox_pid_file"
  wait "$pid" && rc=0 || rc=$?
  printf '%s' "$rc" >"$sandbox_status_file"
}

# The agent's stage, forked now when it joins control groups (see stage_body); told to start by let_the_sandbox_start
# and to go by run_stage.
prepared_stage_pid=""
prepared_stage_fd=""
if [[ -n ${CATALYST_CGROUP_PROCS:-} ]]; then
  exec {prepared_stage_fd}> >(stage_body agent with-token wait-for-go)
  prepared_stage_pid=$!
fi
# Tells the stage forked ahead to start its sandbox (once): after the repository cache's fetch, so that the cache's
# objects the sandbox binds are where they stay (a fetch that fails sets the cache aside); the clone still overlaps it.
sandbox_start_sent=0
let_the_sandbox_start() {
  [[ -n $prepared_stage_fd ]] && (( ! sandbox_start_sent )) || return 0
  sandbox_start_sent=1
  trap '' PIPE
  printf 'start\n' >&"$prepared_stage_fd" 2>/dev/null || true
  trap - PIPE
}

# The agent's identity as git configuration, unless the environment gives one (GIT_COMMITTER_NAME, GIT_COMMITTER_EMAIL).
agent_identity() {
  [[ -n ${GIT_COMMITTER_NAME:-} && -n ${GIT_COMMITTER_EMAIL:-} ]] && return 0
  printf '[user]\n'
  [[ -n ${GIT_COMMITTER_NAME:-} ]] || printf '\tname = Catalyst Agent\n'
  [[ -n ${GIT_COMMITTER_EMAIL:-} ]] || printf '\temail = agent@catalyst.local\n'
}

# The project's repository cache (repository-cache.sh): fetch_cache brings it up to date under its lock (waiting at most
# CATALYST_REPOSITORY_CACHE_WAIT_SECONDS), then clone_from_cache makes the clone borrow its objects (as git clone --shared
# does), so a clone costs a checkout whatever the history's size. The sandbox sees only the mirror's objects, read-only.
# Each fails (1) with a warning when the cache cannot serve; the caller then clones in full.
fetch_cache() (
  # Readable by the sandbox's user, whatever the umask of the process that started the runner (a subshell: only here).
  umask 022
  if [[ ${CATALYST_REPOSITORY_CACHE_READ_ONLY:-} == 1 ]]; then
    # A Kubernetes pod's cache: fetched by the pod's init container, read-only here (the agent shares this container).
    [[ -f $CATALYST_REPOSITORY_CACHE/HEAD ]] || { warn "repository cache not fetched; cloning in full"; return 1; }
  else
    fetch_repository_cache "${CATALYST_REPOSITORY_CACHE_WAIT_SECONDS:-60}"
  fi
)
clone_from_cache() (
  local cache=$CATALYST_REPOSITORY_CACHE
  umask 022
  # The base commit and its tree, read from the cache in one process: a cache that cannot give them is no cache.
  local base clone_err="" sha="" cloned=0
  if ! base=$(git --git-dir="$cache" cat-file --batch-check='%(objectname) %(objecttype)' \
        <<<"refs/heads/$CATALYST_BASE_BRANCH"$'\n'"refs/heads/$CATALYST_BASE_BRANCH^{tree}" 2>&1) \
      || [[ ! $base =~ ^([0-9a-f]+)\ commit$'\n'[0-9a-f]+\ tree$ ]]; then
    clone_err="no commit or tree for $CATALYST_BASE_BRANCH: ${base//$'\n'/, }"
  else
    sha=${BASH_REMATCH[1]}
    # The workspace's own repository, borrowing the cache's objects as `git clone --shared` does, on the work branch at
    # the base with the base branch beside it, checked out: three processes where a clone, a remote's removal and the
    # branch took five. It has no remote: the sandbox has no use for one.
    if clone_err=$( {
        git init --quiet --template= --initial-branch="$CATALYST_WORK_BRANCH" -- "$repo" \
          && printf '%s\n' "$cache/objects" >"$repo/.git/objects/info/alternates" \
          && agent_identity >>"$repo/.git/config" \
          && { [[ $CATALYST_BASE_BRANCH != */* ]] || mkdir -p "$repo/.git/refs/heads/${CATALYST_BASE_BRANCH%/*}"; } \
          && printf '%s\n' "$sha" >"$repo/.git/refs/heads/$CATALYST_BASE_BRANCH" \
          && git -C "$repo" reset --quiet --hard "$sha"
      } 2>&1 ); then
      cloned=1
    fi
  fi
  if (( ! cloned )); then
    set_cache_aside "$cache"
    # Emptied, not removed: the sandbox started ahead has this very directory bound.
    find "$repo" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +
    warn "repository cache broken (${clone_err##*$'\n'}); set aside, cloning in full"
    return 1
  fi
  printf '%s\n' "$sha" >"$own/base-sha"
  # Remembered where the agent cannot write: the push repository borrows from the same cache (an execute phase too).
  printf '%s\n' "$cache/objects" >"$own/borrowed-objects"
  progress "cloned $safe_url at $CATALYST_BASE_BRANCH from the repository cache"
)

if [[ $phase == execute ]]; then
  let_the_sandbox_start
  [[ -d $repo/.git && -s $own/base-sha ]] || fail "the workspace kept for the plan is gone"
  read -r base_sha <"$own/base-sha"
  progress "continuing in the plan's workspace on $CATALYST_WORK_BRANCH"
else
  [[ ! -e $own/borrowed-objects && ! -e $own/base-sha ]] || rm -f "$own/borrowed-objects" "$own/base-sha"
  # The agent's identity in the clone's configuration, written by the clone itself.
  identity=()
  if [[ -z ${GIT_COMMITTER_NAME:-} ]]; then identity+=(--config "user.name=Catalyst Agent"); fi
  if [[ -z ${GIT_COMMITTER_EMAIL:-} ]]; then identity+=(--config "user.email=agent@catalyst.local"); fi
  cache_fetched=0
  if [[ -n ${CATALYST_REPOSITORY_CACHE:-} ]] && fetch_cache; then cache_fetched=1; fi
  # The cache is where it will stay (a fetch that failed has set it aside already): the sandbox may bind it now.
  let_the_sandbox_start
  if (( cache_fetched )) && clone_from_cache; then
    read -r base_sha <"$own/base-sha"
    progress "branch $CATALYST_WORK_BRANCH from $CATALYST_BASE_BRANCH at $base_sha"
  else
    progress "cloning $safe_url at $CATALYST_BASE_BRANCH"
    # --no-hardlinks: a local origin shares no object file with the workspace.
    git clone --quiet --no-hardlinks "${identity[@]}" --branch "$CATALYST_BASE_BRANCH" -- "$CATALYST_REPOSITORY_URL" "$repo" \
      || fail "could not clone $safe_url at branch $CATALYST_BASE_BRANCH"
    base_sha=$(git -C "$repo" rev-parse HEAD)
    printf '%s\n' "$base_sha" >"$own/base-sha"
    # The clone's remote is a path or URL of the Host's: the sandbox has no use for it.
    git -C "$repo" remote remove origin
    # The work branch at the base without touching the checkout (git checkout -b would re-read every file's status).
    git -C "$repo" branch --no-track "$CATALYST_WORK_BRANCH" HEAD && git -C "$repo" symbolic-ref HEAD "refs/heads/$CATALYST_WORK_BRANCH" \
      || fail "could not make the work branch $CATALYST_WORK_BRANCH"
    progress "branch $CATALYST_WORK_BRANCH from $CATALYST_BASE_BRANCH at $base_sha"
  fi
fi

# The sandbox's user owns what the agent may change: the clone, its HOME, the hooks' HOME, the runner's state.
[[ ! -e $state/pre-hook-failure.json && ! -e $state/post-hook-failure.json ]] || rm -f "$state/pre-hook-failure.json" "$state/post-hook-failure.json"
if [[ -n ${CATALYST_SANDBOX_UID:-} ]]; then
  chown -R "$CATALYST_SANDBOX_UID:$CATALYST_SANDBOX_UID" "$repo" "$HOME" "$state" "$CATALYST_WORKSPACE/hooks-home"
fi

# Runs one stage of the sandboxed part ($1: pre-hooks, agent or post-hooks; $2: with-token or without-token) and sets
# $stage_rc.
run_stage() {
  local stage=$1 token=$2
  rm -f "$sandbox_status_file" "$sandbox_pid_file"
  if [[ $stage == agent && -n $prepared_stage_pid ]]; then
    let_the_sandbox_start
    # Told once: a write to a stage that is already gone must not end this runner (SIGPIPE).
    trap '' PIPE
    printf 'go\n' >&"$prepared_stage_fd" 2>/dev/null || true
    trap - PIPE
    exec {prepared_stage_fd}>&-
    sandbox_pid=$prepared_stage_pid
    prepared_stage_pid=""
  else
    stage_body "$stage" "$token" &
    sandbox_pid=$!
  fi
  local stage_polls=0
  while [[ ! -s $sandbox_status_file ]] && kill -0 "$sandbox_pid" 2>/dev/null; do
    # In a pod only the first process gets SIGTERM: pass it on to the sandboxed part, which stops the agent in time for
    # its work to be captured. Not to bubblewrap, whose end would tear the sandbox down at once: the local backend
    # signals what runs inside it itself.
    if (( stopping == 1 )) && [[ -z ${CATALYST_SANDBOX_ARGV_FILE:-} && -s $sandbox_pid_file ]]; then
      stopping=2
      kill -TERM "$(<"$sandbox_pid_file")" 2>/dev/null || true
    fi
    # With the Host gone, nobody else stops what runs in the sandbox: this runner does it, once.
    if (( host_gone == 1 )); then
      host_gone=2
      signal_task_processes
    fi
    # A foreground sleep, not `wait`: bash defers the trap until it ends, so nothing gets lost. Short for the first half
    # second, so that a quick stage's end is seen at once.
    if (( stage_polls++ < 100 )); then sleep 0.005 || true; else sleep 0.02 || true; fi
  done
  wait "$sandbox_pid" 2>/dev/null || true
  stage_rc=$(( stopping ? 143 : 2 ))
  if [[ -s $sandbox_status_file ]]; then read -r stage_rc <"$sandbox_status_file" || true; fi
}

# The execute phase continues the plan's workspace: its pre-hooks ran before the plan.
if [[ $phase != execute && -n ${CATALYST_PRE_HOOKS_FILE:-} ]]; then
  run_stage pre-hooks without-token
  # The sandboxed part said so when it was stopped; a failure other than a hook's was said on stderr.
  (( stopping == 0 )) || exit 143
  [[ $stage_rc == 0 || -s $state/pre-hook-failure.json ]] || exit "$stage_rc"
fi
agent_rc=2
if [[ ! -s $state/pre-hook-failure.json ]]; then
  run_stage agent with-token
  agent_rc=$stage_rc
  if [[ $phase != plan && -n ${CATALYST_POST_HOOKS_FILE:-} ]]; then
    if (( stopping )); then
      progress "post-hooks not run: the task was stopped"
    else
      # The task token dies with the agent: the Host revokes it when it reads "agent exited" and then leaves this file;
      # the post-hooks wait for it (no Host, no broker: nothing to wait for). Waits of 2 ms, without a process each.
      if [[ -n ${CATALYST_TOKEN_REVOKED_FILE:-} ]] && (( ! host_gone )); then
        exec {pause_fd}<> <(:)
        for ((i = 0; i < 2500; i++)); do [[ ! -e $CATALYST_TOKEN_REVOKED_FILE ]] || break; read -r -t 0.002 -u "$pause_fd" || true; done
        exec {pause_fd}>&-
        [[ -e $CATALYST_TOKEN_REVOKED_FILE ]] || progress "the task token was not confirmed revoked"
      fi
      run_stage post-hooks without-token
    fi
  fi
fi

read_failure() { local file="$state/$1-hook-failure.json" line; json=null; [[ -s $file ]] || return 0; read -r line <"$file" || true; [[ $line == '{'* ]] && json=$line; }
read_failure pre
pre_hook_failure=$json
read_failure post
post_hook_failure=$json

if [[ $pre_hook_failure != null || $phase == plan ]]; then
  # A failed pre-hook changed nothing that counts; a plan changes nothing at all. The plan's workspace stays for the approval.
  json_quote "$CATALYST_WORK_BRANCH"
  printf -v result '{"branch":%s,"baseSha":"%s","commits":[],"pushed":false,"pushError":null,"agentExitCode":%d,"preHookFailure":%s,"hostGone":%s}' \
    "$json" "$base_sha" "$agent_rc" "$pre_hook_failure" "$( (( host_gone )) && echo true || echo false)"
  report "$result"
  exit "$agent_rc"
fi

# From here on nothing may stop the report: every step handles its own failure.
set +e
# The agent's commits, fetched into this part's own repository: git reads nothing of the clone's configuration here
# but what the upload side honours from a repository it does not trust.
push_repo="$own/push.git"
[[ -d $push_repo ]] || git init --quiet --bare "$push_repo" >/dev/null 2>&1
# With a cache, only the agent's new objects travel: the base's are borrowed from the cache (never from the clone's own list).
if [[ -s $own/borrowed-objects ]]; then cp "$own/borrowed-objects" "$push_repo/objects/info/alternates"; fi
# The clone belongs to the sandbox's user: git reads it only when told that it may (as global configuration; git
# ignores safe.directory given with -c).
printf '[safe]\n\tdirectory = %s\n\tdirectory = %s/.git\n' "$repo" "$repo" >"$own/gitconfig"
fetched=0
if GIT_CONFIG_GLOBAL="$own/gitconfig" git --git-dir="$push_repo" fetch --quiet --no-tags --no-write-fetch-head \
    "$repo" "+HEAD:refs/heads/$CATALYST_WORK_BRANCH" >/dev/null 2>"$own/fetch.err"; then
  fetched=1
else
  progress "could not read the agent's commits: $(tail -n 1 "$own/fetch.err")"
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
done < <((( fetched )) && git --git-dir="$push_repo" -c core.quotePath=true log --reverse --no-color --format='%x1e%H%x1f%s' --numstat "$base_sha..refs/heads/$CATALYST_WORK_BRANCH" 2>/dev/null)
add_commit
progress "$count commit(s) since $CATALYST_BASE_BRANCH"

pushed=false
push_error=null
if (( count > 0 )); then
  progress "pushing $CATALYST_WORK_BRANCH"
  if push_output=$(git --git-dir="$push_repo" push --quiet --no-verify "$origin_url" "refs/heads/$CATALYST_WORK_BRANCH:refs/heads/$CATALYST_WORK_BRANCH" 2>&1); then
    pushed=true
    progress "pushed $CATALYST_WORK_BRANCH"
  else
    json_quote "${push_output:-git push failed}"
    push_error=$json
    progress "push failed: ${push_output##*$'\n'}"
  fi
fi

json_quote "$CATALYST_WORK_BRANCH"
printf -v result '{"branch":%s,"baseSha":"%s","commits":[%s],"pushed":%s,"pushError":%s,"agentExitCode":%d,"postHookFailure":%s,"hostGone":%s}' \
  "$json" "$base_sha" "$commits" "$pushed" "$push_error" "$agent_rc" "$post_hook_failure" "$( (( host_gone )) && echo true || echo false)"
report "$result"
exit "$agent_rc"
