// The envelope of one event on the bus: CloudEvents attributes plus a protobuf body.
#pragma once

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace carecast::common {

struct Event {
  // ce-id; also the Nats-Msg-Id, so a re-published event is dropped by the stream
  // inside its duplicate window. Unique per source; deterministic where a retry
  // could publish the same fact twice.
  std::string id;
  // NATS subject, e.g. "carecast.post.published".
  std::string subject;
  // ce-type, e.g. "carecast.post.published.v1".
  std::string type;
  // ce-source, e.g. "/carecast/planner".
  std::string source;
  // ce-time.
  absl::Time time = absl::UnixEpoch();
  // ce-dataschema: "urn:carecast:proto:" + full protobuf message name.
  std::string dataschema;
  // Serialized protobuf (ce-datacontenttype "application/protobuf").
  std::string data;

  // Set on delivery only.
  uint64_t stream_sequence = 0;
  uint64_t delivery_count = 0;
};

}  // namespace carecast::common
