// Posts: an approved content version placed on an account at a time (or one
// still in review, waiting for its final approval), the calendar over them,
// cancellation (by hand, or because the content changed), and what the final
// approval does to the posts that waited for it.
#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

#include "carecast/v1/events.pb.h"

#include "services/common/bus/subjects.h"
#include "services/common/lifecycle/content_lifecycle.h"
#include "services/common/lifecycle/post_lifecycle.h"
#include "services/common/networks/channel_settings.h"
#include "services/common/networks/network_rules.h"
#include "services/planner/content_rules.h"
#include "services/planner/page_token.h"
#include "services/planner/planner.h"
#include "services/planner/planner_internal.h"
#include "services/planner/resource_names.h"
#include "services/planner/validation.h"

namespace carecast::planner {
namespace {

using common::AsAbsl;
namespace subjects = common::subjects;

// The audit detail of a NEEDS_HUMAN post cancelled by hand (then ": <reason>").
constexpr std::string_view kCancelledNeedsHumanDetail =
    "cancelled while NEEDS_HUMAN (outcome unknown; the network may show it)";

v1::PostChanged Changed(const v1::Post& post, const common::Caller& caller) {
  v1::PostChanged event;
  *event.mutable_post() = post;
  event.set_actor(caller.principal.subject);
  return event;
}

// The variant of `network`; nullptr when the content has none.
const v1::ContentVariant* VariantFor(const v1::Content& content, v1::Network network) {
  for (const auto& v : content.variants()) {
    if (v.network() == network) return &v;
  }
  return nullptr;
}

// The text a post on `network` carries: its variant; on the sandbox the sandbox
// variant or else the master text. nullptr when the content has none.
const std::string* TextFor(const v1::Content& content, v1::Network network) {
  if (const v1::ContentVariant* v = VariantFor(content, network)) return &v->text();
  if (network == v1::NETWORK_SANDBOX) return &content.text();
  return nullptr;
}

// Whether `post` was made by this caller's SchedulePost call with `request_id`.
bool IsRetryOf(const v1::Post& post, const common::Caller& caller, std::string_view request_id) {
  return !request_id.empty() && post.schedule_request_id() == request_id &&
         post.scheduled_by() == caller.principal.subject;
}

// A page token is valid only for the range and filters it was made for.
std::string RangeScope(const v1::ListCalendarRequest& request) {
  const google::protobuf::Timestamp& start = request.start_time();
  const google::protobuf::Timestamp& end = request.end_time();
  std::string scope = absl::StrCat("calendar:", start.seconds(), ".", start.nanos(), ":",
                                   end.seconds(), ".", end.nanos());
  if (!request.spoke().empty() || !request.account().empty() || request.states_size() > 0) {
    absl::StrAppend(&scope, ":", request.spoke(), ":", request.account(), ":");
    for (int state : request.states()) absl::StrAppend(&scope, state, ",");
  }
  if (!request.campaign().empty()) absl::StrAppend(&scope, ":", request.campaign());
  return scope;
}

absl::Status CheckCalendarFilter(const v1::ListCalendarRequest& request) {
  if (!request.spoke().empty()) RETURN_IF_ERROR(ParseSpokeName("spoke", request.spoke()).status());
  if (!request.account().empty()) {
    RETURN_IF_ERROR(ParseAccountName("account", request.account()).status());
  }
  if (!request.campaign().empty()) {
    RETURN_IF_ERROR(ParseCampaignName("campaign", request.campaign()).status());
  }
  for (int state : request.states()) {
    if (state == v1::POST_STATE_UNSPECIFIED || !v1::PostState_IsValid(state)) {
      return absl::InvalidArgumentError("states must name known post states");
    }
  }
  return absl::OkStatus();
}

bool MatchesCalendarFilter(const v1::Post& post, const v1::ListCalendarRequest& request) {
  if (!request.spoke().empty() && !post.account().starts_with(absl::StrCat(request.spoke(), "/")))
    return false;
  if (!request.account().empty() && post.account() != request.account()) return false;
  if (!request.campaign().empty() && post.campaign() != request.campaign()) return false;
  if (request.states_size() == 0) return true;
  return std::find(request.states().begin(), request.states().end(), post.state()) !=
         request.states().end();
}

}  // namespace

// SchedulePost keeps no replay record: the post itself carries the request_id
// and the caller (schedule_request_id, scheduled_by), so a retry of the call
// finds its post in the one read it makes anyway (two fewer KV operations per
// post than the generic Mutate), and a retry after a crash between the write and
// a replay record cannot be refused as ALREADY_EXISTS.
absl::StatusOr<v1::SchedulePostResponse> Planner::SchedulePost(
    const Caller& caller, const v1::SchedulePostRequest& request) {
  static constexpr std::string_view kMethod = "SchedulePost";
  RETURN_IF_ERROR(CheckRequestId(request.request_id()));
  ASSIGN_OR_RETURN(std::string content_id, ParseContentName("content", request.content()));
  ASSIGN_OR_RETURN(AccountName account_name, ParseAccountName("account", request.account()));
  RETURN_IF_ERROR(SpokeScope::For(caller).RequireChange(SpokeName(account_name.spoke), "posts"));
  RETURN_IF_ERROR(
      CheckTimestamp("publish_time", request.has_publish_time(), request.publish_time()));
  const absl::Time now = clock_.Now();
  const absl::Time publish_time = FromProto(request.publish_time());
  bool derived = false;
  ASSIGN_OR_RETURN(std::string id, ChooseId("post_id", request.post_id(), kMethod, caller,
                                            request.request_id(), &derived));
  v1::SchedulePostResponse response;
  if (!request.request_id().empty()) {
    // A retry of a call whose first attempt stored the post answers with that
    // post, even when its publish time has passed meanwhile.
    absl::StatusOr<Stored<v1::Post>> earlier = posts_.Get<v1::Post>(id);
    if (earlier.ok()) {
      if (!derived && !IsRetryOf(earlier->value, caller, request.request_id())) {
        return absl::AlreadyExistsError(absl::StrCat(PostName(id), " already exists"));
      }
      (void)posts_.Settle(id);
      *response.mutable_post() = std::move(earlier->value);
      return response;
    }
    if (!absl::IsNotFound(earlier.status())) return earlier.status();
  }
  RETURN_IF_ERROR(CheckPublishWindow(publish_time, now));
  RETURN_IF_ERROR(CheckNotBlackedOut(SpokeName(account_name.spoke), publish_time, now));
  ASSIGN_OR_RETURN(*response.mutable_post(), DraftPost(caller, request, content_id, account_name,
                                                       id, now, /*allow_awaiting=*/true));
  // Recorded before it is stored, so the queue never hands this time's
  // neighbourhood to another post of the account (a crash leaves a reservation
  // that SyncQueue drops).
  RETURN_IF_ERROR(RecordInLedger(account_name, PostName(id), publish_time, now));
  RETURN_IF_ERROR(StoreNewPost(caller, request, id, response.post(), now));
  return response;
}

absl::Status Planner::CheckPublishWindow(absl::Time publish_time, absl::Time now) const {
  if (publish_time <= now + options_.min_lead_time) {
    return absl::InvalidArgumentError(
        absl::StrCat("publish_time is in the past: it must be at least ",
                     absl::FormatDuration(options_.min_lead_time), " after now"));
  }
  if (publish_time > now + options_.max_schedule_horizon) {
    return absl::InvalidArgumentError(
        absl::StrCat("publish_time is more than ",
                     absl::FormatDuration(options_.max_schedule_horizon), " ahead"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Post> Planner::DraftPost(
    const Caller& caller, const v1::SchedulePostRequest& request, const std::string& content_id,
    const AccountName& account_name, const std::string& id, absl::Time now, bool allow_awaiting,
    std::optional<std::pair<absl::Time, absl::Time>>* campaign_window) {
  absl::StatusOr<Stored<v1::Content>> content = contents_.Get<v1::Content>(content_id);
  if (!content.ok()) return internal::NotFoundAs(content.status(), request.content());
  const v1::Content& c = content->value;
  RETURN_IF_ERROR(SpokeScope::For(caller).RequireSee(c.spoke(), request.content()));
  absl::StatusOr<Stored<v1::Account>> account =
      organisation_.Get<v1::Account>(AccountKey(account_name.spoke, account_name.account));
  if (!account.ok()) return internal::NotFoundAs(account.status(), request.account());
  const v1::Network network = account->value.network();
  // Refused now rather than at due time, when the publisher would have no
  // adapter to hand the post to and no one would be watching.
  if (!options_.channels.Configured(network)) {
    return absl::FailedPreconditionError(
        absl::StrCat("no channel adapter is configured for network ", AsAbsl(NetworkField(network)),
                     " (set ", common::networks::BaseUrlVariable(network), ")"));
  }
  // Content in review may be placed ahead of its approval: the post waits,
  // and is never published unless the final approval comes before its time.
  const bool awaiting = allow_awaiting && c.state() == v1::CONTENT_STATE_IN_REVIEW;
  if (!awaiting && !lifecycle::IsApprovedAt(c, c.version(), c.content_hash())) {
    return absl::FailedPreconditionError(absl::StrCat(
        request.content(), " is not approved at its current version; only APPROVED content",
        allow_awaiting ? " (or content IN_REVIEW, which waits for approval)" : "",
        " can be scheduled"));
  }
  // Every path that makes a post comes here (SchedulePost and its batch, the
  // queue, evergreen recycling): a campaign's networks and dates bind them all.
  std::optional<absl::Time> at;
  if (request.has_publish_time()) at = FromProto(request.publish_time());
  RETURN_IF_ERROR(CheckPostCampaign(c, network, at, campaign_window));
  // The queue picks its slot later and checks it again (CheckSlotConsent);
  // without a time the consent must at least be in force now.
  RETURN_IF_ERROR(CheckPostConsent(c, network, std::max(FromProto(request.publish_time()), now)));
  const std::string* text = TextFor(c, network);
  if (text == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(request.content(), " has no variant for ",
                                                      AsAbsl(NetworkField(network)),
                                                      ", the network of ", request.account()));
  }
  // Approval checked the variants; the sandbox may post the master text, and a
  // network's rules may have tightened since the approval.
  absl::Status fits = common::networks::CheckPostFits(network, *text, c.media());
  if (const v1::ContentVariant* variant = VariantFor(c, network); fits.ok() && variant) {
    for (const std::string& part : variant->thread_parts()) {
      fits = common::networks::CheckPostFits(network, part, std::vector<v1::MediaItem>{});
      if (!fits.ok()) break;
    }
  }
  if (!fits.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(request.content(), " cannot be posted on ",
                                                      request.account(), ": ", fits.message()));
  }
  v1::Post post;
  post.set_name(PostName(id));
  post.set_content(request.content());
  post.set_account(request.account());
  post.set_network(network);
  *post.mutable_publish_time() = request.publish_time();
  post.set_content_version(c.version());
  post.set_content_hash(c.content_hash());
  post.set_text(*text);
  if (const v1::ContentVariant* variant = VariantFor(c, network)) {
    *post.mutable_thread_parts() = variant->thread_parts();
  }
  *post.mutable_media() = c.media();
  post.set_campaign(c.campaign());
  post.set_pillar(c.pillar());
  ASSIGN_OR_RETURN(
      v1::PostState initial,
      lifecycle::Next(v1::POST_STATE_UNSPECIFIED, awaiting ? lifecycle::PostEvent::kScheduleAwaiting
                                                           : lifecycle::PostEvent::kSchedule));
  post.set_state(initial);
  post.set_scheduled_by(caller.principal.subject);
  post.set_schedule_request_id(request.request_id());
  *post.mutable_create_time() = ToProto(now);
  *post.mutable_update_time() = ToProto(now);
  return post;
}

absl::Status Planner::StoreNewPost(const Caller& caller, const v1::SchedulePostRequest& request,
                                   const std::string& id, const v1::Post& post, absl::Time now) {
  // A taken id is settled before indexing, so a refused call cannot move
  // another post in the calendar.
  if (request.request_id().empty()) {  // else SchedulePost read it already
    absl::StatusOr<Stored<v1::Post>> existing = posts_.Get<v1::Post>(id);
    if (existing.ok())
      return absl::AlreadyExistsError(absl::StrCat(post.name(), " already exists"));
    if (existing.status().code() != absl::StatusCode::kNotFound) return existing.status();
  }
  // Indexed before it is stored: the calendar skips ids that never made it to
  // the bucket, and a Redis outage refuses the call before anything changes.
  RETURN_IF_ERROR(calendar_.Add(id, FromProto(post.publish_time())));
  v1::PostChanged event = Changed(post, caller);
  // An AWAITING_APPROVAL post has its own subject, which publishers do not index.
  const bool awaiting = post.state() == v1::POST_STATE_AWAITING_APPROVAL;
  const std::vector<Change> changes = {
      NewChange({.resource = post.name(),
                 .base_revision = 0,
                 .fact = awaiting ? "awaiting_approval" : "scheduled",
                 .subject = awaiting ? subjects::kPostAwaitingApproval : subjects::kPostScheduled,
                 .payload = &event,
                 .action = awaiting ? "post.schedule_awaiting" : "post.schedule",
                 .version = post.content_version(),
                 .content_hash = post.content_hash()},
                caller, request.request_id(), now)};
  auto created = posts_.Create(id, post, changes);
  if (!created.ok()) {
    if (created.status().code() == absl::StatusCode::kAlreadyExists) {
      return absl::AbortedError(absl::StrCat(post.name(), " was created concurrently; try again"));
    }
    return created.status();
  }
  metrics_.Post(awaiting ? "awaiting_approval" : "scheduled");
  return absl::OkStatus();
}

absl::StatusOr<v1::GetPostResponse> Planner::GetPost(const Caller& caller,
                                                     const v1::GetPostRequest& request) {
  ASSIGN_OR_RETURN(std::string id, ParsePostName("name", request.name()));
  absl::StatusOr<Stored<v1::Post>> post = posts_.Get<v1::Post>(id);
  if (!post.ok()) return internal::NotFoundAs(post.status(), request.name());
  RETURN_IF_ERROR(SpokeScope::For(caller).RequireSee(common::SpokeOfResource(post->value.account()),
                                                     request.name()));
  v1::GetPostResponse response;
  *response.mutable_post() = std::move(post->value);
  return response;
}

absl::StatusOr<v1::CancelPostResponse> Planner::CancelPost(const Caller& caller,
                                                           const v1::CancelPostRequest& request) {
  return Mutate<v1::CancelPostResponse>(
      caller, "CancelPost", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::CancelPostResponse> {
        ASSIGN_OR_RETURN(std::string id, ParsePostName("name", request.name()));
        RETURN_IF_ERROR(CheckText("reason", request.reason(), kMaxReasonChars, false));
        const SpokeScope scope = SpokeScope::For(caller);
        const absl::Time now = clock_.Now();
        // Set by the attempt that wrote: a retry of the read-modify-write may see
        // another state than the first attempt did.
        bool was_needs_human = false;
        ASSIGN_OR_RETURN(
            Stored<v1::Post> stored,
            internal::ReadModifyWrite<v1::Post>(
                posts_, id, request.name(),
                [&](v1::Post& post) -> absl::Status {
                  RETURN_IF_ERROR(
                      scope.RequireChangeOf(common::SpokeOfResource(post.account()), post.name()));
                  ASSIGN_OR_RETURN(
                      v1::PostState next,
                      lifecycle::Next(post.state(), lifecycle::PostEvent::kCancel, post.name()));
                  was_needs_human = post.state() == v1::POST_STATE_NEEDS_HUMAN;
                  post.set_state(next);
                  *post.mutable_update_time() = ToProto(now);
                  return absl::OkStatus();
                },
                [&](const v1::Post& after, uint64_t base) {
                  // Whoever reads the trail must see that the outcome was unknown:
                  // the network may still show the post.
                  std::string detail = was_needs_human
                                           ? (request.reason().empty()
                                                  ? std::string(kCancelledNeedsHumanDetail)
                                                  : absl::StrCat(AsAbsl(kCancelledNeedsHumanDetail),
                                                                 ": ", request.reason()))
                                           : request.reason();
                  return std::vector<Change>{CancelChange(after, base, caller, request.request_id(),
                                                          now, std::move(detail))};
                }));
        metrics_.Post(was_needs_human ? "cancelled_needs_human" : "cancelled");
        ReleaseReservation(stored.value, now);
        wrote = true;
        v1::CancelPostResponse response;
        *response.mutable_post() = std::move(stored.value);
        return response;
      });
}

absl::StatusOr<v1::ListCalendarResponse> Planner::ListCalendar(
    const Caller& caller, const v1::ListCalendarRequest& request) {
  RETURN_IF_ERROR(CheckTimestamp("start_time", request.has_start_time(), request.start_time()));
  RETURN_IF_ERROR(CheckTimestamp("end_time", request.has_end_time(), request.end_time()));
  const absl::Time start = FromProto(request.start_time());
  const absl::Time end = FromProto(request.end_time());
  if (start >= end) return absl::InvalidArgumentError("start_time must be before end_time");
  RETURN_IF_ERROR(CheckCalendarFilter(request));
  const SpokeScope spokes = SpokeScope::For(caller);
  if (!request.spoke().empty()) RETURN_IF_ERROR(spokes.RequireRead(request.spoke()));
  if (!request.account().empty()) {
    RETURN_IF_ERROR(spokes.RequireRead(common::SpokeOfResource(request.account())));
  }
  ASSIGN_OR_RETURN(size_t page, ResolvePageSize(request.page_size()));
  const std::string scope = RangeScope(request);
  ASSIGN_OR_RETURN(uint64_t offset, DecodePageToken(request.page_token(), scope));

  ASSIGN_OR_RETURN(bool rebuilt, calendar_.EnsureBuilt());
  if (rebuilt) metrics_.CalendarRebuilt();
  // One extra id tells whether another page follows.
  ASSIGN_OR_RETURN(std::vector<std::string> ids, calendar_.Range(start, end, offset, page + 1));
  const bool more = ids.size() > page;
  if (more) ids.resize(page);
  // The page's posts are read side by side, not one round trip after another.
  std::vector<absl::StatusOr<Stored<v1::Post>>> posts = posts_.GetMany<v1::Post>(ids);
  v1::ListCalendarResponse response;
  for (absl::StatusOr<Stored<v1::Post>>& post : posts) {
    if (!post.ok()) {
      // Indexed but never stored (a schedule that failed after indexing).
      if (post.status().code() == absl::StatusCode::kNotFound) continue;
      return post.status();
    }
    if (!MatchesCalendarFilter(post->value, request)) continue;
    if (!spokes.MaySee(common::SpokeOfResource(post->value.account()))) continue;
    *response.add_posts() = std::move(post->value);
  }
  if (more) response.set_next_page_token(EncodePageToken(scope, offset + page));
  return response;
}

Change Planner::CancelChange(const v1::Post& post, uint64_t base_revision, const Caller& caller,
                             std::string_view request_id, absl::Time now,
                             std::string detail) const {
  v1::PostChanged event = Changed(post, caller);
  return NewChange({.resource = post.name(),
                    .base_revision = base_revision,
                    .fact = "cancelled",
                    .subject = subjects::kPostCancelled,
                    .payload = &event,
                    .action = "post.cancel",
                    .version = post.content_version(),
                    .content_hash = post.content_hash(),
                    .detail = std::move(detail)},
                   caller, request_id, now);
}

absl::Status Planner::CancelPostsOf(const Caller& caller, const std::string& content_name,
                                    const std::vector<v1::PostState>& states,
                                    std::string_view detail, std::string_view request_id,
                                    absl::Time now) {
  return CancelPostsWhere(
      caller, [&](const v1::Post& post) { return post.content() == content_name; }, states, detail,
      request_id, now, "cancelled_by_edit");
}

absl::Status Planner::CancelPostsWhere(const Caller& caller,
                                       const std::function<bool(const v1::Post&)>& matches,
                                       const std::vector<v1::PostState>& states,
                                       std::string_view detail, std::string_view request_id,
                                       absl::Time now, std::string_view metric_label,
                                       std::vector<std::string>* cancelled) {
  auto wanted = [&](v1::PostState state) {
    return std::find(states.begin(), states.end(), state) != states.end();
  };
  // A full scan: the posts bucket is the system of record and is shared with the
  // publisher, so no second index can drift from it. The bucket is streamed
  // (one consumer), then each candidate is cancelled with a fresh read.
  std::vector<std::pair<std::string, std::string>> candidates;  // (key, post name)
  RETURN_IF_ERROR(posts_.kv().Scan("", [&](std::string_view key, const common::KvEntry& entry) {
    v1::Post post;
    if (!post.ParseFromString(common::DecodeRecord(entry).value)) return absl::OkStatus();
    if (matches(post) && wanted(post.state()))
      candidates.emplace_back(std::string(key), post.name());
    return absl::OkStatus();
  }));
  for (const auto& [key, name] : candidates) {
    bool still_wanted = true;
    absl::StatusOr<Stored<v1::Post>> stored = internal::ReadModifyWrite<v1::Post>(
        posts_, key, name,
        [&](v1::Post& p) -> absl::Status {
          absl::StatusOr<v1::PostState> next =
              lifecycle::Next(p.state(), lifecycle::PostEvent::kCancel);
          // Claimed by a publisher meanwhile: it is no longer ours to cancel, and
          // the publisher refuses a post whose hash no longer matches an approval.
          // A post that became NEEDS_HUMAN meanwhile may be on the network: only a
          // person who checked may cancel it, never an edit.
          still_wanted = next.ok() && wanted(p.state());
          if (!still_wanted) return absl::CancelledError("no longer in a state to cancel");
          p.set_state(*next);
          *p.mutable_update_time() = ToProto(now);
          return absl::OkStatus();
        },
        [&](const v1::Post& after, uint64_t base) {
          return std::vector<Change>{
              CancelChange(after, base, caller, request_id, now, std::string(detail))};
        });
    if (!still_wanted) continue;
    if (!stored.ok()) {
      if (stored.status().code() == absl::StatusCode::kNotFound) continue;
      return stored.status();
    }
    metrics_.Post(metric_label);
    ReleaseReservation(stored->value, now);
    if (cancelled != nullptr) cancelled->push_back(name);
  }
  return absl::OkStatus();
}

absl::Status Planner::ReleaseAwaitingPostsOf(const Caller& caller, const v1::Content& content,
                                             std::string_view request_id, absl::Time now,
                                             int* moved) {
  std::vector<std::pair<std::string, std::string>> candidates;  // (key, post name)
  RETURN_IF_ERROR(posts_.kv().Scan("", [&](std::string_view key, const common::KvEntry& entry) {
    v1::Post post;
    if (!post.ParseFromString(common::DecodeRecord(entry).value)) return absl::OkStatus();
    if (post.content() == content.name() && post.state() == v1::POST_STATE_AWAITING_APPROVAL)
      candidates.emplace_back(std::string(key), post.name());
    return absl::OkStatus();
  }));
  for (const auto& [key, name] : candidates) {
    // What the attempt that wrote decided.
    enum class Outcome { kSkipped, kScheduled, kLate, kStale } outcome = Outcome::kSkipped;
    absl::StatusOr<Stored<v1::Post>> stored = internal::ReadModifyWrite<v1::Post>(
        posts_, key, name,
        [&](v1::Post& p) -> absl::Status {
          outcome = Outcome::kSkipped;
          if (p.state() != v1::POST_STATE_AWAITING_APPROVAL) {
            return absl::CancelledError("no longer awaiting approval");
          }
          lifecycle::PostEvent event = lifecycle::PostEvent::kContentApproved;
          if (p.content_version() != content.version() ||
              p.content_hash() != content.content_hash()) {
            // Made from another version (an edit cancels those; a crash
            // between the two may leave one): never published.
            event = lifecycle::PostEvent::kCancel;
            outcome = Outcome::kStale;
          } else if (FromProto(p.publish_time()) <= now + options_.min_lead_time) {
            event = lifecycle::PostEvent::kApprovedLate;
            outcome = Outcome::kLate;
          } else {
            outcome = Outcome::kScheduled;
          }
          ASSIGN_OR_RETURN(v1::PostState next, lifecycle::Next(p.state(), event, p.name()));
          p.set_state(next);
          *p.mutable_update_time() = ToProto(now);
          return absl::OkStatus();
        },
        [&](const v1::Post& after, uint64_t base) {
          if (outcome == Outcome::kStale) {
            return std::vector<Change>{CancelChange(after, base, caller, request_id, now,
                                                    "made from another content version")};
          }
          v1::PostChanged event = Changed(after, caller);
          const bool late = outcome == Outcome::kLate;
          const std::string approved_at =
              absl::FormatTime(absl::RFC3339_sec, now, absl::UTCTimeZone());
          return std::vector<Change>{NewChange(
              {.resource = after.name(),
               .base_revision = base,
               .fact = late ? "needs_reschedule" : "scheduled",
               .subject = late ? subjects::kPostNeedsReschedule : subjects::kPostScheduled,
               .payload = &event,
               .action = late ? "post.needs_reschedule" : "post.schedule",
               .version = after.content_version(),
               .content_hash = after.content_hash(),
               .detail = late ? absl::StrCat("content approved at ", approved_at,
                                             ", after the publish time; not published late")
                              : absl::StrCat("content approved at ", approved_at)},
              caller, request_id, now)};
        });
    if (absl::IsCancelled(stored.status()) || absl::IsNotFound(stored.status())) continue;
    RETURN_IF_ERROR(stored.status());
    switch (outcome) {
      case Outcome::kScheduled:
        metrics_.Post("scheduled_on_approval");
        break;
      case Outcome::kLate:
        metrics_.Post("needs_reschedule");
        logger_.Warn("content approved after a post's time; the post needs a new time",
                     {{"post", name}, {"content", content.name()}});
        ReleaseReservation(stored->value, now);
        break;
      case Outcome::kStale:
        metrics_.Post("cancelled_by_edit");
        ReleaseReservation(stored->value, now);
        break;
      case Outcome::kSkipped:
        break;
    }
    if (moved != nullptr && outcome != Outcome::kSkipped) ++*moved;
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ReschedulePostResponse> Planner::ReschedulePost(
    const Caller& caller, const v1::ReschedulePostRequest& request) {
  return Mutate<v1::ReschedulePostResponse>(
      caller, "ReschedulePost", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::ReschedulePostResponse> {
        ASSIGN_OR_RETURN(std::string id, ParsePostName("name", request.name()));
        RETURN_IF_ERROR(
            CheckTimestamp("publish_time", request.has_publish_time(), request.publish_time()));
        const absl::Time now = clock_.Now();
        const absl::Time publish_time = FromProto(request.publish_time());
        RETURN_IF_ERROR(CheckPublishWindow(publish_time, now));
        absl::StatusOr<Stored<v1::Post>> current = posts_.Get<v1::Post>(id);
        if (!current.ok()) return internal::NotFoundAs(current.status(), request.name());
        const v1::Post& before = current->value;
        RETURN_IF_ERROR(SpokeScope::For(caller).RequireChangeOf(
            common::SpokeOfResource(before.account()), request.name()));
        RETURN_IF_ERROR(
            lifecycle::Next(before.state(), lifecycle::PostEvent::kSetNewTime, before.name())
                .status());
        ASSIGN_OR_RETURN(AccountName account, ParseAccountName("post.account", before.account()));
        RETURN_IF_ERROR(CheckNotBlackedOut(SpokeName(account.spoke), publish_time, now));
        ASSIGN_OR_RETURN(std::string content_id,
                         ParseContentName("post.content", before.content()));
        absl::StatusOr<Stored<v1::Content>> content = contents_.Get<v1::Content>(content_id);
        if (!content.ok()) return internal::NotFoundAs(content.status(), before.content());
        if (!lifecycle::IsApprovedAt(content->value, before.content_version(),
                                     before.content_hash())) {
          return absl::FailedPreconditionError(absl::StrCat(
              before.content(), " is no longer approved at version ", before.content_version(),
              "; cancel ", before.name(), " and schedule the new version"));
        }
        RETURN_IF_ERROR(CheckPostCampaign(content->value, before.network(), publish_time));
        // Indexed and recorded first, as SchedulePost does; the old reservation
        // (a passed slot) goes.
        RETURN_IF_ERROR(calendar_.Add(id, publish_time));
        ReleaseReservation(before, now);
        RETURN_IF_ERROR(RecordInLedger(account, before.name(), publish_time, now));
        ASSIGN_OR_RETURN(
            Stored<v1::Post> stored,
            internal::ReadModifyWrite<v1::Post>(
                posts_, id, request.name(),
                [&](v1::Post& p) -> absl::Status {
                  ASSIGN_OR_RETURN(
                      v1::PostState next,
                      lifecycle::Next(p.state(), lifecycle::PostEvent::kSetNewTime, p.name()));
                  p.set_state(next);
                  *p.mutable_publish_time() = request.publish_time();
                  p.set_queued(false);
                  *p.mutable_update_time() = ToProto(now);
                  return absl::OkStatus();
                },
                [&](const v1::Post& after, uint64_t base) {
                  v1::PostChanged event = Changed(after, caller);
                  return std::vector<Change>{NewChange(
                      {.resource = after.name(),
                       .base_revision = base,
                       .fact = "scheduled",
                       .subject = subjects::kPostScheduled,
                       .payload = &event,
                       .action = "post.schedule",
                       .version = after.content_version(),
                       .content_hash = after.content_hash(),
                       .detail = absl::StrCat(
                           "rescheduled after a late approval to ",
                           absl::FormatTime(absl::RFC3339_sec, publish_time, absl::UTCTimeZone()))},
                      caller, request.request_id(), now)};
                }));
        metrics_.Post("rescheduled");
        wrote = true;
        v1::ReschedulePostResponse response;
        *response.mutable_post() = std::move(stored.value);
        return response;
      });
}

}  // namespace carecast::planner
