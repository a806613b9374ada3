// Checks shared by the planner's request handlers. Each returns OK or
// INVALID_ARGUMENT naming the field and the rule.
#pragma once

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include <google/protobuf/repeated_field.h>
#include <google/protobuf/timestamp.pb.h>

#include "carecast/v1/resources.pb.h"

namespace carecast::planner {

inline constexpr size_t kMaxRequestIdBytes = 128;
inline constexpr size_t kMaxDisplayNameChars = 200;
inline constexpr size_t kMaxReasonChars = 1000;

// Valid UTF-8, no more than `max_chars` code points (and 4x that in bytes), and
// non-empty when `required`.
absl::Status CheckText(std::string_view field, std::string_view text, size_t max_chars,
                       bool required);
// Empty, or valid UTF-8 of at most kMaxRequestIdBytes bytes.
absl::Status CheckRequestId(std::string_view request_id);
// Set, and seconds/nanos within the range google.protobuf.Timestamp allows.
absl::Status CheckTimestamp(std::string_view field, bool has,
                            const google::protobuf::Timestamp& ts);

// Each entry a known network other than UNSPECIFIED, none twice.
absl::Status CheckNetworks(std::string_view field,
                           const google::protobuf::RepeatedField<int>& networks);

absl::Time FromProto(const google::protobuf::Timestamp& ts);
google::protobuf::Timestamp ToProto(absl::Time t);

// An objective's KPI must be measurable in its scope and its target in range:
// mention shares, inbox figures and follower growth are not attributable to a
// campaign (INVALID_ARGUMENT with a campaign scope), and the shares and rates
// (KPI_POSITIVE_MENTION_RATIO, KPI_NEGATIVE_MENTION_RATIO, KPI_ENGAGEMENT_RATE)
// are at most 1. docs/measurement.md, "KPIs".
absl::Status CheckKpiFitsScope(const v1::Objective& objective);

}  // namespace carecast::planner
