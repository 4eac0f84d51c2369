// locklab/assert.hpp — assertions that stay on in every build.
//
// Provides LOCKLAB_ASSERT(cond, message...) and the comparison forms
// LOCKLAB_ASSERT_EQ/NE/LT/LE/GT/GE, which print both operands on failure.
// They are for programming errors (a broken invariant, a caller breaking a
// documented precondition), never for outcomes a caller should handle: those
// are values. A failed assertion prints where and why, then aborts.
//
// Lives in lockimpl/ because lockimpl is the bottom layer: every other part of
// locklab may use it, and it depends on nothing of ours.
//
//   LOCKLAB_ASSERT(quorum > 0, "quorum must be positive");
//   LOCKLAB_ASSERT_LE(start, end);
#pragma once

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

namespace locklab::detail {

[[noreturn]] inline void assertion_failed(const char* file, int line, const char* expr,
                                          const std::string& detail) {
  std::fprintf(stderr, "locklab: assertion failed at %s:%d: %s%s%s\n", file, line, expr,
               detail.empty() ? "" : " — ", detail.c_str());
  std::fflush(stderr);
  std::abort();
}

template <typename... Parts>
std::string join_message(const Parts&... parts) {
  if constexpr (sizeof...(parts) == 0) {
    return {};
  } else {
    std::ostringstream out;
    (out << ... << parts);
    return out.str();
  }
}

template <typename A, typename B>
std::string describe_operands(const A& a, const B& b) {
  std::ostringstream out;
  if constexpr (requires(std::ostream& o) { o << a; o << b; }) {
    out << "left = " << a << ", right = " << b;
  } else {
    out << "(operands not printable)";
  }
  return out.str();
}

}  // namespace locklab::detail

#define LOCKLAB_ASSERT(cond, ...)                                              \
  do {                                                                         \
    if (!(cond)) [[unlikely]] {                                                \
      ::locklab::detail::assertion_failed(                                     \
          __FILE__, __LINE__, #cond, ::locklab::detail::join_message(__VA_ARGS__)); \
    }                                                                          \
  } while (false)

#define LOCKLAB_ASSERT_CMP_(a, b, op)                                          \
  do {                                                                         \
    const auto& locklab_a_ = (a);                                              \
    const auto& locklab_b_ = (b);                                              \
    if (!(locklab_a_ op locklab_b_)) [[unlikely]] {                            \
      ::locklab::detail::assertion_failed(                                     \
          __FILE__, __LINE__, #a " " #op " " #b,                               \
          ::locklab::detail::describe_operands(locklab_a_, locklab_b_));       \
    }                                                                          \
  } while (false)

#define LOCKLAB_ASSERT_EQ(a, b) LOCKLAB_ASSERT_CMP_(a, b, ==)
#define LOCKLAB_ASSERT_NE(a, b) LOCKLAB_ASSERT_CMP_(a, b, !=)
#define LOCKLAB_ASSERT_LT(a, b) LOCKLAB_ASSERT_CMP_(a, b, <)
#define LOCKLAB_ASSERT_LE(a, b) LOCKLAB_ASSERT_CMP_(a, b, <=)
#define LOCKLAB_ASSERT_GT(a, b) LOCKLAB_ASSERT_CMP_(a, b, >)
#define LOCKLAB_ASSERT_GE(a, b) LOCKLAB_ASSERT_CMP_(a, b, >=)
