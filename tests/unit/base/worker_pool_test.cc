// WorkerPool: every task runs exactly once, no more than size() at a time;
// RunAll returns only after the last of its batch ended, WaitIdle after every
// submitted task ended.
#include "services/common/base/worker_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/time/clock.h"
#include <gtest/gtest.h>

namespace carecast::common {
namespace {

TEST(WorkerPoolTest, RunsEveryTaskOnceWithAtMostSizeAtATimeAndWaitsForAll) {
  WorkerPool pool(4);
  std::atomic<int> running{0};
  std::atomic<int> peak{0};
  std::vector<std::atomic<int>> runs(40);
  std::vector<std::function<void()>> tasks;
  for (size_t i = 0; i < runs.size(); ++i) {
    tasks.push_back([&, i] {
      int now = ++running;
      int seen = peak.load();
      while (now > seen && !peak.compare_exchange_weak(seen, now)) {
      }
      absl::SleepFor(absl::Milliseconds(5));
      ++runs[i];
      --running;
    });
  }
  pool.RunAll(std::move(tasks));
  EXPECT_EQ(running.load(), 0) << "RunAll returned while tasks were running";
  for (size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(runs[i].load(), 1) << "task " << i;
  EXPECT_LE(peak.load(), 4);
  EXPECT_GE(peak.load(), 2) << "the tasks never overlapped";
}

TEST(WorkerPoolTest, OneThreadRunsTheBatchOnTheCallersThreadInOrder) {
  WorkerPool pool(0);  // clamped to one
  EXPECT_EQ(pool.size(), 1u);
  std::vector<int> order;
  const std::thread::id caller = std::this_thread::get_id();
  bool same_thread = true;
  std::vector<std::function<void()>> tasks;
  tasks.reserve(5);
  for (int i = 0; i < 5; ++i) {
    tasks.push_back([&, i] {
      same_thread = same_thread && std::this_thread::get_id() == caller;
      order.push_back(i);
    });
  }
  pool.RunAll(std::move(tasks));
  EXPECT_TRUE(same_thread);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(WorkerPoolTest, SubmitFirstRunsAheadOfWhatIsWaiting) {
  WorkerPool pool(2);
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::vector<int> order;
  // Both threads busy until released; then three waiting tasks and one urgent.
  for (int i = 0; i < 2; ++i) {
    pool.Submit([&] {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return release; });
    });
  }
  // A waiting task that starts gives the urgent one up to 5 s to record
  // itself first: when the urgent task is among the first two taken, it always
  // is first in `order` however the threads are scheduled; queued behind them,
  // it could not be.
  for (int i = 1; i <= 3; ++i) {
    pool.Submit([&, i] {
      std::unique_lock lock(mu);
      cv.wait_for(lock, std::chrono::seconds(5),
                  [&] { return std::find(order.begin(), order.end(), 0) != order.end(); });
      order.push_back(i);
    });
  }
  pool.SubmitFirst([&] {
    {
      std::lock_guard lock(mu);
      order.push_back(0);
    }
    cv.notify_all();
  });
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  pool.WaitIdle();
  ASSERT_EQ(order.size(), 4u);
  // Two threads take the front two: the urgent one is among them, so it
  // recorded itself first (queued last with Submit, it would be last).
  EXPECT_EQ(order.front(), 0) << "the urgent task waited behind the others";
}

TEST(WorkerPoolTest, BatchesCanFollowOneAnother) {
  WorkerPool pool(3);
  std::atomic<int> total{0};
  for (int batch = 0; batch < 20; ++batch) {
    std::vector<std::function<void()>> tasks(7, [&] { ++total; });
    pool.RunAll(std::move(tasks));
    EXPECT_EQ(total.load(), (batch + 1) * 7);
  }
  pool.RunAll({});  // an empty batch returns at once
}

TEST(WorkerPoolTest, SubmitDoesNotWaitAndWaitIdleWaitsForEverything) {
  WorkerPool pool(2);
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> ended{0};
  for (int i = 0; i < 3; ++i) {
    pool.Submit([&] {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return release; });
      ++ended;
    });
  }
  EXPECT_EQ(pool.Pending(), 3u) << "Submit waited for its task";
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  pool.WaitIdle();
  EXPECT_EQ(ended.load(), 3);
  EXPECT_EQ(pool.Pending(), 0u);
}

TEST(WorkerPoolTest, RunAllWaitsForItsOwnBatchNotForOtherSubmitters) {
  WorkerPool pool(3);
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  pool.Submit([&] {  // a long task submitted elsewhere
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return release; });
  });
  std::atomic<int> ran{0};
  pool.RunAll(std::vector<std::function<void()>>(4, [&] { ++ran; }));
  EXPECT_EQ(ran.load(), 4);
  EXPECT_EQ(pool.Pending(), 1u) << "the other task is still running";
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  pool.WaitIdle();
}

}  // namespace
}  // namespace carecast::common
