// The weekly report as a reader gets it from a running carecast-metrics: events
// on a real nats-server, GetWeeklyReport over gRPC with a strategist's token,
// then the report's signed links on the service's HTTP port. The page answers
// with its Content-Security-Policy and is opened in headless Chromium
// (tests/e2e/report_page_check.mjs), which checks the figures the RPC gave, the
// drawn charts and that the style applied under that policy, and saves a
// screenshot; the PDF downloads; a wrong or missing token is 401 and a report
// that is not one is 404.
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "carecast/v1/events.pb.h"
#include "carecast/v1/metrics_service.grpc.pb.h"

#include "services/common/base/logger.h"
#include "services/common/bus/event_catalogue.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/nats_connection.h"
#include "services/common/bus/subjects.h"
#include "services/common/bus/topology.h"
#include "services/metrics/figure_labels.h"
#include "services/metrics/iso_week.h"
#include "tests/support/http_probe.h"
#include "tests/support/local_servers_test.h"
#include "tests/support/shell_command.h"
#include "tests/support/test_tokens.h"

namespace carecast::metrics {
namespace {

namespace fs = std::filesystem;

class ReportServedE2eTest : public testing::LocalServersTest {
 protected:
  void SetUp() override {
    LocalServersTest::SetUp();
    if (HasFatalFailure()) return;
    common::NatsOptions options;
    options.url = nats_url();
    options.name = "report-served-e2e";
    auto conn = common::NatsConnection::Connect(options, logger_);
    ASSERT_TRUE(conn.ok()) << conn.status();
    bus_ = *std::move(conn);
    ASSERT_TRUE(common::EnsureStreams(*bus_, {}).ok());
  }
  void Publish(std::string_view subject, const google::protobuf::Message& payload,
               const std::string& id) {
    auto ack =
        bus_->Publish(common::MakeEvent(subject, payload, "/carecast/test", absl::Now(), id));
    ASSERT_TRUE(ack.ok()) << ack.status();
  }
  // Two posts of spoke north in this week, read (600 and 250 impressions), and
  // an objective of one post this week, which they meet.
  void PublishWeek(absl::Time at) {
    v1::SpokeCreated spoke;
    spoke.mutable_spoke()->set_name("spokes/north");
    Publish(common::subjects::kSpokeCreated, spoke, "spoke-north");
    const std::string account = "spokes/north/accounts/main";
    const int64_t impressions[] = {600, 250};
    for (int i = 0; i < 2; ++i) {
      v1::PostPublished published;
      v1::Post& post = *published.mutable_post();
      post.set_name(absl::StrCat("posts/w", i));
      post.set_account(account);
      post.set_network(v1::NETWORK_MASTODON);
      post.set_state(v1::POST_STATE_PUBLISHED);
      post.set_text(i == 0 ? "Flu clinics open this weekend at North"
                           : "Parking update for visitors");
      *post.mutable_published_time() = ToProto(at);
      Publish(common::subjects::kPostPublished, published, absl::StrCat("pub-", i));
      v1::EngagementObserved reading;
      reading.set_post(post.name());
      reading.set_account(account);
      reading.set_network(v1::NETWORK_MASTODON);
      *reading.mutable_published_time() = ToProto(at);
      *reading.mutable_observe_time() = ToProto(at + absl::Minutes(10));
      reading.set_impressions(impressions[i]);
      reading.set_likes(i == 0 ? 30 : 2);
      reading.set_shares(0);
      reading.set_replies(0);
      reading.set_clicks(-1);
      Publish(common::subjects::kEngagementObserved, reading, absl::StrCat("eng-", i));
    }
    // Mentions addressed to the spoke's account, for the sentiment chart.
    const v1::Sentiment sentiments[] = {v1::SENTIMENT_POSITIVE, v1::SENTIMENT_POSITIVE,
                                        v1::SENTIMENT_NEGATIVE};
    for (int i = 0; i < 3; ++i) {
      v1::MentionClassified mention;
      mention.mutable_mention()->set_name(absl::StrCat("mentions/w", i));
      mention.mutable_mention()->set_network(v1::NETWORK_MASTODON);
      mention.mutable_mention()->set_account(account);
      mention.mutable_mention()->mutable_classification()->set_sentiment(sentiments[i]);
      *mention.mutable_mention()->mutable_receive_time() = ToProto(at);
      mention.mutable_analysis()->add_topics()->set_topic("access/parking");
      Publish(common::subjects::kMentionClassified, mention, absl::StrCat("men-", i));
    }
    const IsoWeek week = IsoWeekOf(at);
    v1::ObjectiveCreated objective;
    v1::Objective& o = *objective.mutable_objective();
    o.set_name("objectives/north-posts");
    o.set_display_name("North posts this week");
    o.set_kpi(v1::KPI_POSTS_PUBLISHED);
    o.set_target(1);
    o.set_spoke("spokes/north");
    *o.mutable_start_time() = ToProto(week.start);
    *o.mutable_end_time() = ToProto(week.end());
    Publish(common::subjects::kObjectiveCreated, objective, "objective-north");
  }

  common::CapturingLogger logger_;
  std::unique_ptr<common::NatsConnection> bus_;
};

TEST_F(ReportServedE2eTest, TheSignedLinkOpensTheReportInChromium) {
  const absl::Time now = absl::Now();
  const IsoWeek week = IsoWeekOf(now);
  const absl::Time at = week.start + (now - week.start) / 2;
  PublishWeek(at);
  const fs::path out = fs::path(testing::EnvOr("CARECAST_BINARY_DIR", fs::temp_directory_path())) /
                       "report-served-e2e";
  fs::create_directories(out);
  const fs::path keys = out / "link-keys";
  std::ofstream(keys) << "k1 " << std::string(64, 'a') << "\n";

  auto metrics = StartServiceBinary("services/metrics/carecast-metrics",
                                    {{"CARECAST_FEED_TOKEN_KEYS_FILE", keys.string()},
                                     {"CARECAST_REPORT_PUBLISH_DELAY", "0s"},
                                     {"CARECAST_REPORT_TICK", "1s"}});
  ASSERT_TRUE(metrics.ok()) << metrics.status();

  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", metrics->grpc_port),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::MetricsService::NewStub(channel);
  v1::GetWeeklyReportRequest request;
  request.set_spoke("spokes/north");
  *request.mutable_week_time() = ToProto(now);
  v1::GetWeeklyReportResponse response;
  grpc::ClientContext context;
  context.AddMetadata("authorization", testing::TestTokens::Get().BearerHeader(
                                           "sam", {common::Role::kStrategist}, {"*"}));
  grpc::Status status = stub->GetWeeklyReport(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const v1::WeeklyReport& report = response.report();
  EXPECT_EQ(report.posts_published(), 2);
  EXPECT_EQ(report.impressions(), 850);
  ASSERT_FALSE(report.html_path().empty());
  ASSERT_FALSE(report.pdf_path().empty());
  std::printf("report %s: %s\n", report.name().c_str(), report.html_path().c_str());

  // The page, with its policy; the PDF; refusals.
  const std::string html_path = report.html_path();
  auto page = testing::HttpCall(metrics->http_port, "GET", html_path);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->content_type, ::testing::StartsWith("text/html"));
  EXPECT_THAT(page->headers["content-security-policy"],
              ::testing::HasSubstr("default-src 'none'; style-src 'sha256-"));
  EXPECT_EQ(page->headers["cache-control"], "private, no-store");
  auto pdf = testing::HttpCall(metrics->http_port, "GET", report.pdf_path());
  ASSERT_TRUE(pdf.ok()) << pdf.status();
  EXPECT_EQ(pdf->status, 200);
  EXPECT_EQ(pdf->content_type, "application/pdf");
  EXPECT_TRUE(pdf->body.starts_with("%PDF-")) << pdf->body.substr(0, 16);
  const std::string bare = html_path.substr(0, html_path.find('?'));
  const std::string token = html_path.substr(html_path.find("token=") + 6);
  EXPECT_EQ(testing::HttpCall(metrics->http_port, "GET", bare)->status, 401);
  EXPECT_EQ(testing::HttpCall(metrics->http_port, "GET", bare + "?token=k1.forged")->status, 401);
  // The spoke's token does not open the hub's report of the same week.
  EXPECT_EQ(testing::HttpCall(metrics->http_port, "GET",
                              absl::StrCat("/reports/hub.", week.Label(), ".html?token=", token))
                ->status,
            401);
  EXPECT_EQ(
      testing::HttpCall(metrics->http_port, "GET", "/reports/hub.2027-W54.html?token=x")->status,
      404);

  // What a reader sees, in Chromium.
  const fs::path expected = out / "expected.json";
  const fs::path screenshot = out / "served-report.png";
  fs::remove(screenshot);
  std::ofstream(expected) << R"({"figures": {"posts-published": "2", "impressions": "850"},)"
                          << R"( "texts": ["Flu clinics open this weekend at North",)"
                          << R"( "North posts this week", "What to change"],)"
                          << R"( "bars": {"chart-daily": 7, "chart-sentiment": 21}})";
  ASSERT_TRUE(fs::exists("/usr/bin/chromium"))
      << "Chromium is missing: scripts/install-deps.sh --all installs Debian's chromium";
  int exit_status = 0;
  const std::string source = testing::EnvOr("CARECAST_SOURCE_DIR", ".");
  const std::string output = testing::RunCommand(
      absl::StrCat("node '", source,
                   "/tests/e2e/report_page_check.mjs' 'http://127.0.0.1:", metrics->http_port,
                   html_path, "' '", screenshot.string(), "' '", expected.string(), "' 2>&1"),
      &exit_status);
  std::printf("%s", output.c_str());
  EXPECT_EQ(exit_status, 0) << output;
  EXPECT_THAT(output, ::testing::HasSubstr("report page: all checks passed"));
  EXPECT_TRUE(fs::exists(screenshot));
  std::printf("screenshot saved: %s\n", screenshot.c_str());

  // Last week's reports (the hub's and north's) are published on the events
  // stream once; the service SIGKILLed and restarted finds them there on replay
  // and publishes nothing more.
  const auto read = [&] {
    return bus_->Read(std::string(common::streams::kEvents),
                      std::string(common::subjects::kReportPublished), 1, 100);
  };
  const auto published = [&] {
    auto events = read();
    return events.ok() ? events->size() : size_t{0};
  };
  ASSERT_TRUE(testing::PollUntil([&] { return published() == 2; }, absl::Seconds(20)))
      << published() << " reports published";
  metrics->process->Kill();
  auto again = StartServiceBinary("services/metrics/carecast-metrics",
                                  {{"CARECAST_FEED_TOKEN_KEYS_FILE", keys.string()},
                                   {"CARECAST_REPORT_PUBLISH_DELAY", "0s"},
                                   {"CARECAST_REPORT_TICK", "1s"}});
  ASSERT_TRUE(again.ok()) << again.status();
  absl::SleepFor(absl::Seconds(3));
  EXPECT_EQ(published(), 2u);
  auto events = read();
  ASSERT_TRUE(events.ok() && events->size() == 2);
  std::set<std::string> names;
  for (const common::Event& event : *events) {
    absl::StatusOr<v1::ReportPublished> payload =
        common::DecodeCatalogueEvent(common::events::kReportPublished, event);
    ASSERT_TRUE(payload.ok()) << payload.status();
    EXPECT_EQ(payload->report().week(), IsoWeekOf(week.start - absl::Hours(24)).Label());
    names.insert(payload->report().name());
  }
  const std::string last_week = IsoWeekOf(week.start - absl::Hours(24)).Label();
  EXPECT_EQ(names, (std::set<std::string>{absl::StrCat("reports/hub/weeks/", last_week),
                                          absl::StrCat("reports/spokes/north/weeks/", last_week)}));
}

}  // namespace
}  // namespace carecast::metrics
