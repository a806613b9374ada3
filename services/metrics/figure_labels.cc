#include "services/metrics/figure_labels.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

#include "services/common/base/strings.h"
#include "services/common/bus/event_catalogue.h"

namespace carecast::metrics {
namespace {

// Uses the descriptor rather than a switch: proto3 enums carry sentinel values that
// would force a default branch, and a new enum value then gets a sensible label.
std::string EnumLabel(const google::protobuf::EnumDescriptor* descriptor, int value,
                      absl::string_view prefix) {
  const google::protobuf::EnumValueDescriptor* v = descriptor->FindValueByNumber(value);
  if (v == nullptr) return "unknown";
  absl::string_view name = v->name();
  absl::ConsumePrefix(&name, prefix);
  return absl::AsciiStrToLower(name);
}

constexpr std::string_view kOtherDomain = "other";

}  // namespace

std::string NetworkLabel(v1::Network network) {
  return EnumLabel(v1::Network_descriptor(), network, "NETWORK_");
}
std::string SentimentLabel(v1::Sentiment sentiment) {
  return EnumLabel(v1::Sentiment_descriptor(), sentiment, "SENTIMENT_");
}
std::string PostStateLabel(v1::PostState state) {
  return EnumLabel(v1::PostState_descriptor(), state, "POST_STATE_");
}
std::string KpiLabel(v1::Kpi kpi) { return EnumLabel(v1::Kpi_descriptor(), kpi, "KPI_"); }

std::string DomainLabel(std::string_view subject) {
  std::vector<absl::string_view> tokens = absl::StrSplit(common::AsAbsl(subject), '.');
  if (tokens.size() >= 3 && tokens[0] == common::AsAbsl(common::kSubjectRoot)) {
    const std::vector<std::string>& domains = DomainLabels();
    for (size_t i = 0; i + 1 < domains.size(); ++i)  // the last one is kOtherDomain
      if (tokens[1] == domains[i]) return domains[i];
  }
  return std::string(kOtherDomain);
}

const std::vector<std::string>& DomainLabels() {
  // The domains of the events stream, from the catalogue (as the stream's filters).
  static const auto* labels = [] {
    auto* v = new std::vector<std::string>();
    for (std::string_view d : common::StreamDomains(common::streams::kEvents)) v->emplace_back(d);
    v->emplace_back(kOtherDomain);
    return v;
  }();
  return *labels;
}

bool IsSet(const google::protobuf::Timestamp& ts) { return ts.seconds() != 0 || ts.nanos() != 0; }

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  int64_t seconds = absl::ToUnixSeconds(t);
  absl::Duration rest = t - absl::FromUnixSeconds(seconds);
  if (rest < absl::ZeroDuration()) {  // ToUnixSeconds rounds toward negative infinity
    --seconds;
    rest += absl::Seconds(1);
  }
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(rest)));
  return ts;
}

}  // namespace carecast::metrics
