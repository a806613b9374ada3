#include "services/planner/request_replay.h"

#include <gtest/gtest.h>

#include "carecast/v1/events.pb.h"

#include "services/common/bus/subjects.h"
#include "tests/support/in_memory_key_value_store.h"

namespace carecast::planner {
namespace {

TEST(RequestReplayTest, KeysDependOnMethodCallerAndRequestId) {
  std::string k = RequestReplay::Key("SubmitContent", "alice", "r1");
  EXPECT_EQ(k, RequestReplay::Key("SubmitContent", "alice", "r1"));
  EXPECT_NE(k, RequestReplay::Key("ApproveContent", "alice", "r1"));
  EXPECT_NE(k, RequestReplay::Key("SubmitContent", "bob", "r1"));
  EXPECT_NE(k, RequestReplay::Key("SubmitContent", "alice", "r2"));
  EXPECT_EQ(k.rfind("planner.", 0), 0u);
}

TEST(RequestReplayTest, RecordsRoundTripThroughTheBucket) {
  testing::InMemoryKeyValueStore store;
  RequestReplay replay(store);
  ReplayRecord record{std::string("resp\x01\x00x", 7)};
  const std::string key = RequestReplay::Key("HoldPublishing", "alice", "r1");
  ASSERT_TRUE(replay.Save(key, record).ok());
  absl::StatusOr<std::optional<ReplayRecord>> found = replay.Find(key);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->response, record.response);

  absl::StatusOr<std::optional<ReplayRecord>> missing = replay.Find("planner.nothing");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST(RequestReplayTest, RecordsOfTheFirstFormatStillAnswer) {
  // Version 1 also listed the changes; only the response matters now.
  absl::StatusOr<ReplayRecord> old =
      RequestReplay::Decode(R"({"v":1,"response":"cmVzcA==","changes":[{"event_id":"x"}]})");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->response, "resp");
}

TEST(RequestReplayTest, CorruptRecordsAreDataLoss) {
  EXPECT_EQ(RequestReplay::Decode("{not json").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(RequestReplay::Decode(R"({"response":"!!","changes":[]})").status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace carecast::planner
