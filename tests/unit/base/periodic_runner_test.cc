#include "services/common/base/periodic_runner.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace carecast::common {
namespace {

TEST(PeriodicRunnerTest, RunsAtOnceThenEveryPeriodAndNeverAfterStop) {
  std::atomic<int> runs{0};
  PeriodicRunner runner(absl::Milliseconds(5), [&] { ++runs; });
  runner.Start();
  runner.Start();  // a second Start makes no second thread
  while (runs.load() < 3) std::this_thread::yield();
  runner.Stop();
  const int at_stop = runs.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(runs.load(), at_stop);
  runner.Start();  // no restart after Stop
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(runs.load(), at_stop);
}

TEST(PeriodicRunnerTest, StopWakesAWaitingRunnerAtOnce) {
  std::atomic<int> runs{0};
  PeriodicRunner runner(absl::Hours(1), [&] { ++runs; });
  runner.Start();
  while (runs.load() < 1) std::this_thread::yield();
  const auto before = std::chrono::steady_clock::now();
  runner.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(5));
  EXPECT_EQ(runs.load(), 1);
}

TEST(PeriodicRunnerTest, NoThreadWithoutAPositivePeriod) {
  std::atomic<int> runs{0};
  PeriodicRunner runner(absl::ZeroDuration(), [&] { ++runs; });
  runner.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(runs.load(), 0);
}

}  // namespace
}  // namespace carecast::common
