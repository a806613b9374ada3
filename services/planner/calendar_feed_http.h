// The HTTP face of the calendar feeds, served on the planner's HTTP port:
//
//   GET /feeds/spokes/{spoke}.ics?token=...
//   GET /feeds/campaigns/{campaign}.ics?token=...
//
// 200 text/calendar with an ETag and "Cache-Control: private, max-age=300";
// 304 when If-None-Match names the current ETag; 401 for a missing, wrong or
// revoked token and for an unknown spoke or campaign alike (nothing to probe); 404 for a
// path that is not a feed; 503 when NATS or Redis cannot be read. Errors are
// JSON {"error": reason}. The token is never logged.
#pragma once

#include <string_view>

#include "services/common/rpc/http_server.h"
#include "services/planner/planner.h"

namespace carecast::planner {

inline constexpr std::string_view kSpokeFeedPrefix = "/feeds/spokes/";
inline constexpr std::string_view kCampaignFeedPrefix = "/feeds/campaigns/";

common::HttpResponse ServeCalendarFeed(Planner& planner, const common::HttpRequest& request);

}  // namespace carecast::planner
