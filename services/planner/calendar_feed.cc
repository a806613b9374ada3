// A spoke's calendar as an iCalendar feed: the subscription URL (with its
// capability token), revoking every URL of a spoke, and the feed itself (its
// accounts' posting slots, its posts around now, and the blackout windows that
// apply to it), rendered by common::cadence::RenderICalendarFeed.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"

#include "carecast/v1/events.pb.h"

#include "services/common/base/ids.h"
#include "services/common/bus/subjects.h"
#include "services/common/cadence/icalendar_feed.h"
#include "services/planner/cadence_rules.h"
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

absl::StatusOr<v1::GetCalendarFeedResponse> Planner::GetCalendarFeed(
    const Caller& caller, const v1::GetCalendarFeedRequest& request) {
  ASSIGN_OR_RETURN(std::string id, ParseSpokeName("spoke", request.spoke()));
  RETURN_IF_ERROR(SpokeScope::For(caller).RequireChange(SpokeName(id), "calendar feeds"));
  if (options_.feed_tokens == nullptr) return FeedsOff();
  absl::StatusOr<Stored<v1::Spoke>> spoke = organisation_.Get<v1::Spoke>(SpokeKey(id));
  if (!spoke.ok()) return internal::NotFoundAs(spoke.status(), request.spoke());
  ASSIGN_OR_RETURN(std::string token, options_.feed_tokens->Mint(
                                          cadence::FeedKind::kSpoke, SpokeName(id),
                                          static_cast<uint64_t>(spoke->value.feed_generation())));
  v1::GetCalendarFeedResponse response;
  response.set_url(
      absl::StrCat(options_.feed_base_url, "/feeds/spokes/", id, ".ics?token=", token));
  response.set_token(std::move(token));
  return response;
}

absl::StatusOr<v1::RevokeCalendarFeedResponse> Planner::RevokeCalendarFeed(
    const Caller& caller, const v1::RevokeCalendarFeedRequest& request) {
  return Mutate<v1::RevokeCalendarFeedResponse>(
      caller, "RevokeCalendarFeed", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::RevokeCalendarFeedResponse> {
        ASSIGN_OR_RETURN(std::string id, ParseSpokeName("spoke", request.spoke()));
        RETURN_IF_ERROR(SpokeScope::For(caller).RequireChange(SpokeName(id), "calendar feeds"));
        const absl::Time now = clock_.Now();
        ASSIGN_OR_RETURN(
            Stored<v1::Spoke> written,
            internal::ReadModifyWrite<v1::Spoke>(
                organisation_, SpokeKey(id), request.spoke(),
                [&](v1::Spoke& spoke) -> absl::Status {
                  spoke.set_feed_generation(spoke.feed_generation() + 1);
                  return absl::OkStatus();
                },
                [&](const v1::Spoke& after, uint64_t base) {
                  v1::SpokeChanged event;
                  *event.mutable_spoke() = after;
                  event.set_actor(caller.principal.subject);
                  return std::vector<Change>{NewChange({.resource = after.name(),
                                                        .base_revision = base,
                                                        .fact = "feed_revoked",
                                                        .subject = subjects::kSpokeFeedRevoked,
                                                        .payload = &event,
                                                        .action = "spoke.feed_revoke",
                                                        .version = after.feed_generation()},
                                                       caller, request.request_id(), now)};
                }));
        wrote = true;
        v1::RevokeCalendarFeedResponse response;
        *response.mutable_spoke() = std::move(written.value);
        return response;
      });
}

absl::StatusOr<CalendarFeedDocument> Planner::ReadCalendarFeed(std::string_view spoke_id,
                                                               std::string_view token) {
  if (options_.feed_tokens == nullptr) return FeedsOff();
  absl::StatusOr<std::string> id =
      ParseSpokeName("spoke", absl::StrCat("spokes/", AsAbsl(spoke_id)));
  if (!id.ok()) return InvalidToken();
  absl::StatusOr<Stored<v1::Spoke>> spoke = organisation_.Get<v1::Spoke>(SpokeKey(*id));
  if (absl::IsNotFound(spoke.status())) return InvalidToken();
  if (!spoke.ok()) return spoke.status();
  const v1::Spoke& s = spoke->value;
  if (!options_.feed_tokens
           ->Verify(token, cadence::FeedKind::kSpoke, s.name(),
                    static_cast<uint64_t>(s.feed_generation()))
           .ok()) {
    return InvalidToken();
  }
  const absl::Time now = clock_.Now();
  cadence::ICalendarFeed feed;
  feed.name = absl::StrCat("CareCast: ", AsAbsl(s.display_name()));
  feed.uid_domain = options_.feed_uid_domain;
  absl::Time stamp = FromProto(s.create_time());
  auto later = [&](absl::Time t) { stamp = std::max(stamp, t); };

  // Each account's posting slots, in the account's zone.
  ASSIGN_OR_RETURN(std::vector<std::string> account_keys,
                   organisation_.Keys(AccountKeyPrefix(*id)));
  std::sort(account_keys.begin(), account_keys.end());
  std::map<std::string, v1::Account> accounts;
  for (const std::string& key : account_keys) {
    absl::StatusOr<Stored<v1::Account>> account = organisation_.Get<v1::Account>(key);
    if (absl::IsNotFound(account.status())) continue;
    if (!account.ok()) return account.status();
    const v1::Account& a = account->value;
    accounts[a.name()] = a;
    if (feed.time_zone.empty()) feed.time_zone = a.time_zone();
    ASSIGN_OR_RETURN(AccountName name, ParseAccountName("account", a.name()));
    absl::StatusOr<Stored<v1::Cadence>> stored = organisation_.Get<v1::Cadence>(CadenceKey(name));
    if (absl::IsNotFound(stored.status())) continue;
    if (!stored.ok()) return stored.status();
    const v1::Cadence& c = stored->value;
    later(FromProto(c.update_time()));
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
  if (feed.time_zone.empty()) feed.time_zone = "UTC";

  // The spoke's posts from feed_past ago to feed_ahead ahead.
  ASSIGN_OR_RETURN(bool rebuilt, calendar_.EnsureBuilt());
  if (rebuilt) metrics_.CalendarRebuilt();
  ASSIGN_OR_RETURN(std::vector<std::string> ids,
                   calendar_.Range(now - options_.feed_past, now + options_.feed_ahead, 0,
                                   cadence::kMaxFeedPosts));
  const std::string prefix = absl::StrCat(AsAbsl(s.name()), "/");
  for (const std::string& post_id : ids) {
    absl::StatusOr<Stored<v1::Post>> post = posts_.Get<v1::Post>(post_id);
    if (absl::IsNotFound(post.status())) continue;
    if (!post.ok()) return post.status();
    const v1::Post& p = post->value;
    if (!p.account().starts_with(prefix)) continue;
    later(FromProto(p.update_time()));
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

  // The windows that keep the spoke's accounts quiet.
  ASSIGN_OR_RETURN(std::vector<v1::Blackout> blackouts, LiveBlackouts(now));
  for (const v1::Blackout& b : blackouts) {
    if (!BlackoutApplies(b, s.name())) continue;
    later(FromProto(b.create_time()));
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

}  // namespace carecast::planner
