// Fencing tokens, the same on simulated and real servers: four grants of one
// key to two clients, handed over by release and by expiry, carry strictly
// increasing tokens, and every node's counter ends at the last one.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "typed/suite.hpp"

namespace locklab::typed {
namespace {

using lock::Outcome;

template <typename E>
class TypedFencing : public TypedLock<E> {};
TYPED_TEST_SUITE(TypedFencing, Envs);

lock::LockOptions fenced(std::chrono::milliseconds ttl) {
  lock::LockOptions o = options(ttl);
  o.fencing = true;
  return o;
}

TYPED_TEST(TypedFencing, TokensStrictlyIncreaseAcrossHolders) {
  using Lock = LockFor<TypeParam>;
  TypeParam::run([](auto& ctx) {
    Lock a(ctx.backend(), fenced(500ms));
    Lock b(ctx.other(), fenced(500ms));
    std::vector<std::uint64_t> tokens;
    std::vector<Outcome> story;
    // One grant to `lock`; released unless `keep` (then it expires).
    const auto grant = [&](Lock& lock, bool keep) {
      auto got = lock.acquire("job", ctx.now() + 1s);
      story.push_back(got.outcome);
      if (!got) return;
      EXPECT_TRUE(got.lease->fencing_token.has_value());
      tokens.push_back(got.lease->fencing_token.value_or(0));
      if (!keep) story.push_back(lock.release(*got.lease).outcome);
    };
    grant(a, false);
    grant(b, true);
    ctx.sleep_for(700ms);  // b's lease expires; its key goes with it
    grant(a, false);
    grant(b, false);
    EXPECT_EQ(story, (std::vector<Outcome>{Outcome::acquired, Outcome::released, Outcome::acquired,
                                           Outcome::acquired, Outcome::released, Outcome::acquired,
                                           Outcome::released}));
    ASSERT_EQ(tokens.size(), 4u);
    EXPECT_GE(tokens[0], 1u);
    for (std::size_t i = 1; i < tokens.size(); ++i) {
      EXPECT_GT(tokens[i], tokens[i - 1]) << "grant " << i + 1;
    }
    for (std::size_t n = 0; n < ctx.nodes(); ++n) {
      EXPECT_EQ(ctx.raw(n, {"GET", "job:fence"}), lock::Reply::bulk(std::to_string(tokens.back())))
          << "node " << n;
    }
  });
}

}  // namespace
}  // namespace locklab::typed
