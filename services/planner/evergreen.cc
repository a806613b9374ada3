// The evergreen library: approved content kept for recycling, and the pass
// that fills empty cadence slots with it. The pass reserves a slot in the
// account's ledger (as the queue does), then marks the recurrence pending on
// the item, then creates the post; each step is a compare-and-set, so two
// planner replicas never fill one slot twice nor make two recurrences of one
// item on one account. A recurrence is a new post with its own claim, guard
// check (at approval) and audit, never published later than
// options.evergreen_late_tolerance after its slot.
#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

#include "carecast/v1/events.pb.h"

#include "services/common/bus/subjects.h"
#include "services/common/lifecycle/content_lifecycle.h"
#include "services/planner/evergreen_rules.h"
#include "services/planner/page_token.h"
#include "services/planner/planner.h"
#include "services/planner/planner_internal.h"
#include "services/planner/queue_ledger.h"
#include "services/planner/resource_names.h"
#include "services/planner/validation.h"

namespace carecast::planner {
namespace {

using common::AsAbsl;
namespace subjects = common::subjects;

// A pending recurrence whose post does not exist this long after it was
// marked was left by a pass that died before creating it.
constexpr absl::Duration kPendingGrace = absl::Minutes(2);
// Most recurrences one pass makes on one account.
constexpr int kMaxFillsPerAccount = 48;
// Most free slots one fill looks at for an item that may take one.
constexpr int kMaxCandidates = 64;

// The post id of the recurrence of `item` on `account` at `slot`: the same
// for every replica, so two passes racing for it create one post.
std::string RecurrenceId(std::string_view item, std::string_view account, absl::Time slot) {
  return absl::StrFormat("eg-%016x-%d", absl::HashOf(item, account), absl::ToUnixSeconds(slot));
}

google::protobuf::Duration ToDuration(absl::Duration d) {
  google::protobuf::Duration out;
  out.set_seconds(absl::ToInt64Seconds(d));
  return out;
}

// A spoke caller sees an item when it acts for one of the item's accounts'
// spokes, and changes it only when it acts for all of them; an item with no
// account is the hub's.
absl::Status RequireItemScope(const SpokeScope& scope, const v1::EvergreenItem& item,
                              std::string_view name, bool change) {
  if (scope.hub()) return absl::OkStatus();
  bool sees = false;
  bool changes = item.accounts_size() > 0;
  for (const std::string& account : item.accounts()) {
    const bool acts = scope.MayChange(common::SpokeOfResource(account));
    sees |= acts;
    changes &= acts;
  }
  if (!sees) return absl::NotFoundError(absl::StrCat(AsAbsl(name), " not found"));
  if (change && !changes) {
    return absl::PermissionDeniedError(absl::StrCat(
        AsAbsl(name), " also recycles on accounts of spokes the caller does not act for"));
  }
  return absl::OkStatus();
}

}  // namespace

Change Planner::EvergreenChange(const EvergreenTransition& transition,
                                const v1::EvergreenItem& item, uint64_t base_revision,
                                const Caller& caller, std::string_view request_id, absl::Time now,
                                std::string detail, const v1::Content* approved) const {
  v1::EvergreenChanged event;
  *event.mutable_item() = item;
  event.set_actor(caller.principal.subject);
  return NewChange({.resource = item.name(),
                    .base_revision = base_revision,
                    .fact = std::string(transition.fact),
                    .subject = transition.subject,
                    .payload = &event,
                    .action = absl::StrCat("evergreen.", AsAbsl(transition.verb)),
                    .version = approved != nullptr ? approved->version() : 0,
                    .content_hash = approved != nullptr ? approved->content_hash() : "",
                    .detail = std::move(detail)},
                   caller, request_id, now);
}

common::Caller Planner::ServiceCaller() {
  Caller caller;
  caller.principal.subject = "carecast-planner";
  caller.principal.roles = {common::Role::kService};
  caller.role = common::Role::kService;
  return caller;
}

absl::StatusOr<v1::CreateEvergreenItemResponse> Planner::CreateEvergreenItem(
    const Caller& caller, const v1::CreateEvergreenItemRequest& request) {
  return Mutate<v1::CreateEvergreenItemResponse>(
      caller, "CreateEvergreenItem", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::CreateEvergreenItemResponse> {
        const v1::EvergreenItem& in = request.item();
        const absl::Time now = clock_.Now();
        ASSIGN_OR_RETURN(std::string content_id, ParseContentName("item.content", in.content()));
        RETURN_IF_ERROR(ValidateEvergreenItem(in, now));
        const SpokeScope scope = SpokeScope::For(caller);
        std::set<std::string> seen;
        for (int i = 0; i < in.accounts_size(); ++i) {
          const std::string field = absl::StrCat("item.accounts[", i, "]");
          ASSIGN_OR_RETURN(AccountName a, ParseAccountName(field, in.accounts(i)));
          RETURN_IF_ERROR(scope.RequireChange(SpokeName(a.spoke), "evergreen items"));
          if (!seen.insert(in.accounts(i)).second) {
            return absl::InvalidArgumentError(absl::StrCat(field, " is named twice"));
          }
          absl::Status known = organisation_.Get<v1::Cadence>(CadenceKey(a)).status();
          if (absl::IsNotFound(known)) {
            return absl::FailedPreconditionError(absl::StrCat(
                in.accounts(i), " has no cadence: evergreen items fill cadence slots"));
          }
          RETURN_IF_ERROR(known);
        }
        absl::StatusOr<Stored<v1::Content>> content = contents_.Get<v1::Content>(content_id);
        if (!content.ok()) return internal::NotFoundAs(content.status(), in.content());
        const v1::Content& c = content->value;
        RETURN_IF_ERROR(scope.RequireSee(c.spoke(), in.content()));
        if (!lifecycle::IsApprovedAt(c, c.version(), c.content_hash())) {
          return absl::FailedPreconditionError(
              absl::StrCat(in.content(), " is not approved: only approved content is recycled"));
        }
        v1::CreateEvergreenItemResponse response;
        v1::EvergreenItem& item = *response.mutable_item();
        item = in;
        item.set_name(EvergreenItemName(content_id));
        item.set_state(v1::EVERGREEN_STATE_ACTIVE);
        item.clear_account_states();
        item.set_created_by(caller.principal.subject);
        *item.mutable_create_time() = ToProto(now);
        *item.mutable_update_time() = ToProto(now);
        const std::vector<Change> changes = {
            EvergreenChange({"created", subjects::kEvergreenCreated, "create"}, item, 0, caller,
                            request.request_id(), now, "", &c)};
        absl::Status created =
            organisation_.Create(EvergreenKey(content_id), item, changes).status();
        if (absl::IsAlreadyExists(created)) {
          return absl::AlreadyExistsError(absl::StrCat(item.name(), " already exists"));
        }
        RETURN_IF_ERROR(created);
        wrote = true;
        return response;
      });
}

absl::StatusOr<v1::GetEvergreenItemResponse> Planner::GetEvergreenItem(
    const Caller& caller, const v1::GetEvergreenItemRequest& request) {
  ASSIGN_OR_RETURN(std::string id, ParseEvergreenItemName("name", request.name()));
  absl::StatusOr<Stored<v1::EvergreenItem>> item =
      organisation_.Get<v1::EvergreenItem>(EvergreenKey(id));
  if (!item.ok()) return internal::NotFoundAs(item.status(), request.name());
  RETURN_IF_ERROR(
      RequireItemScope(SpokeScope::For(caller), item->value, request.name(), /*change=*/false));
  v1::GetEvergreenItemResponse response;
  *response.mutable_item() = std::move(item->value);
  return response;
}

absl::StatusOr<v1::ListEvergreenItemsResponse> Planner::ListEvergreenItems(
    const Caller& caller, const v1::ListEvergreenItemsRequest& request) {
  ASSIGN_OR_RETURN(size_t page, ResolvePageSize(request.page_size()));
  ASSIGN_OR_RETURN(uint64_t offset, DecodePageToken(request.page_token(), "evergreen"));
  ASSIGN_OR_RETURN(std::vector<std::string> keys, organisation_.Keys(kEvergreenKeyPrefix));
  std::sort(keys.begin(), keys.end());
  const SpokeScope scope = SpokeScope::For(caller);
  v1::ListEvergreenItemsResponse response;
  size_t i = offset;
  for (; i < keys.size() && static_cast<size_t>(response.items_size()) < page; ++i) {
    absl::StatusOr<Stored<v1::EvergreenItem>> item = organisation_.Get<v1::EvergreenItem>(keys[i]);
    if (absl::IsNotFound(item.status())) continue;
    if (!item.ok()) return item.status();
    if (!RequireItemScope(scope, item->value, item->value.name(), false).ok()) continue;
    *response.add_items() = std::move(item->value);
  }
  if (i < keys.size()) response.set_next_page_token(EncodePageToken("evergreen", i));
  return response;
}

absl::StatusOr<v1::RetireEvergreenItemResponse> Planner::RetireEvergreenItem(
    const Caller& caller, const v1::RetireEvergreenItemRequest& request) {
  return Mutate<v1::RetireEvergreenItemResponse>(
      caller, "RetireEvergreenItem", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::RetireEvergreenItemResponse> {
        ASSIGN_OR_RETURN(std::string id, ParseEvergreenItemName("name", request.name()));
        RETURN_IF_ERROR(CheckText("reason", request.reason(), kMaxReasonChars, false));
        const SpokeScope scope = SpokeScope::For(caller);
        const absl::Time now = clock_.Now();
        ASSIGN_OR_RETURN(
            Stored<v1::EvergreenItem> written,
            internal::ReadModifyWrite<v1::EvergreenItem>(
                organisation_, EvergreenKey(id), request.name(),
                [&](v1::EvergreenItem& item) -> absl::Status {
                  RETURN_IF_ERROR(RequireItemScope(scope, item, request.name(), /*change=*/true));
                  if (item.state() == v1::EVERGREEN_STATE_RETIRED) {
                    return absl::FailedPreconditionError(
                        absl::StrCat(request.name(), " is already retired"));
                  }
                  item.set_state(v1::EVERGREEN_STATE_RETIRED);
                  *item.mutable_update_time() = ToProto(now);
                  return absl::OkStatus();
                },
                [&](const v1::EvergreenItem& after, uint64_t base) {
                  return std::vector<Change>{
                      EvergreenChange({"retired", subjects::kEvergreenRetired, "retire"}, after,
                                      base, caller, request.request_id(), now, request.reason())};
                }));
        wrote = true;
        v1::RetireEvergreenItemResponse response;
        *response.mutable_item() = std::move(written.value);
        return response;
      });
}

absl::StatusOr<v1::RenewEvergreenReviewResponse> Planner::RenewEvergreenReview(
    const Caller& caller, const v1::RenewEvergreenReviewRequest& request) {
  return Mutate<v1::RenewEvergreenReviewResponse>(
      caller, "RenewEvergreenReview", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::RenewEvergreenReviewResponse> {
        ASSIGN_OR_RETURN(std::string id, ParseEvergreenItemName("name", request.name()));
        RETURN_IF_ERROR(CheckTimestamp("review_expire_time", request.has_review_expire_time(),
                                       request.review_expire_time()));
        const SpokeScope scope = SpokeScope::For(caller);
        const absl::Time now = clock_.Now();
        if (FromProto(request.review_expire_time()) <= now) {
          return absl::InvalidArgumentError("review_expire_time must be in the future");
        }
        ASSIGN_OR_RETURN(
            Stored<v1::EvergreenItem> written,
            internal::ReadModifyWrite<v1::EvergreenItem>(
                organisation_, EvergreenKey(id), request.name(),
                [&](v1::EvergreenItem& item) -> absl::Status {
                  RETURN_IF_ERROR(RequireItemScope(scope, item, request.name(), /*change=*/true));
                  if (item.state() == v1::EVERGREEN_STATE_RETIRED) {
                    return absl::FailedPreconditionError(
                        absl::StrCat(request.name(), " is retired"));
                  }
                  item.set_state(v1::EVERGREEN_STATE_ACTIVE);
                  *item.mutable_review_expire_time() = request.review_expire_time();
                  *item.mutable_update_time() = ToProto(now);
                  return absl::OkStatus();
                },
                [&](const v1::EvergreenItem& after, uint64_t base) {
                  return std::vector<Change>{
                      EvergreenChange({"renewed", subjects::kEvergreenRenewed, "renew"}, after,
                                      base, caller, request.request_id(), now)};
                }));
        wrote = true;
        v1::RenewEvergreenReviewResponse response;
        *response.mutable_item() = std::move(written.value);
        return response;
      });
}

absl::StatusOr<v1::RecycleEvergreenResponse> Planner::RecycleEvergreen(
    const Caller& caller, const v1::RecycleEvergreenRequest& request) {
  std::vector<std::string> accounts;
  const SpokeScope scope = SpokeScope::For(caller);
  for (int i = 0; i < request.accounts_size(); ++i) {
    ASSIGN_OR_RETURN(AccountName account,
                     ParseAccountName(absl::StrCat("accounts[", i, "]"), request.accounts(i)));
    RETURN_IF_ERROR(scope.RequireChange(SpokeName(account.spoke), "posts"));
    accounts.push_back(request.accounts(i));
  }
  if (accounts.empty() && !scope.hub()) {
    return absl::PermissionDeniedError(
        "a recycling pass over every account is for hub callers; name the accounts");
  }
  ASSIGN_OR_RETURN(std::vector<v1::Post> posts, RecyclePass(caller, accounts));
  v1::RecycleEvergreenResponse response;
  for (v1::Post& p : posts) *response.add_posts() = std::move(p);
  return response;
}

absl::StatusOr<v1::EvergreenItem> Planner::SettleEvergreenItem(const Caller& caller,
                                                               const std::string& key,
                                                               absl::Time now) {
  // The posts are read before the write and re-read on a lost race.
  bool expired = false;
  absl::StatusOr<Stored<v1::EvergreenItem>> written =
      organisation_.ReadModifyWrite<v1::EvergreenItem>(
          key,
          [&](v1::EvergreenItem& item) -> absl::Status {
            bool changed = false;
            for (auto& [account, state] : *item.mutable_account_states()) {
              if (state.pending_post().empty()) continue;
              ASSIGN_OR_RETURN(std::string id, ParsePostName("pending_post", state.pending_post()));
              absl::StatusOr<Stored<v1::Post>> post = posts_.Get<v1::Post>(id);
              if (!post.ok() && !absl::IsNotFound(post.status())) return post.status();
              changed |=
                  SettlePending(state, post.ok() ? &post->value : nullptr, now, kPendingGrace);
            }
            expired = item.state() == v1::EVERGREEN_STATE_ACTIVE &&
                      FromProto(item.review_expire_time()) <= now;
            if (expired) {
              item.set_state(item.on_review_expiry() == v1::REVIEW_EXPIRY_ACTION_RETIRE
                                 ? v1::EVERGREEN_STATE_RETIRED
                                 : v1::EVERGREEN_STATE_REVIEW_DUE);
            }
            if (!changed && !expired) return absl::CancelledError("nothing to settle");
            *item.mutable_update_time() = ToProto(now);
            return absl::OkStatus();
          },
          [&](const v1::EvergreenItem& after, uint64_t base) {
            std::vector<Change> changes;
            if (!expired) return changes;
            const bool retired = after.state() == v1::EVERGREEN_STATE_RETIRED;
            const EvergreenTransition transition =
                retired ? EvergreenTransition{"retired", subjects::kEvergreenRetired, "retire"}
                        : EvergreenTransition{"review_due", subjects::kEvergreenReviewDue,
                                              "review_due"};
            changes.push_back(EvergreenChange(transition, after, base, caller, "", now,
                                              "medical review expired"));
            return changes;
          });
  if (absl::IsCancelled(written.status())) {
    ASSIGN_OR_RETURN(Stored<v1::EvergreenItem> current, organisation_.Get<v1::EvergreenItem>(key));
    return std::move(current.value);
  }
  if (!written.ok()) return written.status();
  return std::move(written->value);
}

absl::StatusOr<std::vector<v1::Post>> Planner::RecyclePass(
    const Caller& caller, const std::vector<std::string>& accounts) {
  const absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(std::vector<std::string> keys, organisation_.Keys(kEvergreenKeyPrefix));
  std::sort(keys.begin(), keys.end());
  // Items by account, each settled first.
  std::map<std::string, std::vector<v1::EvergreenItem>> by_account;
  for (const std::string& key : keys) {
    absl::StatusOr<v1::EvergreenItem> item = SettleEvergreenItem(caller, key, now);
    if (absl::IsNotFound(item.status())) continue;
    if (!item.ok()) {
      logger_.Warn("evergreen item not settled",
                   {{"key", key}, {"error", std::string(item.status().message())}});
      continue;
    }
    if (item->state() != v1::EVERGREEN_STATE_ACTIVE) continue;
    for (const std::string& account : item->accounts()) {
      if (!accounts.empty() &&
          std::find(accounts.begin(), accounts.end(), account) == accounts.end()) {
        continue;
      }
      by_account[account].push_back(*item);
    }
  }
  std::vector<v1::Post> made;
  for (auto& [account, items] : by_account) {
    absl::StatusOr<std::vector<v1::Post>> filled = RecycleInto(caller, account, items, now);
    if (!filled.ok()) {
      logger_.Warn("evergreen slots not filled",
                   {{"account", account}, {"error", std::string(filled.status().message())}});
      continue;
    }
    for (v1::Post& p : *filled) made.push_back(std::move(p));
  }
  if (!made.empty()) {
    logger_.Info("evergreen recycled", {{"posts", static_cast<int64_t>(made.size())}});
  }
  return made;
}

absl::StatusOr<std::vector<v1::Post>> Planner::RecycleInto(const Caller& caller,
                                                           const std::string& account_name,
                                                           std::vector<v1::EvergreenItem>& items,
                                                           absl::Time now) {
  ASSIGN_OR_RETURN(AccountName account, ParseAccountName("account", account_name));
  absl::StatusOr<Stored<v1::Cadence>> cadence = organisation_.Get<v1::Cadence>(CadenceKey(account));
  if (absl::IsNotFound(cadence.status())) return std::vector<v1::Post>{};
  if (!cadence.ok()) return cadence.status();
  ASSIGN_OR_RETURN(Stored<v1::Account> record,
                   organisation_.Get<v1::Account>(AccountKey(account.spoke, account.account)));
  ASSIGN_OR_RETURN(common::cadence::Cadence built,
                   AccountCadence(account, record.value, cadence->value, now));
  const absl::Time from = now + options_.min_lead_time + absl::Seconds(1);
  const absl::Time to = now + options_.evergreen_fill_ahead;
  std::vector<v1::Post> made;
  // The campaign dates of items a slot outside them was refused to in this
  // pass: they are offered only their campaign's slots from then on, rather
  // than sitting the pass out.
  std::map<std::string, std::pair<absl::Time, absl::Time>> campaign_dates;
  auto in_campaign = [&](const v1::EvergreenItem& item, absl::Time at) {
    auto it = campaign_dates.find(item.name());
    return it == campaign_dates.end() || (it->second.first <= at && at < it->second.second);
  };
  std::lock_guard<std::mutex> turn(QueueLock(account));
  for (int fill = 0; fill < kMaxFillsPerAccount; ++fill) {
    absl::StatusOr<Stored<v1::QueueLedger>> ledger =
        organisation_.Get<v1::QueueLedger>(QueueKey(account));
    if (absl::IsNotFound(ledger.status())) return made;
    if (!ledger.ok()) return ledger.status();
    // The earliest free slot some item may take. Each candidate is free given
    // the ledger alone: FreeSlots(..., n) hands out a run as if each earlier
    // slot of it were taken, so a slot no item may take would use up spacing
    // and the daily cap and hide the later free slots of its day.
    absl::Time slot;
    v1::EvergreenItem* chosen = nullptr;
    const std::vector<absl::Time> occupied = ReservedTimes(ledger->value);
    absl::Time cursor = from;
    for (int looked = 0; looked < kMaxCandidates && chosen == nullptr; ++looked) {
      const std::vector<absl::Time> next = built.FreeSlots(occupied, cursor, to, 1);
      if (next.empty()) break;
      const absl::Time candidate = next.front();
      cursor = candidate + absl::Nanoseconds(1);
      std::vector<const v1::EvergreenItem*> eligible;
      const absl::CivilDay day = absl::ToCivilDay(candidate, built.zone());
      for (const v1::EvergreenItem& item : items) {
        if (!WhyNotEligible(item, account_name, candidate, day).has_value() &&
            in_campaign(item, candidate)) {
          eligible.push_back(&item);
        }
      }
      if (const v1::EvergreenItem* best = ChooseItem(eligible, account_name)) {
        slot = candidate;
        chosen = &items[static_cast<size_t>(best - items.data())];
      }
    }
    if (chosen == nullptr) break;
    ASSIGN_OR_RETURN(std::string content_id, ParseContentName("content", chosen->content()));
    const std::string id = RecurrenceId(chosen->name(), account_name, slot);
    v1::SchedulePostRequest draft_request;
    draft_request.set_content(chosen->content());
    draft_request.set_account(account_name);
    *draft_request.mutable_publish_time() = ToProto(slot);
    std::optional<std::pair<absl::Time, absl::Time>> dates;
    absl::StatusOr<v1::Post> post = DraftPost(caller, draft_request, content_id, account, id, now,
                                              /*allow_awaiting=*/false, &dates);
    if (!post.ok() && dates.has_value() && (slot < dates->first || slot >= dates->second)) {
      campaign_dates[chosen->name()] = *dates;  // a later slot may be inside
      continue;
    }
    if (!post.ok()) {
      // Not approved any more, no variant, ...: this item sits this pass out.
      logger_.Info("evergreen item skipped", {{"item", chosen->name()},
                                              {"account", account_name},
                                              {"reason", std::string(post.status().message())}});
      chosen->set_state(v1::EVERGREEN_STATE_UNSPECIFIED);
      continue;
    }
    // 1. The slot, in the ledger.
    v1::QueueLedger next = ledger->value;
    PruneLedger(next, now);
    Reserve(next, PostName(id), slot, /*queued=*/true, now);
    absl::Status reserved = ledger->revision == 0
                                ? absl::FailedPreconditionError("no ledger")
                                : organisation_.Update(QueueKey(account), next, *ledger).status();
    if (absl::IsAborted(reserved)) continue;  // another writer: look again
    RETURN_IF_ERROR(reserved);
    // 2. The recurrence, pending on the item (re-checked against the record).
    ASSIGN_OR_RETURN(std::string item_id, ParseEvergreenItemName("item", chosen->name()));
    absl::StatusOr<Stored<v1::EvergreenItem>> marked =
        organisation_.ReadModifyWrite<v1::EvergreenItem>(
            EvergreenKey(item_id),
            [&](v1::EvergreenItem& item) -> absl::Status {
              const absl::CivilDay day = absl::ToCivilDay(slot, built.zone());
              if (auto why = WhyNotEligible(item, account_name, slot, day)) {
                return absl::FailedPreconditionError(AsAbsl(*why));
              }
              v1::EvergreenAccountState& state = (*item.mutable_account_states())[account_name];
              state.set_pending_post(PostName(id));
              *state.mutable_pending_since() = ToProto(now);
              return absl::OkStatus();
            },
            [](const v1::EvergreenItem&, uint64_t) { return std::vector<Change>{}; });
    if (!marked.ok()) {
      ReleaseReservationLocked(account, post->name(), now);
      if (absl::IsFailedPrecondition(marked.status())) {
        chosen->set_state(v1::EVERGREEN_STATE_UNSPECIFIED);  // changed meanwhile
        continue;
      }
      return marked.status();
    }
    *chosen = marked->value;
    // 3. The post.
    post->set_queued(true);
    *post->mutable_publish_time() = ToProto(slot);
    post->set_evergreen_item(chosen->name());
    *post->mutable_late_tolerance() = ToDuration(options_.evergreen_late_tolerance);
    draft_request.mutable_publish_time()->CopyFrom(post->publish_time());
    absl::Status stored = StoreNewPost(caller, draft_request, id, *post, now);
    if (absl::IsAlreadyExists(stored) || absl::IsAborted(stored)) continue;  // a racing replica
    RETURN_IF_ERROR(stored);
    made.push_back(*std::move(post));
  }
  return made;
}

}  // namespace carecast::planner
