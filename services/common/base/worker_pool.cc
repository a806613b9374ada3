#include "services/common/base/worker_pool.h"

#include <algorithm>
#include <memory>
#include <utility>

namespace carecast::common {

WorkerPool::WorkerPool(size_t threads) : size_(std::max<size_t>(threads, 1)) {
  if (size_ == 1) return;  // tasks run on the submitting thread
  threads_.reserve(size_);
  for (size_t i = 0; i < size_; ++i) threads_.emplace_back([this] { Work(); });
}

WorkerPool::~WorkerPool() {
  WaitIdle();
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void WorkerPool::Submit(std::function<void()> task) { Enqueue({std::move(task), nullptr}); }

void WorkerPool::SubmitFirst(std::function<void()> task) {
  Enqueue({std::move(task), nullptr}, /*first=*/true);
}

void WorkerPool::Enqueue(Job job, bool first) {
  if (threads_.empty()) {
    {
      std::lock_guard lock(mu_);
      ++unfinished_;
    }
    Finish(job);
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (first) {
      queue_.push_front(std::move(job));
    } else {
      queue_.push_back(std::move(job));
    }
    ++unfinished_;
  }
  work_cv_.notify_one();
}

void WorkerPool::Finish(Job& job) {
  job.task();
  {
    std::lock_guard lock(mu_);
    if (--unfinished_ == 0) idle_cv_.notify_all();
  }
  // After the count: whoever `done` releases sees the task gone from Pending().
  if (job.done) job.done();
}

void WorkerPool::RunAll(std::vector<std::function<void()>> tasks) {
  // A latch for this batch alone: other submitters' tasks do not delay it.
  struct Latch {
    std::mutex mu;
    std::condition_variable cv;
    size_t remaining = 0;
  };
  auto latch = std::make_shared<Latch>();
  latch->remaining = tasks.size();
  for (std::function<void()>& task : tasks) {
    Enqueue({std::move(task), [latch] {
               std::lock_guard lock(latch->mu);
               if (--latch->remaining == 0) latch->cv.notify_all();
             }});
  }
  std::unique_lock lock(latch->mu);
  latch->cv.wait(lock, [&] { return latch->remaining == 0; });
}

void WorkerPool::WaitIdle() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [this] { return unfinished_ == 0; });
}

size_t WorkerPool::Pending() const {
  std::lock_guard lock(mu_);
  return unfinished_;
}

void WorkerPool::Work() {
  while (true) {
    Job job;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stop_, nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    Finish(job);
  }
}

}  // namespace carecast::common
