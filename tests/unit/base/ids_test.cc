#include "services/common/base/ids.h"

#include <set>

#include <gtest/gtest.h>

namespace carecast::common {
namespace {

TEST(NewIdTest, IsHexAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewId();
    ASSERT_EQ(id.size(), 32u);
    ASSERT_TRUE(IsValidId(id)) << id;
    ASSERT_TRUE(seen.insert(id).second) << "duplicate id " << id;
  }
}

TEST(Sha256HexTest, MatchesKnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(IdFromRequestTest, StablePerScopeAndRequest) {
  EXPECT_EQ(IdFromRequest("content:alice", "r1"), IdFromRequest("content:alice", "r1"));
  EXPECT_NE(IdFromRequest("content:alice", "r1"), IdFromRequest("content:bob", "r1"));
  EXPECT_NE(IdFromRequest("content:alice", "r1"), IdFromRequest("content:alice", "r2"));
}

TEST(IsValidIdTest, RejectsUnsafeSegments) {
  EXPECT_TRUE(IsValidId("st-marys"));
  EXPECT_FALSE(IsValidId(""));
  EXPECT_FALSE(IsValidId("-lead"));
  EXPECT_FALSE(IsValidId("Upper"));
  EXPECT_FALSE(IsValidId("a.b"));
  EXPECT_FALSE(IsValidId("a/b"));
  EXPECT_FALSE(IsValidId(std::string(64, 'a')));
}

}  // namespace
}  // namespace carecast::common
