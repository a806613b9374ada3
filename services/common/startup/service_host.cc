#include "services/common/startup/service_host.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

#include "services/common/base/shutdown_signal.h"
#include "services/common/bus/topology.h"
#include "services/common/rpc/protobuf_log_routing.h"
#include "services/common/startup/service_startup.h"

namespace carecast::common {
namespace {

constexpr std::string_view kIndexPrefix = "carecast:";
// How long start-up waits for NATS to be able to place streams and buckets.
constexpr absl::Duration kStartupRetryFor = absl::Seconds(60);

void LogFailure(Logger& logger, std::string_view what, const absl::Status& status, ExitCode code,
                LogFields fields = {}) {
  fields.push_back({"error", std::string(status.message())});
  fields.push_back({"code", std::string(absl::StatusCodeToString(status.code()))});
  fields.push_back({"exit_code", static_cast<int64_t>(ExitStatus(code))});
  logger.Error(what, fields);
}

}  // namespace

int ServiceHost::RefuseConfiguration(std::string_view service_name, const absl::Status& status) {
  SystemClock clock;
  JsonLogger boot(std::string(service_name), LogLevel::kInfo, clock, stderr);
  LogFailure(boot, "invalid configuration", status, ExitCode::kConfig);
  return ExitStatus(ExitCode::kConfig);
}

ServiceHost::ServiceHost(const CommonConfig& config, ServiceHostOptions options)
    : config_(config),
      options_(std::move(options)),
      logger_(config.service_name, config.log_level, clock_),
      bus_metrics_(registry_),
      redis_metrics_(options_.redis
                         ? std::make_unique<RedisMetrics>(registry_, RedisSortedIndex::Commands())
                         : nullptr),
      rpc_metrics_(registry_),
      http_(HttpServerOptionsFor(config), registry_, &series_) {
  // No member started a thread; every thread started from here on inherits the mask.
  BlockShutdownSignals();
  RouteProtobufLogsTo(logger_);
}

ServiceHost::~ServiceHost() = default;

int ServiceHost::Fail(std::string_view what, const absl::Status& status, ExitCode code) {
  LogFailure(logger_, what, status, code);
  return ExitStatus(code);
}

std::optional<int> ServiceHost::Connect() {
  // Configuration first: a bad key file fails before any connection is tried.
  auto authenticator = LoadAuthenticator(config_, clock_);
  if (!authenticator.ok()) {
    return Fail("cannot load the JWT public key", authenticator.status(), ExitCode::kConfig);
  }
  authenticator_ = *std::move(authenticator);

  std::optional<RedisOptions> redis_options;
  if (options_.redis) {
    absl::StatusOr<RedisOptions> read = RedisOptionsFor(config_, redis_metrics_.get());
    if (!read.ok()) {
      return Fail("cannot read the Redis password", read.status(), ExitCode::kConfig);
    }
    redis_options = *std::move(read);
  }

  if (std::optional<int> failed = ConnectNats()) return failed;

  if (redis_options.has_value()) {
    auto redis = RedisClient::Connect(*redis_options, logger_);
    if (!redis.ok()) return Fail("cannot connect to Redis", redis.status(), ExitCode::kDependency);
    redis_ = *std::move(redis);
    index_ = std::make_unique<RedisSortedIndex>(*redis_, std::string(kIndexPrefix));
  }
  return std::nullopt;
}

absl::Status ServiceHost::RetryWhileUnavailable(std::string_view what,
                                                const std::function<absl::Status()>& step) {
  // A cluster still electing leaders, or placing many R3 streams and buckets
  // at once as every service starts, answers UNAVAILABLE or times out for a
  // while; that is not a reason to exit.
  const absl::Time deadline = absl::Now() + kStartupRetryFor;
  absl::Duration wait = absl::Milliseconds(250);
  for (int attempt = 1;; ++attempt) {
    absl::Status s = step();
    if (s.ok() || !absl::IsUnavailable(s) || absl::Now() + wait >= deadline) return s;
    logger_.Warn("NATS not ready at start; retrying", {{"step", std::string(what)},
                                                       {"attempt", static_cast<int64_t>(attempt)},
                                                       {"error", std::string(s.message())}});
    absl::SleepFor(wait);
    wait = std::min(wait * 2, absl::Seconds(4));
  }
}

std::optional<int> ServiceHost::ConnectNats() {
  const std::string name = options_.connection_name.empty()
                               ? absl::StrCat("carecast-", config_.service_name)
                               : options_.connection_name;
  auto nats = NatsConnection::Connect(NatsOptionsFor(config_, name, &bus_metrics_), logger_);
  if (!nats.ok()) return Fail("cannot connect to NATS", nats.status(), ExitCode::kDependency);
  nats_ = *std::move(nats);
  const TopologyOptions topology{.replicas = config_.stream_replicas};
  if (options_.ensure_streams) {
    if (absl::Status s = RetryWhileUnavailable("ensuring streams",
                                               [&] { return EnsureStreams(*nats_, topology); });
        !s.ok()) {
      return Fail("cannot ensure streams", s, ExitCode::kDependency);
    }
  }
  for (const std::string& bucket_name : options_.buckets) {
    absl::StatusOr<std::unique_ptr<KeyValueStore>> bucket =
        absl::UnavailableError("not opened yet");
    (void)RetryWhileUnavailable(absl::StrCat("opening bucket ", bucket_name), [&] {
      bucket = nats_->OpenBucket(BucketSpecFor(bucket_name, topology));
      return bucket.status();
    });
    if (!bucket.ok()) {
      LogFailure(logger_, "cannot open a KV bucket", bucket.status(), ExitCode::kDependency,
                 {{"bucket", bucket_name}});
      return ExitStatus(ExitCode::kDependency);
    }
    buckets_[bucket_name] = *std::move(bucket);
  }
  return std::nullopt;
}

KeyValueStore& ServiceHost::bucket(std::string_view name) {
  auto it = buckets_.find(name);
  // A bucket not named in the options is a programming error in main().
  if (it == buckets_.end()) {
    logger_.Error("bucket not opened by the host", {{"bucket", std::string(name)}});
    std::abort();
  }
  return *it->second;
}

RpcEdge& ServiceHost::Edge(RoleTable roles) {
  roles_.emplace(std::move(roles));
  edge_ = std::make_unique<RpcEdge>(*authenticator_, *roles_, rpc_metrics_, logger_);
  return *edge_;
}

void ServiceHost::AddPostRoute(const std::string& path, HttpHandler handler) {
  http_.AddPostRoute(path, std::move(handler));
}

void ServiceHost::AddGetRoute(const std::string& path, HttpHandler handler) {
  http_.AddGetRoute(path, std::move(handler));
}

void ServiceHost::AddGetPrefixRoute(const std::string& prefix, HttpHandler handler) {
  http_.AddGetPrefixRoute(prefix, std::move(handler));
}

void ServiceHost::SetReady(bool ready) {
  std::lock_guard lock(ready_mu_);
  if (stopping_) return;
  ready_ = ready;
  ApplyReadiness();
}

void ServiceHost::ApplyReadiness() {
  if (grpc_ != nullptr) grpc_->SetServing(ready_);
  http_.SetReady(ready_);
}

int ServiceHost::Serve(ServeOptions options) {
  auto stop_core = [&options] {
    if (options.stop) options.stop();
  };
  if (absl::Status s = http_.Start(); !s.ok()) {
    stop_core();
    return Fail("cannot start HTTP", s, ExitCode::kDependency);
  }
  auto grpc = GrpcServer::Start(GrpcServerOptionsFor(config_), options.grpc_services);
  if (!grpc.ok()) {
    stop_core();
    http_.Stop();
    return Fail("cannot start gRPC", grpc.status(), ExitCode::kDependency);
  }
  int grpc_port = (*grpc)->port();
  {
    std::lock_guard lock(ready_mu_);
    grpc_ = *std::move(grpc);
    if (options.ready_at_start) ready_ = true;
    ApplyReadiness();
  }

  LogFields fields = {{"grpc_port", static_cast<int64_t>(grpc_port)},
                      {"http_port", static_cast<int64_t>(http_.port())}};
  fields.insert(fields.end(), options.started_fields.begin(), options.started_fields.end());
  logger_.Info(options.started_message, fields);

  const int signal = WaitForShutdownSignal();
  logger_.Info("shutting down", {{"signal", static_cast<int64_t>(signal)}});
  {
    std::lock_guard lock(ready_mu_);
    stopping_ = true;
    ready_ = false;
    ApplyReadiness();
  }
  stop_core();
  // stop_core ended whatever could call SetReady; the server is ours alone now.
  std::unique_ptr<GrpcServer> server;
  {
    std::lock_guard lock(ready_mu_);
    server = std::move(grpc_);
  }
  server->Shutdown(config_.shutdown_grace);
  server.reset();  // the gRPC services belong to main() and die before the host
  http_.Stop();
  logger_.Info("stopped");
  return ExitStatus(ExitCode::kOk);
}

}  // namespace carecast::common
