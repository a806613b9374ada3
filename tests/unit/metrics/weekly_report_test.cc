// Roll-ups, the weekly report and its publication, from events applied to
// ProgramFigures; every expected figure is counted here from the inputs.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/event_catalogue.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/topology.h"
#include "services/common/cadence/feed_token.h"
#include "services/metrics/iso_week.h"
#include "services/metrics/metrics_service.h"
#include "services/metrics/report_links.h"
#include "services/metrics/report_publisher.h"
#include "services/metrics/rollups.h"
#include "tests/support/fake_event_bus.h"
#include "tests/unit/metrics/metrics_test_events.h"

namespace carecast::metrics {
namespace {

using test_events::Failed;
using test_events::Inbox;
using test_events::Mention;
using test_events::Objective;
using test_events::Published;

absl::Time Utc(int y, int m, int d, int h = 0) {
  return absl::FromCivil(absl::CivilHour(y, m, d, h), absl::UTCTimeZone());
}

// Monday 2027-01-04 00:00 UTC: the start of 2027-W01.
const absl::Time kWeek = Utc(2027, 1, 4);

TEST(IsoWeekTest, WeeksAreNumberedByTheirThursday) {
  EXPECT_EQ(IsoWeekOf(Utc(2026, 12, 31, 12)).Label(), "2026-W53");
  EXPECT_EQ(IsoWeekOf(Utc(2027, 1, 3, 23)).Label(), "2026-W53");
  EXPECT_EQ(IsoWeekOf(kWeek).Label(), "2027-W01");
  EXPECT_EQ(IsoWeekOf(Utc(2027, 1, 10, 23)).start, kWeek);
  EXPECT_EQ(IsoWeekOf(Utc(2027, 1, 11)).Label(), "2027-W02");
  ASSERT_TRUE(ParseIsoWeek("2027-W01").has_value());
  EXPECT_EQ(ParseIsoWeek("2027-W01")->start, kWeek);
  EXPECT_TRUE(ParseIsoWeek("2026-W53").has_value());
  EXPECT_FALSE(ParseIsoWeek("2027-W53").has_value());  // 2027 has 52 weeks
  EXPECT_FALSE(ParseIsoWeek("2027-W00").has_value());
  EXPECT_FALSE(ParseIsoWeek("2027W01").has_value());
}

TEST(ReportLinksTest, PathsRoundTripAndOthersAreNotFound) {
  const IsoWeek week = IsoWeekOf(kWeek);
  EXPECT_EQ(ReportLinkPath("", week, ReportFormat::kHtml, "k.t"),
            "/reports/hub.2027-W01.html?token=k.t");
  EXPECT_EQ(ReportLinkPath("spokes/north", week, ReportFormat::kPdf, "k.t"),
            "/reports/spoke.north.2027-W01.pdf?token=k.t");
  absl::StatusOr<ReportPath> spoke = ParseReportPath("/reports/spoke.north.2027-W01.pdf");
  ASSERT_TRUE(spoke.ok());
  EXPECT_EQ(spoke->spoke, "spokes/north");
  EXPECT_EQ(spoke->format, ReportFormat::kPdf);
  EXPECT_EQ(spoke->week.start, kWeek);
  absl::StatusOr<ReportPath> hub = ParseReportPath("/reports/hub.2027-W01.html");
  ASSERT_TRUE(hub.ok());
  EXPECT_EQ(hub->spoke, "");
  for (const char* bad : {"/reports/hub.2027-W01.txt", "/reports/hub.2027-W53.html",
                          "/reports/spoke.North.2027-W01.html", "/reports/hub.html",
                          "/reports/spoke..2027-W01.html", "/feeds/hub.2027-W01.html"}) {
    EXPECT_EQ(ParseReportPath(bad).status().code(), absl::StatusCode::kNotFound) << bad;
  }
}

v1::PostPublished Post(const std::string& name, const std::string& account, v1::Network network,
                       absl::Time when, const std::string& campaign, const std::string& pillar,
                       const std::string& evergreen = "") {
  v1::PostPublished m = Published(name, account, network, when);
  m.mutable_post()->set_campaign(campaign);
  m.mutable_post()->set_pillar(pillar);
  m.mutable_post()->set_evergreen_item(evergreen);
  m.mutable_post()->set_text("Flu clinics open <b>Saturday</b> & Sunday");
  return m;
}

v1::EngagementObserved Reading(const std::string& post, const std::string& account,
                               v1::Network network, absl::Time published, int64_t impressions,
                               int64_t likes) {
  v1::EngagementObserved m;
  m.set_post(post);
  m.set_account(account);
  m.set_network(network);
  *m.mutable_published_time() = ToProto(published);
  *m.mutable_observe_time() = ToProto(published + absl::Hours(2));
  m.set_impressions(impressions);
  m.set_likes(likes);
  m.set_shares(0);
  m.set_replies(0);
  m.set_clicks(1);
  return m;
}

class WeeklyReportTest : public ::testing::Test {
 protected:
  // One post: published, read, with (impressions, likes + 1 click).
  void AddPost(const std::string& name, const std::string& account, v1::Network network,
               absl::Time when, const std::string& campaign, const std::string& pillar,
               int64_t impressions, int64_t likes, const std::string& evergreen = "") {
    ASSERT_TRUE(
        figures_
            .ApplyPostPublished(absl::StrCat("p-", name), when,
                                Post(name, account, network, when, campaign, pillar, evergreen))
            .ok());
    ASSERT_TRUE(
        figures_
            .ApplyEngagementObserved(absl::StrCat("r-", name), when,
                                     Reading(name, account, network, when, impressions, likes))
            .ok());
  }
  void AddMention(const std::string& name, absl::Time when, v1::Sentiment sentiment,
                  const std::string& topic, const std::string& account = "") {
    v1::MentionClassified m = Mention(name, v1::NETWORK_X, sentiment, when);
    m.mutable_mention()->set_account(account);
    m.mutable_analysis()->add_topics()->set_topic(topic);
    ASSERT_TRUE(figures_.ApplyMentionClassified(absl::StrCat("m-", name), when, m).ok());
  }
  void AddSpoke(const std::string& name) {
    v1::SpokeCreated m;
    m.mutable_spoke()->set_name(name);
    ASSERT_TRUE(figures_.ApplySpokeCreated(absl::StrCat("s-", name), kWeek, m).ok());
  }

  // A week of north and south posts: campaign flu (pillars vaccines, clinics),
  // one post of no campaign, one failed, an earlier week's post.
  void AddProgram() {
    AddSpoke("spokes/north");
    AddSpoke("spokes/south");
    const std::string north = "spokes/north/accounts/main";
    const std::string south = "spokes/south/accounts/main";
    AddPost("posts/n1", north, v1::NETWORK_MASTODON, kWeek + absl::Hours(9), "campaigns/flu",
            "vaccines", 1000, 99);  // rate (99+1)/1000 = 0.10
    AddPost("posts/n2", north, v1::NETWORK_X, kWeek + absl::Hours(33), "campaigns/flu", "clinics",
            2000, 19);  // 20/2000 = 0.01
    AddPost("posts/n3", north, v1::NETWORK_MASTODON, kWeek + absl::Hours(57), "", "", 500,
            24);  // 25/500 = 0.05
    AddPost("posts/s1", south, v1::NETWORK_X, kWeek + absl::Hours(80), "campaigns/flu", "vaccines",
            400, 7);  // 8/400 = 0.02
    AddPost("posts/old", south, v1::NETWORK_X, kWeek - absl::Hours(30), "campaigns/flu", "vaccines",
            100, 9);
    v1::PostFailed failed = Failed("posts/f1", v1::NETWORK_X, v1::POST_STATE_FAILED);
    failed.mutable_post()->set_account(north);
    failed.mutable_post()->set_campaign("campaigns/flu");
    *failed.mutable_post()->mutable_update_time() = ToProto(kWeek + absl::Hours(40));
    ASSERT_TRUE(figures_.ApplyPostFailed("f-1", kWeek, failed).ok());
  }

  common::FakeClock clock_{kWeek + absl::Hours(24 * 7 + 2)};
  ProgramFigures figures_;
};

TEST_F(WeeklyReportTest, RollupsCountEachPostOnceInItsGroup) {
  AddProgram();
  MetricsService service(figures_, clock_);
  v1::GetRollupRequest request;
  *request.mutable_start_time() = ToProto(kWeek);
  *request.mutable_end_time() = ToProto(kWeek + absl::Hours(24 * 7));

  request.set_dimension(v1::ROLLUP_DIMENSION_PILLAR);
  absl::StatusOr<v1::GetRollupResponse> pillars = service.GetRollup(request);
  ASSERT_TRUE(pillars.ok()) << pillars.status();
  ASSERT_EQ(pillars->rows_size(), 3);
  EXPECT_EQ(pillars->rows(0).key(), "campaigns/flu/pillars/clinics");
  EXPECT_EQ(pillars->rows(1).key(), "campaigns/flu/pillars/vaccines");
  EXPECT_EQ(pillars->rows(1).posts_published(), 2);  // n1, s1 (the old post is outside)
  EXPECT_EQ(pillars->rows(1).impressions(), 1400);
  EXPECT_DOUBLE_EQ(pillars->rows(1).engagement_rate(), (100.0 + 8.0) / 1400.0);
  EXPECT_EQ(pillars->rows(2).key(), "none");
  EXPECT_EQ(pillars->rows(2).posts_published(), 1);
  EXPECT_EQ(pillars->rows(2).posts_failed(), 1);  // the failed post had no pillar
  EXPECT_EQ(pillars->total().posts_published(), 4);
  EXPECT_EQ(pillars->total().impressions(), 3900);
  EXPECT_EQ(pillars->total().link_clicks(), 4);

  request.set_dimension(v1::ROLLUP_DIMENSION_SPOKE);
  request.set_network(v1::NETWORK_X);
  absl::StatusOr<v1::GetRollupResponse> spokes = service.GetRollup(request);
  ASSERT_TRUE(spokes.ok());
  ASSERT_EQ(spokes->rows_size(), 2);
  EXPECT_EQ(spokes->rows(0).key(), "spokes/north");
  EXPECT_EQ(spokes->rows(0).posts_published(), 1);  // n2 only: X
  EXPECT_EQ(spokes->rows(0).posts_failed(), 1);
  EXPECT_EQ(spokes->rows(1).key(), "spokes/south");

  request.clear_network();
  request.set_dimension(v1::ROLLUP_DIMENSION_WEEK);
  *request.mutable_start_time() = ToProto(kWeek - absl::Hours(24 * 7));
  absl::StatusOr<v1::GetRollupResponse> weeks = service.GetRollup(request);
  ASSERT_TRUE(weeks.ok());
  ASSERT_EQ(weeks->rows_size(), 2);
  EXPECT_EQ(weeks->rows(0).key(), "2026-W53");
  EXPECT_EQ(weeks->rows(0).posts_published(), 1);
  EXPECT_EQ(weeks->rows(1).key(), "2027-W01");
  EXPECT_EQ(weeks->rows(1).posts_published(), 4);
}

TEST_F(WeeklyReportTest, BadRollupRequestsAreInvalidArguments) {
  MetricsService service(figures_, clock_);
  v1::GetRollupRequest good;
  good.set_dimension(v1::ROLLUP_DIMENSION_CAMPAIGN);
  *good.mutable_start_time() = ToProto(kWeek);
  *good.mutable_end_time() = ToProto(kWeek + absl::Hours(1));
  ASSERT_TRUE(service.GetRollup(good).ok());
  std::vector<v1::GetRollupRequest> bad(6, good);
  bad[0].clear_dimension();
  bad[1].clear_end_time();
  *bad[2].mutable_end_time() = ToProto(kWeek - absl::Hours(1));  // end before start
  *bad[3].mutable_end_time() = ToProto(kWeek + absl::Hours(24 * 401));
  bad[4].set_spoke("north");
  bad[5].set_campaign("campaigns/Flu!");
  for (const v1::GetRollupRequest& r : bad)
    EXPECT_EQ(service.GetRollup(r).status().code(), absl::StatusCode::kInvalidArgument)
        << r.DebugString();
}

TEST_F(WeeklyReportTest, TheHubReportSaysWhatHappenedAndWhatToChange) {
  AddProgram();
  // Topic "billing" goes from 1 negative of 4 the week before to 4 of 5.
  for (int i = 0; i < 4; ++i)
    AddMention(absl::StrCat("mentions/b", i), kWeek - absl::Hours(24 + i),
               i == 0 ? v1::SENTIMENT_NEGATIVE : v1::SENTIMENT_POSITIVE, "billing");
  for (int i = 0; i < 5; ++i)
    AddMention(absl::StrCat("mentions/c", i), kWeek + absl::Hours(10 + i),
               i < 4 ? v1::SENTIMENT_NEGATIVE : v1::SENTIMENT_NEUTRAL, "billing",
               "spokes/north/accounts/main");
  // The inbox: answered in 1 h and in 3 h, one SLA breach, one left open.
  v1::InboxItemChanged a = Inbox("inbox/a", v1::INBOX_ITEM_STATE_RESOLVED, kWeek + absl::Hours(1),
                                 kWeek + absl::Hours(2));
  ASSERT_TRUE(figures_.ApplyInboxCreated("i-a", kWeek, a).ok());
  ASSERT_TRUE(figures_.ApplyInboxClosed("i-a2", kWeek, a).ok());
  v1::InboxItemChanged b = Inbox("inbox/b", v1::INBOX_ITEM_STATE_WAITING, kWeek + absl::Hours(5));
  *b.mutable_inbox_item()->mutable_first_response_time() = ToProto(kWeek + absl::Hours(8));
  *b.mutable_inbox_item()->mutable_sla_breach_time() = ToProto(kWeek + absl::Hours(7));
  ASSERT_TRUE(figures_.ApplyInboxCreated("i-b", kWeek, b).ok());
  ASSERT_TRUE(figures_.ApplyInboxChanged("i-b2", kWeek, b).ok());
  // An objective behind its pace: 4 posts of 40 with the week (its whole window) gone.
  v1::ObjectiveCreated posts = Objective("objectives/posts", v1::KPI_POSTS_PUBLISHED, 40, kWeek,
                                         kWeek + absl::Hours(24 * 7));
  posts.mutable_objective()->set_display_name("Posts in week one");
  ASSERT_TRUE(figures_.ApplyObjectiveCreated("o-1", kWeek, posts).ok());

  MetricsService service(figures_, clock_);
  absl::StatusOr<v1::WeeklyReport> report = service.GetWeeklyReport({}, common::SpokeScope::Hub());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->name(), "reports/hub/weeks/2027-W01");
  EXPECT_EQ(report->posts_published(), 4);
  EXPECT_EQ(report->posts_failed(), 1);
  EXPECT_EQ(report->impressions(), 3900);
  EXPECT_DOUBLE_EQ(report->engagement_rate(), (100.0 + 20 + 25 + 8) / 3900.0);
  // Best first, worst lowest first, each post in one list.
  ASSERT_EQ(report->best_posts_size(), 2);
  EXPECT_EQ(report->best_posts(0).post(), "posts/n1");
  EXPECT_EQ(report->best_posts(1).post(), "posts/n3");
  ASSERT_EQ(report->worst_posts_size(), 2);
  EXPECT_EQ(report->worst_posts(0).post(), "posts/n2");
  EXPECT_EQ(report->best_posts(0).text_excerpt(), "Flu clinics open <b>Saturday</b> & Sunday");
  // Days: Monday has n1 and 5 mentions (4 negative, 1 neutral).
  ASSERT_EQ(report->days_size(), 7);
  EXPECT_EQ(report->days(0).date(), "2027-01-04");
  EXPECT_EQ(report->days(0).posts_published(), 1);
  EXPECT_EQ(report->days(0).mentions_negative(), 4);
  EXPECT_EQ(report->days(0).mentions_neutral(), 1);
  EXPECT_EQ(report->days(1).impressions(), 2000);
  // The topic that moved.
  ASSERT_GE(report->topics_size(), 1);
  EXPECT_EQ(report->topics(0).topic(), "billing");
  EXPECT_DOUBLE_EQ(report->topics(0).negative_share(), 0.8);
  EXPECT_DOUBLE_EQ(report->topics(0).previous_negative_share(), 0.25);
  // The inbox.
  EXPECT_EQ(report->inbox().items_created(), 2);
  EXPECT_EQ(report->inbox().items_closed(), 1);
  EXPECT_EQ(report->inbox().items_answered(), 2);
  EXPECT_DOUBLE_EQ(report->inbox().first_response_p50_seconds(), 3600);
  EXPECT_DOUBLE_EQ(report->inbox().first_response_p90_seconds(), 3 * 3600);
  EXPECT_EQ(report->inbox().sla_breaches(), 1);
  EXPECT_EQ(report->inbox().open_at_end(), 1);
  // The objective, off track, and what to change.
  ASSERT_EQ(report->objectives_size(), 1);
  EXPECT_FALSE(report->objectives(0).on_track());
  EXPECT_DOUBLE_EQ(report->objectives(0).elapsed_ratio(), 1.0);
  std::set<v1::ReportSuggestion::Kind> kinds;
  for (const v1::ReportSuggestion& s : report->suggestions()) {
    kinds.insert(s.kind());
    EXPECT_FALSE(s.text().empty());
  }
  EXPECT_TRUE(kinds.contains(v1::ReportSuggestion::KIND_OBJECTIVE_OFF_TRACK));
  EXPECT_TRUE(kinds.contains(v1::ReportSuggestion::KIND_REPEAT_WHAT_WORKED));
  EXPECT_TRUE(kinds.contains(v1::ReportSuggestion::KIND_WATCH_TOPIC));
  EXPECT_TRUE(kinds.contains(v1::ReportSuggestion::KIND_INBOX_SLA));
  // No link without a key ring.
  EXPECT_TRUE(report->html_path().empty());
}

TEST_F(WeeklyReportTest, ASpokeReportHoldsOnlyThatSpoke) {
  AddProgram();
  MetricsService service(figures_, clock_);
  v1::GetWeeklyReportRequest request;
  request.set_spoke("spokes/south");
  absl::StatusOr<v1::WeeklyReport> south =
      service.GetWeeklyReport(request, common::SpokeScope::Hub());
  ASSERT_TRUE(south.ok()) << south.status();
  EXPECT_EQ(south->name(), "reports/spokes/south/weeks/2027-W01");
  EXPECT_EQ(south->posts_published(), 1);
  EXPECT_EQ(south->impressions(), 400);
  // Another spoke's caller may not read it; an unknown spoke is NOT_FOUND.
  EXPECT_EQ(
      service.GetWeeklyReport(request, common::SpokeScope::Only({"spokes/north"})).status().code(),
      absl::StatusCode::kPermissionDenied);
  request.set_spoke("spokes/east");
  EXPECT_EQ(service.GetWeeklyReport(request, common::SpokeScope::Hub()).status().code(),
            absl::StatusCode::kNotFound);
  request.set_spoke("east");
  EXPECT_EQ(service.GetWeeklyReport(request, common::SpokeScope::Hub()).status().code(),
            absl::StatusCode::kInvalidArgument);
  request.set_spoke("");
  *request.mutable_week_time() = ToProto(clock_.Now() + absl::Hours(24 * 8));
  EXPECT_EQ(service.GetWeeklyReport(request, common::SpokeScope::Hub()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(WeeklyReportTest, UnderperformingEvergreenItemsAreNamed) {
  const std::string account = "spokes/north/accounts/main";
  for (int i = 0; i < 4; ++i) {
    AddPost(absl::StrCat("posts/e", i), account, v1::NETWORK_MASTODON,
            kWeek - absl::Hours(24 * 7 * i) + absl::Hours(10), "", "", 1000, 4,
            "evergreenItems/handwashing");  // 5/1000 = 0.005
    AddPost(absl::StrCat("posts/g", i), account, v1::NETWORK_MASTODON,
            kWeek - absl::Hours(24 * 7 * i) + absl::Hours(11), "", "", 1000, 59);  // 0.06
  }
  MetricsService service(figures_, clock_);
  absl::StatusOr<v1::WeeklyReport> report = service.GetWeeklyReport({}, common::SpokeScope::Hub());
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->underperforming_evergreen_size(), 1);
  const v1::ReportEvergreen& e = report->underperforming_evergreen(0);
  EXPECT_EQ(e.evergreen_item(), "evergreenItems/handwashing");
  EXPECT_EQ(e.recurrences(), 4);  // the 28 days to the week's end
  EXPECT_DOUBLE_EQ(e.engagement_rate(), 0.005);
  EXPECT_DOUBLE_EQ(e.scope_engagement_rate(), (20.0 + 240.0) / 8000.0);
}

TEST_F(WeeklyReportTest, ReportLinksOpenTheirReportOnly) {
  AddSpoke("spokes/north");
  absl::StatusOr<common::cadence::FeedTokens> tokens =
      common::cadence::FeedTokens::Create({{.id = "k1", .secret = std::string(32, 's')}}, "k1");
  ASSERT_TRUE(tokens.ok());
  MetricsService service(figures_, clock_,
                         std::make_shared<const common::cadence::FeedTokens>(*tokens));
  absl::StatusOr<v1::WeeklyReport> report = service.GetWeeklyReport({}, common::SpokeScope::Hub());
  ASSERT_TRUE(report.ok());
  ASSERT_TRUE(report->html_path().starts_with("/reports/hub.2027-W01.html?token=k1."));
  const std::string token = report->html_path().substr(report->html_path().find('=') + 1);
  EXPECT_TRUE(service.VerifyReportLink("reports/hub/weeks/2027-W01", token).ok());
  EXPECT_FALSE(service.VerifyReportLink("reports/spokes/north/weeks/2027-W01", token).ok());
  EXPECT_FALSE(service.VerifyReportLink("reports/hub/weeks/2026-W53", token).ok());
}

TEST_F(WeeklyReportTest, EachFinishedWeekIsPublishedOncePerScope) {
  AddProgram();
  MetricsService service(figures_, clock_);
  testing::FakeEventBus bus;
  ASSERT_TRUE(common::EnsureStreams(bus, {}).ok());
  common::CapturingLogger logger;
  ReportPublisher publisher({.delay = absl::Hours(1), .tick = absl::ZeroDuration()}, service,
                            figures_, bus, clock_, logger);
  // Before the delay has passed after the week's end: nothing.
  EXPECT_EQ(publisher.Tick(kWeek + absl::Hours(24 * 7) + absl::Minutes(30)), 0);
  // A replica published the hub's report already (seen on replay).
  publisher.ObserveReport(ReportPublisher::EventIdOf("reports/hub/weeks/2027-W01"));
  EXPECT_EQ(publisher.Tick(kWeek + absl::Hours(24 * 7 + 2)), 2);  // north, south
  EXPECT_EQ(publisher.Tick(kWeek + absl::Hours(24 * 7 + 3)), 0);
  std::vector<common::Event> events = bus.Published("carecast.report.published");
  ASSERT_EQ(events.size(), 2u);
  absl::StatusOr<v1::ReportPublished> first =
      common::DecodeCatalogueEvent(common::events::kReportPublished, events[0]);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->report().name(), "reports/spokes/north/weeks/2027-W01");
  EXPECT_EQ(first->report().posts_published(), 3);
  EXPECT_EQ(events[0].id, ReportPublisher::EventIdOf("reports/spokes/north/weeks/2027-W01"));
}

}  // namespace
}  // namespace carecast::metrics
