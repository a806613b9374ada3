// Post figures grouped by campaign, pillar, spoke, network or ISO week
// (MetricsService.GetRollup): a pure function of the posts a FactsSnapshot
// holds. Each post counts once, in one row, with its latest engagement reading.
#pragma once

#include "carecast/v1/metrics_service.pb.h"

#include "services/metrics/figure_facts.h"

namespace carecast::metrics {

// Rows sorted by key, and their total. `dimension` must be specified.
v1::GetRollupResponse Rollup(const FactsSnapshot& facts, v1::RollupDimension dimension);

// The row key of a post under `dimension` (see RollupDimension in the proto).
std::string RollupKey(const PostRecord& post, v1::RollupDimension dimension);

}  // namespace carecast::metrics
