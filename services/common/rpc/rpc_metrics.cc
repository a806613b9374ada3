#include "services/common/rpc/rpc_metrics.h"

#include <array>
#include <mutex>
#include <string>
#include <unordered_map>

#include <google/protobuf/descriptor.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>

namespace carecast::common {
namespace {

constexpr size_t kCodeCount = 17;  // absl::StatusCode 0..16, as gRPC's codes

struct MethodLabels {
  std::string service;
  std::string method;
};

// "/carecast.v1.PlannerService/CreateContent" -> service "carecast.v1.PlannerService",
// method "CreateContent".
MethodLabels SplitFullMethod(std::string_view full_method) {
  if (!full_method.empty() && full_method.front() == '/') full_method.remove_prefix(1);
  size_t slash = full_method.rfind('/');
  if (slash == std::string_view::npos) return {"unknown", std::string(full_method)};
  return {std::string(full_method.substr(0, slash)), std::string(full_method.substr(slash + 1))};
}

}  // namespace

std::string_view GrpcCodeLabel(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return "OK";
    case absl::StatusCode::kCancelled:
      return "Canceled";
    case absl::StatusCode::kUnknown:
      return "Unknown";
    case absl::StatusCode::kInvalidArgument:
      return "InvalidArgument";
    case absl::StatusCode::kDeadlineExceeded:
      return "DeadlineExceeded";
    case absl::StatusCode::kNotFound:
      return "NotFound";
    case absl::StatusCode::kAlreadyExists:
      return "AlreadyExists";
    case absl::StatusCode::kPermissionDenied:
      return "PermissionDenied";
    case absl::StatusCode::kResourceExhausted:
      return "ResourceExhausted";
    case absl::StatusCode::kFailedPrecondition:
      return "FailedPrecondition";
    case absl::StatusCode::kAborted:
      return "Aborted";
    case absl::StatusCode::kOutOfRange:
      return "OutOfRange";
    case absl::StatusCode::kUnimplemented:
      return "Unimplemented";
    case absl::StatusCode::kInternal:
      return "Internal";
    case absl::StatusCode::kUnavailable:
      return "Unavailable";
    case absl::StatusCode::kDataLoss:
      return "DataLoss";
    case absl::StatusCode::kUnauthenticated:
      return "Unauthenticated";
    case absl::StatusCode::kDoNotUseReservedForFutureExpansionUseDefaultInSwitchInstead_:
      return "Unknown";
  }
  return "Unknown";
}

std::string GrpcTypeOf(std::string_view full_method) {
  // "/pkg.Service/Method" -> "pkg.Service.Method" for the descriptor pool.
  std::string name(full_method.substr(!full_method.empty() && full_method.front() == '/'));
  size_t slash = name.rfind('/');
  if (slash != std::string::npos) name[slash] = '.';
  const auto* method = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(name);
  if (method == nullptr) return "unary";
  if (method->client_streaming() && method->server_streaming()) return "bidi_stream";
  if (method->client_streaming()) return "client_stream";
  if (method->server_streaming()) return "server_stream";
  return "unary";
}

struct RpcMetrics::Impl {
  // Label lookups in prometheus-cpp hash the whole label set under a lock;
  // handles are cached per (method, type) so a call costs one map lookup.
  struct Series {
    MethodLabels labels;
    std::string grpc_type;
    prometheus::Counter* started = nullptr;
    prometheus::Histogram* handling = nullptr;
    std::array<prometheus::Counter*, kCodeCount> handled{};
  };

  explicit Impl(prometheus::Registry& registry)
      : started(prometheus::BuildCounter()
                    .Name("grpc_server_started_total")
                    .Help("Total number of RPCs started on the server.")
                    .Register(registry)),
        handled(prometheus::BuildCounter()
                    .Name("grpc_server_handled_total")
                    .Help("Total number of RPCs completed on the server, regardless of success "
                          "or failure.")
                    .Register(registry)),
        handling(prometheus::BuildHistogram()
                     .Name("grpc_server_handling_seconds")
                     .Help("Histogram of response latency (seconds) of gRPC that had been "
                           "application-level handled by the server.")
                     .Register(registry)) {}

  Series& Find(std::string_view full_method, std::string_view grpc_type) {
    std::string key;
    key.reserve(full_method.size() + grpc_type.size() + 1);
    key.append(full_method).push_back(' ');
    key.append(grpc_type);
    std::lock_guard lock(mu);
    auto [it, inserted] = series.try_emplace(std::move(key));
    Series& s = it->second;
    if (inserted) {
      s.labels = SplitFullMethod(full_method);
      s.grpc_type = std::string(grpc_type);
      const prometheus::Labels labels = {{"grpc_type", s.grpc_type},
                                         {"grpc_service", s.labels.service},
                                         {"grpc_method", s.labels.method}};
      s.started = &started.Add(labels);
      s.handling = &handling.Add(
          labels, prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                          0.1, 0.25, 0.5, 1, 2.5, 5, 10});
    }
    return s;
  }

  prometheus::Counter& HandledCounter(Series& s, absl::StatusCode code) {
    size_t index = static_cast<size_t>(code);
    if (index >= kCodeCount) index = static_cast<size_t>(absl::StatusCode::kUnknown);
    std::lock_guard lock(mu);
    if (s.handled[index] == nullptr) {
      s.handled[index] = &handled.Add(
          {{"grpc_type", s.grpc_type},
           {"grpc_service", s.labels.service},
           {"grpc_method", s.labels.method},
           {"grpc_code", std::string(GrpcCodeLabel(static_cast<absl::StatusCode>(index)))}});
    }
    return *s.handled[index];
  }

  prometheus::Family<prometheus::Counter>& started;
  prometheus::Family<prometheus::Counter>& handled;
  prometheus::Family<prometheus::Histogram>& handling;
  std::mutex mu;
  // Node-based map: Series addresses stay valid while other entries are added.
  std::unordered_map<std::string, Series> series;
};

RpcMetrics::RpcMetrics(prometheus::Registry& registry) : impl_(new Impl(registry)) {}

RpcMetrics::~RpcMetrics() { delete impl_; }

void RpcMetrics::Initialize(std::string_view full_method) {
  Impl::Series& s = impl_->Find(full_method, GrpcTypeOf(full_method));
  impl_->HandledCounter(s, absl::StatusCode::kOk);
}

void RpcMetrics::Started(std::string_view full_method, std::string_view grpc_type) {
  impl_->Find(full_method, grpc_type).started->Increment();
}

void RpcMetrics::Handled(std::string_view full_method, std::string_view grpc_type,
                         absl::StatusCode code, absl::Duration elapsed) {
  Impl::Series& s = impl_->Find(full_method, grpc_type);
  impl_->HandledCounter(s, code).Increment();
  s.handling->Observe(absl::ToDoubleSeconds(elapsed));
}

}  // namespace carecast::common
