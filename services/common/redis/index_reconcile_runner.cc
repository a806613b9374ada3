#include "services/common/redis/index_reconcile_runner.h"

#include <utility>

namespace carecast::common {

IndexReconcileRunner::IndexReconcileRunner(absl::Duration period, std::function<void()> pass)
    : period_(period), pass_(std::move(pass)) {}

IndexReconcileRunner::~IndexReconcileRunner() { Stop(); }

void IndexReconcileRunner::Start() {
  absl::MutexLock start(&start_mu_);
  if (thread_.joinable()) return;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
}

void IndexReconcileRunner::Stop() {
  absl::MutexLock start(&start_mu_);
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void IndexReconcileRunner::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; };
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping), period_)) return;
    }
    pass_();
  }
}

}  // namespace carecast::common
