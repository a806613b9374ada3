// A fixed set of threads that runs tasks as they are submitted. The publisher
// hands each due post to it, so one slow network call holds up only its own
// post. With one thread every task runs on the submitting thread at once, in
// order (no pool threads are made), so a single-threaded configuration
// behaves as a plain loop. Thread-safe. Tasks must not throw.
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
  // Runs what was submitted, then joins the threads.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task` (runs it now, on this thread, when size() is 1).
  void Submit(std::function<void()> task);
  // Queues `task` ahead of everything waiting (work that is due now, behind
  // work that may wait); the same as Submit when size() is 1.
  void SubmitFirst(std::function<void()> task);
  // Submits every task and returns when all of them have ended.
  void RunAll(std::vector<std::function<void()>> tasks);
  // Returns when nothing is queued or running.
  void WaitIdle();
  // Tasks queued or running now.
  size_t Pending() const;
  size_t size() const { return size_; }

 private:
  // A task and what to run once it no longer counts as pending (RunAll's latch).
  struct Job {
    std::function<void()> task;
    std::function<void()> done;
  };
  void Enqueue(Job job, bool first = false);
  void Finish(Job& job);
  void Work();

  const size_t size_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // a task was queued, or stop_
  std::condition_variable idle_cv_;  // unfinished_ reached 0
  std::deque<Job> queue_;            // guarded by mu_
  size_t unfinished_ = 0;            // guarded by mu_: queued + running
  bool stop_ = false;                // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace carecast::common
