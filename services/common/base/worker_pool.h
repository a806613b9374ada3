// A fixed set of threads that runs a batch of tasks and waits for all of them:
// the publisher dispatches the due posts of one cycle in parallel with it.
// With one thread the batch runs on the caller's thread, in order (no pool
// threads are made), so a single-threaded configuration behaves as before.
// RunAll may be called from one thread at a time. Tasks must not throw.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace carecast::common {

class WorkerPool {
 public:
  // `threads` is clamped to at least 1.
  explicit WorkerPool(size_t threads);
  // Waits for the running batch, then joins the threads.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs every task, at most size() at once, and returns when all have ended.
  void RunAll(std::vector<std::function<void()>> tasks);
  size_t size() const { return size_; }

 private:
  void Work();

  const size_t size_;
  std::mutex mu_;
  std::condition_variable work_cv_;          // a task was queued, or stop_
  std::condition_variable done_cv_;          // a task ended
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  size_t unfinished_ = 0;                    // guarded by mu_: queued + running
  bool stop_ = false;                        // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace carecast::common
