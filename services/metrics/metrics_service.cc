#include "services/metrics/metrics_service.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/account_name.h"
#include "services/common/base/ids.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/metrics/best_times.h"
#include "services/metrics/figure_labels.h"
#include "services/metrics/objective_progress.h"
#include "services/metrics/report_links.h"
#include "services/metrics/rollups.h"
#include "services/metrics/weekly_report_builder.h"

namespace carecast::metrics {
namespace {

constexpr std::string_view kPrefix = "objectives/";

absl::Status CheckObjectiveName(std::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("name: must be set (objectives/{objective})");
  if (name.substr(0, kPrefix.size()) != kPrefix || !common::IsValidId(name.substr(kPrefix.size())))
    return absl::InvalidArgumentError(
        "name: must be objectives/{objective} with an id of 1-63 characters [a-z0-9-]");
  return absl::OkStatus();
}

// `name` is empty or "<collection>/{id}".
absl::Status CheckOptionalName(std::string_view field, std::string_view collection,
                               std::string_view name) {
  if (name.empty()) return absl::OkStatus();
  const std::string prefix = absl::StrCat(common::AsAbsl(collection), "/");
  if (!absl::StartsWith(common::AsAbsl(name), prefix) ||
      !common::IsValidId(name.substr(prefix.size()))) {
    return absl::InvalidArgumentError(absl::StrCat(common::AsAbsl(field), ": must be ", prefix,
                                                   "{id} with an id of 1-63 characters [a-z0-9-]"));
  }
  return absl::OkStatus();
}

constexpr absl::Duration kMaxRollupWindow = absl::Hours(24 * 400);
// Evergreen recurrences are judged over this long to the week's end.
constexpr absl::Duration kEvergreenLookback = absl::Hours(24 * 28);

}  // namespace

absl::StatusOr<v1::ObjectiveProgress> MetricsService::GetObjectiveProgress(
    std::string_view name) const {
  if (absl::Status s = CheckObjectiveName(name); !s.ok()) return s;
  std::optional<ObjectiveFigure> figure = figures_.Objective(name);
  if (!figure) return absl::NotFoundError(absl::StrCat(common::AsAbsl(name), " not found"));
  // Every KPI CreateObjective accepts is measured; only one this build does not
  // know (added to the enum later) is not.
  if (!figure->measured) {
    return absl::UnimplementedError(absl::StrCat(common::AsAbsl(name), ": KPI ",
                                                 static_cast<int>(figure->kpi),
                                                 " is unknown to this build"));
  }
  return ProgressOf(*figure, clock_.Now());
}

v1::GetProgramSummaryResponse MetricsService::GetProgramSummary() const {
  SummaryFigures s = figures_.Summary();
  absl::Time now = clock_.Now();
  v1::GetProgramSummaryResponse out;
  for (const auto& [network, count] : s.posts_published) {
    v1::LabelCount* c = out.add_posts_published();
    c->set_label(NetworkLabel(network));
    c->set_count(count);
  }
  for (const auto& [key, count] : s.posts_failed) {
    v1::LabelCount* c = out.add_posts_failed();
    c->set_label(absl::StrCat(NetworkLabel(key.first), "/", PostStateLabel(key.second)));
    c->set_count(count);
  }
  for (const auto& [sentiment, count] : s.mentions) {
    v1::LabelCount* c = out.add_mentions();
    c->set_label(SentimentLabel(sentiment));
    c->set_count(count);
  }
  out.set_open_inbox_items(s.open_inbox_items);
  for (const ObjectiveFigure& f : s.objectives)
    if (f.measured) *out.add_objectives() = ProgressOf(f, now);
  return out;
}

absl::StatusOr<v1::GetRollupResponse> MetricsService::GetRollup(
    const v1::GetRollupRequest& request) const {
  if (request.dimension() == v1::ROLLUP_DIMENSION_UNSPECIFIED ||
      !v1::RollupDimension_IsValid(request.dimension())) {
    return absl::InvalidArgumentError(
        "dimension: must be CAMPAIGN, PILLAR, SPOKE, NETWORK or WEEK");
  }
  if (!IsSet(request.start_time()) || !IsSet(request.end_time()))
    return absl::InvalidArgumentError("start_time and end_time: both must be set");
  const absl::Time start = ToTime(request.start_time());
  const absl::Time end = ToTime(request.end_time());
  if (end <= start) return absl::InvalidArgumentError("end_time: must be after start_time");
  if (end - start > kMaxRollupWindow)
    return absl::InvalidArgumentError("end_time: the window may span at most 400 days");
  if (!v1::Network_IsValid(request.network()))
    return absl::InvalidArgumentError("network: unknown network");
  RETURN_IF_ERROR(CheckOptionalName("spoke", "spokes", request.spoke()));
  RETURN_IF_ERROR(CheckOptionalName("campaign", "campaigns", request.campaign()));
  const FactsSnapshot facts = figures_.Facts({.start = start,
                                              .end = end,
                                              .spoke = request.spoke(),
                                              .network = request.network(),
                                              .campaign = request.campaign()});
  return Rollup(facts, request.dimension());
}

absl::StatusOr<v1::WeeklyReport> MetricsService::GetWeeklyReport(
    const v1::GetWeeklyReportRequest& request, const common::SpokeScope& scope) const {
  RETURN_IF_ERROR(CheckOptionalName("spoke", "spokes", request.spoke()));
  const absl::Time now = clock_.Now();
  const IsoWeek current = IsoWeekOf(now);
  IsoWeek week = IsoWeekOf(current.start - absl::Hours(24));  // the last finished week
  if (IsSet(request.week_time())) {
    week = IsoWeekOf(ToTime(request.week_time()));
    if (week.start > now) return absl::InvalidArgumentError("week_time: that week has not started");
  }
  if (!request.spoke().empty()) {
    RETURN_IF_ERROR(scope.RequireRead(request.spoke()));
    const std::vector<std::string> spokes = figures_.Spokes();
    if (std::find(spokes.begin(), spokes.end(), request.spoke()) == spokes.end())
      return absl::NotFoundError(absl::StrCat(request.spoke(), " not found"));
  }
  return BuildReport(request.spoke(), week);
}

absl::StatusOr<v1::GetBestTimesResponse> MetricsService::GetBestTimes(
    const v1::GetBestTimesRequest& request, const common::SpokeScope& scope) const {
  const std::optional<common::AccountIds> ids = common::ParseAccountIds(request.account());
  if (!ids) {
    return absl::InvalidArgumentError(
        "account: must be spokes/{spoke}/accounts/{account} with ids of 1-63 characters [a-z0-9-]");
  }
  RETURN_IF_ERROR(scope.RequireRead(absl::StrCat("spokes/", ids->spoke)));
  std::optional<AccountRecord> account = figures_.Account(request.account());
  if (!account) return absl::NotFoundError(absl::StrCat(request.account(), " not found"));
  return BestTimesOf(*account, request.top());
}

absl::StatusOr<v1::GetBestTimesResponse> MetricsService::BestTimesOf(const AccountRecord& account,
                                                                     int top) const {
  BestTimesInput input;
  input.account = account.name;
  input.time_zone = account.time_zone.empty() ? "UTC" : account.time_zone;
  input.current_cadence = account.cadence;
  input.now = clock_.Now();
  input.top = top;
  for (const PostRecord& post : figures_.Facts({.account = account.name}).published) {
    if (!post.engagement || !post.reports_impressions) continue;
    input.posts.push_back({.publish_time = post.time,
                           .impressions = post.engagement->impressions,
                           .interactions = post.engagement->rated_interactions});
  }
  return ComputeBestTimes(input);
}

v1::WeeklyReport MetricsService::BuildReport(const std::string& spoke, const IsoWeek& week) const {
  WeeklyReportInputs in;
  in.spoke = spoke;
  in.week = week;
  in.now = clock_.Now();
  in.week_facts = figures_.Facts({.start = week.start, .end = week.end(), .spoke = spoke});
  in.previous_facts = figures_.Facts(
      {.start = week.start - absl::Hours(24 * 7), .end = week.start, .spoke = spoke});
  in.recent_facts =
      figures_.Facts({.start = week.end() - kEvergreenLookback, .end = week.end(), .spoke = spoke});
  // A past week's report shows its objectives as they stood when it ended.
  for (ObjectiveFigure& figure : figures_.ObjectivesAsOf(std::min(in.now, week.end())))
    if (spoke.empty() || figure.spoke == spoke) in.objectives.push_back(std::move(figure));
  // Accounts whose audience engages more at other hours than their cadence posts.
  for (const AccountRecord& account : figures_.Accounts(spoke)) {
    absl::StatusOr<v1::GetBestTimesResponse> best = BestTimesOf(account, 0);
    if (best.ok() && best->has_suggested_cadence())
      in.cadence_hints.push_back({.account = account.name, .reason = best->suggestion_reason()});
  }
  v1::WeeklyReport report = BuildWeeklyReport(in);
  if (link_tokens_ != nullptr) {
    absl::StatusOr<std::string> token =
        link_tokens_->Mint(common::cadence::FeedKind::kReport, report.name());
    if (token.ok()) {
      report.set_html_path(ReportLinkPath(spoke, week, ReportFormat::kHtml, *token));
      report.set_pdf_path(ReportLinkPath(spoke, week, ReportFormat::kPdf, *token));
    }
  }
  return report;
}

absl::Status MetricsService::VerifyReportLink(std::string_view name, std::string_view token) const {
  if (link_tokens_ == nullptr) return absl::UnauthenticatedError("invalid token");
  return link_tokens_->Verify(token, common::cadence::FeedKind::kReport, name);
}

}  // namespace carecast::metrics
