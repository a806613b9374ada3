#include "services/common/base/shutdown_signal.h"

#include <signal.h>

#include <gtest/gtest.h>

namespace carecast::common {
namespace {

// raise() sends to the calling thread; with the signals blocked they stay
// pending until the wait picks them up instead of killing the test.
TEST(ShutdownSignalTest, WaitReturnsTheRaisedSignal) {
  BlockShutdownSignals();
  ASSERT_EQ(raise(SIGTERM), 0);
  EXPECT_EQ(WaitForShutdownSignal(), SIGTERM);
  ASSERT_EQ(raise(SIGINT), 0);
  EXPECT_EQ(WaitForShutdownSignalFor(absl::Seconds(5)), SIGINT);
}

TEST(ShutdownSignalTest, TimedWaitGivesUpWithoutASignal) {
  BlockShutdownSignals();
  EXPECT_EQ(WaitForShutdownSignalFor(absl::Milliseconds(20)), std::nullopt);
}

}  // namespace
}  // namespace carecast::common
