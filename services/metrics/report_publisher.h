// Publishes each finished ISO week's weekly reports (the hub's and every
// spoke's) as carecast.report.published, once per report. A week's reports go
// out `delay` after the week ends (so late engagement readings count), on the
// first tick after the replay has caught up.
//
// The event id is derived from the report's name, so the events stream drops
// the copy another replica publishes; a report already in the stream (seen on
// replay, ObserveReport) is never published again after a restart. Only the
// last finished week is published: a service down for longer does not make up
// older weeks (GetWeeklyReport still computes them). Thread-safe; references
// must outlive it.
#pragma once

#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/time/time.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/base/periodic_runner.h"
#include "services/common/bus/event_bus.h"
#include "services/metrics/metrics_service.h"
#include "services/metrics/weekly_report_builder.h"

namespace carecast::metrics {

struct ReportPublisherOptions {
  absl::Duration delay = absl::Hours(1);
  // Zero: no ticking thread; the owner calls Tick (tests do).
  absl::Duration tick = absl::Minutes(5);
};

class ReportPublisher {
 public:
  ReportPublisher(ReportPublisherOptions options, const MetricsService& service,
                  const ProgramFigures& figures, common::EventBus& bus, const common::Clock& clock,
                  common::Logger& logger);
  ~ReportPublisher();

  // From the event ingest: a carecast.report.published event in the stream.
  void ObserveReport(std::string_view event_id);
  // Publishes the reports of the last finished week that are due and not yet in
  // the stream; returns how many the bus acknowledged (the rest are tried at
  // the next tick).
  int Tick(absl::Time now);
  // Starts the ticking thread (none when tick is zero). Call once, after the
  // replay has caught up.
  void Start();
  void Stop();

  // The event id of report `name`.
  static std::string EventIdOf(std::string_view report_name);

 private:
  const ReportPublisherOptions options_;
  const MetricsService& service_;
  const ProgramFigures& figures_;
  common::EventBus& bus_;
  const common::Clock& clock_;
  common::Logger& logger_;

  std::mutex mu_;                                 // guards published_
  std::set<std::string, std::less<>> published_;  // event ids in the stream
  common::PeriodicRunner ticker_;                 // last: stopped before the rest is destroyed
};

}  // namespace carecast::metrics
