#include "services/listener/listener_names.h"

namespace carecast::listener {

std::string_view NetworkName(v1::Network network) {
  switch (network) {
    case v1::NETWORK_UNSPECIFIED:
      return "unspecified";
    case v1::NETWORK_SANDBOX:
      return "sandbox";
    case v1::NETWORK_X:
      return "x";
    case v1::NETWORK_FACEBOOK:
      return "facebook";
    case v1::NETWORK_LINKEDIN:
      return "linkedin";
    case v1::NETWORK_INSTAGRAM:
      return "instagram";
    case v1::NETWORK_MASTODON:
      return "mastodon";
    case v1::NETWORK_BLUESKY:
      return "bluesky";
    case v1::NETWORK_WORDPRESS:
      return "wordpress";
    case v1::NETWORK_WEBHOOK:
      return "webhook";
    case v1::Network_INT_MIN_SENTINEL_DO_NOT_USE_:
    case v1::Network_INT_MAX_SENTINEL_DO_NOT_USE_:
      break;
  }
  return "unknown";
}

std::optional<v1::Network> ParseNetworkName(std::string_view name) {
  for (v1::Network n : {v1::NETWORK_SANDBOX, v1::NETWORK_X, v1::NETWORK_FACEBOOK,
                        v1::NETWORK_LINKEDIN, v1::NETWORK_INSTAGRAM, v1::NETWORK_MASTODON,
                        v1::NETWORK_BLUESKY, v1::NETWORK_WORDPRESS, v1::NETWORK_WEBHOOK}) {
    if (NetworkName(n) == name) return n;
  }
  return std::nullopt;
}

std::string_view PriorityName(v1::Priority priority) {
  switch (priority) {
    case v1::PRIORITY_UNSPECIFIED:
      return "unspecified";
    case v1::PRIORITY_LOW:
      return "low";
    case v1::PRIORITY_NORMAL:
      return "normal";
    case v1::PRIORITY_HIGH:
      return "high";
    case v1::PRIORITY_URGENT:
      return "urgent";
    case v1::Priority_INT_MIN_SENTINEL_DO_NOT_USE_:
    case v1::Priority_INT_MAX_SENTINEL_DO_NOT_USE_:
      break;
  }
  return "unknown";
}

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  google::protobuf::Timestamp ts;
  const int64_t seconds = absl::ToUnixSeconds(time);
  ts.set_seconds(seconds);
  ts.set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds))));
  return ts;
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

bool IsValidTimestamp(const google::protobuf::Timestamp& ts) {
  // 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z, as google.protobuf.Timestamp defines.
  constexpr int64_t kMinSeconds = -62135596800;
  constexpr int64_t kMaxSeconds = 253402300799;
  return ts.seconds() >= kMinSeconds && ts.seconds() <= kMaxSeconds && ts.nanos() >= 0 &&
         ts.nanos() <= 999'999'999;
}

}  // namespace carecast::listener
