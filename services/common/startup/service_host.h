// The one service host: what every CareCast service does the same way between
// main()'s first line and its return. It owns the JSON logger (protobuf's logs
// routed to it), the Prometheus registry with the bus and Redis metrics, the NATS
// connection (streams ensured, buckets opened), the Redis client, the JWT
// authenticator, the RPC metrics and edge, the HTTP server and the gRPC server.
// main() loads its configuration, builds the host, Connect()s it, builds its core
// and gRPC service from what the host hands out, and returns Serve().
//
// Shutdown order (Serve, on SIGTERM or SIGINT):
//   1. not ready: gRPC health NOT_SERVING and /readyz 503;
//   2. the service's stop callback (the core's background work);
//   3. gRPC shutdown, calls in flight given CommonConfig::shutdown_grace;
//   4. HTTP stop;
//   5. connections last: Redis and NATS close when the host is destroyed, after
//      the core main() built on them (declare the host first).
//
// Not thread-safe except SetReady(). config(), clock(), logger() and registry()
// are valid from construction, the connections and authenticator() after a
// successful Connect(), all until the host is destroyed.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>

#include "services/common/base/clock.h"
#include "services/common/base/env_config.h"
#include "services/common/base/logger.h"
#include "services/common/bus/bus_metrics.h"
#include "services/common/bus/key_value_store.h"
#include "services/common/bus/nats_connection.h"
#include "services/common/redis/redis_client.h"
#include "services/common/redis/redis_metrics.h"
#include "services/common/redis/redis_sorted_index.h"
#include "services/common/rpc/grpc_server.h"
#include "services/common/rpc/http_server.h"
#include "services/common/rpc/jwt_authenticator.h"
#include "services/common/rpc/role_table.h"
#include "services/common/rpc/rpc_edge.h"
#include "services/common/rpc/rpc_metrics.h"
#include "services/common/rpc/series_table.h"
#include "services/common/startup/exit_code.h"

namespace carecast::common {

// What a service needs connected before its core is built.
struct ServiceHostOptions {
  // The NATS connection's name as the server shows it. Empty: "carecast-<service>".
  std::string connection_name;
  // Create or update the suite's streams after connecting (EnsureStreams).
  bool ensure_streams = true;
  // KV buckets opened after connecting (BucketSpecFor, configured replicas);
  // bucket(name) hands them out.
  std::vector<std::string> buckets;
  // Connect to Redis (RedisMetrics over RedisSortedIndex's commands, and the
  // "carecast:" sorted index). False: no Redis client, no Redis metrics.
  bool redis = true;
};

// What Serve() serves and how it stops.
struct ServeOptions {
  // Hosted with health and reflection; each must outlive Serve().
  std::vector<grpc::Service*> grpc_services;
  // The line logged once serving, e.g. "planner started"; grpc_port and
  // http_port are logged first, then `started_fields`.
  std::string started_message;
  LogFields started_fields;
  // Stops the core's background work (shutdown step 2, also run when serving
  // fails to start). May be empty.
  std::function<void()> stop;
  // False: not ready until SetReady(true) (e.g. until a replay has caught up).
  bool ready_at_start = true;
};

class ServiceHost {
 public:
  // Logs "invalid configuration" with `status` to stderr (the configured logger
  // does not exist yet) and returns ExitCode::kConfig as main()'s exit status.
  static int RefuseConfiguration(std::string_view service_name, const absl::Status& status);

  // Blocks SIGTERM and SIGINT (construct the host before any thread starts),
  // builds the logger for config.service_name at config.log_level, routes
  // protobuf's logs to it, and builds the registry and the connection metrics.
  ServiceHost(const CommonConfig& config, ServiceHostOptions options = {});
  ~ServiceHost();
  ServiceHost(const ServiceHost&) = delete;
  ServiceHost& operator=(const ServiceHost&) = delete;

  // Loads the JWT public key, connects to NATS (streams, buckets) and to Redis.
  // nullopt on success; else the failure is logged and the result is main()'s
  // exit status (ExitCode::kConfig or kDependency).
  std::optional<int> Connect();

  // Logs that `what` failed with `status` (message and code, never a secret) and
  // returns `code` as main()'s exit status.
  int Fail(std::string_view what, const absl::Status& status, ExitCode code);

  const CommonConfig& config() const { return config_; }
  const Clock& clock() const { return clock_; }
  Logger& logger() { return logger_; }
  prometheus::Registry& registry() { return registry_; }
  // Families with many series (served on /metrics after the registry's).
  SeriesTable& series() { return series_; }
  NatsConnection& nats() { return *nats_; }
  // A bucket named in ServiceHostOptions::buckets.
  KeyValueStore& bucket(std::string_view name);
  // With ServiceHostOptions::redis only.
  RedisClient& redis() { return *redis_; }
  SortedIndex& index() { return *index_; }
  const JwtAuthenticator& authenticator() const { return *authenticator_; }

  // The one RpcEdge (authentication, `roles`, RPC metrics, call log) for the
  // service's gRPC service; call once. roles() is `roles` from then on.
  RpcEdge& Edge(RoleTable roles);
  const RoleTable& roles() const { return *roles_; }

  // Adds an exact-path POST route to the HTTP server, before Serve().
  void AddPostRoute(const std::string& path, HttpHandler handler);
  void AddGetRoute(const std::string& path, HttpHandler handler);
  void AddGetPrefixRoute(const std::string& prefix, HttpHandler handler);

  // Starts HTTP (/metrics, /healthz, /readyz, the added routes) and gRPC, logs
  // options.started_message, waits for SIGTERM or SIGINT and stops in the order
  // above, then logs "stopped". Returns main()'s exit status: 0, or
  // ExitCode::kDependency when a server cannot start. Call once.
  int Serve(ServeOptions options);

  // Ready (gRPC health SERVING, /readyz 200) or not. Thread-safe; may be called
  // before Serve() (applied once serving) and is ignored once shutdown began.
  void SetReady(bool ready);

 private:
  // Applies ready_ to the servers; ready_mu_ held.
  void ApplyReadiness() ABSL_EXCLUSIVE_LOCKS_REQUIRED(ready_mu_);
  // The NATS part of Connect(): connection, streams, buckets.
  std::optional<int> ConnectNats();
  // Runs `step` until it is not UNAVAILABLE or kStartupRetryFor has passed,
  // backing off and logging each retry; its last status.
  absl::Status RetryWhileUnavailable(std::string_view what,
                                     const std::function<absl::Status()>& step);

  const CommonConfig config_;
  const ServiceHostOptions options_;
  SystemClock clock_;
  JsonLogger logger_;
  // The registry and the observers outlive the connections that report to them.
  prometheus::Registry registry_;
  SeriesTable series_;
  BusMetrics bus_metrics_;
  std::unique_ptr<RedisMetrics> redis_metrics_;
  RpcMetrics rpc_metrics_;
  std::unique_ptr<JwtAuthenticator> authenticator_;
  std::unique_ptr<NatsConnection> nats_;
  std::map<std::string, std::unique_ptr<KeyValueStore>, std::less<>> buckets_;
  std::unique_ptr<RedisClient> redis_;
  std::unique_ptr<RedisSortedIndex> index_;
  std::optional<RoleTable> roles_;
  std::unique_ptr<RpcEdge> edge_;
  HttpServer http_;

  std::mutex ready_mu_;
  bool ready_ ABSL_GUARDED_BY(ready_mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(ready_mu_) = false;
  std::unique_ptr<GrpcServer> grpc_ ABSL_GUARDED_BY(ready_mu_);
};

}  // namespace carecast::common
