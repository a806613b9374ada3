#include "services/publisher/delivery_pages.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"

namespace carecast::publisher {
namespace {

constexpr absl::string_view kTokenPrefix = "deliveries:";

std::string EncodeToken(size_t offset) {
  return absl::WebSafeBase64Escape(absl::StrCat(kTokenPrefix, offset));
}

absl::StatusOr<size_t> DecodeToken(std::string_view token) {
  std::string raw;
  uint64_t offset = 0;
  if (token.size() > 64 || !absl::WebSafeBase64Unescape(common::AsAbsl(token), &raw) ||
      raw.substr(0, kTokenPrefix.size()) != kTokenPrefix ||
      !absl::SimpleAtoi(absl::string_view(raw).substr(kTokenPrefix.size()), &offset)) {
    return absl::InvalidArgumentError("page_token is not one this service issued");
  }
  return static_cast<size_t>(offset);
}

}  // namespace

absl::StatusOr<DeliveryPage> ListDeliveryPage(DeliveryLog& log, int32_t page_size,
                                              std::string_view page_token) {
  if (page_size < 0) return absl::InvalidArgumentError("page_size must not be negative");
  size_t size =
      page_size == 0 ? kDefaultDeliveriesPageSize : std::min(page_size, kMaxDeliveriesPageSize);
  size_t offset = 0;
  if (!page_token.empty()) {
    absl::StatusOr<size_t> decoded = DecodeToken(page_token);
    if (!decoded.ok()) return decoded.status();
    offset = *decoded;
  }
  // One extra record tells whether another page follows.
  absl::StatusOr<std::vector<DeliveryRecord>> records = log.ListDeliveries(offset, size + 1);
  if (!records.ok()) return records.status();
  DeliveryPage page;
  if (records->size() > size) {
    records->resize(size);
    page.next_page_token = EncodeToken(offset + size);
  }
  page.deliveries = *std::move(records);
  return page;
}

}  // namespace carecast::publisher
