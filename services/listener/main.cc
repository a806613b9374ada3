// carecast-listener: composition only. Reads the configuration, connects to NATS
// and Redis, and serves ListenerService over gRPC plus the mention webhook
// (POST /v1/mentions) and /metrics over HTTP until SIGTERM.
#include <cstdio>
#include <memory>

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
#include "services/listener/engine_classifier.h"
#include "services/listener/listener.h"
#include "services/listener/listener_config.h"
#include "services/listener/listener_grpc_service.h"
#include "services/listener/listener_metrics.h"
#include "services/listener/listener_roles.h"
#include "services/listener/mention_webhook.h"

namespace {

// This service's exit status for each start-up failure.
int Fail(carecast::common::Logger& logger, std::string_view what, const absl::Status& status) {
  return carecast::common::LogStartupFailure(logger, what, status, 1);
}

}  // namespace

int main() {
  namespace common = carecast::common;
  namespace listener = carecast::listener;
  common::BlockShutdownSignals();
  common::SystemClock clock;

  absl::StatusOr<listener::ListenerConfig> config =
      listener::ReadListenerConfig(common::ProcessEnv());
  if (!config.ok()) {
    common::JsonLogger boot("listener", common::LogLevel::kInfo, clock, stderr);
    return Fail(boot, "invalid configuration", config.status());
  }
  const common::CommonConfig& cc = config->common;
  common::JsonLogger logger("listener", cc.log_level, clock);
  common::RouteProtobufLogsTo(logger);

  // The registry and the observers outlive the connections that report to them.
  prometheus::Registry registry;
  common::BusMetrics bus_metrics(registry);
  common::RedisMetrics redis_metrics(registry, common::RedisSortedIndex::Commands());

  common::NatsOptions nats_options = common::NatsOptionsFor(cc, "carecast-listener", &bus_metrics);
  auto nats = common::NatsConnection::Connect(nats_options, logger);
  if (!nats.ok()) return Fail(logger, "cannot connect to NATS", nats.status());
  common::TopologyOptions topology{.replicas = cc.stream_replicas};
  if (absl::Status s = common::EnsureStreams(**nats, topology); !s.ok()) {
    return Fail(logger, "cannot ensure streams", s);
  }

  absl::StatusOr<common::RedisOptions> redis_options = common::RedisOptionsFor(cc, &redis_metrics);
  if (!redis_options.ok()) {
    return Fail(logger, "cannot read the Redis password", redis_options.status());
  }
  auto redis = common::RedisClient::Connect(*redis_options, logger);
  if (!redis.ok()) return Fail(logger, "cannot connect to Redis", redis.status());
  common::RedisSortedIndex index(**redis, "carecast:");

  auto authenticator = common::LoadAuthenticator(cc, clock);
  if (!authenticator.ok()) {
    return Fail(logger, "cannot load the JWT public key", authenticator.status());
  }

  listener::ListenerMetrics metrics(registry);
  auto engine = common::text::TextAnalyzer::Create(common::text::DefaultTextConfig());
  if (!engine.ok()) return Fail(logger, "cannot build the text engine", engine.status());
  if (absl::Status s = (*engine)->ReplaceTrackedKeywords(config->options.tracked_keywords);
      !s.ok()) {
    return Fail(logger, "the tracked keywords do not compile", s);
  }
  listener::EngineClassifier classifier(**engine);
  common::OutboxMetrics outbox_metrics(registry, listener::Listener::EntityBuckets());
  auto core = listener::Listener::Open(config->options, topology,
                                       {.buckets = **nats,
                                        .bus = **nats,
                                        .index = index,
                                        .classifier = classifier,
                                        .metrics = metrics,
                                        .clock = clock,
                                        .logger = logger,
                                        .outbox_observer = outbox_metrics});
  if (!core.ok()) return Fail(logger, "cannot open the listener buckets", core.status());
  // The outbox relay and the consumer that opens inbox items from classified
  // mentions (what a crash between the two steps left undone).
  if (absl::Status s =
          (*core)->Start({.period = cc.outbox_relay_period, .grace = cc.outbox_relay_grace});
      !s.ok()) {
    return Fail(logger, "cannot start the listener's background work", s);
  }
  // Build the inbox index now (from KV when Redis lost it) rather than on the
  // first listing; a failure here is not fatal because listings retry it.
  if (absl::Status s = (*core)->WarmInboxIndex(); !s.ok()) {
    logger.Warn("inbox index not built at start", {{"error", std::string(s.message())}});
  }
  common::RoleTable roles = listener::ListenerRoleTable();
  common::RpcMetrics rpc_metrics(registry);
  common::RpcEdge edge(**authenticator, roles, rpc_metrics, logger);
  listener::ListenerGrpcService grpc_service(**core, edge);
  listener::MentionWebhook webhook(**core, **authenticator, roles, metrics, logger);

  common::HttpServer http(common::HttpServerOptionsFor(cc), registry);
  http.AddPostRoute(
      std::string(listener::kWebhookPath),
      [&webhook](const common::HttpRequest& request) { return webhook.Handle(request); });
  if (absl::Status s = http.Start(); !s.ok()) return Fail(logger, "cannot start HTTP", s);

  auto grpc_server = common::GrpcServer::Start(common::GrpcServerOptionsFor(cc), {&grpc_service});
  if (!grpc_server.ok()) return Fail(logger, "cannot start gRPC", grpc_server.status());
  (*grpc_server)->SetServing(true);
  http.SetReady(true);

  logger.Info(
      "listener started",
      {{"grpc_port", static_cast<int64_t>((*grpc_server)->port())},
       {"http_port", static_cast<int64_t>(http.port())},
       {"tracked_keywords", static_cast<int64_t>(config->options.tracked_keywords.size())}});
  common::AwaitShutdownSignal(logger, http);
  (*grpc_server)->Shutdown(cc.shutdown_grace);
  (*core)->Stop();
  http.Stop();
  logger.Info("stopped");
  return 0;
}
