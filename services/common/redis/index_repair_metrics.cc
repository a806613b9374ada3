#include "services/common/redis/index_repair_metrics.h"

namespace carecast::common {
namespace {
constexpr std::string_view kKinds[] = {"added", "fixed", "removed"};
}  // namespace

IndexRepairMetrics::IndexRepairMetrics(prometheus::Registry& registry,
                                       const std::vector<std::string>& labels)
    : repairs_(prometheus::BuildCounter()
                   .Name("carecast_index_repairs_total")
                   .Help("Redis index members a reconciliation with KV added, re-scored (fixed) "
                         "or removed, per index.")
                   .Register(registry)) {
  for (const std::string& label : labels) {
    for (std::string_view kind : kKinds)
      repairs_.Add({{"index", label}, {"kind", std::string(kind)}});
  }
}

void IndexRepairMetrics::Repaired(std::string_view label, const IndexRepairCounts& counts) {
  const std::string index(label);
  auto add = [&](std::string_view kind, int64_t n) {
    if (n > 0)
      repairs_.Add({{"index", index}, {"kind", std::string(kind)}})
          .Increment(static_cast<double>(n));
  };
  add("added", counts.added);
  add("fixed", counts.fixed);
  add("removed", counts.removed);
}

}  // namespace carecast::common
