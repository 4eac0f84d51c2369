// The names of operation kinds and statuses, both ways: the words the JSON
// Lines and EDN forms and the verdicts use.
#include "locklab/history/operation.hpp"

#include <array>
#include <utility>

namespace locklab::history {

namespace {

constexpr std::array<std::pair<OpKind, std::string_view>, 6> kKindNames{{
    {OpKind::acquire, "acquire"},
    {OpKind::release, "release"},
    {OpKind::extend, "extend"},
    {OpKind::write, "write"},
    {OpKind::command, "command"},
    {OpKind::note, "note"},
}};
constexpr std::array<std::pair<OpStatus, std::string_view>, 4> kStatusNames{{
    {OpStatus::pending, "pending"},
    {OpStatus::ok, "ok"},
    {OpStatus::fail, "fail"},
    {OpStatus::info, "info"},
}};

template <typename E, std::size_t N>
std::string_view lookup_name(const std::array<std::pair<E, std::string_view>, N>& names, E value) {
  for (const auto& [e, name] : names) {
    if (e == value) return name;
  }
  return "unknown";
}

template <typename E, std::size_t N>
std::optional<E> lookup_value(const std::array<std::pair<E, std::string_view>, N>& names,
                              std::string_view name) {
  for (const auto& [e, n] : names) {
    if (n == name) return e;
  }
  return std::nullopt;
}

}  // namespace

std::string_view name_of(OpKind kind) { return lookup_name(kKindNames, kind); }
std::string_view name_of(OpStatus status) { return lookup_name(kStatusNames, status); }
std::optional<OpKind> op_kind_named(std::string_view name) { return lookup_value(kKindNames, name); }
std::optional<OpStatus> op_status_named(std::string_view name) {
  return lookup_value(kStatusNames, name);
}

}  // namespace locklab::history
