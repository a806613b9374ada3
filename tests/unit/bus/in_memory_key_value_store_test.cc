#include "tests/support/in_memory_key_value_store.h"

#include <gtest/gtest.h>

namespace carecast::testing {
namespace {

TEST(InMemoryKeyValueStoreTest, CompareAndSetFollowsRevisions) {
  InMemoryKeyValueStore kv;
  auto r1 = kv.Create("posts.a", "v1");
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(kv.Create("posts.a", "again").status().code(), absl::StatusCode::kAlreadyExists);
  auto r2 = kv.Update("posts.a", "v2", *r1);
  ASSERT_TRUE(r2.ok());
  EXPECT_GT(*r2, *r1);
  EXPECT_EQ(kv.Update("posts.a", "stale", *r1).status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(kv.Get("posts.a")->value, "v2");
  EXPECT_EQ(kv.Get("posts.b").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(kv.Get("bad key").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(InMemoryKeyValueStoreFactoryTest, SameNameSharesOneBucket) {
  InMemoryKeyValueStoreFactory factory;
  auto a = factory.OpenBucket({.name = "b"});
  auto b = factory.OpenBucket({.name = "b"});
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->Put("k", "v").ok());
  EXPECT_EQ((*b)->Get("k")->value, "v");
}

}  // namespace
}  // namespace carecast::testing
