// A spoke's or a campaign's calendar as an iCalendar feed: the subscription URL
// (with its capability token), revoking every URL of one feed, and the feed
// itself (posting slots, posts around now, and the blackout windows that
// apply), rendered by common::cadence::RenderICalendarFeed.
#include <algorithm>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"

#include "carecast/v1/events.pb.h"

#include "services/common/base/ids.h"
#include "services/common/bus/subjects.h"
#include "services/common/cadence/icalendar_feed.h"
#include "services/planner/cadence_rules.h"
#include "services/planner/calendar_feed_http.h"
#include "services/planner/content_rules.h"
#include "services/planner/planner.h"
#include "services/planner/planner_internal.h"
#include "services/planner/resource_names.h"
#include "services/planner/validation.h"

namespace carecast::planner {
namespace {

using common::AsAbsl;
namespace cadence = common::cadence;
namespace subjects = common::subjects;

// Longest post summary in the feed, in bytes (cut on a character boundary).
constexpr size_t kSummaryBytes = 80;

absl::Status FeedsOff() {
  return absl::FailedPreconditionError(
      "calendar feeds are not configured here (set CARECAST_FEED_TOKEN_KEYS_FILE)");
}

absl::Status InvalidToken() { return absl::UnauthenticatedError("invalid token"); }

// The first line of `text`, at most kSummaryBytes, never splitting a character.
std::string Summary(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() <= kSummaryBytes) return line;
  size_t cut = kSummaryBytes;
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat(line.substr(0, cut), "…");
}

cadence::FeedPostState FeedState(v1::PostState state) {
  switch (state) {
    case v1::POST_STATE_PUBLISHED:
      return cadence::FeedPostState::kPublished;
    case v1::POST_STATE_CANCELLED:
    case v1::POST_STATE_FAILED:
      return cadence::FeedPostState::kCancelled;
    case v1::POST_STATE_NEEDS_HUMAN:
    case v1::POST_STATE_NEEDS_RESCHEDULE:
      return cadence::FeedPostState::kNeedsHuman;
    default:
      return cadence::FeedPostState::kScheduled;
  }
}

bool IsWebUrl(std::string_view url) {
  return url.starts_with("https://") || url.starts_with("http://");
}

}  // namespace

absl::StatusOr<Planner::FeedTarget> Planner::ResolveFeedTarget(const Caller& caller,
                                                               std::string_view spoke,
                                                               std::string_view campaign) {
  if (spoke.empty() == campaign.empty()) {
    return absl::InvalidArgumentError("name exactly one of spoke and campaign");
  }
  const SpokeScope scope = SpokeScope::For(caller);
  FeedTarget target;
  if (!spoke.empty()) {
    ASSIGN_OR_RETURN(target.id, ParseSpokeName("spoke", spoke));
    RETURN_IF_ERROR(scope.RequireChange(SpokeName(target.id), "calendar feeds"));
    target.kind = cadence::FeedKind::kSpoke;
    target.name = SpokeName(target.id);
    return target;
  }
  ASSIGN_OR_RETURN(target.id, ParseCampaignName("campaign", campaign));
  absl::StatusOr<Stored<v1::Campaign>> stored =
      organisation_.Get<v1::Campaign>(CampaignKey(target.id));
  if (!stored.ok()) return internal::NotFoundAs(stored.status(), campaign);
  RETURN_IF_ERROR(scope.RequireChangeOf(stored->value.spoke(), stored->value.name()));
  target.kind = cadence::FeedKind::kCampaign;
  target.name = stored->value.name();
  target.generation = stored->value.feed_generation();
  return target;
}

absl::StatusOr<v1::GetCalendarFeedResponse> Planner::GetCalendarFeed(
    const Caller& caller, const v1::GetCalendarFeedRequest& request) {
  ASSIGN_OR_RETURN(FeedTarget target,
                   ResolveFeedTarget(caller, request.spoke(), request.campaign()));
  if (options_.feed_tokens == nullptr) return FeedsOff();
  if (target.kind == cadence::FeedKind::kSpoke) {
    absl::StatusOr<Stored<v1::Spoke>> spoke = organisation_.Get<v1::Spoke>(SpokeKey(target.id));
    if (!spoke.ok()) return internal::NotFoundAs(spoke.status(), request.spoke());
    target.generation = spoke->value.feed_generation();
  }
  ASSIGN_OR_RETURN(std::string token,
                   options_.feed_tokens->Mint(target.kind, target.name,
                                              static_cast<uint64_t>(target.generation)));
  v1::GetCalendarFeedResponse response;
  const std::string_view prefix =
      target.kind == cadence::FeedKind::kSpoke ? kSpokeFeedPrefix : kCampaignFeedPrefix;
  response.set_url(
      absl::StrCat(options_.feed_base_url, AsAbsl(prefix), target.id, ".ics?token=", token));
  response.set_token(std::move(token));
  return response;
}

absl::StatusOr<v1::RevokeCalendarFeedResponse> Planner::RevokeCalendarFeed(
    const Caller& caller, const v1::RevokeCalendarFeedRequest& request) {
  return Mutate<v1::RevokeCalendarFeedResponse>(
      caller, "RevokeCalendarFeed", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::RevokeCalendarFeedResponse> {
        ASSIGN_OR_RETURN(FeedTarget target,
                         ResolveFeedTarget(caller, request.spoke(), request.campaign()));
        const absl::Time now = clock_.Now();
        v1::RevokeCalendarFeedResponse response;
        if (target.kind == cadence::FeedKind::kSpoke) {
          ASSIGN_OR_RETURN(
              *response.mutable_spoke(),
              BumpFeedGeneration<v1::Spoke>(caller, SpokeKey(target.id), request.spoke(),
                                            request.request_id(), now));
        } else {
          ASSIGN_OR_RETURN(
              *response.mutable_campaign(),
              BumpFeedGeneration<v1::Campaign>(caller, CampaignKey(target.id), request.campaign(),
                                               request.request_id(), now));
        }
        wrote = true;
        return response;
      });
}

template <class Resource>
absl::StatusOr<Resource> Planner::BumpFeedGeneration(const Caller& caller, const std::string& key,
                                                     std::string_view name,
                                                     std::string_view request_id, absl::Time now) {
  constexpr bool kSpoke = std::is_same_v<Resource, v1::Spoke>;
  ASSIGN_OR_RETURN(
      Stored<Resource> written,
      internal::ReadModifyWrite<Resource>(
          organisation_, key, name,
          [&](Resource& resource) -> absl::Status {
            resource.set_feed_generation(resource.feed_generation() + 1);
            return absl::OkStatus();
          },
          [&](const Resource& after, uint64_t base) {
            std::conditional_t<kSpoke, v1::SpokeChanged, v1::CampaignChanged> event;
            if constexpr (kSpoke) {
              *event.mutable_spoke() = after;
            } else {
              *event.mutable_campaign() = after;
            }
            event.set_actor(caller.principal.subject);
            return std::vector<Change>{NewChange(
                {.resource = after.name(),
                 .base_revision = base,
                 .fact = "feed_revoked",
                 .subject = kSpoke ? subjects::kSpokeFeedRevoked : subjects::kCampaignFeedRevoked,
                 .payload = &event,
                 .action = kSpoke ? "spoke.feed_revoke" : "campaign.feed_revoke",
                 .version = after.feed_generation()},
                caller, request_id, now)};
          }));
  return std::move(written.value);
}

absl::StatusOr<CalendarFeedDocument> Planner::ReadCalendarFeed(cadence::FeedKind kind,
                                                               std::string_view id,
                                                               std::string_view token) {
  if (options_.feed_tokens == nullptr) return FeedsOff();
  const bool spoke_feed = kind == cadence::FeedKind::kSpoke;
  // An id that does not parse reads as a bad token: nothing to probe.
  absl::StatusOr<std::string> parsed =
      spoke_feed ? ParseSpokeName("spoke", absl::StrCat("spokes/", AsAbsl(id)))
                 : ParseCampaignName("campaign", absl::StrCat("campaigns/", AsAbsl(id)));
  if (!parsed.ok()) return InvalidToken();
  FeedParts parts;
  if (spoke_feed) {
    absl::StatusOr<Stored<v1::Spoke>> spoke = organisation_.Get<v1::Spoke>(SpokeKey(*parsed));
    if (absl::IsNotFound(spoke.status())) return InvalidToken();
    if (!spoke.ok()) return spoke.status();
    const v1::Spoke& s = spoke->value;
    parts = {.name = s.name(),
             .title = s.display_name(),
             .generation = s.feed_generation(),
             .spoke = s.name(),
             .created = FromProto(s.create_time())};
  } else {
    absl::StatusOr<Stored<v1::Campaign>> campaign =
        organisation_.Get<v1::Campaign>(CampaignKey(*parsed));
    if (absl::IsNotFound(campaign.status())) return InvalidToken();
    if (!campaign.ok()) return campaign.status();
    const v1::Campaign& c = campaign->value;
    parts = {.name = c.name(),
             .title = c.display_name(),
             .generation = c.feed_generation(),
             .spoke = c.spoke(),
             .campaign = c.name(),
             .created = FromProto(c.update_time())};
    parts.networks.assign(c.networks().begin(), c.networks().end());
  }
  if (!options_.feed_tokens
           ->Verify(token, kind, parts.name, static_cast<uint64_t>(parts.generation))
           .ok()) {
    return InvalidToken();
  }
  return RenderFeed(parts);
}

absl::StatusOr<CalendarFeedDocument> Planner::RenderFeed(const FeedParts& parts) {
  const absl::Time now = clock_.Now();
  cadence::ICalendarFeed feed;
  feed.name = absl::StrCat("CareCast: ", AsAbsl(parts.title));
  feed.uid_domain = options_.feed_uid_domain;
  absl::Time stamp = parts.created;
  std::map<std::string, v1::Account> accounts;
  // A hub-wide campaign spans every spoke: its feed shows its posts and the
  // organisation-wide blackouts, not every account's slots.
  if (!parts.spoke.empty()) RETURN_IF_ERROR(AddFeedSlots(parts, feed, accounts, stamp));
  if (feed.time_zone.empty()) feed.time_zone = "UTC";
  RETURN_IF_ERROR(AddFeedPosts(parts, now, accounts, feed, stamp));

  // The windows that keep the accounts quiet.
  ASSIGN_OR_RETURN(std::vector<v1::Blackout> blackouts, LiveBlackouts(now));
  for (const v1::Blackout& b : blackouts) {
    if (!BlackoutApplies(b, parts.spoke)) continue;
    stamp = std::max(stamp, FromProto(b.create_time()));
    feed.blackouts.push_back({.uid = absl::StrCat(AsAbsl(b.name()), "@", feed.uid_domain),
                              .summary = absl::StrCat("Blackout: ", AsAbsl(b.reason())),
                              .start = FromProto(b.start_time()),
                              .end = FromProto(b.end_time())});
  }
  feed.stamp = stamp;
  ASSIGN_OR_RETURN(std::string body, cadence::RenderICalendarFeed(feed));
  CalendarFeedDocument document;
  document.etag = absl::StrCat("\"", AsAbsl(common::Sha256Hex(body).substr(0, 32)), "\"");
  document.body = std::move(body);
  return document;
}

absl::Status Planner::AddFeedSlots(const FeedParts& parts, cadence::ICalendarFeed& feed,
                                   std::map<std::string, v1::Account>& accounts,
                                   absl::Time& stamp) {
  ASSIGN_OR_RETURN(std::string spoke_id, ParseSpokeName("spoke", parts.spoke));
  ASSIGN_OR_RETURN(std::vector<std::string> account_keys,
                   organisation_.Keys(AccountKeyPrefix(spoke_id)));
  std::sort(account_keys.begin(), account_keys.end());
  for (const std::string& key : account_keys) {
    absl::StatusOr<Stored<v1::Account>> account = organisation_.Get<v1::Account>(key);
    if (absl::IsNotFound(account.status())) continue;
    if (!account.ok()) return account.status();
    const v1::Account& a = account->value;
    // A campaign's feed: only the accounts on its networks.
    if (!parts.networks.empty() && std::find(parts.networks.begin(), parts.networks.end(),
                                             a.network()) == parts.networks.end()) {
      continue;
    }
    accounts[a.name()] = a;
    if (feed.time_zone.empty()) feed.time_zone = a.time_zone();
    ASSIGN_OR_RETURN(AccountName name, ParseAccountName("account", a.name()));
    absl::StatusOr<Stored<v1::Cadence>> stored = organisation_.Get<v1::Cadence>(CadenceKey(name));
    if (absl::IsNotFound(stored.status())) continue;
    if (!stored.ok()) return stored.status();
    const v1::Cadence& c = stored->value;
    stamp = std::max(stamp, FromProto(c.update_time()));
    for (int i = 0; i < c.slots_size(); ++i) {
      ASSIGN_OR_RETURN(absl::CivilSecond start,
                       ParseLocalTime("start_local_time", c.slots(i).start_local_time()));
      feed.slots.push_back(
          {.uid = absl::StrCat(AsAbsl(c.name()), "/slots/", i, "@", feed.uid_domain),
           .summary = absl::StrCat("Posting slot: ", AsAbsl(a.handle()), " (",
                                   AsAbsl(NetworkField(a.network())), ")"),
           .recurrence = {.rrule = c.slots(i).rrule(), .start_local = start},
           .time_zone = a.time_zone()});
    }
  }
  return absl::OkStatus();
}

absl::Status Planner::AddFeedPosts(const FeedParts& parts, absl::Time now,
                                   const std::map<std::string, v1::Account>& accounts,
                                   cadence::ICalendarFeed& feed, absl::Time& stamp) {
  // The posts from feed_past ago to feed_ahead ahead: the spoke's, or the
  // campaign's.
  ASSIGN_OR_RETURN(bool rebuilt, calendar_.EnsureBuilt());
  if (rebuilt) metrics_.CalendarRebuilt();
  ASSIGN_OR_RETURN(std::vector<std::string> ids,
                   calendar_.Range(now - options_.feed_past, now + options_.feed_ahead, 0,
                                   cadence::kMaxFeedPosts));
  const std::string prefix = absl::StrCat(AsAbsl(parts.spoke), "/");
  for (const std::string& post_id : ids) {
    absl::StatusOr<Stored<v1::Post>> post = posts_.Get<v1::Post>(post_id);
    if (absl::IsNotFound(post.status())) continue;
    if (!post.ok()) return post.status();
    const v1::Post& p = post->value;
    if (parts.campaign.empty() ? !p.account().starts_with(prefix)
                               : p.campaign() != parts.campaign) {
      continue;
    }
    stamp = std::max(stamp, FromProto(p.update_time()));
    auto account = accounts.find(p.account());
    feed.posts.push_back(
        {.name = p.name(),
         .summary = Summary(p.text()),
         .at = FromProto(p.published_time().seconds() > 0 ? p.published_time() : p.publish_time()),
         .state = FeedState(p.state()),
         .account = account == accounts.end() ? p.account() : account->second.handle(),
         .network = std::string(NetworkField(p.network())),
         .url = IsWebUrl(p.url()) ? p.url() : "",
         .version = static_cast<int64_t>(post->revision),
         .updated = FromProto(p.update_time())});
  }
  return absl::OkStatus();
}

}  // namespace carecast::planner
