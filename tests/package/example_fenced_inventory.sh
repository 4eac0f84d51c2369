#!/usr/bin/env bash
# Package.ExampleFencedInventoryRefusesTheLateWriter: examples/fenced_inventory
# (as built by Package.ExamplesBuildWithFindPackage) against a real
# redis-server. A slow writer takes the lock with a 1 s TTL and is frozen
# with SIGSTOP before it writes; after its TTL a fast writer takes the lock
# and writes; the slow one, resumed, writes late with its old token and must
# be refused, leaving the fast writer's value in place.
# usage: example_fenced_inventory.sh WORK EXAMPLES_BUILD
set -euo pipefail
. "$(dirname "$0")/common.sh"
trap stop_started EXIT
[ $# -eq 2 ] || fail "usage: $0 WORK EXAMPLES_BUILD"
work=$1 program=$2/fenced_inventory
fresh_dir "$work"
[ -x "$program" ] || fail "no $program (Package.ExamplesBuildWithFindPackage builds it)"

start_redis_server "$work"
endpoint=127.0.0.1:$REDIS_PORT
echo "== redis-server on $REDIS_PORT"

# The slow writer reads its go-ahead from a FIFO. Opened read-write here, the
# FIFO never blocks this script's open, and the writer's read waits for our
# line rather than seeing end of file.
mkfifo "$work/go"
exec 3<>"$work/go"

echo "== slow writer: lock with a 1000 ms TTL, then wait before writing"
"$program" "$endpoint" slow 10 1000 <"$work/go" >"$work/slow.out" 2>"$work/slow.err" &
slow=$!
STARTED_PIDS+=("$slow")
for ((i = 0; i < 100; i++)); do
  grep -q '^holding token' "$work/slow.out" && break
  kill -0 "$slow" 2>/dev/null || fail "the slow writer exited early: $(cat "$work/slow.out" "$work/slow.err")"
  sleep 0.05
done
grep -q '^holding token' "$work/slow.out" || fail "the slow writer did not say 'holding token' within 5 s"
slow_token=$(sed -n 's/^holding token \([0-9]*\) .*/\1/p' "$work/slow.out")
echo "slow writer (pid $slow): $(cat "$work/slow.out")"

echo "== SIGSTOP the slow writer past its TTL"
kill -STOP "$slow"
sleep 1.5
[ "$(redis-cli -p "$REDIS_PORT" EXISTS lock:inventory)" = 0 ] \
  || fail "the slow writer's lock key is still there 1.5 s after a 1000 ms TTL"

echo "== fast writer: lock, write 20"
status=0
timeout 20 "$program" "$endpoint" fast 20 >"$work/fast.out" 2>"$work/fast.err" || status=$?
cat "$work/fast.out" "$work/fast.err"
[ "$status" -eq 0 ] || fail "the fast writer exited $status, expected 0 (its write accepted)"
fast_token=$(sed -n 's/^written: stock 20 with token \([0-9]*\)$/\1/p' "$work/fast.out")
[ -n "$fast_token" ] || fail "the fast writer did not say 'written: stock 20 with token N'"
[ "$fast_token" -gt "$slow_token" ] || fail "fast token $fast_token is not above slow token $slow_token"

echo "== SIGCONT the slow writer and let it write 10 with its old token"
kill -CONT "$slow"
echo go >&3
wait_for_exit "$slow" 10
cat "$work/slow.out" "$work/slow.err"
[ "$EXIT_STATUS" -eq 0 ] \
  || fail "the slow writer exited $EXIT_STATUS: its stale write was accepted (2) or failed (1)"
grep -qx "refused as stale: stock 10 with token $slow_token" "$work/slow.out" \
  || fail "the slow writer did not report its write refused"

inventory=$(redis-cli -p "$REDIS_PORT" GET inventory)
fence=$(redis-cli -p "$REDIS_PORT" GET inventory:fence)
echo "inventory = $inventory, inventory:fence = $fence"
[ "$inventory" = 20 ] || fail "inventory is '$inventory', expected the fast writer's 20"
[ "$fence" = "$fast_token" ] || fail "inventory:fence is '$fence', expected the fast writer's token $fast_token"
echo "PASS: the late writer's stale write was refused; the inventory keeps the fast writer's value"
