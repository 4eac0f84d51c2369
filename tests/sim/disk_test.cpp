// Disk: what a process sees (the page cache) versus what survives a power
// loss (the last fsync), for append, write, remove and files().
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "locklab/sim/disk.hpp"

namespace locklab::sim {
namespace {

using Files = std::vector<std::string>;

// A file that was never created reads as absent and is not listed.
TEST(Disk, MissingFileReadsAsAbsent) {
  Disk disk;
  EXPECT_EQ(disk.read("nothing"), std::nullopt);
  EXPECT_TRUE(disk.files().empty());
  disk.fsync("nothing");  // syncing a missing file creates nothing
  disk.remove("nothing");
  EXPECT_EQ(disk.read("nothing"), std::nullopt);
  EXPECT_TRUE(disk.files().empty());
}

// Appends accumulate and are visible at once, before any fsync.
TEST(Disk, AppendThenRead) {
  Disk disk;
  disk.append("aof", "SET a 1\n");
  disk.append("aof", "SET b 2\n");
  EXPECT_EQ(disk.read("aof"), "SET a 1\nSET b 2\n");
  disk.append("empty", "");
  EXPECT_EQ(disk.read("empty"), "");  // exists, with no bytes
  EXPECT_EQ(disk.files(), (Files{"aof", "empty"}));
}

// write() replaces the whole content; a later append extends the new one.
TEST(Disk, WriteReplaces) {
  Disk disk;
  disk.append("rdb", "old old old");
  disk.write("rdb", "new");
  EXPECT_EQ(disk.read("rdb"), "new");
  disk.append("rdb", "+");
  EXPECT_EQ(disk.read("rdb"), "new+");
}

// files() lists existing files sorted by name.
TEST(Disk, FilesAreSortedByName) {
  Disk disk;
  disk.write("zeta", "z");
  disk.write("alpha", "a");
  disk.append("mid", "m");
  EXPECT_EQ(disk.files(), (Files{"alpha", "mid", "zeta"}));
}

// After fsync, a power loss keeps the synced content; appends after the
// fsync are lost.
TEST(Disk, FsyncSurvivesPowerLossUnsyncedAppendsDoNot) {
  Disk disk;
  disk.append("aof", "one\n");
  disk.fsync("aof");
  disk.append("aof", "two\n");
  EXPECT_EQ(disk.read("aof"), "one\ntwo\n");
  disk.lose_unsynced();
  EXPECT_EQ(disk.read("aof"), "one\n");
  // Losing power again changes nothing: the content is the synced one.
  disk.lose_unsynced();
  EXPECT_EQ(disk.read("aof"), "one\n");
}

// A write() that replaced synced content is undone by a power loss.
TEST(Disk, UnsyncedWriteIsRolledBack) {
  Disk disk;
  disk.write("rdb", "v1");
  disk.fsync("rdb");
  disk.write("rdb", "v2");
  disk.lose_unsynced();
  EXPECT_EQ(disk.read("rdb"), "v1");
  disk.write("rdb", "v3");
  disk.fsync("rdb");
  disk.lose_unsynced();
  EXPECT_EQ(disk.read("rdb"), "v3");
}

// A file never synced vanishes in a power loss; synced ones stay.
TEST(Disk, NeverSyncedFileIsGone) {
  Disk disk;
  disk.append("tmp", "scratch");
  disk.write("kept", "k");
  disk.fsync("kept");
  disk.lose_unsynced();
  EXPECT_EQ(disk.read("tmp"), std::nullopt);
  EXPECT_EQ(disk.read("kept"), "k");
  EXPECT_EQ(disk.files(), (Files{"kept"}));
}

// Removing a synced file hides it until a power loss, which brings the
// synced version back (the removal was never made durable).
TEST(Disk, UnsyncedRemoveIsUndoneByPowerLoss) {
  Disk disk;
  disk.write("aof", "durable");
  disk.fsync("aof");
  disk.append("aof", " and not");
  disk.remove("aof");
  EXPECT_EQ(disk.read("aof"), std::nullopt);
  EXPECT_TRUE(disk.files().empty());
  disk.lose_unsynced();
  EXPECT_EQ(disk.read("aof"), "durable");
  EXPECT_EQ(disk.files(), (Files{"aof"}));
}

// A removal followed by fsync is final: the file stays gone after a power
// loss, and a new file of the same name starts empty.
TEST(Disk, SyncedRemoveIsFinal) {
  Disk disk;
  disk.write("aof", "durable");
  disk.fsync("aof");
  disk.remove("aof");
  disk.fsync("aof");
  disk.lose_unsynced();
  EXPECT_EQ(disk.read("aof"), std::nullopt);
  disk.append("aof", "fresh");
  EXPECT_EQ(disk.read("aof"), "fresh");
  disk.lose_unsynced();
  EXPECT_EQ(disk.read("aof"), std::nullopt);
}

// Appending to a removed (not yet synced) file starts it afresh, not from the
// hidden content.
TEST(Disk, AppendAfterRemoveStartsEmpty) {
  Disk disk;
  disk.write("log", "abc");
  disk.fsync("log");
  disk.remove("log");
  disk.append("log", "x");
  EXPECT_EQ(disk.read("log"), "x");
  disk.lose_unsynced();
  EXPECT_EQ(disk.read("log"), "abc");
}

// Files are independent: syncing one does not make another durable.
TEST(Disk, FsyncIsPerFile) {
  Disk disk;
  disk.write("a", "1");
  disk.write("b", "2");
  disk.fsync("a");
  disk.lose_unsynced();
  EXPECT_EQ(disk.read("a"), "1");
  EXPECT_EQ(disk.read("b"), std::nullopt);
}

}  // namespace
}  // namespace locklab::sim
