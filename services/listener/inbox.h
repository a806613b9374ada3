// The inbox of mentions that need an answer, and the team's work on them
// (docs/inbox.md): each item is routed to a spoke, moves NEW -> ASSIGNED <->
// WAITING -> RESOLVED by the table in services/common/lifecycle/inbox_lifecycle.h,
// collects notes, and carries its first-response due time (the priority's
// target in its spoke's business hours). Every change is one compare-and-set
// write of the item together with its event. Items live in the carecast_inbox KV
// bucket (system of record, key = item id); Redis sorted indexes "inbox:open"
// (unresolved; score: due time) and "inbox:closed" (resolved; score: minus the
// close time, so the newest come first) order them. They are rebuilt from KV whenever their marker
// is missing, and ReconcileIndex() (at start and every period, see
// Listener::Start) heals sets lost behind a surviving marker. Stale index
// entries are also repaired when a listing reads them.
#pragma once

#include <functional>
#include <map>
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
#include "services/common/rpc/spoke_scope.h"
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
inline constexpr size_t kMaxNoteChars = 2000;
inline constexpr int kMaxNotes = 200;
inline constexpr size_t kMaxPrincipalBytes = 200;

// What one SLA check found: items past due without a first response, by
// priority name, and the breaches this check recorded.
struct SlaReport {
  std::map<std::string, int64_t> overdue;
  int breaches_recorded = 0;
};

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
  // then indexes it. The item is NEW, routed (RouteSpoke), due by its priority's
  // SLA target in its spoke's business hours from the mention's receive time,
  // and, when urgent, carries the responder guidance. Idempotent. UNAVAILABLE
  // when KV or Redis cannot be reached.
  absl::StatusOr<v1::InboxItem> OpenForMention(const v1::Mention& mention, std::string_view id);

  // Items in `state` that `scope` may see (its spokes' and the unrouted ones):
  // UNSPECIFIED or OPEN lists every unresolved item, NEW/ASSIGNED/WAITING those,
  // soonest due first; RESOLVED or CLOSED the resolved ones, most recently
  // resolved first. page_size 0 means 50, larger than 500 means 500. Falls back
  // to a KV scan when Redis is down.
  absl::StatusOr<InboxPage> List(v1::InboxItemState state, int page_size,
                                 std::string_view page_token,
                                 const common::SpokeScope& scope = common::SpokeScope::Hub());

  // The changes below are compare-and-set writes of the item with their event,
  // redone from a fresh read when another writer got in between. Each returns
  // the item as stored. INVALID_ARGUMENT (bad name or input), NOT_FOUND (no such
  // item, or one of a spoke `scope` may not act for), PERMISSION_DENIED (an
  // unrouted item and a spoke caller), FAILED_PRECONDITION (the lifecycle
  // refuses the move), ABORTED (lost repeated races). A request that finds its
  // change already made (a retry) returns the item and writes nothing.

  // NEW, ASSIGNED or WAITING -> ASSIGNED to `assignee` (a principal id):
  // carecast.inbox.assigned.
  absl::StatusOr<v1::InboxItem> Assign(std::string_view name, std::string_view assignee,
                                       std::string_view actor, const common::SpokeScope& scope);
  // ASSIGNED -> WAITING (answered; waiting on the public), recording the first
  // response: carecast.inbox.waiting.
  absl::StatusOr<v1::InboxItem> SetWaiting(std::string_view name, std::string_view actor,
                                           const common::SpokeScope& scope);
  // NEW, ASSIGNED or WAITING -> RESOLVED with `resolution` (no PHI), recording
  // the first response if none was: carecast.inbox.closed (event id
  // "inbox.<id>.closed"). A retry by the same actor with the same resolution
  // returns the resolved item and completes the index and event; any other
  // resolution of a resolved item is FAILED_PRECONDITION "... is already resolved".
  absl::StatusOr<v1::InboxItem> Resolve(
      std::string_view name, std::string_view resolution, std::string_view actor,
      const common::SpokeScope& scope = common::SpokeScope::Hub());
  // Records that reply `reply_id` by `author` reached the network at `sent`:
  // the first response (if none yet; a late one also records the breach), and a
  // NEW or ASSIGNED item moves to WAITING (a NEW one is assigned to the author on
  // the way). A WAITING or RESOLVED item keeps its state. One event,
  // carecast.inbox.waiting with id "inbox.<id>.reply.<reply_id>", so a repeated
  // outcome changes nothing. For the listener's own consumer: no scope check.
  absl::StatusOr<v1::InboxItem> RecordReply(std::string_view name, std::string_view reply_id,
                                            std::string_view author, absl::Time sent);
  // Appends a note by `actor` (1..2000 characters, any state, at most 200 per
  // item): carecast.inbox.note_added. A non-empty `request_id` names the note;
  // a retry with it adds nothing. The text is never logged.
  absl::StatusOr<v1::InboxItem> AddNote(std::string_view name, std::string_view text,
                                        std::string_view request_id, std::string_view actor,
                                        const common::SpokeScope& scope);

  // Checks the unresolved items due by now: sets carecast_inbox_sla_overdue for
  // every priority and records each newly breached item once (sla_breach_time
  // with carecast.inbox.sla_breached, counted in carecast_inbox_sla_breaches_total
  // by the replica whose write wins). UNAVAILABLE when Redis or KV is away.
  absl::StatusOr<SlaReport> CheckSla();

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
  // The event announcing `item` at `when`, with event id "inbox.<id>.<tag>".
  common::Change ChangeFor(std::string_view subject, std::string_view id, std::string_view tag,
                           absl::Time when, const v1::InboxItem& item,
                           std::string_view actor) const;
  // What a mutation decided: write (with these extra changes besides the main
  // event) or nothing to do (a retry).
  enum class Outcome { kWrite, kUnchanged };
  using Mutation = std::function<absl::StatusOr<Outcome>(v1::InboxItem& item, absl::Time now)>;
  // The read-check-write loop every change above shares. `subject` and `fact`
  // name the event; `event_tag` (empty: "r<base revision>.<fact>") its id.
  absl::StatusOr<v1::InboxItem> Change(std::string_view name, const common::SpokeScope& scope,
                                       std::string_view actor, std::string_view subject,
                                       std::string_view fact, std::string_view event_tag,
                                       const Mutation& mutate);
  // Records the first response at `now` unless there is one; a late one also
  // records the breach (returns true when it did).
  static bool RecordFirstResponse(v1::InboxItem& item, absl::Time now);
  absl::Status MarkBreached(std::string_view id, SlaReport& report);
  using Filter = std::function<bool(const v1::InboxItem&)>;
  absl::StatusOr<InboxPage> ListFromIndex(v1::InboxItemState state, size_t page_size,
                                          const std::optional<PageCursor>& cursor,
                                          const Filter& keep);
  absl::StatusOr<InboxPage> ListFromKv(v1::InboxItemState state, size_t page_size,
                                       const std::optional<PageCursor>& cursor, const Filter& keep);

  common::EntityStore& items_;
  common::SortedIndex& index_;
  ListenerMetrics& metrics_;
  const common::Clock& clock_;
  common::Logger& logger_;
  const ListenerOptions options_;
  common::IndexReconciler reconciler_;
};

}  // namespace carecast::listener
