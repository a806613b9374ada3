// The Prometheus side of index reconciliation:
//   carecast_index_repairs_total{index,kind}   kind = added | fixed | removed
// Every (index, kind) series given at construction exists at zero from the start,
// so "repairs per hour" reads 0, not absent. Thread-safe; the registry must
// outlive it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include "services/common/redis/index_reconciler.h"

namespace carecast::common {

class IndexRepairMetrics final : public IndexRepairObserver {
 public:
  // `labels`: the ReconciledIndex labels this service reconciles.
  IndexRepairMetrics(prometheus::Registry& registry, const std::vector<std::string>& labels);

  void Repaired(std::string_view label, const IndexRepairCounts& counts) override;

 private:
  prometheus::Family<prometheus::Counter>& repairs_;
};

}  // namespace carecast::common
