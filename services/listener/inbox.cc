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
#include "services/listener/listener_names.h"

namespace carecast::listener {

using common::ScoredMember;

namespace {

constexpr std::string_view kSource = "/carecast/listener";
constexpr std::string_view kSystemActor = "carecast-listener";
constexpr std::string_view kNamePrefix = "inboxItems/";
constexpr int kCloseAttempts = 3;

int64_t Millis(const google::protobuf::Timestamp& ts) {
  return absl::ToUnixMillis(FromTimestamp(ts));
}

// Open items sort by due time; closed ones by minus the close time so a plain
// ascending range shows the newest first.
double ScoreFor(const v1::InboxItem& item) {
  if (item.state() == v1::INBOX_ITEM_STATE_CLOSED) {
    return -static_cast<double>(Millis(item.close_time()));
  }
  return static_cast<double>(Millis(item.due_time()));
}

std::string_view IndexFor(v1::InboxItemState state) {
  return state == v1::INBOX_ITEM_STATE_CLOSED ? kClosedIndex : kOpenIndex;
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

absl::Duration Inbox::SlaFor(v1::Priority priority) const {
  switch (priority) {
    case v1::PRIORITY_URGENT:
      return options_.sla_urgent;
    case v1::PRIORITY_HIGH:
      return options_.sla_high;
    case v1::PRIORITY_NORMAL:
    case v1::PRIORITY_UNSPECIFIED:
      return options_.sla_normal;
    case v1::PRIORITY_LOW:
      return options_.sla_low;
    case v1::Priority_INT_MIN_SENTINEL_DO_NOT_USE_:
    case v1::Priority_INT_MAX_SENTINEL_DO_NOT_USE_:
      break;
  }
  return options_.sla_normal;
}

absl::StatusOr<Inbox::Entry> Inbox::Load(std::string_view id) {
  return items_.Get<v1::InboxItem>(id);
}

absl::Status Inbox::Index(std::string_view id, const v1::InboxItem& item) {
  const v1::InboxItemState other = item.state() == v1::INBOX_ITEM_STATE_CLOSED
                                       ? v1::INBOX_ITEM_STATE_OPEN
                                       : v1::INBOX_ITEM_STATE_CLOSED;
  RETURN_IF_ERROR(index_.Remove(IndexFor(other), id));
  return index_.Add(IndexFor(item.state()), {{std::string(id), ScoreFor(item)}});
}

void Inbox::IndexBestEffort(std::string_view id, const v1::InboxItem& item) {
  // The index is a cache: a listing of open items moves a stale entry, so a
  // Redis outage must not fail a close that KV has already recorded.
  if (absl::Status s = Index(id, item); !s.ok()) {
    logger_.Warn("inbox index not updated after close",
                 {{"inbox_item_id", std::string(id)}, {"error", std::string(s.message())}});
  }
}

common::Change Inbox::ChangeFor(std::string_view subject, std::string_view id,
                                std::string_view fact, const v1::InboxItem& item,
                                std::string_view actor) const {
  v1::InboxItemChanged payload;
  *payload.mutable_inbox_item() = item;
  payload.set_actor(std::string(actor));
  const google::protobuf::Timestamp& when =
      fact == "closed" ? item.close_time() : item.create_time();
  common::Change change;
  change.event =
      common::MakeEvent(subject, payload, kSource, FromTimestamp(when),
                        absl::StrCat("inbox.", common::AsAbsl(id), ".", common::AsAbsl(fact)));
  return change;
}

absl::StatusOr<v1::InboxItem> Inbox::OpenForMention(const v1::Mention& mention,
                                                    std::string_view id) {
  v1::InboxItem item;
  item.set_name(absl::StrCat(common::AsAbsl(kNamePrefix), common::AsAbsl(id)));
  item.set_mention(mention.name());
  item.set_state(v1::INBOX_ITEM_STATE_OPEN);
  item.set_priority(PriorityFor(mention.classification()));
  // Derived from the mention's receive time, not "now", so every retry builds
  // the same item.
  *item.mutable_due_time() =
      ToTimestamp(FromTimestamp(mention.receive_time()) + SlaFor(item.priority()));
  *item.mutable_create_time() = mention.receive_time();
  item.set_network(mention.network());
  item.set_author_handle(mention.author_handle());
  item.set_text(mention.text());
  *item.mutable_classification() = mention.classification();

  absl::StatusOr<Entry> created = items_.Create(
      id, item, {ChangeFor(common::subjects::kInboxCreated, id, "created", item, kSystemActor)});
  if (created.ok()) {
    metrics_.InboxItemCreated(PriorityName(item.priority()));
    logger_.Info("inbox item created", {{"inbox_item_id", std::string(id)},
                                        {"priority", std::string(PriorityName(item.priority()))}});
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
                                      std::string_view page_token) {
  if (!v1::InboxItemState_IsValid(state)) {
    return absl::InvalidArgumentError("state is not a known inbox item state");
  }
  if (state == v1::INBOX_ITEM_STATE_UNSPECIFIED) state = v1::INBOX_ITEM_STATE_OPEN;
  if (page_size < 0) return absl::InvalidArgumentError("page_size must not be negative");
  const size_t size =
      page_size == 0 ? kDefaultPageSize : static_cast<size_t>(std::min(page_size, kMaxPageSize));
  std::optional<PageCursor> cursor;
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(cursor, DecodePageToken(page_token, state));
  }
  absl::StatusOr<InboxPage> page = ListFromIndex(state, size, cursor);
  if (page.status().code() != absl::StatusCode::kUnavailable) return page;
  // Redis is an index, not the record: answer from KV while it is away.
  logger_.Warn("inbox index unavailable, listing from KV",
               {{"error", std::string(page.status().message())}});
  return ListFromKv(state, size, cursor);
}

absl::StatusOr<InboxPage> Inbox::ListFromIndex(v1::InboxItemState state, size_t page_size,
                                               const std::optional<PageCursor>& cursor) {
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
      if (entry->value.state() != state) {
        misplaced.emplace_back(m.member, std::move(entry->value));
        continue;
      }
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
                                            const std::optional<PageCursor>& cursor) {
  std::vector<std::pair<ScoredMember, v1::InboxItem>> found;
  RETURN_IF_ERROR(items_.kv().Scan("", [&](std::string_view key, const common::KvEntry& raw) {
    v1::InboxItem item;
    if (!item.ParseFromString(common::DecodeRecord(raw).value)) {
      return absl::DataLossError(
          absl::StrCat("inbox item ", common::AsAbsl(key), " does not parse"));
    }
    if (item.state() != state) return absl::OkStatus();
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

absl::StatusOr<v1::InboxItem> Inbox::Close(std::string_view name, std::string_view resolution,
                                           std::string_view actor) {
  ASSIGN_OR_RETURN(std::string id, ParseName(name));
  if (!common::IsValidUtf8(resolution)) {
    return absl::InvalidArgumentError("resolution must be valid UTF-8");
  }
  if (common::CodePointCount(resolution) > kMaxResolutionChars) {
    return absl::InvalidArgumentError(
        absl::StrCat("resolution must be at most ", kMaxResolutionChars, " characters"));
  }
  if (actor.empty()) return absl::InvalidArgumentError("the caller has no subject");

  for (int attempt = 0; attempt < kCloseAttempts; ++attempt) {
    absl::StatusOr<Entry> entry = Load(id);
    if (entry.status().code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError(absl::StrCat("inbox item ", id, " not found"));
    }
    if (!entry.ok()) return entry.status();
    v1::InboxItem item = entry->value;
    if (item.state() == v1::INBOX_ITEM_STATE_CLOSED) {
      if (item.closed_by() != actor || item.resolution() != resolution) {
        return absl::FailedPreconditionError(absl::StrCat("inbox item ", id, " is already closed"));
      }
      // The same close again: a retry. Finish what the first one may still owe.
      IndexBestEffort(id, item);
      RETURN_IF_ERROR(items_.Settle(id));
      return item;
    }
    item.set_state(v1::INBOX_ITEM_STATE_CLOSED);
    *item.mutable_close_time() = ToTimestamp(clock_.Now());
    item.set_closed_by(std::string(actor));
    item.set_resolution(std::string(resolution));
    absl::StatusOr<Entry> updated = items_.Update(
        id, item, *entry, {ChangeFor(common::subjects::kInboxClosed, id, "closed", item, actor)});
    if (updated.status().code() == absl::StatusCode::kAborted) continue;  // raced; look again
    if (!updated.ok()) return updated.status();
    logger_.Info("inbox item closed", {{"inbox_item_id", id}});
    IndexBestEffort(id, item);
    return item;
  }
  return absl::AbortedError(
      absl::StrCat("inbox item ", id, " kept changing while closing it; retry"));
}

}  // namespace carecast::listener
