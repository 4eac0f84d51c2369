#!/usr/bin/env bash
# The soak: many seeded worlds of every algorithm, each within that
# algorithm's assumptions, where any finding at all is a bug (in a lock, the
# simulator or a checker). Prints one line per algorithm (worlds, wall time,
# worlds per second, findings) and a last line with the commit; exits 1 when
# any algorithm had a finding or a failed world, 2 on bad arguments.
#
#   scripts/soak.sh [--worlds N] [--jobs J] [--shard K/N] [--first-seed S]
#                   [--out DIR] [--locklab PATH] [--steps yes]
#
# --steps yes: half the clients run step workloads of every lock component
# (explore --steps: watchdogs, lock managers, mutexes, guards, extends).
#
# --worlds is the total over the four algorithms (default 1,000,000: a
# quarter each); --shard splits each algorithm's seed space as explore does,
# so N machines can run one soak (merge their summaries with locklab merge).
# Counterexamples and summaries go to DIR/<algorithm>/ (default build/soak).
# Assumes the release build: cmake --preset release && cmake --build --preset
# release --target locklab. docs/performance.md records the last full run.
set -euo pipefail
cd "$(dirname "$0")/.."

worlds=1000000
jobs=$(nproc)
shard=1/1
first_seed=0
out=build/soak
locklab=build/release/tools/locklab
steps=()

usage() {
  sed -n '8,9p' "$0" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || usage
  case $1 in
    --worlds) worlds=$2 ;;
    --jobs) jobs=$2 ;;
    --shard) shard=$2 ;;
    --first-seed) first_seed=$2 ;;
    --out) out=$2 ;;
    --locklab) locklab=$2 ;;
    --steps) [ "$2" = yes ] || usage; steps=(--steps) ;;
    *) echo "soak: unknown option '$1'" >&2; usage ;;
  esac
  shift 2
done
[[ $worlds =~ ^[1-9][0-9]*$ ]] || { echo "soak: --worlds '$worlds' is not a positive number" >&2; exit 2; }
[ -x "$locklab" ] || { echo "soak: no locklab binary at '$locklab' (build the release preset)" >&2; exit 2; }

algorithms=(naive naive_setnx single_node redlock)
per_algorithm=$(( (worlds + ${#algorithms[@]} - 1) / ${#algorithms[@]} ))
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
status=0
total_worlds=0
started=$(date +%s%N)

for algorithm in "${algorithms[@]}"; do
  dir="$out/$algorithm"
  mkdir -p "$dir"
  begin=$(date +%s%N)
  rc=0
  line=$("$locklab" explore --algorithm "$algorithm" --mode within --seeds "$per_algorithm" \
           --first-seed "$first_seed" --jobs "$jobs" --shard "$shard" --out "$dir" --quiet "${steps[@]}" \
         | grep '^explore: .* worlds in ') || rc=$?
  end=$(date +%s%N)
  # "explore: 5000 worlds in 3.1s (1612/s), 0 findings; summary in ..."
  ran=$(sed -n 's/^explore: \([0-9]*\) worlds in .*/\1/p' <<<"$line")
  found=$(sed -n 's/.*, \([0-9]*\) findings\{0,1\};.*/\1/p' <<<"$line")
  ms=$(( (end - begin) / 1000000 ))
  if [ -z "$ran" ] || [ -z "$found" ]; then
    echo "soak: $algorithm: explore printed no summary line (exit $rc)" >&2
    status=1
    continue
  fi
  total_worlds=$((total_worlds + ran))
  rate=$(( ran * 1000 / (ms > 0 ? ms : 1) ))
  printf 'soak: %-12s %9d worlds  %7d.%03d s  %6d worlds/s  %d findings  (exit %d)\n' \
    "$algorithm" "$ran" $((ms / 1000)) $((ms % 1000)) "$rate" "$found" "$rc"
  if [ "$found" != 0 ] || [ "$rc" != 0 ]; then status=1; fi
done

ms=$(( ($(date +%s%N) - started) / 1000000 ))
printf 'soak: commit %s, shard %s, %d jobs: %d worlds in %d s (%d worlds/s): %s\n' \
  "$commit" "$shard" "$jobs" "$total_worlds" $((ms / 1000)) \
  $(( total_worlds * 1000 / (ms > 0 ? ms : 1) )) \
  "$([ $status = 0 ] && echo 'zero findings' || echo 'FINDINGS (see the lines above)')"
exit $status
