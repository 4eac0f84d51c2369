#!/usr/bin/env bash
# Package.ExampleRunsOnceAcrossMachines: examples/once_across_machines (as
# built by Package.ExamplesBuildWithFindPackage) against three real
# redis-servers. One endpoint (SingleNodeLock): runs (0) with a growing
# fencing token and releases; skips (3) while another machine's key is on the
# server. Three endpoints (RedLock): runs with another key on one server (a
# majority still grants), skips with it on two. An endpoint with no server:
# an error (1) that names the refusal.
# usage: example_once_across_machines.sh WORK EXAMPLES_BUILD
set -euo pipefail
. "$(dirname "$0")/common.sh"
trap stop_started EXIT
[ $# -eq 2 ] || fail "usage: $0 WORK EXAMPLES_BUILD"
work=$1 program=$2/once_across_machines
fresh_dir "$work"
[ -x "$program" ] || fail "no $program (Package.ExamplesBuildWithFindPackage builds it)"
job=nightly-report key=cron:nightly-report

ports=()
for _ in 1 2 3; do
  start_redis_server "$work"
  ports+=("$REDIS_PORT")
done
a=127.0.0.1:${ports[0]} b=127.0.0.1:${ports[1]} c=127.0.0.1:${ports[2]}
echo "== redis-servers on ${ports[*]}"

# run_example EXPECTED_STATUS ARGS...: runs it (10 s at most), prints what it
# said, fails unless it exited EXPECTED_STATUS; its stdout is left in $out.
run_example() {
  local expected=$1 status=0
  shift
  out=$(timeout 10 "$program" "$@" 2>"$work/stderr") || status=$?
  echo "\$ once_across_machines $* -> $status"
  [ -z "$out" ] || echo "$out"
  cat "$work/stderr"
  [ "$status" -eq "$expected" ] || fail "once_across_machines $* exited $status, expected $expected"
}
held_by_nobody() {
  local port
  for port in "$@"; do
    [ "$(redis-cli -p "$port" EXISTS "$key")" = 0 ] || fail "$key is still on the server at port $port"
  done
}

echo "== one endpoint: runs, and releases"
run_example 0 "$job" "$a"
[ "$out" = "ran job $job with token 1" ] || fail "first run printed '$out', expected 'ran job $job with token 1'"
held_by_nobody "${ports[0]}"
run_example 0 "$job" "$a"
[ "$out" = "ran job $job with token 2" ] || fail "second run printed '$out': the fencing token did not grow to 2"

echo "== one endpoint, another machine holds the lock: skipped"
[ "$(redis-cli -p "${ports[0]}" SET "$key" another-machine PX 60000)" = OK ] || fail "could not SET $key"
run_example 3 "$job" "$a"
[ "$out" = "skipped: another instance holds it (job $job)" ] || fail "the skip printed '$out'"
[ "$(redis-cli -p "${ports[0]}" GET "$key")" = another-machine ] || fail "the skipped run touched the other machine's key"

echo "== three endpoints, the other machine's key on one of them: a majority grants, runs"
run_example 0 "$job" "$a" "$b" "$c"
[[ $out =~ ^"ran job $job with token "[0-9]+$ ]] || fail "the RedLock run printed '$out'"
held_by_nobody "${ports[1]}" "${ports[2]}"
[ "$(redis-cli -p "${ports[0]}" GET "$key")" = another-machine ] || fail "the run released the other machine's key"

echo "== three endpoints, the other machine's key on two of them: skipped"
[ "$(redis-cli -p "${ports[1]}" SET "$key" another-machine PX 60000)" = OK ] || fail "could not SET $key"
run_example 3 "$job" "$a" "$b" "$c"
held_by_nobody "${ports[2]}"

echo "== an endpoint with no server: an error naming the refusal"
dead_port=$(free_port)
run_example 1 "$job" "127.0.0.1:$dead_port"
grep -q "refused" "$work/stderr" || fail "the error did not say the connection was refused"

echo "PASS: the cron example ran once, skipped while another holder had the lock, and reported errors"
