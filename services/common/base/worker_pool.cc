#include "services/common/base/worker_pool.h"

#include <algorithm>
#include <utility>

namespace carecast::common {

WorkerPool::WorkerPool(size_t threads) : size_(std::max<size_t>(threads, 1)) {
  if (size_ == 1) return;  // RunAll runs on the caller's thread
  threads_.reserve(size_);
  for (size_t i = 0; i < size_; ++i) threads_.emplace_back([this] { Work(); });
}

WorkerPool::~WorkerPool() {
  {
    std::unique_lock lock(mu_);
    done_cv_.wait(lock, [this] { return unfinished_ == 0; });
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void WorkerPool::RunAll(std::vector<std::function<void()>> tasks) {
  if (tasks.empty()) return;
  if (threads_.empty()) {
    for (std::function<void()>& task : tasks) task();
    return;
  }
  {
    std::lock_guard lock(mu_);
    for (std::function<void()>& task : tasks) queue_.push_back(std::move(task));
    unfinished_ += tasks.size();
  }
  work_cv_.notify_all();
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [this] { return unfinished_ == 0; });
}

void WorkerPool::Work() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stop_, nothing left
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
    bool last = false;
    {
      std::lock_guard lock(mu_);
      last = --unfinished_ == 0;
    }
    if (last) done_cv_.notify_all();
  }
}

}  // namespace carecast::common
