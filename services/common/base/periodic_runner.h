// Runs a task on its own thread every `period` until stopped: the loop of the
// background passes (index reconciliation, SLA checks, evergreen recycling,
// spike alerts, weekly reports, token expiry scans). FirstRun says whether the
// first run is at once or one period after Start; owners that run a start-up
// pass themselves (where they can log it and degrade) take kAfterOnePeriod.
// Errors are the task's to handle; the runner just runs it again a period
// later. The task must not throw.
//
// Stop() wakes a waiting runner at once and returns after a running task has
// ended, so the task never runs after Stop() returns; a stopped runner may be
// started again. Thread-safe; Start and Stop are idempotent. From inside the
// task, Stop() only asks the runner to end after the task returns, and Start()
// does nothing. The destructor stops.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"

namespace carecast::common {

class PeriodicRunner {
 public:
  enum class FirstRun {
    kAtOnce,          // at Start, then every period
    kAfterOnePeriod,  // one period after Start, then every period
  };

  // A period of zero or less never starts a thread (the owner runs the task
  // itself, as tests do).
  PeriodicRunner(absl::Duration period, FirstRun first_run, std::function<void()> task);
  ~PeriodicRunner();  // Stop()
  PeriodicRunner(const PeriodicRunner&) = delete;
  PeriodicRunner& operator=(const PeriodicRunner&) = delete;

  // Starts the thread, unless it runs already or the period is not positive.
  void Start();
  // Returns once the task in flight (if any) has ended.
  void Stop();

 private:
  void Loop();
  // Whether the caller is the runner's thread (that is, inside the task).
  bool OnLoopThread() ABSL_LOCKS_EXCLUDED(mu_);

  const absl::Duration period_;
  const FirstRun first_run_;
  const std::function<void()> task_;
  // std::mutex rather than absl::Mutex: Debian's abseil is not built with TSan,
  // which then cannot see an absl::Mutex and reports false races.
  std::mutex start_mu_;  // serialises Start and Stop; taken before mu_
  std::thread thread_ ABSL_GUARDED_BY(start_mu_);
  std::mutex mu_;
  std::condition_variable wake_;  // stopping_ was set
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread::id loop_id_ ABSL_GUARDED_BY(mu_);  // thread_'s id until it is joined
};

}  // namespace carecast::common
