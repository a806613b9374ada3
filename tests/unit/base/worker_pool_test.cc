// WorkerPool: every task runs exactly once, no more than size() at a time, and
// RunAll returns only after the last one ended.
#include "services/common/base/worker_pool.h"

#include <algorithm>
#include <atomic>
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

}  // namespace
}  // namespace carecast::common
