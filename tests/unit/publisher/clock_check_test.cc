#include "services/publisher/clock_check.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"

namespace carecast::publisher {
namespace {

// A server whose clock is the fake clock minus `behind` (this clock `behind` ahead).
class ClockCheckTest : public ::testing::Test {
 protected:
  ClockCheck MakeCheck(absl::Duration tolerance) {
    return ClockCheck(
        {.tolerance = tolerance, .period = absl::Seconds(5)},
        [this]() -> absl::StatusOr<absl::Time> {
          ++asked_;
          if (!server_up_) return absl::UnavailableError("down");
          return clock_.Now() - ahead_;
        },
        clock_, logger_, registry_);
  }

  common::FakeClock clock_;
  common::CapturingLogger logger_;
  prometheus::Registry registry_;
  absl::Duration ahead_ = absl::ZeroDuration();
  bool server_up_ = true;
  int asked_ = 0;
};

TEST_F(ClockCheckTest, AllowsAClockThatAgreesAndRefusesOneOffByMoreThanTheTolerance) {
  ClockCheck check = MakeCheck(absl::Seconds(2));
  EXPECT_TRUE(check.Allows());
  EXPECT_EQ(check.offset(), absl::ZeroDuration());

  ahead_ = absl::Seconds(30);
  EXPECT_TRUE(check.Allows()) << "measured again only once a period has passed";
  clock_.Advance(absl::Seconds(5));
  EXPECT_FALSE(check.Allows());
  EXPECT_EQ(check.offset(), absl::Seconds(30));

  ahead_ = -absl::Seconds(3);  // behind counts as much as ahead
  clock_.Advance(absl::Seconds(5));
  EXPECT_FALSE(check.Allows());

  ahead_ = absl::Seconds(1);
  clock_.Advance(absl::Seconds(5));
  EXPECT_TRUE(check.Allows());
  EXPECT_EQ(asked_, 4);
}

TEST_F(ClockCheckTest, RefusesUntilOneMeasurementConcludesThenKeepsTheLastVerdict) {
  server_up_ = false;
  ClockCheck check = MakeCheck(absl::Seconds(2));
  EXPECT_FALSE(check.Allows()) << "a publisher that cannot tell does not claim";
  server_up_ = true;
  clock_.Advance(absl::Seconds(5));
  EXPECT_TRUE(check.Allows());
  server_up_ = false;
  ahead_ = absl::Seconds(30);
  clock_.Advance(absl::Seconds(5));
  EXPECT_TRUE(check.Allows()) << "an unanswered measurement keeps the last verdict";
}

TEST_F(ClockCheckTest, AZeroToleranceTurnsTheCheckOff) {
  ahead_ = absl::Hours(1);
  ClockCheck check = MakeCheck(absl::ZeroDuration());
  EXPECT_TRUE(check.Allows());
  EXPECT_EQ(asked_, 0);
}

}  // namespace
}  // namespace carecast::publisher
