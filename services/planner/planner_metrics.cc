#include "services/planner/planner_metrics.h"

namespace carecast::planner {

PlannerMetrics::PlannerMetrics(prometheus::Registry& registry)
    : transitions_(prometheus::BuildCounter()
                       .Name("carecast_planner_content_transitions_total")
                       .Help("Content workflow transitions, by transition.")
                       .Register(registry)),
      guard_blocks_(prometheus::BuildCounter()
                        .Name("carecast_planner_guard_blocks_total")
                        .Help("Findings of the outgoing-text guard that blocked an approval, "
                              "by kind.")
                        .Register(registry)),
      posts_(prometheus::BuildCounter()
                 .Name("carecast_planner_posts_total")
                 .Help("Posts scheduled and cancelled by the planner.")
                 .Register(registry)),
      switches_(prometheus::BuildCounter()
                    .Name("carecast_planner_publishing_switches_total")
                    .Help("Changes of the global publishing hold.")
                    .Register(registry)),
      rebuilds_(prometheus::BuildCounter()
                    .Name("carecast_planner_calendar_rebuilds_total")
                    .Help("Rebuilds of the Redis calendar index from the posts bucket.")
                    .Register(registry)
                    .Add({})),
      expiry_warnings_(prometheus::BuildCounter()
                           .Name("carecast_planner_consent_expiry_warnings_total")
                           .Help("Patient authorizations warned about: they expire soon while "
                                 "posts relying on them are still to go out.")
                           .Register(registry)
                           .Add({})),
      index_repairs_(registry, {"planner_calendar"}) {
  // Pre-create the known series so dashboards see zeros rather than gaps.
  for (const char* t : {"created", "updated", "submitted", "approved", "rejected"})
    transitions_.Add({{"transition", t}});
  for (const char* e : {"scheduled", "cancelled", "cancelled_by_edit", "cancelled_needs_human",
                        "cancelled_by_revocation", "cancelled_stray", "cancelled_outside_campaign"})
    posts_.Add({{"event", e}});
  for (const char* s : {"held", "resumed"}) switches_.Add({{"state", s}});
}

void PlannerMetrics::ContentTransition(std::string_view transition) {
  transitions_.Add({{"transition", std::string(transition)}}).Increment();
}
void PlannerMetrics::GuardBlock(std::string_view kind) {
  guard_blocks_.Add({{"kind", std::string(kind)}}).Increment();
}
void PlannerMetrics::Post(std::string_view event) {
  posts_.Add({{"event", std::string(event)}}).Increment();
}
void PlannerMetrics::PublishingSwitch(std::string_view state) {
  switches_.Add({{"state", std::string(state)}}).Increment();
}
void PlannerMetrics::CalendarRebuilt() { rebuilds_.Increment(); }
void PlannerMetrics::ConsentExpiryWarned() { expiry_warnings_.Increment(); }

}  // namespace carecast::planner
