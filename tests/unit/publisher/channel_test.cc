#include "services/publisher/channels/channel.h"

#include <gtest/gtest.h>

#include "services/publisher/channels/channel_registry.h"
#include "tests/unit/publisher/fake_channel.h"

namespace carecast::publisher {
namespace {

TEST(ChannelErrorTest, EveryKindSurvivesTheRoundTrip) {
  for (ChannelErrorKind kind : {ChannelErrorKind::kRetryable, ChannelErrorKind::kRateLimited,
                                ChannelErrorKind::kAuthExpired, ChannelErrorKind::kPermanent,
                                ChannelErrorKind::kOutcomeUnknown}) {
    ChannelFailure f = ClassifyChannelError(MakeChannelError(kind, "boom"));
    EXPECT_EQ(f.kind, kind) << ChannelErrorKindName(kind);
    EXPECT_EQ(f.message, "boom");
  }
}

TEST(ChannelErrorTest, RetryAfterIsCarried) {
  ChannelFailure f = ClassifyChannelError(
      MakeChannelError(ChannelErrorKind::kRateLimited, "429", absl::Seconds(17)));
  EXPECT_EQ(f.kind, ChannelErrorKind::kRateLimited);
  EXPECT_EQ(f.retry_after, absl::Seconds(17));
}

TEST(ChannelErrorTest, PlainStatusesAreClassifiedConservatively) {
  EXPECT_EQ(ClassifyChannelError(absl::UnavailableError("x")).kind, ChannelErrorKind::kRetryable);
  EXPECT_EQ(ClassifyChannelError(absl::ResourceExhaustedError("x")).kind,
            ChannelErrorKind::kRateLimited);
  EXPECT_EQ(ClassifyChannelError(absl::UnauthenticatedError("x")).kind,
            ChannelErrorKind::kAuthExpired);
  EXPECT_EQ(ClassifyChannelError(absl::InvalidArgumentError("x")).kind,
            ChannelErrorKind::kPermanent);
  // Could have reached the network: never a blind retry.
  EXPECT_EQ(ClassifyChannelError(absl::DeadlineExceededError("x")).kind,
            ChannelErrorKind::kOutcomeUnknown);
  EXPECT_EQ(ClassifyChannelError(absl::InternalError("x")).kind, ChannelErrorKind::kOutcomeUnknown);
  EXPECT_EQ(ClassifyChannelError(absl::UnknownError("x")).kind, ChannelErrorKind::kOutcomeUnknown);
}

TEST(NetworkLabelTest, RoundTrips) {
  EXPECT_EQ(NetworkLabel(carecast::v1::NETWORK_SANDBOX), "sandbox");
  EXPECT_EQ(NetworkLabel(carecast::v1::NETWORK_X), "x");
  EXPECT_EQ(ParseNetworkLabel("linkedin"), carecast::v1::NETWORK_LINKEDIN);
  EXPECT_EQ(ParseNetworkLabel("myspace"), carecast::v1::NETWORK_UNSPECIFIED);
}

TEST(ChannelRegistryTest, FindsRegisteredAndRefusesUnknown) {
  ChannelRegistry registry;
  testing::FakeChannel sandbox;
  ASSERT_TRUE(registry.Register(carecast::v1::NETWORK_SANDBOX, sandbox).ok());
  EXPECT_EQ(registry.Register(carecast::v1::NETWORK_SANDBOX, sandbox).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(registry.Register(carecast::v1::NETWORK_UNSPECIFIED, sandbox).code(),
            absl::StatusCode::kInvalidArgument);
  auto found = registry.Find(carecast::v1::NETWORK_SANDBOX);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, &sandbox);
  auto missing = registry.Find(carecast::v1::NETWORK_X);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(missing.status().message(), "no channel is configured for network x");
}

}  // namespace
}  // namespace carecast::publisher
