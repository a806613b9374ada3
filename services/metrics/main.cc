// carecast-metrics: composition only. Reads the configuration, connects to NATS
// through the service host, rebuilds the program's figures by replaying the
// events stream, then serves them on /metrics and over carecast.v1.MetricsService
// until SIGTERM.
#include <string>

#include "services/common/base/env_config.h"
#include "services/common/bus/event_catalogue.h"
#include "services/common/cadence/feed_token_file.h"
#include "services/common/startup/exit_code.h"
#include "services/common/startup/service_host.h"
#include "services/metrics/event_ingest.h"
#include "services/metrics/metrics_config.h"
#include "services/metrics/metrics_exposition.h"
#include "services/metrics/metrics_grpc_service.h"
#include "services/metrics/metrics_roles.h"
#include "services/metrics/metrics_service.h"
#include "services/metrics/program_figures.h"
#include "services/metrics/report_http.h"
#include "services/metrics/report_links.h"
#include "services/metrics/report_publisher.h"

int main() {
  namespace common = carecast::common;
  namespace metrics = carecast::metrics;
  using common::ExitCode;

  absl::StatusOr<metrics::MetricsConfig> config = metrics::ReadMetricsConfig(common::ProcessEnv());
  if (!config.ok()) return common::ServiceHost::RefuseConfiguration("metrics", config.status());
  std::shared_ptr<const common::cadence::FeedTokens> link_tokens;
  if (!config->link_token_keys_file.empty()) {
    auto loaded = common::cadence::LoadFeedTokens(config->link_token_keys_file,
                                                  config->link_token_current_key);
    if (!loaded.ok()) return common::ServiceHost::RefuseConfiguration("metrics", loaded.status());
    link_tokens = *std::move(loaded);
  }
  common::ServiceHost host(config->common, {.redis = false});
  if (std::optional<int> failed = host.Connect()) return *failed;

  metrics::MetricsExposition exposition(host.registry(), host.series());
  metrics::ProgramFigures figures(&exposition);
  metrics::MetricsService service(figures, host.clock(), link_tokens);
  metrics::MetricsGrpcService grpc_service(service, host.Edge(metrics::MetricsRoleTable()));
  // The weekly reports' pages and PDFs, opened by their signed links.
  host.AddGetPrefixRoute(std::string(metrics::kReportPathPrefix),
                         [&service](const common::HttpRequest& request) {
                           return metrics::ServeWeeklyReport(service, request);
                         });

  // Figures are partial until the stream has been replayed: not ready until then.
  metrics::EventIngestOptions ingest_options;
  ingest_options.stream = std::string(common::streams::kEvents);
  ingest_options.progress_every = config->replay_log_every;
  ingest_options.poll_interval = config->pending_interval;
  // Spikes are announced only once the replay has caught up (older ones are history).
  metrics::SpikeWatch spikes({.detector = config->spikes, .tick = config->spike_tick}, host.nats(),
                             host.clock(), host.logger(), host.registry());
  metrics::ReportPublisher reports(
      {.delay = config->report_publish_delay, .tick = config->report_tick}, service, figures,
      host.nats(), host.clock(), host.logger());
  ingest_options.on_caught_up = [&host, &spikes, &reports] {
    spikes.Start();
    reports.Start();
    host.SetReady(true);
  };
  auto ingest = metrics::EventIngest::Create(ingest_options, {.bus = host.nats(),
                                                              .figures = figures,
                                                              .exposition = exposition,
                                                              .logger = host.logger(),
                                                              .spikes = &spikes,
                                                              .reports = &reports});
  if (!ingest.ok()) {
    return host.Fail("cannot build the event ingest", ingest.status(), ExitCode::kConfig);
  }
  if (absl::Status s = (*ingest)->Start(); !s.ok()) {
    return host.Fail("cannot consume events", s, ExitCode::kDependency);
  }

  const bool redis_configured = !config->common.redis_url.empty();
  return host.Serve(
      {.grpc_services = {&grpc_service},
       .started_message = "metrics started",
       .started_fields = {{"redis", redis_configured ? "configured, unused" : "not used"}},
       .stop =
           [&ingest, &spikes, &reports] {
             (*ingest)->Stop();
             spikes.Stop();
             reports.Stop();
           },
       .ready_at_start = false});
}
