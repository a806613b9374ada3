// carecast-planner: composition only. Reads the configuration, connects to NATS
// and Redis, and serves PlannerService over gRPC plus /metrics, /healthz and
// /readyz over HTTP until SIGTERM.
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include <prometheus/registry.h>

#include "services/common/base/clock.h"
#include "services/common/base/env_config.h"
#include "services/common/base/logger.h"
#include "services/common/base/shutdown_signal.h"
#include "services/common/bus/bus_metrics.h"
#include "services/common/bus/nats_connection.h"
#include "services/common/bus/topology.h"
#include "services/common/redis/redis_client.h"
#include "services/common/redis/redis_metrics.h"
#include "services/common/redis/redis_sorted_index.h"
#include "services/common/rpc/grpc_server.h"
#include "services/common/rpc/http_server.h"
#include "services/common/rpc/jwt_authenticator.h"
#include "services/common/rpc/protobuf_log_routing.h"
#include "services/common/rpc/rpc_edge.h"
#include "services/common/rpc/rpc_metrics.h"
#include "services/common/startup/service_startup.h"
#include "services/common/store/outbox_metrics.h"
#include "services/common/text/text_analyzer.h"
#include "services/planner/engine_guard.h"
#include "services/planner/planner.h"
#include "services/planner/planner_config.h"
#include "services/planner/planner_grpc_service.h"
#include "services/planner/planner_metrics.h"
#include "services/planner/planner_roles.h"

namespace {

constexpr int kExitConfig = 2;
constexpr int kExitDependency = 1;

int Fail(carecast::common::Logger& logger, std::string_view what, const absl::Status& status,
         int code) {
  return carecast::common::LogStartupFailure(logger, what, status, code);
}

}  // namespace

int main() {
  namespace common = carecast::common;
  namespace planner = carecast::planner;
  common::BlockShutdownSignals();
  common::SystemClock clock;

  absl::StatusOr<planner::PlannerConfig> config = planner::LoadPlannerConfig(common::ProcessEnv());
  if (!config.ok()) {
    common::JsonLogger boot("planner", common::LogLevel::kInfo, clock, stderr);
    return Fail(boot, "invalid configuration", config.status(), kExitConfig);
  }
  const common::CommonConfig& cc = config->common;
  common::JsonLogger logger("planner", cc.log_level, clock);
  common::RouteProtobufLogsTo(logger);

  auto authenticator = common::LoadAuthenticator(cc, clock);
  if (!authenticator.ok()) {
    return Fail(logger, "cannot load the JWT public key", authenticator.status(), kExitConfig);
  }

  // The registry and the observers outlive the connections that report to them.
  prometheus::Registry registry;
  common::BusMetrics bus_metrics(registry);
  common::RedisMetrics redis_metrics(registry, common::RedisSortedIndex::Commands());

  common::NatsOptions nats_options = common::NatsOptionsFor(cc, "carecast-planner", &bus_metrics);
  auto nats = common::NatsConnection::Connect(nats_options, logger);
  if (!nats.ok()) return Fail(logger, "cannot connect to NATS", nats.status(), kExitDependency);
  common::TopologyOptions topology{.replicas = cc.stream_replicas};
  if (absl::Status s = common::EnsureStreams(**nats, topology); !s.ok()) {
    return Fail(logger, "cannot ensure streams", s, kExitDependency);
  }

  absl::StatusOr<common::RedisOptions> redis_options = common::RedisOptionsFor(cc, &redis_metrics);
  if (!redis_options.ok()) {
    return Fail(logger, "cannot read the Redis password", redis_options.status(), kExitConfig);
  }
  auto redis = common::RedisClient::Connect(*redis_options, logger);
  if (!redis.ok()) return Fail(logger, "cannot connect to Redis", redis.status(), kExitDependency);
  common::RedisSortedIndex index(**redis, "carecast:");

  planner::PlannerMetrics metrics(registry);
  auto engine = common::text::TextAnalyzer::Create(common::text::DefaultTextConfig());
  if (!engine.ok()) {
    return Fail(logger, "cannot build the text engine", engine.status(), kExitConfig);
  }
  planner::EngineGuard guard(**engine);
  planner::PlannerOptions options;
  options.max_schedule_horizon = config->max_schedule_horizon;
  options.min_lead_time = config->min_lead_time;
  options.batch_concurrency = config->batch_concurrency;
  options.replicas = cc.stream_replicas;
  options.instance = absl::StrCat("planner-", getpid());
  options.relay = {.period = cc.outbox_relay_period, .grace = cc.outbox_relay_grace};
  options.index_reconcile_period = cc.index_reconcile_period;
  options.channels = config->channels;
  common::OutboxMetrics outbox_metrics(registry, planner::Planner::EntityBuckets());
  auto core = planner::Planner::Create(options, {.buckets = **nats,
                                                 .bus = **nats,
                                                 .index = index,
                                                 .clock = clock,
                                                 .guard = guard,
                                                 .metrics = metrics,
                                                 .logger = logger,
                                                 .outbox_observer = outbox_metrics});
  if (!core.ok()) {
    return Fail(logger, "cannot open the planner buckets", core.status(), kExitDependency);
  }
  // Build the calendar now (from KV when Redis lost it) rather than on the first
  // listing; not fatal, because every listing checks again.
  if (absl::Status s = (*core)->WarmCalendar(); !s.ok()) {
    logger.Warn("calendar index not built at start", {{"error", std::string(s.message())}});
  }

  // Finish what a previous process left owing (a crash between a write and its
  // events), now and then periodically.
  (*core)->StartRelay();
  // Check the calendar against KV every period too, not only when its marker is gone.
  (*core)->StartIndexReconciliation();

  common::RoleTable roles = planner::PlannerRoleTable();
  common::RpcMetrics rpc_metrics(registry);
  common::RpcEdge edge(**authenticator, roles, rpc_metrics, logger);
  planner::PlannerGrpcService grpc_service(**core, edge);

  common::HttpServer http(common::HttpServerOptionsFor(cc), registry);
  if (absl::Status s = http.Start(); !s.ok()) {
    return Fail(logger, "cannot start HTTP", s, kExitDependency);
  }

  auto grpc_server = common::GrpcServer::Start(common::GrpcServerOptionsFor(cc), {&grpc_service});
  if (!grpc_server.ok()) {
    return Fail(logger, "cannot start gRPC", grpc_server.status(), kExitDependency);
  }
  (*grpc_server)->SetServing(true);
  http.SetReady(true);

  logger.Info("planner started",
              {{"grpc_port", static_cast<int64_t>((*grpc_server)->port())},
               {"http_port", static_cast<int64_t>(http.port())},
               {"channels", absl::StrJoin(config->channels.ConfiguredNames(), ",")}});
  common::AwaitShutdownSignal(logger, http);
  (*grpc_server)->Shutdown(cc.shutdown_grace);
  http.Stop();
  logger.Info("stopped");
  return 0;
}
