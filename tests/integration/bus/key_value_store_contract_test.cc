// The KeyValueStore contract, run against the in-memory fake and JetStream KV.
#include <map>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "tests/integration/bus/bus_test_env.h"

namespace carecast::testing {
namespace {

using absl::StatusCode;

class KeyValueStoreContractTest : public ::testing::TestWithParam<BusImpl> {
 protected:
  void SetUp() override {
    if (GetParam() == BusImpl::kFake) {
      factory_ = &fake_;
    } else {
      if (!nats_.Start(logger_)) {
        if (nats_.skipped())
          GTEST_FAIL() << "nats-server is not installed (scripts/install-deps.sh installs it); the "
                          "test needs the real server";
        return;
      }
      factory_ = &nats_.connection();
    }
    auto kv = factory_->OpenBucket({.name = "test_bucket", .history = 5});
    ASSERT_TRUE(kv.ok()) << kv.status();
    kv_ = std::move(*kv);
  }

  common::CapturingLogger logger_;
  NatsEnv nats_;
  InMemoryKeyValueStoreFactory fake_;
  common::KeyValueStoreFactory* factory_ = nullptr;
  std::unique_ptr<common::KeyValueStore> kv_;
};

TEST_P(KeyValueStoreContractTest, CreateGetUpdateWithRevisions) {
  EXPECT_EQ(kv_->Get("posts/p1").status().code(), StatusCode::kNotFound);
  auto r1 = kv_->Create("posts/p1", "v1");
  ASSERT_TRUE(r1.ok()) << r1.status();
  EXPECT_EQ(kv_->Create("posts/p1", "again").status().code(), StatusCode::kAlreadyExists);
  auto got = kv_->Get("posts/p1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->key, "posts/p1");
  EXPECT_EQ(got->value, "v1");
  EXPECT_EQ(got->revision, *r1);

  auto r2 = kv_->Update("posts/p1", "v2", *r1);
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_GT(*r2, *r1);
  auto stale = kv_->Update("posts/p1", "lost", *r1);
  EXPECT_EQ(stale.status().code(), StatusCode::kAborted) << stale.status();
  EXPECT_EQ(kv_->Update("posts/p1", "lost", 0).status().code(), StatusCode::kAborted);
  EXPECT_EQ(kv_->Get("posts/p1")->value, "v2");

  // Revision zero means "no live value": it creates.
  auto fresh = kv_->Update("posts/p2", "new", 0);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_GT(*fresh, *r2);
}

TEST_P(KeyValueStoreContractTest, PutDeleteAndRecreate) {
  auto r1 = kv_->Put("k", std::string("bin\0ary", 7));
  ASSERT_TRUE(r1.ok()) << r1.status();
  auto r2 = kv_->Put("k", "overwritten");
  ASSERT_TRUE(r2.ok());
  EXPECT_GT(*r2, *r1);
  EXPECT_EQ(kv_->Get("k")->value, "overwritten");
  ASSERT_TRUE(kv_->Delete("k").ok());
  EXPECT_EQ(kv_->Get("k").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(kv_->Delete("never-there").ok());
  auto again = kv_->Create("k", "back");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(kv_->Get("k")->value, "back");
  auto bytes = kv_->Put("b", std::string("bin\0ary", 7));
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(kv_->Get("b")->value, std::string("bin\0ary", 7));
}

// A page read at once: every answer in the keys' order, a missing or deleted
// key NOT_FOUND in its place, a bad key INVALID_ARGUMENT in its place.
TEST_P(KeyValueStoreContractTest, GetManyAnswersEachKeyInOrder) {
  std::vector<std::string> keys;
  for (int i = 0; i < 40; ++i) {
    keys.push_back("posts.p" + std::to_string(i));
    if (i % 5 != 4) {
      ASSERT_TRUE(kv_->Put(keys.back(), "v" + std::to_string(i)).ok());
    }
  }
  ASSERT_TRUE(kv_->Delete("posts.p3").ok());
  keys.push_back("bad key");
  const std::vector<absl::StatusOr<carecast::common::KvEntry>> got = kv_->GetMany(keys);
  ASSERT_EQ(got.size(), keys.size());
  for (int i = 0; i < 40; ++i) {
    if (i % 5 == 4 || i == 3) {
      EXPECT_EQ(got[i].status().code(), StatusCode::kNotFound) << keys[i];
      continue;
    }
    ASSERT_TRUE(got[i].ok()) << keys[i] << ": " << got[i].status();
    EXPECT_EQ(got[i]->key, keys[i]);
    EXPECT_EQ(got[i]->value, "v" + std::to_string(i));
    EXPECT_EQ(got[i]->revision, kv_->Get(keys[i])->revision);
  }
  EXPECT_EQ(got.back().status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(kv_->GetMany({}).empty());
}

TEST_P(KeyValueStoreContractTest, KeysWithPrefixAreSortedAndLive) {
  auto empty = kv_->Keys("");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->empty());
  for (const char* key : {"posts.b", "posts.a", "contents.a", "posts.c"}) {
    ASSERT_TRUE(kv_->Put(key, "x").ok()) << key;
  }
  ASSERT_TRUE(kv_->Delete("posts.c").ok());
  auto posts = kv_->Keys("posts.");
  ASSERT_TRUE(posts.ok()) << posts.status();
  EXPECT_EQ(*posts, (std::vector<std::string>{"posts.a", "posts.b"}));
  auto all = kv_->Keys("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
}

// The outbox's life: every marker is put and then deleted, so the bucket often
// holds only deletions. Listing it must answer "nothing", not an error (nats.c's
// watcher, asked to ignore deletes, never reported the end of such a bucket and
// timed out, so the outbox relay's idle sweeps failed).
TEST_P(KeyValueStoreContractTest, ABucketOfOnlyDeletionsListsAndScansAsEmpty) {
  for (int i = 0; i < 200; ++i) {
    const std::string key = "markers.m" + std::to_string(i);
    ASSERT_TRUE(kv_->Put(key, "x").ok()) << key;
    ASSERT_TRUE(kv_->Delete(key).ok()) << key;
  }
  auto keys = kv_->Keys("markers.");
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_TRUE(keys->empty());
  int visits = 0;
  absl::Status scanned = kv_->Scan("", [&](std::string_view, const common::KvEntry&) {
    ++visits;
    return absl::OkStatus();
  });
  ASSERT_TRUE(scanned.ok()) << scanned;
  EXPECT_EQ(visits, 0);
  // A live key written after the deletions is listed.
  ASSERT_TRUE(kv_->Put("markers.live", "x").ok());
  keys = kv_->Keys("markers.");
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(*keys, std::vector<std::string>{"markers.live"});
}

TEST_P(KeyValueStoreContractTest, RejectsInvalidKeys) {
  for (const char* key : {"", "has space", ".lead", "trail.", "a..b", "star*", "gt>", "ü"}) {
    EXPECT_EQ(kv_->Put(key, "x").status().code(), StatusCode::kInvalidArgument) << key;
    EXPECT_EQ(kv_->Get(key).status().code(), StatusCode::kInvalidArgument) << key;
  }
  EXPECT_TRUE(kv_->Put("A-z_0=9/x.y", "ok").ok());
}

TEST_P(KeyValueStoreContractTest, TwoHandlesShareOneBucket) {
  auto other = factory_->OpenBucket({.name = "test_bucket", .history = 5});
  ASSERT_TRUE(other.ok()) << other.status();
  auto rev = kv_->Create("shared", "one");
  ASSERT_TRUE(rev.ok());
  auto seen = (*other)->Get("shared");
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(seen->revision, *rev);
  EXPECT_TRUE((*other)->Update("shared", "two", *rev).ok());
  EXPECT_EQ(kv_->Update("shared", "three", *rev).status().code(), StatusCode::kAborted);
}

TEST_P(KeyValueStoreContractTest, ScanVisitsEveryLiveEntryOnce) {
  std::map<std::string, std::pair<std::string, uint64_t>> seen;
  auto collect = [&](std::string_view key, const common::KvEntry& entry) {
    EXPECT_EQ(entry.key, key);
    EXPECT_TRUE(seen.emplace(std::string(key), std::pair(entry.value, entry.revision)).second)
        << "visited twice: " << key;
    return absl::OkStatus();
  };
  ASSERT_TRUE(kv_->Scan("", collect).ok());  // an empty bucket
  EXPECT_TRUE(seen.empty());

  auto a = kv_->Create("posts.a", "a1");
  ASSERT_TRUE(a.ok());
  auto a2 = kv_->Update("posts.a", "a2", *a);  // only the last value is visited
  ASSERT_TRUE(a2.ok());
  ASSERT_TRUE(kv_->Put("posts.b", "b1").ok());
  ASSERT_TRUE(kv_->Put("posts.gone", "x").ok());
  ASSERT_TRUE(kv_->Delete("posts.gone").ok());
  ASSERT_TRUE(kv_->Put("other.c", "c1").ok());

  ASSERT_TRUE(kv_->Scan("posts.", collect).ok());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen["posts.a"], std::pair(std::string("a2"), *a2));
  EXPECT_EQ(seen["posts.b"].first, "b1");

  // An error from the visitor stops the scan and comes back.
  int visits = 0;
  absl::Status stopped = kv_->Scan("", [&](std::string_view, const common::KvEntry&) {
    ++visits;
    return absl::CancelledError("enough");
  });
  EXPECT_EQ(stopped.code(), StatusCode::kCancelled);
  EXPECT_EQ(visits, 1);
}

INSTANTIATE_TEST_SUITE_P(Impl, KeyValueStoreContractTest,
                         ::testing::Values(BusImpl::kFake, BusImpl::kNats), BusImplName);

}  // namespace
}  // namespace carecast::testing
