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
  common::Caller caller;
  caller.principal.subject = "alice";
  caller.role = common::Role::kStrategist;
  v1::PublishingChanged payload;
  payload.mutable_state()->set_held(true);
  ChangeFacts facts{.resource = "publishing",
                    .revision = 3,
                    .fact = "held",
                    .subject = common::subjects::kPublishingHeld,
                    .payload = &payload,
                    .action = "publishing.hold",
                    .version = 1,
                    .detail = "storm"};
  ReplayRecord record{
      std::string("resp\x01\x00x", 7),
      {MakeChange(facts, caller, "r1", "/carecast/planner", absl::FromUnixSeconds(1'800'000'000))}};
  const std::string key = RequestReplay::Key("HoldPublishing", "alice", "r1");
  ASSERT_TRUE(replay.Save(key, record).ok());
  absl::StatusOr<std::optional<ReplayRecord>> found = replay.Find(key);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  const ReplayRecord& got = **found;
  EXPECT_EQ(got.response, record.response);
  ASSERT_EQ(got.changes.size(), 1u);
  EXPECT_EQ(got.changes[0].event.id, "control.publishing.r3.held");
  EXPECT_EQ(got.changes[0].event.data, record.changes[0].event.data);
  EXPECT_EQ(got.changes[0].event.time, record.changes[0].event.time);
  EXPECT_EQ(got.changes[0].audit_subject, "carecast.audit.control.publishing");
  EXPECT_EQ(got.changes[0].audit_event_id, "audit.control.publishing.r3.held");
  EXPECT_EQ(got.changes[0].entry.role(), "strategist");
  EXPECT_EQ(got.changes[0].entry.detail(), "storm");

  absl::StatusOr<std::optional<ReplayRecord>> missing = replay.Find("planner.nothing");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST(RequestReplayTest, CorruptRecordsAreDataLoss) {
  EXPECT_EQ(RequestReplay::Decode("{not json").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(RequestReplay::Decode(R"({"response":"!!","changes":[]})").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(RequestReplay::Decode(R"({"response":"","changes":[{}]})").status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace carecast::planner
