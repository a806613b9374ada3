// A local record of what channels accepted (the sandbox keeps one), read by
// ListDeliveries and by tests that check "published exactly once".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "carecast/v1/resources.pb.h"

namespace carecast::publisher {

struct DeliveryRecord {
  std::string post;  // `posts/{post}`
  int64_t content_version = 0;
  carecast::v1::Network network = carecast::v1::NETWORK_UNSPECIFIED;
  std::string account;
  std::string external_id;
  std::string text;
  absl::Time deliver_time = absl::UnixEpoch();
  std::string publisher_id;
  std::string idempotency_key;
  // The external id it answers (a thread part, or a reply to a mention); empty otherwise.
  std::string in_reply_to;
};

// Thread-safe. Records come back in the order they were accepted.
class DeliveryLog {
 public:
  virtual ~DeliveryLog() = default;
  // At most `limit` records starting at position `offset`; UNAVAILABLE when the
  // record cannot be read.
  virtual absl::StatusOr<std::vector<DeliveryRecord>> ListDeliveries(size_t offset,
                                                                     size_t limit) = 0;
};

}  // namespace carecast::publisher
