#include "services/metrics/metrics_service.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/ids.h"
#include "services/common/base/strings.h"
#include "services/metrics/figure_labels.h"

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

}  // namespace

v1::ObjectiveProgress MetricsService::ToProto(const ObjectiveFigure& figure, absl::Time now) const {
  v1::ObjectiveProgress p;
  p.set_objective(figure.name);
  p.set_kpi(figure.kpi);
  p.set_target(figure.target);
  p.set_current(figure.current);
  p.set_progress_ratio(figure.ratio);
  *p.mutable_compute_time() = metrics::ToProto(now);
  return p;
}

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
  return ToProto(*figure, clock_.Now());
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
    if (f.measured) *out.add_objectives() = ToProto(f, now);
  return out;
}

}  // namespace carecast::metrics
