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
for module in locklab locklab-static; do
  static_libs=$(pkg-config --libs --static "$module") || fail "pkg-config --libs --static $module failed"
  grep -qw -- '-lhiredis' <<<"$static_libs" || fail "pkg-config --libs --static $module lacks -lhiredis: $static_libs"
  must_be_clean "pkg-config --libs --static $module ($static_libs)" "$static_libs"
done

link_file=$consumer_build/imported-link-libraries.txt
[ -s "$link_file" ] || fail "no $link_file (the find_package consumer test writes it)"
cat "$link_file"
grep -q '^locklab::locklab: .*locklab::hiredis_shared' "$link_file" \
  || fail "locklab::locklab does not link locklab::hiredis_shared"
grep -q '^locklab::locklab_static: .*locklab::hiredis_static' "$link_file" \
  || fail "locklab::locklab_static does not link locklab::hiredis_static"
must_be_clean "the imported targets' INTERFACE_LINK_LIBRARIES" "$(cat "$link_file")"
targets_files=$(find "$prefix" -path '*/cmake/locklab/*.cmake' -print)
# shellcheck disable=SC2086
must_be_clean "the installed CMake package files" "$(grep -h 'INTERFACE_' $targets_files)"
must_be_clean "the consumers' link lines" "$(grep -A3 '^build consumer' "$consumer_build/build.ninja")"

# The static consumer names libhiredis itself; the shared one names
# liblocklab_hiredis.so, whose own NEEDED entries are checked too.
static_needed=$(needed_of "$consumer_build/consumer_static")
echo "consumer_static NEEDED: $(tr '\n' ' ' <<<"$static_needed")"
grep -q '^libhiredis' <<<"$static_needed" || fail "consumer_static does not need libhiredis: is readelf's output read right?"
must_be_clean "consumer_static's NEEDED entries" "$static_needed"
shared_needed=$(needed_of "$consumer_build/consumer")
echo "consumer NEEDED: $(tr '\n' ' ' <<<"$shared_needed")"
must_be_clean "consumer's NEEDED entries" "$shared_needed"
library=$(find "$prefix" -name 'liblocklab_hiredis.so.*.*.*' -print -quit)
[ -n "$library" ] || fail "no liblocklab_hiredis.so under $prefix"
library_needed=$(needed_of "$library")
grep -q '^libhiredis' <<<"$library_needed" || fail "liblocklab_hiredis.so does not need libhiredis"
must_be_clean "liblocklab_hiredis.so's NEEDED entries" "$library_needed"
echo "PASS: nothing of the simulator comes along"
