// Lower-case names of networks and priorities, as used in metric labels, the
// webhook JSON and logs. The one place that spells them.
#pragma once

#include <optional>
#include <string_view>

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

#include "carecast/v1/resources.pb.h"

namespace carecast::listener {

// "sandbox", "x", "facebook", "linkedin", "instagram", "mastodon"; "unspecified"
// for NETWORK_UNSPECIFIED and "unknown" for values outside the enum.
std::string_view NetworkName(v1::Network network);
// The inverse for the six real networks; nullopt for anything else.
std::optional<v1::Network> ParseNetworkName(std::string_view name);

// "urgent", "high", "normal", "low", "unspecified".
std::string_view PriorityName(v1::Priority priority);

// Timestamp <-> absl::Time. ToTimestamp keeps nanoseconds.
google::protobuf::Timestamp ToTimestamp(absl::Time time);
absl::Time FromTimestamp(const google::protobuf::Timestamp& ts);
// True when seconds/nanos are inside the range protobuf allows (years 1..9999).
bool IsValidTimestamp(const google::protobuf::Timestamp& ts);

}  // namespace carecast::listener
