#!/usr/bin/env bash
# A project's repository cache: a bare mirror under the backend's cache directory, fetched from the origin under its lock,
# that a workspace's clone borrows its objects from. The origin's URL is never written into the mirror (it may hold a
# password): it is given to each fetch. Sourced by entrypoint.sh, which fetches and then clones from it. Run on its own,
# with CATALYST_REPOSITORY_URL and CATALYST_REPOSITORY_CACHE, it only fetches: the local backend runs it for a task that
# waits for a slot, so that the task's own fetch, once it starts, finds nothing left to bring; a Kubernetes pod runs it
# as its init container, the only one of the pod that may write the cache.

# A broken cache is set aside (running clones may still borrow from it), never deleted; the next task makes a new one.
set_cache_aside() {
  mv -f "$1" "$1.broken.$(date +%s).$$" 2>/dev/null || true
  # The sandbox is told to show this path: it must exist, even empty (a read-only cache stays as it is).
  mkdir -p "$1/objects" 2>/dev/null || true
}

# Fetches the origin into $CATALYST_REPOSITORY_CACHE (made if missing), waiting at most $1 seconds for the cache's lock
# ("now": not at all, and a busy cache is left to the fetch under way). Fails (1) with a warning when the cache cannot
# serve; a cache the origin answers for but that cannot be fetched into is set aside.
fetch_repository_cache() {
  local cache=$CATALYST_REPOSITORY_CACHE wait=$1 lock started=${EPOCHREALTIME/./} fetch_err
  mkdir -p "${cache%/*}" || { warn "repository cache unusable (cannot create ${cache%/*}); cloning in full"; return 1; }
  exec {lock}>>"$cache.lock"
  if [[ $wait == now ]]; then
    if ! flock -n "$lock"; then
      exec {lock}>&-
      progress "repository cache already being fetched"
      return 0
    fi
  elif ! flock -w "$wait" "$lock"; then
    exec {lock}>&-
    warn "repository cache busy for ${wait}s; cloning in full"
    return 1
  fi
  if [[ ! -f $cache/HEAD ]]; then
    progress "creating the repository cache"
    # Objects are never pruned: clones of running tasks borrow them.
    git init --quiet --bare "$cache" && git --git-dir="$cache" config gc.auto 0 && git --git-dir="$cache" config core.logAllRefUpdates false
  fi
  # No automatic maintenance after the fetch: the cache never collects garbage (gc.auto 0), and its check is a process of its own.
  if ! fetch_err=$(git --git-dir="$cache" fetch --quiet --prune --force --no-write-fetch-head --no-auto-maintenance -- "$CATALYST_REPOSITORY_URL" \
      '+refs/heads/*:refs/heads/*' '+refs/tags/*:refs/tags/*' 2>&1); then
    # The origin answers, so the fault is the cache's: it is set aside like a cache that cannot give a clone.
    if git ls-remote --heads -- "$CATALYST_REPOSITORY_URL" >/dev/null 2>&1; then set_cache_aside "$cache"; fi
    exec {lock}>&-
    warn "repository cache not updated (${fetch_err##*$'\n'}); cloning in full"
    return 1
  fi
  # The lock guards the fetch only: a clone reads refs once, and objects are never pruned, so clones run side by side.
  exec {lock}>&-
  progress "repository cache fetched in $(( (${EPOCHREALTIME/./} - started) / 1000 )) ms"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  : "${CATALYST_REPOSITORY_URL:?CATALYST_REPOSITORY_URL is required}"
  : "${CATALYST_REPOSITORY_CACHE:?CATALYST_REPOSITORY_CACHE is required}"
  export GIT_TERMINAL_PROMPT=0
  export GIT_SSH_COMMAND="${GIT_SSH_COMMAND:-ssh -o BatchMode=yes}"
  here=$(readlink -f "${BASH_SOURCE[0]}")
  # shellcheck source=common.sh
  source "${here%/*}/common.sh"
  # Readable by the sandbox's user, whatever the umask of the process that started this.
  umask 022
  # Ahead of a waiting task (no wait given): a cache being fetched is left to that fetch. As a Kubernetes pod's init
  # container (a wait given): its fetch, waiting for the lock; the runner after it only reads the cache. Never fails:
  # a cache that cannot serve is said, and the task clones in full.
  fetch_repository_cache "${CATALYST_REPOSITORY_CACHE_WAIT_SECONDS:-now}" || true
fi
