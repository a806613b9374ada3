#include "services/listener/inbox.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "carecast/v1/events.pb.h"

#include "services/common/base/ids.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/base/utf8.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/subjects.h"
#include "services/common/lifecycle/inbox_lifecycle.h"
#include "services/listener/business_hours.h"
#include "services/listener/inbox_rules.h"
#include "services/listener/listener_names.h"

namespace carecast::listener {

using common::ScoredMember;

namespace {

constexpr std::string_view kSource = "/carecast/listener";
constexpr std::string_view kSystemActor = "carecast-listener";
constexpr std::string_view kNamePrefix = "inboxItems/";

using lifecycle::InboxEvent;

int64_t Millis(const google::protobuf::Timestamp& ts) {
  return absl::ToUnixMillis(FromTimestamp(ts));
}

// Unresolved items sort by due time; resolved ones by minus the close time so
// a plain ascending range shows the newest first.
double ScoreFor(const v1::InboxItem& item) {
  if (lifecycle::IsTerminal(item.state())) {
    return -static_cast<double>(Millis(item.close_time()));
  }
  return static_cast<double>(Millis(item.due_time()));
}

std::string_view IndexFor(v1::InboxItemState state) {
  return lifecycle::IsTerminal(state) ? kClosedIndex : kOpenIndex;
}

// An item as the workflow sees it: the legacy OPEN and CLOSED read as NEW and
// RESOLVED, so the next write stores the new value (docs/inbox.md, "Migration").
v1::InboxItem Normalised(v1::InboxItem item) {
  item.set_state(lifecycle::Current(item.state()));
  return item;
}

// Does an item in `state` belong in a listing of `wanted`?
bool StateMatches(v1::InboxItemState wanted, v1::InboxItemState state) {
  const v1::InboxItemState current = lifecycle::Current(state);
  switch (wanted) {
    case v1::INBOX_ITEM_STATE_OPEN:
      return !lifecycle::IsTerminal(current);
    case v1::INBOX_ITEM_STATE_CLOSED:
      return lifecycle::IsTerminal(current);
    default:
      return current == wanted;
  }
}

bool IsPrintablePrincipal(std::string_view id) {
  if (id.empty() || id.size() > kMaxPrincipalBytes || !common::IsValidUtf8(id)) return false;
  return std::none_of(id.begin(), id.end(),
                      [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; });
}

absl::Status CheckText(std::string_view text, std::string_view field, size_t max_chars) {
  if (!common::IsValidUtf8(text)) {
    return absl::InvalidArgumentError(absl::StrCat(common::AsAbsl(field), " must be valid UTF-8"));
  }
  if (common::CodePointCount(text) > max_chars) {
    return absl::InvalidArgumentError(
        absl::StrCat(common::AsAbsl(field), " must be at most ", max_chars, " characters"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ParseName(std::string_view name) {
  if (!absl::StartsWith(common::AsAbsl(name), common::AsAbsl(kNamePrefix))) {
    return absl::InvalidArgumentError("name must look like inboxItems/{inbox_item}");
  }
  std::string_view id = name.substr(kNamePrefix.size());
  if (!common::IsValidId(id)) {
    return absl::InvalidArgumentError("name must look like inboxItems/{inbox_item}");
  }
  return std::string(id);
}

bool After(const ScoredMember& m, const std::optional<PageCursor>& cursor) {
  if (!cursor) return true;
  const double c = static_cast<double>(cursor->score);
  return m.score > c || (m.score == c && m.member > cursor->id);
}

// Every item belongs in the open or the closed index, by its state.
common::IndexSource ItemsSource(common::EntityStore& items) {
  return {
      .keys = [&items]() { return items.Keys(""); },
      .place =
          [&items](std::string_view key) -> absl::StatusOr<std::optional<common::IndexPlacement>> {
        ASSIGN_OR_RETURN(common::Stored<v1::InboxItem> entry, items.Get<v1::InboxItem>(key));
        return std::optional<common::IndexPlacement>(common::IndexPlacement{
            .index = std::string(IndexFor(entry.value.state())), .score = ScoreFor(entry.value)});
      },
      // Whole passes stream the bucket (one consumer, not one read per item).
      .scan = [&items](const common::IndexSource::Visit& visit) -> absl::Status {
        return items.kv().Scan("", [&](std::string_view key, const common::KvEntry& entry) {
          v1::InboxItem item;
          if (!item.ParseFromString(common::DecodeRecord(entry).value)) {
            return visit(key, absl::DataLossError("inbox item does not parse"));
          }
          return visit(key,
                       std::optional<common::IndexPlacement>(common::IndexPlacement{
                           .index = std::string(IndexFor(item.state())), .score = ScoreFor(item)}));
        });
      }};
}

}  // namespace

Inbox::Inbox(common::EntityStore& items, common::SortedIndex& index, ListenerMetrics& metrics,
             const common::Clock& clock, common::Logger& logger, const ListenerOptions& options)
    : items_(items),
      index_(index),
      metrics_(metrics),
      clock_(clock),
      logger_(logger),
      options_(options),
      reconciler_({.indexes = {{std::string(kOpenIndex), "inbox_open"},
                               {std::string(kClosedIndex), "inbox_closed"}}},
                  ItemsSource(items), index, metrics.index_repairs(), logger) {}

v1::Priority Inbox::PriorityFor(const v1::Classification& c) {
  if (c.urgent()) return v1::PRIORITY_URGENT;
  if (c.sentiment() == v1::SENTIMENT_NEGATIVE) return v1::PRIORITY_HIGH;
  // A friendly question ("thanks! are you open sunday?") can wait longest.
  if (c.sentiment() == v1::SENTIMENT_POSITIVE) return v1::PRIORITY_LOW;
  return v1::PRIORITY_NORMAL;
}

absl::StatusOr<Inbox::Entry> Inbox::Load(std::string_view id) {
  ASSIGN_OR_RETURN(Entry entry, items_.Get<v1::InboxItem>(id));
  entry.value = Normalised(std::move(entry.value));
  return entry;
}

absl::Status Inbox::Index(std::string_view id, const v1::InboxItem& item) {
  const std::string_view other = lifecycle::IsTerminal(item.state()) ? kOpenIndex : kClosedIndex;
  RETURN_IF_ERROR(index_.Remove(other, id));
  return index_.Add(IndexFor(item.state()), {{std::string(id), ScoreFor(item)}});
}

void Inbox::IndexBestEffort(std::string_view id, const v1::InboxItem& item) {
  // The index is a cache: a listing moves a stale entry, so a Redis outage
  // must not fail a change that KV has already recorded.
  if (absl::Status s = Index(id, item); !s.ok()) {
    logger_.Warn("inbox index not updated after a change",
                 {{"inbox_item_id", std::string(id)}, {"error", std::string(s.message())}});
  }
}

common::Change Inbox::ChangeFor(std::string_view subject, std::string_view id, std::string_view tag,
                                absl::Time when, const v1::InboxItem& item,
                                std::string_view actor) const {
  v1::InboxItemChanged payload;
  *payload.mutable_inbox_item() = item;
  payload.set_actor(std::string(actor));
  common::Change change;
  change.event =
      common::MakeEvent(subject, payload, kSource, when,
                        absl::StrCat("inbox.", common::AsAbsl(id), ".", common::AsAbsl(tag)));
  return change;
}

absl::StatusOr<v1::InboxItem> Inbox::OpenForMention(const v1::Mention& mention,
                                                    std::string_view id) {
  v1::InboxItem item;
  item.set_name(absl::StrCat(common::AsAbsl(kNamePrefix), common::AsAbsl(id)));
  item.set_mention(mention.name());
  ASSIGN_OR_RETURN(v1::InboxItemState state,
                   lifecycle::Next(v1::INBOX_ITEM_STATE_UNSPECIFIED, InboxEvent::kOpen));
  item.set_state(state);
  item.set_priority(PriorityFor(mention.classification()));
  item.set_account(mention.account());
  item.set_spoke(RouteSpoke(mention, options_.topic_routes));
  // Derived from the mention's receive time, not "now", so every retry builds
  // the same item.
  *item.mutable_due_time() =
      ToTimestamp(DueTime(FromTimestamp(mention.receive_time()), options_.sla.For(item.priority()),
                          options_.business_hours.For(item.spoke())));
  *item.mutable_create_time() = mention.receive_time();
  *item.mutable_update_time() = mention.receive_time();
  if (item.priority() == v1::PRIORITY_URGENT) {
    *item.mutable_responder_guidance() = mention.classification().urgency_guidance();
  }
  item.set_network(mention.network());
  item.set_author_handle(mention.author_handle());
  item.set_text(mention.text());
  *item.mutable_classification() = mention.classification();

  absl::StatusOr<Entry> created =
      items_.Create(id, item,
                    {ChangeFor(common::subjects::kInboxCreated, id, "created",
                               FromTimestamp(item.create_time()), item, kSystemActor)});
  if (created.ok()) {
    metrics_.InboxItemCreated(PriorityName(item.priority()));
    logger_.Info("inbox item created", {{"inbox_item_id", std::string(id)},
                                        {"priority", std::string(PriorityName(item.priority()))},
                                        {"spoke", item.spoke()}});
  } else if (created.status().code() == absl::StatusCode::kAlreadyExists) {
    // A previous try created it: finish what its write still owes the bus.
    RETURN_IF_ERROR(items_.Settle(id));
    ASSIGN_OR_RETURN(Entry existing, Load(id));
    item = std::move(existing.value);
  } else {
    return created.status();
  }
  RETURN_IF_ERROR(Index(id, item));
  return item;
}

absl::Status Inbox::EnsureIndex() {
  ASSIGN_OR_RETURN(bool built, index_.HasMarker(kIndexMarker));
  if (built) return absl::OkStatus();
  ASSIGN_OR_RETURN(common::ReconcileReport report, ReconcileIndex());
  logger_.Info("inbox index rebuilt from KV",
               {{"items", report.keys_scanned}, {"added", report.Total().added}});
  return absl::OkStatus();
}

absl::StatusOr<common::ReconcileReport> Inbox::ReconcileIndex() {
  ASSIGN_OR_RETURN(common::ReconcileReport report, reconciler_.Reconcile());
  // The marker goes last: a pass cut short leaves it unset and runs again.
  RETURN_IF_ERROR(index_.SetMarker(kIndexMarker));
  return report;
}

absl::StatusOr<InboxPage> Inbox::List(v1::InboxItemState state, int page_size,
                                      std::string_view page_token,
                                      const common::SpokeScope& scope) {
  if (!v1::InboxItemState_IsValid(state)) {
    return absl::InvalidArgumentError("state is not a known inbox item state");
  }
  if (state == v1::INBOX_ITEM_STATE_UNSPECIFIED) state = v1::INBOX_ITEM_STATE_OPEN;
  // RESOLVED and CLOSED list the same items; one token state serves both.
  if (state == v1::INBOX_ITEM_STATE_RESOLVED) state = v1::INBOX_ITEM_STATE_CLOSED;
  const Filter keep = [state, &scope](const v1::InboxItem& item) {
    return StateMatches(state, item.state()) && scope.MaySee(item.spoke());
  };
  if (page_size < 0) return absl::InvalidArgumentError("page_size must not be negative");
  const size_t size =
      page_size == 0 ? kDefaultPageSize : static_cast<size_t>(std::min(page_size, kMaxPageSize));
  std::optional<PageCursor> cursor;
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(cursor, DecodePageToken(page_token, state));
  }
  absl::StatusOr<InboxPage> page = ListFromIndex(state, size, cursor, keep);
  if (page.status().code() != absl::StatusCode::kUnavailable) return page;
  // Redis is an index, not the record: answer from KV while it is away.
  logger_.Warn("inbox index unavailable, listing from KV",
               {{"error", std::string(page.status().message())}});
  return ListFromKv(state, size, cursor, keep);
}

absl::StatusOr<InboxPage> Inbox::ListFromIndex(v1::InboxItemState state, size_t page_size,
                                               const std::optional<PageCursor>& cursor,
                                               const Filter& keep) {
  RETURN_IF_ERROR(EnsureIndex());
  const std::string_view index = IndexFor(state);
  const double min =
      cursor ? static_cast<double>(cursor->score) : -std::numeric_limits<double>::infinity();
  const size_t chunk = std::max<size_t>(page_size + 1, 32);
  std::vector<std::pair<ScoredMember, v1::InboxItem>> found;
  std::vector<std::string> gone;
  std::vector<std::pair<std::string, v1::InboxItem>> misplaced;
  size_t offset = 0;
  while (found.size() <= page_size) {
    ASSIGN_OR_RETURN(
        std::vector<ScoredMember> batch,
        index_.RangeByScore(index, min, std::numeric_limits<double>::infinity(), offset, chunk));
    offset += batch.size();
    for (const ScoredMember& m : batch) {
      if (!After(m, cursor)) continue;
      absl::StatusOr<Entry> entry = Load(m.member);
      if (entry.status().code() == absl::StatusCode::kNotFound) {
        gone.push_back(m.member);
        continue;
      }
      if (!entry.ok()) return entry.status();
      if (IndexFor(entry->value.state()) != index) {
        misplaced.emplace_back(m.member, std::move(entry->value));
        continue;
      }
      if (!keep(entry->value)) continue;
      found.emplace_back(m, std::move(entry->value));
      if (found.size() > page_size) break;
    }
    if (batch.size() < chunk) break;
  }
  // Repairs wait until the scan is done so they do not shift the offsets above.
  for (const std::string& id : gone) (void)index_.Remove(index, id);
  for (const auto& [id, item] : misplaced) (void)Index(id, item);
  if (!gone.empty() || !misplaced.empty()) {
    logger_.Info("inbox index repaired", {{"removed", static_cast<int64_t>(gone.size())},
                                          {"moved", static_cast<int64_t>(misplaced.size())}});
  }

  InboxPage page;
  if (found.size() > page_size) {
    const ScoredMember& last = found[page_size - 1].first;
    page.next_page_token =
        EncodePageToken({state, static_cast<int64_t>(std::llround(last.score)), last.member});
    found.resize(page_size);
  }
  for (auto& [m, item] : found) page.items.push_back(std::move(item));
  return page;
}

absl::StatusOr<InboxPage> Inbox::ListFromKv(v1::InboxItemState state, size_t page_size,
                                            const std::optional<PageCursor>& cursor,
                                            const Filter& keep) {
  std::vector<std::pair<ScoredMember, v1::InboxItem>> found;
  RETURN_IF_ERROR(items_.kv().Scan("", [&](std::string_view key, const common::KvEntry& raw) {
    v1::InboxItem item;
    if (!item.ParseFromString(common::DecodeRecord(raw).value)) {
      return absl::DataLossError(
          absl::StrCat("inbox item ", common::AsAbsl(key), " does not parse"));
    }
    item = Normalised(std::move(item));
    if (!keep(item)) return absl::OkStatus();
    ScoredMember m{std::string(key), ScoreFor(item)};
    if (After(m, cursor)) found.emplace_back(std::move(m), std::move(item));
    return absl::OkStatus();
  }));
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first.score, a.first.member) < std::tie(b.first.score, b.first.member);
  });
  InboxPage page;
  if (found.size() > page_size) {
    const ScoredMember& last = found[page_size - 1].first;
    page.next_page_token =
        EncodePageToken({state, static_cast<int64_t>(std::llround(last.score)), last.member});
    found.resize(page_size);
  }
  for (auto& [m, item] : found) page.items.push_back(std::move(item));
  return page;
}

absl::StatusOr<v1::InboxItem> Inbox::Change(std::string_view name, const common::SpokeScope& scope,
                                            std::string_view actor, std::string_view subject,
                                            std::string_view fact, std::string_view event_tag,
                                            const Mutation& mutate) {
  ASSIGN_OR_RETURN(std::string id, ParseName(name));
  if (actor.empty()) return absl::InvalidArgumentError("the caller has no subject");
  const std::string what = absl::StrCat("inbox item ", id);
  for (int attempt = 0; attempt < common::kReadModifyWriteAttempts; ++attempt) {
    absl::StatusOr<Entry> entry = Load(id);
    if (entry.status().code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError(absl::StrCat(what, " not found"));
    }
    if (!entry.ok()) return entry.status();
    // Another spoke's item looks like a missing one; an unrouted one is the hub's.
    RETURN_IF_ERROR(scope.RequireChangeOf(entry->value.spoke(), what));
    v1::InboxItem item = entry->value;
    const absl::Time now = clock_.Now();
    const bool was_breached = item.has_sla_breach_time();
    ASSIGN_OR_RETURN(Outcome outcome, mutate(item, now));
    if (outcome == Outcome::kUnchanged) {
      // The change is already made (a retry): finish what that write may owe.
      IndexBestEffort(id, item);
      RETURN_IF_ERROR(items_.Settle(id));
      return item;
    }
    *item.mutable_update_time() = ToTimestamp(now);
    const std::string tag = event_tag.empty()
                                ? absl::StrCat("r", entry->revision, ".", common::AsAbsl(fact))
                                : std::string(event_tag);
    std::vector<common::Change> changes = {ChangeFor(subject, id, tag, now, item, actor)};
    const bool breached_now = !was_breached && item.has_sla_breach_time();
    if (breached_now) {
      changes.push_back(ChangeFor(common::subjects::kInboxSlaBreached, id, "sla_breached", now,
                                  item, kSystemActor));
    }
    absl::StatusOr<Entry> updated = items_.Update(id, item, *entry, changes);
    if (updated.status().code() == absl::StatusCode::kAborted) continue;  // raced; look again
    if (!updated.ok()) return updated.status();
    if (breached_now) metrics_.SlaBreached(PriorityName(item.priority()));
    logger_.Info(absl::StrCat("inbox item ", common::AsAbsl(fact)),
                 {{"inbox_item_id", id},
                  {"state", std::string(lifecycle::StateName(item.state()))},
                  {"spoke", item.spoke()}});
    IndexBestEffort(id, item);
    return item;
  }
  return absl::AbortedError(absl::StrCat(what, " kept changing; retry"));
}

bool Inbox::RecordFirstResponse(v1::InboxItem& item, absl::Time now) {
  if (item.has_first_response_time()) return false;
  *item.mutable_first_response_time() = ToTimestamp(now);
  if (item.has_sla_breach_time() || now <= FromTimestamp(item.due_time())) return false;
  *item.mutable_sla_breach_time() = ToTimestamp(now);
  return true;
}

absl::StatusOr<v1::InboxItem> Inbox::Assign(std::string_view name, std::string_view assignee,
                                            std::string_view actor,
                                            const common::SpokeScope& scope) {
  if (!IsPrintablePrincipal(assignee)) {
    return absl::InvalidArgumentError(
        absl::StrCat("assignee must be a principal id: 1 to ", kMaxPrincipalBytes,
                     " bytes of UTF-8 without spaces or control characters"));
  }
  ASSIGN_OR_RETURN(std::string id, ParseName(name));
  const std::string subject = absl::StrCat("inbox item ", id);
  return Change(
      name, scope, actor, common::subjects::kInboxAssigned, "assigned", "",
      [&](v1::InboxItem& item, absl::Time now) -> absl::StatusOr<Outcome> {
        if (item.state() == v1::INBOX_ITEM_STATE_ASSIGNED && item.assignee() == assignee) {
          return Outcome::kUnchanged;
        }
        ASSIGN_OR_RETURN(v1::InboxItemState next,
                         lifecycle::Next(item.state(), InboxEvent::kAssign, subject));
        item.set_state(next);
        item.set_assignee(std::string(assignee));
        *item.mutable_assign_time() = ToTimestamp(now);
        return Outcome::kWrite;
      });
}

absl::StatusOr<v1::InboxItem> Inbox::SetWaiting(std::string_view name, std::string_view actor,
                                                const common::SpokeScope& scope) {
  ASSIGN_OR_RETURN(std::string id, ParseName(name));
  const std::string subject = absl::StrCat("inbox item ", id);
  return Change(name, scope, actor, common::subjects::kInboxWaiting, "waiting", "",
                [&](v1::InboxItem& item, absl::Time now) -> absl::StatusOr<Outcome> {
                  if (item.state() == v1::INBOX_ITEM_STATE_WAITING) return Outcome::kUnchanged;
                  ASSIGN_OR_RETURN(v1::InboxItemState next,
                                   lifecycle::Next(item.state(), InboxEvent::kWait, subject));
                  item.set_state(next);
                  RecordFirstResponse(item, now);
                  return Outcome::kWrite;
                });
}

absl::StatusOr<v1::InboxItem> Inbox::Resolve(std::string_view name, std::string_view resolution,
                                             std::string_view actor,
                                             const common::SpokeScope& scope) {
  ASSIGN_OR_RETURN(std::string id, ParseName(name));
  RETURN_IF_ERROR(CheckText(resolution, "resolution", kMaxResolutionChars));
  const std::string subject = absl::StrCat("inbox item ", id);
  return Change(name, scope, actor, common::subjects::kInboxClosed, "resolved", "closed",
                [&](v1::InboxItem& item, absl::Time now) -> absl::StatusOr<Outcome> {
                  if (item.state() == v1::INBOX_ITEM_STATE_RESOLVED && item.closed_by() == actor &&
                      item.resolution() == resolution) {
                    return Outcome::kUnchanged;
                  }
                  ASSIGN_OR_RETURN(v1::InboxItemState next,
                                   lifecycle::Next(item.state(), InboxEvent::kResolve, subject));
                  item.set_state(next);
                  *item.mutable_close_time() = ToTimestamp(now);
                  item.set_closed_by(std::string(actor));
                  item.set_resolution(std::string(resolution));
                  RecordFirstResponse(item, now);
                  return Outcome::kWrite;
                });
}

absl::StatusOr<v1::InboxItem> Inbox::RecordReply(std::string_view name, std::string_view reply_id,
                                                 std::string_view author, absl::Time sent) {
  ASSIGN_OR_RETURN(std::string id, ParseName(name));
  const std::string subject = absl::StrCat("inbox item ", id);
  const std::string tag = absl::StrCat("reply.", common::AsAbsl(reply_id));
  return Change(name, common::SpokeScope::Hub(), author, common::subjects::kInboxWaiting,
                "answered", tag,
                [&](v1::InboxItem& item, absl::Time now) -> absl::StatusOr<Outcome> {
                  const bool moves = item.state() == v1::INBOX_ITEM_STATE_NEW ||
                                     item.state() == v1::INBOX_ITEM_STATE_ASSIGNED;
                  if (!moves && item.has_first_response_time()) return Outcome::kUnchanged;
                  if (item.state() == v1::INBOX_ITEM_STATE_NEW) {
                    ASSIGN_OR_RETURN(v1::InboxItemState assigned,
                                     lifecycle::Next(item.state(), InboxEvent::kAssign, subject));
                    item.set_state(assigned);
                    item.set_assignee(std::string(author));
                    *item.mutable_assign_time() = ToTimestamp(std::min(sent, now));
                  }
                  if (item.state() == v1::INBOX_ITEM_STATE_ASSIGNED) {
                    ASSIGN_OR_RETURN(v1::InboxItemState waiting,
                                     lifecycle::Next(item.state(), InboxEvent::kWait, subject));
                    item.set_state(waiting);
                  }
                  RecordFirstResponse(item, std::min(sent, now));
                  return Outcome::kWrite;
                });
}

absl::StatusOr<v1::InboxItem> Inbox::AddNote(std::string_view name, std::string_view text,
                                             std::string_view request_id, std::string_view actor,
                                             const common::SpokeScope& scope) {
  if (text.empty()) return absl::InvalidArgumentError("text must not be empty");
  RETURN_IF_ERROR(CheckText(text, "text", kMaxNoteChars));
  if (!request_id.empty() && !IsPrintablePrincipal(request_id)) {
    return absl::InvalidArgumentError(
        "request_id must be up to 200 bytes without spaces or control characters");
  }
  ASSIGN_OR_RETURN(std::string id, ParseName(name));
  const std::string subject = absl::StrCat("inbox item ", id);
  const std::string note_id = request_id.empty() ? common::NewId() : std::string(request_id);
  return Change(name, scope, actor, common::subjects::kInboxNoteAdded, "note_added", "",
                [&](v1::InboxItem& item, absl::Time now) -> absl::StatusOr<Outcome> {
                  for (const v1::InboxNote& note : item.notes()) {
                    if (note.id() == note_id) return Outcome::kUnchanged;
                  }
                  if (item.notes_size() >= kMaxNotes) {
                    return absl::FailedPreconditionError(
                        absl::StrCat(subject, " already has ", kMaxNotes, " notes"));
                  }
                  v1::InboxNote* note = item.add_notes();
                  note->set_id(note_id);
                  note->set_author(std::string(actor));
                  *note->mutable_create_time() = ToTimestamp(now);
                  note->set_text(std::string(text));
                  return Outcome::kWrite;
                });
}

absl::Status Inbox::MarkBreached(std::string_view id, SlaReport& report) {
  absl::StatusOr<Entry> entry = Load(id);
  if (entry.status().code() == absl::StatusCode::kNotFound) return absl::OkStatus();
  if (!entry.ok()) return entry.status();
  v1::InboxItem item = entry->value;
  const absl::Time now = clock_.Now();
  if (lifecycle::IsTerminal(item.state()) || item.has_first_response_time() ||
      now <= FromTimestamp(item.due_time())) {
    return absl::OkStatus();
  }
  ++report.overdue[std::string(PriorityName(item.priority()))];
  if (item.has_sla_breach_time()) return absl::OkStatus();
  *item.mutable_sla_breach_time() = ToTimestamp(now);
  absl::StatusOr<Entry> updated =
      items_.Update(id, item, *entry,
                    {ChangeFor(common::subjects::kInboxSlaBreached, id, "sla_breached", now, item,
                               kSystemActor)});
  // Lost to another writer (a replica's check, a responder): the next check
  // looks again.
  if (updated.status().code() == absl::StatusCode::kAborted) return absl::OkStatus();
  if (!updated.ok()) return updated.status();
  metrics_.SlaBreached(PriorityName(item.priority()));
  ++report.breaches_recorded;
  logger_.Info("inbox item breached its first-response SLA",
               {{"inbox_item_id", std::string(id)},
                {"priority", std::string(PriorityName(item.priority()))},
                {"spoke", item.spoke()}});
  return absl::OkStatus();
}

absl::StatusOr<SlaReport> Inbox::CheckSla() {
  RETURN_IF_ERROR(EnsureIndex());
  const double now_ms = static_cast<double>(absl::ToUnixMillis(clock_.Now()));
  SlaReport report;
  constexpr size_t kChunk = 256;
  size_t offset = 0;
  for (;;) {
    ASSIGN_OR_RETURN(std::vector<ScoredMember> batch,
                     index_.RangeByScore(kOpenIndex, -std::numeric_limits<double>::infinity(),
                                         now_ms, offset, kChunk));
    offset += batch.size();
    for (const ScoredMember& m : batch) RETURN_IF_ERROR(MarkBreached(m.member, report));
    if (batch.size() < kChunk) break;
  }
  for (v1::Priority p :
       {v1::PRIORITY_URGENT, v1::PRIORITY_HIGH, v1::PRIORITY_NORMAL, v1::PRIORITY_LOW}) {
    const std::string priority(PriorityName(p));
    metrics_.SetSlaOverdue(priority, static_cast<double>(report.overdue[priority]));
  }
  return report;
}

}  // namespace carecast::listener
