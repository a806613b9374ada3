// carecast-publisher: composition only. Reads the configuration, connects to NATS
// and Redis through the service host, registers the sandbox channel and the
// adapter of every configured network (credentials from the channel secrets, rate
// budgets shared in Redis, one libcurl client), watches the channel tokens' expiry
// (when CARECAST_CHANNEL_SECRETS_DIR is set), runs the dispatch core and serves
// PublisherService over gRPC plus /metrics over HTTP until SIGTERM.
#include <memory>
#include <string>

#include "absl/strings/str_join.h"

#include "services/common/base/env_config.h"
#include "services/common/bus/event_catalogue.h"
#include "services/common/http/curl_http_client.h"
#include "services/common/startup/exit_code.h"
#include "services/common/startup/service_host.h"
#include "services/common/store/outbox.h"
#include "services/common/store/outbox_metrics.h"
#include "services/publisher/channels/channel_registry.h"
#include "services/publisher/channels/file_credential_source.h"
#include "services/publisher/channels/network_channels.h"
#include "services/publisher/channels/redis_rate_limiter.h"
#include "services/publisher/channels/sandbox_channel.h"
#include "services/publisher/channels/token_expiry_watcher.h"
#include "services/publisher/clock_check.h"
#include "services/publisher/engagement_collector.h"
#include "services/publisher/publisher.h"
#include "services/publisher/publisher_config.h"
#include "services/publisher/publisher_grpc_service.h"
#include "services/publisher/publisher_metrics.h"
#include "services/publisher/publisher_roles.h"

namespace {

// The dispatch core's options from the configuration.
carecast::publisher::PublisherOptions DispatchOptions(
    const carecast::publisher::PublisherConfig& config) {
  carecast::publisher::PublisherOptions options;
  options.publisher_id = config.publisher_id;
  options.policy.claim_lease = config.claim_lease;
  options.policy.max_attempts = config.max_attempts;
  options.policy.retry_backoff = config.retry_backoff;
  options.policy.max_retry_backoff = config.max_retry_backoff;
  options.poll_interval = config.poll_interval;
  options.lookahead = config.lookahead;
  options.dispatch_concurrency = static_cast<size_t>(config.dispatch_concurrency);
  options.stream_replicas = config.common.stream_replicas;
  options.relay = {.period = config.common.outbox_relay_period,
                   .grace = config.common.outbox_relay_grace};
  options.index_reconcile_period = config.common.index_reconcile_period;
  options.due_sweep_period = config.due_sweep_period;
  options.due_sweep_horizon = config.due_sweep_horizon;
  options.takedown.automatic = config.auto_takedown;
  options.takedown.retry_backoff = config.takedown_retry_backoff;
  options.takedown.max_retry_backoff = config.takedown_max_retry_backoff;
  return options;
}

// The engagement collector, started; null when CARECAST_ENGAGEMENT_TICK is 0.
absl::StatusOr<std::unique_ptr<carecast::publisher::EngagementCollector>> StartEngagementCollector(
    const carecast::publisher::PublisherConfig& config, carecast::common::ServiceHost& host,
    carecast::publisher::ChannelRegistry& channels, carecast::publisher::EngagementMetrics& metrics,
    carecast::common::IndexRepairObserver& repairs) {
  namespace publisher = carecast::publisher;
  namespace buckets = carecast::common::buckets;
  if (config.engagement_tick <= absl::ZeroDuration()) return nullptr;
  auto collector = std::make_unique<publisher::EngagementCollector>(
      publisher::EngagementCollectorOptions{
          .schedule = config.engagement_schedule,
          .tick = config.engagement_tick,
          .account_reads_per_hour = config.engagement_account_reads_per_hour,
          .followers_interval = config.followers_interval,
          // The whole posts bucket again: ten times rarer than the due index.
          .reconcile_period = config.common.index_reconcile_period * 10},
      publisher::EngagementCollectorDeps{.bus = host.nats(),
                                         .posts = host.bucket(buckets::kPosts),
                                         .organisation = host.bucket(buckets::kOrganisation),
                                         .index = host.index(),
                                         .channels = channels,
                                         .clock = host.clock(),
                                         .logger = host.logger(),
                                         .metrics = metrics,
                                         .repairs = repairs});
  if (absl::Status s = collector->Start(); !s.ok()) return s;
  return collector;
}

}  // namespace

int main() {
  namespace common = carecast::common;
  namespace publisher = carecast::publisher;
  namespace buckets = common::buckets;
  using common::ExitCode;

  absl::StatusOr<publisher::PublisherConfig> config =
      publisher::ReadPublisherConfig(common::ProcessEnv());
  if (!config.ok()) return common::ServiceHost::RefuseConfiguration("publisher", config.status());
  const common::CommonConfig& cc = config->common;
  // The core ensures the streams itself when it starts.
  common::ServiceHost host(
      cc, {.connection_name = "carecast-publisher-" + config->publisher_id,
           .ensure_streams = false,
           .buckets = {std::string(buckets::kPosts), std::string(buckets::kContents),
                       std::string(buckets::kControl), std::string(common::kOutboxBucket),
                       std::string(buckets::kOrganisation)}});
  if (std::optional<int> failed = host.Connect()) return *failed;

  auto sandbox =
      publisher::SandboxChannel::Open(config->sandbox_dir, config->publisher_id, host.clock());
  if (!sandbox.ok()) {
    return host.Fail("cannot open the sandbox record", sandbox.status(), ExitCode::kConfig);
  }
  publisher::ChannelRegistry channels;
  if (absl::Status s = channels.Register(carecast::v1::NETWORK_SANDBOX, **sandbox); !s.ok()) {
    return host.Fail("cannot register the sandbox channel", s, ExitCode::kConfig);
  }

  // The networks: one HTTP client, the accounts' credentials, shared budgets.
  common::CurlHttpClient http_client;
  publisher::RedisRateLimiter rate_limiter(host.redis(), host.clock(), host.logger());
  std::unique_ptr<publisher::FileCredentialSource> credentials;
  std::unique_ptr<publisher::NetworkChannels> networks;
  if (!config->channels.endpoints.empty()) {
    auto opened = publisher::FileCredentialSource::Create(
        {.directory = config->channel_secrets_dir,
         .kv_replicas = cc.stream_replicas,
         .sealing_key_file = config->channel_token_sealing_key_file,
         .holder = config->publisher_id},
        host.nats(), http_client, host.registry(), host.clock(), host.logger());
    if (!opened.ok()) {
      return host.Fail("cannot open the channel credentials", opened.status(), ExitCode::kConfig);
    }
    credentials = *std::move(opened);
    auto built = publisher::NetworkChannels::Create(
        config->channels, {http_client, *credentials, rate_limiter, host.clock()});
    if (!built.ok()) {
      return host.Fail("cannot build the network adapters", built.status(), ExitCode::kConfig);
    }
    networks = *std::move(built);
    if (absl::Status s = networks->RegisterAll(channels); !s.ok()) {
      return host.Fail("cannot register the network adapters", s, ExitCode::kConfig);
    }
  }

  publisher::PublisherMetrics metrics(host.registry());
  std::unique_ptr<publisher::TokenExpiryWatcher> token_watcher;
  if (!config->channel_secrets_dir.empty()) {
    token_watcher = std::make_unique<publisher::TokenExpiryWatcher>(
        publisher::TokenExpiryWatcherOptions{.directory = config->channel_secrets_dir,
                                             .interval = config->channel_token_scan_interval,
                                             .credentials = credentials.get()},
        host.registry(), host.clock(), host.logger());
    token_watcher->Start();
  }
  const publisher::PublisherOptions options = DispatchOptions(*config);
  publisher::ClockCheck clock_check({.tolerance = config->max_clock_skew},
                                    publisher::ClockCheck::RedisTime(host.redis()), host.clock(),
                                    host.logger(), host.registry());
  common::OutboxMetrics outbox_metrics(
      host.registry(), {std::string(buckets::kPosts), std::string(buckets::kOrganisation)});
  auto core =
      publisher::Publisher::Create(options, {.bus = host.nats(),
                                             .posts = host.bucket(buckets::kPosts),
                                             .contents = host.bucket(buckets::kContents),
                                             .control = host.bucket(buckets::kControl),
                                             .index = host.index(),
                                             .channels = channels,
                                             .clock = host.clock(),
                                             .logger = host.logger(),
                                             .metrics = metrics,
                                             .outbox = host.bucket(common::kOutboxBucket),
                                             .outbox_observer = outbox_metrics,
                                             .organisation = &host.bucket(buckets::kOrganisation),
                                             .clock_check = &clock_check});
  if (!core.ok())
    return host.Fail("cannot build the dispatch core", core.status(), ExitCode::kConfig);
  if (absl::Status s = (*core)->Start(); !s.ok()) {
    return host.Fail("cannot start dispatch", s, ExitCode::kDependency);
  }

  // Engagement and follower readings (engagement_collector.h); off with a zero tick.
  publisher::EngagementMetrics engagement_metrics(host.registry());
  absl::StatusOr<std::unique_ptr<publisher::EngagementCollector>> engagement =
      StartEngagementCollector(*config, host, channels, engagement_metrics,
                               metrics.index_repairs());
  if (!engagement.ok()) {
    return host.Fail("cannot start the engagement collector", engagement.status(),
                     ExitCode::kDependency);
  }

  publisher::PublisherGrpcService grpc_service(**core, host.Edge(publisher::PublisherRoleTable()));
  return host.Serve(
      {.grpc_services = {&grpc_service},
       .started_message = "publisher serving",
       .started_fields = {{"publisher_id", config->publisher_id},
                          {"networks", absl::StrJoin(config->channels.ConfiguredNames(), ",")},
                          {"sandbox", (*sandbox)->path()}},
       // Stop dispatching first: the post in flight is finished and
       // recorded, then the consumers are drained; only then stop answering.
       .stop = [&] {
         (*core)->Stop();
         if (*engagement != nullptr) (*engagement)->Stop();
         if (token_watcher != nullptr) token_watcher->Stop();
       }});
}
