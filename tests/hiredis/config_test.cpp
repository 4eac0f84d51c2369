// hiredis::Backend's endpoints: AUTH with a password and with an ACL user,
// a wrong password as a typed refusal, duplicate addresses rejected at
// construction, and two endpoints that reach the same server found by run_id.
#include <gtest/gtest.h>

#include <filesystem>

#include "locklab/lock/options.hpp"
#include "test_util.hpp"

namespace locklab::hiredis_test {
namespace {

using hiredis::Backend;
using lock::NodeErrorKind;
using lock::Reply;

TEST(HiredisConfig, AuthWithRequirepass) {
  realserver::Server server({.extra_args = {"--requirepass", "s3cret"}});
  Backend good({{.host = "127.0.0.1", .port = server.port(), .password = "s3cret"}});
  auto r = good.call(0, {"SET", "k", "v"}, in(2s));
  ASSERT_TRUE(r) << show(r);
  EXPECT_EQ(*r, Reply::ok());

  Backend none({tcp(server)});
  auto unauth = none.call(0, {"SET", "k", "v"}, in(2s));
  ASSERT_TRUE(unauth) << show(unauth);  // the server's own refusal: a reply
  EXPECT_TRUE(unauth->is_error_code("NOAUTH")) << *unauth;

  Backend wrong({{.host = "127.0.0.1", .port = server.port(), .password = "nope"}});
  auto refused = wrong.call(0, {"SET", "k", "v"}, in(2s));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, NodeErrorKind::misconfigured) << show(refused);
  EXPECT_FALSE(refused.error().maybe_applied);
  EXPECT_NE(refused.error().detail.find("AUTH"), std::string::npos) << show(refused);
  EXPECT_NE(refused.error().detail.find("WRONGPASS"), std::string::npos) << show(refused);
  auto still = good.call(0, {"GET", "k"}, in(2s));
  ASSERT_TRUE(still) << show(still);
  EXPECT_EQ(*still, Reply::bulk("v")) << "the refused SET must not have run";
}

TEST(HiredisConfig, AuthWithAnAclUser) {
  realserver::Server server;
  Backend admin({tcp(server)});
  auto created = admin.call(0, {"ACL", "SETUSER", "alice", "on", ">pw", "~*", "&*", "+@all"},
                            in(2s));
  ASSERT_TRUE(created && created->is_ok()) << show(created);
  Backend alice({{.host = "127.0.0.1", .port = server.port(), .user = "alice", .password = "pw"}});
  auto who = alice.call(0, {"ACL", "WHOAMI"}, in(2s));
  ASSERT_TRUE(who) << show(who);
  EXPECT_EQ(*who, Reply::bulk("alice"));
  Backend wrong({{.host = "127.0.0.1", .port = server.port(), .user = "alice", .password = "x"}});
  auto refused = wrong.call(0, {"ACL", "WHOAMI"}, in(2s));
  ASSERT_FALSE(refused) << "ran as the default user instead of failing";
  EXPECT_EQ(refused.error().kind, NodeErrorKind::misconfigured) << show(refused);
  EXPECT_FALSE(refused.error().maybe_applied);
}

TEST(HiredisConfig, DuplicateEndpointsAreAConfigError) {
  try {
    Backend backend({{.host = "127.0.0.1", .port = 7001}, {.host = "127.0.0.2", .port = 7001},
                     {.host = "127.0.0.1", .port = 7001}});
    FAIL() << "no ConfigError";
  } catch (const lock::ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("endpoints 0 (127.0.0.1:7001) and 2 (127.0.0.1:7001)"), std::string::npos)
        << what;
  }
  EXPECT_THROW(Backend({{.unix_path = "/tmp/a.sock"}, {.unix_path = "/tmp//./a.sock"}}),
               lock::ConfigError);
  EXPECT_THROW(Backend({}), lock::ConfigError);
  EXPECT_THROW(Backend({{.host = "no-such-host.invalid", .port = 1}}), lock::ConfigError);
}

// A TCP endpoint and a unix socket endpoint of one server: different
// addresses, one run_id. Counting it twice would fake a quorum, so once the
// backend has seen both, calls to either fail typed, unsent.
TEST(HiredisConfig, TwoEndpointsOfOneServerAreRefusedByRunId) {
  realserver::Server server({.unix_socket = true});
  Backend backend({tcp(server), {.unix_path = server.unix_path()}});
  auto first = backend.call(0, {"SET", "k", "v"}, in(2s));
  ASSERT_TRUE(first) << show(first);  // not yet known to be a duplicate
  auto second = backend.call(1, {"SET", "k", "v"}, in(2s));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind, NodeErrorKind::misconfigured) << show(second);
  EXPECT_FALSE(second.error().maybe_applied);
  EXPECT_NE(second.error().detail.find("the same server as node 0"), std::string::npos)
      << show(second);
  auto again = backend.call(0, {"PING"}, in(2s));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, NodeErrorKind::misconfigured) << show(again);
  EXPECT_NE(again.error().detail.find("the same server as node 1"), std::string::npos)
      << show(again);
}

// The server behind an address can change: here node 1's unix socket path
// is a symbolic link, first to another server's socket, then, once that
// server is gone, to node 0's. The run_id is read again on every new
// connection, so the second server is caught as node 0's before anything is
// sent to it, and from then on calls to either node fail, typed.
TEST(HiredisConfig, RunIdIsReadAgainOnEveryNewConnection) {
  realserver::Server first({.unix_socket = true});
  realserver::Server second({.unix_socket = true});
  const std::filesystem::path link =
      std::filesystem::path(second.unix_path()).parent_path() / "node1.sock";
  std::filesystem::create_symlink(second.unix_path(), link);
  Backend backend({{.unix_path = first.unix_path()}, {.unix_path = link.string()}});
  auto a = backend.call(0, {"SET", "k", "first"}, in(2s));
  ASSERT_TRUE(a) << show(a);
  auto b = backend.call(1, {"SET", "k", "second"}, in(2s));
  ASSERT_TRUE(b) << show(b) << ": two different servers";

  second.stop();
  std::filesystem::remove(link);
  std::filesystem::create_symlink(first.unix_path(), link);
  auto again = backend.call(1, {"SET", "k", "through the link"}, in(2s));
  ASSERT_FALSE(again) << "node 1 now reaches node 0's server and was used";
  EXPECT_EQ(again.error().kind, NodeErrorKind::misconfigured) << show(again);
  EXPECT_FALSE(again.error().maybe_applied);
  EXPECT_NE(again.error().detail.find("the same server as node 0"), std::string::npos)
      << show(again);
  auto node0 = backend.call(0, {"GET", "k"}, in(2s));
  ASSERT_FALSE(node0) << "node 0 is now known to be counted twice";
  EXPECT_EQ(node0.error().kind, NodeErrorKind::misconfigured) << show(node0);

  Backend check({{.unix_path = first.unix_path()}});
  auto value = check.call(0, {"GET", "k"}, in(2s));
  ASSERT_TRUE(value) << show(value);
  EXPECT_EQ(*value, Reply::bulk("first")) << "the refused SET through the link ran";
}

// 127.0.0.1 and localhost on one port: either the names resolve to the same
// address (a ConfigError at construction, naming both), or localhost is
// another address of the same machine (IPv6), and then the calls to it are
// refused, never applied — by the run_id check when the server listens there.
TEST(HiredisConfig, LocalhostAndLoopbackOnOnePortAreNeverTwoNodes) {
  realserver::Server server;
  try {
    Backend backend({tcp(server), {.host = "localhost", .port = server.port()}});
    auto first = backend.call(0, {"PING"}, in(2s));
    ASSERT_TRUE(first) << show(first);
    auto second = backend.call(1, {"PING"}, in(2s));
    ASSERT_FALSE(second) << "localhost counted as a second server";
    // Refused when nothing listens on localhost's other address;
    // misconfigured when the server does and its run_id gives it away.
    EXPECT_TRUE(second.error().kind == NodeErrorKind::refused ||
                second.error().kind == NodeErrorKind::misconfigured)
        << show(second);
    EXPECT_FALSE(second.error().maybe_applied);
  } catch (const lock::ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("127.0.0.1:" + std::to_string(server.port())), std::string::npos) << what;
    EXPECT_NE(what.find("localhost:" + std::to_string(server.port())), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace locklab::hiredis_test
