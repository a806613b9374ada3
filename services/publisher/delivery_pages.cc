#include "services/publisher/delivery_pages.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "services/common/base/ids.h"
#include "services/common/base/strings.h"
#include "services/publisher/post_records.h"

namespace carecast::publisher {
namespace {

constexpr absl::string_view kTokenPrefix = "deliveries:";
constexpr absl::string_view kPublishedTokenPrefix = "published:";
// Base64 of the longest published token: prefix, 20-digit nanos, ':', 63-char id.
constexpr size_t kMaxTokenBytes = 160;

absl::Status NotOurToken() {
  return absl::InvalidArgumentError("page_token is not one this service issued");
}

absl::StatusOr<size_t> ResolvePageSize(int32_t page_size) {
  if (page_size < 0) return absl::InvalidArgumentError("page_size must not be negative");
  return static_cast<size_t>(page_size == 0 ? kDefaultDeliveriesPageSize
                                            : std::min(page_size, kMaxDeliveriesPageSize));
}

std::string EncodeToken(size_t offset) {
  return absl::WebSafeBase64Escape(absl::StrCat(kTokenPrefix, offset));
}

absl::StatusOr<size_t> DecodeToken(std::string_view token) {
  std::string raw;
  uint64_t offset = 0;
  if (token.size() > 64 || !absl::WebSafeBase64Unescape(common::AsAbsl(token), &raw) ||
      raw.substr(0, kTokenPrefix.size()) != kTokenPrefix ||
      !absl::SimpleAtoi(absl::string_view(raw).substr(kTokenPrefix.size()), &offset)) {
    return NotOurToken();
  }
  return static_cast<size_t>(offset);
}

// Where a published post sorts: newest first, then by name.
struct Cursor {
  int64_t published_nanos = 0;
  std::string id;
};

Cursor CursorOf(const carecast::v1::Post& post) {
  return {absl::ToUnixNanos(ToTime(post.published_time())), PostIdFromName(post.name())};
}

// True when `a` is listed before `b`.
bool Before(const Cursor& a, const Cursor& b) {
  if (a.published_nanos != b.published_nanos) return a.published_nanos > b.published_nanos;
  return a.id < b.id;
}

std::string EncodePublishedToken(const Cursor& last) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(kPublishedTokenPrefix, last.published_nanos, ":", last.id));
}

absl::StatusOr<Cursor> DecodePublishedToken(std::string_view token) {
  std::string raw;
  if (token.size() > kMaxTokenBytes || !absl::WebSafeBase64Unescape(common::AsAbsl(token), &raw) ||
      !absl::StartsWith(raw, kPublishedTokenPrefix)) {
    return NotOurToken();
  }
  std::vector<std::string> parts =
      absl::StrSplit(absl::string_view(raw).substr(kPublishedTokenPrefix.size()), ':');
  Cursor cursor;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &cursor.published_nanos) ||
      !common::IsValidId(parts[1])) {
    return NotOurToken();
  }
  cursor.id = std::move(parts[1]);
  return cursor;
}

}  // namespace

absl::StatusOr<DeliveryPage> ListDeliveryPage(DeliveryLog& log, int32_t page_size,
                                              std::string_view page_token) {
  absl::StatusOr<size_t> size = ResolvePageSize(page_size);
  if (!size.ok()) return size.status();
  size_t offset = 0;
  if (!page_token.empty()) {
    absl::StatusOr<size_t> decoded = DecodeToken(page_token);
    if (!decoded.ok()) return decoded.status();
    offset = *decoded;
  }
  // One extra record tells whether another page follows.
  absl::StatusOr<std::vector<DeliveryRecord>> records = log.ListDeliveries(offset, *size + 1);
  if (!records.ok()) return records.status();
  DeliveryPage page;
  if (records->size() > *size) {
    records->resize(*size);
    page.next_page_token = EncodeToken(offset + *size);
  }
  page.deliveries = *std::move(records);
  return page;
}

absl::StatusOr<PublishedPage> ListPublishedPage(common::EntityStore& posts, int32_t page_size,
                                                std::string_view page_token) {
  absl::StatusOr<size_t> size = ResolvePageSize(page_size);
  if (!size.ok()) return size.status();
  std::optional<Cursor> after;
  if (!page_token.empty()) {
    absl::StatusOr<Cursor> decoded = DecodePublishedToken(page_token);
    if (!decoded.ok()) return decoded.status();
    after = *std::move(decoded);
  }

  std::vector<std::pair<Cursor, carecast::v1::Post>> found;
  absl::Status scanned = posts.kv().Scan("", [&](std::string_view, const common::KvEntry& entry) {
    absl::StatusOr<PostRecord> record = PostFromEntry(entry);
    // Not a post this service can read: not a delivery, and one bad record
    // must not hide all the others.
    if (!record.ok()) return absl::OkStatus();
    if (record->post.state() != carecast::v1::POST_STATE_PUBLISHED) return absl::OkStatus();
    Cursor cursor = CursorOf(record->post);
    if (after.has_value() && !Before(*after, cursor)) return absl::OkStatus();
    found.emplace_back(std::move(cursor), std::move(record->post));
    return absl::OkStatus();
  });
  if (!scanned.ok()) return scanned;
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return Before(a.first, b.first); });

  PublishedPage page;
  const size_t take = std::min(found.size(), *size);
  page.posts.reserve(take);
  for (size_t i = 0; i < take; ++i) page.posts.push_back(std::move(found[i].second));
  if (found.size() > *size) page.next_page_token = EncodePublishedToken(found[take - 1].first);
  return page;
}

}  // namespace carecast::publisher
