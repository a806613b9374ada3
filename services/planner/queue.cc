// The queue: approved content placed into the next free cadence slot of each
// account, and the order of an account's queued posts. The account's ledger
// (queue_ledger.h) is written by compare-and-set before a post is created or
// moved, so two callers never take one slot and the ledger is the plan queued
// posts follow; SyncQueue brings posts and ledger back together after a crash.
#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

#include "carecast/v1/events.pb.h"

#include "services/common/bus/subjects.h"
#include "services/planner/planner.h"
#include "services/planner/planner_internal.h"
#include "services/planner/queue_ledger.h"
#include "services/planner/resource_names.h"
#include "services/planner/validation.h"

namespace carecast::planner {
namespace {

using common::AsAbsl;
namespace subjects = common::subjects;

constexpr int kMaxQueueAccounts = 50;
// How far ahead the queue looks for a free slot.
constexpr absl::Duration kQueueSearch = absl::Hours(24 * 92);
// A reservation whose post does not exist this long after it was written was
// left by a caller that died before creating the post.
constexpr absl::Duration kReservationGrace = absl::Minutes(2);
// Queued posts closer than this to their slot are no longer moved.
constexpr absl::Duration kFrozenBeforeSlot = absl::Minutes(2);
constexpr int kLedgerAttempts = 8;
// Draws ShuffleQueue makes for an order that keeps every campaign post inside
// its campaign before it gives up (FAILED_PRECONDITION).
constexpr int kQueueShuffleAttempts = 32;

// The ledger of `account`, revision 0 (and empty) when it has none yet.
absl::StatusOr<Stored<v1::QueueLedger>> ReadLedger(common::EntityStore& store,
                                                   const AccountName& account) {
  absl::StatusOr<Stored<v1::QueueLedger>> ledger = store.Get<v1::QueueLedger>(QueueKey(account));
  if (absl::IsNotFound(ledger.status())) return Stored<v1::QueueLedger>{};
  return ledger;
}

// Writes `ledger` over `base` (a create when base has revision 0); ABORTED when
// someone else wrote first.
absl::Status WriteLedger(common::EntityStore& store, const AccountName& account,
                         const Stored<v1::QueueLedger>& base, v1::QueueLedger ledger) {
  absl::Status s = base.revision == 0
                       ? store.Create(QueueKey(account), std::move(ledger)).status()
                       : store.Update(QueueKey(account), std::move(ledger), base).status();
  if (absl::IsAlreadyExists(s)) return absl::AbortedError("queue ledger written concurrently");
  return s;
}

std::string AccountRequestId(std::string_view request_id, std::string_view account) {
  if (request_id.empty()) return "";
  return absl::StrCat(AsAbsl(request_id), "@", AsAbsl(account));
}

// A short random pause before retrying a lost compare-and-set, growing with
// the attempt, so replicas racing on one ledger spread out.
void BackOff(int attempt) {
  thread_local std::minstd_rand rng(std::random_device{}());
  const int max_ms = 2 << std::min(attempt, 6);
  absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(1, max_ms)(rng)));
}

}  // namespace

std::mutex& Planner::QueueLock(const AccountName& account) {
  return queue_locks_[absl::HashOf(account.spoke, account.account) % queue_locks_.size()];
}

absl::StatusOr<v1::AddToQueueResponse> Planner::AddToQueue(const Caller& caller,
                                                           const v1::AddToQueueRequest& request) {
  RETURN_IF_ERROR(CheckRequestId(request.request_id()));
  ASSIGN_OR_RETURN(std::string content_id, ParseContentName("content", request.content()));
  if (request.accounts_size() < 1 || request.accounts_size() > kMaxQueueAccounts) {
    return absl::InvalidArgumentError("accounts must name 1 to 50 accounts");
  }
  std::vector<AccountName> accounts;
  std::set<std::string> seen;
  const SpokeScope scope = SpokeScope::For(caller);
  for (int i = 0; i < request.accounts_size(); ++i) {
    ASSIGN_OR_RETURN(AccountName a,
                     ParseAccountName(absl::StrCat("accounts[", i, "]"), request.accounts(i)));
    RETURN_IF_ERROR(scope.RequireChange(SpokeName(a.spoke), "posts"));
    if (!seen.insert(request.accounts(i)).second) {
      return absl::InvalidArgumentError(absl::StrCat("accounts[", i, "] is named twice"));
    }
    accounts.push_back(std::move(a));
  }
  const absl::Time now = clock_.Now();
  absl::Time from = now + options_.min_lead_time + absl::Seconds(1);
  if (request.has_not_before()) {
    RETURN_IF_ERROR(CheckTimestamp("not_before", true, request.not_before()));
    from = std::max(from, FromProto(request.not_before()));
  }
  v1::AddToQueueResponse response;
  for (size_t i = 0; i < accounts.size(); ++i) {
    v1::QueuePlacement& placement = *response.add_placements();
    placement.set_account(request.accounts(static_cast<int>(i)));
    absl::StatusOr<v1::Post> post =
        PlaceInQueue(caller, content_id, request.content(), accounts[i], from,
                     AccountRequestId(request.request_id(), placement.account()), now);
    if (post.ok()) {
      *placement.mutable_post() = *std::move(post);
    } else {
      placement.set_code(static_cast<int>(post.status().code()));
      placement.set_message(std::string(post.status().message()));
    }
  }
  return response;
}

absl::StatusOr<v1::Post> Planner::PlaceInQueue(const Caller& caller, const std::string& content_id,
                                               const std::string& content_name,
                                               const AccountName& account, absl::Time from,
                                               std::string_view request_id, absl::Time now) {
  const std::string account_name = AccountResourceName(account.spoke, account.account);
  bool derived = false;
  ASSIGN_OR_RETURN(std::string id,
                   ChooseId("post_id", "", "AddToQueue", caller, request_id, &derived));
  if (derived) {  // a retry: answer with the post the first attempt made
    absl::StatusOr<Stored<v1::Post>> earlier = posts_.Get<v1::Post>(id);
    if (earlier.ok()) {
      (void)posts_.Settle(id);
      return std::move(earlier->value);
    }
    if (!absl::IsNotFound(earlier.status())) return earlier.status();
  }
  absl::StatusOr<Stored<v1::Cadence>> cadence = organisation_.Get<v1::Cadence>(CadenceKey(account));
  if (absl::IsNotFound(cadence.status())) {
    return absl::FailedPreconditionError(
        absl::StrCat(account_name, " has no cadence; set one with SetCadence"));
  }
  if (!cadence.ok()) return cadence.status();
  ASSIGN_OR_RETURN(Stored<v1::Account> record,
                   organisation_.Get<v1::Account>(AccountKey(account.spoke, account.account)));
  ASSIGN_OR_RETURN(common::cadence::Cadence built,
                   AccountCadence(account, record.value, cadence->value, now));
  // Everything SchedulePost checks (approval, variant, rules, adapter), first.
  v1::SchedulePostRequest draft_request;
  draft_request.set_content(content_name);
  draft_request.set_account(account_name);
  draft_request.set_request_id(std::string(request_id));
  std::optional<std::pair<absl::Time, absl::Time>> campaign;
  ASSIGN_OR_RETURN(v1::Post post, DraftPost(caller, draft_request, content_id, account, id, now,
                                            /*allow_awaiting=*/true, &campaign));
  // The slots the queue looks at: from `from` for 92 days (never past the
  // horizon) and, for campaign content, only the campaign's [start, end):
  // slots before its start are skipped, not refused.
  absl::Time search_from = from;
  absl::Time search_to = from + std::min(options_.max_schedule_horizon, kQueueSearch);
  if (campaign.has_value()) {
    search_from = std::max(from, campaign->first);
    search_to = std::min(
        {search_from + kQueueSearch, from + options_.max_schedule_horizon, campaign->second});
    if (search_from >= search_to) {
      return absl::FailedPreconditionError(absl::StrCat(
          content_name, " belongs to a campaign running ",
          absl::FormatTime(absl::RFC3339_sec, campaign->first, absl::UTCTimeZone()), " to ",
          absl::FormatTime(absl::RFC3339_sec, campaign->second, absl::UTCTimeZone()),
          "; the queue has no time in it to offer"));
    }
  }
  const std::string post_name = PostName(id);

  absl::Time slot;
  std::lock_guard<std::mutex> turn(QueueLock(account));
  for (int attempt = 0;; ++attempt) {
    if (attempt > 0) BackOff(attempt);
    if (attempt == kLedgerAttempts) {
      return absl::AbortedError(
          absl::StrCat("the queue of ", account_name, " is being changed concurrently; try again"));
    }
    ASSIGN_OR_RETURN(Stored<v1::QueueLedger> ledger, ReadLedger(organisation_, account));
    if (const v1::QueueReservation* mine = FindReservation(ledger.value, post_name)) {
      slot = FromProto(mine->slot_time());  // reserved by an attempt that died
      break;
    }
    std::vector<absl::Time> free =
        built.FreeSlots(ReservedTimes(ledger.value), search_from, search_to, 1);
    if (free.empty()) {
      if (campaign.has_value()) {
        return absl::FailedPreconditionError(absl::StrCat(
            account_name, " has no free slot between ",
            absl::FormatTime(absl::RFC3339_sec, search_from, absl::UTCTimeZone()), " and ",
            absl::FormatTime(absl::RFC3339_sec, search_to, absl::UTCTimeZone()),
            ", the part of its campaign's dates the queue looks at (its slots are taken, "
            "blacked out or over the daily cap)"));
      }
      return absl::FailedPreconditionError(absl::StrCat(
          account_name,
          " has no free slot in the next 92 days (its slots are taken, blacked out or over "
          "the daily cap)"));
    }
    slot = free.front();
    v1::QueueLedger next = ledger.value;
    PruneLedger(next, now);
    Reserve(next, post_name, slot, /*queued=*/true, now);
    absl::Status written = WriteLedger(organisation_, account, ledger, std::move(next));
    if (written.ok()) break;
    if (!absl::IsAborted(written)) return written;
  }
  // A patient's consent must hold until the slot the queue found.
  if (absl::Status consent = CheckSlotConsent(content_id, post.network(), slot); !consent.ok()) {
    ReleaseReservationLocked(account, post_name, now);  // the queue lock is held
    return consent;
  }
  *post.mutable_publish_time() = ToProto(slot);
  post.set_queued(true);
  draft_request.mutable_publish_time()->CopyFrom(post.publish_time());
  RETURN_IF_ERROR(StoreNewPost(caller, draft_request, id, post, now));
  return post;
}

absl::Status Planner::RecordInLedger(const AccountName& account, const std::string& post_name,
                                     absl::Time at, absl::Time now) {
  std::lock_guard<std::mutex> turn(QueueLock(account));
  for (int attempt = 0; attempt < kLedgerAttempts; ++attempt) {
    if (attempt > 0) BackOff(attempt);
    absl::StatusOr<Stored<v1::QueueLedger>> ledger =
        organisation_.Get<v1::QueueLedger>(QueueKey(account));
    if (absl::IsNotFound(ledger.status())) return absl::OkStatus();  // no cadence
    if (!ledger.ok()) return ledger.status();
    if (FindReservation(ledger->value, post_name) != nullptr) return absl::OkStatus();
    v1::QueueLedger next = ledger->value;
    PruneLedger(next, now);
    Reserve(next, post_name, at, /*queued=*/false, now);
    absl::Status written = WriteLedger(organisation_, account, *ledger, std::move(next));
    if (!absl::IsAborted(written)) return written;
  }
  return absl::AbortedError("the account's queue is being changed concurrently; try again");
}

void Planner::ReleaseReservation(const v1::Post& post, absl::Time now) {
  absl::StatusOr<AccountName> account = ParseAccountName("account", post.account());
  if (!account.ok()) return;
  std::lock_guard<std::mutex> turn(QueueLock(*account));
  ReleaseReservationLocked(*account, post.name(), now);
}

void Planner::ReleaseReservationLocked(const AccountName& account, const std::string& post_name,
                                       absl::Time now) {
  for (int attempt = 0; attempt < kLedgerAttempts; ++attempt) {
    if (attempt > 0) BackOff(attempt);
    absl::StatusOr<Stored<v1::QueueLedger>> ledger =
        organisation_.Get<v1::QueueLedger>(QueueKey(account));
    if (!ledger.ok()) return;
    v1::QueueLedger next = ledger->value;
    if (!Release(next, post_name)) return;
    PruneLedger(next, now);
    absl::Status written = WriteLedger(organisation_, account, *ledger, std::move(next));
    if (!absl::IsAborted(written)) return;
  }
}

absl::StatusOr<v1::ListQueueResponse> Planner::ListQueue(const Caller& caller,
                                                         const v1::ListQueueRequest& request) {
  ASSIGN_OR_RETURN(AccountName account, ParseAccountName("account", request.account()));
  RETURN_IF_ERROR(SpokeScope::For(caller).RequireRead(SpokeName(account.spoke)));
  absl::Status known =
      organisation_.Get<v1::Account>(AccountKey(account.spoke, account.account)).status();
  if (!known.ok()) return internal::NotFoundAs(known, request.account());
  ASSIGN_OR_RETURN(std::vector<v1::Post> posts, SyncQueue(caller, account, "", clock_.Now()));
  v1::ListQueueResponse response;
  for (v1::Post& p : posts) *response.add_posts() = std::move(p);
  return response;
}

absl::StatusOr<std::vector<v1::Post>> Planner::SyncQueue(const Caller& caller,
                                                         const AccountName& account,
                                                         std::string_view request_id,
                                                         absl::Time now) {
  ASSIGN_OR_RETURN(Stored<v1::QueueLedger> ledger, ReadLedger(organisation_, account));
  v1::QueueLedger next = ledger.value;
  bool changed = PruneLedger(next, now) > 0;
  std::vector<v1::Post> scheduled;
  for (const v1::QueueReservation& r : ledger.value.reservations()) {
    if (FindReservation(next, r.post()) == nullptr) continue;  // pruned
    ASSIGN_OR_RETURN(std::string id, ParsePostName("post", r.post()));
    absl::StatusOr<Stored<v1::Post>> post = posts_.Get<v1::Post>(id);
    if (absl::IsNotFound(post.status())) {
      if (FromProto(r.reserve_time()) + kReservationGrace < now) changed |= Release(next, r.post());
      continue;
    }
    if (!post.ok()) return post.status();
    if (post->value.state() != v1::POST_STATE_SCHEDULED) {
      // It went out, failed or was cancelled: its slot only counts while it
      // has not passed (spacing and the daily cap look back too).
      if (post->value.state() == v1::POST_STATE_CANCELLED) changed |= Release(next, r.post());
      continue;
    }
    const absl::Time slot = FromProto(r.slot_time());
    if (r.queued() && FromProto(post->value.publish_time()) != slot &&
        slot > now + kFrozenBeforeSlot) {
      // A reorder that died before moving this post: finish it.
      RETURN_IF_ERROR(MovePost(caller, r.post(), slot, request_id, now));
      *post->value.mutable_publish_time() = ToProto(slot);
    }
    scheduled.push_back(std::move(post->value));
  }
  if (changed) {
    // Best effort: a lost race leaves the dropped entries for the next sync.
    (void)WriteLedger(organisation_, account, ledger, std::move(next));
  }
  std::stable_sort(scheduled.begin(), scheduled.end(), [](const v1::Post& a, const v1::Post& b) {
    return FromProto(a.publish_time()) < FromProto(b.publish_time());
  });
  return scheduled;
}

absl::StatusOr<v1::ReorderQueueResponse> Planner::ReorderQueue(
    const Caller& caller, const v1::ReorderQueueRequest& request) {
  return Mutate<v1::ReorderQueueResponse>(
      caller, "ReorderQueue", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::ReorderQueueResponse> {
        ASSIGN_OR_RETURN(AccountName account, ParseAccountName("account", request.account()));
        RETURN_IF_ERROR(SpokeScope::For(caller).RequireChange(SpokeName(account.spoke), "queues"));
        std::vector<std::string> order;
        std::set<std::string> seen;
        for (int i = 0; i < request.posts_size(); ++i) {
          RETURN_IF_ERROR(ParsePostName(absl::StrCat("posts[", i, "]"), request.posts(i)).status());
          if (!seen.insert(request.posts(i)).second) {
            return absl::InvalidArgumentError(absl::StrCat("posts[", i, "] is named twice"));
          }
          order.push_back(request.posts(i));
        }
        ASSIGN_OR_RETURN(
            std::vector<v1::Post> posts,
            ApplyQueueOrder(caller, account, order, request.request_id(), clock_.Now()));
        wrote = true;
        v1::ReorderQueueResponse response;
        for (v1::Post& p : posts) *response.add_posts() = std::move(p);
        return response;
      });
}

absl::StatusOr<v1::ShuffleQueueResponse> Planner::ShuffleQueue(
    const Caller& caller, const v1::ShuffleQueueRequest& request) {
  return Mutate<v1::ShuffleQueueResponse>(
      caller, "ShuffleQueue", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::ShuffleQueueResponse> {
        ASSIGN_OR_RETURN(AccountName account, ParseAccountName("account", request.account()));
        RETURN_IF_ERROR(SpokeScope::For(caller).RequireChange(SpokeName(account.spoke), "queues"));
        const absl::Time now = clock_.Now();
        // Finish any earlier reorder first, so the shuffle starts from the plan.
        RETURN_IF_ERROR(SyncQueue(caller, account, request.request_id(), now).status());
        ASSIGN_OR_RETURN(Stored<v1::QueueLedger> ledger, ReadLedger(organisation_, account));
        std::vector<std::string> order;
        for (const v1::QueueReservation& r :
             MovableReservations(ledger.value, now + kFrozenBeforeSlot)) {
          order.push_back(r.post());
        }
        // The same request_id gives the same order; none gives a fresh one.
        std::mt19937_64 rng(request.request_id().empty()
                                ? std::random_device{}()
                                : absl::HashOf(request.request_id(), request.account()));
        auto shuffle = [&](std::vector<std::string>& o) { std::shuffle(o.begin(), o.end(), rng); };
        shuffle(order);
        // Campaign posts only take slots inside their campaigns: another draw
        // of the same generator when one would not.
        ASSIGN_OR_RETURN(
            std::vector<v1::Post> posts,
            ApplyQueueOrder(caller, account, order, request.request_id(), now, shuffle));
        wrote = true;
        v1::ShuffleQueueResponse response;
        for (v1::Post& p : posts) *response.add_posts() = std::move(p);
        return response;
      });
}

absl::StatusOr<std::vector<v1::Post>> Planner::ApplyQueueOrder(
    const Caller& caller, const AccountName& account, const std::vector<std::string>& order,
    std::string_view request_id, absl::Time now,
    const std::function<void(std::vector<std::string>&)>& reshuffle) {
  RETURN_IF_ERROR(WriteQueueOrder(account, order, now, reshuffle));
  // The ledger is the plan; the posts follow it (a crash here is finished by
  // the next SyncQueue).
  return SyncQueue(caller, account, request_id, now);
}

absl::Status Planner::WriteQueueOrder(
    const AccountName& account, const std::vector<std::string>& order, absl::Time now,
    const std::function<void(std::vector<std::string>&)>& reshuffle) {
  std::lock_guard<std::mutex> turn(QueueLock(account));
  for (int attempt = 0;; ++attempt) {
    if (attempt > 0) BackOff(attempt);
    if (attempt == kLedgerAttempts) {
      return absl::AbortedError("the queue is being changed concurrently; try again");
    }
    ASSIGN_OR_RETURN(Stored<v1::QueueLedger> ledger, ReadLedger(organisation_, account));
    std::vector<v1::QueueReservation> movable =
        MovableReservations(ledger.value, now + kFrozenBeforeSlot);
    // Only SCHEDULED posts take part; others keep (or lose) their slot as they are.
    std::vector<v1::QueueReservation> live;
    std::map<std::string, v1::Post> posts;  // by name
    for (v1::QueueReservation& r : movable) {
      ASSIGN_OR_RETURN(std::string id, ParsePostName("post", r.post()));
      absl::StatusOr<Stored<v1::Post>> post = posts_.Get<v1::Post>(id);
      if (post.ok() && post->value.state() == v1::POST_STATE_SCHEDULED) {
        live.push_back(r);
        posts[r.post()] = std::move(post->value);
      }
    }
    std::set<std::string> expected;
    for (const v1::QueueReservation& r : live) expected.insert(r.post());
    if (expected != std::set<std::string>(order.begin(), order.end())) {
      return absl::FailedPreconditionError(
          "posts must name exactly the account's queued posts still to go out (the queue "
          "changed: list it again)");
    }
    // Each campaign post must stay inside its campaign in its new slot.
    std::vector<std::string> chosen = order;
    auto fits = [&]() -> absl::Status {
      for (size_t i = 0; i < chosen.size(); ++i) {
        const v1::Post& post = posts[chosen[i]];
        // A post that keeps its slot keeps it, even one a narrowed campaign
        // left outside (UpdateCampaign listed it).
        if (post.campaign().empty() ||
            FromProto(live[i].slot_time()) == FromProto(post.publish_time())) {
          continue;
        }
        absl::Status fit = CheckCampaignFit(post.campaign(), "post.campaign", post.network(),
                                            FromProto(live[i].slot_time()));
        if (!fit.ok()) {
          return absl::Status(fit.code(),
                              absl::StrCat("the order moves ", chosen[i], ": ", fit.message()));
        }
      }
      return absl::OkStatus();
    };
    absl::Status fit = fits();
    for (int draw = 1; !fit.ok() && reshuffle && draw < kQueueShuffleAttempts; ++draw) {
      reshuffle(chosen);
      fit = fits();
    }
    RETURN_IF_ERROR(fit);
    v1::QueueLedger next = ledger.value;
    for (size_t i = 0; i < chosen.size(); ++i) {
      Reserve(next, chosen[i], FromProto(live[i].slot_time()), /*queued=*/true, now);
    }
    absl::Status written = WriteLedger(organisation_, account, ledger, std::move(next));
    if (!absl::IsAborted(written)) return written;
  }
}

absl::Status Planner::MovePost(const Caller& caller, const std::string& post_name, absl::Time slot,
                               std::string_view request_id, absl::Time now) {
  ASSIGN_OR_RETURN(std::string id, ParsePostName("post", post_name));
  // Indexed first, as when it was scheduled: the calendar re-checks KV.
  RETURN_IF_ERROR(calendar_.Add(id, slot));
  return internal::ReadModifyWrite<v1::Post>(
             posts_, id, post_name,
             [&](v1::Post& post) -> absl::Status {
               if (post.state() != v1::POST_STATE_SCHEDULED) {
                 return absl::FailedPreconditionError(
                     absl::StrCat(post_name, " is no longer SCHEDULED; it cannot be moved"));
               }
               *post.mutable_publish_time() = ToProto(slot);
               *post.mutable_update_time() = ToProto(now);
               return absl::OkStatus();
             },
             [&](const v1::Post& after, uint64_t base) {
               v1::PostChanged event;
               *event.mutable_post() = after;
               event.set_actor(caller.principal.subject);
               return std::vector<Change>{
                   NewChange({.resource = after.name(),
                              .base_revision = base,
                              .fact = "scheduled",
                              .subject = subjects::kPostScheduled,
                              .payload = &event,
                              .action = "post.schedule",
                              .version = after.content_version(),
                              .content_hash = after.content_hash(),
                              .detail = absl::StrCat(
                                  "moved in the queue to ",
                                  absl::FormatTime(absl::RFC3339_sec, slot, absl::UTCTimeZone()))},
                             caller, request_id, now)};
             })
      .status();
}

}  // namespace carecast::planner
