#!/usr/bin/env bash
# Package.NothingOfTheSimulatorComesAlong: what the installed package hands a
# user — pkg-config's static libs, the imported targets'
# INTERFACE_LINK_LIBRARIES, the consumer's link line and its binary's NEEDED
# entries — names none of the simulator's dependencies (Boost, Lua,
# RapidCheck, fmt, ...).
# usage: nothing_of_the_simulator.sh WORK PREFIX CONSUMER_BUILD
set -euo pipefail
. "$(dirname "$0")/common.sh"
[ $# -eq 3 ] || fail "usage: $0 WORK PREFIX CONSUMER_BUILD"
work=$1 prefix=$2 consumer_build=$3
fresh_dir "$work"

# must_be_clean WHAT TEXT
must_be_clean() {
  if grep -ioE "$SIMULATOR_DEPENDENCIES" <<<"$2" | sort -u | tr '\n' ' ' | grep .; then
    fail "$1 names a simulator dependency (above): $2"
  fi
  echo "clean: $1"
}

export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(pkgconfig_dir "$prefix")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
static_libs=$(pkg-config --libs --static locklab) || fail "pkg-config --libs --static locklab failed"
grep -qw -- '-lhiredis' <<<"$static_libs" || fail "pkg-config --libs --static lacks -lhiredis: $static_libs"
must_be_clean "pkg-config --libs --static locklab ($static_libs)" "$static_libs"

link_file=$consumer_build/imported-link-libraries.txt
[ -s "$link_file" ] || fail "no $link_file (the find_package consumer test writes it)"
cat "$link_file"
grep -q 'locklab::hiredis' "$link_file" || fail "locklab::locklab does not link locklab::hiredis"
must_be_clean "the imported targets' INTERFACE_LINK_LIBRARIES" "$(cat "$link_file")"
targets_files=$(find "$prefix" -path '*/cmake/locklab/*.cmake' -print)
# shellcheck disable=SC2086
must_be_clean "the installed CMake package files" "$(grep -h 'INTERFACE_' $targets_files)"
must_be_clean "the consumer's link line" "$(grep -A3 '^build consumer' "$consumer_build/build.ninja")"

binary=$consumer_build/consumer
[ -x "$binary" ] || fail "no consumer binary at $binary"
needed=$(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
echo "NEEDED: $(tr '\n' ' ' <<<"$needed")"
grep -q '^libhiredis' <<<"$needed" || fail "the consumer does not need libhiredis: is readelf's output read right?"
must_be_clean "the consumer's NEEDED entries" "$needed"
echo "PASS: nothing of the simulator comes along"
