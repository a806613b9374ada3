#include "services/common/base/periodic_runner.h"

#include <utility>

namespace carecast::common {

PeriodicRunner::PeriodicRunner(absl::Duration period, std::function<void()> task)
    : period_(period), task_(std::move(task)) {}

PeriodicRunner::~PeriodicRunner() { Stop(); }

void PeriodicRunner::Start() {
  std::lock_guard lock(mu_);
  if (stopping_ || thread_.joinable() || period_ <= absl::ZeroDuration()) return;
  thread_ = std::thread([this] { Run(); });
}

void PeriodicRunner::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    task_();
    lock.lock();
    wake_.wait_for(lock, absl::ToChronoMilliseconds(period_), [this] { return stopping_; });
  }
}

void PeriodicRunner::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  // Start() cannot create the thread any more, so joining outside the lock is safe.
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

}  // namespace carecast::common
