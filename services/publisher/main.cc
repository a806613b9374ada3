// carecast-publisher: composition only. Reads the configuration, connects to NATS
// and Redis, registers the sandbox channel and the adapter of every configured
// network (credentials from the channel secrets, rate budgets shared in Redis,
// one libcurl client), watches the channel tokens' expiry
// (when CARECAST_CHANNEL_SECRETS_DIR is set), runs the dispatch core and serves
// PublisherService over gRPC plus /metrics over HTTP until SIGTERM.
#include <cstdio>
#include <memory>

#include "absl/strings/str_join.h"
#include <prometheus/registry.h>

#include "services/common/base/clock.h"
#include "services/common/base/env_config.h"
#include "services/common/base/logger.h"
#include "services/common/base/shutdown_signal.h"
#include "services/common/bus/bus_metrics.h"
#include "services/common/bus/nats_connection.h"
#include "services/common/bus/subjects.h"
#include "services/common/bus/topology.h"
#include "services/common/http/curl_http_client.h"
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
#include "services/publisher/channels/channel_registry.h"
#include "services/publisher/channels/file_credential_source.h"
#include "services/publisher/channels/network_channels.h"
#include "services/publisher/channels/redis_rate_limiter.h"
#include "services/publisher/channels/sandbox_channel.h"
#include "services/publisher/channels/token_expiry_watcher.h"
#include "services/publisher/publisher.h"
#include "services/publisher/publisher_config.h"
#include "services/publisher/publisher_grpc_service.h"
#include "services/publisher/publisher_metrics.h"
#include "services/publisher/publisher_roles.h"

namespace {

// This service's exit status for each start-up failure.
int Fail(carecast::common::Logger& logger, std::string_view what, const absl::Status& status) {
  return carecast::common::LogStartupFailure(logger, what, status, 1);
}

}  // namespace

int main() {
  namespace common = carecast::common;
  namespace publisher = carecast::publisher;
  common::BlockShutdownSignals();
  common::SystemClock clock;

  absl::StatusOr<publisher::PublisherConfig> config =
      publisher::ReadPublisherConfig(common::ProcessEnv());
  if (!config.ok()) {
    common::JsonLogger boot("publisher", common::LogLevel::kInfo, clock, stderr);
    return Fail(boot, "invalid configuration", config.status());
  }
  const common::CommonConfig& cc = config->common;
  common::JsonLogger logger("publisher", cc.log_level, clock);
  common::RouteProtobufLogsTo(logger);

  // The registry and the observers outlive the connections that report to them.
  prometheus::Registry registry;
  common::BusMetrics bus_metrics(registry);
  common::RedisMetrics redis_metrics(registry, common::RedisSortedIndex::Commands());

  common::NatsOptions nats_options =
      common::NatsOptionsFor(cc, "carecast-publisher-" + config->publisher_id, &bus_metrics);
  auto nats = common::NatsConnection::Connect(nats_options, logger);
  if (!nats.ok()) return Fail(logger, "cannot connect to NATS", nats.status());
  common::TopologyOptions topology{.replicas = cc.stream_replicas};
  auto posts = (*nats)->OpenBucket(common::BucketSpecFor(common::buckets::kPosts, topology));
  if (!posts.ok()) return Fail(logger, "cannot open the posts bucket", posts.status());
  auto contents = (*nats)->OpenBucket(common::BucketSpecFor(common::buckets::kContents, topology));
  if (!contents.ok()) return Fail(logger, "cannot open the contents bucket", contents.status());
  auto control = (*nats)->OpenBucket(common::BucketSpecFor(common::buckets::kControl, topology));
  if (!control.ok()) return Fail(logger, "cannot open the control bucket", control.status());
  auto outbox = (*nats)->OpenBucket(common::BucketSpecFor(common::kOutboxBucket, topology));
  if (!outbox.ok()) return Fail(logger, "cannot open the outbox bucket", outbox.status());

  absl::StatusOr<common::RedisOptions> redis_options = common::RedisOptionsFor(cc, &redis_metrics);
  if (!redis_options.ok()) {
    return Fail(logger, "cannot read the Redis password", redis_options.status());
  }
  auto redis = common::RedisClient::Connect(*redis_options, logger);
  if (!redis.ok()) return Fail(logger, "cannot connect to Redis", redis.status());
  common::RedisSortedIndex index(**redis, "carecast:");

  auto sandbox = publisher::SandboxChannel::Open(config->sandbox_dir, config->publisher_id, clock);
  if (!sandbox.ok()) return Fail(logger, "cannot open the sandbox record", sandbox.status());
  publisher::ChannelRegistry channels;
  if (absl::Status s = channels.Register(carecast::v1::NETWORK_SANDBOX, **sandbox); !s.ok()) {
    return Fail(logger, "cannot register the sandbox channel", s);
  }

  // The networks: one HTTP client, the accounts' credentials, shared budgets.
  common::CurlHttpClient http_client;
  publisher::RedisRateLimiter rate_limiter(**redis, clock, logger);
  std::unique_ptr<publisher::FileCredentialSource> credentials;
  std::unique_ptr<publisher::NetworkChannels> networks;
  if (!config->channels.endpoints.empty()) {
    auto opened = publisher::FileCredentialSource::Create(
        {.directory = config->channel_secrets_dir,
         .kv_replicas = cc.stream_replicas,
         .sealing_key_file = config->channel_token_sealing_key_file,
         .holder = config->publisher_id},
        **nats, http_client, registry, clock, logger);
    if (!opened.ok()) return Fail(logger, "cannot open the channel credentials", opened.status());
    credentials = *std::move(opened);
    auto built = publisher::NetworkChannels::Create(
        config->channels, {http_client, *credentials, rate_limiter, clock});
    if (!built.ok()) return Fail(logger, "cannot build the network adapters", built.status());
    networks = *std::move(built);
    if (absl::Status s = networks->RegisterAll(channels); !s.ok()) {
      return Fail(logger, "cannot register the network adapters", s);
    }
  }

  auto authenticator = common::LoadAuthenticator(cc, clock);
  if (!authenticator.ok()) {
    return Fail(logger, "cannot load the JWT public key", authenticator.status());
  }

  publisher::PublisherMetrics metrics(registry);
  std::unique_ptr<publisher::TokenExpiryWatcher> token_watcher;
  if (!config->channel_secrets_dir.empty()) {
    token_watcher = std::make_unique<publisher::TokenExpiryWatcher>(
        publisher::TokenExpiryWatcherOptions{.directory = config->channel_secrets_dir,
                                             .interval = config->channel_token_scan_interval,
                                             .credentials = credentials.get()},
        registry, clock, logger);
    token_watcher->Start();
  }
  publisher::PublisherOptions options;
  options.publisher_id = config->publisher_id;
  options.policy.claim_lease = config->claim_lease;
  options.policy.max_attempts = config->max_attempts;
  options.policy.retry_backoff = config->retry_backoff;
  options.policy.max_retry_backoff = config->max_retry_backoff;
  options.poll_interval = config->poll_interval;
  options.dispatch_concurrency = static_cast<size_t>(config->dispatch_concurrency);
  options.stream_replicas = cc.stream_replicas;
  options.relay = {.period = cc.outbox_relay_period, .grace = cc.outbox_relay_grace};
  options.index_reconcile_period = cc.index_reconcile_period;
  options.due_sweep_period = config->due_sweep_period;
  options.due_sweep_horizon = config->due_sweep_horizon;
  common::OutboxMetrics outbox_metrics(registry, {std::string(common::buckets::kPosts)});
  publisher::Publisher core(options, {.bus = **nats,
                                      .posts = **posts,
                                      .contents = **contents,
                                      .control = **control,
                                      .index = index,
                                      .channels = channels,
                                      .clock = clock,
                                      .logger = logger,
                                      .metrics = metrics,
                                      .outbox = **outbox,
                                      .outbox_observer = outbox_metrics});
  if (absl::Status s = core.Start(); !s.ok()) return Fail(logger, "cannot start dispatch", s);

  common::RoleTable roles = publisher::PublisherRoleTable();
  common::RpcMetrics rpc_metrics(registry);
  common::RpcEdge edge(**authenticator, roles, rpc_metrics, logger);
  publisher::PublisherGrpcService grpc_service(core, edge);

  common::HttpServer http(common::HttpServerOptionsFor(cc), registry);
  if (absl::Status s = http.Start(); !s.ok()) return Fail(logger, "cannot start HTTP", s);

  auto grpc_server = common::GrpcServer::Start(common::GrpcServerOptionsFor(cc), {&grpc_service});
  if (!grpc_server.ok()) return Fail(logger, "cannot start gRPC", grpc_server.status());
  (*grpc_server)->SetServing(true);
  http.SetReady(true);

  logger.Info("publisher serving",
              {{"publisher_id", config->publisher_id},
               {"grpc_port", static_cast<int64_t>((*grpc_server)->port())},
               {"http_port", static_cast<int64_t>(http.port())},
               {"networks", absl::StrJoin(config->channels.ConfiguredNames(), ",")},
               {"sandbox", (*sandbox)->path()}});
  common::AwaitShutdownSignal(logger, http);
  // Stop dispatching first: the post in flight is finished and recorded, then
  // the consumers are drained; only then stop answering.
  core.Stop();
  (*grpc_server)->Shutdown(cc.shutdown_grace);
  if (token_watcher != nullptr) token_watcher->Stop();
  http.Stop();
  logger.Info("stopped");
  return 0;
}
