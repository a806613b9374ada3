#include "services/metrics/report_format.h"

#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

#include "services/metrics/figure_labels.h"

namespace carecast::metrics {

std::string FormatCount(int64_t value) {
  // Works on the magnitude as unsigned so INT64_MIN formats too.
  const bool negative = value < 0;
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  std::string digits = std::to_string(magnitude);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return negative ? "-" + out : out;
}

std::string FormatSignedCount(int64_t value) {
  return value > 0 ? "+" + FormatCount(value) : FormatCount(value);
}

std::string FormatPercent(double ratio) {
  if (!std::isfinite(ratio)) return "n/a";
  return absl::StrFormat("%.1f%%", ratio * 100.0);
}

std::string FormatPercentPoints(double change) {
  if (!std::isfinite(change)) return "n/a";
  const double points = change * 100.0;
  if (std::fabs(points) < 0.05) return "0.0 pts";
  return absl::StrFormat("%+.1f pts", points);
}

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds <= 0) return "none";
  const int64_t s = std::llround(seconds);
  if (s < 60) return absl::StrCat(s, " s");
  const int64_t minutes = s / 60;
  if (minutes < 60) return absl::StrCat(minutes, " min");
  const int64_t hours = minutes / 60;
  if (hours < 24) return absl::StrFormat("%d h %02d min", hours, minutes % 60);
  return absl::StrCat(hours / 24, " d ", hours % 24, " h");
}

std::string FormatKpiValue(v1::Kpi kpi, double value) {
  switch (kpi) {
    case v1::KPI_POSITIVE_MENTION_RATIO:
    case v1::KPI_NEGATIVE_MENTION_RATIO:
    case v1::KPI_ENGAGEMENT_RATE:
      return FormatPercent(value);
    case v1::KPI_INBOX_FIRST_RESPONSE_SECONDS:
      return FormatDuration(value);
    default:
      if (!std::isfinite(value)) return "n/a";
      return FormatCount(std::llround(value));
  }
}

std::string NetworkDisplayName(v1::Network network) {
  switch (network) {
    case v1::NETWORK_SANDBOX:
      return "Sandbox";
    case v1::NETWORK_X:
      return "X";
    case v1::NETWORK_FACEBOOK:
      return "Facebook";
    case v1::NETWORK_LINKEDIN:
      return "LinkedIn";
    case v1::NETWORK_INSTAGRAM:
      return "Instagram";
    case v1::NETWORK_MASTODON:
      return "Mastodon";
    case v1::NETWORK_BLUESKY:
      return "Bluesky";
    case v1::NETWORK_WORDPRESS:
      return "WordPress";
    case v1::NETWORK_WEBHOOK:
      return "Website (webhook)";
    default:
      return "Unknown network";
  }
}

std::string KpiDisplayName(v1::Kpi kpi) {
  switch (kpi) {
    case v1::KPI_POSTS_PUBLISHED:
      return "Posts published";
    case v1::KPI_POSITIVE_MENTION_RATIO:
      return "Positive mentions";
    case v1::KPI_INBOX_ITEMS_CLOSED:
      return "Inbox items closed";
    case v1::KPI_ENGAGEMENT_RATE:
      return "Engagement rate";
    case v1::KPI_REACH:
      return "Reach (impressions)";
    case v1::KPI_FOLLOWER_GROWTH:
      return "Follower growth";
    case v1::KPI_LINK_CLICKS:
      return "Link clicks";
    case v1::KPI_NEGATIVE_MENTION_RATIO:
      return "Negative mentions (lower is better)";
    case v1::KPI_INBOX_FIRST_RESPONSE_SECONDS:
      return "Inbox first response (lower is better)";
    default:
      return "Unknown measure";
  }
}

std::string SuggestionKindName(v1::ReportSuggestion::Kind kind) {
  switch (kind) {
    case v1::ReportSuggestion::KIND_OBJECTIVE_OFF_TRACK:
      return "Objective behind pace";
    case v1::ReportSuggestion::KIND_MOVE_CADENCE:
      return "Move posting times";
    case v1::ReportSuggestion::KIND_RETIRE_EVERGREEN:
      return "Rewrite or retire evergreen content";
    case v1::ReportSuggestion::KIND_WATCH_TOPIC:
      return "Watch a topic";
    case v1::ReportSuggestion::KIND_INBOX_SLA:
      return "Answer the inbox faster";
    case v1::ReportSuggestion::KIND_REPEAT_WHAT_WORKED:
      return "Repeat what worked";
    default:
      return "Suggestion";
  }
}

std::string ResourceId(const std::string& name) {
  const size_t slash = name.rfind('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

std::string ObjectiveTitle(const v1::ObjectiveProgress& objective) {
  if (!objective.display_name().empty()) return objective.display_name();
  return ResourceId(objective.objective());
}

std::string ReportScopeName(const v1::WeeklyReport& report) {
  if (report.spoke().empty()) return "All spokes (hub)";
  return "Spoke " + ResourceId(report.spoke());
}

std::string ReportTitle(const v1::WeeklyReport& report) {
  return absl::StrCat("Weekly report: ", ReportScopeName(report), ", ", report.week());
}

namespace {

// "Mon 4 Jan" (and " 2027" with the year), in UTC.
std::string FormatDay(absl::Time t, bool with_year) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::CivilDay day = absl::ToCivilDay(t, utc);
  std::string out = absl::StrCat(absl::FormatTime("%a", t, utc), " ", day.day(), " ",
                                 absl::FormatTime("%b", t, utc));
  if (with_year) absl::StrAppend(&out, " ", day.year());
  return out;
}

}  // namespace

std::string ReportPeriod(const v1::WeeklyReport& report) {
  if (!IsSet(report.start_time()) || !IsSet(report.end_time())) return report.week();
  const absl::Time start = ToTime(report.start_time());
  // end_time is the next Monday 00:00: the last day shown is the Sunday before it.
  const absl::Time last = ToTime(report.end_time()) - absl::Seconds(1);
  return absl::StrCat(FormatDay(start, true), " to ", FormatDay(last, true), " (UTC)");
}

std::string FormatPostTime(const google::protobuf::Timestamp& time) {
  if (!IsSet(time)) return "";
  const absl::Time t = ToTime(time);
  return absl::StrCat(FormatDay(t, false), " ", absl::FormatTime("%H:%M", t, absl::UTCTimeZone()),
                      " UTC");
}

std::string DayLabel(const std::string& iso_date) {
  absl::CivilDay day;
  if (!absl::ParseCivilTime(absl::string_view(iso_date), &day)) return iso_date;
  return FormatDay(absl::FromCivil(day, absl::UTCTimeZone()), false);
}

}  // namespace carecast::metrics
