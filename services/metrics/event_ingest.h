// Feeds ProgramFigures from the events stream. The figures are a pure function of
// the retained events: on every start an EPHEMERAL consumer with deliver_all
// replays CARECAST_EVENTS from its first event ("carecast.>"), rebuilding the
// figures from nothing, then follows live events. Nothing is stored elsewhere, so
// a restart, a second replica or a lost cache can never make the figures drift;
// figures for facts older than the stream's retention (30 days) fall away.
// Unknown subjects are acknowledged and ignored; undecodable payloads are rejected
// and counted. Thread-safe; every reference must outlive the object.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/base/logger.h"
#include "services/common/bus/event_bus.h"
#include "services/common/bus/event_catalogue.h"
#include "services/metrics/metrics_exposition.h"
#include "services/metrics/program_figures.h"
#include "services/metrics/report_publisher.h"
#include "services/metrics/spike_watch.h"

namespace carecast::metrics {

struct EventIngestOptions {
  std::string stream = std::string(common::streams::kEvents);
  std::string filter_subject = std::string(common::kAllSubjects);
  int batch_size = 256;
  // Log a progress line every this many events while replaying (0: never).
  int64_t progress_every = 1000;
  // How often the pending gauge is refreshed (and the end of the replay detected).
  absl::Duration poll_interval = absl::Seconds(2);
  // When the bus cannot report pending counts, this long without a delivery ends
  // the replay.
  absl::Duration quiet_period = absl::Seconds(1);
  // Called once, from the polling thread, when the replay has caught up.
  std::function<void()> on_caught_up;
};

// What the ingest works through; every reference must outlive it.
struct EventIngestDeps {
  common::EventBus& bus;
  ProgramFigures& figures;
  MetricsExposition& exposition;
  common::Logger& logger;
  // Classified mentions and alert events go to it too, when set.
  SpikeWatch* spikes = nullptr;
  // Told of the weekly reports already published, when set.
  ReportPublisher* reports = nullptr;
};

class EventIngest {
 public:
  // An ingest that has not started. INVALID_ARGUMENT when options.stream or
  // options.filter_subject is empty, batch_size is below 1 or progress_every
  // negative.
  static absl::StatusOr<std::unique_ptr<EventIngest>> Create(const EventIngestOptions& options,
                                                             const EventIngestDeps& deps);
  ~EventIngest();

  // Subscribes and starts the polling thread. Call once.
  absl::Status Start();
  // Stops polling, then deliveries; the handler is not called after it returns.
  void Stop();

  // Tells the figures how many events the replay holds (Start() does, with the
  // consumer's pending count), so they make room once.
  void ExpectEvents(int64_t events) { figures_.ReserveEvents(events); }
  // Handles one delivered event (the subscription's handler; public for tests).
  common::Disposition Handle(const common::Event& event);
  // Refreshes carecast_metrics_consumer_pending; the first time the consumer has
  // nothing pending, the replay is complete (logged, on_caught_up called).
  void Poll();

  bool caught_up() const { return caught_up_.load(); }
  // Waits until the replay has caught up; false on timeout.
  bool WaitCaughtUp(absl::Duration timeout);
  int64_t events_handled() const { return handled_.load(); }
  int64_t events_rejected() const { return rejected_.load(); }

 private:
  EventIngest(const EventIngestOptions& options, const EventIngestDeps& deps);
  // Decodes and applies one event of a known subject; false when the subject is
  // not one the figures use.
  absl::StatusOr<bool> Apply(const common::Event& event);
  void PollLoop();

  common::EventBus& bus_;
  ProgramFigures& figures_;
  MetricsExposition& exposition_;
  common::Logger& logger_;
  SpikeWatch* const spikes_;
  ReportPublisher* const reports_;
  const EventIngestOptions options_;

  std::atomic<int64_t> handled_{0};
  std::atomic<int64_t> rejected_{0};
  std::atomic<bool> caught_up_{false};

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                               // guarded by mu_
  std::unique_ptr<common::Subscription> subscription_;  // guarded by mu_
  std::thread poller_;
  // Used by Poll() only (one polling thread, or a test calling it).
  int64_t last_seen_handled_ = -1;
  std::chrono::steady_clock::time_point last_progress_ = std::chrono::steady_clock::now();
};

}  // namespace carecast::metrics
