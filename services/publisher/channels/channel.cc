#include "services/publisher/channels/channel.h"

#include <cstdint>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"

namespace carecast::publisher {
namespace {

constexpr absl::string_view kRetryAfterPayload = "type.carecast/publisher.RetryAfterMillis";
constexpr absl::string_view kAnsweredPayload = "type.carecast/publisher.ServerAnswered";

absl::StatusCode CodeFor(ChannelErrorKind kind) {
  switch (kind) {
    case ChannelErrorKind::kRetryable:
      return absl::StatusCode::kUnavailable;
    case ChannelErrorKind::kRateLimited:
      return absl::StatusCode::kResourceExhausted;
    case ChannelErrorKind::kAuthExpired:
      return absl::StatusCode::kUnauthenticated;
    case ChannelErrorKind::kPermanent:
      return absl::StatusCode::kFailedPrecondition;
    case ChannelErrorKind::kOutcomeUnknown:
      return absl::StatusCode::kDeadlineExceeded;
  }
  return absl::StatusCode::kDeadlineExceeded;
}

}  // namespace

std::string_view NetworkLabel(carecast::v1::Network network) {
  switch (network) {
    case carecast::v1::NETWORK_SANDBOX:
      return "sandbox";
    case carecast::v1::NETWORK_X:
      return "x";
    case carecast::v1::NETWORK_FACEBOOK:
      return "facebook";
    case carecast::v1::NETWORK_LINKEDIN:
      return "linkedin";
    case carecast::v1::NETWORK_INSTAGRAM:
      return "instagram";
    case carecast::v1::NETWORK_MASTODON:
      return "mastodon";
    case carecast::v1::NETWORK_BLUESKY:
      return "bluesky";
    case carecast::v1::NETWORK_WORDPRESS:
      return "wordpress";
    case carecast::v1::NETWORK_WEBHOOK:
      return "webhook";
    case carecast::v1::NETWORK_UNSPECIFIED:
    case carecast::v1::Network_INT_MIN_SENTINEL_DO_NOT_USE_:
    case carecast::v1::Network_INT_MAX_SENTINEL_DO_NOT_USE_:
      break;
  }
  return "unspecified";
}

carecast::v1::Network ParseNetworkLabel(std::string_view label) {
  for (int n = carecast::v1::Network_MIN; n <= carecast::v1::Network_MAX; ++n) {
    if (!carecast::v1::Network_IsValid(n)) continue;
    auto network = static_cast<carecast::v1::Network>(n);
    if (network != carecast::v1::NETWORK_UNSPECIFIED && NetworkLabel(network) == label)
      return network;
  }
  return carecast::v1::NETWORK_UNSPECIFIED;
}

std::string_view ChannelErrorKindName(ChannelErrorKind kind) {
  switch (kind) {
    case ChannelErrorKind::kRetryable:
      return "retryable";
    case ChannelErrorKind::kRateLimited:
      return "rate_limited";
    case ChannelErrorKind::kAuthExpired:
      return "auth_expired";
    case ChannelErrorKind::kPermanent:
      return "permanent";
    case ChannelErrorKind::kOutcomeUnknown:
      return "outcome_unknown";
  }
  return "outcome_unknown";
}

std::string_view IdempotencyModelName(IdempotencyModel model) {
  switch (model) {
    case IdempotencyModel::kNativeKey:
      return "native_key";
    case IdempotencyModel::kClientRecordKey:
      return "client_record_key";
    case IdempotencyModel::kTwoPhase:
      return "two_phase";
    case IdempotencyModel::kNone:
      return "none";
  }
  return "none";
}

absl::Status MakeChannelError(ChannelErrorKind kind, std::string_view message,
                              absl::Duration retry_after, bool may_be_in_flight) {
  absl::Status status(CodeFor(kind), common::AsAbsl(message));
  if (kind == ChannelErrorKind::kOutcomeUnknown && !may_be_in_flight)
    status.SetPayload(kAnsweredPayload, absl::Cord("1"));
  if (retry_after > absl::ZeroDuration()) {
    status.SetPayload(kRetryAfterPayload,
                      absl::Cord(absl::StrCat(absl::ToInt64Milliseconds(retry_after))));
  }
  return status;
}

ChannelFailure ClassifyChannelError(const absl::Status& status) {
  ChannelFailure failure;
  failure.message = std::string(status.message());
  if (auto payload = status.GetPayload(kRetryAfterPayload); payload.has_value()) {
    int64_t millis = 0;
    if (absl::SimpleAtoi(std::string(*payload), &millis) && millis > 0)
      failure.retry_after = absl::Milliseconds(millis);
  }
  // No default: a new status code must be classified here on purpose. Codes that
  // could mean the request reached the network count as "outcome unknown", because
  // blindly retrying those risks a double post.
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kAborted:
      failure.kind = ChannelErrorKind::kRetryable;
      break;
    case absl::StatusCode::kResourceExhausted:
      failure.kind = ChannelErrorKind::kRateLimited;
      break;
    case absl::StatusCode::kUnauthenticated:
      failure.kind = ChannelErrorKind::kAuthExpired;
      break;
    case absl::StatusCode::kOk:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kUnimplemented:
      failure.kind = ChannelErrorKind::kPermanent;
      break;
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kDoNotUseReservedForFutureExpansionUseDefaultInSwitchInstead_:
      failure.kind = ChannelErrorKind::kOutcomeUnknown;
      break;
  }
  failure.may_be_in_flight = failure.kind == ChannelErrorKind::kOutcomeUnknown &&
                             !status.GetPayload(kAnsweredPayload).has_value();
  return failure;
}

}  // namespace carecast::publisher
