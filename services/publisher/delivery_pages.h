// Paging over a DeliveryLog for ListDeliveries: page_size 0 means 50, larger than
// 500 is capped at 500, negative is INVALID_ARGUMENT; page tokens are opaque and
// a token this service did not issue is INVALID_ARGUMENT.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "services/publisher/channels/delivery_log.h"

namespace carecast::publisher {

inline constexpr int32_t kDefaultDeliveriesPageSize = 50;
inline constexpr int32_t kMaxDeliveriesPageSize = 500;

struct DeliveryPage {
  std::vector<DeliveryRecord> deliveries;
  std::string next_page_token;  // empty on the last page
};

absl::StatusOr<DeliveryPage> ListDeliveryPage(DeliveryLog& log, int32_t page_size,
                                              std::string_view page_token);

}  // namespace carecast::publisher
