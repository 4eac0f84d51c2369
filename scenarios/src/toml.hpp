// scenarios/src/toml.hpp — toml++ as scenarios/ includes it (always this
// header, never <toml++/toml.h> directly).
//
// toml++ 3.3 asserts, in builds without NDEBUG, on input it otherwise reports
// as a parse error: "[\nname]" reaches TOML_ASSERT_ASSUME in parse_key()
// (found by scripts/fuzz-loader.sh, replayed under the asan preset). A debug
// or sanitizer build would then abort on a bad file that the release build
// rejects with a message. Its assertions are made no-ops here, which is what
// every NDEBUG build has anyway. (Under clang an NDEBUG build turns them into
// __builtin_assume, which would make such input undefined behaviour; GCC,
// the compiler locklab is built with, has no such builtin and ignores them.)
#pragma once

#define TOML_ASSERT(expr) static_assert(true)
#include <toml++/toml.h>
