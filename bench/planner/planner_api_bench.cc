// planner_api_bench: unary QPS and latency of the planner's calendar read
// (ListCalendar) and SchedulePost with the client on the same machine, beside a
// gRPC echo server built in the same binary (issue 14: reads >= 75% of the
// echo's QPS, p99 <= 5 ms).
//
//   planner_api_bench [--seconds 10] [--threads 8] [--posts 300] [--page-size 50]
//
// The planner is wired as services/planner/main.cc wires it: a real nats-server
// -js and redis-server on free ports, Planner on NatsConnection and
// RedisSortedIndex, PlannerGrpcService behind the RpcEdge with the production
// JwtAuthenticator, each call carrying a real signed JWT (tests/support/test_tokens.h).
// The anchor is a unary method on the same GrpcServer class (same options,
// same sync thread model) that returns its request's bytes; its request is the
// serialized ListCalendarRequest the calendar reads send.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/impl/rpc_method.h>
#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/support/method_handler.h>
#include <prometheus/registry.h>

#include "carecast/v1/planner_service.grpc.pb.h"

#include "bench/common/bench_flags.h"
#include "bench/common/bench_stats.h"
#include "bench/common/cpu_usage.h"
#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/nats_connection.h"
#include "services/common/bus/topology.h"
#include "services/common/redis/redis_client.h"
#include "services/common/redis/redis_sorted_index.h"
#include "services/common/rpc/grpc_server.h"
#include "services/common/rpc/jwt_authenticator.h"
#include "services/common/rpc/rpc_edge.h"
#include "services/common/rpc/rpc_metrics.h"
#include "services/planner/engine_guard.h"
#include "services/planner/planner.h"
#include "services/planner/planner_grpc_service.h"
#include "services/planner/planner_metrics.h"
#include "services/planner/planner_roles.h"
#include "tests/support/local_servers.h"
#include "tests/support/shared_text_engine.h"
#include "tests/support/test_tokens.h"

namespace {

namespace cb = carecast::bench;
namespace cc = carecast::common;
namespace cp = carecast::planner;
namespace v1 = carecast::v1;
using Clock = std::chrono::steady_clock;

constexpr double kReadShareGoal = 0.75;  // of the echo anchor's QPS
constexpr double kP99GoalMs = 5;
constexpr char kEchoMethod[] = "/carecast.bench.Echo/Echo";

[[noreturn]] void Die(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "planner_api_bench: %s: %s\n", what.c_str(), status.ToString().c_str());
  std::exit(1);
}

// A sync unary method answering with its request's bytes, registered as the
// generated code registers a method, so the anchor runs on the same server path
// as PlannerService's handlers (minus the edge and the planner).
class EchoService final : public grpc::Service {
 public:
  EchoService() {
    AddMethod(new grpc::internal::RpcServiceMethod(
        kEchoMethod, grpc::internal::RpcMethod::NORMAL_RPC,
        new grpc::internal::RpcMethodHandler<EchoService, grpc::ByteBuffer, grpc::ByteBuffer>(
            [](EchoService*, grpc::ServerContext*, const grpc::ByteBuffer* request,
               grpc::ByteBuffer* response) {
              *response = *request;
              return grpc::Status::OK;
            },
            this)));
  }
};

// One channel per client thread, each on its own connection.
std::shared_ptr<grpc::Channel> NewChannel(int port) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials(), args);
}

void Prepare(grpc::ClientContext& context, const std::string& bearer) {
  context.AddMetadata("authorization", bearer);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
}

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

struct Result {
  double qps = 0;
  cb::LatencySummary ms;  // latency per call
  int64_t calls = 0, errors = 0;
  std::string first_error;
  double steal = 0;
};

// Runs `call(thread, i)` (true on success; `error` set otherwise) from `threads`
// threads for `seconds`; each thread makes its own state with `make`.
Result Run(const char* name, int threads, double seconds,
           const std::function<std::function<bool(int64_t, std::string*)>(int)>& make) {
  std::fprintf(stderr, "==> %s: %d threads for %.0f s\n", name, threads, seconds);
  std::vector<std::function<bool(int64_t, std::string*)>> calls;
  calls.reserve(threads);
  for (int t = 0; t < threads; ++t) calls.push_back(make(t));
  // Warm up each connection before the clock starts.
  for (int t = 0; t < threads; ++t) {
    std::string error;
    if (!calls[t](-1 - t, &error)) Die(absl::StrCat(name, " warm-up"), absl::InternalError(error));
  }
  std::vector<std::vector<double>> ms(threads);
  std::vector<int64_t> errors(threads, 0);
  std::vector<std::string> first_error(threads);
  std::atomic<bool> stop{false};
  const cb::CpuTimes cpu0 = cb::ReadCpuTimes();
  const auto t0 = Clock::now();
  std::vector<std::thread> workers;
  workers.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      ms[t].reserve(200'000);
      for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        std::string error;
        const auto start = Clock::now();
        const bool ok = calls[t](i * threads + t, &error);
        ms[t].push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        if (!ok && errors[t]++ == 0) first_error[t] = error;
      }
    });
  }
  for (int s = 2; s < static_cast<int>(seconds); s += 2) {
    std::this_thread::sleep_until(t0 + std::chrono::seconds(s));
    std::fprintf(stderr, "    %d s\n", s);
  }
  std::this_thread::sleep_until(t0 + std::chrono::duration<double>(seconds));
  stop = true;
  for (std::thread& w : workers) w.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  Result r;
  r.steal = cb::StealPercent(cpu0, cb::ReadCpuTimes());
  std::vector<double> all;
  for (int t = 0; t < threads; ++t) {
    all.insert(all.end(), ms[t].begin(), ms[t].end());
    r.errors += errors[t];
    if (r.first_error.empty()) r.first_error = first_error[t];
  }
  r.ms = cb::Summarize(std::move(all));
  r.calls = static_cast<int64_t>(r.ms.count);
  r.qps = static_cast<double>(r.calls - r.errors) / elapsed;
  std::fprintf(stderr, "    %.0f calls/s, p50 %.2f ms, p99 %.2f ms, %lld errors\n", r.qps, r.ms.p50,
               r.ms.p99, static_cast<long long>(r.errors));
  return r;
}

// What the seeding made, and the calendar read every client sends.
struct Seeded {
  std::string publisher =
      carecast::testing::TestTokens::Get().BearerHeader("paul", {cc::Role::kPublisher});
  std::string account = "spokes/st-marys/accounts/sandbox";
  std::string content;
  absl::Time seeded_at;
  v1::ListCalendarRequest read;
  int read_posts = 0;
  size_t read_response_bytes = 0;
};

void Check(const char* what, const grpc::Status& s) {
  if (!s.ok())
    Die(what, absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message()));
}

Seeded Seed(int port, int posts, int page_size) {
  const carecast::testing::TestTokens& tokens = carecast::testing::TestTokens::Get();
  // Seed, through the API with real tokens: a spoke, an account, approved
  // content, and `posts` scheduled posts over the next 30 days.
  const std::string strategist = tokens.BearerHeader("alice", {cc::Role::kStrategist});
  const std::string writer = tokens.BearerHeader("wendy", {cc::Role::kContentDeveloper});
  const std::string reviewer = tokens.BearerHeader("rita", {cc::Role::kComplianceReviewer});
  std::fprintf(stderr, "==> seeding a spoke, an account, approved content and %d posts\n", posts);
  auto seed = v1::PlannerService::NewStub(NewChannel(port));
  Seeded out;
  const std::string& publisher = out.publisher;
  {
    grpc::ClientContext ctx;
    Prepare(ctx, strategist);
    v1::CreateSpokeRequest req;
    req.set_spoke_id("st-marys");
    req.mutable_spoke()->set_display_name("St Mary's");
    v1::CreateSpokeResponse resp;
    Check("CreateSpoke", seed->CreateSpoke(&ctx, req, &resp));
  }
  const std::string& account = out.account;
  {
    grpc::ClientContext ctx;
    Prepare(ctx, strategist);
    v1::CreateAccountRequest req;
    req.set_parent("spokes/st-marys");
    req.set_account_id("sandbox");
    req.mutable_account()->set_network(v1::NETWORK_SANDBOX);
    req.mutable_account()->set_handle("@sandbox");
    req.mutable_account()->set_time_zone("America/Chicago");
    v1::CreateAccountResponse resp;
    Check("CreateAccount", seed->CreateAccount(&ctx, req, &resp));
  }
  std::string& content = out.content;
  {
    grpc::ClientContext ctx;
    Prepare(ctx, writer);
    v1::CreateContentRequest req;
    req.mutable_content()->set_text(
        "Free flu shots this Saturday at St Mary's, 9am to 1pm. No appointment needed.");
    v1::CreateContentResponse resp;
    Check("CreateContent", seed->CreateContent(&ctx, req, &resp));
    content = resp.content().name();
  }
  {
    grpc::ClientContext ctx;
    Prepare(ctx, writer);
    v1::SubmitContentRequest req;
    req.set_name(content);
    v1::SubmitContentResponse resp;
    Check("SubmitContent", seed->SubmitContent(&ctx, req, &resp));
  }
  {
    grpc::ClientContext ctx;
    Prepare(ctx, reviewer);
    v1::ApproveContentRequest req;
    req.set_name(content);
    req.set_version(1);
    v1::ApproveContentResponse resp;
    Check("ApproveContent", seed->ApproveContent(&ctx, req, &resp));
  }
  out.seeded_at = absl::Now();
  const absl::Time seeded_at = out.seeded_at;
  for (int i = 0; i < posts; ++i) {
    grpc::ClientContext ctx;
    Prepare(ctx, publisher);
    v1::SchedulePostRequest req;
    req.set_content(content);
    req.set_account(account);
    *req.mutable_publish_time() = Ts(seeded_at + absl::Hours(1) +
                                     absl::Minutes(static_cast<int64_t>(i) * 30 * 24 * 60 / posts));
    req.set_request_id(absl::StrCat("seed-", i));
    v1::SchedulePostResponse resp;
    Check("SchedulePost (seeding)", seed->SchedulePost(&ctx, req, &resp));
  }

  // The read every client sends: the next 30 days, one page.
  v1::ListCalendarRequest& read = out.read;
  *read.mutable_start_time() = Ts(seeded_at);
  *read.mutable_end_time() = Ts(seeded_at + absl::Hours(24 * 31));
  read.set_page_size(page_size);
  {
    grpc::ClientContext ctx;
    Prepare(ctx, publisher);
    v1::ListCalendarResponse resp;
    Check("ListCalendar", seed->ListCalendar(&ctx, read, &resp));
    out.read_response_bytes = resp.ByteSizeLong();
    out.read_posts = resp.posts_size();
  }
  std::fprintf(stderr, "    a calendar page: %d posts, %zu bytes (request %zu bytes)\n",
               out.read_posts, out.read_response_bytes, read.ByteSizeLong());

  return out;
}

Result MeasureEcho(int port, const Seeded& seeded, int threads, int seconds) {
  return Run("echo anchor", threads, seconds, [&](int) {
    auto channel = NewChannel(port);
    grpc::ByteBuffer request;
    bool own = false;
    const grpc::Status serialized =
        grpc::SerializationTraits<v1::ListCalendarRequest>::Serialize(seeded.read, &request, &own);
    Check("serialize", serialized);
    const grpc::internal::RpcMethod method(kEchoMethod, grpc::internal::RpcMethod::NORMAL_RPC);
    return std::function<bool(int64_t, std::string*)>(
        [channel, request, method, publisher = seeded.publisher](int64_t, std::string* error) {
          grpc::ClientContext ctx;
          // The same metadata as a planner call carries.
          Prepare(ctx, publisher);
          grpc::ByteBuffer response;
          grpc::Status s = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
              channel.get(), method, &ctx, request, &response);
          if (!s.ok()) *error = s.error_message();
          return s.ok();
        });
  });
}

Result MeasureReads(int port, const Seeded& seeded, int threads, int seconds, int page_size) {
  return Run("ListCalendar", threads, seconds, [&](int) {
    auto stub =
        std::shared_ptr<v1::PlannerService::Stub>(v1::PlannerService::NewStub(NewChannel(port)));
    return std::function<bool(int64_t, std::string*)>(
        [stub, &seeded, page_size](int64_t, std::string* error) {
          grpc::ClientContext ctx;
          Prepare(ctx, seeded.publisher);
          v1::ListCalendarResponse resp;
          grpc::Status s = stub->ListCalendar(&ctx, seeded.read, &resp);
          if (!s.ok()) *error = s.error_message();
          if (s.ok() && resp.posts_size() != page_size) *error = "short page";
          return s.ok() && resp.posts_size() == page_size;
        });
  });
}

// Each call schedules a new post; `scheduled` counts those that succeeded.
Result MeasureWrites(int port, const Seeded& seeded, int threads, int seconds,
                     std::atomic<int64_t>& scheduled) {
  return Run("SchedulePost", threads, seconds, [&](int) {
    auto stub =
        std::shared_ptr<v1::PlannerService::Stub>(v1::PlannerService::NewStub(NewChannel(port)));
    return std::function<bool(int64_t, std::string*)>(
        [stub, &seeded, &scheduled](int64_t i, std::string* error) {
          grpc::ClientContext ctx;
          Prepare(ctx, seeded.publisher);
          v1::SchedulePostRequest req;
          req.set_content(seeded.content);
          req.set_account(seeded.account);
          // After the seeded month, a second apart (warm-up calls have i < 0).
          *req.mutable_publish_time() =
              Ts(seeded.seeded_at + absl::Hours(24 * 32) + absl::Seconds(i + 1000));
          req.set_request_id(absl::StrCat("bench-", i + 1000));
          v1::SchedulePostResponse resp;
          grpc::Status s = stub->SchedulePost(&ctx, req, &resp);
          if (!s.ok()) *error = s.error_message();
          if (s.ok()) ++scheduled;
          return s.ok();
        });
  });
}

void PrintTable(const Seeded& seeded, int threads, int seconds, int posts, const Result& reads,
                const Result& writes, const Result& echo, double steal, int64_t scheduled) {
  const char* met = "met";
  const char* missed = "MISSED";
  std::printf(
      "\n| measure (%d client threads, %d s each) | CareCast | echo anchor (same run) | goal "
      "| |\n|---|---|---|---|---|\n",
      threads, seconds);
  std::printf(
      "| ListCalendar (page of %d posts, %zu B reply): QPS | %.0f | %.0f | >= 75%% of echo "
      "(%.0f) | %s (%.0f%%) |\n",
      seeded.read_posts, seeded.read_response_bytes, reads.qps, echo.qps, kReadShareGoal * echo.qps,
      reads.qps >= kReadShareGoal * echo.qps ? met : missed, 100 * reads.qps / echo.qps);
  std::printf(
      "| ListCalendar: p50 / p99 / max | %.2f / %.2f / %.2f ms | %.2f / %.2f / %.2f ms | "
      "p99 <= 5 ms | %s |\n",
      reads.ms.p50, reads.ms.p99, reads.ms.max, echo.ms.p50, echo.ms.p99, echo.ms.max,
      reads.ms.p99 <= kP99GoalMs ? met : missed);
  std::printf("| SchedulePost: QPS | %.0f | %.0f | - | |\n", writes.qps, echo.qps);
  std::printf(
      "| SchedulePost: p50 / p99 / max | %.2f / %.2f / %.2f ms | %.2f / %.2f / %.2f ms | "
      "p99 <= 5 ms | %s |\n",
      writes.ms.p50, writes.ms.p99, writes.ms.max, echo.ms.p50, echo.ms.p99, echo.ms.max,
      writes.ms.p99 <= kP99GoalMs ? met : missed);
  std::printf("| errors (reads / writes / echo) | %lld / %lld | %lld | 0 | %s |\n",
              static_cast<long long>(reads.errors), static_cast<long long>(writes.errors),
              static_cast<long long>(echo.errors),
              reads.errors + writes.errors + echo.errors == 0 ? met : missed);
  std::printf(
      "| steal during each phase (reads / writes / echo) | %.1f%% / %.1f%% | %.1f%% | - | "
      "|\n",
      reads.steal, writes.steal, echo.steal);
  std::printf(
      "\ncores: %u (std::thread::hardware_concurrency); steal over the three phases: "
      "%.1f%%; posts seeded %d, scheduled during the run %lld\n",
      std::thread::hardware_concurrency(), steal, posts, static_cast<long long>(scheduled));
  for (const Result* r : {&reads, &writes, &echo}) {
    if (!r->first_error.empty()) std::printf("first error: %s\n", r->first_error.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 10, threads = 8, posts = 300, page_size = 50;
  cb::BenchFlags flags("planner_api_bench",
                       "planner_api_bench [--seconds N] [--threads N] [--posts N] [--page-size N]");
  flags.Int("--seconds", &seconds, 1)
      .Int("--threads", &threads, 1)
      .Int("--posts", &posts, 1)
      .Int("--page-size", &page_size, 1);
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) return flags.UsageError(s);

  // The servers and the planner, as main.cc composes them.
  std::fprintf(stderr, "==> starting nats-server -js and redis-server\n");
  auto nats_server = carecast::testing::LocalNatsServer::Start();
  if (!nats_server.ok()) Die("nats-server", nats_server.status());
  auto redis_server = carecast::testing::LocalRedisServer::Start();
  if (!redis_server.ok()) Die("redis-server", redis_server.status());
  cc::SystemClock clock;
  // The edge logs a JSON line per call, as in production; here to /dev/null.
  FILE* sink = std::fopen("/dev/null", "w");
  cc::JsonLogger logger("planner_api_bench", cc::LogLevel::kInfo, clock, sink);
  prometheus::Registry registry;
  cc::NatsOptions nats_options;
  nats_options.url = (*nats_server)->url();
  nats_options.name = "planner";
  auto nats = cc::NatsConnection::Connect(nats_options, logger);
  if (!nats.ok()) Die("connect to NATS", nats.status());
  if (absl::Status s = cc::EnsureStreams(**nats, {}); !s.ok()) Die("ensure streams", s);
  cc::RedisOptions redis_options;
  redis_options.url = (*redis_server)->url();
  auto redis = cc::RedisClient::Connect(redis_options, logger);
  if (!redis.ok()) Die("connect to Redis", redis.status());
  cc::RedisSortedIndex index(**redis, "carecast:");
  cp::EngineGuard guard(carecast::testing::SharedTextEngine());
  cp::PlannerMetrics metrics(registry);
  cp::PlannerOptions options;
  options.instance = "planner-bench";
  auto core = cp::Planner::Create(options, {.buckets = **nats,
                                            .bus = **nats,
                                            .index = index,
                                            .clock = clock,
                                            .guard = guard,
                                            .metrics = metrics,
                                            .logger = logger});
  if (!core.ok()) Die("create the planner", core.status());
  if (absl::Status s = (*core)->WarmCalendar(); !s.ok()) Die("warm the calendar", s);
  (*core)->StartRelay();
  (*core)->StartIndexReconciliation();

  auto authenticator = cc::JwtAuthenticator::FromPem(
      carecast::testing::TestTokens::Get().public_key_pem(), {}, clock);
  if (!authenticator.ok()) Die("authenticator", authenticator.status());
  const cc::RoleTable roles = cp::PlannerRoleTable();
  cc::RpcMetrics rpc_metrics(registry);
  cc::RpcEdge edge(**authenticator, roles, rpc_metrics, logger);
  cp::PlannerGrpcService planner_service(**core, edge);
  cc::GrpcServerOptions server_options;
  server_options.address = "127.0.0.1";
  auto planner_server = cc::GrpcServer::Start(server_options, {&planner_service});
  if (!planner_server.ok()) Die("start the planner's gRPC server", planner_server.status());
  EchoService echo_service;
  auto echo_server = cc::GrpcServer::Start(server_options, {&echo_service});
  if (!echo_server.ok()) Die("start the echo server", echo_server.status());
  const int planner_port = (*planner_server)->port();
  const int echo_port = (*echo_server)->port();

  const Seeded seeded = Seed(planner_port, posts, page_size);
  const cb::CpuTimes run0 = cb::ReadCpuTimes();
  const Result echo = MeasureEcho(echo_port, seeded, threads, seconds);
  const Result reads = MeasureReads(planner_port, seeded, threads, seconds, page_size);
  std::atomic<int64_t> scheduled{0};
  const Result writes = MeasureWrites(planner_port, seeded, threads, seconds, scheduled);
  PrintTable(seeded, threads, seconds, posts, reads, writes, echo,
             cb::StealPercent(run0, cb::ReadCpuTimes()), scheduled.load());
  (*planner_server)->Shutdown(absl::Seconds(1));
  (*echo_server)->Shutdown(absl::Seconds(1));
  return reads.errors + writes.errors + echo.errors == 0 ? 0 : 1;
}
