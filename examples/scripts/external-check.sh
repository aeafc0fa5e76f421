#!/usr/bin/env bash
# External check: runs the web app as child JVMs behind a real HAProxy, swaps it while an external load
# generator (wrk) drives HAProxy's port, and prints wrk's own counts of status codes and socket errors.
#
# usage: examples/scripts/external-check.sh [--port=P] [--swaps=N] [--connections=C] [--threads=T]
# Needs: java 17, /usr/sbin/haproxy (apt-get install -y haproxy), wrk (installed here when missing, as root),
# and the examples jar (built here when missing). Exits 0 when wrk saw only 2xx and no socket error and every
# swap committed.
set -euo pipefail

port=18080
swaps=5
connections=16
threads=2
for arg in "$@"; do
  case "$arg" in
    --port=*) port="${arg#*=}" ;;
    --swaps=*) swaps="${arg#*=}" ;;
    --connections=*) connections="${arg#*=}" ;;
    --threads=*) threads="${arg#*=}" ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jar="$root/examples/target/handoff-examples.jar"

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "wrk is missing: installing it with apt-get install -y wrk"
    apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
  else
    echo "wrk is missing: install it (as root: apt-get install -y wrk)" >&2
    exit 1
  fi
fi
if [ ! -x /usr/sbin/haproxy ]; then
  echo "haproxy is missing at /usr/sbin/haproxy: install it (as root: apt-get install -y haproxy)" >&2
  exit 1
fi
if [ ! -f "$jar" ]; then
  echo "building $jar"
  (cd "$root" && mvn -B -q -pl examples -am package -DskipTests)
fi

work="$(mktemp -d -t handoff-external-check.XXXXXX)"
parent_log="$work/parent.log"
wrk_log="$work/wrk.log"
parent_pid=""
wrk_pid=""
cleanup() {
  [ -n "$wrk_pid" ] && kill -INT "$wrk_pid" 2>/dev/null || true
  [ -n "$parent_pid" ] && kill -TERM "$parent_pid" 2>/dev/null || true
  [ -n "$parent_pid" ] && wait "$parent_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Waits (bounded) until the parent's log has a line starting with $1.
await_line() {
  local line="$1" seconds="$2"
  for _ in $(seq 1 $((seconds * 10))); do
    grep -q "^$line" "$parent_log" && return 0
    kill -0 "$parent_pid" 2>/dev/null || { echo "the parent exited early:" >&2; cat "$parent_log" >&2; exit 1; }
    sleep 0.1
  done
  echo "no '$line' from the parent within ${seconds}s:" >&2
  cat "$parent_log" >&2
  exit 1
}

echo "== starting the web app as child JVMs behind haproxy on 127.0.0.1:$port"
java -jar "$jar" haproxy-children --port="$port" --swaps="$swaps" --warmup-ms=3000 --pause-ms=1000 \
  >"$parent_log" 2>"$work/parent.err" &
parent_pid=$!
await_line "READY" 120
grep "^READY" "$parent_log"

echo "== wrk: $threads threads, $connections keep-alive connections, until the swaps are done"
wrk -t"$threads" -c"$connections" -d600s --timeout 10s --latency -s "$here/status-codes.lua" \
  "http://127.0.0.1:$port/" >"$wrk_log" 2>&1 &
wrk_pid=$!
await_line "SWAPS DONE" $((60 + swaps * 60))
sleep 2   # load on the last instance for a moment after the last swap
kill -INT "$wrk_pid"
wait "$wrk_pid" || true
wrk_pid=""
kill -TERM "$parent_pid"
wait "$parent_pid" || true
parent_pid=""

echo "== swaps (from the orchestrator)"
grep -E "^swap |^RESULT" "$parent_log"
echo "== wrk's own report"
cat "$wrk_log"

summary="$(grep '^WRK ' "$wrk_log" || true)"
committed="$(sed -n 's/^RESULT haproxy-children swaps=\([0-9]*\) committed=\([0-9]*\)$/\1 \2/p' "$parent_log")"
read -r ran ok <<<"${committed:-0 -1}"
non2xx="$(sed -n 's/.*non2xx=\([0-9]*\).*/\1/p' <<<"$summary")"
socket_errors="$(sed -n 's/.*socket_errors=\([0-9]*\).*/\1/p' <<<"$summary")"
requests="$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$summary")"
echo "EXTERNAL-CHECK swaps=$ran committed=$ok requests=${requests:-?} non2xx=${non2xx:-?} socket_errors=${socket_errors:-?}"
if [ "$ran" = "$swaps" ] && [ "$ok" = "$swaps" ] && [ "${non2xx:-1}" = 0 ] && [ "${socket_errors:-1}" = 0 ]; then
  exit 0
fi
exit 1
