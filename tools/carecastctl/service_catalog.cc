#include "tools/carecastctl/service_catalog.h"

#include <cstdlib>

#include "carecast/v1/events.pb.h"
#include "carecast/v1/listener_service.pb.h"
#include "carecast/v1/metrics_service.pb.h"
#include "carecast/v1/planner_service.pb.h"
#include "carecast/v1/publisher_service.pb.h"

namespace carecast::ctl {

const std::vector<ServiceEntry>& Services() {
  static const auto* services = new std::vector<ServiceEntry>{
      {"planner", "carecast.v1.PlannerService", "CARECAST_PLANNER_ADDR", "127.0.0.1:50051"},
      {"publisher", "carecast.v1.PublisherService", "CARECAST_PUBLISHER_ADDR", "127.0.0.1:50052"},
      {"listener", "carecast.v1.ListenerService", "CARECAST_LISTENER_ADDR", "127.0.0.1:50053"},
      {"metrics", "carecast.v1.MetricsService", "CARECAST_METRICS_ADDR", "127.0.0.1:50054"},
  };
  return *services;
}

const ServiceEntry* FindService(std::string_view name) {
  for (const auto& s : Services())
    if (s.short_name == name || s.full_name == name) return &s;
  return nullptr;
}

const google::protobuf::ServiceDescriptor* Describe(const ServiceEntry& service) {
  // Referencing one descriptor per file keeps the generated code linked in from
  // the static proto library, which registers every file with the pool.
  static const bool linked = [] {
    return carecast::v1::CreateSpokeRequest::descriptor() != nullptr &&
           carecast::v1::GetPublisherStatusRequest::descriptor() != nullptr &&
           carecast::v1::CreateMentionRequest::descriptor() != nullptr &&
           carecast::v1::GetObjectiveProgressRequest::descriptor() != nullptr &&
           carecast::v1::PostPublished::descriptor() != nullptr;
  }();
  (void)linked;
  return google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service.full_name);
}

std::string AddressFor(const ServiceEntry& service) {
  const char* value = std::getenv(service.address_env.c_str());
  return value != nullptr && *value != '\0' ? value : service.default_address;
}

}  // namespace carecast::ctl
