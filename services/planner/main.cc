// carecast-planner: composition only. Reads the configuration, connects to NATS
// and Redis through the service host, and serves PlannerService over gRPC plus
// /metrics, /healthz and /readyz over HTTP until SIGTERM.
#include <unistd.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include <prometheus/gauge.h>

#include "services/common/base/env_config.h"
#include "services/common/bus/event_catalogue.h"
#include "services/common/bus/topology.h"
#include "services/common/cadence/feed_token_file.h"
#include "services/common/startup/exit_code.h"
#include "services/common/startup/service_host.h"
#include "services/common/store/audit_stream_identity.h"
#include "services/common/store/outbox_metrics.h"
#include "services/common/text/text_analyzer.h"
#include "services/planner/alert_hold_policy.h"
#include "services/planner/calendar_feed_http.h"
#include "services/planner/engine_guard.h"
#include "services/planner/planner.h"
#include "services/planner/planner_config.h"
#include "services/planner/planner_grpc_service.h"
#include "services/planner/planner_metrics.h"
#include "services/planner/planner_roles.h"

namespace {

namespace common = carecast::common;

// Reports a re-created audit stream (entries lost; new chains would look
// intact): an error log and carecast_audit_stream_recreated 1, which the
// CareCastAuditStreamRecreated alert watches. Never fatal: the record of what
// people do goes on, and an operator acknowledges the loss.
void CheckAuditStream(common::ServiceHost& host, const common::CommonConfig& cc) {
  prometheus::Gauge& recreated =
      prometheus::BuildGauge()
          .Name("carecast_audit_stream_recreated")
          .Help(
              "1 when the audit stream is newer than the one on record: it was deleted and "
              "made again, and the entries before are gone (until acknowledged).")
          .Register(host.registry())
          .Add({});
  auto control = host.nats().OpenBucket(
      common::BucketSpecFor(common::buckets::kControl, {.replicas = cc.stream_replicas}));
  absl::StatusOr<common::AuditStreamIdentity> identity =
      control.ok() ? common::CheckAuditStreamIdentity(host.nats(), **control)
                   : absl::StatusOr<common::AuditStreamIdentity>(control.status());
  if (!identity.ok()) {
    host.logger().Warn("cannot check the audit stream's identity",
                       {{"error", std::string(identity.status().message())}});
    return;
  }
  if (identity->verdict != common::AuditStreamIdentity::Verdict::kRecreated) return;
  recreated.Set(1);
  host.logger().Error(
      "the audit stream was deleted and made again: the entries before it are gone, and chains "
      "restart from here; acknowledge with carecastctl audit acknowledge-recreation",
      {{"recorded_created", absl::FormatTime(identity->recorded)},
       {"created", absl::FormatTime(identity->created)}});
}

}  // namespace

int main() {
  namespace common = carecast::common;
  namespace planner = carecast::planner;
  using common::ExitCode;

  absl::StatusOr<planner::PlannerConfig> config = planner::LoadPlannerConfig(common::ProcessEnv());
  if (!config.ok()) return common::ServiceHost::RefuseConfiguration("planner", config.status());
  const common::CommonConfig& cc = config->common;
  common::ServiceHost host(cc);
  if (std::optional<int> failed = host.Connect()) return *failed;

  auto engine = common::text::TextAnalyzer::Create(common::text::DefaultTextConfig());
  if (!engine.ok())
    return host.Fail("cannot build the text engine", engine.status(), ExitCode::kConfig);
  planner::EngineGuard guard(**engine);
  planner::PlannerMetrics metrics(host.registry());
  common::OutboxMetrics outbox_metrics(host.registry(), planner::Planner::EntityBuckets());
  planner::PlannerOptions options;
  options.max_schedule_horizon = config->max_schedule_horizon;
  options.min_lead_time = config->min_lead_time;
  options.batch_concurrency = config->batch_concurrency;
  options.replicas = cc.stream_replicas;
  options.instance = absl::StrCat("planner-", getpid());
  options.relay = {.period = cc.outbox_relay_period, .grace = cc.outbox_relay_grace};
  options.index_reconcile_period = cc.index_reconcile_period;
  options.channels = config->channels;
  options.evergreen_period = config->evergreen_period;
  options.evergreen_fill_ahead = config->evergreen_fill_ahead;
  options.evergreen_late_tolerance = config->evergreen_late_tolerance;
  options.consent_expiry_warning = config->consent_expiry_warning;
  if (!config->feed_token_keys_file.empty()) {
    auto feed_tokens = common::cadence::LoadFeedTokens(config->feed_token_keys_file,
                                                       config->feed_token_current_key);
    if (!feed_tokens.ok())
      return common::ServiceHost::RefuseConfiguration("planner", feed_tokens.status());
    options.feed_tokens = *std::move(feed_tokens);
  }
  options.feed_base_url = config->feed_base_url;
  options.feed_uid_domain = config->feed_uid_domain;
  auto core = planner::Planner::Create(options, {.buckets = host.nats(),
                                                 .bus = host.nats(),
                                                 .index = host.index(),
                                                 .clock = host.clock(),
                                                 .guard = guard,
                                                 .metrics = metrics,
                                                 .logger = host.logger(),
                                                 .outbox_observer = outbox_metrics});
  if (!core.ok()) {
    return host.Fail("cannot open the planner buckets", core.status(), ExitCode::kDependency);
  }
  CheckAuditStream(host, cc);
  // Build the calendar now (from KV when Redis lost it) rather than on the first
  // listing; not fatal, because every listing checks again.
  if (absl::Status s = (*core)->WarmCalendar(); !s.ok()) {
    host.logger().Warn("calendar index not built at start", {{"error", std::string(s.message())}});
  }
  // Finish what a previous process left owing (a crash between a write and its
  // events), now and then periodically; check the calendar against KV every
  // period too. Both stop when the core is destroyed.
  (*core)->StartRelay();
  (*core)->StartIndexReconciliation();
  // Fill empty cadence slots from the evergreen library, now and on a period.
  (*core)->StartEvergreenRecycling();
  // The automatic publishing hold on alerts (off unless CARECAST_PLANNER_ALERT_HOLD
  // says otherwise); declared after the core, so it stops first.
  planner::AlertHoldPolicy alert_hold(
      config->alert_hold, {.planner = **core, .bus = host.nats(), .logger = host.logger()});
  if (absl::Status s = alert_hold.Start(); !s.ok()) {
    return host.Fail("cannot subscribe to alerts for the automatic hold", s, ExitCode::kDependency);
  }

  if (options.feed_tokens != nullptr) {
    planner::Planner* feeds = core->get();
    for (std::string_view prefix : {planner::kSpokeFeedPrefix, planner::kCampaignFeedPrefix}) {
      host.AddGetPrefixRoute(std::string(prefix), [feeds](const common::HttpRequest& request) {
        return planner::ServeCalendarFeed(*feeds, request);
      });
    }
  }
  planner::PlannerGrpcService grpc_service(**core, host.Edge(planner::PlannerRoleTable()));
  return host.Serve(
      {.grpc_services = {&grpc_service},
       .started_message = "planner started",
       .started_fields = {{"channels", absl::StrJoin(config->channels.ConfiguredNames(), ",")}}});
}
