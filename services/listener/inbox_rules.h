// Where an inbox item goes and when it is due: topic routes to spokes, the
// first-response target of each priority and each spoke's business hours.
// Parsed once from the environment (listener_config.h); pure and thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "carecast/v1/resources.pb.h"

#include "services/listener/business_hours.h"

namespace carecast::listener {

// Mentions on `topic` go to `spoke` ("spokes/{spoke}"). `topic` matches a
// taxonomy topic equal to it, under it ("patient_experience" matches
// "patient_experience/billing") or ending in it ("billing" matches it too).
struct TopicRoute {
  std::string topic;
  std::string spoke;
};

// "topic:<topic>=spokes/<spoke>[,...]", e.g. "topic:billing=spokes/north". Empty
// means no routes. INVALID_ARGUMENT names the first bad entry.
absl::StatusOr<std::vector<TopicRoute>> ParseTopicRoutes(std::string_view spec);

// The spoke of an item for `mention`: the spoke of the mentioned account, else
// the first route (in order) matching one of its topics, else "" (the hub).
std::string RouteSpoke(const v1::Mention& mention, const std::vector<TopicRoute>& routes);

// First-response targets by priority (UNSPECIFIED counts as NORMAL).
struct SlaTargets {
  SlaTarget urgent{.clock = SlaClock::kWall, .amount = absl::Minutes(15)};
  SlaTarget high{.clock = SlaClock::kBusinessHours, .amount = absl::Hours(4)};
  SlaTarget normal{.clock = SlaClock::kBusinessDays, .days = 1};
  SlaTarget low{.clock = SlaClock::kBusinessDays, .days = 3};

  const SlaTarget& For(v1::Priority priority) const;
};

// "urgent=15m,high=4bh,normal=1bd,low=3bd" (any subset; see ParseSlaTarget) over
// `targets`. INVALID_ARGUMENT names the bad entry.
absl::Status ParseSlaTargets(std::string_view spec, SlaTargets& targets);

// Business hours of the organisation and of spokes that differ.
struct BusinessCalendar {
  BusinessHours organisation;
  std::map<std::string, BusinessHours, std::less<>> spokes;

  // The spoke's hours, else the organisation's.
  const BusinessHours& For(std::string_view spoke) const;
};

// "default=<hours>; spokes/<spoke>=<hours>; ..." with <hours> as in
// ParseBusinessHours, e.g. "spokes/north=America/Chicago Mon-Fri 08:00-17:00".
// Entries are separated by ';'. INVALID_ARGUMENT names the bad entry.
absl::StatusOr<BusinessCalendar> ParseBusinessCalendar(std::string_view spec);

}  // namespace carecast::listener
