// The CareCast gRPC services carecastctl knows, by short name, with their default
// addresses, resolved through the compiled-in protobuf descriptors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/descriptor.h>

namespace carecast::ctl {

struct ServiceEntry {
  std::string short_name;       // "planner"
  std::string full_name;        // "carecast.v1.PlannerService"
  std::string address_env;      // "CARECAST_PLANNER_ADDR"
  std::string default_address;  // "127.0.0.1:50051"
};

// Every service, in a fixed order.
const std::vector<ServiceEntry>& Services();

// The entry for a short name ("planner") or full name; nullptr when unknown.
const ServiceEntry* FindService(std::string_view name);

// The service's descriptor from the generated pool (never null for catalog entries).
const google::protobuf::ServiceDescriptor* Describe(const ServiceEntry& service);

// The address to dial: the env variable when set, else the default.
std::string AddressFor(const ServiceEntry& service);

}  // namespace carecast::ctl
