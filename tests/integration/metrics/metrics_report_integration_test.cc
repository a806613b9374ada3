// A simulated month on a real nats-server: posts of two spokes across campaigns
// and pillars, engagement readings (repeated and out of date), mentions and inbox
// items, replayed by the metrics core. The roll-ups and the weekly report match
// what this test computes from the raw inputs, and a restarted process (a new
// ephemeral consumer, nothing kept anywhere else) answers exactly the same.
#include <map>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/nats_connection.h"
#include "services/common/bus/topology.h"
#include "services/common/rpc/metrics_text.h"
#include "services/metrics/event_ingest.h"
#include "services/metrics/iso_week.h"
#include "services/metrics/metrics_service.h"
#include "tests/support/local_servers.h"
#include "tests/unit/metrics/metrics_test_events.h"

namespace carecast::metrics {
namespace {

using test_events::Envelope;
using test_events::Mention;
using test_events::Published;

constexpr absl::Duration kDeadline = absl::Seconds(30);
// Monday 2027-01-04 00:00 UTC; the month is the four weeks from it.
const absl::Time kStart = absl::FromCivil(absl::CivilDay(2027, 1, 4), absl::UTCTimeZone());

struct Instance {
  explicit Instance(common::EventBus& bus)
      : figures(&exposition),
        ingest(EventIngest::Create(EventIngestOptions{.poll_interval = absl::Milliseconds(50)},
                                   {bus, figures, exposition, logger})
                   .value()) {}
  prometheus::Registry registry;
  common::SeriesTable series;
  MetricsExposition exposition{registry, series};
  common::CapturingLogger logger;
  ProgramFigures figures;
  std::unique_ptr<EventIngest> ingest;
};

// What the test expects, counted from the inputs as they are generated.
struct Expected {
  std::map<std::string, int64_t> posts_by_pillar;
  std::map<std::string, int64_t> impressions_by_pillar;
  std::map<std::string, int64_t> posts_by_week;
  std::map<std::string, int64_t> impressions_by_spoke_week;  // "spokes/x 2027-W02"
  std::map<std::string, int64_t> negative_by_week;
};

class MetricsReportIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto nats = testing::LocalNatsServer::Start();
    ASSERT_NE(nats.status().code(), absl::StatusCode::kNotFound)
        << "nats-server is not installed (scripts/install-deps.sh installs it)";
    ASSERT_TRUE(nats.ok()) << nats.status();
    server_ = *std::move(nats);
    common::NatsOptions options;
    options.url = server_->url();
    options.name = "metrics-report-integration-test";
    auto conn = common::NatsConnection::Connect(options, logger_);
    ASSERT_TRUE(conn.ok()) << conn.status();
    bus_ = *std::move(conn);
    ASSERT_TRUE(common::EnsureStreams(*bus_, {}).ok());
  }
  void Publish(std::string_view subject, const google::protobuf::Message& payload,
               const std::string& id) {
    auto ack = bus_->Publish(Envelope(subject, payload, id));
    ASSERT_TRUE(ack.ok()) << ack.status();
  }

  // 4 weeks x 3 posts a day on two spokes, with readings; mentions and items.
  Expected PublishMonth() {
    Expected e;
    std::mt19937 random(7);
    for (const char* spoke : {"spokes/north", "spokes/south"}) {
      v1::SpokeCreated created;
      created.mutable_spoke()->set_name(spoke);
      Publish(common::subjects::kSpokeCreated, created, absl::StrCat("spoke-", spoke));
    }
    const std::string pillars[] = {"vaccines", "clinics", ""};
    for (int day = 0; day < 28; ++day) {
      for (int slot = 0; slot < 3; ++slot) {
        const int n = day * 3 + slot;
        const std::string spoke = n % 2 == 0 ? "spokes/north" : "spokes/south";
        const std::string account = absl::StrCat(spoke, "/accounts/main");
        const std::string post = absl::StrCat("posts/m", n);
        const absl::Time at = kStart + absl::Hours(24 * day + 8 + 4 * slot);
        const std::string& pillar = pillars[n % 3];
        v1::PostPublished published = Published(post, account, v1::NETWORK_MASTODON, at);
        if (!pillar.empty()) {
          published.mutable_post()->set_campaign("campaigns/winter");
          published.mutable_post()->set_pillar(pillar);
        }
        Publish(common::subjects::kPostPublished, published, absl::StrCat("pub-", n));
        // Two readings; the later one counts. An older third reading arrives last.
        const int64_t impressions = 100 + static_cast<int64_t>(random() % 900);
        for (int r = 0; r < 3; ++r) {
          v1::EngagementObserved reading;
          reading.set_post(post);
          reading.set_account(account);
          reading.set_network(v1::NETWORK_MASTODON);
          *reading.mutable_published_time() = ToProto(at);
          const absl::Duration age = r == 2 ? absl::Minutes(30) : absl::Hours(1 + r);
          *reading.mutable_observe_time() = ToProto(at + age);
          reading.set_impressions(r == 1 ? impressions : impressions / 3);
          reading.set_likes(r == 1 ? impressions / 20 : 1);
          reading.set_shares(0);
          reading.set_replies(0);
          reading.set_clicks(-1);
          Publish(common::subjects::kEngagementObserved, reading, absl::StrCat("eng-", n, "-", r));
        }
        const std::string key = pillar.empty() ? "none" : "campaigns/winter/pillars/" + pillar;
        ++e.posts_by_pillar[key];
        e.impressions_by_pillar[key] += impressions;
        const std::string week = IsoWeekOf(at).Label();
        ++e.posts_by_week[week];
        e.impressions_by_spoke_week[absl::StrCat(spoke, " ", week)] += impressions;
      }
      for (int m = 0; m < 4; ++m) {
        const absl::Time at = kStart + absl::Hours(24 * day + 10 + m);
        const v1::Sentiment sentiment =
            (day + m) % 3 == 0 ? v1::SENTIMENT_NEGATIVE : v1::SENTIMENT_POSITIVE;
        v1::MentionClassified mention =
            Mention(absl::StrCat("mentions/d", day, "-", m), v1::NETWORK_X, sentiment, at);
        mention.mutable_mention()->set_account("spokes/north/accounts/main");
        mention.mutable_analysis()->add_topics()->set_topic(m % 2 == 0 ? "billing" : "parking");
        Publish(common::subjects::kMentionClassified, mention, absl::StrCat("men-", day, "-", m));
        if (sentiment == v1::SENTIMENT_NEGATIVE) ++e.negative_by_week[IsoWeekOf(at).Label()];
      }
    }
    return e;
  }

  common::CapturingLogger logger_;
  std::unique_ptr<testing::LocalNatsServer> server_;
  std::unique_ptr<common::NatsConnection> bus_;
};

v1::GetRollupRequest RollupOf(v1::RollupDimension dimension) {
  v1::GetRollupRequest r;
  r.set_dimension(dimension);
  *r.mutable_start_time() = ToProto(kStart);
  *r.mutable_end_time() = ToProto(kStart + absl::Hours(24 * 28));
  return r;
}

TEST_F(MetricsReportIntegrationTest, AMonthRollsUpAndReportsTheSameAfterARestart) {
  const Expected expected = PublishMonth();
  common::FakeClock clock(kStart + absl::Hours(24 * 28 + 3));

  Instance first(*bus_);
  ASSERT_TRUE(first.ingest->Start().ok());
  ASSERT_TRUE(first.ingest->WaitCaughtUp(kDeadline));
  MetricsService service(first.figures, clock);

  absl::StatusOr<v1::GetRollupResponse> pillars =
      service.GetRollup(RollupOf(v1::ROLLUP_DIMENSION_PILLAR));
  ASSERT_TRUE(pillars.ok()) << pillars.status();
  ASSERT_EQ(pillars->rows_size(), static_cast<int>(expected.posts_by_pillar.size()));
  for (const v1::RollupRow& row : pillars->rows()) {
    EXPECT_EQ(row.posts_published(), expected.posts_by_pillar.at(row.key())) << row.key();
    EXPECT_EQ(row.impressions(), expected.impressions_by_pillar.at(row.key())) << row.key();
    EXPECT_EQ(row.link_clicks(), 0) << "clicks not reported count as 0";
  }
  absl::StatusOr<v1::GetRollupResponse> weeks =
      service.GetRollup(RollupOf(v1::ROLLUP_DIMENSION_WEEK));
  ASSERT_TRUE(weeks.ok());
  ASSERT_EQ(weeks->rows_size(), 4);
  for (const v1::RollupRow& row : weeks->rows())
    EXPECT_EQ(row.posts_published(), expected.posts_by_week.at(row.key())) << row.key();

  // The last week's report of the north spoke.
  v1::GetWeeklyReportRequest north;
  north.set_spoke("spokes/north");
  absl::StatusOr<v1::WeeklyReport> report =
      service.GetWeeklyReport(north, common::SpokeScope::Hub());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->week(), "2027-W04");
  EXPECT_EQ(report->impressions(), expected.impressions_by_spoke_week.at("spokes/north 2027-W04"));
  int64_t negative = 0;
  for (const v1::ReportDay& day : report->days()) negative += day.mentions_negative();
  EXPECT_EQ(negative, expected.negative_by_week.at("2027-W04"));
  EXPECT_EQ(report->best_posts_size(), 5);
  EXPECT_EQ(report->worst_posts_size(), 5);
  EXPECT_GE(report->best_posts(4).engagement_rate(), report->worst_posts(0).engagement_rate());

  // A restart: a new process replays the stream and answers the same.
  first.ingest->Stop();
  Instance second(*bus_);
  ASSERT_TRUE(second.ingest->Start().ok());
  ASSERT_TRUE(second.ingest->WaitCaughtUp(kDeadline));
  MetricsService restarted(second.figures, clock);
  for (v1::RollupDimension d :
       {v1::ROLLUP_DIMENSION_CAMPAIGN, v1::ROLLUP_DIMENSION_PILLAR, v1::ROLLUP_DIMENSION_SPOKE,
        v1::ROLLUP_DIMENSION_NETWORK, v1::ROLLUP_DIMENSION_WEEK}) {
    EXPECT_EQ(service.GetRollup(RollupOf(d))->SerializeAsString(),
              restarted.GetRollup(RollupOf(d))->SerializeAsString())
        << v1::RollupDimension_Name(d);
  }
  for (const std::string spoke : {"", "spokes/north", "spokes/south"}) {
    v1::GetWeeklyReportRequest request;
    request.set_spoke(spoke);
    EXPECT_EQ(service.GetWeeklyReport(request, common::SpokeScope::Hub())->SerializeAsString(),
              restarted.GetWeeklyReport(request, common::SpokeScope::Hub())->SerializeAsString())
        << spoke;
  }
}

}  // namespace
}  // namespace carecast::metrics
