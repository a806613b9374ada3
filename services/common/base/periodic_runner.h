// Runs a task on its own thread at once and then every `period`, until
// stopped: the ticking loop of background watchers (spike alerts, weekly
// reports). Stop() wakes a waiting runner at once and returns after a running
// task has ended, so the task never runs after Stop() returns. Thread-safe;
// Start and Stop may be called more than once. The task must not throw.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/time/time.h"

namespace carecast::common {

class PeriodicRunner {
 public:
  // A period of zero or less never starts a thread (the owner runs the task
  // itself, as tests do).
  PeriodicRunner(absl::Duration period, std::function<void()> task);
  ~PeriodicRunner();  // Stop()
  PeriodicRunner(const PeriodicRunner&) = delete;
  PeriodicRunner& operator=(const PeriodicRunner&) = delete;

  // Starts the thread, unless it runs already, the period is not positive or
  // Stop() was called.
  void Start();
  void Stop();

 private:
  void Run();

  const absl::Duration period_;
  const std::function<void()> task_;
  std::mutex mu_;  // guards stopping_ and thread_'s start
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace carecast::common
