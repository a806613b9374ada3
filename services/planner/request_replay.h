// Replay records for request_id idempotency: the response of a completed
// mutation, kept in the requests bucket (24 h TTL) under a key derived from
// method, caller and request_id. The mutation's events need no replay: the
// entity store wrote them with the entity and delivers them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "services/common/bus/key_value_store.h"

namespace carecast::planner {

struct ReplayRecord {
  std::string response;  // serialized response message
};

// Thread-safe (the store is). Not owning.
class RequestReplay {
 public:
  explicit RequestReplay(common::KeyValueStore& requests) : requests_(requests) {}

  // "planner.<IdFromRequest(method '\n' subject, request_id)>".
  static std::string Key(std::string_view method, std::string_view subject,
                         std::string_view request_id);

  // The record under `key`, or nullopt when there is none.
  absl::StatusOr<std::optional<ReplayRecord>> Find(const std::string& key);
  absl::Status Save(const std::string& key, const ReplayRecord& record);

  // The encoding, exposed for tests.
  static std::string Encode(const ReplayRecord& record);
  static absl::StatusOr<ReplayRecord> Decode(std::string_view bytes);

 private:
  common::KeyValueStore& requests_;
};

}  // namespace carecast::planner
