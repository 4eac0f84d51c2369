#!/usr/bin/env bash
# Package.SharedLibraryExportsOnlyItsApi: a library-only build with
# LOCKLAB_SHARED=ON installs liblocklab_hiredis.so with a SONAME
# (major.minor while the version is 0.x), exports the backend's public API and
# nothing of its internals, and both consumers (find_package and pkg-config)
# build against it and run.
# usage: shared_library.sh WORK SOURCE_DIR CMAKE CXX GENERATOR
set -euo pipefail
here=$(dirname "$0")
. "$here/common.sh"
[ $# -eq 5 ] || fail "usage: $0 WORK SOURCE_DIR CMAKE CXX GENERATOR"
work=$1 source_dir=$2 cmake=$3 cxx=$4 generator=$5
fresh_dir "$work"
build=$work/build prefix=$work/prefix

echo "== configure, build, install (LOCKLAB_LIBRARY_ONLY=ON LOCKLAB_SHARED=ON)"
"$cmake" -S "$source_dir" -B "$build" -G "$generator" -DLOCKLAB_LIBRARY_ONLY=ON -DLOCKLAB_SHARED=ON \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_INSTALL_PREFIX="$prefix" \
  || fail "the shared library-only configure failed"
"$cmake" --build "$build" -j2 || fail "the shared library-only build failed"
"$cmake" --install "$build" || fail "install failed"

version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
[ -n "$version" ] || fail "no CMAKE_PROJECT_VERSION in the cache"
major=${version%%.*} rest=${version#*.} minor=${rest%%.*}
if [ "$major" = 0 ]; then soversion=$major.$minor; else soversion=$major; fi
lib=$(find "$prefix" -name "liblocklab_hiredis.so.$version" -print -quit)
[ -n "$lib" ] || fail "liblocklab_hiredis.so.$version was not installed"
libdir=$(dirname "$lib")
[ -L "$libdir/liblocklab_hiredis.so.$soversion" ] || fail "no liblocklab_hiredis.so.$soversion link"
[ -L "$libdir/liblocklab_hiredis.so" ] || fail "no liblocklab_hiredis.so development link"
[ ! -e "$libdir/liblocklab_hiredis.a" ] || fail "a shared build installed the static archive too"
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

echo "== find_package consumer against the shared library"
bash "$here/find_package_consumer.sh" "$work/find-package" "$source_dir" "$cmake" "$cxx" \
  "$generator" "$prefix"
readelf -d "$work/find-package/build/consumer" | grep -qF "[liblocklab_hiredis.so.$soversion]" \
  || fail "the find_package consumer does not need liblocklab_hiredis.so.$soversion"
echo "== pkg-config consumer against the shared library"
PKG_CONFIG_PATH=$libdir/pkgconfig pkg-config --print-requires-private locklab | grep -qw hiredis \
  || fail "a shared build's locklab.pc should have hiredis in Requires.private"
bash "$here/pkg_config_consumer.sh" "$work/pkg-config" "$source_dir" "$cxx" "$prefix"
echo "PASS: shared liblocklab_hiredis: SONAME $soname, only its API exported, both consumers run"
