// Compares what the metrics service computed from a workload with what the
// generator counted: nothing lost, nothing counted twice.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bench/metrics/event_workload.h"
#include "services/metrics/event_ingest.h"
#include "services/metrics/program_figures.h"

namespace carecast::bench {

// Appends one line per figure that differs (ProgramFigures' summary, the ingest's
// counters, and the series in `metrics_text`, what /metrics serves) to
// `mismatches` and returns it.
std::vector<std::string> CheckFigures(const ExpectedFigures& expected,
                                      const metrics::ProgramFigures& figures,
                                      const metrics::EventIngest& ingest,
                                      std::string_view metrics_text,
                                      std::vector<std::string> mismatches);

}  // namespace carecast::bench
