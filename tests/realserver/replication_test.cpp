// Replicas and deployments: a replica is linked when its constructor returns,
// copies the master, refuses writes, and REPLICAOF NO ONE makes it a writable
// master that keeps the data; a Deployment is N independent masters.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "locklab/realserver/deployment.hpp"

namespace locklab::realserver {
namespace {

using namespace std::chrono_literals;

TEST(RealServerReplication, ReplicaLinksUpAndPromoteMakesItAWritableMaster) {
  Server master;
  ASSERT_TRUE(master.admin({"SET", "k", "v"}).is_ok());
  Server replica({.replica_of = master.port()});
  EXPECT_EQ(info_field(replica.info("replication"), "role"), "slave");
  EXPECT_EQ(info_field(replica.info("replication"), "master_link_status"), "up");
  EXPECT_EQ(replica.admin({"GET", "k"}).text, "v") << "the initial sync did not copy the key";
  const AdminReply refused = replica.admin({"SET", "k", "w"});
  ASSERT_TRUE(refused.is_error()) << to_string(refused);
  EXPECT_TRUE(refused.text.starts_with("READONLY")) << refused.text;
  replica.promote();
  EXPECT_EQ(info_field(replica.info("replication"), "role"), "master");
  EXPECT_TRUE(replica.admin({"SET", "k", "w"}).is_ok());
  EXPECT_EQ(master.admin({"GET", "k"}).text, "v") << "the promoted replica still feeds its old master?";
}

TEST(RealServerReplication, ReplicateLinksARunningServer) {
  Server master, other;
  ASSERT_TRUE(master.admin({"SET", "k", "v"}).is_ok());
  other.replicate(master);
  EXPECT_EQ(other.admin({"GET", "k"}).text, "v");
}

TEST(RealServerReplication, WaitForLinkFailsWithTheStatusWhenTheMasterIsDown) {
  Server master;
  Server replica({.replica_of = master.port()});
  master.kill();
  try {
    // Until the replica notices (its repl-timeout is long), the status may
    // still read up; after the master's FIN it is down.
    std::this_thread::sleep_for(200ms);
    replica.wait_for_link(300ms);
    ADD_FAILURE() << "the link is up with the master killed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("master_link_status"), std::string::npos) << e.what();
  }
}

TEST(RealServerReplication, ReplicaOfADeadMasterIsAStartError) {
  Server master;
  const int port = master.port();
  master.kill();
  try {
    Server replica({.replica_of = port, .start_timeout = 1000ms});
    ADD_FAILURE() << "a replica linked to a dead master";
  } catch (const StartError& e) {
    EXPECT_NE(std::string(e.what()).find("did not link"), std::string::npos) << e.what();
  }
}

TEST(RealServerReplication, DeploymentStartsIndependentMastersWithLinkedReplicas) {
  Deployment d({.masters = 3, .replicas_per_master = 1});
  ASSERT_EQ(d.masters(), 3u);
  const std::vector<int> ports = d.master_ports();
  EXPECT_EQ(std::set<int>(ports.begin(), ports.end()).size(), 3u);
  std::set<std::string> run_ids;
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(info_field(d.master(i).info("replication"), "role"), "master");
    EXPECT_EQ(info_field(d.master(i).info("replication"), "connected_slaves"), "1");
    run_ids.insert(info_field(d.master(i).info("server"), "run_id"));
    const std::string replication = d.replica(i, 0).info("replication");
    EXPECT_EQ(info_field(replication, "master_port"), std::to_string(ports[i]));
    EXPECT_EQ(info_field(replication, "master_link_status"), "up");
  }
  EXPECT_EQ(run_ids.size(), 3u);
  // Masters are independent: a key on one is on no other.
  ASSERT_TRUE(d.master(0).admin({"SET", "only-here", "1"}).is_ok());
  EXPECT_EQ(d.master(1).admin({"EXISTS", "only-here"}).integer, 0);
}

}  // namespace
}  // namespace locklab::realserver
