// The engagement collector on in-memory parts: readings follow the schedule's
// tiers and stop after the last one, a deleted post is announced once and
// dropped, a rate limit holds back the whole account (and only it), the hourly
// allowance is kept, follower counts are read per interval, and a wiped or
// half-written schedule heals from KV.
#include "services/publisher/engagement_collector.h"

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "carecast/v1/events.pb.h"
#include "carecast/v1/resources.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/topology.h"
#include "services/publisher/post_records.h"
#include "tests/support/fake_event_bus.h"
#include "tests/support/in_memory_key_value_store.h"
#include "tests/support/in_memory_sorted_index.h"

namespace carecast::publisher {
namespace {

constexpr char kAccountA[] = "spokes/north/accounts/a";
constexpr char kAccountB[] = "spokes/north/accounts/b";

// A network whose answers the test sets per external id and account; counts calls.
class ScriptedNetwork final : public Channel {
 public:
  IdempotencyModel idempotency() const override { return IdempotencyModel::kNone; }
  absl::StatusOr<Receipt> Publish(const PublishRequest&) override {
    return absl::UnimplementedError("not used");
  }
  absl::StatusOr<std::optional<Receipt>> FindPublished(const PublishRequest&, absl::Time) override {
    return absl::UnimplementedError("not used");
  }
  absl::Status Delete(std::string_view, std::string_view) override {
    return absl::UnimplementedError("not used");
  }
  absl::StatusOr<std::vector<RemotePost>> ListRecent(std::string_view, absl::Time, int) override {
    return absl::UnimplementedError("not used");
  }
  absl::StatusOr<Engagement> ReadEngagement(std::string_view account,
                                            std::string_view external_id) override {
    ++engagement_calls[std::string(account)];
    auto it = answers.find(std::string(external_id));
    if (it != answers.end()) return it->second;
    return Engagement{.likes = 1, .shares = 0, .replies = 0, .impressions = 10, .clicks = 0};
  }
  absl::StatusOr<int64_t> ReadFollowers(std::string_view account) override {
    ++follower_calls[std::string(account)];
    auto it = followers.find(std::string(account));
    if (it != followers.end()) return it->second;
    return absl::UnimplementedError("no followers here");
  }

  std::map<std::string, absl::StatusOr<Engagement>> answers;  // by external id
  std::map<std::string, absl::StatusOr<int64_t>> followers;   // by account
  std::map<std::string, int> engagement_calls;                // by account
  std::map<std::string, int> follower_calls;                  // by account
};

// A SortedIndex that forwards to another and counts the collector's ticks
// (each begins with one HasMarker), so that a test can await them.
class TickCountingIndex final : public common::SortedIndex {
 public:
  explicit TickCountingIndex(common::SortedIndex& inner) : inner_(inner) {}

  absl::Status Add(std::string_view index,
                   const std::vector<common::ScoredMember>& members) override {
    return inner_.Add(index, members);
  }
  absl::Status Remove(std::string_view index, std::string_view member) override {
    return inner_.Remove(index, member);
  }
  absl::StatusOr<std::vector<common::ScoredMember>> RangeByScore(std::string_view index, double min,
                                                                 double max, size_t offset,
                                                                 size_t limit) override {
    return inner_.RangeByScore(index, min, max, offset, limit);
  }
  absl::StatusOr<int64_t> Count(std::string_view index, double min, double max) override {
    return inner_.Count(index, min, max);
  }
  absl::StatusOr<std::vector<common::ScoredMember>> PopUpTo(std::string_view index, double max,
                                                            size_t limit) override {
    return inner_.PopUpTo(index, max, limit);
  }
  absl::StatusOr<bool> HasMarker(std::string_view marker) override {
    {
      std::lock_guard lock(mu_);
      ++ticks_;
    }
    ticked_.notify_all();
    return inner_.HasMarker(marker);
  }
  absl::Status SetMarker(std::string_view marker) override { return inner_.SetMarker(marker); }

  // Whether `n` ticks have begun within `timeout`.
  bool AwaitTicks(int n, absl::Duration timeout) {
    std::unique_lock lock(mu_);
    return ticked_.wait_for(lock, absl::ToChronoMilliseconds(timeout), [&] { return ticks_ >= n; });
  }
  int ticks() {
    std::lock_guard lock(mu_);
    return ticks_;
  }

 private:
  common::SortedIndex& inner_;
  std::mutex mu_;
  std::condition_variable ticked_;
  int ticks_ = 0;  // guarded by mu_
};

class EngagementCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(common::EnsureStreams(bus_, {}).ok());
    ASSERT_TRUE(channels_.Register(v1::NETWORK_MASTODON, network_).ok());
  }

  std::unique_ptr<EngagementCollector> Collector(EngagementCollectorOptions options = {}) {
    options.tick = absl::ZeroDuration();
    auto collector = std::make_unique<EngagementCollector>(
        options, EngagementCollectorDeps{.bus = bus_,
                                         .posts = posts_,
                                         .organisation = organisation_,
                                         .index = index_,
                                         .channels = channels_,
                                         .clock = clock_,
                                         .logger = logger_,
                                         .metrics = metrics_,
                                         .repairs = common::NullIndexRepairObserver()});
    EXPECT_TRUE(collector->Start().ok());
    return collector;
  }

  // A post published now on `account`, stored as the publisher stores it.
  v1::Post Published(const std::string& id, const std::string& account) {
    v1::Post post;
    post.set_name("posts/" + id);
    post.set_account(account);
    post.set_network(v1::NETWORK_MASTODON);
    post.set_state(v1::POST_STATE_PUBLISHED);
    post.set_external_id("ext-" + id);
    post.set_campaign("campaigns/flu");
    SetTime(clock_.Now(), post.mutable_published_time());
    EXPECT_TRUE(posts_.Put(id, post.SerializeAsString()).ok());
    return post;
  }

  void Account(const std::string& key, const std::string& name) {
    v1::Account account;
    account.set_name(name);
    account.set_network(v1::NETWORK_MASTODON);
    ASSERT_TRUE(organisation_.Put(key, account.SerializeAsString()).ok());
  }

  std::vector<v1::EngagementObserved> Readings(const std::string& post) {
    std::vector<v1::EngagementObserved> out;
    for (const common::Event& e : bus_.Published("carecast.engagement.observed")) {
      v1::EngagementObserved observed;
      EXPECT_TRUE(common::DecodeEvent(e, &observed).ok());
      if (observed.post() == post) out.push_back(observed);
    }
    return out;
  }

  std::vector<v1::FollowersObserved> FollowerReadings() {
    std::vector<v1::FollowersObserved> out;
    for (const common::Event& e : bus_.Published("carecast.engagement.followers_observed")) {
      v1::FollowersObserved observed;
      EXPECT_TRUE(common::DecodeEvent(e, &observed).ok());
      out.push_back(observed);
    }
    return out;
  }

  // Ticks every `step` for `span`.
  void RunFor(EngagementCollector& collector, absl::Duration span, absl::Duration step) {
    for (absl::Duration t = absl::ZeroDuration(); t < span; t += step) {
      clock_.Advance(step);
      ASSERT_TRUE(collector.RunOnce().ok());
    }
  }

  testing::FakeEventBus bus_;
  testing::InMemoryKeyValueStore posts_;
  testing::InMemoryKeyValueStore organisation_;
  testing::InMemorySortedIndex index_;
  ChannelRegistry channels_;
  ScriptedNetwork network_;
  common::FakeClock clock_;
  common::CapturingLogger logger_;
  prometheus::Registry registry_;
  EngagementMetrics metrics_{registry_};
};

TEST_F(EngagementCollectorTest, ReadsFollowTheTiersAndStopAfterTheLast) {
  auto collector = Collector();
  ASSERT_TRUE(collector->RunOnce().ok());  // the first tick reconciles: nothing yet
  const v1::Post post = Published("p1", kAccountA);
  const absl::Time published = clock_.Now();
  ASSERT_TRUE(collector->Reconcile().ok());
  RunFor(*collector, absl::Hours(24 * 30), absl::Minutes(5));

  // Independently: readings due every 10 min up to 1 h, hourly up to 24 h,
  // every 6 h up to 7 d, daily up to 28 d; a tick every 5 min takes each one
  // within 5 min of its time.
  const std::vector<v1::EngagementObserved> readings = Readings(post.name());
  int expected = 0;
  for (absl::Duration age = absl::Minutes(10); age <= absl::Hours(24 * 28);) {
    ++expected;
    if (age < absl::Hours(1))
      age += absl::Minutes(10);
    else if (age < absl::Hours(24))
      age += absl::Hours(1);
    else if (age < absl::Hours(24 * 7))
      age += absl::Hours(6);
    else
      age += absl::Hours(24);
  }
  // Each reading may slip by up to one tick, which shifts later ones: allow a
  // few fewer, never more.
  EXPECT_LE(static_cast<int>(readings.size()), expected);
  EXPECT_GE(static_cast<int>(readings.size()), expected - 8);
  ASSERT_FALSE(readings.empty());
  EXPECT_LE(ToTime(readings.front().observe_time()), published + absl::Minutes(15));
  EXPECT_GE(ToTime(readings.back().observe_time()), published + absl::Hours(24 * 27));
  EXPECT_LE(ToTime(readings.back().observe_time()), published + absl::Hours(24 * 28 + 1));
  EXPECT_EQ(readings.front().impressions(), 10);
  EXPECT_EQ(readings.front().campaign(), "campaigns/flu");
  EXPECT_EQ(readings.front().external_id(), "ext-p1");
  // Nothing is left on the schedule once the last tier is over.
  EXPECT_EQ(*index_.Count(kEngagementIndexName, -1e300, 1e300), 0);
}

TEST_F(EngagementCollectorTest, APublishedEventSchedulesTheFirstReading) {
  auto collector = Collector();
  ASSERT_TRUE(collector->RunOnce().ok());
  const v1::Post post = Published("p2", kAccountA);
  v1::PostPublished payload;
  *payload.mutable_post() = post;
  EXPECT_EQ(collector->OnPublished(common::MakeCatalogueEvent(
                common::events::kPostPublished, payload, "/test", clock_.Now(), "e1")),
            common::Disposition::kAck);
  RunFor(*collector, absl::Minutes(9), absl::Minutes(1));
  EXPECT_TRUE(Readings(post.name()).empty()) << "read before its first interval";
  RunFor(*collector, absl::Minutes(2), absl::Minutes(1));
  EXPECT_EQ(Readings(post.name()).size(), 1u);
}

TEST_F(EngagementCollectorTest, ADeletedPostIsAnnouncedOnceAndDropped) {
  auto collector = Collector();
  const v1::Post post = Published("p3", kAccountA);
  ASSERT_TRUE(collector->Reconcile().ok());
  RunFor(*collector, absl::Minutes(10), absl::Minutes(10));
  network_.answers["ext-p3"] = absl::NotFoundError("gone");
  RunFor(*collector, absl::Hours(6), absl::Minutes(10));
  const std::vector<v1::EngagementObserved> readings = Readings(post.name());
  ASSERT_EQ(readings.size(), 2u);
  EXPECT_FALSE(readings[0].deleted());
  EXPECT_TRUE(readings[1].deleted());
  EXPECT_EQ(readings[1].impressions(), -1) << "a deleted reading carries no figures";
  EXPECT_EQ(network_.engagement_calls[kAccountA], 2);
}

TEST_F(EngagementCollectorTest, ARateLimitHoldsBackItsAccountOnly) {
  auto collector = Collector();
  Published("a1", kAccountA);
  Published("a2", kAccountA);
  Published("b1", kAccountB);
  ASSERT_TRUE(collector->Reconcile().ok());
  network_.answers["ext-a1"] =
      MakeChannelError(ChannelErrorKind::kRateLimited, "429", absl::Minutes(30));
  network_.answers["ext-a2"] =
      MakeChannelError(ChannelErrorKind::kRateLimited, "429", absl::Minutes(30));
  RunFor(*collector, absl::Minutes(10), absl::Minutes(10));
  const int a_calls = network_.engagement_calls[kAccountA];
  EXPECT_EQ(a_calls, 1) << "the second post of a limited account was still asked for";
  EXPECT_EQ(Readings("posts/b1").size(), 1u);
  network_.answers.clear();
  RunFor(*collector, absl::Minutes(20), absl::Minutes(5));
  EXPECT_EQ(network_.engagement_calls[kAccountA], a_calls) << "asked again before the wait";
  RunFor(*collector, absl::Minutes(15), absl::Minutes(5));
  EXPECT_EQ(Readings("posts/a1").size(), 1u);
  EXPECT_EQ(Readings("posts/a2").size(), 1u);
}

TEST_F(EngagementCollectorTest, TheHourlyAllowancePerAccountIsKept) {
  EngagementCollectorOptions options;
  options.account_reads_per_hour = 2;
  auto collector = Collector(options);
  for (int i = 0; i < 5; ++i) Published("q" + std::to_string(i), kAccountA);
  ASSERT_TRUE(collector->Reconcile().ok());
  RunFor(*collector, absl::Minutes(50), absl::Minutes(10));
  EXPECT_EQ(network_.engagement_calls[kAccountA], 2);
  RunFor(*collector, absl::Minutes(20), absl::Minutes(10));
  EXPECT_LE(network_.engagement_calls[kAccountA], 4);
  EXPECT_GE(network_.engagement_calls[kAccountA], 3);
}

TEST_F(EngagementCollectorTest, FollowerCountsAreReadEveryInterval) {
  EngagementCollectorOptions options;
  options.followers_interval = absl::Hours(6);
  auto collector = Collector(options);
  Account("accounts.north.a", kAccountA);
  Account("accounts.north.b", kAccountB);
  network_.followers[kAccountA] = 1520;  // b's network does not say
  RunFor(*collector, absl::Hours(24), absl::Minutes(30));
  const std::vector<v1::FollowersObserved> readings = FollowerReadings();
  ASSERT_GE(readings.size(), 4u);
  EXPECT_LE(readings.size(), 5u);
  for (const v1::FollowersObserved& r : readings) {
    EXPECT_EQ(r.account(), kAccountA);
    EXPECT_EQ(r.followers(), 1520);
  }
  EXPECT_LE(network_.follower_calls[kAccountB], 5) << "an unsupported count was asked too often";
}

TEST_F(EngagementCollectorTest, ANewAccountIsReadAtOnceNotAtTheNextReconciliation) {
  auto collector = Collector();
  ASSERT_TRUE(collector->RunOnce().ok());  // reconciled: no accounts yet
  Account("accounts.north.a", kAccountA);
  network_.followers[kAccountA] = 88;
  v1::AccountCreated created;
  created.mutable_account()->set_name(kAccountA);
  created.mutable_account()->set_network(v1::NETWORK_MASTODON);
  EXPECT_EQ(collector->OnAccountCreated(common::MakeCatalogueEvent(
                common::events::kAccountCreated, created, "/test", clock_.Now(), "a1")),
            common::Disposition::kAck);
  RunFor(*collector, absl::Minutes(1), absl::Minutes(1));
  ASSERT_EQ(FollowerReadings().size(), 1u);
  EXPECT_EQ(FollowerReadings()[0].followers(), 88);
}

TEST_F(EngagementCollectorTest, AWipedOrHalfWrittenScheduleHealsFromKv) {
  EngagementCollectorOptions options;
  options.reconcile_period = absl::Hours(1);
  auto collector = Collector(options);
  const v1::Post post = Published("w1", kAccountA);
  ASSERT_TRUE(collector->Reconcile().ok());
  RunFor(*collector, absl::Minutes(10), absl::Minutes(10));
  ASSERT_EQ(Readings(post.name()).size(), 1u);

  index_.Wipe();  // FLUSHALL: the marker goes too, so the next tick rebuilds
  RunFor(*collector, absl::Minutes(1), absl::Minutes(1));
  EXPECT_EQ(Readings(post.name()).size(), 2u) << "a wiped schedule was not rebuilt";

  // A replica died between pop and put-back: the member is gone, the marker stays.
  ASSERT_TRUE(index_.Remove(kEngagementIndexName, "w1").ok());
  RunFor(*collector, absl::Minutes(30), absl::Minutes(10));
  const size_t before = Readings(post.name()).size();
  RunFor(*collector, absl::Minutes(40), absl::Minutes(10));
  EXPECT_GT(Readings(post.name()).size(), before) << "the periodic reconciliation did not heal it";
}

// With a tick, Start runs the first tick at once on the collector's thread,
// and Stop ends the wait for the next one at once, after the tick in flight.
TEST_F(EngagementCollectorTest, WithATickTheThreadTicksAtStartAndStopEndsItsWaitAtOnce) {
  const v1::Post post = Published("t1", kAccountA);
  clock_.Advance(absl::Minutes(30));  // the first reading (at 10 min) is due
  TickCountingIndex index(index_);
  EngagementCollectorOptions options;
  options.tick = absl::Hours(1);
  EngagementCollector collector(
      options, EngagementCollectorDeps{.bus = bus_,
                                       .posts = posts_,
                                       .organisation = organisation_,
                                       .index = index,
                                       .channels = channels_,
                                       .clock = clock_,
                                       .logger = logger_,
                                       .metrics = metrics_,
                                       .repairs = common::NullIndexRepairObserver()});
  ASSERT_TRUE(collector.Start().ok());
  ASSERT_TRUE(index.AwaitTicks(1, absl::Seconds(30))) << "no tick at Start";
  const auto stop_began = std::chrono::steady_clock::now();
  collector.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_began, std::chrono::seconds(30))
      << "Stop waited for the next tick";
  EXPECT_EQ(index.ticks(), 1);
  // The tick had ended when Stop returned: it reconciled and read the due post.
  EXPECT_EQ(Readings(post.name()).size(), 1u);
}

TEST(EngagementScheduleTest, ParsesTiersAndRefusesBadOnes) {
  absl::StatusOr<EngagementSchedule> s = EngagementSchedule::Parse("2h:15m, 3d:2h");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->max_age(), absl::Hours(72));
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  EXPECT_EQ(s->FirstReading(t0), t0 + absl::Minutes(15));
  EXPECT_EQ(*s->NextReading(t0, t0 + absl::Hours(1)), t0 + absl::Minutes(75));
  EXPECT_EQ(*s->NextReading(t0, t0 + absl::Minutes(110)), t0 + absl::Hours(2));
  EXPECT_EQ(*s->NextReading(t0, t0 + absl::Hours(71)), t0 + absl::Hours(72));
  EXPECT_FALSE(s->NextReading(t0, t0 + absl::Hours(72)).has_value());
  for (const char* bad : {"", "2h", "2h:0s", "1h:2h", "2h:10m,1h:5m", "xd:1h", "2h:10m,1h"}) {
    EXPECT_EQ(EngagementSchedule::Parse(bad).status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

// A responder's reply is sent as a post but is not one of the program's: no
// reading is scheduled for it, by its published event or by a reconciliation,
// while a program post published beside it is read.
TEST_F(EngagementCollectorTest, AReplyPostIsNeverRead) {
  auto collector = Collector();
  ASSERT_TRUE(collector->RunOnce().ok());
  v1::Post reply = Published("reply-r1", kAccountA);
  reply.set_reply("inboxItems/i1/replies/r1");
  reply.set_in_reply_to("ext-mention-1");
  reply.clear_campaign();
  ASSERT_TRUE(posts_.Put("reply-r1", reply.SerializeAsString()).ok());
  const v1::Post program = Published("p9", kAccountA);
  for (const v1::Post& post : {reply, program}) {
    v1::PostPublished payload;
    *payload.mutable_post() = post;
    EXPECT_EQ(collector->OnPublished(common::MakeCatalogueEvent(
                  common::events::kPostPublished, payload, "/test", clock_.Now(), post.name())),
              common::Disposition::kAck);
  }
  ASSERT_TRUE(collector->Reconcile().ok());
  RunFor(*collector, absl::Hours(2), absl::Minutes(5));
  EXPECT_TRUE(Readings(reply.name()).empty());
  EXPECT_FALSE(Readings(program.name()).empty());
  EXPECT_EQ(network_.engagement_calls[kAccountA],
            static_cast<int>(Readings(program.name()).size()));
}

}  // namespace
}  // namespace carecast::publisher
