// Prometheus label values and summary labels for the program's enums. Every value
// comes from a closed enum, so label cardinality is bounded and no label ever
// carries an id, a handle or text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

#include "carecast/v1/resources.pb.h"

namespace carecast::metrics {

// Lower-case enum value names without their prefix: "sandbox", "x", "positive",
// "failed", "needs_human", "posts_published". Values outside the enum: "unknown".
std::string NetworkLabel(v1::Network network);
std::string SentimentLabel(v1::Sentiment sentiment);
std::string PostStateLabel(v1::PostState state);
std::string KpiLabel(v1::Kpi kpi);

// The domain token of "carecast.<domain>.<fact>" when it is one of the domains the
// events stream carries, else "other" (keeps the label bounded).
std::string DomainLabel(std::string_view subject);
// Every value DomainLabel can return, "other" last.
const std::vector<std::string>& DomainLabels();

// Timestamp helpers: an unset (all-zero) Timestamp is nullopt-like, reported as false.
bool IsSet(const google::protobuf::Timestamp& ts);
absl::Time ToTime(const google::protobuf::Timestamp& ts);
google::protobuf::Timestamp ToProto(absl::Time t);

}  // namespace carecast::metrics
