// The automatic publishing hold on alerts (docs/listening.md, "Automatic hold").
// Off by default. When on, every carecast.alert.raised at or above the
// configured severity holds publishing (everywhere, or for the alert's spokes),
// made by the service principal kAlertHoldSubject through
// Planner::HoldPublishing, so it is audited, counted and announced exactly as a
// person's hold. It never resumes publishing: a person does, with
// ResumePublishing.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

#include "carecast/v1/resources.pb.h"

#include "services/common/base/logger.h"
#include "services/common/bus/event_bus.h"
#include "services/common/rpc/rpc_edge.h"

namespace carecast::planner {

class Planner;  // planner.h

// What the policy holds.
enum class AlertHoldMode {
  kOff,     // alerts never hold publishing (the default)
  kGlobal,  // a qualifying alert sets the global hold
  // A qualifying alert holds the spokes it names (Alert.spokes: the spokes of
  // the accounts its mentions address). An alert that names no spoke, or names
  // one the planner does not know, holds everywhere: where a crisis is cannot
  // be told, so nothing is published until a person looks.
  kSpoke,
};

struct AlertHoldOptions {
  // CARECAST_PLANNER_ALERT_HOLD: "off" (default), "global" or "spoke".
  AlertHoldMode mode = AlertHoldMode::kOff;
  // CARECAST_PLANNER_ALERT_HOLD_SEVERITY: the least severity that holds,
  // "severe" (default: crisis-term alerts) or "warning" (every alert).
  v1::AlertSeverity min_severity = v1::ALERT_SEVERITY_SEVERE;
};

// The principal (role service) that makes automatic holds, as the audit trail
// and the publishing state's changed_by show it.
inline constexpr std::string_view kAlertHoldSubject = "carecast-alert-policy";
// The JetStream consumer shared by every planner replica, so each alert is
// handled by one of them.
inline constexpr std::string_view kAlertHoldDurable = "planner-alert-hold";

// Whether a raised `alert` makes the policy hold: mode is not off, the alert is
// active and its severity is at least options.min_severity.
bool ShouldHold(const AlertHoldOptions& options, const v1::Alert& alert);

// The reason recorded on the hold: "automatic hold: alert <name> (<series>,
// <count> mentions)". Alert names and series are keywords, never mention text.
std::string AlertHoldReason(const v1::Alert& alert);

// What a qualifying `alert` holds: {""} (the global hold), or under kSpoke the
// alert's distinct spokes, sorted ({""} when it names none).
std::vector<std::string> AlertHoldTargets(const AlertHoldOptions& options, const v1::Alert& alert);

// The request_id of the hold of `spoke` ("" global) made for the event
// `event_id`: redelivery, or a second replica, replays the first hold instead
// of making another. At most 128 bytes.
std::string AlertHoldRequestId(std::string_view event_id, std::string_view spoke = "");

// The caller the policy holds as.
common::Caller AlertHoldCaller();

// References must outlive the policy.
struct AlertHoldDeps {
  Planner& planner;
  common::EventBus& bus;
  common::Logger& logger;
};

// Thread-safe: events arrive one at a time on the bus's thread.
class AlertHoldPolicy {
 public:
  AlertHoldPolicy(const AlertHoldOptions& options, const AlertHoldDeps& deps);
  ~AlertHoldPolicy();

  // Subscribes the durable consumer on carecast.alert.raised; does nothing
  // when the mode is off. Errors: the bus's (UNAVAILABLE).
  absl::Status Start();
  // Stops deliveries; idempotent.
  void Stop();

  // One delivered event (the handler; tests call it directly). kAck when it
  // held, when the hold was already set, or when the event does not qualify;
  // kRetry when a hold could not be written (NATS down, lost race);
  // kReject when the event does not parse.
  common::Disposition OnEvent(const common::Event& event);

 private:
  // Holds `spoke` ("" global) for the alert of `event`.
  absl::Status Hold(const common::Event& event, const v1::Alert& alert, const std::string& spoke);

  AlertHoldOptions options_;
  AlertHoldDeps deps_;
  std::unique_ptr<common::Subscription> subscription_;
};

}  // namespace carecast::planner
