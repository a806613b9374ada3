// The MetricsService core: answers from ProgramFigures, free of gRPC. Thread-safe
// (reads copy out of the figures); references must outlive it.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"

#include "carecast/v1/metrics_service.pb.h"

#include "services/common/base/clock.h"
#include "services/metrics/program_figures.h"

namespace carecast::metrics {

class MetricsService {
 public:
  MetricsService(const ProgramFigures& figures, const common::Clock& clock)
      : figures_(figures), clock_(clock) {}

  // `name` is "objectives/{id}". INVALID_ARGUMENT when malformed, NOT_FOUND when no
  // such objective was created, UNIMPLEMENTED when its KPI is not measured yet
  // (engagement rate, reach: they need engagement collection).
  absl::StatusOr<v1::ObjectiveProgress> GetObjectiveProgress(std::string_view name) const;

  // Counts per label (network; "network/state" for failures, e.g. "sandbox/failed";
  // sentiment), open inbox items and every measured objective.
  v1::GetProgramSummaryResponse GetProgramSummary() const;

 private:
  v1::ObjectiveProgress ToProto(const ObjectiveFigure& figure, absl::Time now) const;

  const ProgramFigures& figures_;
  const common::Clock& clock_;
};

}  // namespace carecast::metrics
