// Paging for ListDeliveries. Both pagers share the rules: page_size 0 means 50,
// larger than 500 is capped at 500, negative is INVALID_ARGUMENT; page tokens
// are opaque and a token this service did not issue (or one pager's token given
// to the other) is INVALID_ARGUMENT.
//
// ListPublishedPage is what the RPC serves: every PUBLISHED post in the posts
// bucket, whatever its network. ListDeliveryPage pages a channel's own local
// record (the sandbox's), which stays a test aid.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "carecast/v1/resources.pb.h"

#include "services/common/store/entity_store.h"
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

struct PublishedPage {
  std::vector<carecast::v1::Post> posts;
  std::string next_page_token;  // empty on the last page
};

// PUBLISHED posts of `posts` (the carecast_posts bucket), newest published_time
// first, ties by name. The token carries the last post returned (its
// published_time and id) rather than an offset, so pages stay stable while
// posts are published: a newer post sorts before the first page and never
// shifts a later one, and nothing is repeated or skipped (a post's
// published_time does not change once it is PUBLISHED).
//
// Cost: every call reads the whole bucket (one key listing, then one KV read
// per post), so a page costs O(posts in the bucket), not O(page_size). Fine for
// the bucket sizes of one health system today; a Redis index by published_time
// (like the due index) is the remedy once it is not. Records that do not parse
// are skipped; a post deleted during the scan is skipped; other KV errors are
// returned (UNAVAILABLE).
absl::StatusOr<PublishedPage> ListPublishedPage(common::EntityStore& posts, int32_t page_size,
                                                std::string_view page_token);

}  // namespace carecast::publisher
