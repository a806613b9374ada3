#include "services/planner/validation.h"

#include <set>

#include "absl/strings/str_cat.h"

#include "carecast/v1/resources.pb.h"

#include "services/common/base/strings.h"
#include "services/common/base/utf8.h"

namespace carecast::planner {
namespace {
using common::AsAbsl;
// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, as protobuf defines the range.
constexpr int64_t kMinSeconds = -62135596800;
constexpr int64_t kMaxSeconds = 253402300799;
}  // namespace

absl::Status CheckText(std::string_view field, std::string_view text, size_t max_chars,
                       bool required) {
  if (text.empty()) {
    if (required) return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), " is required"));
    return absl::OkStatus();
  }
  // The byte check first bounds the work of the UTF-8 scan on hostile input.
  if (text.size() > max_chars * 4) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(field), " is longer than ", max_chars, " characters"));
  }
  if (!common::IsValidUtf8(text)) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), " is not valid UTF-8"));
  }
  if (common::CodePointCount(text) > max_chars) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(field), " is longer than ", max_chars, " characters"));
  }
  return absl::OkStatus();
}

absl::Status CheckRequestId(std::string_view request_id) {
  if (request_id.size() > kMaxRequestIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("request_id is longer than ", kMaxRequestIdBytes, " bytes"));
  }
  if (!common::IsValidUtf8(request_id)) {
    return absl::InvalidArgumentError("request_id is not valid UTF-8");
  }
  return absl::OkStatus();
}

absl::Status CheckTimestamp(std::string_view field, bool has,
                            const google::protobuf::Timestamp& ts) {
  if (!has) return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), " is required"));
  if (ts.seconds() < kMinSeconds || ts.seconds() > kMaxSeconds || ts.nanos() < 0 ||
      ts.nanos() > 999'999'999) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), " is not a valid timestamp"));
  }
  return absl::OkStatus();
}

absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  int64_t seconds = absl::ToUnixSeconds(t);
  // ToUnixSeconds rounds toward negative infinity, so the remainder is >= 0.
  int64_t nanos = absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds));
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(nanos));
  return ts;
}

absl::Status CheckNetworks(std::string_view field,
                           const google::protobuf::RepeatedField<int>& networks) {
  std::set<int> seen;
  for (int network : networks) {
    if (network == v1::NETWORK_UNSPECIFIED || !v1::Network_IsValid(network)) {
      return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), " must name known networks"));
    }
    if (!seen.insert(network).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(AsAbsl(field), " names ", v1::Network_Name(network), " twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckKpiFitsScope(const v1::Objective& objective) {
  const v1::Kpi kpi = objective.kpi();
  const std::string kpi_name = v1::Kpi_Name(kpi);
  if (!objective.campaign().empty()) {
    switch (kpi) {
      case v1::KPI_POSITIVE_MENTION_RATIO:
      case v1::KPI_NEGATIVE_MENTION_RATIO:
        return absl::InvalidArgumentError(absl::StrCat(
            "objective.kpi: ", kpi_name,
            " cannot be scoped to a campaign: mentions are about accounts, not campaigns"));
      case v1::KPI_INBOX_ITEMS_CLOSED:
      case v1::KPI_INBOX_FIRST_RESPONSE_SECONDS:
        return absl::InvalidArgumentError(absl::StrCat(
            "objective.kpi: ", kpi_name,
            " cannot be scoped to a campaign: inbox items belong to spokes, not campaigns"));
      case v1::KPI_FOLLOWER_GROWTH:
        return absl::InvalidArgumentError(absl::StrCat(
            "objective.kpi: ", kpi_name,
            " cannot be scoped to a campaign: followers belong to accounts, not campaigns"));
      default:
        break;
    }
  }
  const bool share = kpi == v1::KPI_POSITIVE_MENTION_RATIO ||
                     kpi == v1::KPI_NEGATIVE_MENTION_RATIO || kpi == v1::KPI_ENGAGEMENT_RATE;
  if (share && objective.target() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("objective.target: ", kpi_name, " is a share from 0 to 1 (e.g. 0.05 for 5%)"));
  }
  return absl::OkStatus();
}

}  // namespace carecast::planner
