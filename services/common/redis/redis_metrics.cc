#include "services/common/redis/redis_metrics.h"

namespace carecast::common {
namespace {

// Loopback and in-zone round trips take tens to hundreds of microseconds; the
// upper buckets reach the client's 2 s timeout.
prometheus::Histogram::BucketBoundaries CommandBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
}

}  // namespace

RedisMetrics::RedisMetrics(prometheus::Registry& registry,
                           const std::vector<std::string>& known_ops)
    : seconds_family_(prometheus::BuildHistogram()
                          .Name("carecast_redis_command_seconds")
                          .Help("Round trip of one Redis command or pipeline, by command.")
                          .Register(registry)),
      errors_family_(prometheus::BuildCounter()
                         .Name("carecast_redis_errors_total")
                         .Help("Redis commands or pipelines that failed (unreachable, "
                               "connection lost, error reply), by command.")
                         .Register(registry)),
      connected_(prometheus::BuildGauge()
                     .Name("carecast_redis_connected")
                     .Help("1 while the connection to Redis is up, else 0.")
                     .Register(registry)
                     .Add({})) {
  for (const std::string& op : known_ops) Series(op);
}

std::pair<prometheus::Histogram*, prometheus::Counter*> RedisMetrics::Series(std::string_view op) {
  std::lock_guard lock(mu_);
  auto it = series_.find(op);
  if (it == series_.end()) {
    const prometheus::Labels labels = {{"op", std::string(op)}};
    it =
        series_
            .emplace(std::string(op), std::make_pair(&seconds_family_.Add(labels, CommandBuckets()),
                                                     &errors_family_.Add(labels)))
            .first;
  }
  return it->second;
}

void RedisMetrics::CommandDone(std::string_view op, absl::Duration elapsed, bool ok) {
  auto [seconds, errors] = Series(op);
  seconds->Observe(absl::ToDoubleSeconds(elapsed));
  if (!ok) errors->Increment();
}

void RedisMetrics::ConnectionChanged(bool connected) { connected_.Set(connected ? 1 : 0); }

}  // namespace carecast::common
