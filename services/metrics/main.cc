// carecast-metrics: composition only. Reads the configuration, connects to NATS,
// rebuilds the program's figures by replaying the events stream, then serves them
// on /metrics and over carecast.v1.MetricsService until SIGTERM.
#include <cstdio>
#include <memory>

#include <prometheus/registry.h>

#include "services/common/base/clock.h"
#include "services/common/base/env_config.h"
#include "services/common/base/logger.h"
#include "services/common/base/shutdown_signal.h"
#include "services/common/bus/bus_metrics.h"
#include "services/common/bus/nats_connection.h"
#include "services/common/bus/subjects.h"
#include "services/common/bus/topology.h"
#include "services/common/rpc/grpc_server.h"
#include "services/common/rpc/http_server.h"
#include "services/common/rpc/jwt_authenticator.h"
#include "services/common/rpc/protobuf_log_routing.h"
#include "services/common/rpc/rpc_edge.h"
#include "services/common/rpc/rpc_metrics.h"
#include "services/common/startup/service_startup.h"
#include "services/metrics/event_ingest.h"
#include "services/metrics/metrics_config.h"
#include "services/metrics/metrics_exposition.h"
#include "services/metrics/metrics_grpc_service.h"
#include "services/metrics/metrics_roles.h"
#include "services/metrics/metrics_service.h"
#include "services/metrics/program_figures.h"

namespace {

using carecast::common::LogFields;

int Fail(carecast::common::Logger& logger, std::string_view what, const absl::Status& status) {
  return carecast::common::LogStartupFailure(logger, what, status, 1);
}

}  // namespace

int main() {
  namespace common = carecast::common;
  namespace metrics = carecast::metrics;
  common::BlockShutdownSignals();
  common::SystemClock clock;

  absl::StatusOr<metrics::MetricsConfig> config = metrics::ReadMetricsConfig(common::ProcessEnv());
  if (!config.ok()) {
    common::JsonLogger boot("metrics", common::LogLevel::kInfo, clock, stderr);
    return Fail(boot, "invalid configuration", config.status());
  }
  const common::CommonConfig& cc = config->common;
  common::JsonLogger logger("metrics", cc.log_level, clock);
  common::RouteProtobufLogsTo(logger);

  // The registry and the observers outlive the connections that report to them.
  prometheus::Registry registry;
  common::BusMetrics bus_metrics(registry);

  common::NatsOptions nats_options = common::NatsOptionsFor(cc, "carecast-metrics", &bus_metrics);
  auto nats = common::NatsConnection::Connect(nats_options, logger);
  if (!nats.ok()) return Fail(logger, "cannot connect to NATS", nats.status());
  common::TopologyOptions topology{.replicas = cc.stream_replicas};
  if (absl::Status s = common::EnsureStreams(**nats, topology); !s.ok())
    return Fail(logger, "cannot ensure streams", s);

  auto authenticator = common::LoadAuthenticator(cc, clock);
  if (!authenticator.ok())
    return Fail(logger, "cannot load the JWT public key", authenticator.status());

  metrics::MetricsExposition exposition(registry);
  metrics::ProgramFigures figures(&exposition);
  metrics::MetricsService service(figures, clock);
  common::RoleTable roles = metrics::MetricsRoleTable();
  common::RpcMetrics rpc_metrics(registry);
  common::RpcEdge edge(**authenticator, roles, rpc_metrics, logger);
  metrics::MetricsGrpcService grpc_service(service, edge);

  common::HttpServer http(common::HttpServerOptionsFor(cc), registry);
  if (absl::Status s = http.Start(); !s.ok()) return Fail(logger, "cannot start HTTP", s);

  auto grpc_server = common::GrpcServer::Start(common::GrpcServerOptionsFor(cc), {&grpc_service});
  if (!grpc_server.ok()) return Fail(logger, "cannot start gRPC", grpc_server.status());
  // Figures are partial until the stream has been replayed: not ready until then.
  (*grpc_server)->SetServing(false);
  http.SetReady(false);

  metrics::EventIngestOptions ingest_options;
  ingest_options.stream = std::string(common::streams::kEvents);
  ingest_options.progress_every = config->replay_log_every;
  ingest_options.poll_interval = config->pending_interval;
  common::GrpcServer* grpc_ptr = grpc_server->get();
  ingest_options.on_caught_up = [&http, grpc_ptr] {
    grpc_ptr->SetServing(true);
    http.SetReady(true);
  };
  metrics::EventIngest ingest(**nats, figures, exposition, logger, ingest_options);
  if (absl::Status s = ingest.Start(); !s.ok()) return Fail(logger, "cannot consume events", s);

  logger.Info("metrics started",
              {{"grpc_port", static_cast<int64_t>((*grpc_server)->port())},
               {"http_port", static_cast<int64_t>(http.port())},
               {"redis", !cc.redis_url.empty() ? "configured, unused" : "not used"}});
  common::AwaitShutdownSignal(logger, http);
  (*grpc_server)->Shutdown(cc.shutdown_grace);
  ingest.Stop();
  http.Stop();
  logger.Info("stopped");
  return 0;
}
