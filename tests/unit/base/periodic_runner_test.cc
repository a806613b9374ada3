#include "services/common/base/periodic_runner.h"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "absl/time/clock.h"
#include <gtest/gtest.h>

namespace carecast::common {
namespace {

using FirstRun = PeriodicRunner::FirstRun;

constexpr absl::Duration kTimeout = absl::Seconds(10);

// Waits until `count` reaches `at_least`; false after kTimeout.
bool WaitFor(const std::atomic<int>& count, int at_least) {
  const absl::Time deadline = absl::Now() + kTimeout;
  while (count.load() < at_least) {
    if (absl::Now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(PeriodicRunnerTest, RunsAtOnceThenEveryPeriodAndNeverAfterStop) {
  std::atomic<int> runs{0};
  PeriodicRunner runner(absl::Milliseconds(5), FirstRun::kAtOnce, [&] { ++runs; });
  runner.Start();
  ASSERT_TRUE(WaitFor(runs, 3));
  runner.Stop();
  const int at_stop = runs.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(runs.load(), at_stop);
}

TEST(PeriodicRunnerTest, AtOnceRunsAtStartNotAPeriodLater) {
  std::atomic<int> runs{0};
  PeriodicRunner runner(absl::Hours(1), FirstRun::kAtOnce, [&] { ++runs; });
  runner.Start();
  EXPECT_TRUE(WaitFor(runs, 1));
  runner.Stop();
  EXPECT_EQ(runs.load(), 1);
}

TEST(PeriodicRunnerTest, AfterOnePeriodWaitsAPeriodThenRunsEveryPeriod) {
  std::atomic<int> runs{0};
  PeriodicRunner waiting(absl::Hours(1), FirstRun::kAfterOnePeriod, [&] { ++runs; });
  waiting.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  waiting.Stop();
  EXPECT_EQ(runs.load(), 0);

  PeriodicRunner ticking(absl::Milliseconds(5), FirstRun::kAfterOnePeriod, [&] { ++runs; });
  ticking.Start();
  EXPECT_TRUE(WaitFor(runs, 3));
  ticking.Stop();
}

TEST(PeriodicRunnerTest, StartAndStopAreIdempotent) {
  std::atomic<int> runs{0};
  PeriodicRunner runner(absl::Hours(1), FirstRun::kAtOnce, [&] { ++runs; });
  runner.Stop();  // before any Start
  runner.Start();
  runner.Start();  // no second thread: a second one would run at once as well
  ASSERT_TRUE(WaitFor(runs, 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(runs.load(), 1);
  runner.Stop();
  runner.Stop();
  EXPECT_EQ(runs.load(), 1);
}

TEST(PeriodicRunnerTest, RestartsAfterStop) {
  std::atomic<int> runs{0};
  PeriodicRunner runner(absl::Hours(1), FirstRun::kAtOnce, [&] { ++runs; });
  runner.Start();
  ASSERT_TRUE(WaitFor(runs, 1));
  runner.Stop();
  runner.Start();
  EXPECT_TRUE(WaitFor(runs, 2));
  runner.Stop();
  EXPECT_EQ(runs.load(), 2);
}

TEST(PeriodicRunnerTest, StopWakesAWaitingRunnerAtOnce) {
  for (FirstRun first_run : {FirstRun::kAtOnce, FirstRun::kAfterOnePeriod}) {
    PeriodicRunner runner(absl::Hours(1), first_run, [] {});
    runner.Start();
    const absl::Time before = absl::Now();
    runner.Stop();
    EXPECT_LT(absl::Now() - before, absl::Seconds(5));
  }
}

TEST(PeriodicRunnerTest, StopReturnsOnlyAfterTheRunningTaskHasEnded) {
  std::promise<void> in_task;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> task_ended{false};
  PeriodicRunner runner(absl::Hours(1), FirstRun::kAtOnce, [&] {
    in_task.set_value();
    released.wait();
    task_ended = true;
  });
  runner.Start();
  ASSERT_EQ(in_task.get_future().wait_for(absl::ToChronoSeconds(kTimeout)),
            std::future_status::ready);

  std::atomic<bool> stopped{false};
  bool ended_when_stopped = false;
  std::thread stopper([&] {
    runner.Stop();
    ended_when_stopped = task_ended.load();
    stopped = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_FALSE(stopped.load());  // the task is still running
  release.set_value();
  stopper.join();
  EXPECT_TRUE(ended_when_stopped);
}

TEST(PeriodicRunnerTest, StopFromInsideTheTaskEndsTheRunnerAfterTheTask) {
  std::atomic<int> runs{0};
  PeriodicRunner* self = nullptr;
  PeriodicRunner runner(absl::Milliseconds(1), FirstRun::kAtOnce, [&] {
    ++runs;
    self->Start();  // inside the task: nothing to do
    self->Stop();   // must not deadlock by joining itself
  });
  self = &runner;
  runner.Start();
  ASSERT_TRUE(WaitFor(runs, 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(runs.load(), 1);
  runner.Start();  // a runner stopped by its task starts again
  EXPECT_TRUE(WaitFor(runs, 2));
  runner.Stop();
}

TEST(PeriodicRunnerTest, NoThreadWithoutAPositivePeriod) {
  std::atomic<int> runs{0};
  PeriodicRunner runner(absl::ZeroDuration(), FirstRun::kAtOnce, [&] { ++runs; });
  runner.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(runs.load(), 0);
  runner.Stop();
}

}  // namespace
}  // namespace carecast::common
