#include "services/common/base/periodic_runner.h"

#include <algorithm>
#include <utility>

namespace carecast::common {
namespace {

// steady_clock::now() + the wait must not overflow (an infinite period is
// ToChronoNanoseconds' maximum); a century is as good as never.
constexpr absl::Duration kLongestWait = absl::Hours(24 * 365 * 100);

}  // namespace

PeriodicRunner::PeriodicRunner(absl::Duration period, FirstRun first_run,
                               std::function<void()> task)
    : period_(period), first_run_(first_run), task_(std::move(task)) {}

PeriodicRunner::~PeriodicRunner() { Stop(); }

bool PeriodicRunner::OnLoopThread() {
  std::lock_guard lock(mu_);
  return loop_id_ == std::this_thread::get_id();
}

void PeriodicRunner::Start() {
  // Inside the task the runner runs already, or a Stop() in another thread
  // holds start_mu_ while it waits for this task to end: taking it would deadlock.
  if (period_ <= absl::ZeroDuration() || OnLoopThread()) return;
  std::lock_guard start(start_mu_);
  {
    std::lock_guard lock(mu_);
    if (thread_.joinable() && !stopping_) return;
  }
  // A runner stopped from inside its task ends once the task returns.
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  stopping_ = false;
  // The loop's first step takes mu_, so loop_id_ is set before the task runs.
  thread_ = std::thread([this] { Loop(); });
  loop_id_ = thread_.get_id();
}

void PeriodicRunner::Stop() {
  if (OnLoopThread()) {
    // A thread cannot join itself; the loop ends when the task returns.
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    return;
  }
  std::lock_guard start(start_mu_);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (!thread_.joinable()) return;
  thread_.join();
  std::lock_guard lock(mu_);
  loop_id_ = std::thread::id();  // a joined thread's id may be reused
}

void PeriodicRunner::Loop() {
  const auto period = absl::ToChronoNanoseconds(std::min(period_, kLongestWait));
  bool wait = first_run_ == FirstRun::kAfterOnePeriod;
  std::unique_lock lock(mu_);
  while (true) {
    if (wait) {
      wake_.wait_for(lock, period, [this] { return stopping_; });
    }
    if (stopping_) return;
    lock.unlock();
    task_();
    lock.lock();
    wait = true;
  }
}

}  // namespace carecast::common
