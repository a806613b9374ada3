// An objective's figure as the API shows it: progress, the share of its window
// gone, and whether it is on pace (report.proto, ObjectiveProgress).
#pragma once

#include "absl/time/time.h"

#include "carecast/v1/report.pb.h"

#include "services/metrics/program_figures.h"

namespace carecast::metrics {

// True for the KPIs that add up over the window (posts, reach, clicks, follower
// growth, items closed): their pace is measured against the time gone. Ratios and
// times are on track when they meet the target now.
bool KpiAccumulates(v1::Kpi kpi);

// The share of [start, end) that has passed at `now`, 0..1 (1 for an open end
// only once the start has passed, so such objectives are judged on their total).
double ElapsedRatio(const ObjectiveFigure& figure, absl::Time now);

v1::ObjectiveProgress ProgressOf(const ObjectiveFigure& figure, absl::Time now);

}  // namespace carecast::metrics
