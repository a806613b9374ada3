// A listener reading the local Mastodon's notifications (a mention source,
// services/listener/source_poller.h) is SIGKILLed after a page of mentions was
// stored but before its cursor moved, and a second replica reads alongside
// the restarted one: every mention reaches CareCast exactly once (one stored
// mention, one carecast.mention.classified event), and the source's state
// shows the whole backlog read.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>

#include "carecast/v1/events.pb.h"
#include "carecast/v1/listener_service.grpc.pb.h"

#include "services/common/bus/subjects.h"
#include "tests/fault/fault_test.h"
#include "tests/support/fake_networks/mastodon_fake.h"

namespace carecast::testing {
namespace {

constexpr int kBacklog = 130;  // four pages of 40, the last partial
constexpr char kToken[] = "mastodon-read-token";

class MentionSourceFaultTest : public FaultTest {
 protected:
  void SetUp() override {
    FaultTest::SetUp();
    if (HasFatalFailure()) return;
    mastodon_.AcceptToken(kToken);
    ASSERT_TRUE(mastodon_.Start().ok());
    const std::filesystem::path dir = std::filesystem::path(sandbox_dir()) / "sources";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "mastodon-token") << kToken << "\n";
    sources_file_ = (dir / "sources.json").string();
    std::ofstream(sources_file_) << R"({"sources": [{"name": "mastodon-main",)"
                                 << R"( "kind": "mastodon_notifications", "url": ")"
                                 << mastodon_.base_url() << R"(", "token_file": ")"
                                 << (dir / "mastodon-token").string()
                                 << R"(", "account": "spokes/st-marys/accounts/mastodon",)"
                                 << R"( "period": "1s"}]})";
  }
  void TearDown() override {
    mastodon_.Stop();
    FaultTest::TearDown();
  }

  Env ListenerEnv() const {
    return {{"CARECAST_TRACKED_KEYWORDS", "St Marys"},
            {"CARECAST_LISTENER_SOURCES_FILE", sources_file_}};
  }
  // carecast.mention.classified events of this test's mentions, and the
  // distinct mentions among them.
  std::pair<int, int> ClassifiedEvents() {
    std::set<std::string> mentions;
    const int events = CountEvents<v1::MentionClassified>(
        common::subjects::kMentionClassified, [&](const v1::MentionClassified& e) {
          if (e.mention().network() != v1::NETWORK_MASTODON) return false;
          mentions.insert(e.mention().external_id());
          return true;
        });
    return {events, static_cast<int>(mentions.size())};
  }
  v1::MentionSourceState SourceState(const ServiceProcess& listener) {
    auto stub = v1::ListenerService::NewStub(ChannelTo(listener));
    v1::ListMentionSourcesResponse resp;
    grpc::Status s =
        stub->ListMentionSources(Context(ray_).get(), v1::ListMentionSourcesRequest(), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.sources_size() == 1 ? resp.sources(0) : v1::MentionSourceState();
  }

  MastodonFake mastodon_;
  std::string sources_file_;
};

TEST_F(MentionSourceFaultTest, AKillBetweenAStoredPageAndItsCursorLosesAndDoublesNothing) {
  // The newest page is where an empty cursor starts: one mention before the
  // listener first reads, the backlog once its cursor is stored (the first
  // arrival at the step, which counts pages with mentions; the kill is at the
  // second, the backlog's first page).
  mastodon_.AddMention("first@example.org", "Hello St Marys");
  auto killed =
      StartWithFault(kListenerBinary, "listener:after_source_page_stored#2", ListenerEnv());
  ASSERT_TRUE(killed.ok()) << killed.status();
  ASSERT_EQ(WaitForCount([&] { return SourceState(*killed).cursor().empty() ? 0 : 1; }, 1,
                         absl::Seconds(20)),
            1)
      << "the listener never stored its first cursor";
  for (int i = 0; i < kBacklog; ++i) {
    mastodon_.AddMention(absl::StrCat("patient", i, "@example.org"),
                         absl::StrCat("Thank you St Marys, ward ", i));
  }
  // The second page's mentions are stored, then the process dies before its
  // cursor is written.
  absl::Status died =
      ExpectKilledAt(*killed, "listener:after_source_page_stored", absl::Seconds(30));
  ASSERT_TRUE(died.ok()) << died;
  // What the dead replica stored: the first mention and the backlog's first
  // page, whose cursor it never wrote.
  EXPECT_EQ(WaitForCount([&] { return ClassifiedEvents().second; }, 41, absl::Seconds(10)), 41);

  // Two replicas now: the restarted one and another.
  auto a = Start(kListenerBinary, ListenerEnv());
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = Start(kListenerBinary, ListenerEnv());
  ASSERT_TRUE(b.ok()) << b.status();
  const int want = kBacklog + 1;
  const int seen = WaitForCount([&] { return ClassifiedEvents().second; }, want, absl::Seconds(60));
  EXPECT_EQ(seen, want) << "mentions missing after the restart; the source's state: "
                        << SourceState(*a).ShortDebugString();
  // The dead replica's lease (three periods) must lapse before anyone reads;
  // then a few more rounds to show nothing comes twice.
  absl::SleepFor(absl::Seconds(3));
  auto [events, distinct] = ClassifiedEvents();
  EXPECT_EQ(distinct, want);
  EXPECT_EQ(events, want) << "a mention was announced twice";

  v1::MentionSourceState state;
  WaitForCount(
      [&] {
        state = SourceState(*a);
        return static_cast<int>(state.accepted_count());
      },
      want, absl::Seconds(10));
  EXPECT_EQ(state.name(), "mentionSources/mastodon-main");
  EXPECT_FALSE(state.cursor().empty());
  // The page read twice counts twice in accepted (repeats included); never fewer.
  EXPECT_GE(state.accepted_count(), want);
  EXPECT_EQ(state.last_error(), "");
  EXPECT_FALSE(state.lease_holder().empty());
  std::printf("found: %d mentions, %d classified events, accepted_count %lld, %lld reads\n",
              distinct, events, static_cast<long long>(state.accepted_count()),
              static_cast<long long>(mastodon_.notification_reads()));
}

TEST_F(MentionSourceFaultTest, ARateLimitedSourceWaitsForTheResetAndThenCatchesUp) {
  mastodon_.AddMention("first@example.org", "Hello St Marys");
  auto listener = Start(kListenerBinary, ListenerEnv());
  ASSERT_TRUE(listener.ok()) << listener.status();
  ASSERT_EQ(WaitForCount([&] { return ClassifiedEvents().second; }, 1, absl::Seconds(20)), 1);
  mastodon_.QueueReadFault(FakeFault::kRateLimited);
  for (int i = 0; i < 5; ++i) {
    mastodon_.AddMention(absl::StrCat("late", i, "@example.org"), "Is St Marys open today?");
  }
  EXPECT_EQ(WaitForCount([&] { return ClassifiedEvents().second; }, 6, absl::Seconds(120)), 6);
  // The cursor and counts are written once the page's mentions are stored.
  v1::MentionSourceState state;
  WaitForCount(
      [&] {
        state = SourceState(*listener);
        return static_cast<int>(state.accepted_count());
      },
      6, absl::Seconds(10));
  EXPECT_EQ(state.accepted_count(), 6) << state.ShortDebugString();
  const std::optional<double> limited = ScrapeSeries(
      listener->http_port, R"(carecast_listener_source_fetches_total{outcome="rate_limited",)"
                           R"(source="mastodon-main"})");
  EXPECT_EQ(limited.value_or(-1), 1) << state.ShortDebugString();
}

}  // namespace
}  // namespace carecast::testing
