// locklab/hiredis/export.hpp — LOCKLAB_HIREDIS_API marks the hiredis
// backend's public API (Backend, Backend::Event, name_of, map_failure) for
// export from a shared liblocklab_hiredis, which is built with
// -fvisibility=hidden (LOCKLAB_SHARED=ON): only what carries the mark is in
// its dynamic symbol table; the sockets, pools and fan-out stay internal.
// LOCKLAB_HIREDIS_LOCAL keeps a declaration inside a marked class hidden
// (Backend::Impl: a nested class takes its enclosing class's visibility). It
// applies only while the shared library itself is compiled
// (LOCKLAB_HIREDIS_BUILDING_SHARED): in the static build the internal types
// that hold an Impl& keep default visibility, and a hidden Impl inside them
// would be a -Wattributes error.
//
// Does not: export anything of lockimpl (header-only templates, instantiated
// in the user's program), or mark for Windows (dllexport/dllimport): locklab
// builds on Linux. In the static archive (the default) the marks change
// nothing.
//
//   class LOCKLAB_HIREDIS_API Backend { ... };
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define LOCKLAB_HIREDIS_API __attribute__((visibility("default")))
#else
#define LOCKLAB_HIREDIS_API
#endif

#if defined(LOCKLAB_HIREDIS_BUILDING_SHARED) && (defined(__GNUC__) || defined(__clang__))
#define LOCKLAB_HIREDIS_LOCAL __attribute__((visibility("hidden")))
#else
#define LOCKLAB_HIREDIS_LOCAL
#endif
