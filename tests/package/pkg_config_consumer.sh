#!/usr/bin/env bash
# Package.PkgConfigConsumerBuilds: the consumer's main.cpp compiled with
# CXX -std=c++23 $(pkg-config --cflags --libs locklab) against the installed
# prefix, and run.
# usage: pkg_config_consumer.sh WORK SOURCE_DIR CXX PREFIX
set -euo pipefail
. "$(dirname "$0")/common.sh"
[ $# -eq 4 ] || fail "usage: $0 WORK SOURCE_DIR CXX PREFIX"
work=$1 source_dir=$2 cxx=$3 prefix=$4
fresh_dir "$work"
command -v pkg-config >/dev/null || fail "pkg-config is not installed"
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(pkgconfig_dir "$prefix")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}

pkg-config --exists --print-errors locklab || fail "pkg-config cannot use locklab.pc"
flags=$(pkg-config --cflags --libs locklab) || fail "pkg-config --cflags --libs locklab failed"
echo "pkg-config --cflags --libs locklab: $flags"
grep -qw -- '-llocklab_hiredis' <<<"$flags" || fail "no -llocklab_hiredis in: $flags"
libdir=$(pkg-config --variable=libdir locklab)
if [ -f "$libdir/liblocklab_hiredis.a" ]; then
  grep -qw -- '-lhiredis' <<<"$flags" || fail "no -lhiredis in (the archive needs it): $flags"
fi
# shellcheck disable=SC2086  # the flags are words
"$cxx" -std=c++23 -o "$work/consumer" "$source_dir/tests/package/consumer/main.cpp" $flags \
  || fail "the consumer did not build with pkg-config's flags"
# A shared liblocklab_hiredis in a non-system prefix is found at run time
# through LD_LIBRARY_PATH (the pkg-config line sets no rpath).
LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$work/consumer" || fail "the pkg-config consumer exited with $?"
echo "PASS: pkg-config consumer built and ran"
