// The planner's program counters on the Prometheus registry. Labels carry only
// small fixed vocabularies (transitions, guard kinds, reasons), never ids or PHI.
#pragma once

#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "services/common/redis/index_repair_metrics.h"

namespace carecast::planner {

// Thread-safe.
class PlannerMetrics {
 public:
  explicit PlannerMetrics(prometheus::Registry& registry);

  // carecast_planner_content_transitions_total{transition}: created, updated,
  // submitted, approved, rejected.
  void ContentTransition(std::string_view transition);
  // carecast_planner_guard_blocks_total{kind}: one per finding kind per blocked approval.
  void GuardBlock(std::string_view kind);
  // carecast_planner_posts_total{event}: scheduled, cancelled, cancelled_by_edit,
  // cancelled_needs_human (a NEEDS_HUMAN post a person cancelled),
  // cancelled_by_revocation (its patient authorization was revoked),
  // cancelled_stray (left waiting after its content was rejected or edited).
  void Post(std::string_view event);
  // carecast_planner_publishing_switches_total{state}: held, resumed.
  void PublishingSwitch(std::string_view state);
  // carecast_planner_calendar_rebuilds_total.
  void CalendarRebuilt();
  // carecast_planner_consent_expiry_warnings_total: patient authorizations
  // warned about (carecast.patient_authorization.expiring).
  void ConsentExpiryWarned();
  // carecast_index_repairs_total{index="planner_calendar",kind}: what reconciling
  // the calendar with the posts bucket repaired.
  common::IndexRepairObserver& index_repairs() { return index_repairs_; }

 private:
  prometheus::Family<prometheus::Counter>& transitions_;
  prometheus::Family<prometheus::Counter>& guard_blocks_;
  prometheus::Family<prometheus::Counter>& posts_;
  prometheus::Family<prometheus::Counter>& switches_;
  prometheus::Counter& rebuilds_;
  prometheus::Counter& expiry_warnings_;
  common::IndexRepairMetrics index_repairs_;
};

}  // namespace carecast::planner
