// Redis command health as Prometheus series, fed by the Redis adapter (a
// RedisObserver):
//   carecast_redis_command_seconds{op}   histogram of one call's round trip
//   carecast_redis_errors_total{op}      calls that returned an error
//   carecast_redis_connected             gauge 0/1
// `op` is a RedisOpLabel: command names our code sends, a small fixed set.
// Thread-safe; the registry must outlive this object.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "services/common/redis/redis_observer.h"

namespace carecast::common {

class RedisMetrics final : public RedisObserver {
 public:
  // Creates the series of every op in `known_ops` at zero, so dashboards and
  // alerts see them before the first call.
  RedisMetrics(prometheus::Registry& registry, const std::vector<std::string>& known_ops);

  void CommandDone(std::string_view op, absl::Duration elapsed, bool ok) override;
  void ConnectionChanged(bool connected) override;

 private:
  std::pair<prometheus::Histogram*, prometheus::Counter*> Series(std::string_view op);

  prometheus::Family<prometheus::Histogram>& seconds_family_;
  prometheus::Family<prometheus::Counter>& errors_family_;
  prometheus::Gauge& connected_;

  std::mutex mu_;  // guards series_
  std::map<std::string, std::pair<prometheus::Histogram*, prometheus::Counter*>, std::less<>>
      series_;
};

}  // namespace carecast::common
