// The outbox as Prometheus series (an OutboxObserver):
//   carecast_outbox_items_flushed_total{bucket}    counter: events and audit entries confirmed
//   carecast_outbox_flush_deferred_total{bucket}   counter: flushes left to the relay
//   carecast_outbox_relayed_total{bucket}          counter: markers the relay settled
//   carecast_outbox_backlog_markers{bucket}        gauge: markers past their grace, last sweep
// `bucket` is one of the service's fixed buckets. Thread-safe; the registry must
// outlive this object.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "services/common/store/outbox.h"

namespace carecast::common {

class OutboxMetrics final : public OutboxObserver {
 public:
  // Creates every bucket's series at zero, so alerts see them before any activity.
  OutboxMetrics(prometheus::Registry& registry, const std::vector<std::string>& buckets);

  void Flushed(std::string_view bucket, int items) override;
  void FlushDeferred(std::string_view bucket) override;
  void Relayed(std::string_view bucket) override;
  void Backlog(std::string_view bucket, int64_t markers) override;

 private:
  struct Series {
    prometheus::Counter* flushed = nullptr;
    prometheus::Counter* deferred = nullptr;
    prometheus::Counter* relayed = nullptr;
    prometheus::Gauge* backlog = nullptr;
  };
  Series& For(std::string_view bucket);

  prometheus::Family<prometheus::Counter>& flushed_;
  prometheus::Family<prometheus::Counter>& deferred_;
  prometheus::Family<prometheus::Counter>& relayed_;
  prometheus::Family<prometheus::Gauge>& backlog_;
  absl::Mutex mu_;
  std::map<std::string, Series, std::less<>> series_ ABSL_GUARDED_BY(mu_);
};

}  // namespace carecast::common
