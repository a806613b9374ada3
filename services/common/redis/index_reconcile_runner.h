// Runs index reconciliation on one background thread: Start() begins a thread
// that calls `pass` every `period` (the first call one period after Start; the
// owner runs its start-up pass itself, where it can log and degrade), until
// Stop(). Errors of a pass are the pass's to log; the runner just tries again a
// period later. Services whose core has no loop of its own (planner, listener)
// use it; the publisher drives its passes from its dispatch loop. Thread-safe;
// the destructor stops.
#pragma once

#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace carecast::common {

class IndexReconcileRunner {
 public:
  IndexReconcileRunner(absl::Duration period, std::function<void()> pass);
  ~IndexReconcileRunner();
  IndexReconcileRunner(const IndexReconcileRunner&) = delete;
  IndexReconcileRunner& operator=(const IndexReconcileRunner&) = delete;

  // Idempotent; a stopped runner may be started again.
  void Start();
  // Returns once the pass in flight (if any) has finished.
  void Stop();

 private:
  void Loop();

  const absl::Duration period_;
  const std::function<void()> pass_;
  absl::Mutex start_mu_;  // serialises Start and Stop
  std::thread thread_ ABSL_GUARDED_BY(start_mu_);
  absl::Mutex mu_ ABSL_ACQUIRED_AFTER(start_mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace carecast::common
