// The backend's one error mapping, as a table: whether a failure may have
// applied the command depends only on whether a byte of it left.
#include <gtest/gtest.h>

#include <cerrno>

#include "locklab/hiredis/error_map.hpp"

namespace locklab::hiredis {
namespace {

using K = lock::NodeErrorKind;

struct Row {
  Stage stage;
  int errno_value;
  K kind;
  bool maybe_applied;
};

TEST(HiredisErrorMap, NothingSentIsNeverAppliedAndSentMayBe) {
  const Row table[] = {
      // Nothing sent: not applied.
      {Stage::slot, EBUSY, K::no_slot, false},
      {Stage::slot, ECANCELED, K::cancelled, false},
      {Stage::slot, ESHUTDOWN, K::killed, false},
      {Stage::connect, ECONNREFUSED, K::refused, false},
      {Stage::connect, ENOENT, K::refused, false},
      {Stage::connect, EHOSTUNREACH, K::refused, false},
      {Stage::connect, ENETUNREACH, K::refused, false},
      {Stage::connect, ETIMEDOUT, K::timed_out, false},
      {Stage::connect, ECANCELED, K::cancelled, false},
      {Stage::handshake, EACCES, K::misconfigured, false},
      {Stage::handshake, EINVAL, K::misconfigured, false},
      {Stage::handshake, EEXIST, K::misconfigured, false},
      {Stage::handshake, ETIMEDOUT, K::timed_out, false},
      {Stage::handshake, 0, K::connection_lost, false},
      {Stage::handshake, ECONNRESET, K::connection_lost, false},
      {Stage::handshake, EPROTO, K::protocol, false},
      {Stage::stale, 0, K::connection_lost, false},
      {Stage::send, EPIPE, K::connection_lost, false},
      {Stage::send, ECONNRESET, K::connection_lost, false},
      {Stage::send, ETIMEDOUT, K::timed_out, false},
      {Stage::send, ECANCELED, K::cancelled, false},
      {Stage::send, ESHUTDOWN, K::killed, false},
      // Sent (at least one byte): may have been applied.
      {Stage::reply, ETIMEDOUT, K::timed_out, true},
      {Stage::reply, 0, K::connection_lost, true},
      {Stage::reply, ECONNRESET, K::connection_lost, true},
      {Stage::reply, EPIPE, K::connection_lost, true},
      {Stage::reply, EPROTO, K::protocol, true},
      {Stage::reply, ECANCELED, K::cancelled, true},
      {Stage::reply, ESHUTDOWN, K::killed, true},
  };
  for (const Row& row : table) {
    const lock::NodeError e = map_failure(row.stage, row.errno_value, "node 0");
    SCOPED_TRACE(std::string(name_of(row.stage)) + " errno " + std::to_string(row.errno_value));
    EXPECT_EQ(e.kind, row.kind) << e.detail;
    EXPECT_EQ(e.maybe_applied, row.maybe_applied) << e.detail;
    EXPECT_NE(e.detail.find("node 0"), std::string::npos) << e.detail;
  }
}

TEST(HiredisErrorMap, RefusalsNoSlotAndMisconfigurationAreNeverMaybeApplied) {
  for (Stage stage : {Stage::slot, Stage::connect, Stage::handshake, Stage::stale, Stage::send,
                      Stage::reply}) {
    for (int errno_value : {0, EBUSY, EACCES, EINVAL, EEXIST, ECONNREFUSED}) {
      const lock::NodeError e = map_failure(stage, errno_value);
      if (e.kind == K::refused || e.kind == K::no_slot || e.kind == K::misconfigured) {
        EXPECT_FALSE(e.maybe_applied) << name_of(stage) << " " << errno_value << ": " << e.detail;
      }
    }
  }
}

TEST(HiredisErrorMap, CredentialsRefusalNamesTheCredentials) {
  const lock::NodeError e = map_failure(Stage::handshake, EACCES, "AUTH: WRONGPASS invalid");
  EXPECT_EQ(e.kind, K::misconfigured);
  EXPECT_NE(e.detail.find("password"), std::string::npos) << e.detail;
  EXPECT_NE(e.detail.find("WRONGPASS"), std::string::npos) << e.detail;
}

}  // namespace
}  // namespace locklab::hiredis
