#include "services/metrics/weekly_report_builder.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "services/metrics/figure_labels.h"
#include "services/metrics/objective_progress.h"

namespace carecast::metrics {
namespace {

double Rate(int64_t part, int64_t whole) {
  return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

double PostRate(const PostRecord& p) {
  return Rate(p.engagement->rated_interactions, p.engagement->impressions);
}

bool Rated(const PostRecord& p) {
  return p.engagement && p.reports_impressions && p.engagement->impressions > 0;
}

v1::ReportPost ReportPostOf(const PostRecord& p) {
  v1::ReportPost out;
  out.set_post(p.name);
  out.set_account(p.account);
  out.set_network(p.network);
  out.set_campaign(p.campaign);
  *out.mutable_publish_time() = ToProto(p.time);
  out.set_text_excerpt(p.text_excerpt);
  out.set_impressions(p.engagement->impressions);
  out.set_interactions(p.engagement->interactions);
  out.set_link_clicks(p.engagement->clicks);
  out.set_engagement_rate(PostRate(p));
  out.set_url(p.url);
  return out;
}

std::string Percent(double share) { return absl::StrFormat("%.1f%%", share * 100.0); }

// The percentile q (0..1) of sorted values, nearest rank; 0 when empty.
double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

void AddTotals(const WeeklyReportInputs& in, v1::WeeklyReport& r) {
  int64_t rated_impressions = 0;
  int64_t rated_interactions = 0;
  for (const PostRecord& p : in.week_facts.published) {
    if (!p.engagement) continue;
    r.set_impressions(r.impressions() + p.engagement->impressions);
    r.set_interactions(r.interactions() + p.engagement->interactions);
    r.set_link_clicks(r.link_clicks() + p.engagement->clicks);
    rated_impressions += p.engagement->impressions;
    rated_interactions += p.engagement->rated_interactions;
  }
  r.set_posts_published(static_cast<int64_t>(in.week_facts.published.size()));
  r.set_posts_failed(static_cast<int64_t>(in.week_facts.failed.size()));
  r.set_engagement_rate(Rate(rated_interactions, rated_impressions));
  r.set_followers(in.week_facts.followers_at_end);
  r.set_follower_change(in.week_facts.follower_change);
}

void AddDays(const WeeklyReportInputs& in, v1::WeeklyReport& r) {
  for (int d = 0; d < 7; ++d) {
    v1::ReportDay* day = r.add_days();
    day->set_date(
        absl::FormatTime("%Y-%m-%d", in.week.start + absl::Hours(24 * d), absl::UTCTimeZone()));
  }
  const auto index = [&in](absl::Time t) {
    return std::clamp(static_cast<int>((t - in.week.start) / absl::Hours(24)), 0, 6);
  };
  for (const PostRecord& p : in.week_facts.published) {
    v1::ReportDay* day = r.mutable_days(index(p.time));
    day->set_posts_published(day->posts_published() + 1);
    if (!p.engagement) continue;
    day->set_impressions(day->impressions() + p.engagement->impressions);
    day->set_interactions(day->interactions() + p.engagement->interactions);
  }
  for (const MentionRecord& m : in.week_facts.mentions) {
    v1::ReportDay* day = r.mutable_days(index(m.time));
    if (m.sentiment == v1::SENTIMENT_POSITIVE)
      day->set_mentions_positive(day->mentions_positive() + 1);
    if (m.sentiment == v1::SENTIMENT_NEUTRAL)
      day->set_mentions_neutral(day->mentions_neutral() + 1);
    if (m.sentiment == v1::SENTIMENT_NEGATIVE)
      day->set_mentions_negative(day->mentions_negative() + 1);
  }
}

void AddBestAndWorst(const WeeklyReportInputs& in, v1::WeeklyReport& r) {
  std::vector<const PostRecord*> rated;
  for (const PostRecord& p : in.week_facts.published)
    if (Rated(p)) rated.push_back(&p);
  std::stable_sort(rated.begin(), rated.end(), [](const PostRecord* a, const PostRecord* b) {
    return PostRate(*a) > PostRate(*b);
  });
  const size_t best = std::min<size_t>(kReportTopPosts, (rated.size() + 1) / 2);
  const size_t worst = std::min<size_t>(kReportTopPosts, rated.size() - best);
  for (size_t i = 0; i < best; ++i) *r.add_best_posts() = ReportPostOf(*rated[i]);
  for (size_t i = 0; i < worst; ++i)
    *r.add_worst_posts() = ReportPostOf(*rated[rated.size() - 1 - i]);
}

struct TopicCounts {
  int64_t mentions = 0;
  int64_t classified = 0;
  int64_t positive = 0;
  int64_t negative = 0;
};

std::map<std::string, TopicCounts> CountTopics(const std::vector<MentionRecord>& mentions) {
  std::map<std::string, TopicCounts> out;
  for (const MentionRecord& m : mentions) {
    for (const std::string& topic : std::set<std::string>(m.topics.begin(), m.topics.end())) {
      TopicCounts& c = out[topic];
      ++c.mentions;
      if (m.sentiment == v1::SENTIMENT_UNSPECIFIED) continue;
      ++c.classified;
      if (m.sentiment == v1::SENTIMENT_POSITIVE) ++c.positive;
      if (m.sentiment == v1::SENTIMENT_NEGATIVE) ++c.negative;
    }
  }
  return out;
}

void AddTopics(const WeeklyReportInputs& in, v1::WeeklyReport& r) {
  const std::map<std::string, TopicCounts> now = CountTopics(in.week_facts.mentions);
  const std::map<std::string, TopicCounts> before = CountTopics(in.previous_facts.mentions);
  std::vector<v1::ReportTopic> topics;
  for (const auto& [topic, c] : now) {
    v1::ReportTopic t;
    t.set_topic(topic);
    t.set_mentions(c.mentions);
    t.set_positive(c.positive);
    t.set_negative(c.negative);
    t.set_positive_share(Rate(c.positive, c.classified));
    t.set_negative_share(Rate(c.negative, c.classified));
    if (auto it = before.find(topic); it != before.end()) {
      t.set_previous_mentions(it->second.mentions);
      t.set_previous_negative_share(Rate(it->second.negative, it->second.classified));
    }
    t.set_negative_share_change(t.negative_share() - t.previous_negative_share());
    topics.push_back(std::move(t));
  }
  std::stable_sort(topics.begin(), topics.end(), [](const auto& a, const auto& b) {
    const double da = std::abs(a.negative_share_change());
    const double db = std::abs(b.negative_share_change());
    if (da != db) return da > db;
    return a.mentions() > b.mentions();
  });
  for (size_t i = 0; i < topics.size() && i < kReportTopics; ++i) *r.add_topics() = topics[i];
}

void AddInbox(const WeeklyReportInputs& in, v1::WeeklyReport& r) {
  const auto in_week = [&in](const std::optional<absl::Time>& t) {
    return t && *t >= in.week.start && *t < in.week.end();
  };
  v1::ReportInbox* inbox = r.mutable_inbox();
  std::vector<double> responses;
  for (const InboxRecord& item : in.week_facts.inbox) {
    if (in_week(item.create_time)) {
      inbox->set_items_created(inbox->items_created() + 1);
      if (item.first_response) {
        responses.push_back(
            std::max(0.0, absl::ToDoubleSeconds(*item.first_response - *item.create_time)));
      }
    }
    if (in_week(item.close_time)) inbox->set_items_closed(inbox->items_closed() + 1);
    if (in_week(item.sla_breach_time)) inbox->set_sla_breaches(inbox->sla_breaches() + 1);
    const bool open_at_end = item.create_time && *item.create_time < in.week.end() &&
                             (!item.close_time || *item.close_time >= in.week.end());
    if (open_at_end) inbox->set_open_at_end(inbox->open_at_end() + 1);
  }
  std::sort(responses.begin(), responses.end());
  inbox->set_items_answered(static_cast<int64_t>(responses.size()));
  inbox->set_first_response_p50_seconds(Percentile(responses, 0.5));
  inbox->set_first_response_p90_seconds(Percentile(responses, 0.9));
}

void AddEvergreen(const WeeklyReportInputs& in, v1::WeeklyReport& r) {
  struct Sums {
    int64_t recurrences = 0;
    int64_t impressions = 0;
    int64_t interactions = 0;
  };
  Sums scope;
  std::map<std::string, Sums> items;
  for (const PostRecord& p : in.recent_facts.published) {
    if (!Rated(p)) continue;
    scope.impressions += p.engagement->impressions;
    scope.interactions += p.engagement->rated_interactions;
    if (p.evergreen_item.empty()) continue;
    Sums& s = items[p.evergreen_item];
    ++s.recurrences;
    s.impressions += p.engagement->impressions;
    s.interactions += p.engagement->rated_interactions;
  }
  const double scope_rate = Rate(scope.interactions, scope.impressions);
  std::vector<v1::ReportEvergreen> under;
  for (const auto& [item, s] : items) {
    const double rate = Rate(s.interactions, s.impressions);
    if (s.recurrences < kEvergreenMinRecurrences ||
        rate >= kEvergreenUnderperformShare * scope_rate)
      continue;
    v1::ReportEvergreen e;
    e.set_evergreen_item(item);
    e.set_recurrences(s.recurrences);
    e.set_engagement_rate(rate);
    e.set_scope_engagement_rate(scope_rate);
    under.push_back(std::move(e));
  }
  std::stable_sort(under.begin(), under.end(), [](const auto& a, const auto& b) {
    return a.engagement_rate() < b.engagement_rate();
  });
  for (auto& e : under) *r.add_underperforming_evergreen() = std::move(e);
}

std::string AdviceFor(v1::Kpi kpi) {
  switch (kpi) {
    case v1::KPI_POSTS_PUBLISHED:
      return "add cadence slots or queue more approved content";
    case v1::KPI_REACH:
    case v1::KPI_FOLLOWER_GROWTH:
      return "post more of what reached furthest this week and move slots to the best times";
    case v1::KPI_ENGAGEMENT_RATE:
    case v1::KPI_LINK_CLICKS:
      return "repeat the formats and pillars of the best posts and retire what underperforms";
    case v1::KPI_POSITIVE_MENTION_RATIO:
    case v1::KPI_NEGATIVE_MENTION_RATIO:
      return "answer the negative mentions of the topics that moved and share good news";
    case v1::KPI_INBOX_ITEMS_CLOSED:
    case v1::KPI_INBOX_FIRST_RESPONSE_SECONDS:
      return "put more responders on the inbox during business hours";
    default:
      return "review the plan";
  }
}

void AddSuggestion(v1::WeeklyReport& r, v1::ReportSuggestion::Kind kind, std::string text,
                   std::string subject) {
  v1::ReportSuggestion* s = r.add_suggestions();
  s->set_kind(kind);
  s->set_text(std::move(text));
  s->set_subject(std::move(subject));
}

void AddSuggestions(const WeeklyReportInputs& in, v1::WeeklyReport& r) {
  for (const v1::ObjectiveProgress& o : r.objectives()) {
    if (o.on_track()) continue;
    const std::string& label = o.display_name().empty() ? o.objective() : o.display_name();
    AddSuggestion(r, v1::ReportSuggestion::KIND_OBJECTIVE_OFF_TRACK,
                  absl::StrCat("\"", label, "\" is behind: ", Percent(o.progress_ratio()),
                               " of its target with ", Percent(o.elapsed_ratio()),
                               " of its time gone; ", AdviceFor(o.kpi()), "."),
                  o.objective());
  }
  if (!r.best_posts().empty()) {
    const v1::ReportPost& best = r.best_posts(0);
    AddSuggestion(r, v1::ReportSuggestion::KIND_REPEAT_WHAT_WORKED,
                  absl::StrCat("The best post (", NetworkLabel(best.network()), ", ",
                               Percent(best.engagement_rate()), " engagement",
                               best.campaign().empty() ? "" : absl::StrCat(", ", best.campaign()),
                               ") is worth repeating in other channels and spokes."),
                  best.post());
  }
  for (const v1::ReportEvergreen& e : r.underperforming_evergreen()) {
    AddSuggestion(
        r, v1::ReportSuggestion::KIND_RETIRE_EVERGREEN,
        absl::StrCat("Rewrite or retire ", e.evergreen_item(), ": ", Percent(e.engagement_rate()),
                     " engagement over ", e.recurrences(), " recurrences against ",
                     Percent(e.scope_engagement_rate()), " for all posts."),
        e.evergreen_item());
  }
  for (const v1::ReportTopic& t : r.topics()) {
    if (t.negative_share_change() < kTopicWatchRise || t.mentions() < kTopicWatchMinMentions)
      continue;
    AddSuggestion(
        r, v1::ReportSuggestion::KIND_WATCH_TOPIC,
        absl::StrCat("Negative mentions of ", t.topic(), " rose to ", Percent(t.negative_share()),
                     " (from ", Percent(t.previous_negative_share()),
                     "): read them in the inbox and answer."),
        t.topic());
  }
  if (r.inbox().sla_breaches() > 0) {
    AddSuggestion(
        r, v1::ReportSuggestion::KIND_INBOX_SLA,
        absl::StrCat(r.inbox().sla_breaches(),
                     " inbox items missed their first-response time; 90% were answered "
                     "within ",
                     absl::StrFormat("%.1f", r.inbox().first_response_p90_seconds() / 3600),
                     " h. Add responders at the busiest hours."),
        r.spoke());
  }
  for (const CadenceHint& hint : in.cadence_hints)
    AddSuggestion(r, v1::ReportSuggestion::KIND_MOVE_CADENCE,
                  absl::StrCat(hint.account, ": ", hint.reason), hint.account);
}

}  // namespace

std::string WeeklyReportName(const std::string& spoke, const IsoWeek& week) {
  if (spoke.empty()) return absl::StrCat("reports/hub/weeks/", week.Label());
  return absl::StrCat("reports/", spoke, "/weeks/", week.Label());
}

v1::WeeklyReport BuildWeeklyReport(const WeeklyReportInputs& in) {
  v1::WeeklyReport r;
  r.set_name(WeeklyReportName(in.spoke, in.week));
  r.set_spoke(in.spoke);
  r.set_week(in.week.Label());
  *r.mutable_start_time() = ToProto(in.week.start);
  *r.mutable_end_time() = ToProto(in.week.end());
  *r.mutable_compute_time() = ToProto(in.now);
  // Pace is judged at the week's end, or now for the week under way.
  const absl::Time judged_at = std::min(in.now, in.week.end());
  for (const ObjectiveFigure& figure : in.objectives)
    if (figure.measured) *r.add_objectives() = ProgressOf(figure, judged_at);
  AddTotals(in, r);
  AddDays(in, r);
  AddBestAndWorst(in, r);
  AddTopics(in, r);
  AddInbox(in, r);
  AddEvergreen(in, r);
  AddSuggestions(in, r);
  return r;
}

}  // namespace carecast::metrics
