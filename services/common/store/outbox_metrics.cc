#include "services/common/store/outbox_metrics.h"

namespace carecast::common {

OutboxMetrics::OutboxMetrics(prometheus::Registry& registry,
                             const std::vector<std::string>& buckets)
    : flushed_(prometheus::BuildCounter()
                   .Name("carecast_outbox_items_flushed_total")
                   .Help("Events and audit entries of entity writes confirmed on the bus")
                   .Register(registry)),
      deferred_(prometheus::BuildCounter()
                    .Name("carecast_outbox_flush_deferred_total")
                    .Help("Entity writes whose events could not be flushed at once (left to "
                          "the outbox relay)")
                    .Register(registry)),
      relayed_(prometheus::BuildCounter()
                   .Name("carecast_outbox_relayed_total")
                   .Help("Writes left owing (crash or bus outage) settled by the outbox relay")
                   .Register(registry)),
      backlog_(prometheus::BuildGauge()
                   .Name("carecast_outbox_backlog_markers")
                   .Help("Entity writes still owing events past the relay's grace, at its "
                         "last sweep")
                   .Register(registry)) {
  for (const std::string& bucket : buckets) For(bucket);
}

OutboxMetrics::Series& OutboxMetrics::For(std::string_view bucket) {
  absl::MutexLock lock(&mu_);
  auto it = series_.find(bucket);
  if (it != series_.end()) return it->second;
  const std::map<std::string, std::string> labels{{"bucket", std::string(bucket)}};
  Series series{.flushed = &flushed_.Add(labels),
                .deferred = &deferred_.Add(labels),
                .relayed = &relayed_.Add(labels),
                .backlog = &backlog_.Add(labels)};
  return series_.emplace(std::string(bucket), series).first->second;
}

void OutboxMetrics::Flushed(std::string_view bucket, int items) {
  For(bucket).flushed->Increment(items);
}
void OutboxMetrics::FlushDeferred(std::string_view bucket) { For(bucket).deferred->Increment(); }
void OutboxMetrics::Relayed(std::string_view bucket) { For(bucket).relayed->Increment(); }
void OutboxMetrics::Backlog(std::string_view bucket, int64_t markers) {
  For(bucket).backlog->Set(static_cast<double>(markers));
}

}  // namespace carecast::common
