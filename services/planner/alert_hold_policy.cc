#include "services/planner/alert_hold_policy.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"

#include "carecast/v1/events.pb.h"
#include "carecast/v1/planner_service.pb.h"

#include "services/common/base/ids.h"
#include "services/common/base/strings.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/subjects.h"
#include "services/planner/planner.h"
#include "services/planner/validation.h"

namespace carecast::planner {
namespace {

// Whether a failed hold may succeed on redelivery. Everything the planner
// reports as a state of its dependencies is retried; a hold the planner refuses
// outright would be refused again.
bool Retryable(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kCancelled:
      return true;
    case absl::StatusCode::kOk:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kUnimplemented:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnauthenticated:
      return false;
    default:
      return true;
  }
}

std::string_view SeverityName(v1::AlertSeverity severity) {
  switch (severity) {
    case v1::ALERT_SEVERITY_SEVERE:
      return "severe";
    case v1::ALERT_SEVERITY_WARNING:
      return "warning";
    case v1::ALERT_SEVERITY_UNSPECIFIED:
    default:
      return "unspecified";
  }
}

}  // namespace

bool ShouldHold(const AlertHoldOptions& options, const v1::Alert& alert) {
  if (options.mode == AlertHoldMode::kOff) return false;
  if (alert.state() == v1::ALERT_STATE_RESOLVED) return false;
  // UNSPECIFIED (0) is below WARNING (1) and SEVERE (2): it never holds.
  return alert.severity() != v1::ALERT_SEVERITY_UNSPECIFIED &&
         static_cast<int>(alert.severity()) >= static_cast<int>(options.min_severity);
}

std::string AlertHoldReason(const v1::Alert& alert) {
  return absl::StrCat("automatic hold: alert ", alert.name(), " (", alert.series(), ", ",
                      alert.count(), " mentions)");
}

std::vector<std::string> AlertHoldTargets(const AlertHoldOptions& options, const v1::Alert& alert) {
  if (options.mode != AlertHoldMode::kSpoke || alert.spokes().empty()) return {""};
  std::set<std::string> spokes(alert.spokes().begin(), alert.spokes().end());
  spokes.erase("");
  if (spokes.empty()) return {""};
  return {spokes.begin(), spokes.end()};
}

std::string AlertHoldRequestId(std::string_view event_id, std::string_view spoke) {
  // Event ids and spoke names are short; a hash keeps unusually long ones
  // under the request_id limit while still naming that event and spoke alone.
  constexpr std::string_view kPrefix = "alert-hold:";
  std::string plain = spoke.empty()
                          ? absl::StrCat(common::AsAbsl(kPrefix), common::AsAbsl(event_id))
                          : absl::StrCat(common::AsAbsl(kPrefix), common::AsAbsl(event_id), ":",
                                         common::AsAbsl(spoke));
  if (plain.size() <= kMaxRequestIdBytes) return plain;
  return absl::StrCat(common::AsAbsl(kPrefix), common::IdFromRequest("alert-hold", plain));
}

common::Caller AlertHoldCaller() {
  common::Caller caller;
  caller.principal.subject = std::string(kAlertHoldSubject);
  caller.principal.roles = {common::Role::kService};
  caller.principal.spokes = {"*"};
  caller.role = common::Role::kService;
  return caller;
}

AlertHoldPolicy::AlertHoldPolicy(const AlertHoldOptions& options, const AlertHoldDeps& deps)
    : options_(options), deps_(deps) {}

AlertHoldPolicy::~AlertHoldPolicy() { Stop(); }

absl::Status AlertHoldPolicy::Start() {
  if (options_.mode == AlertHoldMode::kOff || subscription_ != nullptr) return absl::OkStatus();
  common::ConsumerSpec spec;
  spec.stream = std::string(common::streams::kEvents);
  spec.durable = std::string(kAlertHoldDurable);
  spec.filter_subject = std::string(common::subjects::kAlertRaised);
  // Only alerts raised from now on: enabling the policy must not hold
  // publishing for an alert of last week still retained in the stream.
  spec.deliver_all = false;
  // A hold that cannot be written (NATS down) is retried, not dropped.
  spec.max_deliver = 1000;
  spec.ack_wait = absl::Seconds(10);
  absl::StatusOr<std::unique_ptr<common::Subscription>> subscription =
      deps_.bus.Subscribe(spec, [this](const common::Event& e) { return OnEvent(e); });
  if (!subscription.ok()) return subscription.status();
  subscription_ = *std::move(subscription);
  deps_.logger.Info(
      "automatic publishing hold on alerts is on",
      {{"mode", std::string(options_.mode == AlertHoldMode::kSpoke ? "spoke" : "global")},
       {"min_severity", std::string(SeverityName(options_.min_severity))}});
  return absl::OkStatus();
}

void AlertHoldPolicy::Stop() { subscription_.reset(); }

common::Disposition AlertHoldPolicy::OnEvent(const common::Event& event) {
  if (event.subject != common::subjects::kAlertRaised) return common::Disposition::kAck;
  v1::AlertChanged payload;
  if (!common::DecodeEvent(event, &payload).ok()) return common::Disposition::kReject;
  const v1::Alert& alert = payload.alert();
  if (!ShouldHold(options_, alert)) return common::Disposition::kAck;

  bool everywhere = false;
  for (const std::string& spoke : AlertHoldTargets(options_, alert)) {
    absl::Status held = Hold(event, alert, spoke);
    // A spoke the planner does not know (or cannot read as a spoke name):
    // where the crisis is cannot be told.
    if (!spoke.empty() && !held.ok() && !Retryable(held)) {
      everywhere = true;
      continue;
    }
    if (!held.ok())
      return Retryable(held) ? common::Disposition::kRetry : common::Disposition::kReject;
  }
  if (everywhere) {
    absl::Status held = Hold(event, alert, "");
    if (!held.ok())
      return Retryable(held) ? common::Disposition::kRetry : common::Disposition::kReject;
  }
  return common::Disposition::kAck;
}

absl::Status AlertHoldPolicy::Hold(const common::Event& event, const v1::Alert& alert,
                                   const std::string& spoke) {
  v1::HoldPublishingRequest request;
  request.set_spoke(spoke);
  request.set_reason(AlertHoldReason(alert));
  request.set_request_id(AlertHoldRequestId(event.id, spoke));
  absl::StatusOr<v1::HoldPublishingResponse> held =
      deps_.planner.HoldPublishing(AlertHoldCaller(), request);
  common::LogFields fields = {{"alert", alert.name()},
                              {"series", alert.series()},
                              {"severity", std::string(SeverityName(alert.severity()))},
                              {"event_id", event.id},
                              {"spoke", spoke.empty() ? std::string("*") : spoke}};
  if (!held.ok()) {
    fields.emplace_back("error", std::string(held.status().message()));
    if (Retryable(held.status())) {
      deps_.logger.Warn("automatic publishing hold failed; retried on redelivery", fields);
    } else if (!spoke.empty()) {
      deps_.logger.Warn("alert names a spoke that cannot be held; holding publishing everywhere",
                        fields);
    } else {
      deps_.logger.Error("automatic publishing hold refused", fields);
    }
    return held.status();
  }
  deps_.logger.Warn(
      "alert qualifies for the automatic hold: publishing is held until a person "
      "resumes it",
      fields);
  return absl::OkStatus();
}

}  // namespace carecast::planner
