// Cadences (an account's posting slots, spacing and daily cap) and blackout
// windows (organisation-wide or one spoke's).
#include <algorithm>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

#include "carecast/v1/events.pb.h"

#include "services/common/bus/subjects.h"
#include "services/planner/cadence_rules.h"
#include "services/planner/planner.h"
#include "services/planner/planner_internal.h"
#include "services/planner/queue_ledger.h"
#include "services/planner/resource_names.h"
#include "services/planner/validation.h"

namespace carecast::planner {
namespace {

using common::AsAbsl;
namespace subjects = common::subjects;

constexpr absl::Duration kMaxBlackoutLength = absl::Hours(24 * 90);
// How old the planner's copy of the blackout windows may be.
constexpr absl::Duration kBlackoutCacheAge = absl::Seconds(2);
constexpr int kDefaultNextSlots = 5;
constexpr int kMaxNextSlots = 100;

// The cadence as a person wrote it, with the output-only fields set.
v1::Cadence CadenceToStore(const v1::Cadence& in, const AccountName& account,
                           const v1::Account& record, int64_t version, const common::Caller& caller,
                           absl::Time now) {
  v1::Cadence out;
  out.set_name(CadenceName(account));
  *out.mutable_slots() = in.slots();
  *out.mutable_min_spacing() = in.min_spacing();
  out.set_daily_cap(in.daily_cap());
  out.set_time_zone(record.time_zone());
  out.set_version(version);
  out.set_updated_by(caller.principal.subject);
  *out.mutable_update_time() = ToProto(now);
  return out;
}

absl::Status CheckBlackout(const v1::Blackout& b, absl::Time now) {
  RETURN_IF_ERROR(CheckTimestamp("blackout.start_time", b.has_start_time(), b.start_time()));
  RETURN_IF_ERROR(CheckTimestamp("blackout.end_time", b.has_end_time(), b.end_time()));
  const absl::Time start = FromProto(b.start_time());
  const absl::Time end = FromProto(b.end_time());
  if (end <= start) {
    return absl::InvalidArgumentError("blackout.end_time must be after blackout.start_time");
  }
  if (end - start > kMaxBlackoutLength) {
    return absl::InvalidArgumentError("blackout is longer than 90 days");
  }
  if (end <= now) return absl::InvalidArgumentError("blackout.end_time is in the past");
  return CheckText("blackout.reason", b.reason(), kMaxReasonChars, true);
}

}  // namespace

absl::StatusOr<v1::SetCadenceResponse> Planner::SetCadence(const Caller& caller,
                                                           const v1::SetCadenceRequest& request) {
  return Mutate<v1::SetCadenceResponse>(
      caller, "SetCadence", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::SetCadenceResponse> {
        ASSIGN_OR_RETURN(AccountName account,
                         ParseCadenceName("cadence.name", request.cadence().name()));
        RETURN_IF_ERROR(
            SpokeScope::For(caller).RequireChange(SpokeName(account.spoke), "cadences"));
        if (request.expected_version() < 0) {
          return absl::InvalidArgumentError("expected_version must not be negative");
        }
        absl::StatusOr<Stored<v1::Account>> record =
            organisation_.Get<v1::Account>(AccountKey(account.spoke, account.account));
        if (!record.ok()) {
          return internal::NotFoundAs(record.status(),
                                      AccountResourceName(account.spoke, account.account));
        }
        const absl::Time now = clock_.Now();
        // Every rule is checked in the account's zone, without windows.
        RETURN_IF_ERROR(BuildCadence(request.cadence(), record->value.time_zone(), {}).status());

        absl::StatusOr<Stored<v1::Cadence>> current =
            organisation_.Get<v1::Cadence>(CadenceKey(account));
        if (!current.ok() && !absl::IsNotFound(current.status())) return current.status();
        const int64_t at = current.ok() ? current->value.version() : 0;
        if (request.expected_version() != at) {
          return absl::AbortedError(absl::StrCat(CadenceName(account), " is at version ", at,
                                                 ", not ", request.expected_version(),
                                                 "; read it again"));
        }
        // The ledger exists whenever a cadence does, so SchedulePost records
        // exact-time posts of the account in it from now on.
        absl::Status ledger = organisation_.Create(QueueKey(account), v1::QueueLedger()).status();
        if (!ledger.ok() && !absl::IsAlreadyExists(ledger)) return ledger;
        v1::SetCadenceResponse response;
        *response.mutable_cadence() =
            CadenceToStore(request.cadence(), account, record->value, at + 1, caller, now);
        v1::CadenceChanged event;
        *event.mutable_cadence() = response.cadence();
        event.set_actor(caller.principal.subject);
        const uint64_t base = current.ok() ? current->revision : 0;
        const std::vector<Change> changes = {NewChange({.resource = response.cadence().name(),
                                                        .base_revision = base,
                                                        .fact = "changed",
                                                        .subject = subjects::kCadenceChanged,
                                                        .payload = &event,
                                                        .action = "cadence.set",
                                                        .version = at + 1},
                                                       caller, request.request_id(), now)};
        absl::Status written =
            current.ok()
                ? organisation_.Update(CadenceKey(account), response.cadence(), *current, changes)
                      .status()
                : organisation_.Create(CadenceKey(account), response.cadence(), changes).status();
        if (absl::IsAlreadyExists(written)) {
          return absl::AbortedError(
              absl::StrCat(CadenceName(account), " was set concurrently; read it again"));
        }
        RETURN_IF_ERROR(written);
        wrote = true;
        return response;
      });
}

absl::StatusOr<v1::GetCadenceResponse> Planner::GetCadence(const Caller& caller,
                                                           const v1::GetCadenceRequest& request) {
  ASSIGN_OR_RETURN(AccountName account, ParseCadenceName("name", request.name()));
  RETURN_IF_ERROR(SpokeScope::For(caller).RequireRead(SpokeName(account.spoke)));
  if (request.next_slot_count() < 0 || request.next_slot_count() > kMaxNextSlots) {
    return absl::InvalidArgumentError("next_slot_count must be 0 to 100");
  }
  const int wanted = request.next_slot_count() == 0 ? kDefaultNextSlots : request.next_slot_count();
  absl::StatusOr<Stored<v1::Cadence>> cadence = organisation_.Get<v1::Cadence>(CadenceKey(account));
  if (!cadence.ok()) return internal::NotFoundAs(cadence.status(), request.name());
  ASSIGN_OR_RETURN(Stored<v1::Account> record,
                   organisation_.Get<v1::Account>(AccountKey(account.spoke, account.account)));
  const absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(common::cadence::Cadence built,
                   AccountCadence(account, record.value, cadence->value, now));
  absl::StatusOr<Stored<v1::QueueLedger>> ledger =
      organisation_.Get<v1::QueueLedger>(QueueKey(account));
  if (!ledger.ok() && !absl::IsNotFound(ledger.status())) return ledger.status();
  const std::vector<absl::Time> taken =
      ledger.ok() ? ReservedTimes(ledger->value) : std::vector<absl::Time>{};
  v1::GetCadenceResponse response;
  *response.mutable_cadence() = std::move(cadence->value);
  const absl::Time from = now + options_.min_lead_time + absl::Seconds(1);
  for (absl::Time slot : built.FreeSlots(
           taken, from, from + std::min(options_.max_schedule_horizon, absl::Hours(24 * 92)),
           wanted)) {
    *response.add_next_free_slots() = ToProto(slot);
  }
  return response;
}

absl::StatusOr<v1::CreateBlackoutResponse> Planner::CreateBlackout(
    const Caller& caller, const v1::CreateBlackoutRequest& request) {
  static constexpr std::string_view kMethod = "CreateBlackout";
  return Mutate<v1::CreateBlackoutResponse>(
      caller, kMethod, request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::CreateBlackoutResponse> {
        const v1::Blackout& in = request.blackout();
        const absl::Time now = clock_.Now();
        RETURN_IF_ERROR(CheckBlackout(in, now));
        if (in.spoke().empty()) {
          RETURN_IF_ERROR(SpokeScope::For(caller).RequireChange("", "blackout windows"));
        } else {
          ASSIGN_OR_RETURN(std::string spoke, ParseSpokeName("blackout.spoke", in.spoke()));
          RETURN_IF_ERROR(
              SpokeScope::For(caller).RequireChange(SpokeName(spoke), "blackout windows"));
          absl::Status known = organisation_.Get<v1::Spoke>(SpokeKey(spoke)).status();
          if (!known.ok()) return internal::NotFoundAs(known, in.spoke());
        }
        ASSIGN_OR_RETURN(std::vector<v1::Blackout> live, LiveBlackouts(now));
        if (live.size() >= static_cast<size_t>(common::cadence::kMaxBlackouts)) {
          return absl::FailedPreconditionError(
              absl::StrCat("there are already ", live.size(),
                           " blackout windows still to end; delete some first"));
        }
        bool derived = false;
        ASSIGN_OR_RETURN(std::string id, ChooseId("blackout_id", request.blackout_id(), kMethod,
                                                  caller, request.request_id(), &derived));
        v1::CreateBlackoutResponse response;
        v1::Blackout& b = *response.mutable_blackout();
        b.set_name(BlackoutName(id));
        b.set_spoke(in.spoke());
        *b.mutable_start_time() = in.start_time();
        *b.mutable_end_time() = in.end_time();
        b.set_reason(in.reason());
        b.set_created_by(caller.principal.subject);
        *b.mutable_create_time() = ToProto(now);
        v1::BlackoutChanged event;
        *event.mutable_blackout() = b;
        event.set_actor(caller.principal.subject);
        const std::vector<Change> changes = {NewChange({.resource = b.name(),
                                                        .base_revision = 0,
                                                        .fact = "created",
                                                        .subject = subjects::kBlackoutCreated,
                                                        .payload = &event,
                                                        .action = "blackout.create",
                                                        .version = 1,
                                                        .detail = b.reason()},
                                                       caller, request.request_id(), now)};
        absl::Status created = organisation_.Create(BlackoutKey(id), b, changes).status();
        if (absl::IsAlreadyExists(created)) {
          if (!derived) return absl::AlreadyExistsError(absl::StrCat(b.name(), " already exists"));
          ASSIGN_OR_RETURN(Stored<v1::Blackout> existing,
                           organisation_.Get<v1::Blackout>(BlackoutKey(id)));
          *response.mutable_blackout() = std::move(existing.value);
          return response;
        }
        RETURN_IF_ERROR(created);
        ForgetBlackouts();
        wrote = true;
        // What is already scheduled inside the window, for the team to decide on.
        const std::string prefix = b.spoke().empty() ? "" : absl::StrCat(b.spoke(), "/");
        ASSIGN_OR_RETURN(
            std::vector<std::string> ids,
            calendar_.Range(FromProto(b.start_time()), FromProto(b.end_time()), 0, 1000));
        for (const std::string& post_id : ids) {
          absl::StatusOr<Stored<v1::Post>> post = posts_.Get<v1::Post>(post_id);
          if (!post.ok() || post->value.state() != v1::POST_STATE_SCHEDULED) continue;
          if (!prefix.empty() && !post->value.account().starts_with(prefix)) continue;
          response.add_scheduled_posts(post->value.name());
        }
        return response;
      });
}

absl::StatusOr<v1::ListBlackoutsResponse> Planner::ListBlackouts(
    const Caller& caller, const v1::ListBlackoutsRequest& request) {
  if (!request.spoke().empty()) {
    RETURN_IF_ERROR(ParseSpokeName("spoke", request.spoke()).status());
  }
  const SpokeScope scope = SpokeScope::For(caller);
  if (!request.spoke().empty()) RETURN_IF_ERROR(scope.RequireRead(request.spoke()));
  const absl::Time now = clock_.Now();
  absl::Time after = now;
  if (request.has_end_after()) {
    RETURN_IF_ERROR(CheckTimestamp("end_after", true, request.end_after()));
    after = FromProto(request.end_after());
  }
  ASSIGN_OR_RETURN(std::vector<v1::Blackout> live, LiveBlackouts(now));
  v1::ListBlackoutsResponse response;
  for (v1::Blackout& b : live) {
    if (FromProto(b.end_time()) <= after) continue;
    if (!request.spoke().empty() && !BlackoutApplies(b, request.spoke())) continue;
    if (!scope.MaySee(b.spoke())) continue;
    *response.add_blackouts() = std::move(b);
  }
  std::stable_sort(response.mutable_blackouts()->begin(), response.mutable_blackouts()->end(),
                   [](const v1::Blackout& a, const v1::Blackout& b) {
                     return FromProto(a.start_time()) < FromProto(b.start_time());
                   });
  return response;
}

absl::StatusOr<v1::DeleteBlackoutResponse> Planner::DeleteBlackout(
    const Caller& caller, const v1::DeleteBlackoutRequest& request) {
  return Mutate<v1::DeleteBlackoutResponse>(
      caller, "DeleteBlackout", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::DeleteBlackoutResponse> {
        ASSIGN_OR_RETURN(std::string id, ParseBlackoutName("name", request.name()));
        const SpokeScope scope = SpokeScope::For(caller);
        const absl::Time now = clock_.Now();
        ASSIGN_OR_RETURN(
            Stored<v1::Blackout> written,
            internal::ReadModifyWrite<v1::Blackout>(
                organisation_, BlackoutKey(id), request.name(),
                [&](v1::Blackout& b) -> absl::Status {
                  RETURN_IF_ERROR(scope.RequireChangeOf(b.spoke(), request.name()));
                  if (b.has_delete_time()) {
                    return absl::FailedPreconditionError(
                        absl::StrCat(request.name(), " was already deleted"));
                  }
                  *b.mutable_delete_time() = ToProto(now);
                  b.set_deleted_by(caller.principal.subject);
                  return absl::OkStatus();
                },
                [&](const v1::Blackout& after, uint64_t base) {
                  v1::BlackoutChanged event;
                  *event.mutable_blackout() = after;
                  event.set_actor(caller.principal.subject);
                  return std::vector<Change>{NewChange({.resource = after.name(),
                                                        .base_revision = base,
                                                        .fact = "deleted",
                                                        .subject = subjects::kBlackoutDeleted,
                                                        .payload = &event,
                                                        .action = "blackout.delete",
                                                        .version = 2},
                                                       caller, request.request_id(), now)};
                }));
        (void)written;
        ForgetBlackouts();
        wrote = true;
        return v1::DeleteBlackoutResponse();
      });
}

absl::StatusOr<std::vector<v1::Blackout>> Planner::LiveBlackouts(absl::Time now) {
  {
    std::lock_guard<std::mutex> lock(blackout_mu_);
    if (blackouts_read_at_.has_value() && now - *blackouts_read_at_ < kBlackoutCacheAge &&
        now >= *blackouts_read_at_) {
      return blackouts_;
    }
  }
  std::vector<v1::Blackout> live;
  ASSIGN_OR_RETURN(std::vector<std::string> keys, organisation_.Keys(kBlackoutKeyPrefix));
  for (const std::string& key : keys) {
    absl::StatusOr<Stored<v1::Blackout>> b = organisation_.Get<v1::Blackout>(key);
    if (absl::IsNotFound(b.status())) continue;
    if (!b.ok()) return b.status();
    if (b->value.has_delete_time() || FromProto(b->value.end_time()) <= now) continue;
    live.push_back(std::move(b->value));
  }
  std::lock_guard<std::mutex> lock(blackout_mu_);
  blackouts_read_at_ = now;
  blackouts_ = live;
  return live;
}

void Planner::ForgetBlackouts() {
  std::lock_guard<std::mutex> lock(blackout_mu_);
  blackouts_read_at_.reset();
}

absl::Status Planner::CheckNotBlackedOut(std::string_view spoke_name, absl::Time at,
                                         absl::Time now) {
  ASSIGN_OR_RETURN(std::vector<v1::Blackout> live, LiveBlackouts(now));
  for (const v1::Blackout& b : live) {
    if (!BlackoutApplies(b, spoke_name)) continue;
    if (FromProto(b.start_time()) <= at && at < FromProto(b.end_time())) {
      return absl::FailedPreconditionError(absl::StrCat(
          "publish_time falls in blackout ", b.name(), " (",
          absl::FormatTime(absl::RFC3339_sec, FromProto(b.start_time()), absl::UTCTimeZone()),
          " to ", absl::FormatTime(absl::RFC3339_sec, FromProto(b.end_time()), absl::UTCTimeZone()),
          ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<common::cadence::Cadence> Planner::AccountCadence(const AccountName& account,
                                                                 const v1::Account& record,
                                                                 const v1::Cadence& cadence,
                                                                 absl::Time now) {
  ASSIGN_OR_RETURN(std::vector<v1::Blackout> live, LiveBlackouts(now));
  const std::string spoke = SpokeName(account.spoke);
  std::vector<v1::Blackout> applying;
  for (v1::Blackout& b : live) {
    if (BlackoutApplies(b, spoke)) applying.push_back(std::move(b));
  }
  return BuildCadence(cadence, record.time_zone(), applying);
}

}  // namespace carecast::planner
