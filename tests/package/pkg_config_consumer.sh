#!/usr/bin/env bash
# Package.PkgConfigConsumerBuilds: the consumer's main.cpp compiled with
# CXX -std=c++23 $(pkg-config --cflags --libs locklab) (the shared library)
# and with locklab-static (the archive) against the installed prefix, and
# both run.
# usage: pkg_config_consumer.sh WORK SOURCE_DIR CXX PREFIX
set -euo pipefail
. "$(dirname "$0")/common.sh"
[ $# -eq 4 ] || fail "usage: $0 WORK SOURCE_DIR CXX PREFIX"
work=$1 source_dir=$2 cxx=$3 prefix=$4
fresh_dir "$work"
command -v pkg-config >/dev/null || fail "pkg-config is not installed"
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(pkgconfig_dir "$prefix")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}

for module in locklab locklab-static; do
  pkg-config --exists --print-errors "$module" || fail "pkg-config cannot use $module.pc"
done
shared_flags=$(pkg-config --cflags --libs locklab) || fail "pkg-config --cflags --libs locklab failed"
static_flags=$(pkg-config --cflags --libs locklab-static) || fail "pkg-config --cflags --libs locklab-static failed"
echo "locklab:        $shared_flags"
echo "locklab-static: $static_flags"
grep -qw -- '-llocklab_hiredis' <<<"$shared_flags" || fail "no -llocklab_hiredis in: $shared_flags"
grep -qF -- '-l:liblocklab_hiredis.a' <<<"$static_flags" || fail "no -l:liblocklab_hiredis.a in: $static_flags"
# The archive does not record hiredis; the shared library does.
grep -qw -- '-lhiredis' <<<"$static_flags" || fail "no -lhiredis in (the archive needs it): $static_flags"
libdir=$(pkg-config --variable=libdir locklab)

# shellcheck disable=SC2086  # the flags are words
"$cxx" -std=c++23 -o "$work/consumer" "$source_dir/tests/package/consumer/main.cpp" $shared_flags \
  || fail "the consumer did not build with locklab's flags"
# shellcheck disable=SC2086
"$cxx" -std=c++23 -o "$work/consumer_static" "$source_dir/tests/package/consumer/main.cpp" $static_flags \
  || fail "the consumer did not build with locklab-static's flags"
grep -q '^liblocklab_hiredis\.so\.' <<<"$(needed_of "$work/consumer")" \
  || fail "the locklab.pc consumer does not need liblocklab_hiredis.so"
! grep -q '^liblocklab_hiredis' <<<"$(needed_of "$work/consumer_static")" \
  || fail "the locklab-static.pc consumer needs a shared liblocklab_hiredis"
# The shared library in a non-system prefix is found at run time through
# LD_LIBRARY_PATH (the pkg-config line sets no rpath).
LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$work/consumer" \
  || fail "the pkg-config consumer (shared) exited with $?"
"$work/consumer_static" || fail "the pkg-config consumer (static) exited with $?"
echo "PASS: pkg-config consumers, shared and static, built and ran"
