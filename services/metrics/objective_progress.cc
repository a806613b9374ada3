#include "services/metrics/objective_progress.h"

#include <algorithm>

#include "services/metrics/figure_labels.h"

namespace carecast::metrics {

bool KpiAccumulates(v1::Kpi kpi) {
  switch (kpi) {
    case v1::KPI_POSTS_PUBLISHED:
    case v1::KPI_INBOX_ITEMS_CLOSED:
    case v1::KPI_REACH:
    case v1::KPI_LINK_CLICKS:
    case v1::KPI_FOLLOWER_GROWTH:
      return true;
    default:
      return false;
  }
}

double ElapsedRatio(const ObjectiveFigure& figure, absl::Time now) {
  if (now <= figure.start) return 0.0;
  if (now >= figure.end) return 1.0;
  if (figure.start == absl::InfinitePast() || figure.end == absl::InfiniteFuture()) return 1.0;
  return std::clamp(absl::FDivDuration(now - figure.start, figure.end - figure.start), 0.0, 1.0);
}

v1::ObjectiveProgress ProgressOf(const ObjectiveFigure& figure, absl::Time now) {
  v1::ObjectiveProgress p;
  p.set_objective(figure.name);
  p.set_kpi(figure.kpi);
  p.set_target(figure.target);
  p.set_current(figure.current);
  p.set_progress_ratio(figure.ratio);
  *p.mutable_compute_time() = ToProto(now);
  p.set_display_name(figure.display_name);
  const double elapsed = ElapsedRatio(figure, now);
  p.set_elapsed_ratio(elapsed);
  p.set_on_track(KpiAccumulates(figure.kpi) ? figure.ratio >= elapsed : figure.ratio >= 1.0);
  return p;
}

}  // namespace carecast::metrics
