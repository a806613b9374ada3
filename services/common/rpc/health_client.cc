#include "services/common/rpc/health_client.h"

#include <google/protobuf/unknown_field_set.h>

#include "services/common/rpc/generic_call.h"

namespace carecast::common {
namespace {

using google::protobuf::UnknownField;
using google::protobuf::UnknownFieldSet;

// HealthCheckRequest{service = 1}: one length-delimited field, encoded by hand.
std::string EncodeRequest(const std::string& service) {
  if (service.empty()) return {};
  std::string out(1, static_cast<char>((1 << 3) | 2));
  size_t n = service.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  return out + service;
}

}  // namespace

absl::StatusOr<HealthState> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                        const std::string& service, absl::Duration timeout) {
  absl::StatusOr<std::string> response =
      CallUnaryBytes(channel, "/grpc.health.v1.Health/Check", EncodeRequest(service), "", timeout);
  if (!response.ok()) return response.status();
  UnknownFieldSet fields;
  if (!fields.ParseFromString(*response)) {
    return absl::InternalError("unparsable health response");
  }
  // An absent field 1 is the default, UNKNOWN.
  for (int i = 0; i < fields.field_count(); ++i) {
    const UnknownField& f = fields.field(i);
    if (f.number() == 1 && f.type() == UnknownField::TYPE_VARINT) {
      return static_cast<HealthState>(f.varint());
    }
  }
  return HealthState::kUnknown;
}

}  // namespace carecast::common
