// The hiredis adapter against a real redis-server: replies, pipelining, db
// selection, atomic pops under contention, and reconnecting after a restart.
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "services/common/redis/redis_sorted_index.h"
#include "tests/integration/redis/redis_test_env.h"

namespace carecast::testing {
namespace {

using common::RedisReply;

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!env_.Start(logger_)) {
      if (env_.skipped())
        GTEST_FAIL() << "redis-server is not installed (scripts/install-deps.sh installs it); the "
                        "test needs the real server";
    }
  }
  common::CapturingLogger logger_;
  RedisEnv env_;
};

TEST_F(RedisClientTest, RepliesOfEveryKind) {
  auto& c = env_.client();
  auto set = c.Command({"SET", "k", std::string("bin\0ary", 7)});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->kind, RedisReply::Kind::kString);
  EXPECT_EQ(set->str, "OK");
  auto get = c.Command({"GET", "k"});
  EXPECT_EQ(get->str, std::string("bin\0ary", 7));
  EXPECT_EQ(c.Command({"GET", "absent"})->kind, RedisReply::Kind::kNil);
  auto incr = c.Command({"INCRBY", "n", "41"});
  EXPECT_EQ(incr->kind, RedisReply::Kind::kInteger);
  EXPECT_EQ(incr->integer, 41);
  ASSERT_TRUE(c.Command({"RPUSH", "l", "a", "b"}).ok());
  auto list = c.Command({"LRANGE", "l", "0", "-1"});
  ASSERT_EQ(list->kind, RedisReply::Kind::kArray);
  ASSERT_EQ(list->elements.size(), 2u);
  EXPECT_EQ(list->elements[1].str, "b");
}

TEST_F(RedisClientTest, ErrorReplyIsInternalAndConnectionStaysUsable) {
  auto& c = env_.client();
  ASSERT_TRUE(c.Command({"SET", "s", "x"}).ok());
  auto wrong = c.Command({"LPUSH", "s", "y"});
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(std::string(wrong.status().message()).find("WRONGTYPE"), std::string::npos);
  EXPECT_EQ(c.Command({"NOSUCHCOMMAND"}).status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(c.Command({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.Command({"GET", "s"})->str, "x");
}

TEST_F(RedisClientTest, PipelineReturnsRepliesInOrder) {
  std::vector<std::vector<std::string>> commands;
  for (int i = 0; i < 100; ++i) commands.push_back({"INCR", "counter"});
  commands.push_back({"GET", "counter"});
  auto replies = env_.client().Pipeline(commands);
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 101u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ((*replies)[i].integer, i + 1);
  EXPECT_EQ(replies->back().str, "100");
  EXPECT_TRUE(env_.client().Pipeline({})->empty());
  // An error inside a pipeline fails it, after every reply was read.
  auto mixed = env_.client().Pipeline({{"SET", "a", "1"}, {"LPUSH", "a", "x"}, {"SET", "b", "2"}});
  EXPECT_EQ(mixed.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(env_.client().Command({"GET", "b"})->str, "2");
}

TEST_F(RedisClientTest, SelectsTheDatabaseInTheUrl) {
  auto db2 = env_.Connect(logger_, "/2");
  ASSERT_NE(db2, nullptr);
  ASSERT_TRUE(db2->Command({"SET", "where", "db2"}).ok());
  EXPECT_EQ(env_.client().Command({"GET", "where"})->kind, RedisReply::Kind::kNil);
  EXPECT_EQ(db2->Command({"GET", "where"})->str, "db2");
}

TEST_F(RedisClientTest, ConnectFailures) {
  common::CapturingLogger logger;
  EXPECT_EQ(common::RedisClient::Connect({.url = "rediss://127.0.0.1:1"}, logger).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto down = common::RedisClient::Connect(
      {.url = "redis://127.0.0.1:" + std::to_string(FindFreePort())}, logger);
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable);
  // A password the server does not expect is refused without leaking it.
  auto auth =
      common::RedisClient::Connect({.url = env_.server().url(), .password = "hunter2"}, logger);
  EXPECT_EQ(auth.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(std::string(auth.status().message()).find("hunter2"), std::string::npos);
}

TEST_F(RedisClientTest, PopUpToIsAtomicAcrossClients) {
  auto other = env_.Connect(logger_);
  ASSERT_NE(other, nullptr);
  common::RedisSortedIndex a(env_.client(), "carecast:");
  common::RedisSortedIndex b(*other, "carecast:");
  constexpr int kMembers = 1000;
  std::vector<common::ScoredMember> members;
  for (int i = 0; i < kMembers; ++i) members.push_back({"job" + std::to_string(i), double(i % 50)});
  ASSERT_TRUE(a.Add("due", members).ok());

  std::mutex mu;
  std::multiset<std::string> popped;
  auto drain = [&](common::SortedIndex& index) {
    while (true) {
      auto batch = index.PopUpTo("due", 1e9, 7);
      ASSERT_TRUE(batch.ok()) << batch.status();
      if (batch->empty()) return;
      std::lock_guard lock(mu);
      for (const auto& m : *batch) popped.insert(m.member);
    }
  };
  std::thread ta([&] { drain(a); });
  std::thread tb([&] { drain(b); });
  ta.join();
  tb.join();
  EXPECT_EQ(popped.size(), static_cast<size_t>(kMembers));
  for (int i = 0; i < kMembers; ++i) EXPECT_EQ(popped.count("job" + std::to_string(i)), 1u);
}

TEST_F(RedisClientTest, ReconnectsAfterRedisRestart) {
  common::RedisSortedIndex index(env_.client(), "carecast:");
  ASSERT_TRUE(index.SetMarker("built").ok());

  env_.server().Kill();
  EXPECT_EQ(index.HasMarker("built").status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(env_.server().Restart().ok());
  // A restart without persistence: the very next command reconnects and sees
  // an empty Redis, which is how owners learn to rebuild.
  absl::StatusOr<bool> marker = absl::UnavailableError("not tried");
  ASSERT_TRUE(PollUntil(
      [&] {
        marker = index.HasMarker("built");
        return marker.ok();
      },
      absl::Seconds(5)))
      << marker.status();
  EXPECT_FALSE(*marker);
  ASSERT_TRUE(index.SetMarker("built").ok());
  EXPECT_TRUE(*index.HasMarker("built"));
  bool logged = false;
  for (const auto& line : logger_.lines()) logged |= line.message == "redis: reconnected";
  EXPECT_TRUE(logged);
}

TEST_F(RedisClientTest, IdleConnectionSurvivesRestartWithoutAFailedCommand) {
  ASSERT_TRUE(env_.client().Command({"PING"}).ok());
  ASSERT_TRUE(env_.server().Restart().ok());
  // Redis closed our idle socket; the client notices before sending.
  auto pong = env_.client().Command({"PING"});
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(pong->str, "PONG");
}

}  // namespace
}  // namespace carecast::testing
