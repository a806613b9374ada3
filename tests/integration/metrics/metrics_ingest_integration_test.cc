// The metrics consumer against a real nats-server with JetStream: replay of the
// retained stream by an ephemeral consumer, dedupe, live events, the pending gauge.
#include "absl/strings/match.h"
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "services/common/base/logger.h"
#include "services/common/bus/nats_connection.h"
#include "services/common/bus/topology.h"
#include "services/common/rpc/metrics_text.h"
#include "services/metrics/event_ingest.h"
#include "tests/support/local_servers.h"
#include "tests/unit/metrics/metrics_test_events.h"

namespace carecast::metrics {
namespace {

using test_events::Envelope;
using test_events::Inbox;
using test_events::Mention;
using test_events::Objective;
using test_events::Published;
using test_events::T0;

constexpr char kAccount[] = "spokes/stmarys/accounts/sandbox";
constexpr absl::Duration kDeadline = absl::Seconds(20);

struct Instance {
  explicit Instance(common::EventBus& bus)
      : figures(&exposition),
        ingest(EventIngest::Create(EventIngestOptions{.progress_every = 10,
                                                      .poll_interval = absl::Milliseconds(50)},
                                   {bus, figures, exposition, logger})
                   .value()) {}
  std::string Scrape() { return common::ScrapeText(registry, &series); }
  prometheus::Registry registry;
  common::SeriesTable series;
  MetricsExposition exposition{registry, series};
  common::CapturingLogger logger;
  ProgramFigures figures;
  std::unique_ptr<EventIngest> ingest;
};

class MetricsIngestIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto nats = testing::LocalNatsServer::Start();
    ASSERT_NE(nats.status().code(), absl::StatusCode::kNotFound)
        << "nats-server is not installed (scripts/install-deps.sh installs it)";
    ASSERT_TRUE(nats.ok()) << nats.status();
    server_ = *std::move(nats);
    common::NatsOptions options;
    options.url = server_->url();
    options.name = "metrics-integration-test";
    auto conn = common::NatsConnection::Connect(options, logger_);
    ASSERT_TRUE(conn.ok()) << conn.status();
    bus_ = *std::move(conn);
    ASSERT_TRUE(common::EnsureStreams(*bus_, {}).ok());
  }
  void Publish(const common::Event& e) {
    auto ack = bus_->Publish(e);
    ASSERT_TRUE(ack.ok()) << ack.status();
  }

  common::CapturingLogger logger_;
  std::unique_ptr<testing::LocalNatsServer> server_;
  std::unique_ptr<common::NatsConnection> bus_;
};

TEST_F(MetricsIngestIntegrationTest, ReplaysDedupesAndFollows) {
  Publish(Envelope(
      common::subjects::kObjectiveCreated,
      Objective("objectives/launch", v1::KPI_POSTS_PUBLISHED, 20, T0(), T0() + absl::Hours(24)),
      "ev-objective"));
  for (int i = 0; i < 25; ++i) {
    Publish(Envelope(common::subjects::kPostPublished,
                     Published("posts/" + std::to_string(i), kAccount, v1::NETWORK_SANDBOX,
                               T0() + absl::Hours(i)),
                     "ev-post-" + std::to_string(i)));
  }
  // Re-published with the same id: the stream drops it (Nats-Msg-Id).
  Publish(Envelope(common::subjects::kPostPublished,
                   Published("posts/0", kAccount, v1::NETWORK_SANDBOX, T0()), "ev-post-0"));
  // Same fact, new id: the stream keeps it, the figures count it once.
  Publish(Envelope(common::subjects::kPostPublished,
                   Published("posts/1", kAccount, v1::NETWORK_SANDBOX, T0() + absl::Minutes(1)),
                   "ev-post-1-again"));
  Publish(Envelope(common::subjects::kMentionClassified,
                   Mention("mentions/1", v1::NETWORK_X, v1::SENTIMENT_POSITIVE, T0()), "ev-m1"));
  Publish(Envelope(common::subjects::kInboxCreated,
                   Inbox("inboxItems/1", v1::INBOX_ITEM_STATE_OPEN, T0()), "ev-i1"));

  Instance first(*bus_);
  ASSERT_TRUE(first.ingest->Start().ok());
  ASSERT_TRUE(first.ingest->WaitCaughtUp(kDeadline));
  SummaryFigures s = first.figures.Summary();
  EXPECT_EQ(s.posts_published[v1::NETWORK_SANDBOX], 25);
  EXPECT_EQ(s.mentions[v1::SENTIMENT_POSITIVE], 1);
  EXPECT_EQ(s.open_inbox_items, 1);
  EXPECT_DOUBLE_EQ(first.figures.Objective("objectives/launch")->current, 24);  // hours 0..23
  EXPECT_EQ(first.ingest->events_handled(), 29);

  // Live events reach a running consumer.
  Publish(
      Envelope(common::subjects::kInboxClosed,
               Inbox("inboxItems/1", v1::INBOX_ITEM_STATE_CLOSED, T0(), T0() + absl::Minutes(2)),
               "ev-i1-closed"));
  ASSERT_TRUE(
      testing::PollUntil([&] { return first.figures.Summary().open_inbox_items == 0; }, kDeadline));
  ASSERT_TRUE(testing::PollUntil(
      [&] { return absl::StrContains(first.Scrape(), "carecast_metrics_consumer_pending 0"); },
      kDeadline));
  std::string text = first.Scrape();
  EXPECT_TRUE(absl::StrContains(text, "carecast_posts_published_total{network=\"sandbox\"} 25"))
      << text;
  EXPECT_TRUE(absl::StrContains(text, "carecast_inbox_closed_total 1")) << text;

  // A restarted process (fresh figures, new ephemeral consumer) gets the same figures.
  first.ingest->Stop();
  Instance second(*bus_);
  ASSERT_TRUE(second.ingest->Start().ok());
  ASSERT_TRUE(second.ingest->WaitCaughtUp(kDeadline));
  SummaryFigures a = first.figures.Summary();
  SummaryFigures b = second.figures.Summary();
  EXPECT_EQ(a.posts_published, b.posts_published);
  EXPECT_EQ(a.mentions, b.mentions);
  EXPECT_EQ(a.open_inbox_items, b.open_inbox_items);
  EXPECT_EQ(a.closed_inbox_items, b.closed_inbox_items);
  EXPECT_DOUBLE_EQ(second.figures.Objective("objectives/launch")->current, 24);
}

}  // namespace
}  // namespace carecast::metrics
