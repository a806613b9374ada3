// Runs the spike detector (spike_detector.h) on the mentions the metrics
// service replays and follows, and announces its alerts on the bus as
// carecast.alert.raised and carecast.alert.resolved (payload AlertChanged,
// with the evidence: the count, the baseline, the bound, sample mentions).
//
// Every replica replays the same events, and the detector is deterministic in
// the mentions' receive times, so every replica reaches the same alerts. An
// alert's event id is derived from its series, interval and change, so the
// events stream drops the copies other replicas publish; an alert already in
// the stream (seen on replay) is never published again after a restart.
// Alerts of intervals that closed before the replay caught up are history:
// they set the detector's state but are not announced.
// Thread-safe; references must outlive it.
#pragma once

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "carecast/v1/events.pb.h"
#include "carecast/v1/resources.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/base/periodic_runner.h"
#include "services/common/bus/event_bus.h"
#include "services/metrics/spike_detector.h"

namespace carecast::metrics {

struct SpikeWatchOptions {
  SpikeOptions detector;
  // How often closed intervals are looked at once the replay has caught up.
  // Zero: no ticking thread; the owner calls Tick (tests do).
  absl::Duration tick = absl::Seconds(15);
};

class SpikeWatch {
 public:
  SpikeWatch(SpikeWatchOptions options, common::EventBus& bus, const common::Clock& clock,
             common::Logger& logger, prometheus::Registry& registry);
  ~SpikeWatch();

  // From the event ingest, in stream order.
  void ObserveMention(const v1::Mention& mention, absl::Time event_time);
  void ObserveAlert(const v1::AlertChanged& alert, std::string_view event_id);

  // Once the replay has caught up: from now on closed intervals are announced.
  // Marks the replay caught up and starts the ticking thread (none when
  // `tick` is zero). Call once.
  void Start();
  void Stop();

  // Closes the intervals that ended by `now` and publishes their alerts (the
  // ticking thread's work; public for tests). The number of events published.
  int Tick(absl::Time now);

  // "alerts/<series>.<interval start, unix seconds>" with ':' as '.'.
  static std::string AlertName(std::string_view series, absl::Time interval_start);

 private:
  v1::Alert ToProto(const SpikeAlert& alert) const;

  const SpikeWatchOptions options_;
  common::EventBus& bus_;
  const common::Clock& clock_;
  common::Logger& logger_;
  prometheus::Family<prometheus::Counter>& raised_;
  prometheus::Family<prometheus::Gauge>& active_;

  std::mutex mu_;  // guards detector_, published_, live_from_
  SpikeDetector detector_;
  std::set<std::string> published_;    // event ids already in the stream
  std::vector<common::Event> unsent_;  // refused by the bus; retried first at the next tick
  absl::Time live_from_ = absl::InfiniteFuture();
  bool started_ = false;           // guarded by mu_
  common::PeriodicRunner ticker_;  // last: stopped before the rest is destroyed
};

}  // namespace carecast::metrics
