#include "services/metrics/metrics_exposition.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "services/common/base/ids.h"
#include "services/common/bus/event_catalogue.h"
#include "services/common/rpc/metrics_text.h"
#include "tests/unit/metrics/metrics_test_events.h"

namespace carecast::metrics {
namespace {

using test_events::Failed;
using test_events::Inbox;
using test_events::Mention;
using test_events::Objective;
using test_events::Published;
using test_events::T0;

std::string Scrape(const prometheus::Registry& registry, const common::SeriesTable& series) {
  return common::ScrapeText(registry, &series);
}

// True when `text` has a line that is exactly `series value`.
bool HasLine(const std::string& text, const std::string& line) {
  return absl::StrContains(absl::StrCat("\n", text), absl::StrCat("\n", line, "\n"));
}

class ExpositionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string kAccount = "spokes/stmarys/accounts/x-main";
    ASSERT_TRUE(figures_
                    .ApplyObjectiveCreated("o1", T0(),
                                           Objective("objectives/q3-posts", v1::KPI_POSTS_PUBLISHED,
                                                     4, T0(), T0() + absl::Hours(24)))
                    .ok());
    ASSERT_TRUE(figures_
                    .ApplyObjectiveCreated("o2", T0(),
                                           Objective("objectives/reach", v1::KPI_REACH, 4, T0(),
                                                     T0() + absl::Hours(24)))
                    .ok());
    ASSERT_TRUE(figures_
                    .ApplyPostPublished("e1", T0(),
                                        Published("posts/1", kAccount, v1::NETWORK_SANDBOX, T0()))
                    .ok());
    ASSERT_TRUE(figures_
                    .ApplyPostPublished("e1", T0(),
                                        Published("posts/1", kAccount, v1::NETWORK_SANDBOX, T0()))
                    .ok());  // duplicate
    ASSERT_TRUE(
        figures_.ApplyPostPublished("e2", T0(), Published("posts/2", kAccount, v1::NETWORK_X, T0()))
            .ok());
    ASSERT_TRUE(figures_
                    .ApplyPostFailed("e3", T0(),
                                     Failed("posts/3", v1::NETWORK_X, v1::POST_STATE_NEEDS_HUMAN))
                    .ok());
    ASSERT_TRUE(
        figures_
            .ApplyMentionClassified(
                "e4", T0(), Mention("mentions/1", v1::NETWORK_X, v1::SENTIMENT_NEGATIVE, T0()))
            .ok());
    ASSERT_TRUE(
        figures_
            .ApplyInboxCreated("e5", T0(), Inbox("inboxItems/1", v1::INBOX_ITEM_STATE_OPEN, T0()))
            .ok());
    ASSERT_TRUE(
        figures_
            .ApplyInboxCreated("e6", T0(), Inbox("inboxItems/2", v1::INBOX_ITEM_STATE_OPEN, T0()))
            .ok());
    ASSERT_TRUE(figures_
                    .ApplyInboxClosed("e7", T0(),
                                      Inbox("inboxItems/2", v1::INBOX_ITEM_STATE_CLOSED, T0(),
                                            T0() + absl::Minutes(10)))
                    .ok());
    exposition_.EventConsumed(std::string(common::events::kPostPublished.subject));
    exposition_.EventConsumed("carecast.unheard.of");  // not in the catalogue: "other"
    exposition_.EventRejected();
    exposition_.SetConsumerPending(7);
  }

  prometheus::Registry registry_;
  common::SeriesTable series_;
  MetricsExposition exposition_{registry_, series_};
  ProgramFigures figures_{&exposition_};
};

TEST_F(ExpositionTest, SeriesCarryTheFigures) {
  std::string text = Scrape(registry_, series_);
  EXPECT_TRUE(HasLine(text, R"(carecast_posts_published_total{network="sandbox"} 1)")) << text;
  EXPECT_TRUE(HasLine(text, R"(carecast_posts_published_total{network="x"} 1)")) << text;
  EXPECT_TRUE(HasLine(text, R"(carecast_posts_published_total{network="facebook"} 0)")) << text;
  EXPECT_TRUE(HasLine(text, R"(carecast_posts_failed_total{network="x",state="needs_human"} 1)"))
      << text;
  EXPECT_TRUE(HasLine(text, R"(carecast_posts_needing_human{network="x"} 1)")) << text;
  // Every network has the gauge from the start.
  EXPECT_TRUE(HasLine(text, R"(carecast_posts_needing_human{network="mastodon"} 0)")) << text;
  EXPECT_TRUE(HasLine(text, R"(carecast_mentions_total{sentiment="negative"} 1)")) << text;
  EXPECT_TRUE(HasLine(text, R"(carecast_mentions_total{sentiment="positive"} 0)")) << text;
  EXPECT_TRUE(HasLine(text, "carecast_inbox_open_items 1")) << text;
  EXPECT_TRUE(HasLine(text, "carecast_inbox_closed_total 1")) << text;
  EXPECT_TRUE(HasLine(text, "carecast_inbox_response_seconds_count 1")) << text;
  EXPECT_TRUE(HasLine(text, "carecast_inbox_response_seconds_sum 600")) << text;
  EXPECT_TRUE(HasLine(text, R"(carecast_inbox_response_seconds_bucket{le="300"} 0)")) << text;
  EXPECT_TRUE(HasLine(text, R"(carecast_inbox_response_seconds_bucket{le="900"} 1)")) << text;
  EXPECT_TRUE(
      HasLine(text, R"(carecast_objective_current{kpi="posts_published",objective="q3-posts"} 2)"))
      << text;
  EXPECT_TRUE(HasLine(
      text, R"(carecast_objective_progress_ratio{kpi="posts_published",objective="q3-posts"} 0.5)"))
      << text;
  EXPECT_TRUE(HasLine(text, R"(carecast_metrics_events_consumed_total{domain="post"} 1)")) << text;
  EXPECT_TRUE(HasLine(text, R"(carecast_metrics_events_consumed_total{domain="other"} 1)")) << text;
  EXPECT_TRUE(HasLine(text, "carecast_metrics_events_rejected_total 1")) << text;
  EXPECT_TRUE(HasLine(text, "carecast_metrics_consumer_pending 7")) << text;
  // Reach is measured: 0 until the networks report impressions.
  EXPECT_TRUE(HasLine(text, R"(carecast_objective_current{kpi="reach",objective="reach"} 0)"))
      << text;
}

TEST_F(ExpositionTest, EngagementAndFollowerGaugesPerNetworkAndSpoke) {
  auto reading = [](const std::string& post, absl::Time at, int64_t impressions, int64_t clicks) {
    v1::EngagementObserved m;
    m.set_post(post);
    m.set_account("spokes/stmarys/accounts/x-main");
    m.set_network(v1::NETWORK_X);
    *m.mutable_published_time() = ToProto(T0());
    *m.mutable_observe_time() = ToProto(at);
    m.set_impressions(impressions);
    m.set_likes(2);
    m.set_shares(-1);
    m.set_replies(1);
    m.set_clicks(clicks);
    return m;
  };
  ASSERT_TRUE(
      figures_.ApplyEngagementObserved("g1", T0(), reading("posts/7", T0() + absl::Hours(2), 90, 3))
          .ok());
  // An older reading arriving late changes nothing.
  ASSERT_TRUE(
      figures_.ApplyEngagementObserved("g2", T0(), reading("posts/7", T0() + absl::Hours(1), 50, 1))
          .ok());
  ASSERT_TRUE(
      figures_
          .ApplyEngagementObserved("g3", T0(), reading("posts/8", T0() + absl::Hours(1), 10, -1))
          .ok());
  v1::FollowersObserved count;
  count.set_account("spokes/stmarys/accounts/x-main");
  count.set_network(v1::NETWORK_X);
  *count.mutable_observe_time() = ToProto(T0());
  count.set_followers(1234);
  ASSERT_TRUE(figures_.ApplyFollowersObserved("g4", T0(), count).ok());
  std::string text = Scrape(registry_, series_);
  EXPECT_TRUE(HasLine(text, R"(carecast_post_impressions{network="x",spoke="stmarys"} 100)"))
      << text;
  // likes + replies + clicks where reported: (2 + 1 + 3) + (2 + 1).
  EXPECT_TRUE(HasLine(text, R"(carecast_post_interactions{network="x",spoke="stmarys"} 9)"))
      << text;
  EXPECT_TRUE(HasLine(text, R"(carecast_link_clicks{network="x",spoke="stmarys"} 3)")) << text;
  EXPECT_TRUE(HasLine(text, R"(carecast_account_followers{network="x",spoke="stmarys"} 1234)"))
      << text;
  EXPECT_FALSE(absl::StrContains(text, "posts/7")) << text;
  EXPECT_FALSE(absl::StrContains(text, "x-main")) << text;
}

TEST_F(ExpositionTest, NeedsHumanGaugeFallsWhenThePostIsPublished) {
  ASSERT_TRUE(figures_
                  .ApplyPostPublished(
                      "e9", T0(),
                      Published("posts/3", "spokes/stmarys/accounts/x-main", v1::NETWORK_X, T0()))
                  .ok());
  std::string text = Scrape(registry_, series_);
  EXPECT_TRUE(HasLine(text, R"(carecast_posts_needing_human{network="x"} 0)")) << text;
  // The history of failures stays.
  EXPECT_TRUE(HasLine(text, R"(carecast_posts_failed_total{network="x",state="needs_human"} 1)"))
      << text;
}

TEST_F(ExpositionTest, NoPhiInTheExposition) {
  std::string text = Scrape(registry_, series_);
  EXPECT_FALSE(absl::StrContains(text, "Patient text"));
  EXPECT_FALSE(absl::StrContains(text, "@someone"));
  EXPECT_FALSE(absl::StrContains(text, "mentions/"));
  EXPECT_FALSE(absl::StrContains(text, "posts/"));
  EXPECT_FALSE(absl::StrContains(text, "inboxItems/"));
}

TEST_F(ExpositionTest, PromtoolAcceptsTheExposition) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0)
    GTEST_FAIL() << "promtool not on PATH (Debian package prometheus; scripts/install-deps.sh)";
  std::string dir = ::testing::TempDir();
  std::string path = absl::StrCat(dir, "/metrics-", common::NewId(), ".txt");
  {
    std::ofstream out(path);
    out << Scrape(registry_, series_);
  }
  std::string command = absl::StrCat("promtool check metrics < ", path, " 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[512];
  while (fgets(buf, sizeof buf, pipe) != nullptr) output += buf;
  int rc = pclose(pipe);
  std::remove(path.c_str());
  EXPECT_EQ(rc, 0) << output;
}

}  // namespace
}  // namespace carecast::metrics
