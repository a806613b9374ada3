// The inbox of mentions that need an answer. Items live in the carecast_inbox KV
// bucket (system of record, key = item id); Redis sorted indexes "inbox:open"
// (score: due time) and "inbox:closed" (score: minus the close time, so the
// newest come first) order them. They are rebuilt from KV whenever their marker
// is missing, and ReconcileIndex() (at start and every period, see
// Listener::Start) heals sets lost behind a surviving marker. Stale index
// entries are also repaired when a listing reads them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "carecast/v1/resources.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/event_bus.h"
#include "services/common/bus/key_value_store.h"
#include "services/common/redis/index_reconciler.h"
#include "services/common/redis/sorted_index.h"
#include "services/common/store/entity_store.h"
#include "services/listener/listener_config.h"
#include "services/listener/listener_metrics.h"
#include "services/listener/page_token.h"

namespace carecast::listener {

struct InboxPage {
  std::vector<v1::InboxItem> items;
  std::string next_page_token;
};

inline constexpr std::string_view kOpenIndex = "inbox:open";
inline constexpr std::string_view kClosedIndex = "inbox:closed";
inline constexpr std::string_view kIndexMarker = "inbox:index";
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;
inline constexpr size_t kMaxResolutionChars = 1000;

// Thread-safe (all state is in KV and Redis). References must outlive it.
class Inbox {
 public:
  Inbox(common::EntityStore& items, common::SortedIndex& index, ListenerMetrics& metrics,
        const common::Clock& clock, common::Logger& logger, const ListenerOptions& options);
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  // Priority of an inbox item for a mention classified as `c`.
  static v1::Priority PriorityFor(const v1::Classification& c);

  // Creates the item for stored mention `id` together with its
  // carecast.inbox.created event (event id "inbox.<id>.created") as one durable
  // unit, or finds the one a previous try created (and finishes what it owes),
  // then indexes it. Idempotent. UNAVAILABLE when KV or Redis cannot be reached.
  absl::StatusOr<v1::InboxItem> OpenForMention(const v1::Mention& mention, std::string_view id);

  // Items in `state` (UNSPECIFIED means OPEN): open ones soonest due first,
  // closed ones most recently closed first. page_size 0 means 50,
  // larger than 500 means 500. Falls back to a KV scan when Redis is down.
  absl::StatusOr<InboxPage> List(v1::InboxItemState state, int page_size,
                                 std::string_view page_token);

  // OPEN -> CLOSED by compare-and-set on the KV revision, written with its
  // carecast.inbox.closed event. INVALID_ARGUMENT (bad name or resolution), NOT_FOUND,
  // FAILED_PRECONDITION (already closed by someone else or differently),
  // ABORTED (lost repeated races). A retry by the same actor with the same
  // resolution returns the closed item and completes the index and event.
  absl::StatusOr<v1::InboxItem> Close(std::string_view name, std::string_view resolution,
                                      std::string_view actor);

  // Rebuilds both indexes from KV when the marker is missing.
  absl::Status EnsureIndex();
  // Checks every item against both indexes: adds missing members, fixes scores,
  // removes members KV does not place there (gone, or in the other index); then
  // sets the marker. Repairs are logged and counted.
  absl::StatusOr<common::ReconcileReport> ReconcileIndex();

 private:
  using Entry = common::Stored<v1::InboxItem>;
  absl::StatusOr<Entry> Load(std::string_view id);
  absl::Status Index(std::string_view id, const v1::InboxItem& item);
  void IndexBestEffort(std::string_view id, const v1::InboxItem& item);
  // The event announcing `item` (created or closed).
  common::Change ChangeFor(std::string_view subject, std::string_view id, std::string_view fact,
                           const v1::InboxItem& item, std::string_view actor) const;
  absl::StatusOr<InboxPage> ListFromIndex(v1::InboxItemState state, size_t page_size,
                                          const std::optional<PageCursor>& cursor);
  absl::StatusOr<InboxPage> ListFromKv(v1::InboxItemState state, size_t page_size,
                                       const std::optional<PageCursor>& cursor);
  absl::Duration SlaFor(v1::Priority priority) const;

  common::EntityStore& items_;
  common::SortedIndex& index_;
  ListenerMetrics& metrics_;
  const common::Clock& clock_;
  common::Logger& logger_;
  const ListenerOptions options_;
  common::IndexReconciler reconciler_;
};

}  // namespace carecast::listener
