#include "services/planner/calendar_feed_http.h"

#include <string>

#include "services/common/cadence/icalendar_feed.h"

namespace carecast::planner {
namespace {

constexpr std::string_view kSuffix = ".ics";

common::HttpResponse Error(int status, std::string_view reason) {
  return common::HttpErrorResponse(status, reason, "feed");
}

}  // namespace

common::HttpResponse ServeCalendarFeed(Planner& planner, const common::HttpRequest& request) {
  std::string_view path = request.path;
  common::cadence::FeedKind kind = common::cadence::FeedKind::kSpoke;
  std::string_view prefix = kSpokeFeedPrefix;
  if (path.starts_with(kCampaignFeedPrefix)) {
    kind = common::cadence::FeedKind::kCampaign;
    prefix = kCampaignFeedPrefix;
  } else if (!path.starts_with(kSpokeFeedPrefix)) {
    return Error(404, "not found");
  }
  if (!path.ends_with(kSuffix) || path.size() <= prefix.size() + kSuffix.size()) {
    return Error(404, "not found");
  }
  const std::string_view id =
      path.substr(prefix.size(), path.size() - prefix.size() - kSuffix.size());
  auto token = request.query.find("token");
  if (token == request.query.end() || token->second.empty()) {
    return Error(401, "a feed URL carries its token (?token=...)");
  }
  absl::StatusOr<CalendarFeedDocument> feed = planner.ReadCalendarFeed(kind, id, token->second);
  if (!feed.ok()) {
    switch (feed.status().code()) {
      case absl::StatusCode::kUnauthenticated:
        return Error(401, "invalid token");
      case absl::StatusCode::kFailedPrecondition:
        return Error(404, "calendar feeds are not configured");
      default:
        return Error(503, "the calendar cannot be read now; try again");
    }
  }
  common::HttpResponse response;
  response.headers.emplace_back("ETag", feed->etag);
  response.headers.emplace_back("Cache-Control", "private, max-age=300");
  if (request.if_none_match == feed->etag) {
    response.status = 304;
    return response;
  }
  response.content_type = common::cadence::kICalendarContentType;
  response.body = std::move(feed->body);
  return response;
}

}  // namespace carecast::planner
