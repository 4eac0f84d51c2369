#!/usr/bin/env bash
# Package.SharedLibraryExportsOnlyItsApi: the library-only install (the
# fixture's prefix) holds liblocklab_hiredis.so with a SONAME (major.minor
# while the version is 0.x) beside the archive; the shared library exports
# the backend's public API and nothing of its internals, and needs nothing of
# the simulator.
# usage: shared_library.sh WORK PREFIX BUILD
set -euo pipefail
here=$(dirname "$0")
. "$here/common.sh"
[ $# -eq 3 ] || fail "usage: $0 WORK PREFIX BUILD"
work=$1 prefix=$2 build=$3
fresh_dir "$work"
[ -d "$prefix" ] || fail "no installed prefix at $prefix (the library-only test sets it up)"

version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
[ -n "$version" ] || fail "no CMAKE_PROJECT_VERSION in the cache"
major=${version%%.*} rest=${version#*.} minor=${rest%%.*}
if [ "$major" = 0 ]; then soversion=$major.$minor; else soversion=$major; fi
lib=$(find "$prefix" -name "liblocklab_hiredis.so.$version" -print -quit)
[ -n "$lib" ] || fail "liblocklab_hiredis.so.$version was not installed"
libdir=$(dirname "$lib")
[ -L "$libdir/liblocklab_hiredis.so.$soversion" ] || fail "no liblocklab_hiredis.so.$soversion link"
[ -L "$libdir/liblocklab_hiredis.so" ] || fail "no liblocklab_hiredis.so development link"
[ -f "$libdir/liblocklab_hiredis.a" ] || fail "the static archive was not installed beside the shared library"
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "liblocklab_hiredis.so.$soversion" ] \
  || fail "SONAME is '$soname', expected liblocklab_hiredis.so.$soversion"
echo "SONAME: $soname"

exported=$(nm -DC --defined-only "$lib")
echo "exported locklab symbols: $(grep -c 'locklab::' <<<"$exported")"
for api in 'locklab::hiredis::Backend::Backend(' 'locklab::hiredis::Backend::~Backend()' \
           'locklab::hiredis::Backend::fan_out(' 'locklab::hiredis::Backend::call(' \
           'locklab::hiredis::Backend::sleep_until(' 'locklab::hiredis::Backend::spawn(' \
           'locklab::hiredis::Backend::shutdown()' 'locklab::hiredis::Backend::Event::wait_until(' \
           'locklab::hiredis::map_failure(' 'locklab::hiredis::name_of(' \
           'typeinfo for locklab::lock::ConfigError'; do
  grep -qF -- "$api" <<<"$exported" || fail "the shared library does not export $api"
done
# The internals (the backend sources' own types and functions) stay hidden:
# every exported symbol of locklab::hiredis is the public API. (Inline
# functions of lockimpl's headers may appear as weak symbols: they are the
# user's too.)
own=$(sed -n 's/^[0-9a-f]* [A-Za-z] \(locklab::hiredis::.*\)/\1/p' <<<"$exported")
if grep -vE '^locklab::hiredis::(Backend::(Backend|~Backend|Event::)|Backend::[a-z_0-9]+(\[abi:cxx11\])?\(|map_failure\(|name_of\()' <<<"$own" \
   || grep -E 'Backend::Impl|FanOut|Connection|to_reply|format_command' <<<"$exported"; then
  fail "the shared library exports internal symbols (above): -fvisibility=hidden not in effect?"
fi
if grep -iE "$SIMULATOR_DEPENDENCIES" <<<"$(readelf -d "$lib")"; then
  fail "the shared library needs a simulator dependency (above)"
fi

PKG_CONFIG_PATH=$libdir/pkgconfig pkg-config --print-requires-private locklab | grep -qw hiredis \
  || fail "locklab.pc (the shared library) should have hiredis in Requires.private"
PKG_CONFIG_PATH=$libdir/pkgconfig pkg-config --print-requires locklab-static | grep -qw hiredis \
  || fail "locklab-static.pc (the archive) should have hiredis in Requires"
echo "PASS: shared liblocklab_hiredis: SONAME $soname, only its API exported"
