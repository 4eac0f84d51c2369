#!/usr/bin/env bash
# Package.FindPackageConsumerBuilds: an out-of-tree project
# (tests/package/consumer) finds the installed package with
# find_package(locklab CONFIG REQUIRED), links locklab::locklab (the shared
# library) into `consumer` and locklab::locklab_static into
# `consumer_static`, builds both and runs both.
# usage: find_package_consumer.sh WORK SOURCE_DIR CMAKE CXX GENERATOR PREFIX
set -euo pipefail
. "$(dirname "$0")/common.sh"
[ $# -eq 6 ] || fail "usage: $0 WORK SOURCE_DIR CMAKE CXX GENERATOR PREFIX"
work=$1 source_dir=$2 cmake=$3 cxx=$4 generator=$5 prefix=$6
fresh_dir "$work"
[ -d "$prefix" ] || fail "no installed prefix at $prefix (the library-only test sets it up)"
build=$work/build

configure_against_prefix "$cmake" "$source_dir/tests/package/consumer" "$build" "$generator" "$cxx" "$prefix" "the consumer"
echo "== build"
"$cmake" --build "$build" -j2 --verbose || fail "the consumer did not build"
# The consumer sets no standard itself; C++23 comes from the package.
grep -rqE -- '-std=(c|gnu)\+\+(23|2b)' "$build/build.ninja" "$build/CMakeFiles" \
  || fail "the consumer was not compiled as C++23: the package's compile feature did not reach it"

# locklab::locklab is the shared library, locklab::locklab_static the archive.
needed_shared=$(needed_of "$build/consumer")
needed_static=$(needed_of "$build/consumer_static")
grep -q '^liblocklab_hiredis\.so\.' <<<"$needed_shared" \
  || fail "consumer (locklab::locklab) does not need liblocklab_hiredis.so: $needed_shared"
! grep -q '^liblocklab_hiredis' <<<"$needed_static" \
  || fail "consumer_static (locklab::locklab_static) needs a shared liblocklab_hiredis: $needed_static"
grep -q '^libhiredis' <<<"$needed_static" \
  || fail "consumer_static does not need libhiredis (the archive's dependency): $needed_static"

echo "== run"
"$build/consumer" || fail "the consumer (shared) exited with $?"
"$build/consumer_static" || fail "the consumer (static) exited with $?"
echo "PASS: find_package(locklab) consumers, shared and static, configured, built and ran"
