#!/usr/bin/env bash
# What a malicious agent (or hook) tries from inside its workspace. One line per attempt:
#   probe <name>: blocked: <what stopped it>    or    probe <name>: OPEN: <what it got>
# Then a dump of everything it can find (environment, /proc, HOME), for the test to search for keys.
# Arguments: data-dir postgres-port host-pid other-workspace loopback-port broker-port outside-address postgres-socket-dir
data_dir=$1 pg_port=$2 host_pid=$3 other_workspace=$4 loopback_port=$5 broker_port=$6 outside=$7 pg_dir=$8

say() { printf 'probe %s: %s\n' "$1" "$2"; }
try_read() {
  local name=$1 path=$2 out
  if out=$(head -c 200 "$path" 2>&1); then say "$name" "OPEN: $(printf '%s' "$out" | tr -d '\0\n' | head -c 80)"; else say "$name" "blocked: $out"; fi
}
try_list() {
  local name=$1 path=$2 out
  if out=$(ls -A "$path" 2>&1); then say "$name" "OPEN: $(printf '%s' "$out" | tr '\n' ' ' | head -c 80)"; else say "$name" "blocked: $out"; fi
}
try_tcp() {
  local name=$1 host=$2 port=$3 out
  if out=$( (exec 3<>"/dev/tcp/$host/$port") 2>&1 ); then say "$name" "OPEN: connected to $host:$port"; else say "$name" "blocked: ${out##*: }"; fi
}

try_read key-file "$data_dir/encryption-keys"
try_list data-dir "$data_dir"
try_list postgres-dir "$pg_dir"
try_tcp postgres-tcp 127.0.0.1 "$pg_port"
try_list other-workspace "$other_workspace"
try_read host-environ "/proc/$host_pid/environ"
if out=$(kill -0 "$host_pid" 2>&1); then say kill-host "OPEN: the Host's pid answers"; else say kill-host "blocked: ${out##*: }"; fi
try_tcp loopback-port 127.0.0.1 "$loopback_port"
try_tcp broker-tcp-port 127.0.0.1 "$broker_port"
try_tcp outside-address "$outside" 80
say processes "$(ls -d /proc/[0-9]* | wc -l) visible"
say user "$(id -u) $(id -un 2>/dev/null)"

echo "---- dump ----"
env
for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do tr '\0' ' ' <"$f" 2>/dev/null; echo; done
find "$HOME" -type f -size -64k -exec cat {} + 2>/dev/null
echo "---- end ----"
