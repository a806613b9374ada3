// A realistic WeeklyReport for the renderers' tests (unit and browser): spoke
// "north", week 2027-W01, every section filled, one hostile post excerpt and
// one hostile topic. The figures the tests expect are spelled out next to
// them, so a test never recomputes them with the code under test.
#pragma once

#include <cstdint>
#include <string>

#include "carecast/v1/report.pb.h"

namespace carecast::testing {

// 2027-01-04T00:00:00Z, a Monday.
inline constexpr int64_t kSampleWeekStart = 1799020800;
inline constexpr int64_t kSampleDay = 86400;
inline constexpr int64_t kSampleHour = 3600;
// An excerpt that tries to run script; the page must show it as text.
inline constexpr char kHostileExcerpt[] =
    "Flu clinic open <script>alert('x')</script> & \"free\" for all";

inline v1::ReportPost SamplePost(const std::string& id, v1::Network network,
                                 const std::string& text, int64_t impressions, int64_t interactions,
                                 int64_t clicks, const std::string& url) {
  v1::ReportPost post;
  post.set_post("posts/" + id);
  post.set_account("spokes/north/accounts/main");
  post.set_network(network);
  post.set_campaign("campaigns/flu");
  post.mutable_publish_time()->set_seconds(kSampleWeekStart + kSampleDay + 9 * kSampleHour);
  post.set_text_excerpt(text);
  post.set_impressions(impressions);
  post.set_interactions(interactions);
  post.set_link_clicks(clicks);
  post.set_engagement_rate(impressions > 0 ? static_cast<double>(interactions) / impressions : 0);
  post.set_url(url);
  return post;
}

inline void AddSampleObjectives(v1::WeeklyReport& report) {
  v1::ObjectiveProgress* reach = report.add_objectives();
  reach->set_objective("objectives/reach-q1");
  reach->set_display_name("Reach 200,000 people in Q1");
  reach->set_kpi(v1::KPI_REACH);
  reach->set_target(200000);
  reach->set_current(48210);  // "48,210"
  reach->set_progress_ratio(0.24105);
  reach->set_elapsed_ratio(0.08);
  reach->set_on_track(true);
  v1::ObjectiveProgress* rate = report.add_objectives();
  rate->set_objective("objectives/engagement");
  rate->set_display_name("Engagement rate above 5%");
  rate->set_kpi(v1::KPI_ENGAGEMENT_RATE);
  rate->set_target(0.05);
  rate->set_current(0.0412);  // "4.1%"
  rate->set_progress_ratio(0.824);
  rate->set_elapsed_ratio(0.08);
  rate->set_on_track(false);
  v1::ObjectiveProgress* inbox = report.add_objectives();
  inbox->set_objective("objectives/answer-fast");
  inbox->set_kpi(v1::KPI_INBOX_FIRST_RESPONSE_SECONDS);
  inbox->set_target(3600);
  inbox->set_current(2700);  // "45 min"
  inbox->set_progress_ratio(1.3333);
  inbox->set_elapsed_ratio(0.5);
  inbox->set_on_track(true);
}

inline void AddSampleDays(v1::WeeklyReport& report) {
  // Mon..Sun: posts, impressions, interactions, mentions +, =, -.
  const int64_t days[7][6] = {{3, 6200, 240, 12, 20, 3}, {4, 9100, 410, 15, 18, 5},
                              {2, 5400, 190, 8, 14, 9},  {5, 11800, 520, 22, 25, 4},
                              {3, 7300, 280, 10, 16, 6}, {1, 4100, 150, 5, 9, 2},
                              {1, 4310, 196, 6, 11, 1}};
  for (int i = 0; i < 7; ++i) {
    v1::ReportDay* day = report.add_days();
    day->set_date((i < 6 ? "2027-01-0" : "2027-01-") + std::to_string(4 + i));
    day->set_posts_published(days[i][0]);
    day->set_impressions(days[i][1]);
    day->set_interactions(days[i][2]);
    day->set_mentions_positive(days[i][3]);
    day->set_mentions_neutral(days[i][4]);
    day->set_mentions_negative(days[i][5]);
  }
}

inline void AddSampleTopicsAndInbox(v1::WeeklyReport& report) {
  v1::ReportTopic* parking = report.add_topics();
  parking->set_topic("parking at the north entrance");
  parking->set_mentions(41);
  parking->set_positive(6);
  parking->set_negative(19);
  parking->set_positive_share(0.146);
  parking->set_negative_share(0.463);
  parking->set_previous_mentions(22);
  parking->set_previous_negative_share(0.227);
  parking->set_negative_share_change(0.236);  // "+23.6 pts"
  v1::ReportTopic* hostile = report.add_topics();
  hostile->set_topic("<img src=x onerror=alert(1)>");
  hostile->set_mentions(7);
  hostile->set_negative_share(0.1);
  hostile->set_previous_negative_share(0.3);
  hostile->set_negative_share_change(-0.2);
  v1::ReportInbox* inbox = report.mutable_inbox();
  inbox->set_items_created(64);
  inbox->set_items_closed(58);
  inbox->set_items_answered(60);
  inbox->set_first_response_p50_seconds(2700);  // "45 min"
  inbox->set_first_response_p90_seconds(9000);  // "2 h 30 min"
  inbox->set_sla_breaches(3);
  inbox->set_open_at_end(6);
}

inline void AddSampleAdvice(v1::WeeklyReport& report) {
  v1::ReportEvergreen* evergreen = report.add_underperforming_evergreen();
  evergreen->set_evergreen_item("evergreenItems/handwashing-tips");
  evergreen->set_recurrences(4);
  evergreen->set_engagement_rate(0.012);
  evergreen->set_scope_engagement_rate(0.0412);
  v1::ReportSuggestion* s1 = report.add_suggestions();
  s1->set_kind(v1::ReportSuggestion::KIND_OBJECTIVE_OFF_TRACK);
  s1->set_text("Engagement is at 4.1% against 5%: ask a question in two posts a week.");
  s1->set_subject("objectives/engagement");
  v1::ReportSuggestion* s2 = report.add_suggestions();
  s2->set_kind(v1::ReportSuggestion::KIND_MOVE_CADENCE);
  s2->set_text("Move the morning slot from 07:00 to 12:00, when your audience engages most.");
  s2->set_subject("spokes/north/accounts/main");
  v1::ReportSuggestion* s3 = report.add_suggestions();
  s3->set_kind(v1::ReportSuggestion::KIND_RETIRE_EVERGREEN);
  s3->set_text("Rewrite or retire \"Handwashing tips\": 1.2% engagement against 4.1%.");
  s3->set_subject("evergreenItems/handwashing-tips");
}

// Figures: 19 posts (1 failed), 48,210 impressions, 1,986 interactions, 312
// link clicks, 4.1% engagement, 12,480 followers (+230).
inline v1::WeeklyReport SampleWeeklyReport() {
  v1::WeeklyReport report;
  report.set_name("reports/spokes/north/weeks/2027-W01");
  report.set_spoke("spokes/north");
  report.set_week("2027-W01");
  report.mutable_start_time()->set_seconds(kSampleWeekStart);
  report.mutable_end_time()->set_seconds(kSampleWeekStart + 7 * kSampleDay);
  report.mutable_compute_time()->set_seconds(kSampleWeekStart + 7 * kSampleDay + kSampleHour);
  AddSampleObjectives(report);
  *report.add_best_posts() =
      SamplePost("p1", v1::NETWORK_FACEBOOK, "Free flu shots this Saturday at the north clinic",
                 11800, 900, 140, "https://facebook.example/north/posts/1");
  *report.add_best_posts() =
      SamplePost("p2", v1::NETWORK_LINKEDIN, "Meet our new paediatric team", 6200, 390, 61, "");
  *report.add_worst_posts() =
      SamplePost("p3", v1::NETWORK_X, kHostileExcerpt, 4100, 20, 2, "javascript:alert(1)");
  AddSampleDays(report);
  AddSampleTopicsAndInbox(report);
  AddSampleAdvice(report);
  report.set_posts_published(19);
  report.set_posts_failed(1);
  report.set_impressions(48210);
  report.set_interactions(1986);
  report.set_link_clicks(312);
  report.set_engagement_rate(0.0412);
  report.set_followers(12480);
  report.set_follower_change(230);
  return report;
}

}  // namespace carecast::testing
