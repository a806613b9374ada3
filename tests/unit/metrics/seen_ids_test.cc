#include "services/metrics/seen_ids.h"

#include <string>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>

namespace carecast::metrics {
namespace {

TEST(SeenIdsTest, AnIdCountsOnceAndOthersStayNew) {
  SeenIds ids;
  EXPECT_TRUE(ids.Insert("post.1.v1.published"));
  EXPECT_FALSE(ids.Insert("post.1.v1.published"));
  EXPECT_TRUE(ids.Insert("post.1.v1.published "));  // a different id
  EXPECT_TRUE(ids.Insert("post.1.v1.publishe"));
  EXPECT_EQ(ids.size(), 3u);
}

TEST(SeenIdsTest, IdsOutliveTheBuffersTheyCameFrom) {
  SeenIds ids;
  {
    std::string id = "engagement.posts/abc.1700000000000";
    ASSERT_TRUE(ids.Insert(id));
    id.assign(id.size(), 'x');  // the caller's bytes change; the kept copy does not
  }
  EXPECT_TRUE(ids.Contains("engagement.posts/abc.1700000000000"));
  EXPECT_FALSE(ids.Contains(std::string(35, 'x')));
}

// Enough ids to fill many 64 KiB blocks, some longer than a quarter block, with
// a reservation made half way: the set agrees with a std::unordered_set.
TEST(SeenIdsTest, AgreesWithAStandardSetOverManyBlocksAndLongIds) {
  SeenIds ids;
  std::unordered_set<std::string> truth;
  for (int i = 0; i < 60000; ++i) {
    if (i == 30000) ids.Reserve(100000);
    std::string id = absl::StrCat("mention.", i % 45000, ".v1.classified");
    if (i % 5000 == 0) id += std::string(20000, static_cast<char>('a' + i / 5000 % 26));
    EXPECT_EQ(ids.Insert(id), truth.insert(id).second) << i;
  }
  EXPECT_EQ(ids.size(), truth.size());
  for (const std::string& id : truth) ASSERT_TRUE(ids.Contains(id));
  EXPECT_FALSE(ids.Contains("mention.45000.v1.classified"));
}

}  // namespace
}  // namespace carecast::metrics
